import ArgumentParser
import Foundation
import InputFiles
import Optimizer

/// `desk bench optimizer`: times the optimiser on problems written by Benchmarks/optimizer/compare.py.
///
/// The problems file is JSON: `{"repeats": {"20": 30, …}, "problems": [{"name", "mu", "sigma", "objective",
/// "maxWeight", "riskFreeRate"}]}`. Each problem is solved `repeats` times after one warm-up; the
/// output is JSON with the median and minimum wall time of `PortfolioOptimizer.solve` (formulation,
/// Ipopt and diagnostics) and the weights, for the script to compare with cvxpy.
struct BenchOptimizerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimizer",
        abstract: "Time the portfolio optimiser on a file of problems (see Benchmarks/optimizer/run.sh).")

    @Option(help: ArgumentHelp("The problems (JSON) written by Benchmarks/optimizer/compare.py.", valueName: "file.json"))
    var problems: String

    @Option(help: ArgumentHelp("Ipopt's print level (0 silent; 5 shows its log and timing breakdown).", valueName: "n"))
    var printLevel: Int = 0

    @Option(help: ArgumentHelp("Solve only the problems whose name contains this text.", valueName: "text"))
    var only: String?

    struct Problem: Decodable {
        var name: String
        var mu: [Double]
        var sigma: [[Double]]
        var objective: PortfolioObjective
        var maxWeight: Double
        var riskFreeRate: Double
    }

    struct ProblemFile: Decodable {
        var repeats: [String: Int]
        var problems: [Problem]
    }

    struct Timing: Encodable {
        var name: String
        var assets: Int
        var medianSeconds: Double
        var minimumSeconds: Double
        /// Median CPU time of the process over a solve: steadier than wall time on a shared machine.
        var medianCPUSeconds: Double
        var iterations: Int
        var weights: [Double]
        var objectiveValue: Double
    }

    func run() async throws {
        try await reportingErrors {
            guard let data = FileManager.default.contents(atPath: problems) else {
                throw InputError(file: problems, problem: "no such file", remedy: "run Benchmarks/optimizer/run.sh, which writes it")
            }
            let file: ProblemFile
            do {
                file = try JSONDecoder().decode(ProblemFile.self, from: data)
            } catch {
                throw InputError(file: problems, problem: "not a problems file: \(error)", remedy: "regenerate it with Benchmarks/optimizer/compare.py")
            }
            var options = SolverOptions()
            options.printLevel = printLevel
            let optimizer = PortfolioOptimizer(solver: IpoptSolver(options: options))
            let clock = ContinuousClock()
            var timings: [Timing] = []
            for problem in file.problems where only.map({ problem.name.contains($0) }) ?? true {
                let n = problem.mu.count
                guard problem.sigma.count == n, problem.sigma.allSatisfy({ $0.count == n }) else {
                    throw InputError(file: problems, field: problem.name, problem: "sigma is not \(n)×\(n)",
                                     remedy: "regenerate the file with Benchmarks/optimizer/compare.py")
                }
                let portfolio = PortfolioProblem(names: (0..<n).map { "A\($0)" }, expectedReturns: problem.mu,
                                                 covariance: SymmetricMatrix(rows: problem.sigma), riskFreeRate: problem.riskFreeRate,
                                                 objective: problem.objective, constraints: .longOnly(assets: n, maximum: problem.maxWeight))
                var solution = try optimizer.solve(portfolio)
                var seconds: [Double] = []
                var cpu: [Double] = []
                for _ in 0..<max(1, file.repeats[String(n)] ?? 5) {
                    let start = clock.now
                    let cpuStart = Self.cpuSeconds()
                    solution = try optimizer.solve(portfolio)
                    cpu.append(Self.cpuSeconds() - cpuStart)
                    let elapsed = clock.now - start
                    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
                seconds.sort()
                cpu.sort()
                let value: Double
                switch problem.objective {
                case .maximumSharpe: value = solution.sharpeRatio ?? 0
                default: value = solution.volatility
                }
                timings.append(Timing(name: problem.name, assets: n, medianSeconds: seconds[seconds.count / 2], minimumSeconds: seconds[0],
                                      medianCPUSeconds: cpu[cpu.count / 2],
                                      iterations: solution.iterations, weights: solution.weights, objectiveValue: value))
                Terminal.note("\(problem.name): median \(String(format: "%.2f", seconds[seconds.count / 2] * 1000)) ms wall, \(String(format: "%.2f", cpu[cpu.count / 2] * 1000)) ms CPU, \(solution.iterations) iterations")
            }
            print(String(decoding: OptimizerTool.encode(timings), as: UTF8.self))
        }
    }

    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

import Foundation
import Optimizer
import Testing

/// Random problems (deterministic seeds): every returned portfolio honours every constraint to 1e-8,
/// risk parity equalises contributions to 1e-6, contradictory constraints give the infeasible error.
@Suite struct PropertyTests {
    /// A random problem built around a known feasible portfolio, so it is feasible by construction.
    static func feasibleProblem(seed: UInt64, objective: (_ mu: [Double], _ sigma: SymmetricMatrix, _ anchor: [Double]) -> PortfolioObjective,
                                longOnly: Bool = true) -> PortfolioProblem {
        var random = SeededGenerator(seed: seed &* 7919)
        let n = Int.random(in: 5...24, using: &random)
        let (names, mu, sigma) = randomMarket(assets: n, seed: seed)
        let withCash = Bool.random(using: &random)
        let invested = withCash ? Double.random(in: 0.7...1, using: &random) : 1
        // The anchor: a random portfolio investing `invested`.
        var anchor = (0..<n).map { _ in Double.random(in: 0.1...1, using: &random) }
        let sum = anchor.reduce(0, +)
        anchor = anchor.map { $0 / sum * invested }
        if !longOnly {
            let k = Int.random(in: 0..<n, using: &random)
            anchor[k] -= 0.05
            anchor[(k + 1) % n] += 0.05
        }
        let lower = anchor.map { w -> Double in
            if !longOnly { return min(w, 0) - Double.random(in: 0...0.1, using: &random) }
            return Bool.random(using: &random) ? 0 : w * Double.random(in: 0...0.5, using: &random)
        }
        let upper = anchor.map { $0 + Double.random(in: 0.01...0.4, using: &random) }
        var groups: [AssetGroup] = []
        for g in 0..<Int.random(in: 0...3, using: &random) {
            let members = Array((0..<n).shuffled(using: &random).prefix(Int.random(in: 2...max(2, n / 2), using: &random)))
            let total = members.reduce(0) { $0 + anchor[$1] }
            groups.append(AssetGroup(name: "G\(g)", members: members, minimum: Bool.random(using: &random) ? total * 0.5 : nil,
                                     maximum: total + Double.random(in: 0...0.1, using: &random)))
        }
        var turnover: TurnoverLimit?
        if Bool.random(using: &random) {
            var current = (0..<n).map { _ in Double.random(in: 0...1, using: &random) }
            let total = current.reduce(0, +)
            current = current.map { $0 / total }
            let needed = zip(anchor, current).reduce(0) { $0 + abs($1.0 - $1.1) }
            turnover = TurnoverLimit(currentWeights: current, limit: needed + Double.random(in: 0...0.3, using: &random))
        }
        let constraints = PortfolioConstraints(lowerBounds: lower, upperBounds: upper,
                                               invested: withCash ? (invested - 0.05)...1 : 1...1, groups: groups,
                                               turnover: turnover, l2Penalty: Bool.random(using: &random) ? 0 : 0.01)
        return PortfolioProblem(names: names, expectedReturns: mu, covariance: sigma, riskFreeRate: 0.02,
                                objective: objective(mu, sigma, anchor), constraints: constraints)
    }

    /// Every constraint of `problem` checked independently of the optimiser's own bookkeeping.
    static func expectFeasible(_ problem: PortfolioProblem, _ solution: PortfolioSolution, tolerance: Double = 1e-8,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let w = solution.weights
        let c = problem.constraints
        let label = "\(problem.objective.name) n=\(w.count)"
        #expect(w.allSatisfy { $0.isFinite }, "\(label): non-finite weights", sourceLocation: sourceLocation)
        #expect([solution.expectedReturn, solution.volatility, solution.cash].allSatisfy { $0.isFinite }, sourceLocation: sourceLocation)
        #expect(solution.riskContributions.allSatisfy { $0.isFinite }, sourceLocation: sourceLocation)
        for i in w.indices {
            #expect(w[i] >= c.lowerBounds[i] - tolerance, "\(label): w[\(i)] = \(w[i]) below \(c.lowerBounds[i])", sourceLocation: sourceLocation)
            #expect(w[i] <= c.upperBounds[i] + tolerance, "\(label): w[\(i)] = \(w[i]) above \(c.upperBounds[i])", sourceLocation: sourceLocation)
        }
        let invested = w.reduce(0, +)
        #expect(invested >= c.invested.lowerBound - tolerance && invested <= c.invested.upperBound + tolerance,
                "\(label): invested \(invested) outside \(c.invested)", sourceLocation: sourceLocation)
        for group in c.groups {
            let total = group.members.reduce(0) { $0 + w[$1] }
            if let maximum = group.maximum { #expect(total <= maximum + tolerance, "\(label): group \(group.name) \(total) > \(maximum)", sourceLocation: sourceLocation) }
            if let minimum = group.minimum { #expect(total >= minimum - tolerance, "\(label): group \(group.name) \(total) < \(minimum)", sourceLocation: sourceLocation) }
        }
        if let turnover = c.turnover {
            let traded = zip(w, turnover.currentWeights).reduce(0) { $0 + abs($1.0 - $1.1) }
            #expect(traded <= turnover.limit + tolerance, "\(label): turnover \(traded) > \(turnover.limit)", sourceLocation: sourceLocation)
        }
        switch problem.objective {
        case .efficientReturn(let target):
            let value = zip(problem.expectedReturns, w).reduce(0) { $0 + $1.0 * $1.1 } + problem.riskFreeRate * (1 - invested)
            #expect(value >= target - tolerance, "\(label): return \(value) < \(target)", sourceLocation: sourceLocation)
        case .efficientRisk(let target):
            let volatility = problem.covariance.quadraticForm(w).squareRoot()
            #expect(volatility <= target + tolerance, "\(label): volatility \(volatility) > \(target)", sourceLocation: sourceLocation)
        default: break
        }
    }

    static func returnOf(_ mu: [Double], _ w: [Double]) -> Double { zip(mu, w).reduce(0) { $0 + $1.0 * $1.1 } }

    static let objectives: [(String, @Sendable ([Double], SymmetricMatrix, [Double]) -> PortfolioObjective)] = [
        ("min-variance", { _, _, _ in .minimumVariance }),
        ("max-sharpe", { _, _, _ in .maximumSharpe }),
        ("utility", { _, _, _ in .utility(riskAversion: 2) }),
        ("efficient-return", { mu, _, anchor in .efficientReturn(targetReturn: returnOf(mu, anchor) + 0.02 * (1 - anchor.reduce(0, +))) }),
        ("efficient-risk", { _, sigma, anchor in .efficientRisk(targetVolatility: sigma.quadraticForm(anchor).squareRoot() * 1.02) }),
        ("risk-parity", { _, _, _ in .riskParity(budgets: nil) }),
    ]

    @Test(arguments: 0..<6)
    func everyConstraintHoldsOnRandomLongOnlyProblems(objectiveIndex: Int) throws {
        let (name, objective) = Self.objectives[objectiveIndex]
        for seed in UInt64(1)...12 {
            let problem = Self.feasibleProblem(seed: seed * 31 + UInt64(objectiveIndex), objective: objective)
            if name == "max-sharpe", !problem.expectedReturns.contains(where: { $0 > problem.riskFreeRate }) { continue }
            let solution = try PortfolioOptimizer().solve(problem)
            Self.expectFeasible(problem, solution)
        }
    }

    @Test(arguments: [0, 1, 2, 3, 4])
    func everyConstraintHoldsOnRandomLongShortProblems(objectiveIndex: Int) throws {
        let (_, objective) = Self.objectives[objectiveIndex]
        for seed in UInt64(100)...108 {
            let problem = Self.feasibleProblem(seed: seed * 17 + UInt64(objectiveIndex), objective: objective, longOnly: false)
            let solution = try PortfolioOptimizer().solve(problem)
            Self.expectFeasible(problem, solution)
        }
    }

    @Test func riskParityEqualisesContributions() throws {
        for seed in UInt64(1)...15 {
            let (names, mu, sigma) = randomMarket(assets: 3 + Int(seed * 7 % 40), seed: seed)
            let problem = PortfolioProblem(names: names, expectedReturns: mu, covariance: sigma, objective: .riskParity(budgets: nil),
                                           constraints: .longOnly(assets: names.count))
            let solution = try PortfolioOptimizer().solve(problem)
            let target = 1 / Double(names.count)
            for contribution in solution.riskContributions {
                #expect(abs(contribution - target) <= 1e-6, "seed \(seed): contribution \(contribution) vs \(target)")
            }
            #expect(abs(solution.weights.reduce(0, +) - 1) <= 1e-12)
            #expect(solution.weights.allSatisfy { $0 > 0 })
        }
    }

    @Test func riskBudgetsSetContributions() throws {
        let (names, mu, sigma) = randomMarket(assets: 8, seed: 99)
        let budgets = [4.0, 1, 1, 1, 2, 2, 3, 1]
        let problem = PortfolioProblem(names: names, expectedReturns: mu, covariance: sigma, objective: .riskParity(budgets: budgets),
                                       constraints: .longOnly(assets: names.count))
        let solution = try PortfolioOptimizer().solve(problem)
        for (contribution, budget) in zip(solution.riskContributions, budgets) {
            #expect(abs(contribution - budget / 15) <= 1e-6)
        }
    }

    @Test func riskParityUnderABindingCapKeepsTheCapAndSaysSo() throws {
        let (names, mu, sigma) = randomMarket(assets: 10, seed: 5)
        let free = try PortfolioOptimizer().solve(PortfolioProblem(names: names, expectedReturns: mu, covariance: sigma,
                                                                   objective: .riskParity(budgets: nil), constraints: .longOnly(assets: 10)))
        let cap = (free.weights.max() ?? 1) - 0.02
        let problem = PortfolioProblem(names: names, expectedReturns: mu, covariance: sigma, objective: .riskParity(budgets: nil),
                                       constraints: .longOnly(assets: 10, maximum: cap))
        let solution = try PortfolioOptimizer().solve(problem)
        Self.expectFeasible(problem, solution)
        #expect(solution.bindingConstraints.contains { $0.kind == "max-weight" })
        #expect(solution.notes.contains { $0.contains("unequal") })
    }

    /// Contradictory constraint sets; each must end in the infeasible error naming constraints, never in NaNs.
    static func infeasibleProblems(seed: UInt64) -> [PortfolioProblem] {
        var random = SeededGenerator(seed: seed)
        let n = Int.random(in: 6...20, using: &random)
        let (names, mu, sigma) = randomMarket(assets: n, seed: seed)
        let half = n / 2
        let problem = { (objective: PortfolioObjective, constraints: PortfolioConstraints) in
            PortfolioProblem(names: names, expectedReturns: mu.map { $0 + 0.05 }, covariance: sigma, riskFreeRate: 0.02,
                             objective: objective, constraints: constraints)
        }
        let objectives: [PortfolioObjective] = [.minimumVariance, .maximumSharpe, .utility(riskAversion: 1), .riskParity(budgets: nil)]
        var result: [PortfolioProblem] = []
        for objective in objectives {
            // Two groups covering every asset whose caps add up to less than the budget.
            var groups = PortfolioConstraints.longOnly(assets: n)
            groups.groups = [AssetGroup(name: "first", members: Array(0..<half), maximum: 0.4),
                             AssetGroup(name: "second", members: Array(half..<n), maximum: 0.45)]
            result.append(problem(objective, groups))
            // The minimum weights add up to more than the budget.
            result.append(problem(objective, .longOnly(assets: n, minimum: 1.2 / Double(n))))
            // Everything held in one group; its cap forces more trading than the turnover limit allows.
            var trades = PortfolioConstraints.longOnly(assets: n)
            trades.groups = [AssetGroup(name: "held", members: Array(0..<half), maximum: 0.2)]
            trades.turnover = TurnoverLimit(currentWeights: (0..<n).map { $0 < half ? 1 / Double(half) : 0 }, limit: 0.5)
            result.append(problem(objective, trades))
        }
        let best = (mu.max() ?? 0) + 0.05
        result.append(problem(.efficientReturn(targetReturn: best + 0.01), .longOnly(assets: n)))
        let lowest = (0..<n).map { sigma[$0, $0].squareRoot() }.min() ?? 0
        result.append(problem(.efficientRisk(targetVolatility: lowest * 0.05), .longOnly(assets: n)))
        var capped = PortfolioConstraints.longOnly(assets: n)
        capped.groups = [AssetGroup(name: "most", members: Array(0..<(n - 1)), maximum: 0.5)]
        capped.upperBounds[n - 1] = 0.3
        result.append(problem(.minimumVariance, capped))
        return result
    }

    @Test func contradictoryConstraintsGiveTheInfeasibleError() {
        for seed in UInt64(1)...4 {
            for problem in Self.infeasibleProblems(seed: seed) {
                do {
                    let solution = try PortfolioOptimizer().solve(problem)
                    Issue.record("\(problem.objective.name) seed \(seed): expected infeasible, got \(solution.weights)")
                } catch {
                    #expect(error.kind == .infeasible, "\(problem.objective.name) seed \(seed): \(error)")
                    #expect(!error.involved.isEmpty, "\(problem.objective.name) seed \(seed): no constraint named in \(error)")
                    #expect(!error.description.lowercased().contains("nan"))
                }
            }
        }
    }

    @Test func aSingleAssetIsHeldWhole() throws {
        for objective in [PortfolioObjective.minimumVariance, .maximumSharpe, .utility(riskAversion: 1), .riskParity(budgets: nil)] {
            let problem = PortfolioProblem(names: ["A"], expectedReturns: [0.1], covariance: .diagonal([0.04]), riskFreeRate: 0.02,
                                           objective: objective, constraints: .longOnly(assets: 1))
            let solution = try PortfolioOptimizer().solve(problem)
            #expect(solution.weights == [1])
            #expect(abs(solution.volatility - 0.2) < 1e-15)
        }
        let tooRisky = PortfolioProblem(names: ["A"], expectedReturns: [0.1], covariance: .diagonal([0.04]),
                                        objective: .efficientRisk(targetVolatility: 0.1), constraints: .longOnly(assets: 1))
        #expect { try PortfolioOptimizer().solve(tooRisky) } throws: { ($0 as? OptimizerError)?.kind == .infeasible }
    }

    @Test func solutionsAreDeterministic() throws {
        let problem = Self.feasibleProblem(seed: 4242, objective: { _, _, _ in .maximumSharpe })
        let first = try PortfolioOptimizer().solve(problem)
        let second = try PortfolioOptimizer().solve(problem)
        #expect(first.weights == second.weights)
    }
}

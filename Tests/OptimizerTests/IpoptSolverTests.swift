import Foundation
import Optimizer
import Testing

/// Hock & Schittkowski problem 71, Ipopt's own example: min x₁x₄(x₁+x₂+x₃) + x₃
/// s.t. x₁x₂x₃x₄ ≥ 25, Σxᵢ² = 40, 1 ≤ xᵢ ≤ 5, from (1, 5, 5, 1).
struct HS071: NonlinearProgram {
    var variableCount: Int { 4 }
    var constraintCount: Int { 2 }
    var variableLowerBounds: [Double] { [1, 1, 1, 1] }
    var variableUpperBounds: [Double] { [5, 5, 5, 5] }
    var constraintLowerBounds: [Double] { [25, 40] }
    var constraintUpperBounds: [Double] { [.infinity, 40] }
    var startingPoint: [Double] { [1, 5, 5, 1] }
    var jacobianStructure: SparsityPattern { SparsityPattern(rows: [0, 0, 0, 0, 1, 1, 1, 1], columns: [0, 1, 2, 3, 0, 1, 2, 3]) }
    var hessianStructure: SparsityPattern { .lowerTriangle(size: 4) }

    func constraintName(_ index: Int) -> String { index == 0 ? "product" : "sum of squares" }

    func objective(at x: UnsafeBufferPointer<Double>) -> Double? { x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2] }

    func gradient(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool {
        g[0] = x[0] * x[3] + x[3] * (x[0] + x[1] + x[2])
        g[1] = x[0] * x[3]
        g[2] = x[0] * x[3] + 1
        g[3] = x[0] * (x[0] + x[1] + x[2])
        return true
    }

    func constraints(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool {
        g[0] = x[0] * x[1] * x[2] * x[3]
        g[1] = x[0] * x[0] + x[1] * x[1] + x[2] * x[2] + x[3] * x[3]
        return true
    }

    func jacobian(at x: UnsafeBufferPointer<Double>, into v: UnsafeMutableBufferPointer<Double>) -> Bool {
        v[0] = x[1] * x[2] * x[3]; v[1] = x[0] * x[2] * x[3]; v[2] = x[0] * x[1] * x[3]; v[3] = x[0] * x[1] * x[2]
        for i in 0..<4 { v[4 + i] = 2 * x[i] }
        return true
    }

    func hessian(at x: UnsafeBufferPointer<Double>, objectiveFactor s: Double, multipliers l: UnsafeBufferPointer<Double>,
                 into v: UnsafeMutableBufferPointer<Double>) -> Bool {
        // Lower triangle row by row: (0,0) (1,0) (1,1) (2,0) (2,1) (2,2) (3,0) (3,1) (3,2) (3,3).
        v[0] = s * 2 * x[3] + l[1] * 2
        v[1] = s * x[3] + l[0] * x[2] * x[3]
        v[2] = l[1] * 2
        v[3] = s * x[3] + l[0] * x[1] * x[3]
        v[4] = l[0] * x[0] * x[3]
        v[5] = l[1] * 2
        v[6] = s * (2 * x[0] + x[1] + x[2]) + l[0] * x[1] * x[2]
        v[7] = s * x[0] + l[0] * x[0] * x[2]
        v[8] = s * x[0] + l[0] * x[0] * x[1]
        v[9] = l[1] * 2
        return true
    }
}

@Suite struct IpoptSolverTests {
    @Test func solvesIpoptsOwnExampleWithExactDerivatives() throws {
        let solution = try IpoptSolver().solve(HS071())
        // The optimum as SciPy's SLSQP finds it (ftol 1e-15): f* = 17.014017289133697.
        #expect(abs(solution.objective - 17.014017289133697) < 1e-8)
        let expected = [1.0, 4.742999668014911, 3.821149944014715, 1.3794082987289553]
        #expect(maxDifference(solution.x, expected) < 1e-7)
        #expect(abs(solution.constraintValues[1] - 40) < 1e-9)
        #expect(solution.quality == .optimal)
        #expect(solution.iterations > 0 && solution.iterations < 20)
        #expect(solution.constraintMultipliers.allSatisfy { $0.isFinite })
    }

    @Test func anIterationLimitIsItsOwnError() {
        var options = SolverOptions()
        options.maxIterations = 2
        #expect {
            try IpoptSolver(options: options).solve(HS071())
        } throws: { error in
            (error as? OptimizerError)?.kind == .iterationLimit
        }
    }

    @Test func contradictoryConstraintsAreNamed() throws {
        struct Impossible: NonlinearProgram {
            // x + y ≥ 3 and x + y ≤ 1 with 0 ≤ x, y ≤ 10; minimise x² + y².
            var variableCount: Int { 2 }
            var constraintCount: Int { 2 }
            var variableLowerBounds: [Double] { [0, 0] }
            var variableUpperBounds: [Double] { [10, 10] }
            var constraintLowerBounds: [Double] { [3, -.infinity] }
            var constraintUpperBounds: [Double] { [.infinity, 1] }
            var startingPoint: [Double] { [1, 1] }
            var jacobianStructure: SparsityPattern { SparsityPattern(rows: [0, 0, 1, 1], columns: [0, 1, 0, 1]) }
            var hessianStructure: SparsityPattern { SparsityPattern(rows: [0, 1], columns: [0, 1]) }
            func constraintName(_ index: Int) -> String { index == 0 ? "at least 3" : "at most 1" }
            func objective(at x: UnsafeBufferPointer<Double>) -> Double? { x[0] * x[0] + x[1] * x[1] }
            func gradient(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool {
                g[0] = 2 * x[0]; g[1] = 2 * x[1]; return true
            }
            func constraints(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool {
                g[0] = x[0] + x[1]; g[1] = x[0] + x[1]; return true
            }
            func jacobian(at x: UnsafeBufferPointer<Double>, into v: UnsafeMutableBufferPointer<Double>) -> Bool {
                for k in 0..<4 { v[k] = 1 }; return true
            }
            func hessian(at x: UnsafeBufferPointer<Double>, objectiveFactor s: Double, multipliers: UnsafeBufferPointer<Double>,
                         into v: UnsafeMutableBufferPointer<Double>) -> Bool {
                v[0] = 2 * s; v[1] = 2 * s; return true
            }
        }
        do {
            _ = try IpoptSolver().solve(Impossible())
            Issue.record("expected an infeasible error")
        } catch {
            #expect(error.kind == .infeasible)
            #expect(!Set(error.involved).isDisjoint(with: ["at least 3", "at most 1"]), "\(error)")
        }
    }

    @Test func aHessianOutsideTheLowerTriangleIsRejectedBeforeSolving() {
        struct Upper: NonlinearProgram {
            var variableCount: Int { 2 }
            var constraintCount: Int { 0 }
            var variableLowerBounds: [Double] { [0, 0] }
            var variableUpperBounds: [Double] { [1, 1] }
            var constraintLowerBounds: [Double] { [] }
            var constraintUpperBounds: [Double] { [] }
            var startingPoint: [Double] { [0.5, 0.5] }
            var jacobianStructure: SparsityPattern { SparsityPattern() }
            var hessianStructure: SparsityPattern { SparsityPattern(rows: [0], columns: [1]) }
            func objective(at x: UnsafeBufferPointer<Double>) -> Double? { x[0] * x[1] }
            func gradient(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool { g[0] = x[1]; g[1] = x[0]; return true }
            func constraints(at x: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) -> Bool { true }
            func jacobian(at x: UnsafeBufferPointer<Double>, into v: UnsafeMutableBufferPointer<Double>) -> Bool { true }
            func hessian(at x: UnsafeBufferPointer<Double>, objectiveFactor: Double, multipliers: UnsafeBufferPointer<Double>,
                         into v: UnsafeMutableBufferPointer<Double>) -> Bool { v[0] = objectiveFactor; return true }
        }
        #expect {
            try IpoptSolver().solve(Upper())
        } throws: { error in
            (error as? OptimizerError)?.kind == .invalidProblem
        }
    }

    @Test func solvesFromManyThreadsAtOnce() async throws {
        let results = await withTaskGroup(of: Double?.self) { group in
            for _ in 0..<8 { group.addTask { try? IpoptSolver().solve(HS071()).objective } }
            var values: [Double?] = []
            for await value in group { values.append(value) }
            return values
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { abs(($0 ?? 0) - 17.014017289133697) < 1e-8 })
    }
}

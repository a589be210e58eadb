import Foundation

/// Settings of one Ipopt solve. The defaults are tight enough that constraints hold to 1e-8.
public struct SolverOptions: Sendable, Equatable {
    /// A value of an Ipopt option.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case integer(Int)
        case text(String)
    }

    /// Ipopt's `tol`: the convergence tolerance on the scaled optimality error.
    public var tolerance: Double = 1e-10
    /// Ipopt's `constr_viol_tol` and `acceptable_constr_viol_tol`: the largest constraint violation accepted.
    public var constraintTolerance: Double = 1e-10
    /// Ipopt's `acceptable_tol`: a solve that stalls below this is reported as acceptable.
    public var acceptableTolerance: Double = 1e-8
    /// Ipopt's `max_iter`.
    public var maxIterations: Int = 3000
    /// Ipopt's `max_cpu_time`, when set.
    public var maxSeconds: Double?
    /// Keep the variables inside their bounds exactly (`bound_relax_factor 0`, `honor_original_bounds yes`).
    public var exactBounds: Bool = true
    /// Ipopt's `print_level` (0 = silent, 5 = Ipopt's default log). The banner is shown only when above 0.
    public var printLevel: Int = 0
    /// Further Ipopt options, by Ipopt's names; applied last.
    public var extra: [String: Value] = [:]

    public init() {}
}

/// How a successful solve ended.
public enum SolveQuality: String, Sendable, Codable {
    /// Converged to the requested tolerance.
    case optimal
    /// Stopped at the acceptable tolerance: the point is feasible and nearly optimal.
    case acceptable
}

/// The result of a successful solve.
public struct SolverSolution: Sendable {
    public var x: [Double]
    public var objective: Double
    public var constraintValues: [Double]
    /// Lagrange multipliers of the constraints (Ipopt's sign convention: ∇f + Jᵀλ − z_L + z_U = 0).
    public var constraintMultipliers: [Double]
    public var lowerBoundMultipliers: [Double]
    public var upperBoundMultipliers: [Double]
    public var iterations: Int
    public var quality: SolveQuality
    public var solveTime: Duration
}

/// Ipopt behind a small Swift API: give it a ``NonlinearProgram``, get a ``SolverSolution`` or a ``OptimizerError``.
///
/// Solves are serialised process-wide: the sequential MUMPS linear solver Debian's Ipopt uses keeps
/// global state, so two solves on different threads must not overlap.
public struct IpoptSolver: Sendable {
    public var options: SolverOptions

    public init(options: SolverOptions = SolverOptions()) {
        self.options = options
    }

    /// Solves `program`, returning the optimum or throwing a ``OptimizerError`` naming what went wrong.
    public func solve(_ program: any NonlinearProgram) throws(OptimizerError) -> SolverSolution {
        try Self.validate(program)
        let run = try IpoptBridge.solve(program, settings: settings(for: program.structure))
        let outcome = SolveOutcome(status: run.status, x: run.x, constraintValues: run.constraintValues, iterations: run.iterations)
        let quality = try outcome.quality(program: program, tolerance: max(options.constraintTolerance, 1e-9))
        guard run.x.allSatisfy(\.isFinite), run.objective.isFinite, run.constraintValues.allSatisfy(\.isFinite) else {
            throw OptimizerError(kind: .numericalTrouble, message: "the solver returned non-finite numbers",
                                 remedy: "check the problem data for NaN or infinite values", solverStatus: run.status,
                                 iterations: run.iterations)
        }
        return SolverSolution(x: run.x, objective: run.objective, constraintValues: run.constraintValues,
                              constraintMultipliers: run.constraintMultipliers, lowerBoundMultipliers: run.lowerBoundMultipliers,
                              upperBoundMultipliers: run.upperBoundMultipliers, iterations: run.iterations, quality: quality,
                              solveTime: run.elapsed)
    }

    private func settings(for structure: ProgramStructure) -> [(String, SolverOptions.Value)] {
        var settings: [(String, SolverOptions.Value)] = [
            ("print_level", .integer(options.printLevel)),
            ("sb", .text(options.printLevel > 0 ? "no" : "yes")),
            ("tol", .number(options.tolerance)),
            ("constr_viol_tol", .number(options.constraintTolerance)),
            ("acceptable_tol", .number(options.acceptableTolerance)),
            ("acceptable_constr_viol_tol", .number(options.constraintTolerance)),
            ("max_iter", .integer(options.maxIterations)),
            ("mu_strategy", .text("adaptive")),
        ]
        if let seconds = options.maxSeconds { settings.append(("max_cpu_time", .number(seconds))) }
        if options.exactBounds {
            settings.append(("bound_relax_factor", .number(0)))
            settings.append(("honor_original_bounds", .text("yes")))
        }
        if structure.linearConstraints {
            settings.append(("jac_c_constant", .text("yes")))
            settings.append(("jac_d_constant", .text("yes")))
        }
        if structure.constantHessian { settings.append(("hessian_constant", .text("yes"))) }
        return settings + options.extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private static func validate(_ program: any NonlinearProgram) throws(OptimizerError) {
        let n = program.variableCount
        let m = program.constraintCount
        func invalid(_ message: String) -> OptimizerError {
            OptimizerError(kind: .invalidProblem, message: message, remedy: "this is a defect in the program's definition")
        }
        guard n > 0 else { throw invalid("the program has no variables") }
        guard program.variableLowerBounds.count == n, program.variableUpperBounds.count == n,
              program.startingPoint.count == n else {
            throw invalid("the variable bounds or the starting point do not have \(n) entries")
        }
        guard program.constraintLowerBounds.count == m, program.constraintUpperBounds.count == m else {
            throw invalid("the constraint bounds do not have \(m) entries")
        }
        for i in 0..<n {
            let (lower, upper) = (program.variableLowerBounds[i], program.variableUpperBounds[i])
            guard !lower.isNaN, !upper.isNaN, lower <= upper else {
                throw OptimizerError(kind: .infeasible, message: "the bounds of \(program.variableName(i)) are empty: [\(lower), \(upper)]",
                                  involved: [program.variableName(i)])
            }
        }
        for j in 0..<m {
            let (lower, upper) = (program.constraintLowerBounds[j], program.constraintUpperBounds[j])
            guard !lower.isNaN, !upper.isNaN, lower <= upper else {
                throw OptimizerError(kind: .infeasible, message: "the bounds of \(program.constraintName(j)) are empty: [\(lower), \(upper)]",
                                  involved: [program.constraintName(j)])
            }
        }
        let jacobian = program.jacobianStructure
        for k in 0..<jacobian.count where !(0..<Int32(m)).contains(jacobian.rows[k]) || !(0..<Int32(n)).contains(jacobian.columns[k]) {
            throw invalid("Jacobian entry \(k) at (\(jacobian.rows[k]), \(jacobian.columns[k])) is outside the \(m)×\(n) matrix")
        }
        let hessian = program.hessianStructure
        for k in 0..<hessian.count where !(0..<Int32(n)).contains(hessian.rows[k]) || !(0...hessian.rows[k]).contains(hessian.columns[k]) {
            throw invalid("Hessian entry \(k) at (\(hessian.rows[k]), \(hessian.columns[k])) is not in the lower triangle of the \(n)×\(n) matrix")
        }
    }
}

/// Ipopt's return status read into a success quality or a ``OptimizerError``.
private struct SolveOutcome {
    var status: Int
    var x: [Double]
    var constraintValues: [Double]
    var iterations: Int

    func quality(program: any NonlinearProgram, tolerance: Double) throws(OptimizerError) -> SolveQuality {
        switch status {
        case 0: return .optimal
        case 1: return .acceptable
        case 2:
            throw OptimizerError(kind: .infeasible, message: "Ipopt found the constraints cannot all be satisfied (it converged to a point of least infeasibility)",
                              involved: violated(program, tolerance: tolerance),
                              remedy: "loosen or drop one of the constraints involved", solverStatus: status, iterations: iterations)
        case 3:
            throw trouble("the search direction became too small before convergence")
        case 4:
            throw OptimizerError(kind: .unbounded, message: "the iterates diverged: the objective appears unbounded",
                              remedy: "add bounds on the variables", solverStatus: status, iterations: iterations)
        case -1:
            throw OptimizerError(kind: .iterationLimit, message: "no convergence within the iteration limit",
                              remedy: "raise the iteration limit or rescale the problem", solverStatus: status, iterations: iterations)
        case -2:
            let violations = violated(program, tolerance: tolerance)
            if !violations.isEmpty {
                throw OptimizerError(kind: .infeasible, message: "Ipopt's feasibility restoration failed: no point satisfies every constraint",
                                  involved: violations, remedy: "loosen or drop one of the constraints involved",
                                  solverStatus: status, iterations: iterations)
            }
            throw trouble("Ipopt's feasibility restoration failed")
        case -3: throw trouble("Ipopt could not compute a step")
        case -4:
            throw OptimizerError(kind: .timeLimit, message: "no convergence within the time limit",
                              remedy: "raise the time limit", solverStatus: status, iterations: iterations)
        case -10:
            throw OptimizerError(kind: .invalidProblem, message: "more equality constraints than free variables",
                              remedy: "remove redundant equality constraints or fixed variables", solverStatus: status, iterations: iterations)
        case -11, -12:
            throw OptimizerError(kind: .invalidProblem, message: "Ipopt rejected the problem definition or an option (status \(status))",
                              solverStatus: status, iterations: iterations)
        case -13: throw trouble("a function evaluation returned NaN or an infinite number")
        default:
            throw OptimizerError(kind: .solverFailure, message: "Ipopt failed with status \(status)",
                              remedy: "run again with printLevel 5 to see Ipopt's log", solverStatus: status, iterations: iterations)
        }
    }

    private func trouble(_ message: String) -> OptimizerError {
        OptimizerError(kind: .numericalTrouble, message: message,
                    remedy: "check the data for near-duplicate assets or tiny variances; rescale the problem",
                    solverStatus: status, iterations: iterations)
    }

    /// Names of the constraints violated at the returned point, most violated first.
    private func violated(_ program: any NonlinearProgram, tolerance: Double) -> [String] {
        var found: [(Double, String)] = []
        for (j, value) in constraintValues.enumerated() where j < program.constraintCount {
            let excess = max(program.constraintLowerBounds[j] - value, value - program.constraintUpperBounds[j])
            if excess > tolerance || !value.isFinite { found.append((value.isFinite ? excess : .infinity, program.constraintName(j))) }
        }
        return found.sorted { $0.0 > $1.0 }.map(\.1)
    }
}

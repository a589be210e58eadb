import CIpopt
import Foundation

// Ipopt 3.11 (Debian) declares its truth values as `int`, Ipopt 3.14 (Homebrew) as `bool`.
// Every function of this file names `Swift.Bool` explicitly, since the C module's `Bool` typedef
// would otherwise shadow it here; the callbacks convert through `IpoptTruth`, which both satisfy.
protocol IpoptTruth {
    init(ipoptTruth: Swift.Bool)
    var isTrue: Swift.Bool { get }
}

extension Int32: IpoptTruth {
    init(ipoptTruth: Swift.Bool) { self = ipoptTruth ? 1 : 0 }
    var isTrue: Swift.Bool { self != 0 }
}

extension Swift.Bool: IpoptTruth {
    init(ipoptTruth: Swift.Bool) { self = ipoptTruth }
    var isTrue: Swift.Bool { self }
}

/// What one Ipopt solve returned, before its status is interpreted.
struct IpoptRun {
    var status: Swift.Int
    var x: [Double]
    var objective: Double
    var constraintValues: [Double]
    var constraintMultipliers: [Double]
    var lowerBoundMultipliers: [Double]
    var upperBoundMultipliers: [Double]
    var iterations: Swift.Int
    var elapsed: Duration
}

/// The calls into Ipopt's C interface. Solves are serialised process-wide: the sequential MUMPS
/// linear solver Debian's Ipopt uses keeps global state, so two solves must never overlap.
enum IpoptBridge {
    private static let lock = NSLock()

    static func solve(_ program: any NonlinearProgram, settings: [(String, SolverOptions.Value)]) throws(OptimizerError) -> IpoptRun {
        lock.lock()
        defer { lock.unlock() }
        let n = program.variableCount
        let m = program.constraintCount
        var xL = program.variableLowerBounds.map(ipoptBound)
        var xU = program.variableUpperBounds.map(ipoptBound)
        var gL = program.constraintLowerBounds.map(ipoptBound)
        var gU = program.constraintUpperBounds.map(ipoptBound)
        let context = EvaluationContext(program: program)

        let handle: IpoptProblem? = xL.withUnsafeMutableBufferPointer { xL in
            xU.withUnsafeMutableBufferPointer { xU in
                gL.withUnsafeMutableBufferPointer { gL in
                    gU.withUnsafeMutableBufferPointer { gU in
                        CreateIpoptProblem(
                            Int32(n), xL.baseAddress, xU.baseAddress,
                            Int32(m), gL.baseAddress, gU.baseAddress,
                            Int32(context.jacobianStructure.count), Int32(context.hessianStructure.count),
                            0, evaluateObjective, evaluateConstraints, evaluateGradient, evaluateJacobian, evaluateHessian)
                    }
                }
            }
        }
        guard let handle else {
            throw OptimizerError(kind: .solverFailure, message: "Ipopt could not create the problem (\(n) variables, \(m) constraints)",
                              remedy: "check that Ipopt is installed correctly (scripts/setup.sh)")
        }
        defer { FreeIpoptProblem(handle) }
        try apply(settings, to: handle)
        _ = SetIntermediateCallback(handle, recordIteration)

        var x = program.startingPoint
        var g = [Double](repeating: 0, count: m)
        var objective = 0.0
        var multG = [Double](repeating: 0, count: m)
        var multL = [Double](repeating: 0, count: n)
        var multU = [Double](repeating: 0, count: n)
        let clock = ContinuousClock()
        let start = clock.now
        let status: Int32 = withExtendedLifetime(context) {
            let user = Unmanaged.passUnretained(context).toOpaque()
            return x.withUnsafeMutableBufferPointer { x in
                g.withUnsafeMutableBufferPointer { g in
                    multG.withUnsafeMutableBufferPointer { multG in
                        multL.withUnsafeMutableBufferPointer { multL in
                            multU.withUnsafeMutableBufferPointer { multU in
                                IpoptSolve(handle, x.baseAddress, g.baseAddress, &objective,
                                           multG.baseAddress, multL.baseAddress, multU.baseAddress, user).rawValue
                            }
                        }
                    }
                }
            }
        }
        return IpoptRun(status: Swift.Int(status), x: x, objective: objective, constraintValues: g, constraintMultipliers: multG,
                        lowerBoundMultipliers: multL, upperBoundMultipliers: multU, iterations: context.iterations,
                        elapsed: clock.now - start)
    }

    private static func apply(_ settings: [(String, SolverOptions.Value)], to handle: IpoptProblem) throws(OptimizerError) {
        for (name, value) in settings {
            var key = Array(name.utf8CString)
            let accepted: Swift.Bool = key.withUnsafeMutableBufferPointer { key in
                switch value {
                case .number(let number):
                    return AddIpoptNumOption(handle, key.baseAddress, number).isTrue
                case .integer(let integer):
                    return AddIpoptIntOption(handle, key.baseAddress, Int32(clamping: integer)).isTrue
                case .text(let text):
                    var text = Array(text.utf8CString)
                    return text.withUnsafeMutableBufferPointer { AddIpoptStrOption(handle, key.baseAddress, $0.baseAddress).isTrue }
                }
            }
            guard accepted else {
                throw OptimizerError(kind: .solverFailure, message: "Ipopt rejected the option \(name) = \(value)",
                                  remedy: "check the option's name and range in Ipopt's documentation")
            }
        }
    }

    /// Ipopt reads bounds beyond ±1e19 as infinite.
    private static func ipoptBound(_ value: Double) -> Double {
        if value == .infinity { return 2e19 }
        if value == -.infinity { return -2e19 }
        return value
    }
}

/// What the callbacks reach through Ipopt's user-data pointer. Lives for one solve, on one thread.
private final class EvaluationContext {
    let program: any NonlinearProgram
    let jacobianStructure: SparsityPattern
    let hessianStructure: SparsityPattern
    var iterations: Swift.Int = 0

    init(program: any NonlinearProgram) {
        self.program = program
        self.jacobianStructure = program.jacobianStructure
        self.hessianStructure = program.hessianStructure
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> EvaluationContext {
        Unmanaged<EvaluationContext>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

private func buffer(_ pointer: UnsafeMutablePointer<Double>?, _ count: Int32) -> UnsafeBufferPointer<Double> {
    UnsafeBufferPointer(start: pointer, count: Swift.Int(count))
}

private func mutableBuffer(_ pointer: UnsafeMutablePointer<Double>?, _ count: Int32) -> UnsafeMutableBufferPointer<Double> {
    UnsafeMutableBufferPointer(start: pointer, count: Swift.Int(count))
}

private func finite(_ values: UnsafeMutableBufferPointer<Double>) -> Swift.Bool {
    values.allSatisfy(\.isFinite)
}

private let evaluateObjective: Eval_F_CB = { n, x, _, value, user in
    let context = EvaluationContext.from(user)
    guard let result = context.program.objective(at: buffer(x, n)), result.isFinite, let value else {
        return .init(ipoptTruth: false)
    }
    value.pointee = result
    return .init(ipoptTruth: true)
}

private let evaluateGradient: Eval_Grad_F_CB = { n, x, _, gradient, user in
    let context = EvaluationContext.from(user)
    let out = mutableBuffer(gradient, n)
    return .init(ipoptTruth: context.program.gradient(at: buffer(x, n), into: out) && finite(out))
}

private let evaluateConstraints: Eval_G_CB = { n, x, _, m, g, user in
    let context = EvaluationContext.from(user)
    guard m > 0 else { return .init(ipoptTruth: true) }
    let out = mutableBuffer(g, m)
    return .init(ipoptTruth: context.program.constraints(at: buffer(x, n), into: out) && finite(out))
}

private let evaluateJacobian: Eval_Jac_G_CB = { n, x, _, _, count, rows, columns, values, user in
    let context = EvaluationContext.from(user)
    if let values {
        let out = mutableBuffer(values, count)
        return .init(ipoptTruth: context.program.jacobian(at: buffer(x, n), into: out) && finite(out))
    }
    let pattern = context.jacobianStructure
    for k in 0..<Swift.Int(count) {
        rows?[k] = pattern.rows[k]
        columns?[k] = pattern.columns[k]
    }
    return .init(ipoptTruth: true)
}

private let evaluateHessian: Eval_H_CB = { n, x, _, objectiveFactor, m, multipliers, _, count, rows, columns, values, user in
    let context = EvaluationContext.from(user)
    if let values {
        let out = mutableBuffer(values, count)
        let lambda = buffer(multipliers, m)
        return .init(ipoptTruth: context.program.hessian(at: buffer(x, n), objectiveFactor: objectiveFactor,
                                                          multipliers: lambda, into: out) && finite(out))
    }
    let pattern = context.hessianStructure
    for k in 0..<Swift.Int(count) {
        rows?[k] = pattern.rows[k]
        columns?[k] = pattern.columns[k]
    }
    return .init(ipoptTruth: true)
}

private let recordIteration: Intermediate_CB = { _, iteration, _, _, _, _, _, _, _, _, _, user in
    let context = EvaluationContext.from(user)
    context.iterations = max(context.iterations, Swift.Int(iteration))
    return .init(ipoptTruth: true)
}


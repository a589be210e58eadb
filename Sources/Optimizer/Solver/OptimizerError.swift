/// Why the optimiser could not deliver a portfolio (bad input, contradictory constraints, a solver failure),
/// said so the caller can act on it.
///
/// `kind` tells what went wrong in a way code can switch on (kinds may grow, so match with `==`);
/// `involved` names the constraints behind it where they can be identified (the ones still
/// violated at the point where an infeasible solve stopped, or the pair of settings that contradict).
public struct OptimizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A category of failure. A struct with static members, so new kinds can be added without breaking a `switch`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The input cannot be used: too little data, a symbol without prices, a parameter out of range.
        public static let invalidInput = Kind("invalid input")
        /// The constraints cannot all hold at once.
        public static let infeasible = Kind("infeasible")
        /// The objective decreases without bound over the feasible set.
        public static let unbounded = Kind("unbounded")
        /// The iteration limit was reached before convergence.
        public static let iterationLimit = Kind("iteration limit")
        /// The time limit was reached before convergence.
        public static let timeLimit = Kind("time limit")
        /// The solver stalled or met non-finite numbers: the problem is badly scaled or degenerate.
        public static let numericalTrouble = Kind("numerical trouble")
        /// The problem as stated cannot be solved (wrong sizes, bad bounds, too few degrees of freedom, an unusable input).
        public static let invalidProblem = Kind("invalid problem")
        /// The solver itself failed (out of memory, an internal error, an unknown option).
        public static let solverFailure = Kind("solver failure")
    }

    public var kind: Kind
    /// What happened, in one sentence.
    public var message: String
    /// Names of the constraints involved, most violated first, when they can be identified.
    public var involved: [String]
    /// What to do about it.
    public var remedy: String?
    /// Ipopt's return status, when the error comes from a solve.
    public var solverStatus: Int?
    /// Iterations done before the failure.
    public var iterations: Int

    public init(kind: Kind, message: String, involved: [String] = [], remedy: String? = nil,
                solverStatus: Int? = nil, iterations: Int = 0) {
        self.kind = kind
        self.message = message
        self.involved = involved
        self.remedy = remedy
        self.solverStatus = solverStatus
        self.iterations = iterations
    }

    public var description: String {
        var text = "\(kind): \(message)"
        if !involved.isEmpty { text += "; constraints involved: \(involved.joined(separator: ", "))" }
        if let remedy { text += " (\(remedy))" }
        return text
    }
}

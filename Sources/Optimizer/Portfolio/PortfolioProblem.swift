/// What a portfolio optimisation maximises or minimises.
///
/// All returns and volatilities are annual fractions (0.2 = 20%). In JSON an objective is an object
/// with a `kind` (the command-line name) and its parameters, e.g. `{"kind": "utility", "riskAversion": 2}`.
public enum PortfolioObjective: Sendable, Equatable, Codable {
    /// Minimise variance wᵀΣw.
    case minimumVariance
    /// Maximise the Sharpe ratio (μᵀw − r_f)/√(wᵀΣw), through the convex homogenised reformulation.
    case maximumSharpe
    /// Maximise μᵀw − (δ/2) wᵀΣw for risk aversion δ > 0.
    case utility(riskAversion: Double)
    /// Minimise variance subject to an expected return of at least `targetReturn`.
    case efficientReturn(targetReturn: Double)
    /// Maximise expected return subject to a volatility of at most `targetVolatility`.
    case efficientRisk(targetVolatility: Double)
    /// Equal risk contributions, or contributions proportional to `budgets` (one per asset, positive).
    case riskParity(budgets: [Double]?)

    /// The command-line and JSON name.
    public var name: String {
        switch self {
        case .minimumVariance: "min-variance"
        case .maximumSharpe: "max-sharpe"
        case .utility: "utility"
        case .efficientReturn: "efficient-return"
        case .efficientRisk: "efficient-risk"
        case .riskParity: "risk-parity"
        }
    }

    public static let names = ["min-variance", "max-sharpe", "utility", "efficient-return", "efficient-risk", "risk-parity"]

    private enum CodingKeys: String, CodingKey { case kind, riskAversion, target, riskBudgets }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "min-variance": self = .minimumVariance
        case "max-sharpe": self = .maximumSharpe
        case "utility": self = .utility(riskAversion: try container.decodeIfPresent(Double.self, forKey: .riskAversion) ?? 1)
        case "efficient-return": self = .efficientReturn(targetReturn: try container.decode(Double.self, forKey: .target))
        case "efficient-risk": self = .efficientRisk(targetVolatility: try container.decode(Double.self, forKey: .target))
        case "risk-parity": self = .riskParity(budgets: try container.decodeIfPresent([Double].self, forKey: .riskBudgets))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                debugDescription: "unknown objective '\(kind)'; use one of \(Self.names.joined(separator: ", "))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .kind)
        switch self {
        case .minimumVariance, .maximumSharpe: break
        case .utility(let riskAversion): try container.encode(riskAversion, forKey: .riskAversion)
        case .efficientReturn(let target): try container.encode(target, forKey: .target)
        case .efficientRisk(let target): try container.encode(target, forKey: .target)
        case .riskParity(let budgets): try container.encodeIfPresent(budgets, forKey: .riskBudgets)
        }
    }
}

/// A set of assets whose weights sum within `[minimum, maximum]` (a sector cap, say).
public struct AssetGroup: Sendable, Equatable, Codable {
    public var name: String
    /// Indices of the member assets.
    public var members: [Int]
    public var minimum: Double?
    public var maximum: Double?

    public init(name: String, members: [Int], minimum: Double? = nil, maximum: Double? = nil) {
        self.name = name
        self.members = members
        self.minimum = minimum
        self.maximum = maximum
    }
}

/// A cap on turnover Σᵢ|wᵢ − w⁰ᵢ| against the current weights w⁰ (cash not counted).
public struct TurnoverLimit: Sendable, Equatable, Codable {
    public var currentWeights: [Double]
    public var limit: Double

    public init(currentWeights: [Double], limit: Double) {
        self.currentWeights = currentWeights
        self.limit = limit
    }
}

/// The constraints every objective honours, by asset index.
public struct PortfolioConstraints: Sendable, Equatable {
    /// Per-asset lower bounds (0 for long-only; negative allows shorting).
    public var lowerBounds: [Double]
    /// Per-asset upper bounds.
    public var upperBounds: [Double]
    /// The range of Σwᵢ, the invested fraction; the rest is cash earning the risk-free rate.
    /// `1...1` is fully invested.
    public var invested: ClosedRange<Double>
    public var groups: [AssetGroup]
    public var turnover: TurnoverLimit?
    /// γ in the penalty γ‖w‖² added to the objective (PyPortfolioOpt's `L2_reg`); 0 for none.
    public var l2Penalty: Double

    public init(lowerBounds: [Double], upperBounds: [Double], invested: ClosedRange<Double> = 1...1,
                groups: [AssetGroup] = [], turnover: TurnoverLimit? = nil, l2Penalty: Double = 0) {
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
        self.invested = invested
        self.groups = groups
        self.turnover = turnover
        self.l2Penalty = l2Penalty
    }

    /// Long-only and fully invested, each weight in `[minimum, maximum]`.
    public static func longOnly(assets: Int, minimum: Double = 0, maximum: Double = 1) -> PortfolioConstraints {
        PortfolioConstraints(lowerBounds: Array(repeating: minimum, count: assets), upperBounds: Array(repeating: maximum, count: assets))
    }
}

/// A portfolio problem by asset index: estimates, objective and constraints.
public struct PortfolioProblem: Sendable, Equatable {
    /// Asset names, used in errors and diagnostics.
    public var names: [String]
    /// Annual expected returns μ.
    public var expectedReturns: [Double]
    /// Annual covariance Σ, positive semidefinite (every ``CovarianceEstimator`` guarantees it; with an
    /// indefinite matrix the variance objectives are not convex and Ipopt returns a local optimum).
    public var covariance: SymmetricMatrix
    /// Annual risk-free rate: cash earns it, and the Sharpe ratio is measured against it.
    public var riskFreeRate: Double
    public var objective: PortfolioObjective
    public var constraints: PortfolioConstraints

    public init(names: [String], expectedReturns: [Double], covariance: SymmetricMatrix, riskFreeRate: Double = 0,
                objective: PortfolioObjective, constraints: PortfolioConstraints) {
        self.names = names
        self.expectedReturns = expectedReturns
        self.covariance = covariance
        self.riskFreeRate = riskFreeRate
        self.objective = objective
        self.constraints = constraints
    }

    public var assetCount: Int { names.count }
}

/// A constraint that holds with equality at the solution.
public struct BindingConstraint: Sendable, Equatable, Codable {
    /// What kind of constraint: `min-weight`, `max-weight`, `budget`, `group-min`, `group-max`, `turnover`,
    /// `target-return`, `target-volatility`.
    public var kind: String
    /// The asset or group it applies to, when it applies to one.
    public var subject: String?
    /// The bound it sits on.
    public var bound: Double

    public init(kind: String, subject: String? = nil, bound: Double) {
        self.kind = kind
        self.subject = subject
        self.bound = bound
    }

    public var name: String { subject.map { "\(kind) \($0)" } ?? kind }
}

/// An optimal portfolio and what it looks like.
public struct PortfolioSolution: Sendable, Equatable {
    /// Weights by asset index.
    public var weights: [Double]
    /// 1 − Σw.
    public var cash: Double
    /// μᵀw + r_f·cash.
    public var expectedReturn: Double
    /// √(wᵀΣw).
    public var volatility: Double
    /// (expected return − r_f)/volatility; nil when the volatility is zero.
    public var sharpeRatio: Double?
    /// Each asset's share of the variance, wᵢ(Σw)ᵢ/wᵀΣw (they sum to 1); zeros for an all-cash portfolio.
    public var riskContributions: [Double]
    public var bindingConstraints: [BindingConstraint]
    /// Ipopt iterations over every solve the objective needed.
    public var iterations: Int
    public var solveTime: Duration
    public var quality: SolveQuality
    /// Remarks worth showing a user (a repaired covariance, risk parity constrained away from equal contributions…).
    public var notes: [String]
}

/// A weight range for one asset.
public struct WeightRange: Sendable, Equatable, Codable {
    public var min: Double?
    public var max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
}

/// A named set of symbols whose total weight is kept within `[min, max]` (a sector cap).
public struct GroupLimit: Sendable, Equatable, Codable {
    public var name: String
    public var symbols: [String]
    public var min: Double?
    public var max: Double?

    public init(name: String, symbols: [String], min: Double? = nil, max: Double? = nil) {
        self.name = name
        self.symbols = symbols
        self.min = min
        self.max = max
    }
}

/// The constraints of a request, by symbol. Every field may be left out of the JSON.
public struct ConstraintSpec: Sendable, Equatable, Codable {
    /// Lower bound of every weight (0: long-only; negative: shorting allowed). Default 0.
    public var minWeight: Double = 0
    /// Upper bound of every weight. Default 1.
    public var maxWeight: Double = 1
    /// Per-symbol bounds overriding `minWeight`/`maxWeight`.
    public var bounds: [String: WeightRange] = [:]
    /// Cash held at least / at most, as a fraction of the portfolio. Both 0 (the default): fully invested.
    public var minCash: Double = 0
    public var maxCash: Double = 0
    public var groups: [GroupLimit] = []
    /// The weights held now (symbols left out hold 0), for the turnover limit.
    public var currentWeights: [String: Double] = [:]
    /// Cap on Σ|w − w_current| (one-way sum of weight changes, cash not counted); none by default.
    public var maxTurnover: Double?
    /// γ in γ‖w‖², pulling weights towards equal; 0 by default.
    public var l2Penalty: Double = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case minWeight, maxWeight, bounds, minCash, maxCash, groups, currentWeights, maxTurnover, l2Penalty
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        minWeight = try c.decodeIfPresent(Double.self, forKey: .minWeight) ?? 0
        maxWeight = try c.decodeIfPresent(Double.self, forKey: .maxWeight) ?? 1
        bounds = try c.decodeIfPresent([String: WeightRange].self, forKey: .bounds) ?? [:]
        minCash = try c.decodeIfPresent(Double.self, forKey: .minCash) ?? 0
        maxCash = try c.decodeIfPresent(Double.self, forKey: .maxCash) ?? 0
        groups = try c.decodeIfPresent([GroupLimit].self, forKey: .groups) ?? []
        currentWeights = try c.decodeIfPresent([String: Double].self, forKey: .currentWeights) ?? [:]
        maxTurnover = try c.decodeIfPresent(Double.self, forKey: .maxTurnover)
        l2Penalty = try c.decodeIfPresent(Double.self, forKey: .l2Penalty) ?? 0
    }
}

/// Where the expected returns come from before views are blended in.
public enum ReturnPrior: Sendable, Equatable, Codable {
    /// Mean historical return over the window, compounded and annualised (the default).
    case meanHistorical
    /// Market-implied returns π = δΣw_mkt + r_f (the Black–Litterman equilibrium) from market weights.
    case marketImplied(marketWeights: [String: Double], riskAversion: Double)

    private enum CodingKeys: String, CodingKey { case method, marketWeights, riskAversion }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .method) {
        case "mean-historical": self = .meanHistorical
        case "market-implied":
            self = .marketImplied(marketWeights: try c.decode([String: Double].self, forKey: .marketWeights),
                                  riskAversion: try c.decodeIfPresent(Double.self, forKey: .riskAversion) ?? 1)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .method, in: c, debugDescription: "unknown return prior '\(other)'; use mean-historical or market-implied")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .meanHistorical:
            try c.encode("mean-historical", forKey: .method)
        case .marketImplied(let weights, let riskAversion):
            try c.encode("market-implied", forKey: .method)
            try c.encode(weights, forKey: .marketWeights)
            try c.encode(riskAversion, forKey: .riskAversion)
        }
    }
}

/// What the desk asks the optimiser: the universe, a point-in-time window, views, constraints and an objective.
///
/// Give either `prices` (rows oldest first, one entry per symbol, `null` before a listing) or `returns`
/// (simple returns, same shape). JSON keys left out take the defaults shown. For example:
///
///     {"symbols": ["AAPL", "MSFT", "XOM"],
///      "prices": [[150.1, 250.3, null], [151.0, 249.8, 60.2], …],
///      "objective": {"kind": "max-sharpe"},
///      "riskFreeRate": 0.02,
///      "estimator": {"method": "ledoit-wolf"},
///      "views": [{"weights": {"AAPL": 1, "MSFT": -1}, "expectedReturn": 0.03, "confidence": 0.6,
///                 "rationale": "services growth"}],
///      "constraints": {"maxWeight": 0.4, "maxCash": 0.1,
///                      "groups": [{"name": "tech", "symbols": ["AAPL", "MSFT"], "max": 0.6}],
///                      "currentWeights": {"AAPL": 0.5, "XOM": 0.5}, "maxTurnover": 0.5}}
public struct OptimizerRequest: Sendable, Equatable, Codable {
    public var symbols: [String]
    public var prices: [[Double?]]?
    public var returns: [[Double?]]?
    /// Row labels (dates) of `prices`/`returns`, used in messages only.
    public var dates: [String]?
    public var objective: PortfolioObjective
    /// Annual risk-free rate. Default 0.
    public var riskFreeRate: Double = 0
    /// Default: sample covariance.
    public var estimator: CovarianceEstimator = .sample
    /// Default: mean historical returns.
    public var prior: ReturnPrior = .meanHistorical
    public var views: [View] = []
    /// Default: Black–Litterman with τ = 0.05 and Idzorek confidences.
    public var viewBlend: ViewBlend = .blackLitterman
    public var constraints: ConstraintSpec = ConstraintSpec()
    /// Default 252 (daily data).
    public var periodsPerYear: Double = 252

    public init(symbols: [String], prices: [[Double?]]? = nil, returns: [[Double?]]? = nil, dates: [String]? = nil,
                objective: PortfolioObjective, riskFreeRate: Double = 0, estimator: CovarianceEstimator = .sample,
                prior: ReturnPrior = .meanHistorical, views: [View] = [], viewBlend: ViewBlend = .blackLitterman,
                constraints: ConstraintSpec = ConstraintSpec(), periodsPerYear: Double = 252) {
        self.symbols = symbols
        self.prices = prices
        self.returns = returns
        self.dates = dates
        self.objective = objective
        self.riskFreeRate = riskFreeRate
        self.estimator = estimator
        self.prior = prior
        self.views = views
        self.viewBlend = viewBlend
        self.constraints = constraints
        self.periodsPerYear = periodsPerYear
    }

    private enum CodingKeys: String, CodingKey {
        case symbols, prices, returns, dates, objective, riskFreeRate, estimator, prior, views, viewBlend, constraints, periodsPerYear
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        symbols = try c.decode([String].self, forKey: .symbols)
        prices = try c.decodeIfPresent([[Double?]].self, forKey: .prices)
        returns = try c.decodeIfPresent([[Double?]].self, forKey: .returns)
        dates = try c.decodeIfPresent([String].self, forKey: .dates)
        objective = try c.decode(PortfolioObjective.self, forKey: .objective)
        riskFreeRate = try c.decodeIfPresent(Double.self, forKey: .riskFreeRate) ?? 0
        estimator = try c.decodeIfPresent(CovarianceEstimator.self, forKey: .estimator) ?? .sample
        prior = try c.decodeIfPresent(ReturnPrior.self, forKey: .prior) ?? .meanHistorical
        views = try c.decodeIfPresent([View].self, forKey: .views) ?? []
        viewBlend = try c.decodeIfPresent(ViewBlend.self, forKey: .viewBlend) ?? .blackLitterman
        constraints = try c.decodeIfPresent(ConstraintSpec.self, forKey: .constraints) ?? ConstraintSpec()
        periodsPerYear = try c.decodeIfPresent(Double.self, forKey: .periodsPerYear) ?? 252
    }
}

import Foundation

/// One asset's line in an ``OptimizerResult``.
public struct Allocation: Sendable, Equatable, Codable {
    public var symbol: String
    public var weight: Double
    /// The asset's share of portfolio variance (the shares sum to 1).
    public var riskContribution: Double
    /// The annual expected return the optimiser used for the asset (after views).
    public var expectedReturn: Double
}

/// The optimiser's answer: target weights and what they look like.
public struct OptimizerResult: Sendable, Equatable, Codable {
    /// `optimal`, or `acceptable` when the solver stopped at its looser tolerance.
    public var status: SolveQuality
    public var objective: PortfolioObjective
    /// One line per requested symbol, in the request's order.
    public var allocations: [Allocation]
    public var cash: Double
    public var expectedReturn: Double
    public var volatility: Double
    /// Nil when the portfolio has no risk (all cash).
    public var sharpeRatio: Double?
    public var riskFreeRate: Double
    public var bindingConstraints: [BindingConstraint]
    public var iterations: Int
    /// Wall-clock seconds of the estimation and solve (varies between runs).
    public var solveSeconds: Double
    public var estimator: CovarianceEstimator
    public var covarianceRepaired: Bool
    public var shrinkage: Double?
    /// Return periods in the window.
    public var periods: Int
    public var notes: [String]

    /// Target weights by symbol.
    public var weights: [String: Double] {
        Dictionary(uniqueKeysWithValues: allocations.map { ($0.symbol, $0.weight) })
    }
}

/// A failed request, as the tool reports it.
public struct OptimizerFailure: Sendable, Equatable, Codable {
    /// The error kind, hyphenated: `infeasible`, `invalid-input`, `iteration-limit`, `numerical-trouble`, …
    public var status: String
    public var message: String
    public var involved: [String]
    public var remedy: String?

    public init(_ error: OptimizerError) {
        status = error.kind.description.replacingOccurrences(of: " ", with: "-")
        message = error.message
        involved = error.involved
        remedy = error.remedy
    }
}

/// What the tool hands back: a result or a failure, told apart by `status` in JSON.
public enum OptimizerToolOutput: Sendable, Equatable, Codable {
    case success(OptimizerResult)
    case failure(OptimizerFailure)

    private enum CodingKeys: String, CodingKey { case status }

    public init(from decoder: any Decoder) throws {
        let status = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .status)
        if status == SolveQuality.optimal.rawValue || status == SolveQuality.acceptable.rawValue {
            self = .success(try OptimizerResult(from: decoder))
        } else {
            self = .failure(try OptimizerFailure(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .success(let result): try result.encode(to: encoder)
        case .failure(let failure): try failure.encode(to: encoder)
        }
    }
}

/// The portfolio optimiser as the desk calls it: an ``OptimizerRequest`` in, an ``OptimizerResult`` out,
/// both plain JSON so the call can be journalled and replayed.
///
/// Pipeline: prices → simple returns → covariance (the request's estimator, annualised) and a return
/// prior (mean historical, or market-implied) → views blended in → the objective solved on Ipopt under
/// the constraints. Deterministic: the same request gives the same weights.
public struct OptimizerTool: Sendable {
    public static let name = "optimize_portfolio"
    public static let summary = "Target portfolio weights from a price window, views with confidences, constraints and an objective (min-variance, max-sharpe, utility, efficient-return, efficient-risk, risk-parity), solved with Ipopt."

    public var optimizer: PortfolioOptimizer

    public init(optimizer: PortfolioOptimizer = PortfolioOptimizer()) {
        self.optimizer = optimizer
    }

    /// Solves `request`, or throws an ``OptimizerError`` saying what was wrong.
    public func run(_ request: OptimizerRequest) throws(OptimizerError) -> OptimizerResult {
        let clock = ContinuousClock()
        let start = clock.now
        let prepared = try prepare(request)
        let solution = try optimizer.solve(prepared.problem)
        var notes = prepared.notes
        notes += solution.notes
        let allocations = request.symbols.indices.map { i in
            Allocation(symbol: request.symbols[i], weight: solution.weights[i],
                       riskContribution: solution.riskContributions[i], expectedReturn: prepared.problem.expectedReturns[i])
        }
        let elapsed = clock.now - start
        return OptimizerResult(status: solution.quality, objective: request.objective, allocations: allocations, cash: solution.cash,
                               expectedReturn: solution.expectedReturn, volatility: solution.volatility,
                               sharpeRatio: solution.sharpeRatio, riskFreeRate: request.riskFreeRate,
                               bindingConstraints: solution.bindingConstraints, iterations: solution.iterations,
                               solveSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                               estimator: request.estimator, covarianceRepaired: prepared.covariance.repaired,
                               shrinkage: prepared.covariance.shrinkage, periods: prepared.periods, notes: notes)
    }

    /// Solves `request`, folding any error into the output.
    public func respond(to request: OptimizerRequest) -> OptimizerToolOutput {
        do {
            return .success(try run(request))
        } catch {
            return .failure(OptimizerFailure(error))
        }
    }

    /// Reads a JSON request and answers with JSON (a result, or a failure with its `status`). Never throws.
    public func respond(toJSON data: Data) -> Data {
        do {
            return Self.encode(respond(to: try Self.decodeRequest(data)))
        } catch {
            return Self.encode(OptimizerToolOutput.failure(OptimizerFailure(error)))
        }
    }

    /// Decodes a request, turning a JSON mistake into an ``OptimizerError`` that names the key.
    public static func decodeRequest(_ data: Data) throws(OptimizerError) -> OptimizerRequest {
        do {
            return try JSONDecoder().decode(OptimizerRequest.self, from: data)
        } catch let error as DecodingError {
            throw OptimizerError(kind: .invalidInput, message: "the request is not valid: \(describe(error))",
                                 remedy: "see OptimizerRequest for the expected JSON")
        } catch {
            throw OptimizerError(kind: .invalidInput, message: "the request could not be read: \(error)")
        }
    }

    /// Deterministic JSON (sorted keys) for the journal.
    public static func encode(_ value: some Encodable, pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(value)) ?? Data("{\"status\":\"solver-failure\",\"message\":\"the output could not be encoded\",\"involved\":[]}".utf8)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "the key '\(key.stringValue)' is missing\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context)): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "expected \(type), found null\(path(context))"
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        @unknown default: return "\(error)"
        }
    }

    struct Prepared {
        var problem: PortfolioProblem
        var covariance: CovarianceEstimate
        var periods: Int
        var notes: [String]
    }

    /// The problem a request describes: estimates, views and constraints by asset index.
    func prepare(_ request: OptimizerRequest) throws(OptimizerError) -> Prepared {
        let symbols = request.symbols
        try validateSymbols(symbols)
        guard request.periodsPerYear > 0, request.periodsPerYear.isFinite else {
            throw OptimizerError(kind: .invalidInput, message: "periodsPerYear is \(request.periodsPerYear)", remedy: "use 252 for daily data")
        }
        let history: ReturnHistory
        switch (request.prices, request.returns) {
        case (let prices?, nil):
            history = try PriceHistory(symbols: symbols, dates: request.dates, rows: prices).returns()
        case (nil, let returns?):
            history = ReturnHistory(symbols: symbols, rows: returns)
        default:
            throw OptimizerError(kind: .invalidInput, message: "the request needs exactly one of prices and returns",
                                 remedy: "give a price window (rows oldest first) or a return window")
        }
        let covariance = try request.estimator.estimate(history, periodsPerYear: request.periodsPerYear)
        var notes: [String] = []
        if covariance.repaired { notes.append("the \(request.estimator.name) covariance was not positive semidefinite; negative eigenvalues were clipped to 0") }
        let index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        func position(_ symbol: String, _ field: String) throws(OptimizerError) -> Int {
            guard let i = index[symbol] else {
                throw OptimizerError(kind: .invalidInput, message: "\(field) names \(symbol), which is not among the symbols",
                                     remedy: "use only the request's symbols")
            }
            return i
        }

        let prior: [Double]
        switch request.prior {
        case .meanHistorical:
            prior = try ExpectedReturns.meanHistorical(history, periodsPerYear: request.periodsPerYear)
        case .marketImplied(let marketWeights, let riskAversion):
            var weights = [Double](repeating: 0, count: symbols.count)
            for (symbol, weight) in marketWeights { weights[try position(symbol, "prior.marketWeights")] = weight }
            prior = covariance.matrix.multiply(weights).map { riskAversion * $0 + request.riskFreeRate }
        }
        let expected = try request.viewBlend.apply(request.views, symbols: symbols, prior: prior, covariance: covariance.matrix)

        let spec = request.constraints
        var lower = [Double](repeating: spec.minWeight, count: symbols.count)
        var upper = [Double](repeating: spec.maxWeight, count: symbols.count)
        for (symbol, range) in spec.bounds {
            let i = try position(symbol, "constraints.bounds")
            if let min = range.min { lower[i] = min }
            if let max = range.max { upper[i] = max }
        }
        guard spec.minCash <= spec.maxCash, spec.minCash.isFinite, spec.maxCash.isFinite else {
            throw OptimizerError(kind: .infeasible, message: "minCash \(spec.minCash) is above maxCash \(spec.maxCash)",
                                 involved: ["budget"], remedy: "give minCash ≤ maxCash")
        }
        var groups: [AssetGroup] = []
        for group in spec.groups {
            var members: [Int] = []
            for symbol in group.symbols { members.append(try position(symbol, "group \(group.name)")) }
            groups.append(AssetGroup(name: group.name, members: members, minimum: group.min, maximum: group.max))
        }
        var turnover: TurnoverLimit?
        if let limit = spec.maxTurnover {
            var current = [Double](repeating: 0, count: symbols.count)
            for (symbol, weight) in spec.currentWeights { current[try position(symbol, "constraints.currentWeights")] = weight }
            turnover = TurnoverLimit(currentWeights: current, limit: limit)
        }
        let constraints = PortfolioConstraints(lowerBounds: lower, upperBounds: upper,
                                               invested: (1 - spec.maxCash)...(1 - spec.minCash),
                                               groups: groups, turnover: turnover, l2Penalty: spec.l2Penalty)
        let objective = request.objective
        if case .riskParity(let budgets?) = objective, budgets.count != symbols.count {
            throw OptimizerError(kind: .invalidInput, message: "\(budgets.count) risk budgets for \(symbols.count) symbols",
                                 remedy: "give one budget per symbol, in the symbols' order")
        }
        let problem = PortfolioProblem(names: symbols, expectedReturns: expected, covariance: covariance.matrix,
                                       riskFreeRate: request.riskFreeRate, objective: objective, constraints: constraints)
        return Prepared(problem: problem, covariance: covariance, periods: history.periodCount, notes: notes)
    }
}

import Foundation
import Market

/// A symbol's weight in a portfolio (fraction of equity).
public struct SymbolWeight: Sendable, Hashable, Codable {
    public var symbol: String
    public var weight: Double
    public init(symbol: String, weight: Double) { self.symbol = symbol; self.weight = weight }
}

/// The portfolio rules sizing must respect (the risk limits in code enforce them again afterwards).
public struct SizingConstraints: Sendable, Hashable, Codable {
    public var maxWeight: Double
    public var maxGross: Double
    public var cashBuffer: Double
    public var longOnly: Bool

    public init(maxWeight: Double, maxGross: Double, cashBuffer: Double, longOnly: Bool) {
        self.maxWeight = maxWeight
        self.maxGross = maxGross
        self.cashBuffer = cashBuffer
        self.longOnly = longOnly
    }

    public init(_ constraints: PortfolioConstraints) {
        self.init(maxWeight: constraints.maxWeight, maxGross: constraints.maxGross, cashBuffer: constraints.cashBuffer, longOnly: constraints.longOnly)
    }
}

/// What the portfolio manager asks the optimiser tool for: target weights for `symbols` given
/// views, risk appetite, the scenario's constraints and the current weights.
public struct ConstructionRequest: Sendable, Hashable, Codable {
    public var symbols: [String]
    public var views: [SymbolView]
    public var riskAppetite: Double
    /// Daily returns over this many sessions estimate risk (point-in-time, read by the tool).
    public var lookbackSessions: Int
    public var constraints: SizingConstraints
    public var currentWeights: [SymbolWeight]

    public init(symbols: [String], views: [SymbolView], riskAppetite: Double, lookbackSessions: Int = 60,
                constraints: SizingConstraints, currentWeights: [SymbolWeight]) {
        self.symbols = symbols
        self.views = views
        self.riskAppetite = riskAppetite
        self.lookbackSessions = lookbackSessions
        self.constraints = constraints
        self.currentWeights = currentWeights
    }
}

/// Target weights and how they were found.
public struct ConstructionResult: Sendable, Hashable, Codable {
    public var weights: [SymbolWeight]
    /// The sizing method, e.g. `tilted-inverse-volatility`.
    public var method: String
    /// Ex-ante annualised volatility of the target portfolio from the sample covariance of the window, when estimable.
    public var expectedVolatility: Double?
    /// Share of equity left in cash.
    public var cash: Double
    /// Constraints that bound the answer and other remarks.
    public var notes: [String]

    public init(weights: [SymbolWeight], method: String, expectedVolatility: Double?, cash: Double, notes: [String]) {
        self.weights = weights
        self.method = method
        self.expectedVolatility = expectedVolatility
        self.cash = cash
        self.notes = notes
    }

    public var targets: TargetWeights { TargetWeights(Dictionary(weights.map { ($0.symbol, $0.weight) }, uniquingKeysWith: { a, _ in a })) }
}

/// Sizes views into target weights: "the model decides direction, the maths decides size".
///
/// ``OptimizerConstructor`` (Black–Litterman and mean-variance utility on Ipopt) is the default;
/// ``TiltConstructor`` is the simple rule it falls back on. Either plugs in here and is reached
/// through the `optimizer` tool.
public protocol PortfolioConstructor: Sendable {
    var name: String { get }
    /// `returns` holds each symbol's daily returns over the request's window, oldest first, all
    /// ending at the decision (symbols with too little history have shorter or empty arrays).
    func construct(_ request: ConstructionRequest, returns: [String: [Double]]) throws -> ConstructionResult
}

/// The desk's sizing rule: tilted inverse volatility, normalised to the risk appetite, capped.
///
/// 1. Each symbol's base weight is 1/σ, σ the sample standard deviation of its daily returns over
///    the window (the median σ of the others when it has fewer than 5 returns).
/// 2. A view tilts it: base × (1 + tilt × confidence), so a full-confidence −1 tilt removes the
///    symbol and a +1 tilt doubles it. Symbols without a view keep their base.
/// 3. The weights are scaled to sum to risk appetite × min(max gross, 1 − cash buffer).
/// 4. Weights above max weight are capped and the excess spread over the others in proportion
///    (repeatedly); what cannot be placed stays in cash. Long only: shorts need the optimiser.
public struct TiltConstructor: PortfolioConstructor {
    public let name = "tilted-inverse-volatility"
    public init() {}

    public func construct(_ request: ConstructionRequest, returns: [String: [Double]]) throws -> ConstructionResult {
        let symbols = request.symbols
        guard !symbols.isEmpty else {
            return ConstructionResult(weights: [], method: name, expectedVolatility: nil, cash: 1, notes: ["no symbols to size"])
        }
        var notes: [String] = []
        var sigma: [String: Double] = [:]
        for symbol in symbols {
            let r = returns[symbol] ?? []
            if r.count >= 5 {
                let s = TiltConstructor.sampleStandardDeviation(r)
                if s > 0 { sigma[symbol] = s }
            }
        }
        let known = sigma.values.sorted()
        let median = known.isEmpty ? 0.01 : known[known.count / 2]
        for symbol in symbols where sigma[symbol] == nil {
            sigma[symbol] = median
            notes.append("\(symbol): too little history, median volatility used")
        }
        let views = Dictionary(request.views.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
        for view in request.views where !symbols.contains(view.symbol) {
            notes.append("view on \(view.symbol) ignored: not in the universe")
        }
        var raw: [String: Double] = [:]
        for symbol in symbols {
            let score = views[symbol].map { $0.tilt.clamped(-1, 1) * $0.confidence.clamped(0, 1) } ?? 0
            raw[symbol] = max(0, 1 + score) / sigma[symbol]!
        }
        let constraints = request.constraints
        let budget = request.riskAppetite.clamped(0, 1) * max(0, min(constraints.maxGross, 1 - constraints.cashBuffer))
        let total = symbols.reduce(0) { $0 + raw[$1]! }
        var weights: [String: Double] = [:]
        if total > 0, budget > 0 {
            weights = Self.capped(raw.mapValues { $0 / total * budget }, raw: raw, cap: max(0, constraints.maxWeight), notes: &notes)
        } else {
            notes.append(budget <= 0 ? "risk appetite is zero: all cash" : "every symbol tilted out: all cash")
        }
        let ordered = symbols.map { SymbolWeight(symbol: $0, weight: weights[$0] ?? 0) }
        let invested = ordered.reduce(0) { $0 + $1.weight }
        return ConstructionResult(weights: ordered, method: name,
                                  expectedVolatility: Self.volatility(ordered, returns: returns),
                                  cash: 1 - invested, notes: notes)
    }

    /// Caps weights at `cap`, spreading the excess over uncapped names in proportion to `raw`.
    static func capped(_ start: [String: Double], raw: [String: Double], cap: Double, notes: inout [String]) -> [String: Double] {
        var weights = start
        var capped: Set<String> = []
        for _ in 0..<(start.count + 1) {
            let over = weights.filter { $0.value > cap + 1e-12 }.keys.sorted()
            guard !over.isEmpty else { break }
            var excess = 0.0
            for symbol in over {
                excess += weights[symbol]! - cap
                weights[symbol] = cap
                capped.insert(symbol)
            }
            let free = weights.keys.sorted().filter { !capped.contains($0) && raw[$0]! > 0 }
            let freeRaw = free.reduce(0) { $0 + raw[$1]! }
            guard freeRaw > 0 else { break }
            for symbol in free { weights[symbol]! += excess * raw[symbol]! / freeRaw }
        }
        if !capped.isEmpty { notes.append("max weight \(JSONNumber.text(cap)) binds for \(capped.sorted().joined(separator: ", "))") }
        return weights
    }

    /// Sample standard deviation (n − 1); 0 for fewer than two values.
    static func sampleStandardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return sqrt(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1))
    }

    /// Annualised ex-ante volatility from the sample covariance over the common tail of the windows.
    static func volatility(_ weights: [SymbolWeight], returns: [String: [Double]]) -> Double? {
        let held = weights.filter { $0.weight != 0 }
        guard !held.isEmpty else { return 0 }
        let length = held.map { returns[$0.symbol]?.count ?? 0 }.min() ?? 0
        guard length >= 5 else { return nil }
        let series = held.map { Array(returns[$0.symbol]!.suffix(length)) }
        let means = series.map { $0.reduce(0, +) / Double(length) }
        var variance = 0.0
        for i in held.indices {
            for j in held.indices {
                var cov = 0.0
                for t in 0..<length { cov += (series[i][t] - means[i]) * (series[j][t] - means[j]) }
                variance += held[i].weight * held[j].weight * cov / Double(length - 1)
            }
        }
        return sqrt(max(0, variance) * 252)
    }
}

/// `optimizer`: sizes the portfolio manager's views into target weights with the desk's
/// ``PortfolioConstructor`` (``OptimizerConstructor`` on Ipopt by default), reading the return
/// window through the point-in-time feed.
public struct SizingTool: Tool {
    public typealias Input = ConstructionRequest
    public typealias Output = ConstructionResult

    public let name = ToolName.optimizer
    public var summary: String { "sizes views into target weights within the limits (\(constructor.name))" }
    public let constructor: any PortfolioConstructor

    public init(constructor: any PortfolioConstructor = OptimizerConstructor()) { self.constructor = constructor }

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        var returns: [String: [Double]] = [:]
        let window = max(2, min(input.lookbackSessions, 1000))
        for symbol in input.symbols {
            let closes = try context.feed.closes(symbol, last: window + 1)
            returns[symbol] = zip(closes, closes.dropFirst()).map { $1 / $0 - 1 }
        }
        return try constructor.construct(input, returns: returns)
    }
}

/// Short, locale-independent number text for prompts and notes.
enum JSONNumber {
    static func text(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.4g", x)
    }
}

import LanguageModel

/// The fields a stage's output must carry for the desk to act on it. Analysis outputs are free
/// (they reach later prompts as written); decision, review and execution outputs are read into
/// the typed values below, so a desk-file role of those stages must declare these fields.
public enum StageContract {
    /// Why `schema` cannot serve `stage`, or nil when it can.
    public static func problem(with schema: OutputSchema, stage: RoleStage) -> String? {
        switch stage {
        case .analysis:
            return nil
        case .decision:
            if let views = schema.property("views") {
                guard case let .array(item, _, _) = views, item.property("symbol") != nil, item.property("tilt") != nil else {
                    return "a decision role's 'views' must be a list of objects with 'symbol', 'tilt' (-1…1) and optionally 'confidence' (0…1)"
                }
                return nil
            }
            if schema.property("overweight") != nil || schema.property("underweight") != nil { return nil }
            return "a decision role's output needs 'views' (list of {symbol, tilt, confidence}) or 'overweight'/'underweight' (lists of symbols), optionally 'confidence' and 'risk_appetite'"
        case .review:
            guard case let .string(choices, _, _)? = schema.property("action"), let choices,
                  Set(choices).isSubset(of: ["approve", "scale", "veto"]) else {
                return "a review role's output needs 'action' with values among approve, scale, veto (and 'scale' 0…1 for scaling)"
            }
            return nil
        case .execution:
            guard case let .array(item, _, _)? = schema.property("orders"), item.property("symbol") != nil, item.property("type") != nil else {
                return "an execution role's output needs 'orders': a list of {symbol, type (market|limit), limit_price?, days?}"
            }
            return nil
        }
    }
}

extension OutputSchema {
    /// The schema of the object property `name`, if this is an object that declares it.
    public func property(_ name: String) -> OutputSchema? {
        guard case let .object(properties, _) = self else { return nil }
        return properties.first { $0.name == name }?.schema
    }
}

/// A portfolio manager's view on one symbol: a tilt of expected return and how sure it is.
public struct SymbolView: Sendable, Hashable, Codable {
    public var symbol: String
    /// −1 (strongly under-weight) … +1 (strongly over-weight).
    public var tilt: Double
    /// 0 (no confidence) … 1.
    public var confidence: Double

    public init(symbol: String, tilt: Double, confidence: Double) {
        self.symbol = symbol
        self.tilt = tilt
        self.confidence = confidence
    }
}

/// What a decision role concluded: views and how much risk to take.
public struct PortfolioViews: Sendable, Hashable, Codable {
    public var views: [SymbolView]
    /// Fraction of the investable equity to put to work, 0…1.
    public var riskAppetite: Double

    public init(views: [SymbolView], riskAppetite: Double) {
        self.views = views
        self.riskAppetite = riskAppetite
    }

    /// No views and full risk appetite: the sizing rule's neutral portfolio.
    public static let neutral = PortfolioViews(views: [], riskAppetite: 1)

    /// Reads a validated decision output: `views` as a list of `{symbol, tilt, confidence}`, or
    /// `overweight` / `underweight` lists of symbols sharing one `confidence`. Values outside
    /// their ranges are clamped; a symbol named twice keeps its first view.
    public init(output: JSONValue) {
        var views: [SymbolView] = []
        var seen: Set<String> = []
        func add(_ symbol: String, _ tilt: Double, _ confidence: Double) {
            guard seen.insert(symbol).inserted else { return }
            views.append(SymbolView(symbol: symbol, tilt: tilt.clamped(-1, 1), confidence: confidence.clamped(0, 1)))
        }
        let shared = output["confidence"]?.numberValue ?? 1
        for item in output["views"]?.arrayValue ?? [] {
            guard let symbol = item["symbol"]?.stringValue, let tilt = item["tilt"]?.numberValue else { continue }
            add(symbol, tilt, item["confidence"]?.numberValue ?? shared)
        }
        for symbol in output["overweight"]?.arrayValue?.compactMap(\.stringValue) ?? [] { add(symbol, 1, shared) }
        for symbol in output["underweight"]?.arrayValue?.compactMap(\.stringValue) ?? [] { add(symbol, -1, shared) }
        self.init(views: views, riskAppetite: (output["risk_appetite"]?.numberValue ?? 1).clamped(0, 1))
    }
}

/// A review role's verdict on the move to the targets.
public struct ReviewVerdict: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable { case approve, scale, veto }
    public var action: Action
    /// For `scale`: the fraction of the move (from the current weights to the targets) to keep, 0…1.
    public var scale: Double
    public var reason: String

    public init(action: Action, scale: Double = 1, reason: String) {
        self.action = action
        self.scale = scale
        self.reason = reason
    }

    /// Reads a validated review output. A `scale` action without a usable `scale` keeps half the move.
    public init(output: JSONValue) {
        let action = Action(rawValue: output["action"]?.stringValue ?? "") ?? .approve
        let scale = action == .scale ? (output["scale"]?.numberValue ?? 0.5).clamped(0, 1) : (action == .veto ? 0 : 1)
        let reason = output["reason"]?.stringValue ?? output["rationale"]?.stringValue ?? ""
        self.init(action: action, scale: scale, reason: reason)
    }
}

/// How an execution role wants one symbol's move traded.
public struct ExecutionInstruction: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case market, limit }
    public var symbol: String
    public var kind: Kind
    /// For limit orders: the limit price (the desk keeps it within a band around the last close).
    public var limitPrice: Double?
    /// Spread the move over this many decisions: send 1/days of it now (1…5).
    public var days: Int

    public init(symbol: String, kind: Kind, limitPrice: Double? = nil, days: Int = 1) {
        self.symbol = symbol
        self.kind = kind
        self.limitPrice = limitPrice
        self.days = days
    }

    /// Reads a validated execution output's `orders`; the first instruction per symbol counts.
    public static func list(from output: JSONValue) -> [ExecutionInstruction] {
        var seen: Set<String> = []
        var result: [ExecutionInstruction] = []
        for item in output["orders"]?.arrayValue ?? [] {
            guard let symbol = item["symbol"]?.stringValue, seen.insert(symbol).inserted else { continue }
            let kind = Kind(rawValue: item["type"]?.stringValue ?? "") ?? .market
            let days = Int((item["days"]?.numberValue ?? 1).clamped(1, 5))
            result.append(ExecutionInstruction(symbol: symbol, kind: kind, limitPrice: item["limit_price"]?.numberValue, days: days))
        }
        return result
    }
}

extension Double {
    func clamped(_ low: Double, _ high: Double) -> Double {
        guard isFinite else { return Swift.min(high, Swift.max(low, 0)) }
        return Swift.min(high, Swift.max(low, self))
    }
}

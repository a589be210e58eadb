import Market

/// Identifies an order within one run; assigned by the exchange in submission order.
public struct OrderID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public static func < (lhs: OrderID, rhs: OrderID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "#\(rawValue)" }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

public enum Side: String, Sendable, Hashable, Codable {
    case buy, sell
    /// +1 for buys, −1 for sells.
    public var sign: Double { self == .buy ? 1 : -1 }
}

/// How an order's price is determined.
public enum OrderKind: Sendable, Hashable, Codable {
    /// At the next fill opportunity, whatever the price.
    case market
    /// At `price` or better.
    case limit(price: Double)
    /// Becomes a market order once the price trades through `trigger`.
    case stop(trigger: Double)
    /// Becomes a limit order at `limit` once the price trades through `trigger`.
    case stopLimit(trigger: Double, limit: Double)

    public var name: String {
        switch self {
        case .market: return "market"
        case .limit: return "limit"
        case .stop: return "stop"
        case .stopLimit: return "stop_limit"
        }
    }
    public var limitPrice: Double? {
        switch self {
        case let .limit(price): return price
        case let .stopLimit(_, limit): return limit
        default: return nil
        }
    }
    public var triggerPrice: Double? {
        switch self {
        case let .stop(trigger), let .stopLimit(trigger, _): return trigger
        default: return nil
        }
    }
}

public enum TimeInForce: String, Sendable, Hashable, Codable {
    /// Expires at the end of the first session it could fill in.
    case day
    /// Good till cancelled (or the scenario's end).
    case gtc
}

/// The four ways an order's price can be set, as agents and the journal name them.
public enum OrderType: String, Sendable, Hashable, Codable, CaseIterable {
    case market, limit, stop
    case stopLimit = "stop_limit"
}

extension OrderKind {
    public var type: OrderType {
        switch self {
        case .market: return .market
        case .limit: return .limit
        case .stop: return .stop
        case .stopLimit: return .stopLimit
        }
    }
}

/// An order as an agent or a tool writes it, before validation: the wire form of ``OrderRequest``.
///
/// Its JSON uses snake_case keys: `symbol`, `side`, `quantity`, `type`, `limit_price`, `stop_price`,
/// `time_in_force` (default `day`), `tag`. A ticket can say things a typed ``OrderRequest`` cannot (a
/// price on a market order, a limit order without one); ``MockExchange/submit(ticket:on:lastClose:)``
/// turns those into journalled rejections with a reason, never a crash.
public struct OrderTicket: Sendable, Hashable, Codable {
    public var symbol: String
    public var side: Side
    public var quantity: Double
    public var type: OrderType
    public var limitPrice: Double?
    public var stopPrice: Double?
    public var timeInForce: TimeInForce?
    public var tag: String?

    public init(symbol: String, side: Side, quantity: Double, type: OrderType = .market, limitPrice: Double? = nil, stopPrice: Double? = nil,
                timeInForce: TimeInForce? = nil, tag: String? = nil) {
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.type = type
        self.limitPrice = limitPrice
        self.stopPrice = stopPrice
        self.timeInForce = timeInForce
        self.tag = tag
    }

    /// The ticket of an order request (the wire form of what the request says).
    public init(_ request: OrderRequest) {
        let type: OrderType
        switch request.kind {
        case .market: type = .market
        case .limit: type = .limit
        case .stop: type = .stop
        case .stopLimit: type = .stopLimit
        }
        self.init(symbol: request.symbol, side: request.side, quantity: request.quantity, type: type, limitPrice: request.kind.limitPrice,
                  stopPrice: request.kind.triggerPrice, timeInForce: request.timeInForce, tag: request.tag)
    }

    /// Keys are written in snake_case. They are read in snake_case or camelCase, so a ticket decodes the
    /// same under a plain decoder and under one that converts keys from snake_case first.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ stringValue: String) { self.stringValue = stringValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func key(_ snake: String, _ camel: String) -> Key { container.contains(Key(snake)) ? Key(snake) : Key(camel) }
        symbol = try container.decode(String.self, forKey: Key("symbol"))
        side = try container.decode(Side.self, forKey: Key("side"))
        quantity = try container.decode(Double.self, forKey: Key("quantity"))
        type = try container.decodeIfPresent(OrderType.self, forKey: Key("type")) ?? .market
        limitPrice = try container.decodeIfPresent(Double.self, forKey: key("limit_price", "limitPrice"))
        stopPrice = try container.decodeIfPresent(Double.self, forKey: key("stop_price", "stopPrice"))
        timeInForce = try container.decodeIfPresent(TimeInForce.self, forKey: key("time_in_force", "timeInForce"))
        tag = try container.decodeIfPresent(String.self, forKey: Key("tag"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(symbol, forKey: Key("symbol"))
        try container.encode(side, forKey: Key("side"))
        try container.encode(quantity, forKey: Key("quantity"))
        try container.encode(type, forKey: Key("type"))
        try container.encodeIfPresent(limitPrice, forKey: Key("limit_price"))
        try container.encodeIfPresent(stopPrice, forKey: Key("stop_price"))
        try container.encodeIfPresent(timeInForce, forKey: Key("time_in_force"))
        try container.encodeIfPresent(tag, forKey: Key("tag"))
    }

    /// The typed request this ticket asks for, or why it is malformed (prices that do not match the type).
    public func request() -> Result<OrderRequest, OrderRejection> {
        func make(_ kind: OrderKind) -> Result<OrderRequest, OrderRejection> {
            .success(OrderRequest(symbol: symbol, side: side, quantity: quantity, kind: kind, timeInForce: timeInForce ?? .day, tag: tag))
        }
        switch type {
        case .market:
            if let limitPrice {
                return .failure(.malformed("a market order takes no price (limit_price \(limitPrice) was given); send a limit order to bound the price"))
            }
            if let stopPrice {
                return .failure(.malformed("a market order takes no price (stop_price \(stopPrice) was given); send a stop order to trigger at a price"))
            }
            return make(.market)
        case .limit:
            guard let limitPrice else { return .failure(.malformed("a limit order needs a limit_price")) }
            if let stopPrice { return .failure(.malformed("a limit order takes no stop_price (\(stopPrice) was given); use type stop_limit")) }
            return make(.limit(price: limitPrice))
        case .stop:
            guard let stopPrice else { return .failure(.malformed("a stop order needs a stop_price")) }
            if let limitPrice { return .failure(.malformed("a stop order takes no limit_price (\(limitPrice) was given); use type stop_limit")) }
            return make(.stop(trigger: stopPrice))
        case .stopLimit:
            guard let stopPrice, let limitPrice else { return .failure(.malformed("a stop_limit order needs both a stop_price and a limit_price")) }
            return make(.stopLimit(trigger: stopPrice, limit: limitPrice))
        }
    }

    /// The request recorded for a ticket that was rejected as malformed: its type, with a missing price recorded as 0.
    var recordedRequest: OrderRequest {
        let kind: OrderKind
        switch type {
        case .market: kind = .market
        case .limit: kind = .limit(price: limitPrice ?? 0)
        case .stop: kind = .stop(trigger: stopPrice ?? 0)
        case .stopLimit: kind = .stopLimit(trigger: stopPrice ?? 0, limit: limitPrice ?? 0)
        }
        return OrderRequest(symbol: symbol, side: side, quantity: quantity, kind: kind, timeInForce: timeInForce ?? .day, tag: tag)
    }
}

/// Why the exchange refused an order. Its ``reason`` is what the journal's `rejected` event says.
public struct OrderRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule that refused the order, for tests and tallies (the reason is for people).
    public enum Rule: String, Sendable, Hashable, Codable, CaseIterable {
        case unknownSymbol = "unknown_symbol"
        case invalidQuantity = "invalid_quantity"
        case fractionalQuantity = "fractional_quantity"
        case malformed
        case invalidPrice = "invalid_price"
        case afterScenarioEnd = "after_scenario_end"
        case shortSale = "short_sale"
        case insufficientCash = "insufficient_cash"
        case notOpen = "not_open"
        case replacementMismatch = "replacement_mismatch"
    }
    public var rule: Rule
    public var reason: String

    public init(_ rule: Rule, _ reason: String) {
        self.rule = rule
        self.reason = reason
    }

    static func malformed(_ reason: String) -> OrderRejection { OrderRejection(.malformed, reason) }

    public var description: String { reason }
}

/// What a trader asks the exchange to do.
public struct OrderRequest: Sendable, Hashable, Codable {
    public var symbol: String
    public var side: Side
    /// Shares; must be positive and finite.
    public var quantity: Double
    public var kind: OrderKind
    public var timeInForce: TimeInForce
    /// Free text carried to the journal (e.g. the role that sent it).
    public var tag: String?

    public init(symbol: String, side: Side, quantity: Double, kind: OrderKind = .market, timeInForce: TimeInForce = .day, tag: String? = nil) {
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.kind = kind
        self.timeInForce = timeInForce
        self.tag = tag
    }
}

public enum OrderStatus: String, Sendable, Hashable, Codable {
    case accepted
    case partiallyFilled = "partially_filled"
    case filled
    case cancelled
    case expired
    case rejected
    /// Cancelled and superseded by another order in one atomic step (see ``MockExchange/replace(_:with:on:lastClose:)``).
    case replaced

    public var isOpen: Bool { self == .accepted || self == .partiallyFilled }
}

/// An order as the exchange holds it.
public struct Order: Sendable, Hashable, Codable {
    public var id: OrderID
    public var request: OrderRequest
    /// The session after whose close it was submitted.
    public var submittedOn: Day
    public var status: OrderStatus
    public var filledQuantity: Double
    /// Volume-weighted fill price so far (0 before the first fill).
    public var averageFillPrice: Double
    /// Whether a stop order's trigger has been reached.
    public var triggered: Bool

    public init(id: OrderID, request: OrderRequest, submittedOn: Day, status: OrderStatus = .accepted, filledQuantity: Double = 0, averageFillPrice: Double = 0, triggered: Bool = false) {
        self.id = id
        self.request = request
        self.submittedOn = submittedOn
        self.status = status
        self.filledQuantity = filledQuantity
        self.averageFillPrice = averageFillPrice
        self.triggered = triggered
    }

    public var remainingQuantity: Double { request.quantity - filledQuantity }
}

/// One step in an order's life, in the order the exchange took them.
public struct OrderEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case submitted, accepted, rejected
        case partiallyFilled = "partially_filled"
        case filled, cancelled, expired, replaced
    }
    public var orderID: OrderID
    public var day: Day
    public var kind: Kind
    /// Quantity filled by this event (fills), or the order's quantity (submission).
    public var quantity: Double?
    public var price: Double?
    /// Why: a rejection's reason, a cancellation's cause.
    public var reason: String?

    public init(orderID: OrderID, day: Day, kind: Kind, quantity: Double? = nil, price: Double? = nil, reason: String? = nil) {
        self.orderID = orderID
        self.day = day
        self.kind = kind
        self.quantity = quantity
        self.price = price
        self.reason = reason
    }
}

/// An execution: shares that changed hands, at what price and cost.
public struct Fill: Sendable, Hashable, Codable {
    public var orderID: OrderID
    public var day: Day
    public var symbol: String
    public var side: Side
    public var quantity: Double
    /// Price paid or received per share, slippage included.
    public var price: Double
    /// The market price the fill was based on (open, close or limit) before slippage.
    public var referencePrice: Double
    public var commission: Double
    /// Cost of slippage: |price − referencePrice| × quantity.
    public var slippageCost: Double

    public init(orderID: OrderID, day: Day, symbol: String, side: Side, quantity: Double, price: Double, referencePrice: Double, commission: Double, slippageCost: Double) {
        self.orderID = orderID
        self.day = day
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.price = price
        self.referencePrice = referencePrice
        self.commission = commission
        self.slippageCost = slippageCost
    }

    /// Cash paid (negative) or received (positive), commission included.
    public var cashFlow: Double { -side.sign * quantity * price - commission }
}

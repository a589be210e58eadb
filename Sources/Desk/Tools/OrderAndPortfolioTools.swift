import Exchange
import Market

/// `submit_order`: queues an order. The orchestrator checks it against the plan and the risk
/// limits after the decision and sends it to the exchange, which fills it from the next session.
public struct SubmitOrderTool: Tool {
    public typealias Input = OrderTicket
    public struct Output: Sendable, Hashable, Codable {
        public var ticket: Int
        public var status: String
    }
    public let name = ToolName.submitOrder
    public let summary = "queue an order (market, limit, stop, stop-limit); checked in code, then sent after the close"
    public init() {}

    public func run(_ input: OrderTicket, context: ToolContext) async throws -> Output {
        let request: OrderRequest
        switch input.request() {
        case let .success(valid): request = valid
        case let .failure(rejection): throw ToolCallError(kind: .failed, message: rejection.reason)
        }
        guard request.quantity.isFinite, request.quantity > 0 else {
            throw ToolCallError(kind: .failed, message: "quantity \(request.quantity) is not a positive number")
        }
        let ticket = await context.blotter.queue(request)
        return Output(ticket: ticket, status: "queued: risk checks, then the exchange after the close")
    }
}

/// `cancel_order`: asks to cancel an open order.
public struct CancelOrderTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var orderId: Int
        public init(orderId: Int) { self.orderId = orderId }
    }
    public struct Output: Sendable, Hashable, Codable { public var status: String }
    public let name = ToolName.cancelOrder
    public let summary = "cancel an open order"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let id = OrderID(input.orderId)
        guard context.book.openOrders.contains(where: { $0.id == id }) else {
            throw ToolCallError(kind: .failed, message: "order \(id) is not open")
        }
        let queued = await context.blotter.queueCancellation(id)
        return Output(status: queued ? "cancellation queued" : "cancellation already queued")
    }
}

/// An open order as `order_status` reports it.
public struct OrderState: Sendable, Hashable, Codable {
    public var id: Int
    public var symbol: String
    public var side: String
    public var type: String
    public var quantity: Double
    public var filled: Double
    public var limitPrice: Double?
    public var status: String
    public var submittedOn: Day
}

/// `order_status`: the desk's open orders at the decision.
public struct OrderStatusTool: Tool {
    public struct Input: Sendable, Hashable, Codable { public init() {} }
    public struct Output: Sendable, Hashable, Codable { public var openOrders: [OrderState] }
    public let name = ToolName.orderStatus
    public let summary = "the open orders and how much of each has filled"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        Output(openOrders: context.book.openOrders.map { order in
            OrderState(id: order.id.rawValue, symbol: order.request.symbol, side: order.request.side.rawValue, type: order.request.kind.name,
                       quantity: order.request.quantity, filled: order.filledQuantity, limitPrice: order.request.kind.limitPrice,
                       status: order.status.rawValue, submittedOn: order.submittedOn)
        })
    }
}

/// A position as the portfolio tools report it.
public struct PositionView: Sendable, Hashable, Codable {
    public var symbol: String
    public var quantity: Double
    public var price: Double
    public var value: Double
    public var weight: Double
    public var averageCost: Double
}

/// `book`: cash, equity, positions and weights at the decision's close.
public struct BookTool: Tool {
    public struct Input: Sendable, Hashable, Codable { public init() {} }
    public struct Output: Sendable, Hashable, Codable {
        public var cash: Double
        public var equity: Double
        public var positions: [PositionView]
        public var openOrders: Int
    }
    public let name = ToolName.book
    public let summary = "cash, equity, positions and weights"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let book = context.book
        let positions = book.positions.keys.sorted().map { symbol in
            let p = book.positions[symbol]!
            return PositionView(symbol: symbol, quantity: p.quantity, price: p.lastPrice, value: p.marketValue,
                                weight: book.weight(of: symbol), averageCost: p.averageCost)
        }
        return Output(cash: book.cash, equity: book.equity, positions: positions, openOrders: book.openOrders.count)
    }
}

/// `pnl`: profit and loss per position and in total since the start.
public struct PnLTool: Tool {
    public struct Input: Sendable, Hashable, Codable { public init() {} }
    public struct Line: Sendable, Hashable, Codable {
        public var symbol: String
        public var unrealized: Double
        public var realized: Double
    }
    public struct Output: Sendable, Hashable, Codable {
        public var positions: [Line]
        /// Equity minus the scenario's initial cash.
        public var sinceStart: Double
        public var returnSinceStart: Double
    }
    public let name = ToolName.pnl
    public let summary = "profit and loss per position and since the start"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let book = context.book
        let initial = context.decision.scenario.initialCash
        let lines = book.positions.keys.sorted().map { symbol in
            let p = book.positions[symbol]!
            return Line(symbol: symbol, unrealized: p.unrealizedPnL, realized: p.realizedPnL)
        }
        return Output(positions: lines, sinceStart: book.equity - initial, returnSinceStart: initial > 0 ? book.equity / initial - 1 : 0)
    }
}

/// `exposure`: gross and net exposure, cash share and long/short split, as fractions of equity.
public struct ExposureTool: Tool {
    public struct Input: Sendable, Hashable, Codable { public init() {} }
    public struct Output: Sendable, Hashable, Codable {
        public var gross: Double
        public var net: Double
        public var long: Double
        public var short: Double
        public var cash: Double
        public var largestWeight: Double
        public var largestSymbol: String?
    }
    public let name = ToolName.exposure
    public let summary = "gross, net, long, short and cash as fractions of equity"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let book = context.book
        let weights = book.positions.keys.sorted().map { ($0, book.weight(of: $0)) }
        let long = weights.filter { $0.1 > 0 }.reduce(0) { $0 + $1.1 }
        let short = weights.filter { $0.1 < 0 }.reduce(0) { $0 - $1.1 }
        let largest = weights.max { abs($0.1) < abs($1.1) }
        return Output(gross: long + short, net: long - short, long: long, short: short,
                      cash: book.equity > 0 ? book.cash / book.equity : 0, largestWeight: largest.map { abs($0.1) } ?? 0, largestSymbol: largest?.0)
    }
}

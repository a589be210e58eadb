import Foundation
import Market

/// The rules the exchange enforces, taken from a scenario.
public struct ExchangeRules: Sendable {
    public var tradableSymbols: Set<String>
    public var fractionalShares: Bool
    public var shortSelling: Bool
    public var allowMargin: Bool
    public var fillTiming: CostSettings.FillTiming
    /// Largest fraction of a session's volume the desk's orders in one symbol may take together; nil for no cap.
    public var participationCap: Double?
    public var borrowBps: Double
    /// The last session of the scenario: orders sent after its close have no bar to fill against.
    public var lastSession: Day

    public init(tradableSymbols: Set<String>, fractionalShares: Bool = false, shortSelling: Bool = false, allowMargin: Bool = false,
                fillTiming: CostSettings.FillTiming = .nextOpen, participationCap: Double? = nil, borrowBps: Double = 0, lastSession: Day) {
        self.tradableSymbols = tradableSymbols
        self.fractionalShares = fractionalShares
        self.shortSelling = shortSelling
        self.allowMargin = allowMargin
        self.fillTiming = fillTiming
        self.participationCap = participationCap
        self.borrowBps = borrowBps
        self.lastSession = lastSession
    }

    public init(scenario: Scenario) {
        self.init(tradableSymbols: Set(scenario.tradableSymbols), fractionalShares: scenario.fractionalShares,
                  shortSelling: !scenario.constraints.longOnly, allowMargin: scenario.constraints.allowMargin,
                  fillTiming: scenario.costs.fillTiming, participationCap: scenario.costs.participationCap,
                  borrowBps: scenario.costs.borrowBps, lastSession: scenario.end)
    }
}

/// What one exchange call produced, in the order it happened.
public struct ExchangeReport: Sendable, Hashable {
    public var events: [OrderEvent] = []
    public var fills: [Fill] = []
    public init() {}
}

/// The mock order API: accepts or rejects orders, fills them against each session's bar, and
/// keeps the ledger. Deterministic: orders are matched in submission order, prices depend only
/// on the bar, the order and the models.
///
/// Orders are submitted after a session's close and can trade from the next session on, as the
/// ``FillModel`` decides (by default market orders at the next open, see ``NextOpenFillModel``).
///
/// Lifecycle: every order is `submitted`, then `accepted` or `rejected` (with a reason; a
/// rejection is an event, never an error). An accepted order may be `partially_filled` any number
/// of times, then ends `filled`, `cancelled`, `expired` or `replaced`.
/// - A **day** order works in the first session after its submission in which its symbol trades;
///   whatever is unfilled at that session's close (because its price was not reached, the
///   participation cap held it back, or cash ran short) expires then.
/// - A **GTC** order works until it is filled or cancelled; a remainder held back by the
///   participation cap carries to the next session. Orders still open after the scenario's last
///   session expire there.
/// - The **participation cap** limits the desk's fills in one symbol in one session to a fraction of
///   that session's volume, shared by its orders in submission order.
/// - A buy never spends cash the book does not have (unless margin is allowed): it is cut to the
///   affordable whole (or fractional) shares at the fill price, and the rest is cancelled.
public struct MockExchange: Sendable {
    public let rules: ExchangeRules
    public let commission: any CommissionModel
    public let slippage: any SlippageModel
    public let fillModel: any FillModel
    public private(set) var ledger: Ledger
    /// Orders that may still fill, in submission order.
    public private(set) var openOrders: [Order] = []
    /// Every order ever submitted, by id.
    public private(set) var orders: [OrderID: Order] = [:]
    private var nextID = 1
    /// The price each open order was expected to trade at when submitted (for cash checks).
    private var estimatedPrices: [OrderID: Double] = [:]

    public init(rules: ExchangeRules, commission: any CommissionModel, slippage: any SlippageModel, fillModel: any FillModel, initialCash: Double) {
        self.rules = rules
        self.commission = commission
        self.slippage = slippage
        self.fillModel = fillModel
        self.ledger = Ledger(initialCash: initialCash)
    }

    /// An exchange with the cost models `costs` describes and the fill model of `rules.fillTiming`.
    public init(rules: ExchangeRules, costs: CostSettings, initialCash: Double) {
        var timing = costs
        timing.fillTiming = rules.fillTiming
        self.init(rules: rules, commission: costs.commissionModel, slippage: costs.slippageModel, fillModel: timing.fillModel, initialCash: initialCash)
    }

    public init(scenario: Scenario) {
        self.init(rules: ExchangeRules(scenario: scenario), costs: scenario.costs, initialCash: scenario.initialCash)
    }

    // MARK: Submitting, cancelling, replacing

    /// Submits an order after the close of `day`, using `lastClose` (the symbol's latest close) to check
    /// cash. Returns the new order's id and its `submitted` event followed by `accepted` or `rejected`.
    public mutating func submit(_ request: OrderRequest, on day: Day, lastClose: Double?) -> (OrderID, [OrderEvent]) {
        let id = newOrderID()
        var events = [submittedEvent(id, request, day)]
        let problem = rejection(of: request, on: day, lastClose: lastClose)
        record(Order(id: id, request: request, submittedOn: day), problem: problem, lastClose: lastClose, day: day, events: &events)
        return (id, events)
    }

    /// Submits an order as an agent wrote it: a ticket whose prices do not fit its type (a price on a
    /// market order, none on a limit) is recorded and rejected with the reason, like any other rejection.
    public mutating func submit(ticket: OrderTicket, on day: Day, lastClose: Double?) -> (OrderID, [OrderEvent]) {
        switch ticket.request() {
        case let .success(request):
            return submit(request, on: day, lastClose: lastClose)
        case let .failure(problem):
            let id = newOrderID()
            let request = ticket.recordedRequest
            var events = [submittedEvent(id, request, day)]
            record(Order(id: id, request: request, submittedOn: day), problem: problem, lastClose: lastClose, day: day, events: &events)
            return (id, events)
        }
    }

    /// Why `request`, sent after the close of `day`, would be refused now; nil when it would be accepted.
    public func rejection(of request: OrderRequest, on day: Day, lastClose: Double?) -> OrderRejection? {
        rejection(of: request, on: day, lastClose: lastClose, ignoring: nil)
    }

    /// Cancels an open order. Returns the `cancelled` event, or a `rejected` event (for the cancel request)
    /// when the order is not open.
    public mutating func cancel(_ id: OrderID, on day: Day, reason: String = "cancelled by the trader") -> OrderEvent {
        guard let index = openOrders.firstIndex(where: { $0.id == id }) else {
            return OrderEvent(orderID: id, day: day, kind: .rejected, reason: "cancel refused: \(notOpen(id))")
        }
        var order = openOrders.remove(at: index)
        estimatedPrices[id] = nil
        order.status = .cancelled
        orders[id] = order
        return OrderEvent(orderID: id, day: day, kind: .cancelled, quantity: order.remainingQuantity, reason: reason)
    }

    /// Cancels open order `id` and submits `request` in its place, atomically: either the old order is
    /// `replaced` and the new one accepted, or the old order keeps working unchanged.
    ///
    /// The new request says what remains to trade (fills of the old order stand) and must keep its
    /// symbol and side. It is checked as if the old order were already gone (its cash reservation and
    /// pending sale are released), and it joins the back of the queue. Returns the new order's id
    /// (nil when `id` is not open, which is answered with a `rejected` event for `id`) and the events:
    /// `replaced` (old), `submitted`, `accepted` (new) — or `submitted`, `rejected` (new) alone.
    public mutating func replace(_ id: OrderID, with request: OrderRequest, on day: Day, lastClose: Double?) -> (OrderID?, [OrderEvent]) {
        guard let index = openOrders.firstIndex(where: { $0.id == id }) else {
            return (nil, [OrderEvent(orderID: id, day: day, kind: .rejected, reason: "replace refused: \(notOpen(id))")])
        }
        let old = openOrders[index]
        let newID = newOrderID()
        var submitted = submittedEvent(newID, request, day)
        submitted.reason = "replaces \(id)"
        var problem: OrderRejection?
        if request.symbol != old.request.symbol || request.side != old.request.side {
            problem = OrderRejection(.replacementMismatch, "a replacement must keep the symbol and side of \(id) (\(old.request.side.rawValue) \(old.request.symbol)); cancel it and send a new order instead")
        } else {
            problem = rejection(of: request, on: day, lastClose: lastClose, ignoring: id)
        }
        var newEvents = [submitted]
        if problem == nil {
            var replaced = openOrders.remove(at: index)
            estimatedPrices[id] = nil
            replaced.status = .replaced
            orders[id] = replaced
            newEvents.insert(OrderEvent(orderID: id, day: day, kind: .replaced, quantity: replaced.remainingQuantity, reason: "replaced by \(newID)"), at: 0)
        }
        record(Order(id: newID, request: request, submittedOn: day), problem: problem, lastClose: lastClose, day: day, events: &newEvents)
        return (newID, newEvents)
    }

    private mutating func newOrderID() -> OrderID {
        defer { nextID += 1 }
        return OrderID(nextID)
    }

    private func submittedEvent(_ id: OrderID, _ request: OrderRequest, _ day: Day) -> OrderEvent {
        OrderEvent(orderID: id, day: day, kind: .submitted, quantity: request.quantity, price: request.kind.limitPrice ?? request.kind.triggerPrice)
    }

    private func notOpen(_ id: OrderID) -> String {
        if let order = orders[id] { return "order \(id) is \(order.status.rawValue.replacingOccurrences(of: "_", with: " ")), not open" }
        return "there is no order \(id)"
    }

    /// Files a new order as accepted (working) or rejected, appending the event.
    private mutating func record(_ order: Order, problem: OrderRejection?, lastClose: Double?, day: Day, events: inout [OrderEvent]) {
        var order = order
        if let problem {
            order.status = .rejected
            events.append(OrderEvent(orderID: order.id, day: day, kind: .rejected, reason: problem.reason))
        } else {
            events.append(OrderEvent(orderID: order.id, day: day, kind: .accepted))
            openOrders.append(order)
            estimatedPrices[order.id] = Self.estimatedPrice(order.request, lastClose: lastClose)
        }
        orders[order.id] = order
    }

    /// The price an order is expected to trade at, for cash checks: its limit, else the worse of its stop and the last close.
    static func estimatedPrice(_ request: OrderRequest, lastClose: Double?) -> Double? {
        switch request.kind {
        case .market: return lastClose
        case let .limit(price), let .stopLimit(_, price): return price
        case let .stop(trigger):
            guard let lastClose else { return trigger }
            return request.side == .buy ? max(trigger, lastClose) : min(trigger, lastClose)
        }
    }

    private func rejection(of request: OrderRequest, on day: Day, lastClose: Double?, ignoring ignored: OrderID?) -> OrderRejection? {
        guard rules.tradableSymbols.contains(request.symbol) else {
            return OrderRejection(.unknownSymbol, "unknown symbol \(request.symbol); tradable: \(rules.tradableSymbols.sorted().joined(separator: ", "))")
        }
        guard request.quantity.isFinite, request.quantity > 0 else {
            return OrderRejection(.invalidQuantity, "quantity \(request.quantity) is not a positive finite number")
        }
        if !rules.fractionalShares, request.quantity != request.quantity.rounded() {
            return OrderRejection(.fractionalQuantity, "fractional quantity \(request.quantity); this scenario trades whole shares")
        }
        for (name, price) in [("limit price", request.kind.limitPrice), ("stop price", request.kind.triggerPrice)] {
            if let price, !(price.isFinite && price > 0) {
                return OrderRejection(.invalidPrice, "\(name) \(price) is not a positive finite number")
            }
        }
        guard day < rules.lastSession else {
            return OrderRejection(.afterScenarioEnd, "the scenario ends on \(rules.lastSession); no session remains to fill an order sent after the close of \(day)")
        }
        let others = openOrders.lazy.filter { $0.id != ignored }
        if request.side == .sell, !rules.shortSelling {
            let pendingSells = others.filter { $0.request.symbol == request.symbol && $0.request.side == .sell }.reduce(0) { $0 + $1.remainingQuantity }
            let held = ledger.quantity(of: request.symbol)
            if request.quantity > held - pendingSells + 1e-9 {
                return OrderRejection(.shortSale, "short sale of \(request.symbol) is not allowed in this scenario: holding \(held), already selling \(pendingSells), asked to sell \(request.quantity)")
            }
        }
        if request.side == .buy, !rules.allowMargin, let price = Self.estimatedPrice(request, lastClose: lastClose) {
            let free = freeCash(ignoring: ignored)
            let cost = request.quantity * price + commission.commission(quantity: request.quantity, price: price, isFirstFillOfOrder: true)
            if cost > free + 1e-6 {
                return OrderRejection(.insufficientCash, String(format: "insufficient cash: the order needs about %.2f, %.2f is free after open orders (margin is not allowed in this scenario)", cost, free))
            }
        }
        return nil
    }

    /// Cash left after the open orders trade at their estimated prices: buys reserve cash, sells
    /// (submitted before, so matched before) bring it in.
    public func freeCash() -> Double { freeCash(ignoring: nil) }

    private func freeCash(ignoring ignored: OrderID?) -> Double {
        openOrders.reduce(ledger.cash) { cash, order in
            guard order.id != ignored, let price = estimatedPrices[order.id] else { return cash }
            return cash - order.request.side.sign * order.remainingQuantity * price
        }
    }

    // MARK: Matching

    /// Runs one session: fills what can fill against `bars` (symbol → that session's bar), expires
    /// day orders that have had their session, marks the book at the closes and charges borrow.
    public mutating func runSession(_ day: Day, bars: [String: Bar]) -> ExchangeReport {
        var report = ExchangeReport()
        if !openOrders.isEmpty { matchOpenOrders(day, bars: bars, into: &report) }
        ledger.mark(bars)
        if rules.shortSelling { ledger.chargeBorrow(day: day, annualBps: rules.borrowBps) }
        return report
    }

    private mutating func matchOpenOrders(_ day: Day, bars: [String: Bar], into report: inout ExchangeReport) {
        var stillOpen: [Order] = []
        stillOpen.reserveCapacity(openOrders.count)
        /// Shares already filled per symbol in this session, for the participation cap.
        var taken: [String: Double] = [:]
        let lastSession = day >= rules.lastSession
        for var order in openOrders {
            let bar = order.submittedOn < day ? bars[order.request.symbol] : nil
            if let bar {
                match(&order, bar: bar, day: day, taken: &taken, into: &report)
                if order.status.isOpen, order.request.timeInForce == .day {
                    order.status = .expired
                    report.events.append(OrderEvent(orderID: order.id, day: day, kind: .expired, quantity: order.remainingQuantity,
                                                    reason: expiryReason(order)))
                }
            }
            if order.status.isOpen, lastSession {
                order.status = .expired
                report.events.append(OrderEvent(orderID: order.id, day: day, kind: .expired, quantity: order.remainingQuantity,
                                                reason: "the scenario ended with the order open"))
            }
            orders[order.id] = order
            if order.status.isOpen { stillOpen.append(order) } else { estimatedPrices[order.id] = nil }
        }
        openOrders = stillOpen
    }

    private func expiryReason(_ order: Order) -> String {
        if order.filledQuantity == 0 { return "day order did not trade in its session" }
        return "day order: the unfilled \(JSONNumber.text(order.remainingQuantity)) of \(JSONNumber.text(order.request.quantity)) expired at the close"
    }

    private mutating func match(_ order: inout Order, bar: Bar, day: Day, taken: inout [String: Double], into report: inout ExchangeReport) {
        let decision = fillModel.match(order, in: bar)
        order.triggered = decision.triggered
        guard let reference = decision.price else { return }
        let symbol = order.request.symbol
        let side = order.request.side
        var quantity = order.remainingQuantity
        if let cap = rules.participationCap {
            var allowed = cap * bar.volume - taken[symbol, default: 0]
            if !rules.fractionalShares { allowed = allowed.rounded(.down) }
            quantity = min(quantity, max(0, allowed))
            guard quantity > 0 else { return }
        }
        var price = slippage.price(reference: reference, side: side, quantity: quantity, bar: bar)
        if let limit = order.request.kind.limitPrice {
            price = side == .buy ? min(price, limit) : max(price, limit)
        }
        let firstFill = order.filledQuantity == 0
        var cashShort = false
        if side == .buy, !rules.allowMargin {
            // Never spend cash the book does not have: cut the fill to what is affordable.
            let fee = commission.commission(quantity: quantity, price: price, isFirstFillOfOrder: firstFill)
            if quantity * price + fee > ledger.cash {
                cashShort = true
                quantity = affordableQuantity(price: price, firstFill: firstFill, upTo: quantity)
            }
        }
        if quantity > 0 {
            let fee = commission.commission(quantity: quantity, price: price, isFirstFillOfOrder: firstFill)
            let fill = Fill(orderID: order.id, day: day, symbol: symbol, side: side, quantity: quantity,
                            price: price, referencePrice: reference, commission: fee, slippageCost: abs(price - reference) * quantity)
            ledger.apply(fill)
            report.fills.append(fill)
            taken[symbol, default: 0] += quantity
            order.averageFillPrice = (order.averageFillPrice * order.filledQuantity + price * quantity) / (order.filledQuantity + quantity)
            order.filledQuantity += quantity
            let done = order.remainingQuantity <= 1e-9
            order.status = done ? .filled : .partiallyFilled
            report.events.append(OrderEvent(orderID: order.id, day: day, kind: done ? .filled : .partiallyFilled, quantity: quantity, price: price))
        }
        if cashShort, order.status.isOpen {
            report.events.append(OrderEvent(orderID: order.id, day: day, kind: .cancelled, quantity: order.remainingQuantity,
                                            reason: String(format: "insufficient cash at the fill: %.2f in cash buys %@ at %.4f", ledger.cash, JSONNumber.text(quantity), price)))
            order.status = .cancelled
        }
    }

    /// The largest quantity (whole shares unless fractional) whose cost and commission fit in the cash.
    private func affordableQuantity(price: Double, firstFill: Bool, upTo limit: Double) -> Double {
        let cash = max(0, ledger.cash)
        func cost(_ q: Double) -> Double { q * price + commission.commission(quantity: q, price: price, isFirstFillOfOrder: firstFill) }
        // Start from cash over (price + the commission per share of the whole order), then step down while it does not fit.
        let wanted = min(limit, cash / price)
        guard wanted > 0 else { return 0 }
        let feePerShare = commission.commission(quantity: wanted, price: price, isFirstFillOfOrder: firstFill) / wanted
        var q = min(limit, cash / (price + feePerShare))
        if rules.fractionalShares {
            var iterations = 0
            while q > 0, cost(q) > cash, iterations < 64 {
                q = max(0, q - max((cost(q) - cash) / price, q * 1e-12))
                iterations += 1
            }
        } else {
            q = q.rounded(.down)
            while q > 0, cost(q) > cash { q -= 1 }
        }
        return q
    }
}

extension MockExchange {
    /// Hands over the ledger's cash movements recorded since the last call.
    public mutating func takeLedgerMovements() -> [CashMovement] { ledger.takeMovements() }
}

/// Numbers as people write them: integers without a fraction.
enum JSONNumber {
    static func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
}

import Foundation
import Market

/// The rules the exchange enforces, taken from a scenario.
public struct ExchangeRules: Sendable {
    public var tradableSymbols: Set<String>
    public var fractionalShares: Bool
    public var shortSelling: Bool
    public var allowMargin: Bool
    public var fillTiming: CostSettings.FillTiming
    /// Largest fraction of a bar's volume one order may take per session; nil for no cap.
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
/// on the bar, the order and the cost models.
///
/// Orders are submitted after a session's close and can fill from the next session on:
/// market orders at its open (or its close, with `fill: next_close`).
public struct MockExchange: Sendable {
    public let rules: ExchangeRules
    public let commission: any CommissionModel
    public let slippage: any SlippageModel
    public private(set) var ledger: Ledger
    /// Orders that may still fill, in submission order.
    public private(set) var openOrders: [Order] = []
    /// Every order ever submitted, by id.
    public private(set) var orders: [OrderID: Order] = [:]
    private var nextID = 1
    /// The price each open order was expected to trade at when submitted (for cash checks).
    private var estimatedPrices: [OrderID: Double] = [:]

    public init(rules: ExchangeRules, costs: CostSettings, initialCash: Double) {
        self.rules = rules
        self.commission = costs.commissionModel
        self.slippage = costs.slippageModel
        self.ledger = Ledger(initialCash: initialCash)
    }

    public init(scenario: Scenario) {
        self.init(rules: ExchangeRules(scenario: scenario), costs: scenario.costs, initialCash: scenario.initialCash)
    }

    // MARK: Submitting

    /// Submits an order after the close of `day`, using `lastClose` to check cash. Returns the
    /// submission and its acceptance or rejection; a rejection is an event, never an error.
    public mutating func submit(_ request: OrderRequest, on day: Day, lastClose: Double?) -> (OrderID, [OrderEvent]) {
        let id = OrderID(nextID)
        nextID += 1
        var order = Order(id: id, request: request, submittedOn: day)
        var events = [OrderEvent(orderID: id, day: day, kind: .submitted, quantity: request.quantity, price: request.kind.limitPrice ?? request.kind.triggerPrice)]
        if let reason = rejection(of: request, on: day, lastClose: lastClose) {
            order.status = .rejected
            events.append(OrderEvent(orderID: id, day: day, kind: .rejected, reason: reason))
        } else {
            events.append(OrderEvent(orderID: id, day: day, kind: .accepted))
            openOrders.append(order)
            estimatedPrices[id] = request.kind.limitPrice ?? request.kind.triggerPrice ?? lastClose
        }
        orders[id] = order
        return (id, events)
    }

    private func rejection(of request: OrderRequest, on day: Day, lastClose: Double?) -> String? {
        guard rules.tradableSymbols.contains(request.symbol) else {
            return "unknown symbol \(request.symbol); tradable: \(rules.tradableSymbols.sorted().joined(separator: ", "))"
        }
        guard request.quantity.isFinite, request.quantity > 0 else { return "quantity \(request.quantity) is not a positive finite number" }
        if !rules.fractionalShares, request.quantity != request.quantity.rounded() {
            return "fractional quantity \(request.quantity); this scenario trades whole shares"
        }
        switch request.kind {
        case .market: break
        case let .limit(price):
            guard price.isFinite, price > 0 else { return "limit price \(price) is not a positive finite number" }
        case let .stop(trigger):
            guard trigger.isFinite, trigger > 0 else { return "stop price \(trigger) is not a positive finite number" }
        case let .stopLimit(trigger, limit):
            guard trigger.isFinite, trigger > 0, limit.isFinite, limit > 0 else { return "stop-limit prices must be positive finite numbers" }
        }
        guard day < rules.lastSession else { return "the scenario ends on \(rules.lastSession); no session remains to fill in" }
        if request.side == .sell, !rules.shortSelling {
            let pendingSells = openOrders.filter { $0.request.symbol == request.symbol && $0.request.side == .sell }.reduce(0) { $0 + $1.remainingQuantity }
            let held = ledger.quantity(of: request.symbol)
            if request.quantity > held - pendingSells + 1e-9 {
                return "short sale of \(request.symbol) is not allowed: holding \(held), already selling \(pendingSells)"
            }
        }
        if request.side == .buy, !rules.allowMargin, let price = request.kind.limitPrice ?? lastClose {
            let free = freeCash()
            let cost = request.quantity * price + commission.commission(quantity: request.quantity, price: price, isFirstFillOfOrder: true)
            if cost > free + 1e-6 {
                return String(format: "insufficient cash: the order needs about %.2f, %.2f is free after open orders", cost, free)
            }
        }
        return nil
    }

    /// Cash left after the open orders trade at their estimated prices: buys reserve cash, sells
    /// (submitted before, so matched before) bring it in.
    public func freeCash() -> Double {
        openOrders.reduce(ledger.cash) { cash, order in
            guard let price = estimatedPrices[order.id] else { return cash }
            return cash - order.request.side.sign * order.remainingQuantity * price
        }
    }

    /// Cancels an open order. Returns the cancellation event, or a rejection of the request when the order is not open.
    public mutating func cancel(_ id: OrderID, on day: Day, reason: String = "cancelled by the trader") -> OrderEvent {
        guard let index = openOrders.firstIndex(where: { $0.id == id }) else {
            return OrderEvent(orderID: id, day: day, kind: .rejected, reason: "cancel refused: order \(id) is not open")
        }
        var order = openOrders.remove(at: index)
        estimatedPrices[id] = nil
        order.status = .cancelled
        orders[id] = order
        return OrderEvent(orderID: id, day: day, kind: .cancelled, reason: reason)
    }

    // MARK: Matching

    /// Runs one session: fills what can fill against `bars` (symbol → that session's bar),
    /// expires day orders, charges borrow, and marks the book at the closes.
    public mutating func runSession(_ day: Day, bars: [String: Bar]) -> ExchangeReport {
        var report = ExchangeReport()
        var stillOpen: [Order] = []
        for var order in openOrders {
            if let bar = bars[order.request.symbol], order.submittedOn < day {
                match(&order, bar: bar, day: day, into: &report)
            }
            if order.status.isOpen, order.request.timeInForce == .day, order.submittedOn < day, bars[order.request.symbol] != nil,
               order.filledQuantity == 0 {
                order.status = .expired
                report.events.append(OrderEvent(orderID: order.id, day: day, kind: .expired, reason: "day order not filled in its session"))
            }
            orders[order.id] = order
            if order.status.isOpen { stillOpen.append(order) }
        }
        openOrders = stillOpen
        estimatedPrices = estimatedPrices.filter { id, _ in orders[id]?.status.isOpen == true }
        ledger.mark(closes: bars.mapValues(\.close))
        if rules.shortSelling { ledger.chargeBorrow(day: day, annualBps: rules.borrowBps) }
        return report
    }

    /// The price at which `order` can execute in `bar`, or nil when it cannot.
    private func executionPrice(_ order: inout Order, bar: Bar) -> Double? {
        let side = order.request.side
        let reference = rules.fillTiming == .nextOpen ? bar.open : bar.close
        func limitFill(_ limit: Double, from start: Double) -> Double? {
            if side == .buy {
                if start <= limit { return start }
                return bar.low <= limit ? limit : nil
            } else {
                if start >= limit { return start }
                return bar.high >= limit ? limit : nil
            }
        }
        switch order.request.kind {
        case .market:
            return reference
        case let .limit(price):
            return limitFill(price, from: rules.fillTiming == .nextOpen ? bar.open : bar.close)
        case let .stop(trigger), let .stopLimit(trigger, _):
            var start = bar.open
            if !order.triggered {
                if side == .buy ? bar.open >= trigger : bar.open <= trigger {
                    start = bar.open
                } else if side == .buy ? bar.high >= trigger : bar.low <= trigger {
                    start = trigger
                } else {
                    return nil
                }
                order.triggered = true
            }
            if case let .stopLimit(_, limit) = order.request.kind { return limitFill(limit, from: start) }
            return start
        }
    }

    private mutating func match(_ order: inout Order, bar: Bar, day: Day, into report: inout ExchangeReport) {
        guard let reference = executionPrice(&order, bar: bar) else { return }
        var quantity = order.remainingQuantity
        if let cap = rules.participationCap {
            var allowed = cap * bar.volume
            if !rules.fractionalShares { allowed = allowed.rounded(.down) }
            quantity = min(quantity, allowed)
        }
        var price = slippage.price(reference: reference, side: order.request.side, quantity: quantity, bar: bar)
        if let limit = order.request.kind.limitPrice {
            price = order.request.side == .buy ? min(price, limit) : max(price, limit)
        }
        let firstFill = order.filledQuantity == 0
        if order.request.side == .buy, !rules.allowMargin {
            // Never spend cash the book does not have: shrink the fill to what is affordable.
            let fee = commission.commission(quantity: quantity, price: price, isFirstFillOfOrder: firstFill)
            if quantity * price + fee > ledger.cash {
                let perShare = price + fee / max(quantity, 1e-12)
                var affordable = max(0, ledger.cash) / perShare
                if !rules.fractionalShares { affordable = affordable.rounded(.down) }
                quantity = min(quantity, affordable)
                if quantity <= 0 {
                    order.status = .cancelled
                    report.events.append(OrderEvent(orderID: order.id, day: day, kind: .cancelled, reason: "insufficient cash at fill"))
                    return
                }
            }
        }
        guard quantity > 0 else { return }
        let fee = commission.commission(quantity: quantity, price: price, isFirstFillOfOrder: firstFill)
        let fill = Fill(orderID: order.id, day: day, symbol: order.request.symbol, side: order.request.side, quantity: quantity,
                        price: price, referencePrice: reference, commission: fee, slippageCost: abs(price - reference) * quantity)
        ledger.apply(fill)
        report.fills.append(fill)
        order.averageFillPrice = (order.averageFillPrice * order.filledQuantity + price * quantity) / (order.filledQuantity + quantity)
        order.filledQuantity += quantity
        if order.remainingQuantity <= 1e-9 {
            order.status = .filled
            report.events.append(OrderEvent(orderID: order.id, day: day, kind: .filled, quantity: quantity, price: price))
        } else {
            order.status = .partiallyFilled
            report.events.append(OrderEvent(orderID: order.id, day: day, kind: .partiallyFilled, quantity: quantity, price: price))
        }
    }
}

extension MockExchange {
    /// Hands over the ledger's cash movements recorded since the last call.
    public mutating func takeLedgerMovements() -> [CashMovement] { ledger.takeMovements() }
}

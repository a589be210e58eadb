import Exchange
import JournalRecords
import Market

/// One symbol's move from the current book to the targets, as the code's execution would trade it.
public struct PlannedTrade: Sendable, Hashable {
    public var symbol: String
    public var side: Side
    /// Shares to trade (after the order-size-versus-volume limit).
    public var quantity: Double
    public var currentWeight: Double
    public var targetWeight: Double
    /// The decision day's close and volume.
    public var close: Double
    public var volume: Double
    /// The largest order the scenario allows against the last session's volume, if it limits one.
    public var orderCap: Double?
}

/// What the orchestrator hands a desk after the risk limits: the targets as allowed, the orders
/// the code would send to reach them, and what is needed to work out others.
public struct ExecutionPlan: Sendable {
    /// What ``DeskPolicy/decide(_:)`` returned (its reports reach review and execution roles).
    public var proposal: DeskProposal
    /// The targets after the risk limits.
    public var targets: TargetWeights
    /// The code's orders for ``targets``: whole-share differences valued at the last close, sells first.
    public var orders: [OrderRequest]
    public var book: BookView
    /// The decision day's bar of each tradable symbol.
    public var lastBars: [String: Bar]
    public var limits: RiskLimits
    public var execution: TargetExecution
    public var tradable: Set<String>

    public init(proposal: DeskProposal, targets: TargetWeights, orders: [OrderRequest], book: BookView, lastBars: [String: Bar],
                limits: RiskLimits, execution: TargetExecution, tradable: Set<String>) {
        self.proposal = proposal
        self.targets = targets
        self.orders = orders
        self.book = book
        self.lastBars = lastBars
        self.limits = limits
        self.execution = execution
        self.tradable = tradable
    }

    /// The planned trades, one per symbol, in the order of ``orders``.
    public var trades: [PlannedTrade] {
        orders.map { order in
            let bar = lastBars[order.symbol]
            var cap: Double?
            if let share = execution.maxOrderVolumeShare, let volume = bar?.volume, volume > 0 { cap = share * volume }
            return PlannedTrade(symbol: order.symbol, side: order.side, quantity: order.quantity, currentWeight: book.weight(of: order.symbol),
                                targetWeight: targets.weights[order.symbol] ?? 0, close: bar?.close ?? 0, volume: bar?.volume ?? 0, orderCap: cap)
        }
    }

    /// Value traded by the plan as a fraction of equity.
    public var turnover: Double {
        guard book.equity > 0 else { return 0 }
        return trades.reduce(0) { $0 + $1.quantity * $1.close } / book.equity
    }
}

/// What a desk's execution stage sends: orders, cancellations, and the record of how it got there.
public struct ExecutionProposal: Sendable {
    public var orders: [OrderRequest]
    public var cancellations: [OrderID]
    public var activity: StepActivity

    public init(orders: [OrderRequest] = [], cancellations: [OrderID] = [], activity: StepActivity = StepActivity()) {
        self.orders = orders
        self.cancellations = cancellations
        self.activity = activity
    }
}

/// The order-level limits in code: whatever an execution stage sends, no order may trade a
/// symbol the plan does not trade, in the other direction, or more shares than the plan (so no
/// order can carry the book past the risk limits the targets were clipped to), and limit and stop
/// prices stay within a band around the last close. A position already above the max weight is
/// brought back to it at market, whatever the execution stage chose (a limit that will not fill,
/// or a sale spread over days), so that no instruction can keep the book past a limit. Every
/// change is a journalled risk event.
public struct OrderChecks: Sendable {
    /// Largest distance of a limit or stop price from the last close, as a fraction of it.
    public var priceBand: Double
    public var fractionalShares: Bool

    public init(priceBand: Double = 0.10, fractionalShares: Bool) {
        self.priceBand = priceBand
        self.fractionalShares = fractionalShares
    }

    public func check(_ orders: [OrderRequest], plan: ExecutionPlan, role: String?) -> ([OrderRequest], [RiskEventRecord]) {
        var remaining: [String: (side: Side, quantity: Double)] = [:]
        for order in plan.orders {
            let previous = remaining[order.symbol]?.quantity ?? 0
            remaining[order.symbol] = (order.side, previous + order.quantity)
        }
        var accepted: [OrderRequest] = []
        var events: [RiskEventRecord] = []
        for forced in breachReductions(orders, plan: plan, role: role, events: &events) {
            remaining[forced.symbol]!.quantity -= forced.quantity
            accepted.append(forced)
        }
        for var order in orders {
            let who = order.tag ?? role
            guard let planned = remaining[order.symbol] else {
                events.append(RiskEventRecord(rule: "order_scope", action: .veto, symbol: order.symbol, proposed: order.quantity, allowed: 0,
                                              detail: "the plan does not trade \(order.symbol)", role: who))
                continue
            }
            guard planned.side == order.side else {
                events.append(RiskEventRecord(rule: "order_side", action: .veto, symbol: order.symbol, proposed: order.quantity, allowed: 0,
                                              detail: "the plan \(planned.side == .buy ? "buys" : "sells") \(order.symbol); a \(order.side.rawValue) order goes the other way", role: who))
                continue
            }
            if !fractionalShares, order.quantity != order.quantity.rounded(.towardZero) {
                let whole = order.quantity.rounded(.towardZero)
                events.append(RiskEventRecord(rule: "whole_shares", action: .clip, symbol: order.symbol, proposed: order.quantity, allowed: whole,
                                              detail: "this scenario trades whole shares", role: who))
                order.quantity = whole
            }
            if order.quantity > planned.quantity + 1e-9 {
                events.append(RiskEventRecord(rule: "order_size", action: planned.quantity > 0 ? .clip : .veto, symbol: order.symbol,
                                              proposed: order.quantity, allowed: planned.quantity,
                                              detail: "orders for \(order.symbol) may not exceed the planned \(JSONNumber.text(planned.quantity)) shares", role: who))
                order.quantity = planned.quantity
            }
            guard order.quantity.isFinite, order.quantity > 0 else { continue }
            if let close = plan.lastBars[order.symbol]?.close, close > 0 {
                order.kind = banded(order.kind, close: close, symbol: order.symbol, role: who, events: &events)
            }
            remaining[order.symbol] = (planned.side, planned.quantity - order.quantity)
            accepted.append(order)
        }
        return (accepted, events)
    }

    /// Market orders that bring positions above the max weight back to it, for the part the
    /// execution stage's market orders do not already cover (at most the planned quantity).
    private func breachReductions(_ orders: [OrderRequest], plan: ExecutionPlan, role: String?, events: inout [RiskEventRecord]) -> [OrderRequest] {
        let maxWeight = plan.limits.constraints.maxWeight
        var forced: [OrderRequest] = []
        for trade in plan.orders {
            let weight = plan.book.weight(of: trade.symbol)
            guard abs(weight) > maxWeight + 1e-9, (weight > 0) == (trade.side == .sell),
                  let close = plan.lastBars[trade.symbol]?.close, close > 0, plan.book.equity > 0 else { continue }
            var required = (abs(weight) - maxWeight) * plan.book.equity / close
            required = fractionalShares ? required : required.rounded(.up)
            required = min(required, trade.quantity)
            let covered = orders.filter { $0.symbol == trade.symbol && $0.side == trade.side && $0.kind == .market }
                .reduce(0) { $0 + $1.quantity }
            let missing = fractionalShares ? required - covered : (required - covered).rounded(.up)
            guard missing > 1e-9 else { continue }
            forced.append(OrderRequest(symbol: trade.symbol, side: trade.side, quantity: missing, tag: trade.tag))
            events.append(RiskEventRecord(rule: "max_weight", action: .clip, symbol: trade.symbol, proposed: weight,
                                          allowed: weight > 0 ? maxWeight : -maxWeight,
                                          detail: "the position is above the max weight: \(JSONNumber.text(missing)) shares sent at market whatever the execution stage chose",
                                          role: role))
        }
        return forced
    }

    private func banded(_ kind: OrderKind, close: Double, symbol: String, role: String?, events: inout [RiskEventRecord]) -> OrderKind {
        let low = close * (1 - priceBand), high = close * (1 + priceBand)
        func clip(_ price: Double, _ what: String) -> Double {
            let allowed = price.isFinite ? min(high, max(low, price)) : close
            if allowed != price {
                events.append(RiskEventRecord(rule: "price_band", action: .clip, symbol: symbol, proposed: price, allowed: allowed,
                                              detail: "\(what) kept within \(JSONNumber.text(priceBand * 100))% of the last close \(JSONNumber.text(close))", role: role))
            }
            return allowed
        }
        switch kind {
        case .market: return .market
        case let .limit(price): return .limit(price: clip(price, "limit price"))
        case let .stop(trigger): return .stop(trigger: clip(trigger, "stop price"))
        case let .stopLimit(trigger, limit): return .stopLimit(trigger: clip(trigger, "stop price"), limit: clip(limit, "limit price"))
        }
    }
}

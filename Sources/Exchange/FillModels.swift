import Market

/// Where an order trades within one bar, if it does: the exchange's plug-in point for fill assumptions.
///
/// A fill model sees only the order and the bar of the session being matched (never a later one), and
/// returns a reference price before slippage. It decides *whether* and *at what price*; how much may
/// trade (the participation cap), costs and cash are the exchange's business. Implementations must be
/// deterministic: the same order and bar give the same answer.
public protocol FillModel: Sendable {
    /// Matches `order` (accepted, not yet filled in full) against `bar`.
    func match(_ order: Order, in bar: Bar) -> FillMatch
}

/// A fill model's answer for one order in one bar.
public struct FillMatch: Sendable, Hashable {
    /// Whether the order's stop has been reached, in this bar or an earlier one (stops stay triggered).
    public var triggered: Bool
    /// The price the order trades at in this bar, before slippage; nil when it does not trade.
    public var price: Double?

    public init(triggered: Bool, price: Double?) {
        self.triggered = triggered
        self.price = price
    }
}

/// The default: orders work through the whole next session, priced honestly against its open, high and low.
///
/// Assumptions, in order of how much they matter:
/// - Market orders trade at the open.
/// - The open is the session's first trade; every other price in `low...high` is reached *after* it.
///   So a buy limit at or above the open fills at the open (a gap through the limit fills at the open,
///   never at the better limit), one below the open fills at the limit if the low reaches it, and not
///   at all otherwise. Sells mirror this. A buy stop at or below the open triggers at the open and fills
///   there; one inside the range triggers and fills at the stop price.
/// - A stop-limit that triggers at the open then works as a limit from the open (it fills at the limit
///   if the rest of the session reaches it). One that triggers inside the range fills at the stop price
///   when the limit allows that price; otherwise the only path-dependent case remains, and it is resolved
///   with a fixed path: a session that closes at or above its open is taken to have gone
///   open → low → high → close, any other open → high → low → close. A buy stop-limit whose limit is
///   below its stop then fills at the limit only if the path after the trigger comes back down to it
///   (the close on an up session, the low on a down session); sells mirror this.
/// - An order triggered in an earlier session works as a limit (stop-limit) or a market order (stop)
///   from the open.
public struct NextOpenFillModel: FillModel {
    public init() {}

    public func match(_ order: Order, in bar: Bar) -> FillMatch {
        let side = order.request.side
        switch order.request.kind {
        case .market:
            return FillMatch(triggered: order.triggered, price: bar.open)
        case let .limit(limit):
            return FillMatch(triggered: order.triggered, price: Self.limitPrice(side, limit, bar))
        case let .stop(trigger):
            if order.triggered { return FillMatch(triggered: true, price: bar.open) }
            if side == .buy ? bar.open >= trigger : bar.open <= trigger { return FillMatch(triggered: true, price: bar.open) }
            if side == .buy ? bar.high >= trigger : bar.low <= trigger { return FillMatch(triggered: true, price: trigger) }
            return FillMatch(triggered: false, price: nil)
        case let .stopLimit(trigger, limit):
            if order.triggered || (side == .buy ? bar.open >= trigger : bar.open <= trigger) {
                return FillMatch(triggered: true, price: Self.limitPrice(side, limit, bar))
            }
            guard side == .buy ? bar.high >= trigger : bar.low <= trigger else { return FillMatch(triggered: false, price: nil) }
            // Triggered inside the range, at the stop price.
            if side == .buy ? trigger <= limit : trigger >= limit { return FillMatch(triggered: true, price: trigger) }
            let upSession = bar.close >= bar.open
            if side == .buy {
                // After trading up through the stop, the lowest later price: the close (up session) or the low (down session).
                let lowestAfter = upSession ? bar.close : bar.low
                return FillMatch(triggered: true, price: lowestAfter <= limit ? limit : nil)
            } else {
                let highestAfter = upSession ? bar.high : bar.close
                return FillMatch(triggered: true, price: highestAfter >= limit ? limit : nil)
            }
        }
    }

    /// A resting limit from the open: the open when it is at or better than the limit, else the limit when the range reaches it.
    static func limitPrice(_ side: Side, _ limit: Double, _ bar: Bar) -> Double? {
        if side == .buy {
            if bar.open <= limit { return bar.open }
            return bar.low <= limit ? limit : nil
        } else {
            if bar.open >= limit { return bar.open }
            return bar.high >= limit ? limit : nil
        }
    }
}

/// Every order trades only in the next session's closing auction, at the close.
///
/// Market orders fill at the close; a limit fills at the close when the close is at or better than
/// the limit; a stop triggers when the close is at or through the stop and then fills at the close
/// (a stop-limit only if the close also satisfies its limit; otherwise it works as a limit in later
/// closes). Nothing is inferred from the high and low.
public struct NextCloseFillModel: FillModel {
    public init() {}

    public func match(_ order: Order, in bar: Bar) -> FillMatch {
        let side = order.request.side
        let close = bar.close
        func within(_ limit: Double) -> Bool { side == .buy ? close <= limit : close >= limit }
        switch order.request.kind {
        case .market:
            return FillMatch(triggered: order.triggered, price: close)
        case let .limit(limit):
            return FillMatch(triggered: order.triggered, price: within(limit) ? close : nil)
        case let .stop(trigger):
            let triggered = order.triggered || (side == .buy ? close >= trigger : close <= trigger)
            return FillMatch(triggered: triggered, price: triggered ? close : nil)
        case let .stopLimit(trigger, limit):
            let triggered = order.triggered || (side == .buy ? close >= trigger : close <= trigger)
            return FillMatch(triggered: triggered, price: triggered && within(limit) ? close : nil)
        }
    }
}

extension CostSettings {
    /// The fill model the scenario's `costs.fill` names.
    public var fillModel: any FillModel {
        switch fillTiming {
        case .nextOpen: return NextOpenFillModel()
        case .nextClose: return NextCloseFillModel()
        }
    }
}

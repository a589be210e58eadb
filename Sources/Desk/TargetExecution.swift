import Exchange
import JournalRecords
import Market

/// Turns target weights into market orders: the difference between the target and the current
/// position, valued at the decision day's close, in whole shares (rounded toward zero) unless
/// the scenario trades fractional shares. Sells are sent before buys so that their proceeds are
/// counted first. Orders above the scenario's share of daily volume are clipped, with an event.
///
/// A desk may set a rebalancing band: a symbol whose weight is within the band of its target is
/// left alone (no order), as a desk avoids churning a book over drifts smaller than its costs;
/// selling a position out entirely (a target of zero) always trades.
public struct TargetExecution: Sendable {
    public var fractionalShares: Bool
    public var maxOrderVolumeShare: Double?
    /// Orders worth less than this are not sent.
    public var minimumOrderValue: Double
    /// Weight gaps (fraction of equity) smaller than this are not traded; 0 trades every gap.
    public var rebalanceBand: Double

    public init(fractionalShares: Bool, maxOrderVolumeShare: Double?, minimumOrderValue: Double = 1, rebalanceBand: Double = 0) {
        self.fractionalShares = fractionalShares
        self.maxOrderVolumeShare = maxOrderVolumeShare
        self.minimumOrderValue = minimumOrderValue
        self.rebalanceBand = rebalanceBand
    }

    public init(scenario: Scenario, rebalanceBand: Double = 0) {
        self.init(fractionalShares: scenario.fractionalShares, maxOrderVolumeShare: scenario.constraints.maxOrderVolumeShare,
                  rebalanceBand: rebalanceBand)
    }

    public func orders(for targets: TargetWeights, book: BookView, lastBars: [String: Bar], tag: String?) -> ([OrderRequest], [RiskEventRecord]) {
        var sells: [OrderRequest] = []
        var buys: [OrderRequest] = []
        var events: [RiskEventRecord] = []
        let symbols = Set(targets.weights.keys).union(book.positions.keys).sorted()
        for symbol in symbols {
            guard let bar = lastBars[symbol], bar.close > 0 else { continue }
            let targetWeight = targets.weights[symbol] ?? 0
            let target = targetWeight * book.equity / bar.close
            let current = book.positions[symbol]?.quantity ?? 0
            if rebalanceBand > 0, targetWeight != 0, book.equity > 0, abs(target - current) * bar.close / book.equity < rebalanceBand { continue }
            var delta = target - current
            if !fractionalShares { delta = delta.rounded(.towardZero) }
            if let share = maxOrderVolumeShare, bar.volume > 0 {
                var cap = share * bar.volume
                if !fractionalShares { cap = cap.rounded(.down) }
                if abs(delta) > cap {
                    events.append(RiskEventRecord(rule: "max_order_volume_share", action: .clip, symbol: symbol, proposed: abs(delta), allowed: cap,
                                                  detail: "order limited to \(share) of the last session's volume", role: tag))
                    delta = delta < 0 ? -cap : cap
                }
            }
            guard abs(delta) * bar.close >= minimumOrderValue, abs(delta) > 0 else { continue }
            let request = OrderRequest(symbol: symbol, side: delta > 0 ? .buy : .sell, quantity: abs(delta), tag: tag)
            if delta > 0 { buys.append(request) } else { sells.append(request) }
        }
        return (sells + buys, events)
    }
}

import Exchange
import JournalRecords
import Market

/// The scenario's portfolio rules, enforced in code on whatever a desk proposes.
///
/// Nothing a model says can move the book past these limits: targets are clipped or scaled,
/// and every change is returned as a ``RiskEventRecord`` naming the rule, the proposed and the
/// allowed value.
public struct RiskLimits: Sendable, Hashable {
    public var constraints: PortfolioConstraints

    public init(_ constraints: PortfolioConstraints) { self.constraints = constraints }

    /// Clips `proposed` to the limits, given the current book. Symbols outside `tradable` are dropped.
    public func apply(_ proposed: TargetWeights, book: BookView, tradable: Set<String>, role: String? = nil) -> (TargetWeights, [RiskEventRecord]) {
        var events: [RiskEventRecord] = []
        var weights: [String: Double] = [:]
        for symbol in proposed.weights.keys.sorted() {
            var w = proposed.weights[symbol]!
            guard tradable.contains(symbol) else {
                events.append(RiskEventRecord(rule: "tradable", action: .veto, symbol: symbol, proposed: w, allowed: 0,
                                              detail: "\(symbol) is not tradable in this scenario", role: role))
                continue
            }
            if !w.isFinite {
                let current = book.weight(of: symbol)
                events.append(RiskEventRecord(rule: "finite", action: .veto, symbol: symbol, proposed: w, allowed: current,
                                              detail: "a non-finite weight keeps the current weight", role: role))
                w = current
            }
            if constraints.longOnly, w < 0 {
                events.append(RiskEventRecord(rule: "long_only", action: .clip, symbol: symbol, proposed: w, allowed: 0,
                                              detail: "short positions are not allowed", role: role))
                w = 0
            }
            if abs(w) > constraints.maxWeight {
                let allowed = w < 0 ? -constraints.maxWeight : constraints.maxWeight
                events.append(RiskEventRecord(rule: "max_weight", action: .clip, symbol: symbol, proposed: w, allowed: allowed,
                                              detail: "weight limited to \(constraints.maxWeight) of equity", role: role))
                w = allowed
            }
            weights[symbol] = w
        }

        func scaleAll(by factor: Double) { for key in weights.keys { weights[key]! *= factor } }

        // Sums in symbol order, so every process gets the same bits.
        let gross = weights.keys.sorted().reduce(0) { $0 + abs(weights[$1]!) }
        if gross > constraints.maxGross + 1e-12 {
            events.append(RiskEventRecord(rule: "max_gross", action: .scale, symbol: nil, proposed: gross, allowed: constraints.maxGross,
                                          detail: "all weights scaled by \(constraints.maxGross / gross)", role: role))
            scaleAll(by: constraints.maxGross / gross)
        }
        let net = weights.keys.sorted().reduce(0) { $0 + weights[$1]! }
        if abs(net) > constraints.maxNet + 1e-12 {
            events.append(RiskEventRecord(rule: "max_net", action: .scale, symbol: nil, proposed: net, allowed: constraints.maxNet,
                                          detail: "all weights scaled by \(constraints.maxNet / abs(net))", role: role))
            scaleAll(by: constraints.maxNet / abs(net))
        }
        let longs = weights.keys.sorted().reduce(0) { $0 + max(0, weights[$1]!) }
        let investable = 1 - constraints.cashBuffer
        if longs > investable + 1e-12 {
            events.append(RiskEventRecord(rule: "cash_buffer", action: .scale, symbol: nil, proposed: longs, allowed: investable,
                                          detail: "long weights scaled to keep \(constraints.cashBuffer) of equity in cash", role: role))
            for key in weights.keys where weights[key]! > 0 { weights[key]! *= investable / longs }
        }
        if let maxTurnover = constraints.maxTurnover {
            let symbols = Set(weights.keys).union(book.positions.keys).sorted()
            let turnover = symbols.reduce(0) { $0 + abs((weights[$1] ?? 0) - book.weight(of: $1)) }
            if turnover > maxTurnover + 1e-12 {
                let k = maxTurnover / turnover
                events.append(RiskEventRecord(rule: "max_turnover", action: .scale, symbol: nil, proposed: turnover, allowed: maxTurnover,
                                              detail: "moved \(k) of the way to the targets", role: role))
                for symbol in symbols {
                    let current = book.weight(of: symbol)
                    weights[symbol] = current + k * ((weights[symbol] ?? 0) - current)
                }
            }
        }
        return (TargetWeights(weights), events)
    }
}

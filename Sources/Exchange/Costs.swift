import Market

/// Commission charged on a fill.
public protocol CommissionModel: Sendable {
    /// Commission for filling `quantity` shares at `price`; `isFirstFillOfOrder` lets per-order fees charge once.
    func commission(quantity: Double, price: Double, isFirstFillOfOrder: Bool) -> Double
}

/// Price impact against the trader.
public protocol SlippageModel: Sendable {
    /// The executed price for a `side` trade of `quantity` shares against `reference`, in a bar of `bar`.
    func price(reference: Double, side: Side, quantity: Double, bar: Bar) -> Double
}

public struct NoCommission: CommissionModel {
    public init() {}
    public func commission(quantity: Double, price: Double, isFirstFillOfOrder: Bool) -> Double { 0 }
}

/// A rate per share with a minimum per order.
public struct PerShareCommission: CommissionModel {
    public var rate: Double
    public var minimum: Double
    public init(rate: Double, minimum: Double) { self.rate = rate; self.minimum = minimum }
    public func commission(quantity: Double, price: Double, isFirstFillOfOrder: Bool) -> Double {
        let fee = quantity * rate
        return isFirstFillOfOrder ? max(fee, minimum) : fee
    }
}

/// Basis points of traded value.
public struct BpsCommission: CommissionModel {
    public var bps: Double
    public init(bps: Double) { self.bps = bps }
    public func commission(quantity: Double, price: Double, isFirstFillOfOrder: Bool) -> Double { quantity * price * bps / 10_000 }
}

/// A flat fee for each order that fills (charged on its first fill).
public struct PerOrderCommission: CommissionModel {
    public var amount: Double
    public init(amount: Double) { self.amount = amount }
    public func commission(quantity: Double, price: Double, isFirstFillOfOrder: Bool) -> Double { isFirstFillOfOrder ? amount : 0 }
}

public struct NoSlippage: SlippageModel {
    public init() {}
    public func price(reference: Double, side: Side, quantity: Double, bar: Bar) -> Double { reference }
}

/// A fixed number of basis points against the trader, capped at the bar's range.
public struct BpsSlippage: SlippageModel {
    public var bps: Double
    public init(bps: Double) { self.bps = bps }
    public func price(reference: Double, side: Side, quantity: Double, bar: Bar) -> Double {
        let moved = reference * (1 + side.sign * bps / 10_000)
        return side == .buy ? min(moved, max(bar.high, reference)) : max(moved, min(bar.low, reference))
    }
}

/// Square-root market impact: `coefficient × sqrt(quantity / volume)` of the price, against the
/// trader, capped at the bar's range.
public struct VolumeShareSlippage: SlippageModel {
    public var coefficient: Double
    public init(coefficient: Double) { self.coefficient = coefficient }
    public func price(reference: Double, side: Side, quantity: Double, bar: Bar) -> Double {
        guard bar.volume > 0 else { return reference }
        let impact = coefficient * (quantity / bar.volume).squareRoot()
        let moved = reference * (1 + side.sign * impact)
        return side == .buy ? min(moved, max(bar.high, reference)) : max(moved, min(bar.low, reference))
    }
}

extension CostSettings {
    public var commissionModel: any CommissionModel {
        switch commission {
        case .none: return NoCommission()
        case let .perShare(rate, minimum): return PerShareCommission(rate: rate, minimum: minimum)
        case let .bps(bps): return BpsCommission(bps: bps)
        case let .perOrder(amount): return PerOrderCommission(amount: amount)
        }
    }

    public var slippageModel: any SlippageModel {
        switch slippage {
        case .none: return NoSlippage()
        case let .bps(bps): return BpsSlippage(bps: bps)
        case let .volumeShare(coefficient): return VolumeShareSlippage(coefficient: coefficient)
        }
    }
}

import Foundation

/// The statistics of a daily simple-return series, following empyrical's conventions.
///
/// A return may be `.nan` (a session without a figure, e.g. the first of a price series). Each
/// function says how it treats those gaps; they follow empyrical-reloaded 0.7.1 so that its figures
/// (`Tests/Reference/analytics/empyrical_cases.json`) are reproduced exactly. Undefined results are `.nan`.
public enum ReturnStatistics {
    /// Sessions in a year.
    public static let periodsPerYear = 252.0

    /// The per-session rate equivalent to an annual rate `annual`: (1 + annual)^(1/252) − 1.
    public static func perPeriod(annual: Double, periodsPerYear: Double = periodsPerYear) -> Double {
        pow(1 + annual, 1 / periodsPerYear) - 1
    }

    /// Compounded return over the series; gaps count as 0.
    public static func cumulativeReturn(_ returns: [Double]) -> Double {
        returns.reduce(1.0) { $1.isNaN ? $0 : $0 * (1 + $1) } - 1
    }

    /// Compound annual growth: (1 + cumulative)^(252 / n) − 1, where n counts every session, gaps included.
    public static func annualReturn(_ returns: [Double], periodsPerYear: Double = periodsPerYear) -> Double {
        guard !returns.isEmpty else { return .nan }
        return pow(1 + cumulativeReturn(returns), periodsPerYear / Double(returns.count)) - 1
    }

    /// Sample standard deviation (n − 1) of the returns, gaps left out, times √252.
    public static func annualVolatility(_ returns: [Double], periodsPerYear: Double = periodsPerYear) -> Double {
        sampleStandardDeviation(returns.filter { !$0.isNaN }) * periodsPerYear.squareRoot()
    }

    /// Mean excess return over its sample standard deviation, times √252. `riskFree` is per session.
    public static func sharpe(_ returns: [Double], riskFree: Double = 0, periodsPerYear: Double = periodsPerYear) -> Double {
        let excess = returns.filter { !$0.isNaN }.map { $0 - riskFree }
        let sd = sampleStandardDeviation(excess)
        guard sd > 0 else { return .nan }
        return mean(excess) / sd * periodsPerYear.squareRoot()
    }

    /// Annualised downside deviation below `required` (per session): √mean(min(r − required, 0)²) × √252.
    public static func downsideRisk(_ returns: [Double], required: Double = 0, periodsPerYear: Double = periodsPerYear) -> Double {
        let below = returns.filter { !$0.isNaN }.map { min($0 - required, 0) * min($0 - required, 0) }
        guard !below.isEmpty else { return .nan }
        return mean(below).squareRoot() * periodsPerYear.squareRoot()
    }

    /// Annualised mean excess return over the annualised downside deviation. `required` is per session.
    public static func sortino(_ returns: [Double], required: Double = 0, periodsPerYear: Double = periodsPerYear) -> Double {
        let excess = returns.filter { !$0.isNaN }.map { $0 - required }
        let risk = downsideRisk(returns, required: required, periodsPerYear: periodsPerYear)
        guard !excess.isEmpty, risk > 0 else { return .nan }
        return mean(excess) * periodsPerYear / risk
    }

    /// The deepest fall of compounded wealth below its running peak (gaps count as 0), with where it happened.
    public static func maxDrawdown(_ returns: [Double]) -> DrawdownSpan {
        var wealth = 1.0, peak = 1.0
        var peakIndex = -1
        var deepest = DrawdownSpan(depth: 0, peakIndex: -1, troughIndex: -1, recoveryIndex: nil)
        var inDeepest = false
        for (i, r) in returns.enumerated() {
            wealth *= 1 + (r.isNaN ? 0 : r)
            if wealth >= peak {
                if inDeepest, deepest.recoveryIndex == nil { deepest.recoveryIndex = i }
                inDeepest = false
                peak = wealth
                peakIndex = i
            } else if wealth / peak - 1 < deepest.depth {
                deepest = DrawdownSpan(depth: wealth / peak - 1, peakIndex: peakIndex, troughIndex: i, recoveryIndex: nil)
                inDeepest = true
            }
        }
        return deepest
    }

    /// Annual return over the depth of the maximum drawdown (undefined without a drawdown).
    public static func calmar(_ returns: [Double], periodsPerYear: Double = periodsPerYear) -> Double {
        let depth = maxDrawdown(returns).depth
        guard depth < 0 else { return .nan }
        let ratio = annualReturn(returns, periodsPerYear: periodsPerYear) / -depth
        return ratio.isInfinite ? .nan : ratio
    }

    /// Historical value at risk: the `cutoff` percentile of the returns (linear interpolation);
    /// undefined when the series has a gap, as in empyrical.
    public static func valueAtRisk(_ returns: [Double], cutoff: Double = 0.05) -> Double {
        guard !returns.isEmpty, !returns.contains(where: \.isNaN) else { return .nan }
        return percentile(returns.sorted(), cutoff)
    }

    /// Historical conditional value at risk: the mean of the ⌊(n − 1) × cutoff⌋ + 1 worst returns
    /// (n counts gaps, which sort last).
    public static func conditionalValueAtRisk(_ returns: [Double], cutoff: Double = 0.05) -> Double {
        guard !returns.isEmpty else { return .nan }
        let count = Int(Double(returns.count - 1) * cutoff) + 1
        let worst = sortedGapsLast(returns).prefix(count)
        return worst.contains(where: \.isNaN) ? .nan : mean(Array(worst))
    }

    /// |95th percentile| over |5th percentile| of the returns, gaps left out.
    public static func tailRatio(_ returns: [Double]) -> Double {
        let sorted = returns.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return .nan }
        let low = abs(percentile(sorted, 0.05))
        return low > 0 ? abs(percentile(sorted, 0.95)) / low : .nan
    }

    /// Sum of gains over sum of losses relative to a threshold: `riskFree` (per session) plus the
    /// per-session equivalent of the annual `required` return.
    public static func omega(_ returns: [Double], riskFree: Double = 0, required: Double = 0, periodsPerYear: Double = periodsPerYear) -> Double {
        let threshold = perPeriod(annual: required, periodsPerYear: periodsPerYear)
        var gains = 0.0, losses = 0.0
        for r in returns where !r.isNaN {
            let x = r - riskFree - threshold
            if x > 0 { gains += x } else if x < 0 { losses -= x }
        }
        return losses > 0 ? gains / losses : .nan
    }

    /// Beta and alpha of `returns` against `benchmark` (same length, aligned by session) from the
    /// daily regression of excess returns; alpha is the mean daily intercept compounded over a
    /// year: (1 + ᾱ)^252 − 1. Pairs where either side is a gap are left out.
    public static func alphaBeta(_ returns: [Double], benchmark: [Double], riskFree: Double = 0,
                                 periodsPerYear: Double = periodsPerYear) -> (alpha: Double, beta: Double) {
        precondition(returns.count == benchmark.count, "returns and benchmark must be aligned")
        let pairs = zip(returns, benchmark).filter { !$0.0.isNaN && !$0.1.isNaN }.map { ($0.0 - riskFree, $0.1 - riskFree) }
        guard pairs.count >= 2 else { return (.nan, .nan) }
        let benchmarkMean = mean(pairs.map(\.1))
        let covariance = mean(pairs.map { ($0.1 - benchmarkMean) * $0.0 })
        let variance = mean(pairs.map { ($0.1 - benchmarkMean) * ($0.1 - benchmarkMean) })
        guard variance > 0 else { return (.nan, .nan) }
        let beta = covariance / variance
        let alpha = pow(1 + mean(pairs.map { $0.0 - beta * $0.1 }), periodsPerYear) - 1
        return (alpha, beta)
    }

    /// The `p` (0…1) percentile of sorted values with linear interpolation between ranks (numpy's default).
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Double(sorted.count - 1) * p
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (rank - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    static func sampleStandardDeviation(_ values: [Double]) -> Double {
        guard values.count >= 2 else { return .nan }
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    private static func sortedGapsLast(_ values: [Double]) -> [Double] {
        values.filter { !$0.isNaN }.sorted() + values.filter(\.isNaN)
    }
}

/// Where a drawdown happened, as indices into a return series (−1: before the first return).
public struct DrawdownSpan: Sendable, Hashable {
    /// Negative fraction: −0.25 is a fall of 25 % from the peak; 0 when wealth never fell.
    public var depth: Double
    public var peakIndex: Int
    public var troughIndex: Int
    /// First session back at or above the peak, if wealth recovered.
    public var recoveryIndex: Int?

    /// Sessions from the peak to the recovery, or to the end of a series of `count` returns when it did not recover.
    public func durationSessions(count: Int) -> Int {
        guard depth < 0 else { return 0 }
        return (recoveryIndex ?? (count - 1)) - peakIndex
    }
}

/// The largest peak-to-trough fall of a value series.
public struct Drawdown: Sendable, Hashable {
    /// Negative fraction: −0.25 is a fall of 25 % from the peak. 0 when the series never fell.
    public var depth: Double
    public var peak: Day?
    public var trough: Day?
    /// First day back at or above the peak, if it recovered.
    public var recovery: Day?

    /// Computes the maximum drawdown of `values` (dated by `days`). When `start` is given it is the
    /// value before the first day (e.g. the initial cash) and counts as the first peak, with no date.
    public static func maximum(values: [Double], days: [Day], start: Double? = nil) -> Drawdown {
        precondition(values.count == days.count)
        var peakValue = start ?? values.first ?? 0
        var peakDay: Day? = start == nil ? days.first : nil
        var deepest = Drawdown(depth: 0, peak: nil, trough: nil, recovery: nil)
        var insideDeepest = false
        for (value, day) in zip(values, days) {
            if value >= peakValue {
                if insideDeepest { deepest.recovery = day }
                insideDeepest = false
                peakValue = value
                peakDay = day
            } else if value / peakValue - 1 < deepest.depth {
                deepest = Drawdown(depth: value / peakValue - 1, peak: peakDay, trough: day, recovery: nil)
                insideDeepest = true
            }
        }
        return deepest
    }
}


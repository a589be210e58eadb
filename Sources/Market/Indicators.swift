import Foundation

/// Technical indicators as pure functions over a value series, aligned with their input: element
/// `i` is the indicator after the `i`-th value, nil until enough values exist.
///
/// Conventions follow backtrader (checked against its output to 1e-6, `Tests/Reference/indicators`):
/// the EMA is seeded with the simple mean of its first `n` values, α = 2/(n+1); RSI and ATR use
/// Wilder's smoothing (α = 1/n) seeded with a simple mean; Bollinger bands use the population
/// standard deviation. Rolling volatility uses the sample standard deviation (n−1) of simple daily
/// returns, annualised with √252, like the project's metrics.
public enum Indicators {
    /// Simple moving average of the last `period` values.
    public static func sma(_ x: [Double], period: Int) -> [Double?] {
        guard period > 0 else { return Array(repeating: nil, count: x.count) }
        var out = [Double?](repeating: nil, count: x.count)
        var sum = 0.0
        for i in x.indices {
            sum += x[i]
            if i >= period { sum -= x[i - period] }
            if i >= period - 1 {
                // Re-add exactly every `period` steps so rounding errors of the running sum cannot accumulate.
                if (i + 1) % period == 0 { sum = x[(i + 1 - period)...i].reduce(0, +) }
                out[i] = sum / Double(period)
            }
        }
        return out
    }

    /// Exponential moving average, α = 2/(period+1), seeded with the SMA of the first `period` values.
    public static func ema(_ x: [Double], period: Int) -> [Double?] {
        smoothed(x, period: period, alpha: 2 / (Double(period) + 1))
    }

    /// Wilder's smoothing (α = 1/period), seeded with the SMA of the first `period` values.
    public static func wilder(_ x: [Double], period: Int) -> [Double?] {
        smoothed(x, period: period, alpha: 1 / Double(period))
    }

    /// An exponential smoothing of the defined values of `x` (nil entries before the first value are skipped).
    static func smoothed(_ x: [Double?], period: Int, alpha: Double) -> [Double?] {
        var out = [Double?](repeating: nil, count: x.count)
        guard period > 0, let start = x.firstIndex(where: { $0 != nil }) else { return out }
        let seedEnd = start + period - 1
        guard seedEnd < x.count else { return out }
        var value = x[start...seedEnd].reduce(0) { $0 + ($1 ?? .nan) } / Double(period)
        out[seedEnd] = value
        for i in (seedEnd + 1)..<x.count {
            guard let xi = x[i] else { continue }
            value += alpha * (xi - value)
            out[i] = value
        }
        return out
    }

    static func smoothed(_ x: [Double], period: Int, alpha: Double) -> [Double?] {
        smoothed(x.map(Optional.some), period: period, alpha: alpha)
    }

    /// Relative strength index (0…100) with Wilder's smoothing of up and down moves.
    /// When there were no down moves it is 100 (and 50 when there were no moves at all).
    public static func rsi(_ close: [Double], period: Int = 14) -> [Double?] {
        guard close.count > 1, period > 0 else { return Array(repeating: nil, count: close.count) }
        var up: [Double?] = [nil], down: [Double?] = [nil]
        for i in 1..<close.count {
            let change = close[i] - close[i - 1]
            up.append(max(change, 0))
            down.append(max(-change, 0))
        }
        let averageUp = smoothed(up, period: period, alpha: 1 / Double(period))
        let averageDown = smoothed(down, period: period, alpha: 1 / Double(period))
        return zip(averageUp, averageDown).map { u, d in
            guard let u, let d else { return nil }
            if d == 0 { return u == 0 ? 50 : 100 }
            return 100 - 100 / (1 + u / d)
        }
    }

    /// MACD line (EMA(fast) − EMA(slow)), its signal line (EMA(signal) of the MACD line) and the histogram.
    public static func macd(_ close: [Double], fast: Int = 12, slow: Int = 26, signal: Int = 9) -> (macd: [Double?], signal: [Double?], histogram: [Double?]) {
        let fastEMA = ema(close, period: fast), slowEMA = ema(close, period: slow)
        let line: [Double?] = zip(fastEMA, slowEMA).map { f, s in
            guard let f, let s else { return nil }
            return f - s
        }
        let signalLine = smoothed(line, period: signal, alpha: 2 / (Double(signal) + 1))
        let histogram: [Double?] = zip(line, signalLine).map { m, s in
            guard let m, let s else { return nil }
            return m - s
        }
        return (line, signalLine, histogram)
    }

    /// Bollinger bands: SMA(period) ± width × the population standard deviation over the period.
    public static func bollinger(_ close: [Double], period: Int = 20, width: Double = 2) -> (middle: [Double?], upper: [Double?], lower: [Double?]) {
        let middle = sma(close, period: period)
        var upper = [Double?](repeating: nil, count: close.count), lower = upper
        for i in close.indices {
            guard let mean = middle[i] else { continue }
            let window = close[(i + 1 - period)...i]
            let variance = window.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(period)
            let sd = variance.squareRoot()
            upper[i] = mean + width * sd
            lower[i] = mean - width * sd
        }
        return (middle, upper, lower)
    }

    /// True range: max(high, previous close) − min(low, previous close); undefined for the first bar.
    public static func trueRange(_ bars: [Bar]) -> [Double?] {
        guard !bars.isEmpty else { return [] }
        return [nil] + zip(bars, bars.dropFirst()).map { previous, bar in
            max(bar.high, previous.close) - min(bar.low, previous.close)
        }
    }

    /// Average true range with Wilder's smoothing, seeded with the mean of the first `period` true ranges.
    public static func atr(_ bars: [Bar], period: Int = 14) -> [Double?] {
        smoothed(trueRange(bars), period: period, alpha: 1 / Double(period))
    }

    /// Simple returns close-to-close; the first is nil.
    public static func returns(_ close: [Double]) -> [Double?] {
        guard !close.isEmpty else { return [] }
        return [nil] + zip(close, close.dropFirst()).map { $1 / $0 - 1 }
    }

    /// Sample standard deviation (n−1) of the last `period` daily returns, times √252 when annualised.
    public static func volatility(_ close: [Double], period: Int = 20, annualized: Bool = true) -> [Double?] {
        var out = [Double?](repeating: nil, count: close.count)
        guard period > 1, close.count > period else { return out }
        let r = returns(close)
        for i in period..<close.count {
            let window = r[(i + 1 - period)...i].map { $0! }
            let mean = window.reduce(0, +) / Double(period)
            let variance = window.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(period - 1)
            out[i] = variance.squareRoot() * (annualized ? 252.0.squareRoot() : 1)
        }
        return out
    }

    /// Momentum as a rate of change: close / close `period` sessions earlier − 1.
    public static func momentum(_ close: [Double], period: Int = 20) -> [Double?] {
        close.indices.map { i in i >= period && period > 0 ? close[i] / close[i - period] - 1 : nil }
    }

    /// Drawdown from the running peak of the values so far: close / max(close so far) − 1 (0 at a peak).
    public static func drawdown(_ close: [Double]) -> [Double?] {
        var peak = -Double.infinity
        return close.map { x in
            peak = max(peak, x)
            return x / peak - 1
        }
    }
}

/// One indicator's values, dated by the bars they were computed after.
public struct IndicatorSeries: Sendable, Hashable, Codable {
    /// What was computed, e.g. `sma(20)`.
    public let name: String
    public let days: [Day]
    /// Nil until enough bars exist.
    public let values: [Double?]

    public init(name: String, days: [Day], values: [Double?]) {
        precondition(days.count == values.count)
        self.name = name
        self.days = days
        self.values = values
    }

    /// The last value, if defined.
    public var latest: Double? { values.last ?? nil }

    /// The value after the bar of `day`, if there is one and it is defined.
    public func value(on day: Day) -> Double? {
        guard let i = days.firstIndex(of: day) else { return nil }
        return values[i]
    }

    /// The last `count` defined values with their days, oldest first.
    public func last(_ count: Int) -> [(day: Day, value: Double)] {
        Array(zip(days, values).compactMap { d, v in v.map { (d, $0) } }.suffix(max(0, count)))
    }
}

/// Indicators over one symbol's bars. Built by ``PointInTimeFeed/indicators(_:)`` from the bars up to
/// the feed's clock, so nothing here can see a later bar.
public struct BarIndicators: Sendable {
    public let symbol: String
    public let bars: [Bar]
    public var days: [Day] { bars.map(\.day) }
    public var closes: [Double] { bars.map(\.close) }

    public init(symbol: String, bars: [Bar]) {
        self.symbol = symbol
        self.bars = bars
    }

    private func check(_ period: Int, _ name: String) throws {
        guard period > 0, period <= 10_000 else {
            throw FeedError(kind: .invalidRequest, message: "\(name) needs a period between 1 and 10000, not \(period)")
        }
    }

    private func series(_ name: String, _ values: [Double?]) -> IndicatorSeries { IndicatorSeries(name: name, days: days, values: values) }

    public func sma(_ period: Int = 20) throws -> IndicatorSeries {
        try check(period, "sma")
        return series("sma(\(period))", Indicators.sma(closes, period: period))
    }

    public func ema(_ period: Int = 20) throws -> IndicatorSeries {
        try check(period, "ema")
        return series("ema(\(period))", Indicators.ema(closes, period: period))
    }

    public func rsi(_ period: Int = 14) throws -> IndicatorSeries {
        try check(period, "rsi")
        return series("rsi(\(period))", Indicators.rsi(closes, period: period))
    }

    /// MACD line, signal line and histogram.
    public func macd(fast: Int = 12, slow: Int = 26, signal: Int = 9) throws -> (macd: IndicatorSeries, signal: IndicatorSeries, histogram: IndicatorSeries) {
        try check(fast, "macd fast"); try check(slow, "macd slow"); try check(signal, "macd signal")
        let m = Indicators.macd(closes, fast: fast, slow: slow, signal: signal)
        let label = "\(fast),\(slow),\(signal)"
        return (series("macd(\(label))", m.macd), series("macd_signal(\(label))", m.signal), series("macd_histogram(\(label))", m.histogram))
    }

    /// Middle, upper and lower Bollinger bands.
    public func bollinger(_ period: Int = 20, width: Double = 2) throws -> (middle: IndicatorSeries, upper: IndicatorSeries, lower: IndicatorSeries) {
        try check(period, "bollinger")
        guard width.isFinite, width > 0, width <= 10 else { throw FeedError(kind: .invalidRequest, message: "bollinger width must be in (0, 10], not \(width)") }
        let b = Indicators.bollinger(closes, period: period, width: width)
        let label = "\(period),\(JSONStyle.number(width))"
        return (series("bollinger_middle(\(label))", b.middle), series("bollinger_upper(\(label))", b.upper), series("bollinger_lower(\(label))", b.lower))
    }

    public func atr(_ period: Int = 14) throws -> IndicatorSeries {
        try check(period, "atr")
        return series("atr(\(period))", Indicators.atr(bars, period: period))
    }

    /// Annualised rolling volatility of daily returns (sample standard deviation × √252).
    public func volatility(_ period: Int = 20) throws -> IndicatorSeries {
        guard period > 1, period <= 10_000 else { throw FeedError(kind: .invalidRequest, message: "volatility needs a period between 2 and 10000, not \(period)") }
        return series("volatility(\(period))", Indicators.volatility(closes, period: period))
    }

    /// Rate of change over `period` sessions.
    public func momentum(_ period: Int = 20) throws -> IndicatorSeries {
        try check(period, "momentum")
        return series("momentum(\(period))", Indicators.momentum(closes, period: period))
    }

    /// Fall of the close from its highest close so far (within the bars the feed holds).
    public func drawdown() -> IndicatorSeries { series("drawdown", Indicators.drawdown(closes)) }

    /// The latest value of the standard set, for a prompt or a tool answer.
    public func snapshot() -> IndicatorSnapshot {
        let m = Indicators.macd(closes)
        let b = Indicators.bollinger(closes)
        return IndicatorSnapshot(symbol: symbol, day: bars.last?.day, close: bars.last?.close,
                                 sma20: Indicators.sma(closes, period: 20).last ?? nil,
                                 sma50: Indicators.sma(closes, period: 50).last ?? nil,
                                 ema20: Indicators.ema(closes, period: 20).last ?? nil,
                                 rsi14: Indicators.rsi(closes).last ?? nil,
                                 macd: m.macd.last ?? nil, macdSignal: m.signal.last ?? nil,
                                 bollingerUpper: b.upper.last ?? nil, bollingerLower: b.lower.last ?? nil,
                                 atr14: Indicators.atr(bars).last ?? nil,
                                 volatility20: Indicators.volatility(closes).last ?? nil,
                                 momentum20: Indicators.momentum(closes).last ?? nil,
                                 drawdown: Indicators.drawdown(closes).last ?? nil)
    }
}

/// The latest standard indicators of one symbol, as of one bar.
public struct IndicatorSnapshot: Sendable, Hashable, Codable {
    public var symbol: String
    /// The bar the values follow (nil when there are no bars).
    public var day: Day?
    public var close: Double?
    public var sma20: Double?
    public var sma50: Double?
    public var ema20: Double?
    public var rsi14: Double?
    public var macd: Double?
    public var macdSignal: Double?
    public var bollingerUpper: Double?
    public var bollingerLower: Double?
    public var atr14: Double?
    /// Annualised, from 20 daily returns.
    public var volatility20: Double?
    /// Rate of change over 20 sessions.
    public var momentum20: Double?
    public var drawdown: Double?
}

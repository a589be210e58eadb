import Foundation
import Market

/// Indicator figures of one symbol at a decision's close. A figure is nil when the history is too
/// short for it. Returns and distances are fractions (−0.05 = −5 %).
public struct IndicatorSnapshot: Sendable, Hashable, Codable {
    public var symbol: String
    public var day: Day
    public var close: Double
    public var return1d: Double?
    public var return5d: Double?
    public var return20d: Double?
    /// Close over its 20-session simple moving average, minus one.
    public var smaGap20: Double?
    /// Wilder's RSI over 14 sessions (0…100).
    public var rsi14: Double?
    /// Annualised volatility of the last 20 daily returns (sample standard deviation, 252 sessions a year).
    public var volatility20: Double?
    /// Close over the highest close of the last 60 sessions, minus one (0 at a high).
    public var drawdown60: Double?

    public init(symbol: String, day: Day, close: Double, return1d: Double? = nil, return5d: Double? = nil, return20d: Double? = nil,
                smaGap20: Double? = nil, rsi14: Double? = nil, volatility20: Double? = nil, drawdown60: Double? = nil) {
        self.symbol = symbol
        self.day = day
        self.close = close
        self.return1d = return1d
        self.return5d = return5d
        self.return20d = return20d
        self.smaGap20 = smaGap20
        self.rsi14 = rsi14
        self.volatility20 = volatility20
        self.drawdown60 = drawdown60
    }
}

/// Where the indicators tool gets its figures. The desk's own ``BasicIndicators`` until the
/// Market module's indicator set replaces it; any source reads only through the point-in-time feed.
public protocol IndicatorSource: Sendable {
    func snapshot(_ symbol: String, feed: PointInTimeFeed) throws -> IndicatorSnapshot
}

/// The desk's indicator set, computed from the last `lookback` closes the feed gives.
public struct BasicIndicators: IndicatorSource {
    /// Sessions read per symbol (RSI's Wilder smoothing converges within a few dozen).
    public var lookback: Int

    public init(lookback: Int = 250) { self.lookback = lookback }

    public func snapshot(_ symbol: String, feed: PointInTimeFeed) throws -> IndicatorSnapshot {
        let bars = try feed.bars(symbol, last: lookback)
        guard let last = bars.last else {
            throw ToolCallError(kind: .failed, message: "no bars of \(symbol) at or before \(feed.asOf)")
        }
        let closes = bars.map(\.close)
        func back(_ n: Int) -> Double? { closes.count > n ? last.close / closes[closes.count - 1 - n] - 1 : nil }
        let returns = zip(closes, closes.dropFirst()).map { $1 / $0 - 1 }
        return IndicatorSnapshot(
            symbol: symbol, day: last.day, close: last.close,
            return1d: back(1), return5d: back(5), return20d: back(20),
            smaGap20: IndicatorMath.sma(closes, period: 20).last.flatMap { $0 }.map { last.close / $0 - 1 },
            rsi14: IndicatorMath.rsiWilder(closes, period: 14).last.flatMap { $0 },
            volatility20: returns.count >= 20 ? IndicatorMath.sampleStandardDeviation(returns.suffix(20)) * sqrt(252) : nil,
            drawdown60: closes.count >= 2 ? last.close / (closes.suffix(60).max() ?? last.close) - 1 : nil)
    }
}

/// The arithmetic behind the desk's indicators, on plain arrays (oldest first).
public enum IndicatorMath {
    /// Simple moving average; nil until `period` values are available.
    public static func sma(_ values: [Double], period: Int) -> [Double?] {
        guard period > 0 else { return values.map { _ in nil } }
        var result: [Double?] = []
        result.reserveCapacity(values.count)
        var sum = 0.0
        for (i, value) in values.enumerated() {
            sum += value
            if i >= period { sum -= values[i - period] }
            result.append(i >= period - 1 ? sum / Double(period) : nil)
        }
        return result
    }

    /// Wilder's RSI: average gains and losses seeded by the simple mean of the first `period`
    /// changes, then smoothed with weight 1/period. 100 when there were no losses. nil until
    /// `period` changes are available.
    public static func rsiWilder(_ closes: [Double], period: Int) -> [Double?] {
        guard period > 0 else { return closes.map { _ in nil } }
        var result: [Double?] = closes.isEmpty ? [] : [nil]
        var gain = 0.0, loss = 0.0
        for i in closes.indices.dropFirst() {
            let change = closes[i] - closes[i - 1]
            let up = max(change, 0), down = max(-change, 0)
            if i <= period {
                gain += up / Double(period)
                loss += down / Double(period)
            } else {
                gain = (gain * Double(period - 1) + up) / Double(period)
                loss = (loss * Double(period - 1) + down) / Double(period)
            }
            if i < period {
                result.append(nil)
            } else {
                result.append(loss == 0 ? 100 : 100 - 100 / (1 + gain / loss))
            }
        }
        return result
    }

    /// Sample standard deviation (n − 1); 0 for fewer than two values.
    public static func sampleStandardDeviation(_ values: some Collection<Double>) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return sqrt(squares / Double(values.count - 1))
    }
}

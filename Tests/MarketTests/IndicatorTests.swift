import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

@Suite struct IndicatorTests {
    /// backtrader's indicators over its own 2006 sample (Tests/Reference/indicators, conventions in Tests/Reference/README.md).
    struct Reference {
        var rows: [(day: Day, values: [String: Double])] = []

        init() throws {
            let table = try CSVTable.read(path: Fixtures.reference.appendingPathComponent("indicators/2006-day-001-indicators.csv").path)
            for row in table.rows {
                var values: [String: Double] = [:]
                for (i, name) in table.header.enumerated() where i > 0 { values[name] = try table.number(row, i) }
                rows.append((Day(row.fields[0])!, values))
            }
        }
    }

    func bars() throws -> BarSeries {
        try BarFile.load(path: Fixtures.reference.appendingPathComponent("exchange/2006-day-001.txt").path, symbol: "X")
    }

    static func close(_ a: Double?, _ b: Double, _ what: String, _ day: Day) {
        guard let a else {
            Issue.record("\(what) on \(day) is undefined, backtrader has \(b)")
            return
        }
        #expect(abs(a - b) <= 1e-6 * max(abs(b), 1e-9), "\(what) on \(day): \(a) vs backtrader \(b)")
    }

    @Test func everyIndicatorMatchesBacktraderToOnePartInAMillion() throws {
        let reference = try Reference()
        #expect(reference.rows.count == 222)
        let series = try bars()
        let closes = series.bars.map(\.close)
        let sma = Indicators.sma(closes, period: 15)
        let ema = Indicators.ema(closes, period: 15)
        let rsi = Indicators.rsi(closes, period: 14)
        let macd = Indicators.macd(closes, fast: 12, slow: 26, signal: 9)
        let bands = Indicators.bollinger(closes, period: 20, width: 2)
        let atr = Indicators.atr(series.bars, period: 14)
        var compared = 0
        for (day, values) in reference.rows {
            let i = try #require(series.index(on: day))
            #expect(closes[i] == values["close"])
            Self.close(sma[i], values["sma15"]!, "sma15", day)
            Self.close(ema[i], values["ema15"]!, "ema15", day)
            Self.close(rsi[i], values["rsi14_wilder"]!, "rsi14", day)
            Self.close(macd.macd[i], values["macd_12_26"]!, "macd", day)
            Self.close(macd.signal[i], values["macd_signal_9"]!, "macd signal", day)
            Self.close(bands.middle[i], values["bb20_mid"]!, "bollinger mid", day)
            Self.close(bands.upper[i], values["bb20_upper_2sd"]!, "bollinger upper", day)
            Self.close(bands.lower[i], values["bb20_lower_2sd"]!, "bollinger lower", day)
            Self.close(atr[i], values["atr14_wilder"]!, "atr14", day)
            compared += 1
        }
        #expect(compared == 222)
        // The reference starts on the first day all are defined: the MACD signal needs 26 + 9 - 1 closes.
        let first = try #require(series.index(on: reference.rows[0].day))
        #expect(first == 33)
        #expect(macd.signal[first - 1] == nil && macd.signal[first] != nil)
    }

    @Test func definitionsStartWhereTheirWindowsAreFull() {
        let x = (1...30).map(Double.init)
        #expect(Indicators.sma(x, period: 5).prefix(4).allSatisfy { $0 == nil })
        #expect(Indicators.sma(x, period: 5)[4] == 3)
        #expect(Indicators.ema(x, period: 5)[4] == 3)
        #expect(abs(Indicators.ema(x, period: 5)[5]! - 4.0) < 1e-12)  // 3 + (6 − 3)·2/6
        #expect(Indicators.rsi(x, period: 14)[13] == nil)
        #expect(Indicators.rsi(x, period: 14)[14] == 100)  // only up moves
        #expect(Indicators.rsi(Array(repeating: 5, count: 20), period: 14)[19] == 50)
        #expect(Indicators.momentum(x, period: 10)[10] == 11.0 / 1.0 - 1)
        #expect(Indicators.drawdown([100, 120, 90, 130]).map { $0! } == [0, 0, 90.0 / 120 - 1, 0])
        #expect(Indicators.sma([], period: 3).isEmpty && Indicators.atr([], period: 3).isEmpty)
        #expect(Indicators.sma(x, period: 0).allSatisfy { $0 == nil })
    }

    @Test func rollingVolatilityIsTheAnnualisedSampleDeviationOfReturns() throws {
        // Returns alternate +10 % and -10 %: mean 0, sample variance 0.01·n/(n−1).
        var closes = [100.0]
        for i in 0..<20 { closes.append(closes.last! * (i % 2 == 0 ? 1.1 : 0.9)) }
        let v = try #require(Indicators.volatility(closes, period: 20)[20])
        #expect(abs(v - (0.01 * 20 / 19).squareRoot() * 252.0.squareRoot()) < 1e-12)
        #expect(Indicators.volatility(closes, period: 20)[19] == nil)
    }

    @Test func longSeriesKeepTheirPrecision() {
        // A running sum over 100 000 values must not drift from the exact window mean.
        let x = (0..<100_000).map { 1e6 + Double($0 % 97) * 0.001 }
        let sma = Indicators.sma(x, period: 50)
        let exact = x[(x.count - 50)...].reduce(0, +) / 50
        #expect(abs(sma.last!! - exact) < 1e-9)
    }

    @Test func feedIndicatorsArePointInTimeByConstruction() throws {
        let series = try bars()
        let data = MarketData(series: ["X": series], sessions: series.bars.map(\.day))
        let full = BarIndicators(symbol: "X", bars: series.bars)
        let fullSMA = try full.sma(15), fullRSI = try full.rsi(), fullATR = try full.atr(), fullMACD = try full.macd().signal
        for i in stride(from: 0, to: series.bars.count, by: 7) {
            let day = series.bars[i].day
            let indicators = try PointInTimeFeed(data: data, asOf: day).indicators("X")
            #expect(indicators.bars.last?.day == day)
            #expect(indicators.bars.allSatisfy { $0.day <= day })
            // The value on a day depends only on bars up to that day: computing later changes nothing.
            #expect(try indicators.sma(15).latest == fullSMA.values[i])
            #expect(try indicators.rsi().latest == fullRSI.values[i])
            #expect(try indicators.atr().latest == fullATR.values[i])
            #expect(try indicators.macd().signal.latest == fullMACD.values[i])
            #expect(indicators.snapshot().day == day)
        }
        let feed = PointInTimeFeed(data: data, asOf: series.bars[40].day)
        let bad = #expect(throws: FeedError.self) { try feed.indicators("X").sma(0) }
        #expect(bad?.kind == .invalidRequest)
        #expect(throws: FeedError.self) { try feed.indicators("X").bollinger(20, width: .nan) }
        #expect(throws: FeedError.self) { try feed.indicators("X").volatility(1) }
    }
}

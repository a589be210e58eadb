import Foundation
import Market

/// Small, fully known market data for tests that do not need real history.
public enum Fixtures {
    /// Consecutive weekdays from `start`.
    public static func weekdays(from start: Day, count: Int) -> [Day] {
        var days: [Day] = []
        var day = start
        while days.count < count {
            if day.weekday <= 5 { days.append(day) }
            day = day.advanced(by: 1)
        }
        return days
    }

    /// A series whose closes are `closes`, opens equal to the previous close, highs and lows 1 % around.
    public static func series(_ symbol: String, days: [Day], closes: [Double], volume: Double = 1_000_000) -> BarSeries {
        precondition(days.count == closes.count)
        var bars: [Bar] = []
        for (i, (day, close)) in zip(days, closes).enumerated() {
            let open = i == 0 ? close : closes[i - 1]
            bars.append(Bar(day: day, open: open, high: max(open, close) * 1.01, low: min(open, close) * 0.99, close: close, volume: volume))
        }
        return BarSeries(symbol: symbol, bars: bars)
    }

    /// A scenario over the given series, with every series tradable and the first as benchmark.
    public static func scenario(_ series: [BarSeries], cash: Double = 100_000, costs: CostSettings = CostSettings(),
                                constraints: PortfolioConstraints = PortfolioConstraints(), cadence: Cadence = .daily,
                                news: [NewsItem] = []) -> (Scenario, MarketData) {
        let days = Set(series.flatMap { $0.bars.map(\.day) }).sorted()
        let scenario = Scenario(name: "fixture", file: "fixture.yaml",
                                universe: series.map { Instrument(symbol: $0.symbol, dataFile: "\($0.symbol).csv") },
                                start: days.first!, end: days.last!, benchmark: series[0].symbol, initialCash: cash,
                                costs: costs, constraints: constraints, cadence: cadence)
        let data = MarketData(series: Dictionary(uniqueKeysWithValues: series.map { ($0.symbol, $0) }), sessions: days, news: news)
        return (scenario, data)
    }

    /// The folder of the package (for tests that read bundled scenarios).
    public static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// `Tests/Reference`: results of established tools (llama.cpp, backtrader, empyrical, PyPortfolioOpt) used as oracles.
    public static var reference: URL { packageRoot.appendingPathComponent("Tests/Reference") }
}

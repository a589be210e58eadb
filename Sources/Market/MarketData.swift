import Foundation
import InputFiles

/// Everything a scenario's replay reads: the bars of each symbol, the session calendar and the news.
///
/// Held whole by the simulator; agents never see it directly, only through a ``PointInTimeFeed``.
public struct MarketData: Sendable {
    public let series: [String: BarSeries]
    /// Sessions of the replay window (`start...end`), ascending: every day on which any tradable
    /// symbol has a bar.
    public let sessions: [Day]
    /// Sessions before the window that warm-up reads may reach (up to the scenario's `warmup_sessions`).
    public let warmupSessions: [Day]
    /// News sorted by day and time.
    public let news: [NewsItem]
    /// The universe's instruments by symbol (names and sectors agents may read).
    public let instruments: [String: Instrument]
    /// Macro series by name, each sorted by period.
    public let macro: [String: [MacroObservation]]

    public init(series: [String: BarSeries], sessions: [Day], warmupSessions: [Day] = [], news: [NewsItem] = [],
                instruments: [Instrument] = [], macro: [MacroObservation] = []) {
        self.series = series
        self.sessions = sessions
        self.warmupSessions = warmupSessions
        self.news = news.enumerated().sorted { a, b in
            (a.element.day, a.element.minuteOfDay ?? Int.max, a.offset) < (b.element.day, b.element.minuteOfDay ?? Int.max, b.offset)
        }.map(\.element)
        self.instruments = Dictionary(instruments.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        self.macro = Dictionary(grouping: macro, by: \.series).mapValues { list in
            list.enumerated().sorted { ($0.element.period, $0.element.published, $0.offset) < ($1.element.period, $1.element.published, $1.offset) }.map(\.element)
        }
    }

    /// Names of the macro series, sorted.
    public var macroSeries: [String] { macro.keys.sorted() }

    /// Loads every file a scenario names and derives the session calendar.
    public static func load(_ scenario: Scenario) throws -> MarketData {
        var series: [String: BarSeries] = [:]
        for instrument in scenario.universe {
            let loaded = try BarFile.load(path: instrument.dataFile, symbol: instrument.symbol)
            let inWindow = loaded.bars(in: scenario.start...scenario.end)
            guard !inWindow.isEmpty else {
                throw InputError(file: instrument.dataFile, field: instrument.symbol,
                                 problem: "no bars between \(scenario.start) and \(scenario.end) (the file spans \(loaded.firstDay.map(\.iso) ?? "nothing")…\(loaded.lastDay.map(\.iso) ?? ""))",
                                 remedy: "use a file that covers the scenario window")
            }
            series[instrument.symbol] = loaded
        }
        var days = Set<Day>()
        for symbol in scenario.tradableSymbols {
            for bar in series[symbol]!.bars(in: scenario.start...scenario.end) { days.insert(bar.day) }
        }
        let sessions = days.sorted()
        var before = Set<Day>()
        for symbol in scenario.tradableSymbols {
            for bar in series[symbol]!.bars where bar.day < scenario.start { before.insert(bar.day) }
        }
        let warmup = Array(before.sorted().suffix(scenario.warmupSessions))
        var news: [NewsItem] = []
        for file in scenario.newsFiles { news += try NewsFile.load(path: file) }
        var macro: [MacroObservation] = []
        for file in scenario.macroFiles { macro += try MacroFile.load(path: file) }
        return MarketData(series: series, sessions: sessions, warmupSessions: warmup, news: news, instruments: scenario.universe, macro: macro)
    }

    /// The decision days of `cadence` within the replay window, each a session.
    public func decisionDays(_ cadence: Cadence, file: String = "") throws -> [Day] {
        switch cadence {
        case .daily:
            return sessions
        case .weekly:
            return lastOfEachGroup { let w = $0.isoWeek; return w.year * 100 + w.week }
        case .monthly:
            return lastOfEachGroup { $0.year * 100 + $0.month }
        case let .dates(days):
            let sessionSet = Set(sessions)
            for day in days where !sessionSet.contains(day) {
                throw InputError(file: file, field: "cadence", problem: "\(day) is not a session of the replay window",
                                 remedy: "list trading days between the scenario's start and end")
            }
            return days
        }
    }

    private func lastOfEachGroup(_ key: (Day) -> Int) -> [Day] {
        var result: [Day] = []
        for (index, day) in sessions.enumerated() {
            if index + 1 == sessions.count || key(sessions[index + 1]) != key(day) { result.append(day) }
        }
        return result
    }
}

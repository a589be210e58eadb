import DeskTesting
import Foundation
import Market
import Testing

/// Proofs that no agent-visible answer depends on anything after the decision close.
@Suite struct LookAheadTests {
    /// Everything an agent can ask a feed. Two feeds that must be indistinguishable to agents give equal transcripts.
    struct Transcript: Equatable {
        var asOf: Day
        var symbols: [String]
        var sessions: [Day]
        var instruments: [InstrumentInfo] = []
        var bars: [[Bar]] = []
        var latest: [Bar?] = []
        var indicators: [[Double?]] = []
        var snapshots: [IndicatorSnapshot] = []
        var news: [NewsItem] = []
        var macro: [[MacroObservation]] = []
    }

    static func transcript(_ feed: any MarketFeed) throws -> Transcript {
        var t = Transcript(asOf: feed.asOf, symbols: feed.symbols, sessions: feed.pastSessions)
        for (index, symbol) in feed.symbols.enumerated() {
            t.instruments.append(try feed.instrument(symbol))
            t.bars.append(Array(try feed.bars(symbol, last: 100_000)))
            t.latest.append(try feed.latestBar(symbol))
            // The snapshot holds the latest value of every indicator (SMA, EMA, RSI, MACD, Bollinger, ATR,
            // volatility, momentum, drawdown); a series adds the days it is dated by. Every third symbol
            // keeps a debug-build run short; the bars of every symbol are compared.
            guard index % 3 == 0 else { continue }
            let i = try feed.indicators(symbol)
            t.snapshots.append(i.snapshot())
            let rsi = try i.rsi()
            t.indicators.append(rsi.values.suffix(3) + [rsi.days.last.map { Double($0.daysSinceEpoch) }])
        }
        let first = feed.pastSessions.first ?? feed.asOf
        t.news = try feed.news(since: first.advanced(by: -400))
        t.macro = try feed.macroSeries.map { try feed.macro($0, last: 100_000) }
        return t
    }

    /// The data an honest agent could know at the close of `day`: bars after it, and news and macro
    /// values not yet public, removed.
    static func known(_ data: MarketData, atCloseOf day: Day) -> MarketData {
        let series = data.series.mapValues { BarSeries(symbol: $0.symbol, bars: $0.bars.filter { $0.day <= day }) }
        return MarketData(series: series, sessions: data.sessions.filter { $0 <= day }, warmupSessions: data.warmupSessions,
                          news: data.news.filter { $0.isPublic(atCloseOf: day) }, instruments: Array(data.instruments.values),
                          macro: data.macro.values.flatMap { $0 }.filter { $0.isPublic(atCloseOf: day) })
    }

    /// Every 25th session, and sessions with a note that is not yet public at their close (12 days in all at most).
    static func probeDays(_ data: MarketData) -> [Day] {
        let late = Set(data.news.filter { !$0.isPublic(atCloseOf: $0.day) }.map(\.day))
        let days = data.sessions.enumerated().filter { $0.offset % 25 == 0 || late.contains($0.element) }.map(\.element)
        return stride(from: 0, to: days.count, by: max(1, (days.count + 11) / 12)).map { days[$0] }
    }

    @Test(arguments: BundledScenarioTests.names) func noAnswerDependsOnTheFuture(_ name: String) throws {
        let (scenario, data) = try BundledScenarioTests.load(name)
        let symbols = scenario.universe.map(\.symbol)
        let mapping = BlindMapping(scenario: scenario, runSeed: 7)
        let blind = BlindMarket(data: data, mapping: mapping)
        var probed = 0
        for day in Self.probeDays(data) {
            let known = Self.known(data, atCloseOf: day)
            let full = PointInTimeFeed(data: data, asOf: day, symbols: symbols)
            let honest = PointInTimeFeed(data: known, asOf: day, symbols: symbols)
            #expect(try Self.transcript(full) == Self.transcript(honest), "\(name) at \(day)")
            let blindFull = blind.feed(atCloseOf: day, symbols: symbols)
            let blindHonest = BlindMarket(data: known, mapping: mapping).feed(atCloseOf: day, symbols: symbols)
            #expect(try Self.transcript(blindFull) == Self.transcript(blindHonest), "\(name) blind at \(day)")
            #expect(blindFull.realAsOf == day)
            probed += 1
        }
        #expect(probed >= 8)
    }

    @Test(arguments: BundledScenarioTests.names) func everyAnswerIsDatedAtOrBeforeTheClock(_ name: String) throws {
        let (scenario, data) = try BundledScenarioTests.load(name)
        for day in Self.probeDays(data) {
            let feed = PointInTimeFeed(data: data, asOf: day, symbols: scenario.universe.map(\.symbol))
            for symbol in feed.symbols {
                #expect(try feed.bars(symbol, last: 100_000).allSatisfy { $0.day <= day })
                #expect(try feed.indicators(symbol).bars.last.map { $0.day <= day } ?? true)
            }
            for item in try feed.news(since: data.warmupSessions[0]) {
                #expect(item.day < day || (item.day == day && (item.minuteOfDay ?? Int.max) <= 16 * 60), "\(item.day) \(item.text)")
            }
            for series in feed.macroSeries {
                #expect(try feed.macro(series, last: 100_000).allSatisfy { $0.isPublic(atCloseOf: day) && $0.published <= day })
            }
        }
    }

    @Test(arguments: BundledScenarioTests.names) func explicitRequestsForTheFutureAreRefused(_ name: String) throws {
        let (scenario, data) = try BundledScenarioTests.load(name)
        let day = data.sessions[data.sessions.count / 2]
        let next = data.sessions[data.sessions.count / 2 + 1]
        let feed = PointInTimeFeed(data: data, asOf: day)
        let blind = BlindFeed(feed, mapping: BlindMapping(scenario: scenario, runSeed: 3))
        let alias = try #require(blind.symbols.first)
        for request in [
            { _ = try feed.bar(scenario.benchmark, on: next) },
            { _ = try feed.bars(scenario.benchmark, from: day, to: next) },
            { _ = try feed.news(since: next) },
            { _ = try blind.bar(alias, on: blind.asOf.advanced(by: 1)) },
            { _ = try blind.bars(alias, from: blind.asOf, to: blind.asOf.advanced(by: 3)) },
            { _ = try blind.news(since: blind.asOf.advanced(by: 1)) },
        ] as [() throws -> Void] {
            let error = #expect(throws: FeedError.self) { try request() }
            #expect(error?.kind == .lookAhead)
        }
        // The bar of the decision day itself is there.
        #expect(try feed.bar(scenario.benchmark, on: day)?.day == day)
    }

    @Test func newsAfterTheCloseOfTheDecisionDayWaitsForTheNextDecision() throws {
        let (_, data) = try BundledScenarioTests.load("gfc-2008")
        // The Fed's AIG loan was announced at 21:45 on 2008-09-16: not visible after that day's close.
        let day = Day("2008-09-16")!
        let aig = try #require(data.news.first { $0.day == day && $0.symbols == ["AIG"] && ($0.minuteOfDay ?? 0) > 16 * 60 })
        #expect(try !PointInTimeFeed(data: data, asOf: day).news(since: day).contains(aig))
        #expect(try PointInTimeFeed(data: data, asOf: Day("2008-09-17")!).news(since: day).contains(aig))
        // A note dated the decision day without a time also waits.
        let covid = try BundledScenarioTests.load("covid-crash-2020").1
        let untimed = try #require(covid.news.first { $0.minuteOfDay == nil && covid.sessions.contains($0.day) })
        #expect(try !PointInTimeFeed(data: covid, asOf: untimed.day).news(since: untimed.day).contains(untimed))
    }

    @Test func macroValuesAppearOnTheirReleaseDayNotTheirPeriod() throws {
        let (_, data) = try BundledScenarioTests.load("rate-hikes-2022")
        // May 2022 CPI (FRED dates it 2022-05-01) was released at 08:30 on 2022-06-10.
        let before = PointInTimeFeed(data: data, asOf: Day("2022-06-09")!)
        let after = PointInTimeFeed(data: data, asOf: Day("2022-06-10")!)
        #expect(try before.latestMacro("cpi_index")?.period == Day("2022-04-01"))
        #expect(try after.latestMacro("cpi_index")?.period == Day("2022-05-01"))
        // The June hike (announced 2022-06-15 14:00) takes effect 2022-06-16, which is when the series shows it.
        #expect(try PointInTimeFeed(data: data, asOf: Day("2022-06-15")!).latestMacro("fed_funds_target_upper")?.value == 1)
        #expect(try PointInTimeFeed(data: data, asOf: Day("2022-06-16")!).latestMacro("fed_funds_target_upper")?.value == 1.75)
        // A 10-year yield is published the weekday after its date, after that day's close.
        #expect(try after.latestMacro("treasury_10y_yield")?.period == Day("2022-06-08"))
        let unknown = #expect(throws: FeedError.self) { try after.macro("gdp", last: 1) }
        #expect(unknown?.kind == .unknownSeries)
    }
}

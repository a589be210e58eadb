import DeskTesting
import Market
import Testing

@Suite struct PointInTimeFeedTests {
    let days = Fixtures.weekdays(from: Day("2020-03-02")!, count: 10)

    func data(news: [NewsItem] = []) -> MarketData {
        let series = Fixtures.series("A", days: days, closes: (0..<10).map { 100 + Double($0) })
        return MarketData(series: ["A": series], sessions: days, news: news)
    }

    @Test func barsStopAtTheClock() throws {
        let feed = PointInTimeFeed(data: data(), asOf: days[4])
        #expect(try feed.bars("A", last: 100).last?.day == days[4])
        #expect(try feed.closes("A", last: 3) == [102, 103, 104])
        #expect(try feed.latestBar("A")?.day == days[4])
        let ahead = #expect(throws: FeedError.self) { try feed.bar("A", on: days[5]) }
        #expect(ahead?.kind == .lookAhead)
        #expect(throws: FeedError.self) { try feed.bars("A", from: days[0], to: days[9]) }
        let unknown = #expect(throws: FeedError.self) { try feed.latestBar("ZZZ") }
        #expect(unknown?.kind == .unknownSymbol)
    }

    @Test func newsAfterTheCloseIsNotPublic() throws {
        let news = [
            NewsItem(day: days[4], minuteOfDay: 9 * 60, symbols: ["A"], text: "morning note", source: "test"),
            NewsItem(day: days[4], minuteOfDay: 17 * 60 + 30, symbols: ["A"], text: "after-hours note", source: "test"),
            NewsItem(day: days[4], symbols: [], text: "undated-time note", source: "test"),
            NewsItem(day: days[5], minuteOfDay: 8 * 60, symbols: ["A"], text: "tomorrow", source: "test"),
        ]
        let feed = PointInTimeFeed(data: data(news: news), asOf: days[4])
        #expect(try feed.news(since: days[0]).map(\.text) == ["morning note"])
        let next = PointInTimeFeed(data: data(news: news), asOf: days[5])
        #expect(Set(try next.news(since: days[0]).map(\.text)) == ["morning note", "after-hours note", "undated-time note", "tomorrow"])
        #expect(throws: FeedError.self) { try feed.news(since: days[6]) }
    }

    @Test func drawdownFindsPeakTroughAndRecovery() throws {
        let d = Fixtures.weekdays(from: Day("2020-01-06")!, count: 7)
        let dd = Drawdown.maximum(values: [100, 120, 90, 60, 100, 130, 125], days: d)
        #expect(dd.depth == 60.0 / 120.0 - 1)
        #expect(dd.peak == d[1] && dd.trough == d[3] && dd.recovery == d[5])
        #expect(Drawdown.maximum(values: [90, 95], days: Array(d.prefix(2)), start: 100).depth == 90.0 / 100 - 1)
    }
}

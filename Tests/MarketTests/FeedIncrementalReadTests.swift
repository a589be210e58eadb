import DeskTesting
import Market
import Testing

@Suite struct FeedIncrementalReadTests {
    let days = Fixtures.weekdays(from: Day("2021-01-04")!, count: 40)

    func data() -> MarketData {
        let closes = (0..<40).map { 100 + Double($0) }
        let a = Fixtures.series("A", days: days, closes: closes)
        // B trades every other session only.
        let b = BarSeries(symbol: "B", bars: a.bars.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element })
        return MarketData(series: ["A": a, "B": b], sessions: days)
    }

    @Test func barsAfterACountAreTheNewBarsUpToTheCloseWhateverTheCount() throws {
        let data = data()
        for asOf in [days[0], days[1], days[7], days[20], days[39]] {
            let feed = PointInTimeFeed(data: data, asOf: asOf)
            for symbol in ["A", "B"] {
                let history = try feed.bars(symbol, last: Int.max)
                for count in 0...(history.count + 3) {
                    #expect(Array(try feed.bars(symbol, after: count)) == Array(history.dropFirst(count)), "\(symbol) \(asOf) after \(count)")
                }
                #expect(try feed.bars(symbol, after: -2).count == history.count)
            }
        }
    }

    @Test func aSourceOpensTheSameFeedAsTheInitializer() throws {
        let data = data()
        let source = PointInTimeFeed.Source(data: data, symbols: ["B"])
        let feed = source.feed(asOf: days[9])
        #expect(feed.symbols == ["B"])
        #expect(try feed.latestBar("B") == PointInTimeFeed(data: data, asOf: days[9], symbols: ["B"]).latestBar("B"))
        #expect(throws: FeedError.self) { try feed.latestBar("A") }          // outside the source's symbols
        #expect(throws: FeedError.self) { try feed.bars("B", from: days[0], to: days[10]) }   // after the close
    }
}

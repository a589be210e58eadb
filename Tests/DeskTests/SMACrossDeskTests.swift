@testable import Desk
import DeskTesting
import Exchange
import JournalRecords
import Market
import Testing

@Suite struct ExactSumTests {
    @Test func theSumIsCorrectlyRoundedWhereANaiveSumIsNot() {
        var tenths = ExactSum()
        for _ in 0..<10 { tenths.add(0.1) }
        #expect(tenths.rounded == 1.0)                              // a running double sum gives 0.9999999999999999
        var cancelling = ExactSum()
        for x in [1e100, 1.0, -1e100, 1e-30] { cancelling.add(x) }
        #expect(cancelling.rounded == 1.0 + 1e-30)
        var empty = ExactSum()
        empty.add(3.5)
        empty.add(-3.5)
        #expect(empty.rounded == 0)
    }

    @Test func aRollingAverageEqualsTheCorrectlyRoundedAverageOfItsWindowAtEveryStep() {
        // Values on a 2^-20 grid sum exactly in integers, which gives a correctly rounded reference.
        var random = SeededRandom(seed: 42)
        let values = (0..<2_000).map { _ in Double(Int64.random(in: -(1 << 40)...(1 << 40), using: &random)) / 1_048_576 }
        for period in [1, 2, 15, 30] {
            var average = ExactMovingAverage(period: period)
            for (index, value) in values.enumerated() {
                let result = average.push(value)
                guard index + 1 >= period else { #expect(result == nil); continue }
                let exact = values[(index + 1 - period)...index].reduce(Int64(0)) { $0 + Int64($1 * 1_048_576) }
                #expect(result == Double(exact) / 1_048_576 / Double(period), "period \(period) at \(index)")
            }
        }
    }
}

@Suite struct CrossoverTests {
    let days = Fixtures.weekdays(from: Day("2021-01-04")!, count: 8)

    func crosses(_ closes: [Double], _ signal: SMACrossDesk.Signal) -> [Int8] {
        var state = CrossoverState(signal: signal)
        return zip(days, closes).map { day, close in
            state.push(Bar(day: day, open: close, high: close, low: close, close: close, volume: 0))
            return state.cross
        }
    }

    @Test func aZeroDifferenceKeepsTheLastNonZeroOneAsBacktraderDoes() {
        // Close against SMA(2): the difference is half the day's change, zero when the close repeats.
        let closes: [Double] = [10, 9, 9, 11, 11, 8]
        #expect(crosses(closes, .closeVersusSMA(period: 2)) == [0, 0, 0, 1, 0, -1])
        // On day 5 the previous difference is 0; the last non-zero one (day 3, positive) makes it a downward cross.
    }

    @Test func fastAgainstSlowNeedsTheSlowAverageAndOneMoreSession() {
        let closes: [Double] = [5, 4, 3, 4, 6, 7, 5, 2]
        // SMA(1) is the close; SMA(3) from day 2 on: 4, 3.667, 4.333, 5.667, 6, 4.667.
        #expect(crosses(closes, .fastVersusSlow(fast: 1, slow: 3)) == [0, 0, 0, 1, 0, 0, -1, 0])
    }
}

@Suite struct SMACrossDeskTests {
    let days = Fixtures.weekdays(from: Day("2021-01-04")!, count: 12)

    func market() -> (Scenario, MarketData) {
        let a = Fixtures.series("A", days: days, closes: [10, 9, 8, 9, 11, 12, 13, 11, 9, 8, 10, 12])
        return Fixtures.scenario([a], cash: 10_000)
    }

    @Test func buysTheStakeOnAnUpwardCrossAndSellsEverythingOnADownwardOne() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        let desk = SMACrossDesk(signal: .closeVersusSMA(period: 3), stake: 7, symbols: ["A"])
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        let fills = run.steps.flatMap(\.fills)
        #expect(fills.map(\.side) == [.buy, .sell, .buy])
        #expect(fills.allSatisfy { $0.quantity == 7 })
        // SMA(3) from day 2 (9, 8.67, 9.33, …): crosses after the closes of days 3 (up), 7 (down) and 10 (up);
        // fills at the next opens (the fixture opens at the previous close).
        #expect(fills.map(\.day) == [days[4], days[8], days[11]])
        #expect(fills.map(\.price) == [9, 11, 10])
        #expect(run.steps.flatMap(\.decisions).allSatisfy { $0.role == "sma-cross" })
    }

    @Test func noNewOrderIsSentWhileOneOfTheSymbolIsWorking() async throws {
        let (scenario, data) = market()
        let desk = SMACrossDesk(signal: .closeVersusSMA(period: 3), stake: 7, symbols: ["A"])
        func decide(openOrders: [Order]) async throws -> DeskProposal {
            let feed = PointInTimeFeed(data: data, asOf: days[3])           // the close crosses above SMA(3) on day 3
            let book = BookView(cash: 10_000, equity: 10_000, positions: [:], openOrders: openOrders)
            return try await desk.decide(DecisionContext(scenario: scenario, day: days[3], stepIndex: 3, decisionIndex: 3, feed: feed, book: book,
                                                         seed: 0, run: RunID(1), journal: InMemoryJournal()))
        }
        #expect(try await decide(openOrders: []).orders.count == 1)
        let working = Order(id: OrderID(1), request: OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 1), timeInForce: .gtc),
                            submittedOn: days[0])
        #expect(try await decide(openOrders: [working]).orders.isEmpty)
    }

    @Test func aDeskReusedAcrossRunsAndDaysGivesTheSameJournal() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        let shared = SMACrossDesk(signal: .fastVersusSlow(fast: 2, slow: 4), stake: 3, symbols: ["A"])
        let first = try await Orchestrator(scenario: scenario, data: data, policy: shared, journal: journal).run()
        let second = try await Orchestrator(scenario: scenario, data: data, policy: shared, journal: journal).run()
        let fresh = try await Orchestrator(scenario: scenario, data: data,
                                           policy: SMACrossDesk(signal: .fastVersusSlow(fast: 2, slow: 4), stake: 3, symbols: ["A"]), journal: journal).run()
        let a = try #require(await journal.run(first.run)), b = try #require(await journal.run(second.run)), c = try #require(await journal.run(fresh.run))
        #expect(a.steps == b.steps)
        #expect(a.steps == c.steps)
        #expect(!a.steps.flatMap(\.fills).isEmpty)
    }

    @Test func settingsThatCannotWorkAreExplained() {
        #expect(SMACrossDesk.validate(.fastVersusSlow(fast: 30, slow: 10), stake: 1)?.contains("shorter") == true)
        #expect(SMACrossDesk.validate(.closeVersusSMA(period: 0), stake: 1)?.contains("at least 1") == true)
        #expect(SMACrossDesk.validate(.closeVersusSMA(period: 5), stake: 0)?.contains("stake") == true)
        #expect(SMACrossDesk.validate(.fastVersusSlow(fast: 10, slow: 30), stake: 100) == nil)
    }
}

@Suite struct SnapshotDigestTests {
    @Test func theOrchestratorsCursorDigestEqualsTheFeedDigestAtEverySession() {
        let days = Fixtures.weekdays(from: Day("2021-01-04")!, count: 15)
        let a = Fixtures.series("A", days: days, closes: (0..<15).map { 50 + Double($0 % 4) })
        let b = BarSeries(symbol: "B", bars: Fixtures.series("B", days: days, closes: (0..<15).map { 20 + Double($0) }).bars.enumerated()
            .filter { $0.offset % 3 != 1 }.map(\.element))
        let c = BarSeries(symbol: "C", bars: Array(Fixtures.series("C", days: days, closes: Array(repeating: 9, count: 15)).bars.dropFirst(5)))
        let data = MarketData(series: ["A": a, "B": b, "C": c], sessions: days)
        var cursor = SessionBarCursor(data.series)
        for day in days {
            _ = cursor.bars(on: day)
            let feed = PointInTimeFeed(data: data, asOf: day)
            let viaFeed = ScenarioDigest.snapshot(feed: feed, symbols: ["C", "A", "B"])
            let viaCursor = ScenarioDigest.snapshot(asOf: day, latestBars: cursor.latestBars(of: ["A", "B", "C"]), news: [])
            #expect(viaFeed == viaCursor, "\(day)")
        }
    }
}

import Desk
import DeskTesting
import Exchange
import Foundation
import InputFiles
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct IndicatorTests {
    /// backtrader's SMA(15) and Wilder RSI(14) over its own `2006-day-001.txt` (Tests/Reference/indicators).
    @Test func smaAndRSIMatchBacktrader() throws {
        let bars = try BarFile.load(path: Fixtures.reference.appendingPathComponent("exchange/2006-day-001.txt").path, symbol: "X")
        let closes = bars.bars.map(\.close)
        let sma = IndicatorMath.sma(closes, period: 15)
        let rsi = IndicatorMath.rsiWilder(closes, period: 14)
        let table = try CSVTable.read(path: Fixtures.reference.appendingPathComponent("indicators/2006-day-001-indicators.csv").path)
        let date = try table.requireColumn("date"), smaColumn = try table.requireColumn("sma15"), rsiColumn = try table.requireColumn("rsi14_wilder")
        #expect(table.rows.count > 200)
        for row in table.rows {
            let day = try #require(Day(try table.field(row, date)))
            let index = try #require(bars.index(on: day))
            let expectedSMA = try table.number(row, smaColumn), expectedRSI = try table.number(row, rsiColumn)
            #expect(abs(try #require(sma[index]) - expectedSMA) <= 1e-6 * abs(expectedSMA), "SMA on \(day)")
            #expect(abs(try #require(rsi[index]) - expectedRSI) <= 1e-6 * abs(expectedRSI), "RSI on \(day)")
        }
    }

    @Test func theSnapshotReadsOnlyUpToTheClock() throws {
        let (_, data) = AgentMarket.make()
        let day = AgentMarket.days[5]
        let snapshot = try BasicIndicators().snapshot("A", feed: PointInTimeFeed(data: data, asOf: day))
        #expect(snapshot.day == day && snapshot.close == 55)
        #expect(abs(try #require(snapshot.return1d) - (55.0 / 53 - 1)) < 1e-12)
        #expect(abs(try #require(snapshot.return5d) - (55.0 / 50 - 1)) < 1e-12)
        #expect(snapshot.return20d == nil && snapshot.smaGap20 == nil && snapshot.volatility20 == nil)
        #expect(snapshot.drawdown60 == 0)
        #expect(IndicatorMath.sampleStandardDeviation([1, 2, 3, 4]) == (5.0 / 3).squareRoot())
    }
}

@Suite struct ToolTests {
    func context(day index: Int = 5, book: BookView = BookView(cash: 100_000, equity: 100_000, positions: [:], openOrders: []),
                 news: [NewsItem] = []) -> ToolContext {
        let (scenario, data) = AgentMarket.make(news: news)
        let day = AgentMarket.days[index]
        let decision = DecisionContext(scenario: scenario, day: day, stepIndex: index, decisionIndex: index,
                                       feed: PointInTimeFeed(data: data, asOf: day), book: book, seed: 0, run: RunID(1), journal: InMemoryJournal())
        return ToolContext(decision: decision, universe: ["A", "B", "C"])
    }

    @Test func toolsAnswerAsOfTheDecisionAndRefuseTheFuture() async throws {
        let ctx = context()
        let prices = try await PricesTool().run(PricesTool.Input(symbols: ["A"], sessions: 100), context: ctx)
        #expect(prices.series[0].points.map(\.day) == Array(AgentMarket.days[0...5]))
        await #expect(throws: FeedError.self) {
            _ = try await PricesTool().run(PricesTool.Input(symbols: ["A"], to: AgentMarket.days[6]), context: ctx)
        }
        let returns = try await ReturnsTool().run(ReturnsTool.Input(symbols: ["C"], sessions: 2), context: ctx)
        let expected: [Double] = [74.0 / 75 - 1, 72.0 / 74 - 1]
        #expect(returns.series[0].returns == expected)
    }

    @Test func newsIsWhatWasPublicAtTheClose() async throws {
        let days = AgentMarket.days
        let notes = [
            NewsItem(day: days[5], minuteOfDay: 9 * 60, symbols: ["A"], text: "morning", source: "s"),
            NewsItem(day: days[5], minuteOfDay: 17 * 60, symbols: ["A"], text: "after the close", source: "s"),
            NewsItem(day: days[5], text: "no time", source: "s"),
            NewsItem(day: days[4], symbols: ["B"], text: "yesterday about B", source: "s"),
            NewsItem(day: days[4], text: "yesterday market", source: "s"),
            NewsItem(day: days[6], symbols: ["A"], text: "tomorrow", source: "s"),
        ]
        let ctx = context(news: notes)
        let all = try await NewsTool().run(NewsTool.Input(since: days[0], symbols: ["A"]), context: ctx)
        #expect(all.notes.map(\.text) == ["morning", "yesterday market"])
        let market = try await NewsTool().run(NewsTool.Input(since: days[0], scope: .market), context: ctx)
        #expect(market.notes.map(\.text) == ["yesterday market"])
        let limited = try await NewsTool().run(NewsTool.Input(since: days[0], maxItems: 1), context: ctx)
        #expect(limited.notes.map(\.text) == ["morning"] && limited.omitted == 2)
        #expect(all.notes[0].time == "09:00")
    }

    @Test func theToolboxJournalsEveryCallWithItsInputAndOutput() async throws {
        var toolbox = RoleToolbox(role: "r", allowed: ["prices"], registry: .standard(), context: context())
        let output = try await toolbox.call("prices", .object([.init("symbols", .array([.string("B")])), .init("sessions", .number(1))]))
        #expect(output["series"]?.arrayValue?.first?["points"]?.arrayValue?.first?["close"] == .number(20.3))
        await #expect(throws: ToolCallError.self) { try await toolbox.call("prices", .object([.init("symbols", .string("B"))])) }
        await #expect(throws: ToolCallError.self) { try await toolbox.call("pricez", .object([])) }
        let records = toolbox.activity.toolCalls
        #expect(records.count == 3)
        #expect(records[0].error == nil && records[0].input["sessions"] == .number(1))
        #expect(records[1].error?.contains("does not fit") == true)
        #expect(records[2].error?.hasPrefix("tool_refused") == true)
        #expect(toolbox.activity.failures.map(\.kind) == ["tool_error", "tool_refused"])
    }

    @Test func theOrderAPIQueuesForTheOrchestratorAndChecksItsInput() async throws {
        let open = Order(id: OrderID(7), request: OrderRequest(symbol: "A", side: .buy, quantity: 10), submittedOn: AgentMarket.days[4])
        let ctx = context(book: BookView(cash: 100_000, equity: 100_000, positions: [:], openOrders: [open]))
        let ticket = try await SubmitOrderTool().run(OrderTicket(symbol: "A", side: "buy", quantity: 5, type: "limit", limitPrice: 54), context: ctx)
        #expect(ticket.ticket == 1)
        await #expect(throws: ToolCallError.self) {
            _ = try await SubmitOrderTool().run(OrderTicket(symbol: "A", side: "buy", quantity: 5, type: "limit"), context: ctx)
        }
        await #expect(throws: ToolCallError.self) {
            _ = try await SubmitOrderTool().run(OrderTicket(symbol: "A", side: "hold", quantity: 5), context: ctx)
        }
        _ = try await CancelOrderTool().run(CancelOrderTool.Input(orderId: 7), context: ctx)
        await #expect(throws: ToolCallError.self) { _ = try await CancelOrderTool().run(CancelOrderTool.Input(orderId: 8), context: ctx) }
        #expect(await ctx.blotter.orders == [OrderRequest(symbol: "A", side: .buy, quantity: 5, kind: .limit(price: 54))])
        #expect(await ctx.blotter.cancellations == [OrderID(7)])
        let status = try await OrderStatusTool().run(OrderStatusTool.Input(), context: ctx)
        #expect(status.openOrders.map(\.id) == [7])
    }

    @Test func portfolioToolsDescribeTheBook() async throws {
        let position = Position(symbol: "A", quantity: 100, averageCost: 50, realizedPnL: 10, lastPrice: 55)
        let ctx = context(book: BookView(cash: 94_500, equity: 100_000, positions: ["A": position], openOrders: []))
        let book = try await BookTool().run(BookTool.Input(), context: ctx)
        #expect(book.positions.map(\.weight) == [0.055])
        let exposure = try await ExposureTool().run(ExposureTool.Input(), context: ctx)
        #expect(exposure.gross == 0.055 && exposure.net == 0.055 && exposure.cash == 0.945 && exposure.largestSymbol == "A")
        let pnl = try await PnLTool().run(PnLTool.Input(), context: ctx)
        #expect(pnl.positions.first?.unrealized == 500 && pnl.positions.first?.realized == 10 && pnl.sinceStart == 0)
    }
}

@Suite struct SizingTests {
    let constraints = SizingConstraints(maxWeight: 0.4, maxGross: 1, cashBuffer: 0.05, longOnly: true)
    let returns: [String: [Double]] = [
        "A": [0.01, -0.01, 0.02, -0.02, 0.01, -0.01],
        "B": [0.02, -0.02, 0.04, -0.04, 0.02, -0.02],
        "C": [0.005, -0.005, 0.01, -0.01, 0.005, -0.005],
    ]

    func construct(_ views: [SymbolView], appetite: Double = 1) throws -> [String: Double] {
        let request = ConstructionRequest(symbols: ["A", "B", "C"], views: views, riskAppetite: appetite, constraints: constraints, currentWeights: [])
        return try TiltConstructor().construct(request, returns: returns).targets.weights
    }

    @Test func withoutViewsWeightsAreInverseVolatilityWithinTheCaps() throws {
        let w = try construct([])
        // σ_B = 2 σ_A = 4 σ_C: raw weights 2 : 1 : 4, C capped at 0.4, the rest spread 2 : 1.
        #expect(abs(w["C"]! - 0.4) < 1e-12)
        #expect(abs(w["A"]! - 2 * w["B"]!) < 1e-12)
        #expect(abs(w.values.reduce(0, +) - 0.95) < 1e-12)
    }

    @Test func viewsTiltAndAppetiteScales() throws {
        let w = try construct([SymbolView(symbol: "C", tilt: -1, confidence: 1), SymbolView(symbol: "B", tilt: 1, confidence: 0.5)], appetite: 0.5)
        #expect(w["C"] == 0)
        // A: 1/σ, B: 1.5/(2σ) — so A : B = 4 : 3, summing to 0.5 × 0.95.
        #expect(abs(w["A"]! / w["B"]! - 4.0 / 3) < 1e-12)
        #expect(abs(w.values.reduce(0, +) - 0.475) < 1e-12)
        #expect(try construct([], appetite: 0).values.allSatisfy { $0 == 0 })
    }

    @Test func theResultCarriesItsVolatilityAndNotes() throws {
        let request = ConstructionRequest(symbols: ["A", "B", "C", "D"], views: [SymbolView(symbol: "Z", tilt: 1, confidence: 1)], riskAppetite: 1,
                                          constraints: constraints, currentWeights: [])
        let result = try TiltConstructor().construct(request, returns: returns)
        #expect(result.notes.contains("D: too little history, median volatility used"))
        #expect(result.notes.contains("view on Z ignored: not in the universe"))
        // D has no history, so the portfolio's volatility cannot be estimated; without D it can.
        #expect(result.expectedVolatility == nil)
        #expect(abs(result.cash - 0.05) < 1e-12)
        let known = ConstructionRequest(symbols: ["A", "B", "C"], views: [], riskAppetite: 1, constraints: constraints, currentWeights: [])
        #expect(try #require(TiltConstructor().construct(known, returns: returns).expectedVolatility) > 0)
    }
}

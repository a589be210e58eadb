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
    @Test func theIndicatorsToolReadsOnlyUpToTheClock() async throws {
        let (scenario, data) = AgentMarket.make()
        let day = AgentMarket.days[5]
        let decision = DecisionContext(scenario: scenario, day: day, stepIndex: 5, decisionIndex: 5, feed: PointInTimeFeed(data: data, asOf: day),
                                       book: BookView(cash: 1, equity: 1, positions: [:], openOrders: []), seed: 0, run: RunID(1), journal: InMemoryJournal())
        let output = try await IndicatorsTool().run(IndicatorsTool.Input(symbols: ["A", "C"]), context: ToolContext(decision: decision, universe: ["A", "B", "C"]))
        let a = try #require(output.snapshots.first)
        #expect(a.symbol == "A" && a.day == day && a.close == 55)
        // The same figures as the Market module's over the bars up to the decision, and nothing later.
        let bars = Array(data.series["A"]!.bars.prefix(6))
        #expect(a == BarIndicators(symbol: "A", bars: bars).snapshot())
        #expect(output.snapshots[1].drawdown == 72.0 / 80 - 1)
    }
}

@Suite struct ToolTests {
    func context(day index: Int = 5, book: BookView = BookView(cash: 100_000, equity: 100_000, positions: [:], openOrders: []),
                 news: [NewsItem] = []) -> ToolContext {
        let (scenario, data) = AgentMarket.make(news: news, dailyNotes: false)
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
            NewsItem(day: days[3], minuteOfDay: 16 * 60, symbols: ["IDX"], text: "the index fell", source: "s"),
        ]
        let ctx = context(news: notes)
        let all = try await NewsTool().run(NewsTool.Input(since: days[0], symbols: ["A"]), context: ctx)
        // A note naming only the benchmark (IDX) is about the market.
        #expect(all.notes.map(\.text) == ["morning", "yesterday market", "the index fell"])
        let market = try await NewsTool().run(NewsTool.Input(since: days[0], scope: .market), context: ctx)
        #expect(market.notes.map(\.text) == ["yesterday market", "the index fell"])
        let named = try await NewsTool().run(NewsTool.Input(since: days[0], symbols: ["A", "B"], scope: .symbols), context: ctx)
        #expect(named.notes.map(\.text) == ["morning", "yesterday about B"])
        let limited = try await NewsTool().run(NewsTool.Input(since: days[0], maxItems: 1), context: ctx)
        #expect(limited.notes.map(\.text) == ["morning"] && limited.omitted == 3)
        #expect(all.notes[0].time == "09:00")
    }

    @Test func macroSeriesShowOnlyValuesPublishedByTheClose() async throws {
        let (scenario, base) = AgentMarket.make()
        let days = AgentMarket.days
        let rate = [
            MacroObservation(series: "policy_rate", period: days[2], value: 1.25, unit: "percent", published: days[2], source: "cb"),
            MacroObservation(series: "policy_rate", period: days[5], value: 0.25, unit: "percent", published: days[5], publishedMinute: 17 * 60, source: "cb"),
            MacroObservation(series: "policy_rate", period: days[6], value: 0.1, unit: "percent", published: days[6], source: "cb"),
        ]
        let data = MarketData(series: base.series, sessions: base.sessions, macro: rate)
        let decision = DecisionContext(scenario: scenario, day: days[5], stepIndex: 5, decisionIndex: 5, feed: PointInTimeFeed(data: data, asOf: days[5]),
                                       book: BookView(cash: 1, equity: 1, positions: [:], openOrders: []), seed: 0, run: RunID(1), journal: InMemoryJournal())
        let context = ToolContext(decision: decision, universe: ["A"])
        let output = try await MacroTool().run(MacroTool.Input(count: 5), context: context)
        #expect(output.series.map(\.series) == ["policy_rate"])
        #expect(output.series[0].observations.map(\.value) == [1.25])
        await #expect(throws: FeedError.self) { _ = try await MacroTool().run(MacroTool.Input(series: ["gdp"], count: 5), context: context) }
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
        // Through the tool's JSON path, as an agent's action reaches it: snake_case keys, prices kept.
        let submit = AnyTool(SubmitOrderTool())
        let ticket = try await submit.call(try JSONValue(parsing: #"{"symbol":"A","side":"buy","quantity":5,"type":"limit","limit_price":54}"#), context: ctx)
        #expect(ticket["ticket"]?.numberValue == 1)
        await #expect(throws: ToolCallError.self) {   // a limit order without its price
            _ = try await SubmitOrderTool().run(OrderTicket(symbol: "A", side: .buy, quantity: 5, type: .limit), context: ctx)
        }
        await #expect(throws: ToolCallError.self) {   // not a side
            _ = try await submit.call(try JSONValue(parsing: #"{"symbol":"A","side":"hold","quantity":5}"#), context: ctx)
        }
        await #expect(throws: ToolCallError.self) {   // not a positive quantity
            _ = try await SubmitOrderTool().run(OrderTicket(symbol: "A", side: .buy, quantity: -5), context: ctx)
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

@Suite struct OptimizerSizingTests {
    let constraints = SizingConstraints(maxWeight: 0.5, maxGross: 1, cashBuffer: 0.05, longOnly: true)

    /// 60 days of returns for three symbols with volatilities 1 %, 2 % and 1.5 % a day.
    func returns(days: Int = 60) -> [String: [Double]] {
        var random = SeededRandom(seed: 3)
        func draw(_ scale: Double) -> Double { (Double(random.next() % 2001) / 1000 - 1) * scale * 1.7 }
        var series: [String: [Double]] = ["A": [], "B": [], "C": []]
        for _ in 0..<days {
            let market = draw(0.008)
            series["A"]!.append(market + draw(0.006))
            series["B"]!.append(market + draw(0.016))
            series["C"]!.append(market + draw(0.011))
        }
        return series
    }

    func size(_ views: [SymbolView], appetite: Double = 1, returns: [String: [Double]]? = nil) throws -> ConstructionResult {
        let request = ConstructionRequest(symbols: ["A", "B", "C"], views: views, riskAppetite: appetite, constraints: constraints, currentWeights: [])
        return try OptimizerConstructor().construct(request, returns: returns ?? self.returns())
    }

    @Test func ipoptSizesWithinTheLimitsAndTheBudget() throws {
        let result = try size([])
        #expect(result.method == "black-litterman-utility")
        #expect(result.notes.contains { $0.hasPrefix("solved by Ipopt") })
        let weights = result.weights.map(\.weight)
        #expect(weights.allSatisfy { $0 >= 0 && $0 <= 0.5 + 1e-6 })
        #expect(abs(weights.reduce(0, +) - 0.95) < 1e-6)
        #expect(abs(result.cash - 0.05) < 1e-6)
        #expect(try #require(result.expectedVolatility) > 0)
    }

    @Test func aViewMovesItsSymbolsWeightTheWayItPoints() throws {
        let neutral = try size([]).targets.weights
        let bullish = try size([SymbolView(symbol: "C", tilt: 1, confidence: 0.8)]).targets.weights
        let bearish = try size([SymbolView(symbol: "C", tilt: -1, confidence: 0.8)]).targets.weights
        #expect(bullish["C"]! > neutral["C"]! + 0.01)
        #expect(bearish["C"]! < neutral["C"]! - 0.01)
        let half = try size([], appetite: 0.5).targets.weights
        #expect(abs(half.values.reduce(0, +) - 0.475) < 1e-6)
    }

    @Test func tooLittleHistoryFallsBackToTheSimpleRuleAndSaysSo() throws {
        let result = try size([SymbolView(symbol: "A", tilt: 1, confidence: 1)], returns: returns(days: 4))
        #expect(result.method == "tilted-inverse-volatility (fallback)")
        #expect(result.notes.first?.contains("too few for the optimiser") == true)
        #expect(abs(result.weights.reduce(0) { $0 + $1.weight } - 0.95) < 1e-9)
        #expect(try size([], appetite: 0).cash == 1)
    }
}

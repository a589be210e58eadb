import Foundation
import Exchange
import JournalRecords
import LanguageModel
import Market

/// A small run of an agent desk, written record by record: what the journal must store, search,
/// tell as chains, export and import. Three sessions, 2020-03-09 … 2020-03-11:
///
/// - step 0 (decision): a news analyst's model call, the portfolio manager's optimiser tool call
///   and model call, both roles' decisions, a `max_weight` clip, a technical analyst's timeout, and
///   two orders (AAPL market, XOM limit);
/// - step 1 (decision): AAPL fills in full, XOM in part; the news analyst is served from the call
///   cache; the portfolio manager holds;
/// - step 2: the rest of the XOM order expires.
public enum JournalFixtures {
    public static let days = [Day("2020-03-09")!, Day("2020-03-10")!, Day("2020-03-11")!]
    public static let longPrompt = "Headlines up to 2020-03-09:\n" + (1...40).map { "- headline \($0): markets react to the oil price war" }.joined(separator: "\n")

    public static func manifest(seed: UInt64 = 7) -> RunManifest {
        let model = ModelDescriptor(name: "smollm2-135m", digest: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", contextLength: 8192)
        return RunManifest(scenarioName: "oil-shock", scenarioFile: "/tmp/oil-shock.yaml", scenarioDigest: "5c3f", deskName: "default", seed: seed,
                           models: ["*": model], codeVersion: "test", firstSession: days[0], lastSession: days[2], initialCash: 100_000,
                           benchmark: "SPY", options: .object([.init("cadence", .string("daily")), .init("budget", .number(1.5))]),
                           agents: [
                               AgentRecord(role: "news_analyst", stage: "analysis", model: model, instructionDigest: "aa11", tools: ["news"]),
                               AgentRecord(role: "portfolio_manager", stage: "decision", model: model, instructionDigest: "bb22", tools: ["optimize"]),
                           ])
    }

    static func call(_ sequence: Int, role: String, user: String, completion: String, parsed: JSONValue?, cacheHit: Bool = false,
                     started: Double) -> ModelCallRecord {
        ModelCallRecord(sequence: sequence, role: role, modelName: "smollm2-135m", modelDigest: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                        cacheKey: "key-\(role)-\(user.count)", cacheHit: cacheHit,
                        messages: [.system("You are the desk's \(role.replacingOccurrences(of: "_", with: " ")). Answer in JSON."), .user(user)],
                        sampling: SamplingSettings(maxTokens: 128, temperature: 0.7, seed: UInt64.max - 1),
                        schema: .object([.init("type", .string("object")), .init("required", .array([.string("summary")]))]),
                        completion: completion, finishReason: .endOfSequence, parsedOutput: parsed, valid: parsed != nil, error: nil,
                        usage: Usage(promptTokens: 812, completionTokens: 64, cachedPromptTokens: cacheHit ? 812 : 0, timeToFirstToken: 0.31, totalSeconds: 1.42),
                        startedAt: started, finishedAt: started + 1.42)
    }

    public static func steps() -> [StepRecord] {
        let aapl = OrderRequest(symbol: "AAPL", side: .buy, quantity: 100, tag: "portfolio_manager")
        let xom = OrderRequest(symbol: "XOM", side: .buy, quantity: 50, kind: .limit(price: 40), timeInForce: .day, tag: "portfolio_manager")

        var s0 = StepRecord(index: 0, day: days[0], isDecision: true,
                            equity: EquityRecord(day: days[0], cash: 100_000, positionsValue: 0, equity: 100_000, grossExposure: 0))
        s0.snapshotDigest = "snap0"
        s0.modelCalls = [
            call(0, role: "news_analyst", user: longPrompt,
                 completion: #"{"summary":"Oil collapses as OPEC+ talks fail; the Fed signals a rate cut.","sentiment":-0.6}"#,
                 parsed: .object([.init("summary", .string("Oil collapses as OPEC+ talks fail; the Fed signals a rate cut.")), .init("sentiment", .number(-0.6))]),
                 started: 1_583_800_000),
            call(2, role: "portfolio_manager", user: "Reports: news sentiment -0.6. Optimiser weights AAPL 0.6, XOM 0.4. Book: all cash.",
                 completion: #"{"targets":{"AAPL":0.6,"XOM":0.4}}"#,
                 parsed: .object([.init("targets", .object([.init("AAPL", .number(0.6)), .init("XOM", .number(0.4))]))]), started: 1_583_800_002),
        ]
        s0.toolCalls = [ToolCallRecord(sequence: 1, role: "portfolio_manager", tool: "optimize",
                                       input: .object([.init("method", .string("min_variance")), .init("symbols", .array([.string("AAPL"), .string("XOM")]))]),
                                       output: .object([.init("weights", .object([.init("AAPL", .number(0.6)), .init("XOM", .number(0.4))]))]),
                                       error: nil, durationSeconds: 0.012)]
        s0.decisions = [
            DecisionRecord(sequence: 3, role: "news_analyst", stage: "analysis", output: .object([.init("sentiment", .number(-0.6))]),
                           rationale: "Oil shock and expectations of a rate cut weigh on energy."),
            DecisionRecord(sequence: 4, role: "portfolio_manager", stage: "decision",
                           output: .object([.init("targets", .object([.init("AAPL", .number(0.5)), .init("XOM", .number(0.4))]))]),
                           rationale: "Cutting energy exposure ahead of the rate cuts; AAPL is the defensive holding."),
        ]
        s0.riskEvents = [RiskEventRecord(sequence: 5, rule: "max_weight", action: .clip, symbol: "AAPL", proposed: 0.6, allowed: 0.5,
                                         detail: "weight limited to 0.5 of equity", role: "portfolio_manager")]
        s0.failures = [FailureRecord(sequence: 6, role: "technical_analyst", kind: "timeout", message: "model call exceeded 30 s", fallback: "skip_report")]
        s0.orders = [Order(id: OrderID(1), request: aapl, submittedOn: days[0]), Order(id: OrderID(2), request: xom, submittedOn: days[0])]
        s0.orderEvents = [
            OrderEvent(orderID: OrderID(1), day: days[0], kind: .submitted, quantity: 100), OrderEvent(orderID: OrderID(1), day: days[0], kind: .accepted),
            OrderEvent(orderID: OrderID(2), day: days[0], kind: .submitted, quantity: 50, price: 40), OrderEvent(orderID: OrderID(2), day: days[0], kind: .accepted),
        ]

        var s1 = StepRecord(index: 1, day: days[1], isDecision: true,
                            equity: EquityRecord(day: days[1], cash: 73_709.5, positionsValue: 26_370, equity: 100_079.5, grossExposure: 26_370))
        s1.snapshotDigest = "snap1"
        let fillA = Fill(orderID: OrderID(1), day: days[1], symbol: "AAPL", side: .buy, quantity: 100, price: 250.5, referencePrice: 250.25, commission: 1,
                         slippageCost: 25)
        let fillX = Fill(orderID: OrderID(2), day: days[1], symbol: "XOM", side: .buy, quantity: 30, price: 39.9, referencePrice: 39.9, commission: 1,
                         slippageCost: 0)
        s1.fills = [fillA, fillX]
        s1.orderEvents = [OrderEvent(orderID: OrderID(1), day: days[1], kind: .filled, quantity: 100, price: 250.5),
                          OrderEvent(orderID: OrderID(2), day: days[1], kind: .partiallyFilled, quantity: 30, price: 39.9)]
        s1.orders = [Order(id: OrderID(1), request: aapl, submittedOn: days[0], status: .filled, filledQuantity: 100, averageFillPrice: 250.5),
                     Order(id: OrderID(2), request: xom, submittedOn: days[0], status: .partiallyFilled, filledQuantity: 30, averageFillPrice: 39.9)]
        s1.cashMovements = [CashMovement(day: days[1], kind: .trade, amount: -25_050, symbol: "AAPL", orderID: OrderID(1)),
                            CashMovement(day: days[1], kind: .commission, amount: -1, symbol: "AAPL", orderID: OrderID(1)),
                            CashMovement(day: days[1], kind: .trade, amount: -1_197, symbol: "XOM", orderID: OrderID(2)),
                            CashMovement(day: days[1], kind: .commission, amount: -1, symbol: "XOM", orderID: OrderID(2))]
        s1.positions = [Position(symbol: "AAPL", quantity: 100, averageCost: 250.5, lastPrice: 251.7),
                        Position(symbol: "XOM", quantity: 30, averageCost: 39.9, lastPrice: 40.0)]
        s1.modelCalls = [call(0, role: "news_analyst", user: longPrompt,
                              completion: #"{"summary":"Oil collapses as OPEC+ talks fail; the Fed signals a rate cut.","sentiment":-0.6}"#,
                              parsed: .object([.init("summary", .string("Oil collapses as OPEC+ talks fail; the Fed signals a rate cut.")),
                                               .init("sentiment", .number(-0.6))]), cacheHit: true, started: 1_583_900_000)]
        s1.decisions = [DecisionRecord(sequence: 1, role: "portfolio_manager", stage: "decision", output: .object([.init("hold", .bool(true))]),
                                       rationale: "Hold: the book matches the targets within tolerance.")]

        var s2 = StepRecord(index: 2, day: days[2], isDecision: false,
                            equity: EquityRecord(day: days[2], cash: 73_709.5, positionsValue: 26_100, equity: 99_809.5, grossExposure: 26_100))
        s2.orderEvents = [OrderEvent(orderID: OrderID(2), day: days[2], kind: .expired, quantity: 20, reason: "day order not filled in full")]
        s2.orders = [Order(id: OrderID(2), request: xom, submittedOn: days[0], status: .expired, filledQuantity: 30, averageFillPrice: 39.9)]
        s2.positions = [Position(symbol: "AAPL", quantity: 100, averageCost: 250.5, lastPrice: 249),
                        Position(symbol: "XOM", quantity: 30, averageCost: 39.9, lastPrice: 40.0)]
        return [s0, s1, s2]
    }
}

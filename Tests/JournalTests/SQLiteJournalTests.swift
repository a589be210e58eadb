import Exchange
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct SQLiteJournalTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).sqlite").path
    }

    func manifest() -> RunManifest {
        RunManifest(scenarioName: "t", scenarioFile: "t.yaml", scenarioDigest: "abc", deskName: "rule", seed: UInt64.max,
                    codeVersion: "test", firstSession: Day("2020-03-02")!, lastSession: Day("2020-03-03")!, initialCash: 1000, benchmark: "A")
    }

    @Test func stepsRoundTripAndTheSchemaHasTheDesignTables() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try SQLiteJournal(path: path)
        let run = try await journal.beginRun(manifest())
        let day = Day("2020-03-02")!
        var step = StepRecord(index: 0, day: day, isDecision: true, equity: EquityRecord(day: day, cash: 500, positionsValue: 505, equity: 1005, grossExposure: 505))
        let order = Order(id: OrderID(1), request: OrderRequest(symbol: "A", side: .buy, quantity: 5, kind: .limit(price: 101)), submittedOn: day)
        step.orders = [order]
        step.orderEvents = [OrderEvent(orderID: OrderID(1), day: day, kind: .submitted, quantity: 5)]
        step.fills = [Fill(orderID: OrderID(1), day: day, symbol: "A", side: .buy, quantity: 5, price: 100, referencePrice: 100, commission: 1, slippageCost: 0)]
        step.modelCalls = [ModelCallRecord(role: "news_analyst", modelName: "m", modelDigest: "d", cacheKey: "k1", cacheHit: false,
                                           messages: [.user("hi")], sampling: SamplingSettings(), completion: "{\"a\":1}", finishReason: .endOfSequence,
                                           parsedOutput: .object(["a": .number(1)]), valid: true, error: nil,
                                           usage: Usage(promptTokens: 3, completionTokens: 4, timeToFirstToken: 0.1, totalSeconds: 0.5),
                                           startedAt: 1, finishedAt: 2)]
        try await journal.commit(step, to: run)
        try await journal.finishRun(run, status: .completed, summary: RunSummary(finalEquity: 1005, totalReturn: 0.005, maxDrawdown: 0, sessions: 1, fills: 1), reason: nil)

        let tables = Set(try journal.tableNames())
        for table in ["runs", "steps", "equity", "positions", "orders", "order_events", "fills", "cash_movements",
                      "model_calls", "tool_calls", "decisions", "risk_events", "failures"] {
            #expect(tables.contains(table), "\(table)")
        }
        #expect(try journal.equity(of: run).map(\.equity) == [1005])
        #expect(try journal.fills(of: run).first?.price == 100)
        #expect(try journal.orders(of: run).first?.request.kind == .limit(price: 101))
        let row = try journal.run(run)
        #expect(row.status == .completed)
        #expect(row.seed == String(UInt64.max))
        let cached = try await journal.cachedCompletion(forKey: "k1")
        #expect(cached?.completion.text == "{\"a\":1}")
        #expect(cached?.parsedOutput == .object(["a": .number(1)]))
    }

    @Test func aStepIsWholeOrAbsent() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try SQLiteJournal(path: path)
        let run = try await journal.beginRun(manifest())
        let day = Day("2020-03-02")!
        var step = StepRecord(index: 0, day: day, isDecision: false, equity: EquityRecord(day: day, cash: 1, positionsValue: 0, equity: 1, grossExposure: 0))
        // Two fills with the same sequence cannot both be stored, so the whole step must roll back.
        let fill = Fill(orderID: OrderID(1), day: day, symbol: "A", side: .buy, quantity: 1, price: 1, referencePrice: 1, commission: 0, slippageCost: 0)
        step.fills = [fill]
        step.cashMovements = [CashMovement(day: day, kind: .trade, amount: -1), CashMovement(day: day, kind: .trade, amount: -1)]
        try await journal.commit(step, to: run)
        await #expect(throws: (any Error).self) { try await journal.commit(step, to: run) }
        #expect(try journal.stepCount(of: run) == 1)
        #expect(try journal.equity(of: run).count == 1)
        #expect(try journal.fills(of: run).count == 1)
    }
}

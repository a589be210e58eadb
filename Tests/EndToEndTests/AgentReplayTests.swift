import Desk
import DeskTesting
import Exchange
import Foundation
import Journal
import JournalRecords
import LanguageModel
import LocalLM
import Market
import Testing

/// The default desk end to end on real data: with the scripted reader over two weeks (every
/// branch of the desk, fast), and with the embedded SmolLM2 model over a few decision days.
@Suite(.serialized) struct AgentReplayTests {
    static func model() -> any LanguageModel { ReadingModel.make() }

    static func window(from start: String = "2020-03-09", to end: String = "2020-03-20") throws -> (Scenario, MarketData) {
        var scenario = try ScenarioFile.load(path: Fixtures.packageRoot.appendingPathComponent("scenarios/covid-crash-2020.yaml").path)
        scenario.start = Day(start)!
        scenario.end = Day(end)!
        return (scenario, try MarketData.load(scenario))
    }

    /// Every fill belongs to an order whose filled quantity it makes up; cash is the initial cash
    /// plus the fills' cash flows; equity is cash plus the positions the fills add up to, marked at each close.
    static func expectOrdersFillsAndLedgerReconcile(_ run: RunID, in journal: SQLiteJournal, scenario: Scenario, data: MarketData) throws {
        let fills = try journal.fills(of: run)
        let orders = Dictionary(uniqueKeysWithValues: try journal.orders(of: run).map { ($0.id, $0) })
        for (id, orderFills) in Dictionary(grouping: fills, by: \.orderID) {
            let order = try #require(orders[id])
            #expect(abs(order.filledQuantity - orderFills.reduce(0) { $0 + $1.quantity }) < 1e-9)
            #expect(orderFills.allSatisfy { $0.symbol == order.request.symbol && $0.side == order.request.side })
        }
        var cash = scenario.initialCash
        var holdings: [String: Double] = [:]
        for row in try journal.equity(of: run) {
            for fill in fills where fill.day == row.day {
                cash += fill.cashFlow
                holdings[fill.symbol, default: 0] += fill.side.sign * fill.quantity
            }
            #expect(abs(row.cash - cash) < 1e-6, "cash on \(row.day)")
            let marked = holdings.reduce(0) { total, item in total + item.value * (data.series[item.key]!.bar(on: row.day)?.close ?? 0) }
            #expect(abs(row.equity - (cash + marked)) < 1e-6, "equity on \(row.day)")
            #expect(holdings.values.allSatisfy { $0 >= 0 })
        }
    }

    @Test func theDefaultDeskThinksWithTheEmbeddedModelValidlyAndReproducibly() async throws {
        let path = try ModelStore.requireDefaultModel()
        let (scenario, data) = try Self.window(from: "2020-03-16", to: "2020-03-18")
        let journalPath = DeskProcess.temporaryJournal()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journalPath + suffix) } }
        let journal = try SQLiteJournal(path: journalPath)
        let definition = try DeskFile.load(path: Fixtures.packageRoot.appendingPathComponent("scenarios/desks/default.yaml").path)
        let model = try LocalModel(path: path)

        func replay(_ cache: CallCacheMode) async throws -> RunID {
            let desk = try AgentDesk(definition: definition, models: ModelRoster(model))
            return try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal,
                                          options: ReplayOptions(seed: 3, cacheMode: cache)).run().run
        }
        let first = try await replay(.off)
        let second = try await replay(.off)

        // Two decision days; each role answered with JSON that validates against its schema.
        let steps = try journal.steps(of: first)
        let deciding = steps.filter { !$0.modelCalls.isEmpty }
        #expect(deciding.count == data.sessions.count - 1)
        for step in deciding {
            #expect(step.modelCalls.count >= 3)
            for call in step.modelCalls { #expect(call.valid, "\(call.role) at step \(step.index): \(call.error ?? "") in \(call.completion ?? "")") }
        }
        let decisions = try journal.decisionRows(of: first)
        #expect(decisions.allSatisfy { !$0.isFallback })
        try Self.expectOrdersFillsAndLedgerReconcile(first, in: journal, scenario: scenario, data: data)

        // The same seed gives the same decisions, orders and fills, the model asked again.
        #expect(try journal.decisionRows(of: second).map(\.output) == decisions.map(\.output))
        #expect(try journal.orders(of: second) == journal.orders(of: first))
        #expect(try journal.fills(of: second) == journal.fills(of: first))
        #expect(try journal.stepDigests(of: second) == journal.stepDigests(of: first))
    }

    @Test func theDefaultDeskOnAShortCovidWindowReconcilesAndReplaysExactly() async throws {
        let (scenario, data) = try Self.window()
        let path = DeskProcess.temporaryJournal()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try SQLiteJournal(path: path)
        let definition = try DeskFile.load(path: Fixtures.packageRoot.appendingPathComponent("scenarios/desks/default.yaml").path)

        func replay(_ cache: CallCacheMode) async throws -> RunID {
            let desk = try AgentDesk(definition: definition, models: ModelRoster(Self.model()))
            let options = ReplayOptions(seed: 11, cacheMode: cache)
            return try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal, options: options).run().run
        }
        let first = try await replay(.off)
        let second = try await replay(.off)
        let cached = try await replay(.reuse)

        // Every role of every decision produced a valid output or a journalled failure with its fallback.
        let decisions = try journal.decisionRows(of: first)
        let failures = try journal.failureRows(of: first)
        let decisionSteps = Set(decisions.map(\.step))
        #expect(decisionSteps.count == data.sessions.count - 1)
        for step in decisionSteps {
            let roles = decisions.filter { $0.step == step }.map(\.role)
            #expect(Array(roles.prefix(3)) == ["news_analyst", "technical_analyst", "portfolio_manager"], "step \(step)")
            for row in decisions where row.step == step && row.isFallback {
                #expect(failures.contains { $0.step == step && $0.role == row.role }, "fallback of \(row.role) at step \(step) has its failure")
            }
        }
        let fills = try journal.fills(of: first)
        #expect(!fills.isEmpty)

        try Self.expectOrdersFillsAndLedgerReconcile(first, in: journal, scenario: scenario, data: data)

        // The same seed reproduces the run exactly, and the call cache reproduces it without the model.
        #expect(try journal.decisionRows(of: second).map(\.output) == decisions.map(\.output))
        #expect(try journal.decisionRows(of: second).map(\.role) == decisions.map(\.role))
        #expect(try journal.fills(of: second) == fills)
        #expect(try journal.equity(of: second) == journal.equity(of: first))
        #expect(try journal.decisionRows(of: cached).map(\.output) == decisions.map(\.output))
        #expect(try journal.fills(of: cached) == fills)
        let usage = try journal.agentUsage(of: cached)
        #expect(usage.modelCalls > 0 && usage.cacheHits == usage.modelCalls && usage.completionTokens == 0)
        #expect(try journal.agentUsage(of: first).cacheHits == 0)
    }
}

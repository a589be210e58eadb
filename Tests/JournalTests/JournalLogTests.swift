import DeskTesting
import Exchange
import Foundation
import GRDB
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct FullTextSearchTests {
    @Test func searchFindsPromptsCompletionsAndRationalesOfOneRun() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let other = try await temp.writeFixtureRun(seed: 8)

        // A completion (both model calls of the news analyst) and two rationales.
        let hits = try temp.journal.entries(of: run, filter: LogFilter(search: "rate cut"))
        #expect(hits.map(\.kind) == [.modelCall, .decision, .decision, .modelCall])
        #expect(hits.map(\.step) == [0, 0, 0, 1])
        #expect(hits.allSatisfy { $0.snippet?.contains("[rate]") == true || $0.snippet?.contains("[cut") == true })
        // Only this run's rows, although the other run holds the same text.
        #expect(try temp.journal.entries(of: other, filter: LogFilter(search: "rate cut")).count == 4)

        // Prompts are searched too (the news analyst's headlines), and English stems match: "reacting" finds "react".
        let prompts = try temp.journal.entries(of: run, filter: LogFilter(search: "reacting oil"))
        #expect(prompts.map(\.kind) == [.modelCall, .modelCall])
        #expect(prompts.allSatisfy { $0.role == "news_analyst" })
    }

    @Test func searchCombinesWithRoleKindAndDateFilters() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let byRole = try temp.journal.entries(of: run, filter: LogFilter(roles: ["portfolio_manager"], search: "rate cut"))
        #expect(byRole.count == 1)
        #expect(byRole.first?.kind == .decision)
        #expect(try temp.journal.entries(of: run, filter: LogFilter(kinds: [.modelCall], search: "rate cut")).map(\.step) == [0, 1])
        let oneDay = Day("2020-03-10")!
        #expect(try temp.journal.entries(of: run, filter: LogFilter(days: oneDay...oneDay, search: "rate cut")).map(\.step) == [1])
    }

    @Test func searchAcceptsFTS5SyntaxAndPlainTextThatIsNotValidSyntax() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "\"defensive holding\"")).count == 1)
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "defens*")).count == 1)
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "tolerance OR defensive")).count == 2)
        // Both rationales that speak of the rate cut also speak of energy.
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "rate NOT energy")).map(\.kind) == [.modelCall, .modelCall])
        // Column filters name the index's columns.
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "completion: sentiment")).map(\.kind) == [.modelCall, .modelCall])
        // Not FTS5 syntax: searched word by word.
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "OPEC+ talks")).count == 2)
        #expect(try temp.journal.entries(of: run, filter: LogFilter(search: "no-such-word-here")).isEmpty)
    }

    @Test func theIndexesFollowRowsDeletedWithTheirRun() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let kept = try await temp.writeFixtureRun(seed: 8)
        try temp.execute("DELETE FROM runs WHERE id = ?", [run.rawValue])
        #expect(try temp.count("SELECT COUNT(*) FROM model_calls") == 3)
        #expect(try temp.count("SELECT COUNT(*) FROM model_calls_fts WHERE model_calls_fts MATCH 'rate'") == 2)
        #expect(try temp.count("SELECT COUNT(*) FROM decisions_fts WHERE decisions_fts MATCH 'rate'") == 2)
        try temp.execute("INSERT INTO model_calls_fts(model_calls_fts) VALUES ('integrity-check')")
        try temp.execute("INSERT INTO decisions_fts(decisions_fts) VALUES ('integrity-check')")
        #expect(try temp.journal.entries(of: kept, filter: LogFilter(search: "rate cut")).count == 4)
    }
}

@Suite struct StepChainTests {
    @Test func aDecisionStepIsToldInTheOrderItHappenedWithItsOrdersAndFills() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let chains = try temp.journal.chains(of: run)
        // The decision steps; the third session has no decision.
        #expect(chains.map(\.step) == [0, 1])
        let first = chains[0]
        #expect(first.activity.map(\.kind) == [.modelCall, .toolCall, .modelCall, .decision, .decision, .riskEvent, .failure])
        #expect(first.activity.map(\.role) == ["news_analyst", "portfolio_manager", "portfolio_manager", "news_analyst", "portfolio_manager",
                                               "portfolio_manager", "technical_analyst"])
        guard case let .modelCall(call) = first.activity[0].record else { Issue.record("not a model call"); return }
        #expect(call.messages.last?.content == JournalFixtures.longPrompt)
        // The orders sent at step 0, with fills that landed at step 1 and the expiry at step 2.
        #expect(first.orders.map(\.order.id) == [OrderID(1), OrderID(2)])
        #expect(first.orders[0].fills.map(\.price) == [250.5])
        #expect(first.orders[1].fills.map(\.quantity) == [30])
        #expect(first.orders[1].events.map(\.kind) == [.submitted, .accepted, .partiallyFilled, .expired])
        #expect(first.orders[1].order.status == .expired)
        #expect(chains[1].orders.isEmpty)
        #expect(chains[1].activity.map(\.kind) == [.modelCall, .decision])
    }

    @Test func filtersNarrowChainsAndRecords() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let journal = temp.journal

        let manager = try journal.chains(of: run, filter: LogFilter(roles: ["portfolio_manager"]))
        #expect(manager.map(\.step) == [0, 1])
        #expect(manager[0].activity.allSatisfy { $0.role == "portfolio_manager" })
        #expect(manager[0].orders.count == 2)

        let xom = try journal.entries(of: run, filter: LogFilter(symbols: ["XOM"], kinds: [.order, .fill, .riskEvent]))
        #expect(xom.map(\.kind) == [.order, .fill])
        let aapl = try journal.entries(of: run, filter: LogFilter(symbols: ["AAPL"], kinds: [.riskEvent, .fill, .toolCall]))
        #expect(aapl.map(\.kind) == [.toolCall, .riskEvent, .fill])

        let fills = try journal.entries(of: run, filter: LogFilter(kinds: [.fill]))
        #expect(fills.map(\.step) == [1, 1])
        let failures = try journal.entries(of: run, filter: LogFilter(kinds: [.failure]))
        #expect(failures.count == 1)

        let secondDay = Day("2020-03-10")!
        #expect(try journal.chains(of: run, filter: LogFilter(days: secondDay...Day("2020-03-11")!)).map(\.step) == [1])
        #expect(try journal.chains(of: run, filter: LogFilter(steps: 0...0)).map(\.step) == [0])
        #expect(try journal.chains(of: run, filter: LogFilter(days: Day("2021-01-01")!...Day("2021-01-02")!)).isEmpty)
        #expect(throws: JournalError.self) { try journal.chains(of: RunID(42)) }
    }
}

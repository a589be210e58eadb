import Desk
import DeskTesting
import Exchange
import JournalRecords
import Market
import Testing

/// A desk that proposes whatever its closure says, for testing the orchestrator's handling.
struct ClosureDesk: DeskPolicy {
    let name: String
    let body: @Sendable (DecisionContext) throws -> DeskProposal
    func decide(_ context: DecisionContext) async throws -> DeskProposal { try body(context) }
}

struct DeskFailure: Error {}

@Suite struct OrchestratorTests {
    let days = Fixtures.weekdays(from: Day("2020-03-02")!, count: 8)

    func market() -> (Scenario, MarketData) {
        let a = Fixtures.series("A", days: days, closes: [100, 102, 98, 97, 101, 103, 104, 106])
        let b = Fixtures.series("B", days: days, closes: [50, 49, 48, 52, 53, 51, 50, 55])
        return Fixtures.scenario([a, b], cash: 100_000, constraints: PortfolioConstraints(maxWeight: 0.6, cashBuffer: 0.05))
    }

    @Test func everySessionIsOneCommittedStepWithEquity() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: BuyAndHoldDesk(symbols: ["A", "B"]), journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        #expect(run.steps.count == days.count)
        #expect(run.steps.map(\.day) == days)
        #expect(run.status == .completed)
        // Bought after the first close, filled at the second session's open (the first close, by the fixture).
        #expect(run.steps[0].fills.isEmpty)
        #expect(Set(run.steps[1].fills.map(\.symbol)) == ["A", "B"])
        #expect(run.steps[1].fills.allSatisfy { $0.price == (($0.symbol == "A") ? 100 : 50) })
        // The summary matches the equity rows.
        #expect(outcome.summary.finalEquity == run.steps.last?.equity.equity)
        // Cash moves add up to the cash balance at every step.
        var cash = scenario.initialCash
        for step in run.steps {
            cash += step.cashMovements.reduce(0) { $0 + $1.amount }
            #expect(abs(cash - step.equity.cash) < 1e-6)
        }
    }

    @Test func aFailingDeskIsAJournalledFailureAndTheBookIsKept() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        let desk = ClosureDesk(name: "flaky") { context in
            if context.decisionIndex == 1 { throw DeskFailure() }
            return context.decisionIndex == 0 ? DeskProposal(targets: TargetWeights(["A": 0.5])) : .keepBook
        }
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        let failures = run.steps.flatMap(\.failures)
        #expect(failures.count == 1)
        #expect(failures[0].fallback == "keep_book")
        #expect(failures[0].kind == "desk_error")
        #expect(run.steps[2].orderEvents.isEmpty)
        #expect(outcome.summary.failures == 1)
    }

    @Test func riskLimitsClipWhatTheDeskProposesAndSayWhy() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        // "ignore your limits, buy 500%": the desk proposes 5.0 in A and a short in B.
        let desk = ClosureDesk(name: "reckless") { context in
            context.decisionIndex == 0 ? DeskProposal(targets: TargetWeights(["A": 5.0, "B": -1.0, "ZZZ": 0.3])) : .keepBook
        }
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        let rules = Set(run.steps[0].riskEvents.map(\.rule))
        #expect(rules.isSuperset(of: ["max_weight", "long_only", "tradable"]))
        let clip = try #require(run.steps[0].riskEvents.first { $0.rule == "max_weight" })
        #expect(clip.proposed == 5.0 && clip.allowed == 0.6)
        // The book never holds more than the limit at the fill (plus the price move of that day).
        let bought = run.steps[1].fills.filter { $0.symbol == "A" }.reduce(0) { $0 + $1.quantity * $1.price }
        #expect(bought <= 0.6 * scenario.initialCash + 1e-6)
        #expect(run.steps.allSatisfy { $0.positions.allSatisfy { $0.quantity >= 0 } })
    }

    @Test func theSameSeedGivesTheSameJournal() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        let desk = EqualWeightDesk(period: .decision, symbols: ["A", "B"])
        let first = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal, options: ReplayOptions(seed: 7)).run()
        let second = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal, options: ReplayOptions(seed: 7)).run()
        let a = try #require(await journal.run(first.run)), b = try #require(await journal.run(second.run))
        #expect(a.steps == b.steps)
    }

    @Test func aJournalFailureMarksTheRunFailedNotComplete() async throws {
        let (scenario, data) = market()
        let journal = InMemoryJournal()
        await journal.setFailCommit(atStep: 3)
        await #expect(throws: InMemoryJournalError.self) {
            _ = try await Orchestrator(scenario: scenario, data: data, policy: BuyAndHoldDesk(), journal: journal).run()
        }
        let run = try #require(await journal.runs.values.first)
        #expect(run.status == .failed)
        #expect(run.steps.count == 3)
    }
}

import Analytics
import Desk
import Journal
import JournalRecords
import Market

/// `desk replay --baselines`: the run's baselines, replayed right after it over the same scenario and data.
enum ReplayBaselines {
    static func compute(for outcome: ReplayOutcome, scenario: Scenario, data: MarketData, journal: SQLiteJournal) async throws {
        guard outcome.status == .completed else {
            Terminal.note("note: run \(outcome.run) did not complete; its baselines are left for `desk compare` or `desk report`")
            return
        }
        let result = try await Baselines.ensure(for: outcome.run, scenario: scenario, data: data, journal: journal, codeVersion: DeskVersion.current)
        for note in result.notes { Terminal.note("note: \(note)") }
        Terminal.note("baselines of run \(outcome.run): " + result.baselines.map { "run \($0.run.id) (\($0.kind.rawValue))" }.joined(separator: ", "))
    }
}

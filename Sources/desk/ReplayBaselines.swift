import Analytics
import Desk
import Journal
import JournalRecords
import Market

/// `desk replay --baselines`: the run's baselines, replayed right after it over the same scenario and data.
enum ReplayBaselines {
    /// Replays the baselines of a completed run (or finds them in the journal) and returns them for the summary.
    static func compute(for outcome: ReplayOutcome, scenario: Scenario, data: MarketData, journal: SQLiteJournal) async throws -> [BaselineRun] {
        guard outcome.status == .completed else {
            Terminal.note("note: run \(outcome.run) did not complete; its baselines are left for `desk compare` or `desk report`")
            return []
        }
        let result = try await Baselines.ensure(for: outcome.run, scenario: scenario, data: data, journal: journal, codeVersion: DeskVersion.current)
        for note in result.notes { Terminal.note("note: \(note)") }
        return result.baselines
    }
}

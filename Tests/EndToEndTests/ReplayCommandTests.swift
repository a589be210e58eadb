import Analytics
import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite(.serialized) struct ReplayCommandTests {
    @Test func replaySummaryIsRecomputedFromTheJournal() async throws {
        let journalPath = DeskProcess.temporaryJournal()
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        let result = try await DeskProcess.run(["replay", "scenarios/covid-crash-2020.yaml", "--journal", journalPath, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let runID = RunID(Int64(try #require(summary["run"]?.numberValue)))

        let journal = try SQLiteJournal(path: journalPath)
        let equity = try journal.equity(of: runID)
        #expect(equity.count == 104)  // one row per session of 2020-02-03 … 2020-06-30
        let recomputed = PerformanceSummary(equity: equity, initialEquity: 1_000_000)
        #expect(summary["final_value"]?.numberValue == recomputed.finalEquity)
        #expect(summary["total_return"]?.numberValue == recomputed.totalReturn)
        #expect(summary["max_drawdown"]?.numberValue == recomputed.maxDrawdown.depth)
        #expect(summary["fills"]?.numberValue == Double(try journal.fills(of: runID).count))
        let run = try journal.run(runID)
        #expect(run.status == .completed)
        #expect(run.summary?.finalEquity == recomputed.finalEquity)
        // The crash is in the data: the worst fall runs from the February peak to the March trough.
        #expect(summary["max_drawdown_peak"]?.stringValue == "2020-02-19")
        #expect(summary["max_drawdown_trough"]?.stringValue == "2020-03-23")
    }

    @Test func aMissingScenarioIsOneClearErrorAndNoRun() async throws {
        let journalPath = DeskProcess.temporaryJournal()
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        let result = try await DeskProcess.run(["replay", "scenarios/no-such.yaml", "--journal", journalPath])
        #expect(result.status != 0)
        #expect(result.stderr.contains("scenarios/no-such.yaml"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        if FileManager.default.fileExists(atPath: journalPath) {
            #expect(try SQLiteJournal(path: journalPath).runs().isEmpty)
        }
    }

    @Test func aMalformedScenarioNamesFileLineAndKeyAndLeavesNoCompletedRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("scenarios/covid-crash-2020.yaml"), encoding: .utf8)
        let bad = source.replacingOccurrences(of: "initial_cash: 1000000", with: "initial_cash: 1000000\nintial_cash: 5")
            .replacingOccurrences(of: "file: data/", with: "file: \(Fixtures.packageRoot.path)/scenarios/data/")
        let file = folder.appendingPathComponent("bad.yaml")
        try bad.write(to: file, atomically: true, encoding: .utf8)
        let journalPath = folder.appendingPathComponent("j.sqlite").path
        let result = try await DeskProcess.run(["replay", file.path, "--journal", journalPath])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:"))
        #expect(result.stderr.contains("intial_cash"))
        if FileManager.default.fileExists(atPath: journalPath) {
            #expect(try SQLiteJournal(path: journalPath).runs().allSatisfy { $0.status != .completed })
        }
    }
}

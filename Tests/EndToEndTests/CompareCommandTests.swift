import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

@Suite(.serialized) struct CompareCommandTests {
    @Test func compareShowsTwoSeedsWithSharedBaselinesAndSaysTheSeedDiffers() async throws {
        let journal = DeskProcess.temporaryJournal()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + s) } }
        for seed in ["1", "2"] {
            let replay = try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", "equal-weight-weekly", "--seed", seed, "--journal", journal])
            #expect(replay.status == 0, "\(replay.stderr)")
        }
        let json = try JSONValue(parsing: try await DeskProcess.run(["compare", "1", "2", "--journal", journal, "--json"]).stdout)
        let columns = try #require(json["columns"]?.arrayValue)
        // Run 1, its three baselines, run 2 (whose baselines are the same sessions of the same scenario, shown once).
        #expect(columns.map { $0["kind"]?.stringValue ?? "" } == ["run", "benchmark", "buy-and-hold", "equal-weight", "run"])
        #expect(columns[1]["baseline_of"]?.numberValue == 1 && columns[4]["run"]?.numberValue == 2)
        #expect(columns.allSatisfy { $0["sessions"]?.numberValue == 104 })
        let differences = try #require(json["differences"]?.arrayValue)
        #expect(differences.map { $0["field"]?.stringValue ?? "" } == ["seed"])
        #expect(differences.first?["values"]?["1"] == .string("1") && differences.first?["values"]?["2"] == .string("2"))
        #expect(json["best"]?["total_return"]?.arrayValue?.isEmpty == false)
        // The benchmark column is SPY bought and held: its beta to SPY is close to one.
        let beta = try #require(columns[1]["metrics"]?["beta"]?.numberValue)
        #expect(abs(beta - 1) < 0.05)

        let text = try await DeskProcess.run(["compare", "1", "2", "--journal", journal])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("seed: run 1: 1; run 2: 2"), "\(text.stdout)")
        #expect(text.stdout.contains("Sharpe ratio") && text.stdout.contains(" *"))
        // Baselines were stored once per run, not once per comparison.
        #expect(try SQLiteJournal(path: journal).runs().count == 8)

        let report = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: report) }
        let written = try await DeskProcess.run(["report", "1", "2", "--journal", journal, "--out", report.path])
        #expect(written.status == 0, "\(written.stderr)")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("src=") && !html.contains("href=\"http"))            // nothing to fetch
        #expect(html.components(separatedBy: "<details class=\"day").count - 1 == 208)  // every session of both runs
        #expect(html.contains("data-points=\"104\""))                                // full equity curves
        #expect(html.contains("equal weight across 10 symbols"))                     // a role's rationale
        #expect(html.contains("@media print"))

        // `last` is the newest run the user started, not a baseline replayed for it.
        let last = try await DeskProcess.run(["report", "last", "--journal", journal, "--out", report.path])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try String(contentsOf: report, encoding: .utf8).contains("<title>TradingDesk report: run 2 (equal-weight-weekly)</title>"))
        let baselineAlone = try JSONValue(parsing: try await DeskProcess.run(["compare", "3", "--journal", journal, "--json"]).stdout)
        #expect(baselineAlone["columns"]?.arrayValue?.map { $0["kind"]?.stringValue ?? "" } == ["benchmark"])

        let missing = try await DeskProcess.run(["compare", "9", "--journal", journal])
        #expect(missing.status == 2 && missing.stderr.contains("no run 9"))
    }

    @Test func replayWithBaselinesStoresThemRightAfterTheRun() async throws {
        let journal = DeskProcess.temporaryJournal()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + s) } }
        let replay = try await DeskProcess.run(["replay", "covid-crash-2020", "--baselines", "--journal", journal])
        #expect(replay.status == 0, "\(replay.stderr)")
        // The summary lists them with their figures, which are the baseline runs' own.
        #expect(replay.stdout.contains("baseline       Benchmark buy & hold (SPY): "), "\(replay.stdout)")
        #expect(replay.stdout.contains("(run 2)") && replay.stdout.contains("Equal-weight buy & hold: ") && replay.stdout.contains("(run 3)"))
        #expect(replay.stdout.contains("Equal-weight monthly: ") && replay.stdout.contains("(run 4)"))
        let json = try await DeskProcess.run(["replay", "covid-crash-2020", "--baselines", "--json", "--journal", journal])
        let listed = try #require(try JSONValue(parsing: json.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["baselines"]?.arrayValue)
        #expect(listed.map { $0["kind"]?.stringValue } == ["benchmark", "buy-and-hold", "equal-weight"])
        let benchmarkRun = try SQLiteJournal(path: journal).run(RunID(Int64(try #require(listed[0]["run"]?.numberValue))))
        #expect(listed[0]["total_return"]?.numberValue == benchmarkRun.summary?.totalReturn)
        let runs = try SQLiteJournal(path: journal).runs().filter { $0.id.rawValue <= 4 }
        #expect(runs.map(\.baselineOf) == [RunID(1), RunID(1), RunID(1), nil])
        #expect(runs.allSatisfy { $0.status == .completed })
        let logs = try await DeskProcess.run(["logs", "last", "--journal", journal, "--kind", "decision", "--format", "jsonl"])
        #expect(logs.status == 0 && logs.stdout.contains("buy-and-hold") && !logs.stdout.contains("\"benchmark\""), "\(logs.stdout)")
    }
}

import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

/// `desk runs`, `desk logs`, `desk export` and `desk import` as a user runs them.
@Suite(.serialized) struct JournalCommandTests {
    /// A journal holding the agent-desk fixture run (run 1), written through the journal API as the desk does.
    func fixtureJournal() async throws -> JournalFile {
        let file = JournalFile()
        let journal = try file.open()
        let run = try await journal.beginRun(JournalFixtures.manifest())
        for step in JournalFixtures.steps() { try await journal.commit(step, to: run) }
        try await journal.finishRun(run, status: .completed, summary: RunSummary(finalEquity: 99_809.5, totalReturn: -0.0019, maxDrawdown: -0.003,
                                                                                sessions: 3, fills: 2, modelCalls: 3, failures: 1), reason: nil)
        return file
    }

    @Test func logsTellEachDecisionStepAsAChain() async throws {
        let file = try await fixtureJournal()
        let result = try await DeskProcess.run(["logs", "1", "--journal", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        for expected in [
            "run 1 · step 0 · 2020-03-09 · decision",
            "run 1 · oil-shock · desk default · seed 7 · completed", "agents: news_analyst (analysis, smollm2-135m b179c952)",
            "news_analyst", "saw  [user] Headlines up to 2020-03-09: ⏎ - headline 1: markets react", "2 messages,", "said {\"summary\":\"Oil collapses",
            "812→64 tokens", "cache miss", "tool optimize {\"method\":\"min_variance\"", "→ {\"weights\":",
            "decided (decision)", "why  Cutting energy exposure ahead of the rate cuts",
            "risk max_weight clip AAPL 0.6 → 0.5", "failure timeout: model call exceeded 30 s → fallback skip_report",
            "#1 buy 100 AAPL market day", "filled 100 @ 250.5 on 2020-03-10",
            "#2 buy 50 XOM limit 40 day", "expired 30 @ 39.9 on 2020-03-10",
            "run 1 · step 1 · 2020-03-10 · decision", "cache hit",
        ] {
            #expect(text.contains(expected), "\(expected)")
        }
        // Summaries, not whole prompts; no colour when not writing to a terminal.
        #expect(!text.contains("headline 40:"))
        #expect(!text.contains("\u{1B}["))
        #expect(!text.contains("step 2 ·"))

        let full = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--full", "--step", "0"])
        #expect(full.stdout.contains("headline 40: markets react to the oil price war"))
        #expect(full.stdout.contains("You are the desk's news analyst. Answer in JSON."))
        #expect(!full.stdout.contains("step 1 ·"))
    }

    @Test func logsFilterAndPrintJSON() async throws {
        let file = try await fixtureJournal()
        let jsonl = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--format", "jsonl"])
        let chains = try jsonl.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(chains.map { $0["step"]?.numberValue } == [0, 1])
        #expect(chains[0]["activity"]?.arrayValue?.map { $0["kind"]?.stringValue } ==
                ["model_call", "tool_call", "model_call", "decision", "decision", "risk_event", "failure"])
        #expect(chains[0]["orders"]?.arrayValue?.first?["fills"]?.arrayValue?.first?["price"]?.numberValue == 250.5)
        #expect(chains[0]["activity"]?.arrayValue?.first?["messages"]?.arrayValue?.count == 2)

        let search = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--search", "rate cut", "--format", "json"])
        let hits = try #require(try JSONValue(parsing: search.stdout).arrayValue)
        #expect(hits.count == 4)
        #expect(hits.allSatisfy { $0["snippet"]?.stringValue?.contains("[rate]") == true })

        let searchText = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--search", "defensive"])
        #expect(searchText.stdout.contains("step 0 2020-03-09 decision portfolio_manager"))
        #expect(searchText.stdout.contains("[defensive]"))

        let fills = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--kind", "fill", "--symbol", "AAPL"])
        #expect(fills.stdout.split(separator: "\n").count == 1)
        #expect(fills.stdout.contains("fill #1 buy 100 AAPL @ 250.5"))

        let role = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--role", "news_analyst", "--kind", "model_call,decision", "--format", "jsonl"])
        let lines = try role.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(lines.map { $0["kind"]?.stringValue } == ["model_call", "decision", "model_call"])
        #expect(lines.allSatisfy { $0["role"] == .string("news_analyst") })

        let day = try await DeskProcess.run(["logs", "last", "--journal", file.path, "--date", "2020-03-10"])
        #expect(day.stdout.contains("step 1 ·") && !day.stdout.contains("step 0 ·"))

        let badKind = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--kind", "thought"])
        #expect(badKind.status == 2)
        #expect(badKind.stderr.contains("--kind") && badKind.stderr.contains("model_call"))
        let badDate = try await DeskProcess.run(["logs", "1", "--journal", file.path, "--date", "March"])
        #expect(badDate.status == 2)
        #expect(badDate.stderr.contains("--date"))
    }

    @Test func runsListHeadlineFiguresAsTextAndJSON() async throws {
        let file = JournalFile()
        #expect(try await DeskProcess.run(["replay", "covid-crash-2020", "--journal", file.path]).status == 0)
        let text = try await DeskProcess.run(["runs", "--journal", file.path])
        #expect(text.status == 0)
        #expect(text.stdout.contains("completed  covid-crash-2020  buy-and-hold"))
        for header in ["return", "max dd", "fills", "calls", "fail"] { #expect(text.stdout.contains(header), "\(header)") }

        let json = try await DeskProcess.run(["runs", "--journal", file.path, "--format", "json"])
        let run = try #require(try JSONValue(parsing: json.stdout).arrayValue?.first)
        let journal = try file.open()
        let stored = try #require(try journal.run(RunID(1)).summary)
        #expect(run["status"] == .string("completed"))
        #expect(run["total_return"]?.numberValue == stored.totalReturn)
        #expect(run["max_drawdown"]?.numberValue == stored.maxDrawdown)
        #expect(run["fills"]?.numberValue == Double(try journal.fills(of: RunID(1)).count))
        #expect(run["model_calls"]?.numberValue == 0 && run["failures"]?.numberValue == 0)
        #expect(run["steps"]?.numberValue == 104)
    }

    @Test func anExportedReplayImportsIntoAnotherJournalWithoutLoss() async throws {
        let source = JournalFile(), target = JournalFile()
        #expect(try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", "equal-weight", "--journal", source.path]).status == 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("run.jsonl").path, second = folder.appendingPathComponent("again.jsonl").path

        let export = try await DeskProcess.run(["export", "1", "--journal", source.path, "--jsonl", first, "--csv", folder.appendingPathComponent("csv").path])
        #expect(export.status == 0, "\(export.stderr)")
        let imported = try await DeskProcess.run(["import", first, "--journal", target.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("as run 1"))
        #expect(try await DeskProcess.run(["export", "1", "--journal", target.path, "--jsonl", second]).status == 0)

        // Line for line the same, but for the export header.
        let a = try String(contentsOfFile: first, encoding: .utf8).split(separator: "\n").dropFirst()
        let b = try String(contentsOfFile: second, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(a.count > 1000)
        #expect(Array(a) == Array(b))
        let from = try source.open(), to = try target.open()
        #expect(try to.stepDigests(of: RunID(1)) == from.stepDigests(of: RunID(1)))
        #expect(try to.steps(of: RunID(1)) == from.steps(of: RunID(1)))
        #expect(try to.verify(RunID(1)).isEmpty)

        // CSV for pandas: a header row and one row per session.
        let equity = try String(contentsOf: folder.appendingPathComponent("csv/equity.csv"), encoding: .utf8).split(separator: "\n")
        #expect(equity.first == "run_id,step,day,cash,positions_value,equity,gross_exposure")
        #expect(equity.count == 105)
        let fills = try String(contentsOf: folder.appendingPathComponent("csv/fills.csv"), encoding: .utf8).split(separator: "\n")
        #expect(fills.count == (try from.fills(of: RunID(1)).count) + 1)

        // Standard output works too, and a bad file is one clear error.
        let stdout = try await DeskProcess.run(["export", "last", "--journal", source.path, "--jsonl", "-"])
        #expect(stdout.stdout.split(separator: "\n").count == a.count + 1)
        let bad = folder.appendingPathComponent("bad.jsonl")
        try "{\"kind\":\"run\"}\nnot json\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try await DeskProcess.run(["import", bad.path, "--journal", target.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("bad.jsonl:"))
    }
}

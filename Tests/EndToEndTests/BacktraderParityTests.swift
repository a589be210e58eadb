import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

/// `desk replay --data …` against backtrader 1.9.78.123 (Tests/Reference/README.md, exchange/).
@Suite(.serialized) struct BacktraderParityTests {
    static let reference = Fixtures.reference.appendingPathComponent("exchange")

    /// backtrader's SMA(15) close-crossover test on 2006-day-001.txt: stake 1, cash 10,000, no commission.
    static let buyExecutions = ["3643.35", "3801.03", "3872.37", "3863.57", "3845.32", "3656.43",
                                "3542.65", "3639.65", "3799.86", "3840.20", "4047.63", "4052.55"]
    static let sellExecutions = ["3763.95", "3811.85", "3822.35", "3822.57", "3829.82", "3598.58",
                                 "3545.92", "3766.80", "3782.15", "3979.73", "4045.05"]

    func replay(_ arguments: [String]) async throws -> JSONValue {
        let journal = DeskProcess.temporaryJournal()
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let result = try await DeskProcess.run(["replay"] + arguments + ["--json", "--journal", journal])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONValue(parsing: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func theSMA15CaseReproducesBacktradersValueCashAndEveryExecutionPrice() async throws {
        let file = Self.reference.appendingPathComponent("2006-day-001.txt").path
        let summary = try await replay(["--data", file, "--from", "2006-01-01", "--to", "2006-12-31", "--strategy", "sma-cross",
                                  "--period", "15", "--stake", "1", "--cash", "10000", "--executions"])
        let cents = { (x: Double?) in x.map { String(format: "%.2f", $0) } }
        #expect(cents(summary["final_value"]?.numberValue) == "10284.10")
        #expect(cents(summary["cash"]?.numberValue) == "6164.16")
        #expect(summary["fills"]?.numberValue == 23)
        let executions = try #require(summary["executions"]?.arrayValue)
        func prices(_ side: String) -> [String] {
            executions.filter { $0["side"]?.stringValue == side }.compactMap { cents($0["price"]?.numberValue) }
        }
        #expect(prices("buy") == Self.buyExecutions)
        #expect(prices("sell") == Self.sellExecutions)
        #expect(executions.allSatisfy { $0["quantity"]?.numberValue == 1 && $0["commission"]?.numberValue == 0 })
        // Strictly alternating: never a second order while one is pending or a position is open.
        #expect(executions.map { $0["side"]?.stringValue ?? "" } == Array(repeating: ["buy", "sell"], count: 12).flatMap { $0 }.dropLast())
    }

    @Test func theIssuesCommandRunsOnThreeYahooFilesWithCommission() async throws {
        let files = ["nvda-1999-2014.txt", "orcl-1995-2014.txt", "yhoo-1996-2014.txt"].flatMap { ["--data", Self.reference.appendingPathComponent($0).path] }
        let summary = try await replay(files + ["--from", "2000-01-01", "--to", "2013-12-31", "--strategy", "sma-cross", "--fast", "10", "--slow", "30",
                                          "--stake", "100", "--cash", "10000", "--commission-bps", "10"])
        // Figures of backtrader 1.9.78.123 on the same files and settings (Benchmarks/engine/backtrader_sma.py).
        #expect(summary["final_value"].flatMap(\.numberValue).map { abs($0 - 10954.8235403) < 1e-6 } == true)
        #expect(summary["cash"].flatMap(\.numberValue).map { abs($0 - 1482.8238403) < 1e-6 } == true)
        #expect(summary["fills"]?.numberValue == 391)
        #expect(summary["sessions"]?.numberValue == 3521)
        #expect(summary["executions"] == nil)
    }
}

@Suite(.serialized) struct ReplayDataModeTests {
    @Test func badDataModeInputIsOneClearLine() async throws {
        let file = BacktraderParityTests.reference.appendingPathComponent("2006-day-001.txt").path
        let cases: [([String], String)] = [
            (["--data", "no/such.csv"], "no/such.csv: --data: no such file"),
            (["--data", file, "--strategy", "sma-cross", "--fast", "10"], "needs either --fast and --slow, or --period"),
            (["--data", file, "--strategy", "sma-cross", "--fast", "30", "--slow", "10"], "must be shorter"),
            (["--data", file, "--from", "2006-06-01", "--to", "2006-01-01"], "is before --from"),
            (["--data", file, "--from", "2010-01-01"], "no bars between 2010-01-01"),
            (["--data", file, "--from", "2006-12-30", "--to", "2007-01-31"], "no bars between 2006-12-30 and 2007-01-31"),
            (["--data", file, "--strategy", "buy-and-hold", "--period", "3"], "--period applies to --strategy sma-cross"),
            (["--data", file, "--commission-bps", "10", "--commission-per-order", "1"], "more than one commission model"),
            (["--data", file, "--strategy", "martingale"], "unknown rule desk 'martingale'"),
            (["scenarios/covid-crash-2020.yaml", "--data", file], "a scenario file and --data were both given"),
            (["scenarios/covid-crash-2020.yaml", "--stake", "5"], "--stake applies to replays of bar files"),
        ]
        for (arguments, message) in cases {
            let journal = DeskProcess.temporaryJournal()
            defer { try? FileManager.default.removeItem(atPath: journal) }
            let result = try await DeskProcess.run(["replay"] + arguments + ["--journal", journal])
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            if !arguments.contains("--stake") { #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)") }
        }
    }

    @Test func theExecutionsFlagListsEveryFillOfAScenarioReplay() async throws {
        let journal = DeskProcess.temporaryJournal()
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let result = try await DeskProcess.run(["replay", "covid-crash-2020", "--journal", journal, "--json", "--executions"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let executions = try #require(summary["executions"]?.arrayValue)
        #expect(Double(executions.count) == summary["fills"]?.numberValue)
        #expect(executions.allSatisfy { $0["day"]?.stringValue == "2020-02-04" && $0["side"]?.stringValue == "buy" })
    }

    @Test func aDataModeRunIsJournalledLikeAScenarioRun() async throws {
        let journalPath = DeskProcess.temporaryJournal()
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        let file = BacktraderParityTests.reference.appendingPathComponent("2006-day-001.txt").path
        let arguments = ["replay", "--data", "DAX=\(file)", "--from", "2006-03-01", "--to", "2006-03-31", "--strategy", "equal-weight",
                         "--cash", "100000", "--commission-per-share", "0.01", "--commission-minimum", "1", "--journal", journalPath, "--executions"]
        let text = try await DeskProcess.run(arguments)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Replayed data:DAX (2006-03-01 … 2006-03-31, 23 sessions) with desk equal-weight"))
        #expect(text.stdout.contains("2006-03-02  DAX     buy"))
        let json = try JSONValue(parsing: try await DeskProcess.run(arguments + ["--json"]).stdout)
        let first = try #require(json["executions"]?.arrayValue?.first)
        #expect(first["commission"]?.numberValue == 1)                 // 0.01 a share on a few dozen shares: the minimum
        let journal = try SQLiteJournal(path: journalPath)
        let runs = try journal.runs()
        #expect(runs.count == 2 && runs.allSatisfy { $0.status == .completed && $0.scenario == "data:DAX" })
        #expect(try journal.equity(of: runs[0].id).count == 23)
    }
}

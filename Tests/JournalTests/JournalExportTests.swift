import DeskTesting
import Exchange
import Foundation
import GRDB
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct JournalExportTests {
    func export(_ journal: SQLiteJournal, _ run: RunID) throws -> [String] {
        var lines: [String] = []
        try journal.exportJSONL(run) { lines.append($0) }
        return lines
    }

    /// The lines without the header, with the run's id in the source journal replaced by `0`.
    func comparable(_ lines: [String], run: RunID) throws -> [String] {
        try lines.dropFirst().map { line in
            var value = try JSONValue(parsing: line)
            guard case var .object(members) = value else { return line }
            for i in members.indices where (members[i].key == "run_id" || (members[i].key == "id" && value["kind"] == .string("run"))) {
                #expect(members[i].value == .number(Double(run.rawValue)))
                members[i].value = .number(0)
            }
            value = .object(members)
            return value.compactText
        }
    }

    @Test func exportThenImportLosesNothing() async throws {
        let source = try TemporaryJournal()
        _ = try await source.writeFixtureRun(seed: 1)  // so the exported run is not run 1
        let run = try await source.writeFixtureRun(seed: 7)
        let lines = try export(source.journal, run)

        let header = try JSONValue(parsing: lines[0])
        #expect(header["kind"] == .string("journal_export"))
        let kinds = try lines.map { try JSONValue(parsing: $0)["kind"]?.stringValue ?? "?" }
        for kind in ["run", "agent", "step", "equity", "position", "order", "order_update", "order_event", "fill", "cash_movement",
                     "model_call", "tool_call", "decision", "risk_event", "failure"] {
            #expect(kinds.contains(kind), "\(kind)")
        }
        // JSON columns are embedded as JSON, not as strings.
        let decision = try #require(try lines.map { try JSONValue(parsing: $0) }.first { $0["kind"] == .string("decision") })
        #expect(decision["output"]?.objectValue != nil)

        let target = try TemporaryJournal()
        let imported = try target.journal.importJSONL(file: "export.jsonl", lines: lines.enumerated().map { ($0 + 1, $1) })
        #expect(imported == RunID(1))
        // The same steps, record for record (wall-clock fields included), the same digests, and a
        // second export equal to the first line for line.
        #expect(try target.journal.steps(of: imported) == source.journal.steps(of: run))
        #expect(try target.journal.stepDigests(of: imported) == source.journal.stepDigests(of: run))
        #expect(try target.journal.verify(imported).isEmpty)
        #expect(try target.journal.manifest(of: imported) == source.journal.manifest(of: run))
        #expect(try comparable(export(target.journal, imported), run: imported) == comparable(lines, run: run))
        let row = try target.journal.run(imported), original = try source.journal.run(run)
        #expect(row.status == original.status && row.startedAt == original.startedAt && row.summary == original.summary)
        // The imported text is searchable.
        #expect(try target.journal.entries(of: imported, filter: LogFilter(search: "rate cut")).count == 4)
    }

    @Test func anImportThatDoesNotMatchItsDigestsIsRefusedWhole() async throws {
        let source = try TemporaryJournal()
        let run = try await source.writeFixtureRun()
        var lines = try export(source.journal, run)
        let fill = try #require(lines.firstIndex { $0.contains("\"kind\":\"fill\"") })
        lines[fill] = lines[fill].replacingOccurrences(of: "\"price\":250.5", with: "\"price\":260.5")
        #expect(lines[fill].contains("260.5"))

        let target = try TemporaryJournal()
        #expect(throws: JournalError.self) { try target.journal.importJSONL(file: "tampered.jsonl", lines: lines.enumerated().map { ($0 + 1, $1) }) }
        #expect(try target.journal.runs().isEmpty)
        #expect(try target.count("SELECT COUNT(*) FROM fills") == 0)
    }

    @Test func aMalformedLineIsAnErrorNamingTheLine() async throws {
        let source = try TemporaryJournal()
        let run = try await source.writeFixtureRun()
        var lines = try export(source.journal, run)
        lines[3] = lines[3].replacingOccurrences(of: "\"kind\":\"", with: "\"kind\":\"x")
        let target = try TemporaryJournal()
        do {
            _ = try target.journal.importJSONL(file: "bad.jsonl", lines: lines.enumerated().map { ($0 + 1, $1) })
            Issue.record("the import should fail")
        } catch let error as JournalError {
            #expect(error.message.hasPrefix("bad.jsonl:4:"))
            #expect(error.message.contains("unknown kind"))
        }
    }

    @Test func csvFilesHaveColumnHeadersAndOneRowPerRecord() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try temp.journal.exportCSV(run, to: folder)
        #expect(files.map(\.lastPathComponent) == ["equity.csv", "positions.csv", "orders.csv", "fills.csv"])
        let equity = try String(contentsOf: folder.appendingPathComponent("equity.csv"), encoding: .utf8).split(separator: "\n")
        #expect(equity.first == "run_id,step,day,cash,positions_value,equity,gross_exposure")
        #expect(equity.count == 4)
        #expect(equity[1] == "\(run),0,2020-03-09,100000,0,100000,0")
        let fills = try String(contentsOf: folder.appendingPathComponent("fills.csv"), encoding: .utf8).split(separator: "\n")
        #expect(fills.first?.hasPrefix("run_id,step,seq,order_id,day,symbol,side,quantity,price") == true)
        #expect(fills.count == 3)
        #expect(fills[1].contains(",AAPL,buy,100,250.5,"))
        let orders = try String(contentsOf: folder.appendingPathComponent("orders.csv"), encoding: .utf8).split(separator: "\n")
        #expect(orders.count == 3)
        #expect(orders[2].contains(",XOM,buy,50,limit,40,,day,portfolio_manager,expired,30,39.9,"))
    }
}

import Foundation
import GRDB
import JournalRecords
import LanguageModel

/// Export of a run as JSON lines — every row of every table that belongs to it, one object per
/// line with a `kind` — and re-import into another journal, without loss.
///
/// Keys are the tables' column names. Columns that hold JSON (prompts' messages, outputs, tool
/// inputs and outputs, schemas, options) are embedded as JSON, not as strings. Surrogate row ids
/// are left out (rows are keyed by run, step and sequence); the `run` line keeps the run's id in
/// the source journal, and every other line names it in `run_id`.
public enum JournalExport {
    /// Format version of the first line (`{"kind":"journal_export","format":1,…}`).
    public static let format = 1

    struct Table {
        var name: String
        var kind: String
        var orderBy: String
        var jsonColumns: Set<String> = []
        var dropColumns: Set<String> = []
        /// Export names of columns whose name is taken by the line's `kind`.
        var renamed: [String: String] = [:]

        func exportName(_ column: String) -> String { renamed[column] ?? column }
        func column(exported name: String) -> String { renamed.first { $0.value == name }?.key ?? (renamed[name] == nil ? name : "") }
    }

    /// Every table holding a run's rows, parents before children (the import inserts in this order).
    static let tables: [Table] = [
        Table(name: "runs", kind: "run", orderBy: "id", jsonColumns: ["options"]),
        Table(name: "agents", kind: "agent", orderBy: "declared DESC, seq, role", jsonColumns: ["tools"]),
        Table(name: "steps", kind: "step", orderBy: "idx"),
        Table(name: "equity", kind: "equity", orderBy: "step"),
        Table(name: "positions", kind: "position", orderBy: "step, symbol"),
        Table(name: "orders", kind: "order", orderBy: "id", renamed: ["kind": "order_kind"]),
        Table(name: "order_updates", kind: "order_update", orderBy: "step, order_id"),
        Table(name: "order_events", kind: "order_event", orderBy: "step, seq", renamed: ["kind": "event_kind"]),
        Table(name: "fills", kind: "fill", orderBy: "step, seq"),
        Table(name: "cash_movements", kind: "cash_movement", orderBy: "step, seq", renamed: ["kind": "movement_kind"]),
        Table(name: "model_calls", kind: "model_call", orderBy: "step, seq, id", jsonColumns: ["messages", "schema", "parsed_output"], dropColumns: ["id"]),
        Table(name: "tool_calls", kind: "tool_call", orderBy: "step, seq, id", jsonColumns: ["input", "output"], dropColumns: ["id"]),
        Table(name: "decisions", kind: "decision", orderBy: "step, seq, id", jsonColumns: ["output"], dropColumns: ["id"]),
        Table(name: "risk_events", kind: "risk_event", orderBy: "step, seq, id", dropColumns: ["id"]),
        Table(name: "failures", kind: "failure", orderBy: "step, seq, id", dropColumns: ["id"], renamed: ["kind": "failure_kind"]),
    ]

    /// The tables `--csv` writes, with the file each goes to.
    public static let csvTables: [(table: String, file: String, orderBy: String)] = [
        ("equity", "equity.csv", "step"),
        ("positions", "positions.csv", "step, symbol"),
        ("orders", "orders.csv", "id"),
        ("fills", "fills.csv", "step, seq"),
    ]
}

extension SQLiteJournal {
    /// Writes `run` as JSON lines through `line` (one call per line, without the newline).
    /// Reads one consistent snapshot, so a run being written exports as of one committed step.
    public func exportJSONL(_ run: RunID, line: (String) throws -> Void) throws {
        try pool.read { db in
            _ = try SQLiteJournal.runRow(run, db: db, path: path)
            try line(JSONValue.object([
                .init("kind", .string("journal_export")), .init("format", .number(Double(JournalExport.format))),
                .init("run", .number(Double(run.rawValue))), .init("source", .string(path)), .init("exported_at", .string(Coding.timestamp())),
            ]).compactText)
            for table in JournalExport.tables {
                let key = table.name == "runs" ? "id" : "run_id"
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \(table.name) WHERE \(key) = ? ORDER BY \(table.orderBy)", arguments: [run.rawValue])
                while let row = try cursor.next() {
                    var members: [JSONValue.Member] = [.init("kind", .string(table.kind))]
                    for (column, value) in row where !table.dropColumns.contains(column) {
                        members.append(.init(table.exportName(column), try ExportValue.json(value, column: column, table: table)))
                    }
                    try line(JSONValue.object(members).compactText)
                }
            }
        }
    }

    /// Writes the run's equity, positions, orders and fills as CSV files in `folder` (header row
    /// of column names; dates as YYYY-MM-DD; empty cells for missing values). Returns the files written.
    public func exportCSV(_ run: RunID, to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try pool.read { db in
            _ = try SQLiteJournal.runRow(run, db: db, path: path)
            var written: [URL] = []
            for (table, file, orderBy) in JournalExport.csvTables {
                let columns = try db.columns(in: table).map(\.name)
                var text = columns.map(CSVText.cell).joined(separator: ",") + "\n"
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) WHERE run_id = ? ORDER BY \(orderBy)", arguments: [run.rawValue])
                while let row = try cursor.next() {
                    text += columns.map { CSVText.cell(row[$0] as DatabaseValue) }.joined(separator: ",") + "\n"
                }
                let url = folder.appendingPathComponent(file)
                try Data(text.utf8).write(to: url)
                written.append(url)
            }
            return written
        }
    }

    /// Imports a run exported by ``exportJSONL(_:line:)`` as a new run of this journal, in one
    /// transaction, and checks every step's digest against its imported rows. Returns the new run id.
    ///
    /// `lines` yields the file's lines with their 1-based numbers; `file` names it in errors.
    public func importJSONL(file: String, lines: some Sequence<(Int, String)>) throws -> RunID {
        try pool.write { db in
            var importer = RunImporter(file: file, db: db)
            for (number, text) in lines where !text.trimmingCharacters(in: .whitespaces).isEmpty {
                try importer.add(line: number, text: text)
            }
            return try importer.finish()
        }
    }
}

/// Conversions between column values and JSON for export and import.
enum ExportValue {
    static func json(_ value: DatabaseValue, column: String, table: JournalExport.Table) throws -> JSONValue {
        switch value.storage {
        case .null: return .null
        case let .int64(i): return .number(Double(i))
        case let .double(d): return .number(d)
        case let .string(s):
            if table.jsonColumns.contains(column) { return try Coding.jsonValue(s, column: "\(table.name).\(column)") ?? .null }
            return .string(s)
        case .blob: throw JournalError("\(table.name).\(column) holds binary data, which the export does not carry")
        }
    }

    static func database(_ value: JSONValue, column: String, table: JournalExport.Table) -> (any DatabaseValueConvertible)? {
        switch value {
        case .null: return nil
        case let .bool(b): return b
        case let .number(n):
            if n == n.rounded(), abs(n) < 9_007_199_254_740_992 { return Int64(n) }
            return n
        case let .string(s): return table.jsonColumns.contains(column) ? value.compactText : s
        case .array, .object: return value.compactText
        }
    }
}

/// Reads an export line by line into a transaction.
struct RunImporter {
    let file: String
    let db: Database
    private var sourceRun: Int64?
    private var newRun: Int64?
    private var lastTableIndex = -1
    private var columnsByTable: [String: Set<String>] = [:]
    private var rows = 0

    init(file: String, db: Database) {
        self.file = file
        self.db = db
    }

    private func error(_ line: Int, _ problem: String, field: String? = nil, remedy: String? = nil) -> JournalError {
        JournalError("\(file):\(line): \(field.map { "\($0): " } ?? "")\(problem)", remedy: remedy ?? "import a file written by `desk export RUN --jsonl`")
    }

    mutating func add(line: Int, text: String) throws {
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch { throw self.error(line, "not a JSON object: \(error)") }
        guard let members = value.objectValue, let kind = value["kind"]?.stringValue else {
            throw self.error(line, "a line without a \"kind\"", field: "kind")
        }
        if kind == "journal_export" {
            guard line == 1 || sourceRun == nil && newRun == nil else { throw self.error(line, "a second export header", field: "kind") }
            guard let format = value["format"]?.numberValue, Int(format) <= JournalExport.format else {
                throw self.error(line, "export format \(value["format"]?.compactText ?? "missing") is newer than this program reads (\(JournalExport.format))",
                                 field: "format", remedy: "import it with a newer desk")
            }
            return
        }
        guard let tableIndex = JournalExport.tables.firstIndex(where: { $0.kind == kind }) else {
            throw self.error(line, "unknown kind '\(kind)'", field: "kind",
                             remedy: "kinds are: \(JournalExport.tables.map(\.kind).joined(separator: ", "))")
        }
        let table = JournalExport.tables[tableIndex]
        guard tableIndex >= lastTableIndex else {
            throw self.error(line, "a \(kind) line after \(JournalExport.tables[lastTableIndex].kind) lines; an export lists runs, agents, steps, then their records",
                             field: "kind")
        }
        lastTableIndex = tableIndex
        if columnsByTable[table.name] == nil { columnsByTable[table.name] = Set(try db.columns(in: table.name).map(\.name)) }
        let known = columnsByTable[table.name]!

        var columns: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        for member in members where member.key != "kind" {
            let column = table.column(exported: member.key)
            guard known.contains(column) else { throw self.error(line, "\(table.name) has no column '\(member.key)'", field: member.key) }
            switch column {
            case "id" where table.name == "runs":
                guard sourceRun == nil, let id = member.value.numberValue else { throw self.error(line, "an export holds one run", field: "id") }
                sourceRun = Int64(id)
                continue
            case "baseline_of":
                // The run it was a baseline of is not part of this export.
                continue
            case "run_id":
                guard let id = member.value.numberValue, Int64(id) == sourceRun, let newRun else {
                    throw self.error(line, "run_id \(member.value.compactText) is not the exported run \(sourceRun.map(String.init) ?? "(no run line yet)")", field: "run_id")
                }
                columns.append("run_id")
                values.append(newRun)
                continue
            default:
                columns.append(column)
                values.append(ExportValue.database(member.value, column: column, table: table))
            }
        }
        let sql = "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        do {
            try db.execute(sql: sql, arguments: StatementArguments(values))
        } catch let dbError as DatabaseError {
            throw self.error(line, "cannot store this \(kind): \(dbError.message ?? dbError.description)")
        }
        if table.name == "runs" { newRun = db.lastInsertedRowID }
        rows += 1
    }

    /// Checks the imported run: steps contiguous from 0 and each step's digest equal to its rows'.
    func finish() throws -> RunID {
        guard let newRun else { throw JournalError("\(file): no run in this file", remedy: "import a file written by `desk export RUN --jsonl`") }
        let run = RunID(newRun)
        let digests = try Row.fetchAll(db, sql: "SELECT idx, digest FROM steps WHERE run_id = ? ORDER BY idx", arguments: [newRun])
        for (position, row) in digests.enumerated() where (row["idx"] as Int) != position {
            throw JournalError("\(file): step \(position) is missing", remedy: "export the run again")
        }
        var start = 0
        while start < digests.count {
            let end = min(start + 256, digests.count) - 1
            let steps = try JournalReader.steps(run: run, range: start...end, db: db)
            for step in steps where step.digest != digests[step.index]["digest"] {
                throw JournalError("\(file): step \(step.index) of run \(sourceRun ?? 0) does not match its digest after import (the file was changed or is incomplete)",
                                   remedy: "export the run again")
            }
            start = end + 1
        }
        return run
    }
}

/// CSV cells: RFC 4180 quoting, shortest round-trip numbers, empty for NULL.
enum CSVText {
    static func cell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func cell(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null, .blob: return ""
        case let .int64(i): return String(i)
        case let .double(d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case let .string(s): return cell(s)
        }
    }
}

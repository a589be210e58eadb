import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// The kinds of record `desk logs --kind` selects.
public enum LogKind: String, Sendable, Hashable, CaseIterable, Codable {
    case modelCall = "model_call"
    case toolCall = "tool_call"
    case decision
    case riskEvent = "risk_event"
    case order
    case fill
    case failure
}

/// Which records of a run to show. Empty lists and nil ranges select everything.
public struct LogFilter: Sendable, Hashable {
    /// Sessions from the first to the last day, inclusive.
    public var days: ClosedRange<Day>?
    /// Step indexes, inclusive.
    public var steps: ClosedRange<Int>?
    /// Records of any of these roles (orders and fills: by their tag).
    public var roles: [String]
    /// Records that name any of these symbols (orders, fills, risk events by their symbol; agents'
    /// records when their input or output mentions it).
    public var symbols: [String]
    public var kinds: Set<LogKind>
    /// FTS5 query over prompts, completions, rationales and decision outputs.
    public var search: String?

    public init(days: ClosedRange<Day>? = nil, steps: ClosedRange<Int>? = nil, roles: [String] = [], symbols: [String] = [],
                kinds: Set<LogKind> = Set(LogKind.allCases), search: String? = nil) {
        self.days = days
        self.steps = steps
        self.roles = roles
        self.symbols = symbols
        self.kinds = kinds.isEmpty ? Set(LogKind.allCases) : kinds
        self.search = search
    }
}

/// An order with what happened to it: its events and fills, wherever they fell.
public struct OrderTrail: Sendable, Hashable {
    /// The order as it stands at the run's last committed step.
    public var order: Order
    /// The step it was sent in.
    public var step: Int
    public var events: [OrderEvent]
    public var fills: [Fill]
}

/// One record of a run, placed in its step.
public struct LogEntry: Sendable, Hashable {
    public enum Record: Sendable, Hashable {
        case modelCall(ModelCallRecord)
        case toolCall(ToolCallRecord)
        case decision(DecisionRecord)
        case riskEvent(RiskEventRecord)
        case failure(FailureRecord)
        case order(OrderTrail)
        case fill(Fill)
    }

    public var step: Int
    public var day: Day
    public var record: Record
    /// The matching text with the hits in [brackets], for search results.
    public var snippet: String?

    public var kind: LogKind {
        switch record {
        case .modelCall: return .modelCall
        case .toolCall: return .toolCall
        case .decision: return .decision
        case .riskEvent: return .riskEvent
        case .failure: return .failure
        case .order: return .order
        case .fill: return .fill
        }
    }

    public var role: String? {
        switch record {
        case let .modelCall(r): return r.role
        case let .toolCall(r): return r.role
        case let .decision(r): return r.role
        case let .riskEvent(r): return r.role
        case let .failure(r): return r.role
        case let .order(t): return t.order.request.tag
        case .fill: return nil
        }
    }

    /// Position in the step's chain (orders and fills come after the agents' records).
    public var sequence: Int {
        switch record {
        case let .modelCall(r): return r.sequence
        case let .toolCall(r): return r.sequence
        case let .decision(r): return r.sequence
        case let .riskEvent(r): return r.sequence
        case let .failure(r): return r.sequence
        case let .order(t): return 1_000_000 + t.order.id.rawValue
        case let .fill(f): return 2_000_000 + f.orderID.rawValue
        }
    }
}

/// One decision step told as a chain: what each role saw and said, the tools it called, the risk
/// limits that acted, the orders that went out and how they filled.
public struct StepChain: Sendable, Hashable {
    public var run: RunID
    public var step: Int
    public var day: Day
    public var isDecision: Bool
    public var snapshotDigest: String?
    public var digest: String
    public var equity: EquityRecord
    /// Model calls, tool calls, decisions, risk events and failures, in the order they happened.
    public var activity: [LogEntry]
    /// Orders sent in this step, with their events and fills (fills usually land in the next step).
    public var orders: [OrderTrail]
}

extension SQLiteJournal {
    /// The run's steps that have agents' records or sent orders, as chains, filtered.
    public func chains(of run: RunID, filter: LogFilter = LogFilter()) throws -> [StepChain] {
        try pool.read { db in
            _ = try SQLiteJournal.runRow(run, db: db, path: path)
            let scope = try LogScope(run: run, filter: filter, db: db)
            let entries = try LogQueries.entries(scope, db: db)
            var byStep: [Int: [LogEntry]] = [:]
            for entry in entries { byStep[entry.step, default: []].append(entry) }

            var chains: [StepChain] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT s.idx, s.day, s.is_decision, s.snapshot_digest, s.digest, e.* FROM steps s
                JOIN equity e ON e.run_id = s.run_id AND e.step = s.idx
                WHERE s.run_id = ? AND s.idx BETWEEN ? AND ? ORDER BY s.idx
                """, arguments: [run.rawValue, scope.firstStep, scope.lastStep]) {
                let index: Int = row["idx"]
                let stepEntries = byStep[index] ?? []
                let isDecision: Bool = row["is_decision"]
                // Steps where nothing was recorded (a rule desk keeping its book) tell nothing.
                guard !stepEntries.isEmpty else { continue }
                var activity: [LogEntry] = []
                var orders: [OrderTrail] = []
                for entry in stepEntries {
                    switch entry.record {
                    case let .order(trail): orders.append(trail)
                    case .fill: continue
                    default: activity.append(entry)
                    }
                }
                chains.append(StepChain(run: run, step: index, day: try Coding.day(row["day"]), isDecision: isDecision,
                                        snapshotDigest: row["snapshot_digest"], digest: row["digest"], equity: try JournalReader.equity(row),
                                        activity: activity, orders: orders))
            }
            return chains
        }
    }

    /// The run's records matching `filter`, in step and chain order (search hits carry a snippet).
    public func entries(of run: RunID, filter: LogFilter = LogFilter()) throws -> [LogEntry] {
        try pool.read { db in
            _ = try SQLiteJournal.runRow(run, db: db, path: path)
            return try LogQueries.entries(LogScope(run: run, filter: filter, db: db), db: db)
        }
    }
}

/// A filter resolved against one run: step bounds, SQL fragments.
struct LogScope {
    var run: RunID
    var filter: LogFilter
    var firstStep: Int
    var lastStep: Int

    init(run: RunID, filter: LogFilter, db: Database) throws {
        self.run = run
        self.filter = filter
        var first = filter.steps?.lowerBound ?? 0
        var last = filter.steps?.upperBound ?? Int(Int32.max)
        if let days = filter.days {
            let bounds = try Row.fetchOne(db, sql: "SELECT MIN(idx) AS a, MAX(idx) AS b FROM steps WHERE run_id = ? AND day BETWEEN ? AND ?",
                                          arguments: [run.rawValue, days.lowerBound.iso, days.upperBound.iso])
            if let a = bounds?["a"] as Int?, let b = bounds?["b"] as Int? {
                first = max(first, a)
                last = min(last, b)
            } else {
                first = 1
                last = 0
            }
        }
        firstStep = first
        lastStep = last
    }

    func wants(_ kind: LogKind) -> Bool { filter.kinds.contains(kind) }

    func roleAllowed(_ role: String?) -> Bool {
        filter.roles.isEmpty || role.map { filter.roles.contains($0) } ?? false
    }

    func symbolAllowed(_ symbol: String?) -> Bool {
        filter.symbols.isEmpty || symbol.map { filter.symbols.contains($0) } ?? false
    }

    /// Whether free text (a prompt, an output) names one of the filter's symbols as a word.
    func mentionsSymbol(_ texts: String?...) -> Bool {
        guard !filter.symbols.isEmpty else { return true }
        return texts.contains { text in
            guard let text else { return false }
            return filter.symbols.contains { LogScope.containsWord($0, in: text) }
        }
    }

    static func containsWord(_ word: String, in text: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let found = text.range(of: word, range: searchRange) {
            let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
            let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
            let isBoundary = { (c: Character?) in c.map { !($0.isLetter || $0.isNumber || $0 == "_") } ?? true }
            if isBoundary(before) && isBoundary(after) { return true }
            searchRange = found.upperBound..<text.endIndex
        }
        return false
    }
}

/// The SQL behind `desk logs`.
enum LogQueries {
    static func entries(_ scope: LogScope, db: Database) throws -> [LogEntry] {
        let run = scope.run.rawValue
        let window: StatementArguments = [run, scope.firstStep, scope.lastStep]
        var days: [Int: Day] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT idx, day FROM steps WHERE run_id = ? AND idx BETWEEN ? AND ?", arguments: window) {
            days[row["idx"]] = try Coding.day(row["day"])
        }
        var entries: [LogEntry] = []
        func add(_ step: Int, _ record: LogEntry.Record, snippet: String? = nil) {
            guard let day = days[step] else { return }
            entries.append(LogEntry(step: step, day: day, record: record, snippet: snippet))
        }

        if let search = scope.filter.search {
            try searchEntries(search, scope: scope, db: db, add: add)
        } else {
            if scope.wants(.modelCall) {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM model_calls WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq, id", arguments: window) {
                    let call = try JournalReader.modelCall(row)
                    guard scope.roleAllowed(call.role), scope.mentionsSymbol(row["prompt"], call.completion) else { continue }
                    add(row["step"], .modelCall(call))
                }
            }
            if scope.wants(.toolCall) {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM tool_calls WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq, id", arguments: window) {
                    let call = try JournalReader.toolCall(row)
                    guard scope.roleAllowed(call.role), scope.mentionsSymbol(row["input"], row["output"]) else { continue }
                    add(row["step"], .toolCall(call))
                }
            }
            if scope.wants(.decision) {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM decisions WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq, id", arguments: window) {
                    let decision = try JournalReader.decision(row)
                    guard scope.roleAllowed(decision.role), scope.mentionsSymbol(row["output"], decision.rationale) else { continue }
                    add(row["step"], .decision(decision))
                }
            }
        }
        if scope.wants(.riskEvent) && scope.filter.search == nil {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM risk_events WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq, id", arguments: window) {
                let event = try JournalReader.riskEvent(row)
                guard scope.roleAllowed(event.role), scope.symbolAllowed(event.symbol) || (event.symbol == nil && scope.mentionsSymbol(event.detail)) else { continue }
                add(row["step"], .riskEvent(event))
            }
        }
        if scope.wants(.failure) && scope.filter.search == nil {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM failures WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq, id", arguments: window) {
                let failure = JournalReader.failure(row)
                guard scope.roleAllowed(failure.role), scope.mentionsSymbol(failure.message) else { continue }
                add(row["step"], .failure(failure))
            }
        }
        if scope.filter.search == nil {
            try orderEntries(scope, window: window, db: db, add: add)
        }
        return entries.sorted { ($0.step, $0.sequence) < ($1.step, $1.sequence) }
    }

    /// Orders sent in the window (with all their events and fills), and fills that happened in it.
    private static func orderEntries(_ scope: LogScope, window: StatementArguments, db: Database, add: (Int, LogEntry.Record, String?) -> Void) throws {
        let run = scope.run.rawValue
        if scope.wants(.order) {
            var sent: [(step: Int, order: Order)] = []
            var lastTouched = scope.firstStep
            for row in try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, id", arguments: window) {
                let order = try Coding.order(row)
                guard scope.roleAllowed(order.request.tag), scope.symbolAllowed(order.request.symbol) else { continue }
                sent.append((row["step"], order))
                lastTouched = max(lastTouched, row["updated_step"])
            }
            // Their events and fills lie between the first step of the window and the last step that changed one of them.
            var events: [Int: [OrderEvent]] = [:]
            var fills: [Int: [Fill]] = [:]
            if !sent.isEmpty {
                let ids = Set(sent.map(\.order.id.rawValue))
                let range: StatementArguments = [run, scope.firstStep, lastTouched]
                for row in try Row.fetchAll(db, sql: "SELECT * FROM order_events WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq", arguments: range)
                where ids.contains(row["order_id"]) {
                    events[row["order_id"], default: []].append(try JournalReader.orderEvent(row))
                }
                for row in try Row.fetchAll(db, sql: "SELECT * FROM fills WHERE run_id = ? AND step BETWEEN ? AND ? ORDER BY step, seq", arguments: range)
                where ids.contains(row["order_id"]) {
                    fills[row["order_id"], default: []].append(try JournalReader.fill(row))
                }
            }
            for (step, order) in sent {
                add(step, .order(OrderTrail(order: order, step: step, events: events[order.id.rawValue] ?? [], fills: fills[order.id.rawValue] ?? [])), nil)
            }
        }
        if scope.wants(.fill) {
            for row in try Row.fetchAll(db, sql: """
                SELECT f.*, o.tag FROM fills f LEFT JOIN orders o ON o.run_id = f.run_id AND o.id = f.order_id
                WHERE f.run_id = ? AND f.step BETWEEN ? AND ? ORDER BY f.step, f.seq
                """, arguments: window) {
                let fill = try JournalReader.fill(row)
                guard scope.roleAllowed(row["tag"]), scope.symbolAllowed(fill.symbol) else { continue }
                add(row["step"], .fill(fill), nil)
            }
        }
    }

    /// Full-text search over model calls (prompt, completion) and decisions (rationale, output).
    private static func searchEntries(_ text: String, scope: LogScope, db: Database, add: (Int, LogEntry.Record, String?) -> Void) throws {
        let window: [any DatabaseValueConvertible] = [scope.run.rawValue, scope.firstStep, scope.lastStep]
        let query = try FullTextQuery.resolve(text, db: db)
        if scope.wants(.modelCall) {
            // A query that names a column of the other index (e.g. `rationale:`) does not apply here.
            for row in try FullTextQuery.rows(db, sql: """
                SELECT m.*, snippet(model_calls_fts, -1, '[', ']', '…', 16) AS hit FROM model_calls_fts
                JOIN model_calls m ON m.id = model_calls_fts.rowid
                WHERE model_calls_fts MATCH ? AND m.run_id = ? AND m.step BETWEEN ? AND ?
                ORDER BY m.step, m.seq
                """, arguments: StatementArguments([query] + window)) {
                let call = try JournalReader.modelCall(row)
                guard scope.roleAllowed(call.role), scope.mentionsSymbol(row["prompt"], call.completion) else { continue }
                add(row["step"], .modelCall(call), row["hit"])
            }
        }
        if scope.wants(.decision) {
            for row in try FullTextQuery.rows(db, sql: """
                SELECT d.*, snippet(decisions_fts, -1, '[', ']', '…', 16) AS hit FROM decisions_fts
                JOIN decisions d ON d.id = decisions_fts.rowid
                WHERE decisions_fts MATCH ? AND d.run_id = ? AND d.step BETWEEN ? AND ?
                ORDER BY d.step, d.seq
                """, arguments: StatementArguments([query] + window)) {
                let decision = try JournalReader.decision(row)
                guard scope.roleAllowed(decision.role), scope.mentionsSymbol(row["output"], decision.rationale) else { continue }
                add(row["step"], .decision(decision), row["hit"])
            }
        }
    }
}

/// What the user typed for `--search`, as an FTS5 query.
public enum FullTextQuery {
    /// The text itself when it is valid FTS5 syntax for either index (words, "phrases", AND/OR/NOT,
    /// prefix*, column filters such as `completion: cut`); otherwise each word quoted as a phrase,
    /// so `S&P 500` or `don't` just work.
    static func resolve(_ text: String, db: Database) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw JournalError("the search text is empty", remedy: "give words to look for, e.g. --search 'rate cut'") }
        for index in ["model_calls_fts", "decisions_fts"] {
            do {
                _ = try Row.fetchAll(db, sql: "SELECT rowid FROM \(index) WHERE \(index) MATCH ? LIMIT 0", arguments: [trimmed])
                return trimmed
            } catch let error as DatabaseError where isQueryError(error) {
                continue
            }
        }
        return quoted(trimmed)
    }

    /// Rows of a MATCH query; none when the query does not fit this index (a column it lacks).
    static func rows(_ db: Database, sql: String, arguments: StatementArguments) throws -> [Row] {
        do {
            return try Row.fetchAll(db, sql: sql, arguments: arguments)
        } catch let error as DatabaseError where isQueryError(error) {
            return []
        }
    }

    private static func isQueryError(_ error: DatabaseError) -> Bool {
        let message = error.message ?? ""
        return message.contains("fts5") || message.contains("syntax") || message.contains("no such column") || message.contains("unknown special query")
    }

    /// Each whitespace-separated word as a quoted FTS5 phrase (all must match).
    public static func quoted(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " ")
    }
}

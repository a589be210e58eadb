import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// The journal: one SQLite file (WAL mode) holding every run's steps, book, orders, fills and the
/// agents' model calls, tool calls, decisions, risk events and failures.
///
/// Several processes may write to one file at once (each write waits up to ``busyTimeout`` for the
/// lock); readers never block writers. Each step is one transaction.
public final class SQLiteJournal: Journaling {
    /// The database file.
    public let path: String
    let pool: DatabasePool

    /// How long a write waits for another process's transaction before failing.
    public static let busyTimeout: TimeInterval = 30

    /// Opens (creating if needed) the journal at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(SQLiteJournal.busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a killed process (only power loss can drop the last commits).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw JournalError("cannot open the journal at \(path): \(error.message ?? error.description)",
                               remedy: "check the path, or pass --journal to use another file")
        }
    }

    // MARK: Writing

    public func beginRun(_ manifest: RunManifest) async throws -> RunID {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (scenario, scenario_file, scenario_digest, desk, seed, models, code_version, first_session,
                                  last_session, initial_cash, benchmark, options, baseline_of, status, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)
                """, arguments: [manifest.scenarioName, manifest.scenarioFile, manifest.scenarioDigest, manifest.deskName,
                                 String(manifest.seed), try Coding.json(manifest.models), manifest.codeVersion,
                                 manifest.firstSession.iso, manifest.lastSession.iso, manifest.initialCash, manifest.benchmark,
                                 manifest.options.canonicalText, manifest.baselineOf?.rawValue, Coding.timestamp()])
            return RunID(db.lastInsertedRowID)
        }
    }

    public func commit(_ step: StepRecord, to run: RunID) async throws {
        try await pool.write { db in try StepWriter.write(step, run: run, db: db) }
    }

    public func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE runs SET status = ?, reason = ?, finished_at = ?, final_equity = ?, total_return = ?, max_drawdown = ?,
                                sessions = ?, fills = ?, model_calls = ?, failures = ?
                WHERE id = ?
                """, arguments: [status.rawValue, reason, Coding.timestamp(), summary?.finalEquity, summary?.totalReturn,
                                 summary?.maxDrawdown, summary?.sessions, summary?.fills, summary?.modelCalls, summary?.failures,
                                 run.rawValue])
        }
    }

    public func cachedCompletion(forKey key: String) async throws -> CachedCompletion? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT completion, finish_reason, parsed_output, valid, prompt_tokens, completion_tokens, cached_prompt_tokens,
                       time_to_first_token, latency, model_digest
                FROM model_calls WHERE cache_key = ? AND completion IS NOT NULL AND cache_hit = 0 ORDER BY id LIMIT 1
                """, arguments: [key]) else { return nil }
            let usage = Usage(promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                              cachedPromptTokens: row["cached_prompt_tokens"], timeToFirstToken: row["time_to_first_token"],
                              totalSeconds: row["latency"])
            let completion = Completion(text: row["completion"], finishReason: FinishReason(rawValue: row["finish_reason"] ?? "") ?? .endOfSequence,
                                        usage: usage, modelDigest: row["model_digest"])
            let parsed: String? = row["parsed_output"]
            return CachedCompletion(completion: completion, parsedOutput: try parsed.map { try JSONValue(parsing: $0) }, valid: row["valid"])
        }
    }

    // MARK: Reading

    /// Runs, newest first.
    public func runs(limit: Int = 100) throws -> [RunRow] {
        try pool.read { db in try RunRow.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit]) }
    }

    public func run(_ id: RunID) throws -> RunRow {
        guard let row = try pool.read({ db in try RunRow.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id.rawValue]) }) else {
            throw JournalError("no run \(id) in \(path)", remedy: "list runs with `desk runs --journal \(path)`")
        }
        return row
    }

    /// Daily equity of a run, in date order.
    public func equity(of run: RunID) throws -> [EquityRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM equity WHERE run_id = ? ORDER BY day", arguments: [run.rawValue]).map { row in
                EquityRecord(day: try Coding.day(row["day"]), cash: row["cash"], positionsValue: row["positions_value"],
                             equity: row["equity"], grossExposure: row["gross_exposure"])
            }
        }
    }

    /// Fills of a run, in execution order.
    public func fills(of run: RunID) throws -> [Fill] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fills WHERE run_id = ? ORDER BY step, seq", arguments: [run.rawValue]).map { row in
                Fill(orderID: OrderID(row["order_id"]), day: try Coding.day(row["day"]), symbol: row["symbol"],
                     side: Side(rawValue: row["side"]) ?? .buy, quantity: row["quantity"], price: row["price"],
                     referencePrice: row["reference_price"], commission: row["commission"], slippageCost: row["slippage_cost"])
            }
        }
    }

    /// Orders of a run as they stand at its last committed step, by id.
    public func orders(of run: RunID) throws -> [Order] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE run_id = ? ORDER BY id", arguments: [run.rawValue]).map(Coding.order)
        }
    }

    /// Number of committed steps of a run.
    public func stepCount(of run: RunID) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM steps WHERE run_id = ?", arguments: [run.rawValue]) ?? 0 }
    }

    /// Names of the journal's tables (for `desk doctor` and tests).
    public func tableNames() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
    }
}

/// A journal that cannot be opened or does not hold what was asked for.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var remedy: String?
    public init(_ message: String, remedy: String? = nil) { self.message = message; self.remedy = remedy }
    public var description: String { remedy.map { "\(message) (\($0))" } ?? message }
}

/// A row of the `runs` table.
public struct RunRow: Sendable, Hashable, FetchableRecord {
    public var id: RunID
    public var scenario: String
    public var scenarioFile: String
    public var desk: String
    public var seed: String
    public var codeVersion: String
    public var firstSession: String
    public var lastSession: String
    public var initialCash: Double
    public var benchmark: String
    public var baselineOf: RunID?
    public var status: RunStatus
    public var reason: String?
    public var startedAt: String
    public var finishedAt: String?
    public var summary: RunSummary?
    public var models: String
    public var options: String

    public init(row: Row) throws {
        id = RunID(row["id"])
        scenario = row["scenario"]
        scenarioFile = row["scenario_file"]
        desk = row["desk"]
        seed = row["seed"]
        codeVersion = row["code_version"]
        firstSession = row["first_session"]
        lastSession = row["last_session"]
        initialCash = row["initial_cash"]
        benchmark = row["benchmark"]
        baselineOf = (row["baseline_of"] as Int64?).map(RunID.init)
        status = RunStatus(rawValue: row["status"]) ?? .failed
        reason = row["reason"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        models = row["models"]
        options = row["options"]
        if let finalEquity = row["final_equity"] as Double? {
            summary = RunSummary(finalEquity: finalEquity, totalReturn: row["total_return"] ?? 0, maxDrawdown: row["max_drawdown"] ?? 0,
                                 sessions: row["sessions"] ?? 0, fills: row["fills"] ?? 0, modelCalls: row["model_calls"] ?? 0,
                                 failures: row["failures"] ?? 0)
        }
    }
}

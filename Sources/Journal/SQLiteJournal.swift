import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// The journal: one SQLite file (WAL mode) holding every run's steps, book, orders, fills and the
/// agents' model calls, tool calls, decisions, risk events and failures.
///
/// Several processes may write to one file at once (each write transaction is `IMMEDIATE` and
/// waits up to ``busyTimeout`` for another process's to end); readers never block writers and
/// see only committed steps. Each step is written whole, with its digest and its full-text index
/// entries, in its own transaction or with the steps queued with it (``CommitPipeline``).
public final class SQLiteJournal: Journaling {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    private let faults: JournalFaults
    private let pipeline = CommitPipeline(capacity: 32)

    /// How long a write waits for another process's transaction before failing.
    public static let busyTimeout: TimeInterval = 60

    /// Opens (creating if needed) the journal at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        self.faults = JournalFaults(environment: ProcessInfo.processInfo.environment)
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
            try SQLiteJournal.migrate(pool)
        } catch let error as DatabaseError {
            throw JournalError("cannot open the journal at \(path): \(error.message ?? error.description)",
                               remedy: "check the path, or pass --journal to use another file")
        }
    }

    /// Brings the schema up to date. Several processes may open a new file at once: the one that
    /// loses the race finds the migrations done by the other.
    private static func migrate(_ pool: DatabasePool) throws {
        let migrator = Schema.migrator
        if try pool.read(migrator.hasCompletedMigrations) { return }
        do {
            try migrator.migrate(pool)
        } catch {
            if try !pool.read(migrator.hasCompletedMigrations) { throw error }
        }
    }

    // MARK: Writing

    public func beginRun(_ manifest: RunManifest) async throws -> RunID {
        let writer = WriterIdentity.current
        return try await pool.write { db in
            let id = try SQLiteJournal.insertRun(manifest, status: .running, startedAt: Coding.timestamp(), writer: writer, db: db)
            try StepWriter.registerAgents(manifest.agents, run: id.rawValue, db: db)
            return id
        }
    }

    static func insertRun(_ manifest: RunManifest, status: RunStatus, startedAt: String, writer: WriterIdentity?, db: Database) throws -> RunID {
        try db.execute(sql: """
            INSERT INTO runs (scenario, scenario_file, scenario_digest, desk, seed, models, code_version, first_session,
                              last_session, initial_cash, benchmark, options, baseline_of, status, started_at, writer_host, writer_pid)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [manifest.scenarioName, manifest.scenarioFile, manifest.scenarioDigest, manifest.deskName,
                             String(manifest.seed), try Coding.json(manifest.models), manifest.codeVersion,
                             manifest.firstSession.iso, manifest.lastSession.iso, manifest.initialCash, manifest.benchmark,
                             manifest.options.compactText, manifest.baselineOf?.rawValue, status.rawValue, startedAt,
                             writer?.host, writer?.pid])
        return RunID(db.lastInsertedRowID)
    }

    /// Queues the step for the writer and returns; the writer computes its digest and commits it
    /// (with the steps queued with it, see ``CommitPipeline``) in one transaction, in order.
    /// ``finishRun(_:status:summary:reason:)`` waits for every queued step, and reports a failed
    /// commit (as does the next `commit`).
    public func commit(_ step: StepRecord, to run: RunID) async throws {
        try pipeline.check()
        await pipeline.admit()
        guard pipeline.enqueue(step, run: run) else { return }
        let pipeline = self.pipeline
        let stall = faults.stallInCommit
        pool.asyncWriteWithoutTransaction { db in SQLiteJournal.drain(pipeline, stallingIn: stall, db: db) }
    }

    /// Commits queued steps, a batch a transaction, until the queue is empty.
    ///
    /// A batch that fails is retried a step a transaction, up to the first step that fails: the
    /// steps committed are exactly those before the first one that cannot be, as if each step
    /// had always had its own transaction.
    private static func drain(_ pipeline: CommitPipeline, stallingIn stall: Int?, db: Database) {
        while true {
            var batch = pipeline.nextBatch(isolating: stall)
            let count = batch.count
            guard count > 0 else { return }
            let start = ThreadCPU.seconds
            var failure: (any Error)?
            var transactions = 0
            // After a failed step nothing more is written, so the run's steps stay a prefix of its sessions.
            do { try pipeline.check() } catch { failure = error }
            if failure == nil {
                do {
                    try write(batch[...], stallingIn: stall, db: db)
                    transactions = 1
                } catch {
                    failure = error
                    if count > 1 {
                        failure = nil
                        for index in batch.indices where failure == nil {
                            do {
                                try write(batch[index...index], stallingIn: stall, db: db)
                                transactions += 1
                            } catch { failure = error }
                        }
                    }
                }
            }
            // The steps are freed here, on this thread: their cost is the writer's too.
            batch = []
            pipeline.complete(failure, steps: count, transactions: transactions, cpuSeconds: ThreadCPU.seconds - start)
        }
    }

    /// Writes `steps` in one transaction, each with its digest.
    private static func write(_ steps: ArraySlice<CommitPipeline.Queued>, stallingIn stall: Int?, db: Database) throws {
        let committedAt = Coding.timestamp()
        try db.inTransaction(.immediate) {
            for queued in steps {
                try StepWriter.write(queued.step, run: queued.run, digest: queued.step.digest, committedAt: committedAt, db: db)
                if stall == queued.step.index { JournalFaults.stallForever() }
            }
            return .commit
        }
    }

    /// What the writer did for replays writing through this journal: how often, and how long in
    /// all, they waited for it (once the queue was full), the CPU time it spent committing steps
    /// (digests, rows, transactions) on its own thread, and how many transactions it committed.
    public var writerFigures: WriterFigures {
        pipeline.figures
    }

    /// Waits for the queued steps, copies the WAL into the database file (what the last
    /// connection to close a WAL database does) and closes the file; the journal cannot be used
    /// afterwards. Throws the first commit error.
    public func close() throws {
        _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try pool.close()
        try pipeline.check()
    }

    /// Waits until every queued step is committed; throws the first commit error.
    public func flush() async throws {
        try await pool.writeWithoutTransaction { _ in }
        try pipeline.check()
    }

    public func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {
        let pipeline = self.pipeline
        // Queued behind the steps: a run whose step failed to commit is not marked completed.
        let failed = try await pool.write { db -> (any Error)? in
            var status = status, reason = reason, summary = summary
            var failure: (any Error)?
            do { try pipeline.check() } catch {
                // The figures counted steps that are not in the journal.
                failure = error
                summary = nil
                if status == .completed || status == .stopped {
                    status = .failed
                    reason = "a step could not be committed: \(error)"
                }
            }
            try db.execute(sql: """
                UPDATE runs SET status = ?, reason = ?, finished_at = ?, final_equity = ?, total_return = ?, max_drawdown = ?,
                                sessions = ?, fills = ?, model_calls = ?, failures = ?
                WHERE id = ?
                """, arguments: [status.rawValue, reason, Coding.timestamp(), summary?.finalEquity, summary?.totalReturn,
                                 summary?.maxDrawdown, summary?.sessions, summary?.fills, summary?.modelCalls, summary?.failures,
                                 run.rawValue])
            return failure
        }
        if let failed { throw failed }
    }

    public func cachedCompletion(forKey key: String) async throws -> CachedCompletion? {
        // A call of an earlier step of this run may still be queued.
        try await flush()
        return try await pool.read { db in
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
            return CachedCompletion(completion: completion, parsedOutput: try Coding.jsonValue(row["parsed_output"], column: "model_calls.parsed_output"),
                                    valid: row["valid"])
        }
    }

    public func checkpoint(of run: RunID) async throws -> RunCheckpoint {
        try await pool.read { db in
            let row = try SQLiteJournal.runRow(run, db: db, path: self.path)
            let manifest = try JournalReader.manifest(row, db: db)
            let digests = try Row.fetchAll(db, sql: "SELECT idx, digest FROM steps WHERE run_id = ? ORDER BY idx", arguments: [run.rawValue])
            for (position, step) in digests.enumerated() where (step["idx"] as Int) != position {
                throw JournalError("run \(run) has a gap in its steps: step \(position) is missing but step \(step["idx"] as Int) is there",
                                   remedy: "the journal was edited by hand or damaged; start a new run")
            }
            return RunCheckpoint(run: run, manifest: manifest, status: RunStatus(rawValue: row["status"]) ?? .failed,
                                 stepDigests: digests.map { $0["digest"] })
        }
    }

    public func reopenRun(_ run: RunID) async throws {
        try await flush()
        let writer = WriterIdentity.current
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE runs SET status = 'running', reason = NULL, finished_at = NULL, resumes = resumes + 1, writer_host = ?, writer_pid = ?
                WHERE id = ? AND status != 'completed'
                """, arguments: [writer.host, writer.pid, run.rawValue])
            if db.changesCount == 0 {
                let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue])
                throw status == nil
                    ? JournalError("no run \(run) in \(self.path)", remedy: "list runs with `desk runs --journal \(self.path)`")
                    : JournalError("run \(run) is completed; there is nothing to resume", remedy: "start a new run with `desk replay`")
            }
        }
    }

    static func runRow(_ run: RunID, db: Database, path: String) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [run.rawValue]) else {
            throw JournalError("no run \(run) in \(path)", remedy: "list runs with `desk runs --journal \(path)`")
        }
        return row
    }
}

/// The process writing a run: recorded so a resume can refuse to take over a run that is still being written.
public struct WriterIdentity: Sendable, Hashable {
    public var host: String
    public var pid: Int32

    public static var current: WriterIdentity {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return WriterIdentity(host: host, pid: getpid())
    }

    /// Whether this process is alive on this host (always false for another host, which cannot be checked).
    public var isAliveHere: Bool {
        guard host == WriterIdentity.current.host else { return false }
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

/// Fault injection for crash tests, from the environment of the process that writes.
///
/// `DESK_JOURNAL_STALL_IN_COMMIT=N`: when step N's rows are written and its transaction is still
/// open, the writer stops there until the process is killed — the worst moment for a `kill -9`.
struct JournalFaults: Sendable {
    var stallInCommit: Int?

    init(environment: [String: String]) {
        stallInCommit = environment["DESK_JOURNAL_STALL_IN_COMMIT"].flatMap { Int($0) }
    }

    static func stallForever() -> Never {
        FileHandle.standardError.write(Data("journal: stalled inside a step's transaction (DESK_JOURNAL_STALL_IN_COMMIT)\n".utf8))
        while true { sleep(3600) }
    }
}

/// CPU time of the calling thread.
enum ThreadCPU {
    static var seconds: Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// A journal that cannot be opened or does not hold what was asked for.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var remedy: String?
    public init(_ message: String, remedy: String? = nil) { self.message = message; self.remedy = remedy }
    public var description: String { remedy.map { "\(message) (\($0))" } ?? message }
}

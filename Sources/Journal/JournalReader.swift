import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

// MARK: Reading runs and steps

extension SQLiteJournal {
    /// Runs, newest first.
    public func runs(limit: Int = 100) throws -> [RunRow] {
        try pool.read { db in try RunRow.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit]) }
    }

    public func run(_ id: RunID) throws -> RunRow {
        try pool.read { db in try RunRow(row: SQLiteJournal.runRow(id, db: db, path: path)) }
    }

    /// The manifest a run was started with (agents included).
    public func manifest(of run: RunID) throws -> RunManifest {
        try pool.read { db in try JournalReader.manifest(SQLiteJournal.runRow(run, db: db, path: path), db: db) }
    }

    /// The run's agents: those the desk declared, then roles first seen in its records.
    public func agents(of run: RunID) throws -> [AgentRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agents WHERE run_id = ? ORDER BY declared DESC, seq, role", arguments: [run.rawValue]).map(JournalReader.agent)
        }
    }

    /// Daily equity of a run, in session order.
    public func equity(of run: RunID) throws -> [EquityRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM equity WHERE run_id = ? ORDER BY step", arguments: [run.rawValue]).map(JournalReader.equity)
        }
    }

    /// Fills of a run, in execution order.
    public func fills(of run: RunID) throws -> [Fill] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fills WHERE run_id = ? ORDER BY step, seq", arguments: [run.rawValue]).map(JournalReader.fill)
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

    /// The stored digest of each committed step, in index order.
    public func stepDigests(of run: RunID) throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT digest FROM steps WHERE run_id = ? ORDER BY idx", arguments: [run.rawValue]) }
    }

    /// The run's committed steps rebuilt from their rows, in index order (optionally only `range`).
    ///
    /// What was committed comes back equal (`==`) to what was written, wall-clock fields included.
    public func steps(of run: RunID, in range: ClosedRange<Int>? = nil) throws -> [StepRecord] {
        try pool.read { db in try JournalReader.steps(run: run, range: range, db: db) }
    }

    /// Recomputes each committed step's digest from its rows and returns the steps whose stored
    /// digest differs (empty when the journal holds exactly what was committed).
    public func verify(_ run: RunID) throws -> [Int] {
        var mismatched: [Int] = []
        let total = try stepCount(of: run)
        var start = 0
        while start < total {
            let end = min(start + 256, total) - 1
            let (steps, digests) = try pool.read { db in
                (try JournalReader.steps(run: run, range: start...end, db: db),
                 try String.fetchAll(db, sql: "SELECT digest FROM steps WHERE run_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
                                     arguments: [run.rawValue, start, end]))
            }
            for (step, digest) in zip(steps, digests) where step.digest != digest { mismatched.append(step.index) }
            start = end + 1
        }
        return mismatched
    }

    /// Names of the journal's tables (for `desk doctor` and tests).
    public func tableNames() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                AND name NOT LIKE '%_fts_%' ORDER BY name
                """)
        }
    }

    /// Number of rows the run has in each of its tables (the `runs` row excluded).
    public func rowCounts(of run: RunID) throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for table in JournalExport.tables where table.name != "runs" {
                counts[table.name] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name) WHERE run_id = ?", arguments: [run.rawValue]) ?? 0
            }
            return counts
        }
    }
}

/// An `agents` row.
public struct AgentRow: Sendable, Hashable {
    public var agent: AgentRecord
    /// Whether the desk declared the agent when the run began (false: first seen in a step's records).
    public var declared: Bool
}

/// A row of the `runs` table.
public struct RunRow: Sendable, Hashable, FetchableRecord {
    public var id: RunID
    public var scenario: String
    public var scenarioFile: String
    public var scenarioDigest: String
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
    public var resumes: Int
    /// The process that last wrote the run.
    public var writer: WriterIdentity?
    public var summary: RunSummary?
    public var models: String
    public var options: String

    public init(row: Row) throws {
        id = RunID(row["id"])
        scenario = row["scenario"]
        scenarioFile = row["scenario_file"]
        scenarioDigest = row["scenario_digest"]
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
        resumes = row["resumes"]
        if let host = row["writer_host"] as String?, let pid = row["writer_pid"] as Int32? { writer = WriterIdentity(host: host, pid: pid) }
        models = row["models"]
        options = row["options"]
        if let finalEquity = row["final_equity"] as Double? {
            summary = RunSummary(finalEquity: finalEquity, totalReturn: row["total_return"] ?? 0, maxDrawdown: row["max_drawdown"] ?? 0,
                                 sessions: row["sessions"] ?? 0, fills: row["fills"] ?? 0, modelCalls: row["model_calls"] ?? 0,
                                 failures: row["failures"] ?? 0)
        }
    }
}

/// Rebuilds records from rows. One function per table, shared by every reader (steps, logs, export checks).
enum JournalReader {
    static func manifest(_ row: Row, db: Database) throws -> RunManifest {
        let run = RunID(row["id"])
        guard let seed = UInt64(row["seed"] as String) else { throw JournalError("run \(run) has a malformed seed '\(row["seed"] as String)'") }
        let agents = try Row.fetchAll(db, sql: "SELECT * FROM agents WHERE run_id = ? AND declared = 1 ORDER BY seq, role", arguments: [run.rawValue])
            .map { try agent($0).agent }
        return RunManifest(scenarioName: row["scenario"], scenarioFile: row["scenario_file"], scenarioDigest: row["scenario_digest"],
                           deskName: row["desk"], seed: seed,
                           models: try Coding.decode([String: ModelDescriptor].self, row["models"], column: "runs.models"),
                           codeVersion: row["code_version"], firstSession: try Coding.day(row["first_session"]),
                           lastSession: try Coding.day(row["last_session"]), initialCash: row["initial_cash"], benchmark: row["benchmark"],
                           options: try Coding.jsonValue(row["options"], column: "runs.options") ?? .object([]),
                           baselineOf: (row["baseline_of"] as Int64?).map(RunID.init), agents: agents)
    }

    static func agent(_ row: Row) throws -> AgentRow {
        var model: ModelDescriptor?
        if let name = row["model_name"] as String?, let digest = row["model_digest"] as String? {
            model = ModelDescriptor(name: name, digest: digest, contextLength: row["context_length"] ?? 0)
        }
        let tools = try Coding.jsonValue(row["tools"], column: "agents.tools")?.arrayValue?.compactMap(\.stringValue) ?? []
        return AgentRow(agent: AgentRecord(role: row["role"], stage: row["stage"], model: model, instructionDigest: row["instruction_digest"], tools: tools),
                        declared: row["declared"])
    }

    static func equity(_ row: Row) throws -> EquityRecord {
        EquityRecord(day: try Coding.day(row["day"]), cash: row["cash"], positionsValue: row["positions_value"],
                     equity: row["equity"], grossExposure: row["gross_exposure"])
    }

    static func position(_ row: Row) -> Position {
        Position(symbol: row["symbol"], quantity: row["quantity"], averageCost: row["average_cost"], realizedPnL: row["realized_pnl"],
                 lastPrice: row["last_price"])
    }

    static func fill(_ row: Row) throws -> Fill {
        Fill(orderID: OrderID(row["order_id"]), day: try Coding.day(row["day"]), symbol: row["symbol"],
             side: Side(rawValue: row["side"]) ?? .buy, quantity: row["quantity"], price: row["price"],
             referencePrice: row["reference_price"], commission: row["commission"], slippageCost: row["slippage_cost"])
    }

    static func orderEvent(_ row: Row) throws -> OrderEvent {
        guard let kind = OrderEvent.Kind(rawValue: row["kind"]) else { throw JournalError("unknown order event kind '\(row["kind"] as String)'") }
        return OrderEvent(orderID: OrderID(row["order_id"]), day: try Coding.day(row["day"]), kind: kind, quantity: row["quantity"],
                          price: row["price"], reason: row["reason"])
    }

    static func cashMovement(_ row: Row) throws -> CashMovement {
        guard let kind = CashMovement.Kind(rawValue: row["kind"]) else { throw JournalError("unknown cash movement kind '\(row["kind"] as String)'") }
        return CashMovement(day: try Coding.day(row["day"]), kind: kind, amount: row["amount"], symbol: row["symbol"],
                            orderID: (row["order_id"] as Int?).map(OrderID.init))
    }

    static func modelCall(_ row: Row) throws -> ModelCallRecord {
        ModelCallRecord(sequence: row["seq"], role: row["role"], modelName: row["model_name"], modelDigest: row["model_digest"],
                        cacheKey: row["cache_key"], cacheHit: row["cache_hit"], messages: try Coding.messages(from: row["messages"]),
                        sampling: try Coding.decode(SamplingSettings.self, row["sampling"], column: "model_calls.sampling"),
                        schema: try Coding.jsonValue(row["schema"], column: "model_calls.schema"), completion: row["completion"],
                        finishReason: (row["finish_reason"] as String?).flatMap(FinishReason.init(rawValue:)),
                        parsedOutput: try Coding.jsonValue(row["parsed_output"], column: "model_calls.parsed_output"), valid: row["valid"],
                        error: row["error"],
                        usage: Usage(promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                                     cachedPromptTokens: row["cached_prompt_tokens"], timeToFirstToken: row["time_to_first_token"],
                                     totalSeconds: row["latency"]),
                        startedAt: row["started_at"], finishedAt: row["finished_at"])
    }

    static func toolCall(_ row: Row) throws -> ToolCallRecord {
        ToolCallRecord(sequence: row["seq"], role: row["role"], tool: row["tool"],
                       input: try Coding.jsonValue(row["input"], column: "tool_calls.input") ?? .null,
                       output: try Coding.jsonValue(row["output"], column: "tool_calls.output"), error: row["error"], durationSeconds: row["duration"])
    }

    static func decision(_ row: Row) throws -> DecisionRecord {
        DecisionRecord(sequence: row["seq"], role: row["role"], stage: row["stage"],
                       output: try Coding.jsonValue(row["output"], column: "decisions.output") ?? .null, rationale: row["rationale"],
                       isFallback: row["is_fallback"])
    }

    static func riskEvent(_ row: Row) throws -> RiskEventRecord {
        guard let action = RiskEventRecord.Action(rawValue: row["action"]) else { throw JournalError("unknown risk action '\(row["action"] as String)'") }
        return RiskEventRecord(sequence: row["seq"], rule: row["rule"], action: action, symbol: row["symbol"], proposed: row["proposed"],
                               allowed: row["allowed"], detail: row["detail"], role: row["role"])
    }

    static func failure(_ row: Row) -> FailureRecord {
        FailureRecord(sequence: row["seq"], role: row["role"], kind: row["kind"], message: row["message"], fallback: row["fallback"])
    }

    /// An order as it stood at the end of a step: its request from `orders`, its state from `order_updates`.
    static func orderAtStep(_ row: Row) throws -> Order {
        Order(id: OrderID(row["id"]),
              request: OrderRequest(symbol: row["symbol"], side: Side(rawValue: row["side"]) ?? .buy, quantity: row["quantity"],
                                    kind: Coding.orderKind(row), timeInForce: TimeInForce(rawValue: row["time_in_force"]) ?? .day, tag: row["tag"]),
              submittedOn: try Coding.day(row["submitted_on"]), status: OrderStatus(rawValue: row["u_status"]) ?? .rejected,
              filledQuantity: row["u_filled_quantity"], averageFillPrice: row["u_average_fill_price"], triggered: row["u_triggered"])
    }

    static func steps(run: RunID, range: ClosedRange<Int>?, db: Database) throws -> [StepRecord] {
        let lower = range?.lowerBound ?? 0, upper = range?.upperBound ?? Int.max
        let arguments: StatementArguments = [run.rawValue, lower, upper]
        let window = "run_id = ? AND step BETWEEN ? AND ?"

        var equity: [Int: EquityRecord] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM equity WHERE \(window)", arguments: arguments) {
            equity[row["step"]] = try JournalReader.equity(row)
        }
        var steps: [StepRecord] = []
        var slot: [Int: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM steps WHERE run_id = ? AND idx BETWEEN ? AND ? ORDER BY idx", arguments: arguments) {
            let index: Int = row["idx"]
            guard let e = equity[index] else { throw JournalError("step \(index) of run \(run) has no equity row") }
            var step = StepRecord(index: index, day: try Coding.day(row["day"]), isDecision: row["is_decision"], equity: e)
            step.snapshotDigest = row["snapshot_digest"]
            slot[index] = steps.count
            steps.append(step)
        }
        func each(_ sql: String, stepColumn: String = "step", _ body: (inout StepRecord, Row) throws -> Void) throws {
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                guard let at = slot[row[stepColumn]] else { continue }
                try body(&steps[at], row)
            }
        }
        try each("SELECT * FROM positions WHERE \(window) ORDER BY step, symbol") { $0.positions.append(position($1)) }
        try each("""
            SELECT o.*, u.step AS u_step, u.status AS u_status, u.filled_quantity AS u_filled_quantity,
                   u.average_fill_price AS u_average_fill_price, u.triggered AS u_triggered
            FROM order_updates u JOIN orders o ON o.run_id = u.run_id AND o.id = u.order_id
            WHERE u.run_id = ? AND u.step BETWEEN ? AND ? ORDER BY u.step, u.order_id
            """, stepColumn: "u_step") { $0.orders.append(try orderAtStep($1)) }
        try each("SELECT * FROM order_events WHERE \(window) ORDER BY step, seq") { $0.orderEvents.append(try orderEvent($1)) }
        try each("SELECT * FROM fills WHERE \(window) ORDER BY step, seq") { $0.fills.append(try fill($1)) }
        try each("SELECT * FROM cash_movements WHERE \(window) ORDER BY step, seq") { $0.cashMovements.append(try cashMovement($1)) }
        try each("SELECT * FROM model_calls WHERE \(window) ORDER BY step, seq, id") { $0.modelCalls.append(try modelCall($1)) }
        try each("SELECT * FROM tool_calls WHERE \(window) ORDER BY step, seq, id") { $0.toolCalls.append(try toolCall($1)) }
        try each("SELECT * FROM decisions WHERE \(window) ORDER BY step, seq, id") { $0.decisions.append(try decision($1)) }
        try each("SELECT * FROM risk_events WHERE \(window) ORDER BY step, seq, id") { $0.riskEvents.append(try riskEvent($1)) }
        try each("SELECT * FROM failures WHERE \(window) ORDER BY step, seq, id") { $0.failures.append(failure($1)) }
        return steps
    }
}

extension SQLiteJournal {
    /// Headline figures recomputed from the run's committed rows (for runs still running or interrupted).
    public func liveSummary(of run: RunID) throws -> RunSummary {
        try pool.read { db in
            let row = try SQLiteJournal.runRow(run, db: db, path: path)
            let points = try Row.fetchAll(db, sql: "SELECT day, equity FROM equity WHERE run_id = ? ORDER BY step", arguments: [run.rawValue])
            let counts = try Row.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM fills WHERE run_id = ?1) AS fills,
                       (SELECT COUNT(*) FROM model_calls WHERE run_id = ?1) AS model_calls,
                       (SELECT COUNT(*) FROM failures WHERE run_id = ?1) AS failures
                """, arguments: [run.rawValue])
            return RunSummary.from(equity: points.map { $0["equity"] }, days: try points.map { try Coding.day($0["day"]) },
                                   initialCash: row["initial_cash"], fills: counts?["fills"] ?? 0, modelCalls: counts?["model_calls"] ?? 0,
                                   failures: counts?["failures"] ?? 0)
        }
    }
}

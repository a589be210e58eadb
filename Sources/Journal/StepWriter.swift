import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// Writes one ``StepRecord`` inside the caller's transaction, with cached statements.
///
/// The full-text indexes follow through triggers, in the same transaction.
let skipTables = Set((ProcessInfo.processInfo.environment["SKIP_TABLES"] ?? "").split(separator: ",").map(String.init))
enum StepWriter {
    static func write(_ step: StepRecord, run: RunID, digest: String, committedAt: String, db: Database) throws {
        let runID = run.rawValue
        let index = step.index
        let day = step.day.iso
        // Most records of a step are dated on its day (orders: on an earlier one): format each date once.
        var dates: [Day: String] = [step.day: day]
        func iso(_ d: Day) -> String {
            if let text = dates[d] { return text }
            let text = d.iso
            dates[d] = text
            return text
        }
        var steps = try RowInserter(db, sql: "INSERT INTO steps (run_id, idx, day, is_decision, snapshot_digest, digest, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        steps.int(runID); steps.int(index); steps.text(day); steps.bool(step.isDecision); steps.text(step.snapshotDigest); steps.text(digest)
        steps.text(committedAt)
        try steps.run()

        let e = step.equity
        var equity = try RowInserter(db, sql: "INSERT INTO equity (run_id, step, day, cash, positions_value, equity, gross_exposure) VALUES (?, ?, ?, ?, ?, ?, ?)")
        equity.int(runID); equity.int(index); equity.text(iso(e.day)); equity.double(e.cash); equity.double(e.positionsValue)
        equity.double(e.equity); equity.double(e.grossExposure)
        try equity.run()

        if !skipTables.contains("positions") { try RowInserter.insertAll(step.positions, db: db, into: "positions", columns: [
            "run_id", "step", "day", "symbol", "quantity", "average_cost", "last_price", "market_value", "realized_pnl", "unrealized_pnl",
        ]) { positions, _, p in
            positions.int(runID); positions.int(index); positions.text(day); positions.text(p.symbol); positions.double(p.quantity)
            positions.double(p.averageCost); positions.double(p.lastPrice); positions.double(p.marketValue); positions.double(p.realizedPnL)
            positions.double(p.unrealizedPnL)
        } }

        // An order is inserted when sent and updated as it fills, expires or is cancelled; each step keeps the state it saw.
        if !skipTables.contains("orders") { try RowInserter.insertAll(step.orders, db: db, into: "orders", columns: [
            "run_id", "id", "step", "submitted_on", "symbol", "side", "quantity", "kind", "limit_price", "stop_price", "time_in_force", "tag",
            "status", "filled_quantity", "average_fill_price", "triggered", "updated_step",
        ], suffix: """
             ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, filled_quantity = excluded.filled_quantity,
                average_fill_price = excluded.average_fill_price, triggered = excluded.triggered, updated_step = excluded.updated_step
            """) { orders, _, o in
            let r = o.request
            orders.int(runID); orders.int(o.id.rawValue); orders.int(index); orders.text(iso(o.submittedOn)); orders.text(r.symbol)
            orders.text(r.side.rawValue); orders.double(r.quantity); orders.text(r.kind.name); orders.double(r.kind.limitPrice)
            orders.double(r.kind.triggerPrice); orders.text(r.timeInForce.rawValue); orders.text(r.tag); orders.text(o.status.rawValue)
            orders.double(o.filledQuantity); orders.double(o.averageFillPrice); orders.bool(o.triggered); orders.int(index)
        } }
        if !skipTables.contains("order_updates") { try RowInserter.insertAll(step.orders, db: db, into: "order_updates", columns: [
            "run_id", "step", "order_id", "status", "filled_quantity", "average_fill_price", "triggered",
        ]) { updates, _, o in
            updates.int(runID); updates.int(index); updates.int(o.id.rawValue); updates.text(o.status.rawValue); updates.double(o.filledQuantity)
            updates.double(o.averageFillPrice); updates.bool(o.triggered)
        } }

        if !skipTables.contains("order_events") { try RowInserter.insertAll(step.orderEvents, db: db, into: "order_events", columns: [
            "run_id", "step", "seq", "order_id", "day", "kind", "quantity", "price", "reason",
        ]) { events, seq, ev in
            events.int(runID); events.int(index); events.int(seq); events.int(ev.orderID.rawValue); events.text(iso(ev.day))
            events.text(ev.kind.rawValue); events.double(ev.quantity); events.double(ev.price); events.text(ev.reason)
        } }

        if !skipTables.contains("fills") { try RowInserter.insertAll(step.fills, db: db, into: "fills", columns: [
            "run_id", "step", "seq", "order_id", "day", "symbol", "side", "quantity", "price", "reference_price", "commission", "slippage_cost",
        ]) { fills, seq, f in
            fills.int(runID); fills.int(index); fills.int(seq); fills.int(f.orderID.rawValue); fills.text(iso(f.day)); fills.text(f.symbol)
            fills.text(f.side.rawValue); fills.double(f.quantity); fills.double(f.price); fills.double(f.referencePrice)
            fills.double(f.commission); fills.double(f.slippageCost)
        } }

        if !skipTables.contains("cash_movements") { try RowInserter.insertAll(step.cashMovements, db: db, into: "cash_movements", columns: [
            "run_id", "step", "seq", "day", "kind", "amount", "symbol", "order_id",
        ]) { cash, seq, m in
            cash.int(runID); cash.int(index); cash.int(seq); cash.text(iso(m.day)); cash.text(m.kind.rawValue); cash.double(m.amount)
            cash.text(m.symbol); cash.int(m.orderID?.rawValue)
        } }

        if !step.modelCalls.isEmpty {
            var calls = try RowInserter(db, sql: """
                INSERT INTO model_calls (run_id, step, seq, role, model_name, model_digest, cache_key, cache_hit, prompt, messages, sampling, schema,
                                         completion, finish_reason, parsed_output, valid, error, prompt_tokens, completion_tokens,
                                         cached_prompt_tokens, time_to_first_token, latency, started_at, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in step.modelCalls {
                calls.int(runID); calls.int(index); calls.int(c.sequence); calls.text(c.role); calls.text(c.modelName); calls.text(c.modelDigest)
                calls.text(c.cacheKey); calls.bool(c.cacheHit); calls.text(Coding.renderPrompt(c.messages)); calls.text(Coding.messages(c.messages))
                calls.text(try Coding.json(c.sampling)); calls.text(c.schema?.compactText); calls.text(c.completion); calls.text(c.finishReason?.rawValue)
                calls.text(c.parsedOutput?.compactText); calls.bool(c.valid); calls.text(c.error); calls.int(c.usage.promptTokens)
                calls.int(c.usage.completionTokens); calls.int(c.usage.cachedPromptTokens); calls.double(c.usage.timeToFirstToken)
                calls.double(c.usage.totalSeconds); calls.double(c.startedAt); calls.double(c.finishedAt)
                try calls.run()
            }
        }

        if !step.toolCalls.isEmpty {
            var tools = try RowInserter(db, sql: "INSERT INTO tool_calls (run_id, step, seq, role, tool, input, output, error, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for t in step.toolCalls {
                tools.int(runID); tools.int(index); tools.int(t.sequence); tools.text(t.role); tools.text(t.tool); tools.text(t.input.compactText)
                tools.text(t.output?.compactText); tools.text(t.error); tools.double(t.durationSeconds)
                try tools.run()
            }
        }

        if !step.decisions.isEmpty {
            var decisions = try RowInserter(db, sql: "INSERT INTO decisions (run_id, step, seq, role, stage, output, rationale, is_fallback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for d in step.decisions {
                decisions.int(runID); decisions.int(index); decisions.int(d.sequence); decisions.text(d.role); decisions.text(d.stage)
                decisions.text(d.output.compactText); decisions.text(d.rationale); decisions.bool(d.isFallback)
                try decisions.run()
            }
        }

        if !step.riskEvents.isEmpty {
            var risks = try RowInserter(db, sql: "INSERT INTO risk_events (run_id, step, seq, role, rule, action, symbol, proposed, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for r in step.riskEvents {
                risks.int(runID); risks.int(index); risks.int(r.sequence); risks.text(r.role); risks.text(r.rule); risks.text(r.action.rawValue)
                risks.text(r.symbol); risks.double(r.proposed); risks.double(r.allowed); risks.text(r.detail)
                try risks.run()
            }
        }

        if !step.failures.isEmpty {
            var failures = try RowInserter(db, sql: "INSERT INTO failures (run_id, step, seq, role, kind, message, fallback) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for f in step.failures {
                failures.int(runID); failures.int(index); failures.int(f.sequence); failures.text(f.role); failures.text(f.kind); failures.text(f.message)
                failures.text(f.fallback)
                try failures.run()
            }
        }

        try registerRoles(of: step, run: runID, db: db)
    }

    /// Adds an `agents` row for each role that acted in the step and that the run's manifest did
    /// not declare, so every role in the records has one.
    private static func registerRoles(of step: StepRecord, run: Int64, db: Database) throws {
        guard !step.modelCalls.isEmpty || !step.decisions.isEmpty || !step.toolCalls.isEmpty || !step.failures.isEmpty else { return }
        var seen: [String: (stage: String?, model: (String, String)?)] = [:]
        for c in step.modelCalls where seen[c.role]?.model == nil { seen[c.role, default: (nil, nil)].model = (c.modelName, c.modelDigest) }
        for d in step.decisions where seen[d.role]?.stage == nil { seen[d.role, default: (nil, nil)].stage = d.stage }
        for t in step.toolCalls where seen[t.role] == nil { seen[t.role] = (nil, nil) }
        for f in step.failures { if let role = f.role, seen[role] == nil { seen[role] = (nil, nil) } }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO agents (run_id, role, stage, model_name, model_digest, context_length, instruction_digest, tools, declared)
            VALUES (?, ?, ?, ?, ?, NULL, NULL, '[]', 0) ON CONFLICT (run_id, role) DO NOTHING
            """)
        for (role, info) in seen.sorted(by: { $0.key < $1.key }) {
            try insert.execute(arguments: [run, role, info.stage ?? "unknown", info.model?.0, info.model?.1])
        }
    }

    static func registerAgents(_ agents: [AgentRecord], run: Int64, db: Database) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO agents (run_id, role, stage, model_name, model_digest, context_length, instruction_digest, tools, declared, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
            ON CONFLICT (run_id, role) DO UPDATE SET stage = excluded.stage, model_name = excluded.model_name,
                model_digest = excluded.model_digest, context_length = excluded.context_length,
                instruction_digest = excluded.instruction_digest, tools = excluded.tools, declared = 1, seq = excluded.seq
            """)
        for (seq, a) in agents.enumerated() {
            try insert.execute(arguments: [run, a.role, a.stage, a.model?.name, a.model?.digest, a.model?.contextLength, a.instructionDigest,
                                           JSONValue.array(a.tools.map(JSONValue.string)).compactText, seq])
        }
    }
}

/// Conversions between journal columns and values.
enum Coding {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw JournalError("the journal's \(column) column holds unreadable JSON: \(error)")
        }
    }

    static func jsonValue(_ text: String?, column: String) throws -> JSONValue? {
        guard let text else { return nil }
        do { return try JSONValue(parsing: text) } catch {
            throw JournalError("the journal's \(column) column holds unreadable JSON: \(error)")
        }
    }

    /// Chat messages as compact JSON: `[{"role":"system","content":"…"},…]`.
    static func messages(_ messages: [ChatMessage]) -> String {
        JSONValue.array(messages.map { .object([.init("role", .string($0.role.rawValue)), .init("content", .string($0.content))]) }).compactText
    }

    static func messages(from text: String) throws -> [ChatMessage] {
        guard let items = try jsonValue(text, column: "model_calls.messages")?.arrayValue else {
            throw JournalError("the journal's model_calls.messages column is not a list of messages")
        }
        return try items.map { item in
            guard let role = item["role"]?.stringValue.flatMap(ChatMessage.Role.init(rawValue:)), let content = item["content"]?.stringValue else {
                throw JournalError("the journal's model_calls.messages column holds a malformed message: \(item.compactText)")
            }
            return ChatMessage(role, content)
        }
    }

    /// The prompt as a reader sees it: each message under its role, in order (what `model_calls.prompt` holds and FTS indexes).
    static func renderPrompt(_ messages: [ChatMessage]) -> String {
        messages.map { "[\($0.role.rawValue)]\n\($0.content)" }.joined(separator: "\n\n")
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeSeparator(.colon).dateTimeSeparator(.standard))
    }

    static func day(_ text: String) throws -> Day {
        guard let day = Day(text) else { throw JournalError("the journal holds a malformed date '\(text)'") }
        return day
    }

    static func orderKind(_ row: Row) -> OrderKind {
        switch row["kind"] as String {
        case "limit": return .limit(price: row["limit_price"])
        case "stop": return .stop(trigger: row["stop_price"])
        case "stop_limit": return .stopLimit(trigger: row["stop_price"], limit: row["limit_price"])
        default: return .market
        }
    }

    static func order(_ row: Row) throws -> Order {
        let request = OrderRequest(symbol: row["symbol"], side: Side(rawValue: row["side"]) ?? .buy, quantity: row["quantity"], kind: orderKind(row),
                                   timeInForce: TimeInForce(rawValue: row["time_in_force"]) ?? .day, tag: row["tag"])
        return Order(id: OrderID(row["id"]), request: request, submittedOn: try day(row["submitted_on"]),
                     status: OrderStatus(rawValue: row["status"]) ?? .rejected, filledQuantity: row["filled_quantity"],
                     averageFillPrice: row["average_fill_price"], triggered: row["triggered"])
    }
}

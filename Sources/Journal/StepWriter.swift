import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// Writes one ``StepRecord`` inside the caller's transaction, with cached statements.
///
/// The full-text indexes follow through triggers, in the same transaction.
enum StepWriter {
    static func write(_ step: StepRecord, run: RunID, digest: String, committedAt: String, db: Database) throws {
        let runID = run.rawValue
        let day = step.day.iso
        try db.cachedStatement(sql: "INSERT INTO steps (run_id, idx, day, is_decision, snapshot_digest, digest, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [runID, step.index, day, step.isDecision, step.snapshotDigest, digest, committedAt])

        let e = step.equity
        try db.cachedStatement(sql: "INSERT INTO equity (run_id, step, day, cash, positions_value, equity, gross_exposure) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [runID, step.index, e.day.iso, e.cash, e.positionsValue, e.equity, e.grossExposure])

        if !step.positions.isEmpty {
            let positions = try db.cachedStatement(sql: """
                INSERT INTO positions (run_id, step, day, symbol, quantity, average_cost, last_price, market_value, realized_pnl, unrealized_pnl)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in step.positions {
                try positions.execute(arguments: [runID, step.index, day, p.symbol, p.quantity, p.averageCost, p.lastPrice, p.marketValue,
                                                  p.realizedPnL, p.unrealizedPnL])
            }
        }

        if !step.orders.isEmpty {
            let orders = try db.cachedStatement(sql: """
                INSERT INTO orders (run_id, id, step, submitted_on, symbol, side, quantity, kind, limit_price, stop_price, time_in_force, tag,
                                    status, filled_quantity, average_fill_price, triggered, updated_step)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, filled_quantity = excluded.filled_quantity,
                    average_fill_price = excluded.average_fill_price, triggered = excluded.triggered, updated_step = excluded.updated_step
                """)
            let updates = try db.cachedStatement(sql: """
                INSERT INTO order_updates (run_id, step, order_id, status, filled_quantity, average_fill_price, triggered) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for o in step.orders {
                let r = o.request
                try orders.execute(arguments: [runID, o.id.rawValue, step.index, o.submittedOn.iso, r.symbol, r.side.rawValue, r.quantity, r.kind.name,
                                               r.kind.limitPrice, r.kind.triggerPrice, r.timeInForce.rawValue, r.tag, o.status.rawValue,
                                               o.filledQuantity, o.averageFillPrice, o.triggered, step.index])
                try updates.execute(arguments: [runID, step.index, o.id.rawValue, o.status.rawValue, o.filledQuantity, o.averageFillPrice, o.triggered])
            }
        }

        if !step.orderEvents.isEmpty {
            let events = try db.cachedStatement(sql: "INSERT INTO order_events (run_id, step, seq, order_id, day, kind, quantity, price, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for (seq, ev) in step.orderEvents.enumerated() {
                try events.execute(arguments: [runID, step.index, seq, ev.orderID.rawValue, ev.day.iso, ev.kind.rawValue, ev.quantity, ev.price, ev.reason])
            }
        }

        if !step.fills.isEmpty {
            let fills = try db.cachedStatement(sql: """
                INSERT INTO fills (run_id, step, seq, order_id, day, symbol, side, quantity, price, reference_price, commission, slippage_cost)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (seq, f) in step.fills.enumerated() {
                try fills.execute(arguments: [runID, step.index, seq, f.orderID.rawValue, f.day.iso, f.symbol, f.side.rawValue, f.quantity,
                                              f.price, f.referencePrice, f.commission, f.slippageCost])
            }
        }

        if !step.cashMovements.isEmpty {
            let cash = try db.cachedStatement(sql: "INSERT INTO cash_movements (run_id, step, seq, day, kind, amount, symbol, order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for (seq, m) in step.cashMovements.enumerated() {
                try cash.execute(arguments: [runID, step.index, seq, m.day.iso, m.kind.rawValue, m.amount, m.symbol, m.orderID?.rawValue])
            }
        }

        if !step.modelCalls.isEmpty {
            let calls = try db.cachedStatement(sql: """
                INSERT INTO model_calls (run_id, step, seq, role, model_name, model_digest, cache_key, cache_hit, prompt, messages, sampling, schema,
                                         completion, finish_reason, parsed_output, valid, error, prompt_tokens, completion_tokens,
                                         cached_prompt_tokens, time_to_first_token, latency, started_at, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in step.modelCalls {
                try calls.execute(arguments: [runID, step.index, c.sequence, c.role, c.modelName, c.modelDigest, c.cacheKey, c.cacheHit,
                                              Coding.renderPrompt(c.messages), Coding.messages(c.messages), try Coding.json(c.sampling),
                                              c.schema?.compactText, c.completion, c.finishReason?.rawValue, c.parsedOutput?.compactText, c.valid,
                                              c.error, c.usage.promptTokens, c.usage.completionTokens, c.usage.cachedPromptTokens,
                                              c.usage.timeToFirstToken, c.usage.totalSeconds, c.startedAt, c.finishedAt])
            }
        }

        if !step.toolCalls.isEmpty {
            let tools = try db.cachedStatement(sql: "INSERT INTO tool_calls (run_id, step, seq, role, tool, input, output, error, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for t in step.toolCalls {
                try tools.execute(arguments: [runID, step.index, t.sequence, t.role, t.tool, t.input.compactText, t.output?.compactText, t.error, t.durationSeconds])
            }
        }

        if !step.decisions.isEmpty {
            let decisions = try db.cachedStatement(sql: "INSERT INTO decisions (run_id, step, seq, role, stage, output, rationale, is_fallback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for d in step.decisions {
                try decisions.execute(arguments: [runID, step.index, d.sequence, d.role, d.stage, d.output.compactText, d.rationale, d.isFallback])
            }
        }

        if !step.riskEvents.isEmpty {
            let risks = try db.cachedStatement(sql: "INSERT INTO risk_events (run_id, step, seq, role, rule, action, symbol, proposed, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for r in step.riskEvents {
                try risks.execute(arguments: [runID, step.index, r.sequence, r.role, r.rule, r.action.rawValue, r.symbol, r.proposed, r.allowed, r.detail])
            }
        }

        if !step.failures.isEmpty {
            let failures = try db.cachedStatement(sql: "INSERT INTO failures (run_id, step, seq, role, kind, message, fallback) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for f in step.failures {
                try failures.execute(arguments: [runID, step.index, f.sequence, f.role, f.kind, f.message, f.fallback])
            }
        }

        try registerRoles(of: step, run: runID, db: db)
    }

    /// Adds an `agents` row for each role that acted in the step and that the run's manifest did
    /// not declare, so every role in the records has one.
    private static func registerRoles(of step: StepRecord, run: Int64, db: Database) throws {
        guard !step.modelCalls.isEmpty || !step.decisions.isEmpty || !step.toolCalls.isEmpty else { return }
        var seen: [String: (stage: String?, model: (String, String)?)] = [:]
        for c in step.modelCalls where seen[c.role]?.model == nil { seen[c.role, default: (nil, nil)].model = (c.modelName, c.modelDigest) }
        for d in step.decisions where seen[d.role]?.stage == nil { seen[d.role, default: (nil, nil)].stage = d.stage }
        for t in step.toolCalls where seen[t.role] == nil { seen[t.role] = (nil, nil) }
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

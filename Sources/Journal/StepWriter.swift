import Exchange
import Foundation
import GRDB
import JournalRecords
import LanguageModel
import Market

/// Writes one ``StepRecord`` inside the caller's transaction, with cached statements.
enum StepWriter {
    static func write(_ step: StepRecord, run: RunID, db: Database) throws {
        let runID = run.rawValue
        try db.cachedStatement(sql: "INSERT INTO steps (run_id, idx, day, is_decision, snapshot_digest, committed_at) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [runID, step.index, step.day.iso, step.isDecision, step.snapshotDigest, Coding.timestamp()])

        let e = step.equity
        try db.cachedStatement(sql: "INSERT INTO equity (run_id, day, cash, positions_value, equity, gross_exposure) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [runID, e.day.iso, e.cash, e.positionsValue, e.equity, e.grossExposure])

        let positions = try db.cachedStatement(sql: """
            INSERT INTO positions (run_id, day, symbol, quantity, average_cost, last_price, market_value, realized_pnl, unrealized_pnl)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for p in step.positions {
            try positions.execute(arguments: [runID, step.day.iso, p.symbol, p.quantity, p.averageCost, p.lastPrice, p.marketValue, p.realizedPnL, p.unrealizedPnL])
        }

        let orders = try db.cachedStatement(sql: """
            INSERT INTO orders (run_id, id, submitted_on, symbol, side, quantity, kind, limit_price, stop_price, time_in_force, tag,
                                status, filled_quantity, average_fill_price)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, filled_quantity = excluded.filled_quantity,
                average_fill_price = excluded.average_fill_price
            """)
        for o in step.orders {
            let r = o.request
            try orders.execute(arguments: [runID, o.id.rawValue, o.submittedOn.iso, r.symbol, r.side.rawValue, r.quantity, r.kind.name,
                                           r.kind.limitPrice, r.kind.triggerPrice, r.timeInForce.rawValue, r.tag, o.status.rawValue,
                                           o.filledQuantity, o.averageFillPrice])
        }

        let events = try db.cachedStatement(sql: "INSERT INTO order_events (run_id, step, seq, order_id, day, kind, quantity, price, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for (seq, ev) in step.orderEvents.enumerated() {
            try events.execute(arguments: [runID, step.index, seq, ev.orderID.rawValue, ev.day.iso, ev.kind.rawValue, ev.quantity, ev.price, ev.reason])
        }

        let fills = try db.cachedStatement(sql: """
            INSERT INTO fills (run_id, step, seq, order_id, day, symbol, side, quantity, price, reference_price, commission, slippage_cost)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (seq, f) in step.fills.enumerated() {
            try fills.execute(arguments: [runID, step.index, seq, f.orderID.rawValue, f.day.iso, f.symbol, f.side.rawValue, f.quantity,
                                          f.price, f.referencePrice, f.commission, f.slippageCost])
        }

        let cash = try db.cachedStatement(sql: "INSERT INTO cash_movements (run_id, step, seq, day, kind, amount, symbol, order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for (seq, m) in step.cashMovements.enumerated() {
            try cash.execute(arguments: [runID, step.index, seq, m.day.iso, m.kind.rawValue, m.amount, m.symbol, m.orderID?.rawValue])
        }

        let calls = try db.cachedStatement(sql: """
            INSERT INTO model_calls (run_id, step, seq, role, model_name, model_digest, cache_key, cache_hit, messages, sampling, schema,
                                     completion, finish_reason, parsed_output, valid, error, prompt_tokens, completion_tokens,
                                     cached_prompt_tokens, time_to_first_token, latency, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for c in step.modelCalls {
            try calls.execute(arguments: [runID, step.index, c.sequence, c.role, c.modelName, c.modelDigest, c.cacheKey, c.cacheHit,
                                          try Coding.json(c.messages), try Coding.json(c.sampling), c.schema?.canonicalText,
                                          c.completion, c.finishReason?.rawValue, c.parsedOutput?.compactText, c.valid, c.error,
                                          c.usage.promptTokens, c.usage.completionTokens, c.usage.cachedPromptTokens,
                                          c.usage.timeToFirstToken, c.usage.totalSeconds, c.startedAt, c.finishedAt])
        }

        let tools = try db.cachedStatement(sql: "INSERT INTO tool_calls (run_id, step, seq, role, tool, input, output, error, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for t in step.toolCalls {
            try tools.execute(arguments: [runID, step.index, t.sequence, t.role, t.tool, t.input.compactText, t.output?.compactText, t.error, t.durationSeconds])
        }

        let decisions = try db.cachedStatement(sql: "INSERT INTO decisions (run_id, step, seq, role, stage, output, rationale, is_fallback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for d in step.decisions {
            try decisions.execute(arguments: [runID, step.index, d.sequence, d.role, d.stage, d.output.compactText, d.rationale, d.isFallback])
        }

        let risks = try db.cachedStatement(sql: "INSERT INTO risk_events (run_id, step, seq, role, rule, action, symbol, proposed, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for r in step.riskEvents {
            try risks.execute(arguments: [runID, step.index, r.sequence, r.role, r.rule, r.action.rawValue, r.symbol, r.proposed, r.allowed, r.detail])
        }

        let failures = try db.cachedStatement(sql: "INSERT INTO failures (run_id, step, seq, role, kind, message, fallback) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for f in step.failures {
            try failures.execute(arguments: [runID, step.index, f.sequence, f.role, f.kind, f.message, f.fallback])
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

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeSeparator(.colon).dateTimeSeparator(.standard))
    }

    static func day(_ text: String) throws -> Day {
        guard let day = Day(text) else { throw JournalError("the journal holds a malformed date '\(text)'") }
        return day
    }

    static func order(_ row: Row) throws -> Order {
        let kind: OrderKind
        switch row["kind"] as String {
        case "limit": kind = .limit(price: row["limit_price"])
        case "stop": kind = .stop(trigger: row["stop_price"])
        case "stop_limit": kind = .stopLimit(trigger: row["stop_price"], limit: row["limit_price"])
        default: kind = .market
        }
        let request = OrderRequest(symbol: row["symbol"], side: Side(rawValue: row["side"]) ?? .buy, quantity: row["quantity"], kind: kind,
                                   timeInForce: TimeInForce(rawValue: row["time_in_force"]) ?? .day, tag: row["tag"])
        return Order(id: OrderID(row["id"]), request: request, submittedOn: try day(row["submitted_on"]),
                     status: OrderStatus(rawValue: row["status"]) ?? .rejected, filledQuantity: row["filled_quantity"],
                     averageFillPrice: row["average_fill_price"])
    }
}

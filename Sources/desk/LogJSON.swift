import Exchange
import Journal
import JournalRecords
import LanguageModel
import Market

/// JSON shapes of `desk logs --format json|jsonl`. Keys are the journal's column names
/// (docs/journal.md), so a record reads the same in SQL and in JSON.
enum LogJSON {
    static func chain(_ chain: StepChain) -> JSONValue {
        .object([
            .init("run", int(chain.run.rawValue)),
            .init("step", int(chain.step)),
            .init("day", .string(chain.day.iso)),
            .init("is_decision", .bool(chain.isDecision)),
            .init("snapshot_digest", string(chain.snapshotDigest)),
            .init("digest", .string(chain.digest)),
            .init("equity", equity(chain.equity)),
            .init("activity", .array(chain.activity.map { entry($0, run: chain.run, full: true) })),
            .init("orders", .array(chain.orders.map(order))),
        ])
    }

    static func entry(_ entry: LogEntry, run: RunID, full: Bool) -> JSONValue {
        var members: [JSONValue.Member] = [
            .init("kind", .string(entry.kind.rawValue)),
            .init("run", int(run.rawValue)),
            .init("step", int(entry.step)),
            .init("day", .string(entry.day.iso)),
        ]
        if let snippet = entry.snippet { members.append(.init("snippet", .string(snippet))) }
        let body: JSONValue
        switch entry.record {
        case let .modelCall(c): body = modelCall(c)
        case let .toolCall(t): body = toolCall(t)
        case let .decision(d): body = decision(d)
        case let .riskEvent(r): body = riskEvent(r)
        case let .failure(f): body = failure(f)
        case let .order(t): body = order(t)
        case let .fill(f): body = fill(f)
        }
        let present = Set(members.map(\.key))
        members += (body.objectValue ?? []).filter { !present.contains($0.key) }
        return .object(members)
    }

    static func modelCall(_ c: ModelCallRecord) -> JSONValue {
        .object([
            .init("seq", int(c.sequence)), .init("role", .string(c.role)), .init("model_name", .string(c.modelName)),
            .init("model_digest", .string(c.modelDigest)), .init("cache_key", .string(c.cacheKey)), .init("cache_hit", .bool(c.cacheHit)),
            .init("messages", .array(c.messages.map { .object([.init("role", .string($0.role.rawValue)), .init("content", .string($0.content))]) })),
            .init("schema", c.schema ?? .null), .init("completion", string(c.completion)), .init("finish_reason", string(c.finishReason?.rawValue)),
            .init("parsed_output", c.parsedOutput ?? .null), .init("valid", .bool(c.valid)), .init("error", string(c.error)),
            .init("prompt_tokens", int(c.usage.promptTokens)), .init("completion_tokens", int(c.usage.completionTokens)),
            .init("cached_prompt_tokens", int(c.usage.cachedPromptTokens)), .init("time_to_first_token", .number(c.usage.timeToFirstToken)),
            .init("latency", .number(c.usage.totalSeconds)), .init("started_at", .number(c.startedAt)), .init("finished_at", .number(c.finishedAt)),
        ])
    }

    static func toolCall(_ t: ToolCallRecord) -> JSONValue {
        .object([
            .init("seq", int(t.sequence)), .init("role", .string(t.role)), .init("tool", .string(t.tool)), .init("input", t.input),
            .init("output", t.output ?? .null), .init("error", string(t.error)), .init("duration", .number(t.durationSeconds)),
        ])
    }

    static func decision(_ d: DecisionRecord) -> JSONValue {
        .object([
            .init("seq", int(d.sequence)), .init("role", .string(d.role)), .init("stage", .string(d.stage)), .init("output", d.output),
            .init("rationale", string(d.rationale)), .init("is_fallback", .bool(d.isFallback)),
        ])
    }

    static func riskEvent(_ r: RiskEventRecord) -> JSONValue {
        .object([
            .init("seq", int(r.sequence)), .init("role", string(r.role)), .init("rule", .string(r.rule)), .init("action", .string(r.action.rawValue)),
            .init("symbol", string(r.symbol)), .init("proposed", .number(r.proposed)), .init("allowed", .number(r.allowed)), .init("detail", .string(r.detail)),
        ])
    }

    static func failure(_ f: FailureRecord) -> JSONValue {
        .object([
            .init("seq", int(f.sequence)), .init("role", string(f.role)), .init("failure_kind", .string(f.kind)), .init("message", .string(f.message)),
            .init("fallback", .string(f.fallback)),
        ])
    }

    static func order(_ trail: OrderTrail) -> JSONValue {
        let o = trail.order, r = o.request
        return .object([
            .init("id", int(o.id.rawValue)), .init("submitted_step", int(trail.step)), .init("submitted_on", .string(o.submittedOn.iso)),
            .init("symbol", .string(r.symbol)), .init("side", .string(r.side.rawValue)), .init("quantity", .number(r.quantity)),
            .init("order_kind", .string(r.kind.name)), .init("limit_price", r.kind.limitPrice.map(JSONValue.number) ?? .null),
            .init("stop_price", r.kind.triggerPrice.map(JSONValue.number) ?? .null), .init("time_in_force", .string(r.timeInForce.rawValue)),
            .init("tag", string(r.tag)), .init("status", .string(o.status.rawValue)), .init("filled_quantity", .number(o.filledQuantity)),
            .init("average_fill_price", .number(o.averageFillPrice)),
            .init("events", .array(trail.events.map(event))),
            .init("fills", .array(trail.fills.map(fill))),
        ])
    }

    static func event(_ e: OrderEvent) -> JSONValue {
        .object([
            .init("order_id", int(e.orderID.rawValue)), .init("day", .string(e.day.iso)), .init("event", .string(e.kind.rawValue)),
            .init("quantity", e.quantity.map(JSONValue.number) ?? .null), .init("price", e.price.map(JSONValue.number) ?? .null),
            .init("reason", string(e.reason)),
        ])
    }

    static func fill(_ f: Fill) -> JSONValue {
        .object([
            .init("order_id", int(f.orderID.rawValue)), .init("day", .string(f.day.iso)), .init("symbol", .string(f.symbol)),
            .init("side", .string(f.side.rawValue)), .init("quantity", .number(f.quantity)), .init("price", .number(f.price)),
            .init("reference_price", .number(f.referencePrice)), .init("commission", .number(f.commission)),
            .init("slippage_cost", .number(f.slippageCost)),
        ])
    }

    static func equity(_ e: EquityRecord) -> JSONValue {
        .object([
            .init("day", .string(e.day.iso)), .init("cash", .number(e.cash)), .init("positions_value", .number(e.positionsValue)),
            .init("equity", .number(e.equity)), .init("gross_exposure", .number(e.grossExposure)),
        ])
    }

    private static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(Double(value)) }
    private static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}

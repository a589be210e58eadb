import Foundation
import GRDB
import JournalRecords

/// What a run's agents cost and how they fared: model calls and tokens, cache hits, failures by
/// kind, fallbacks and risk events. Read from the journal for the replay summary.
public struct AgentUsage: Sendable, Hashable {
    /// Every model call recorded, served by the model or by the call cache.
    public var modelCalls: Int
    public var cacheHits: Int
    /// Tokens of the calls a model served (cache hits cost none).
    public var promptTokens: Int
    /// Prompt tokens the model's prefix cache already held (not computed again).
    public var cachedPromptTokens: Int
    public var completionTokens: Int
    /// Seconds the model took over those calls, summed (calls that overlapped count each).
    public var modelSeconds: Double
    /// Model calls whose output was missing, unparsable or off-schema.
    public var invalidCalls: Int
    public var failuresByKind: [String: Int]
    /// Role decisions the desk's fallback produced.
    public var fallbacks: Int
    /// Risk events by action (`clip`, `scale`, `veto`).
    public var riskEventsByAction: [String: Int]

    public init(modelCalls: Int, cacheHits: Int, promptTokens: Int, cachedPromptTokens: Int = 0, completionTokens: Int, modelSeconds: Double,
                invalidCalls: Int, failuresByKind: [String: Int], fallbacks: Int, riskEventsByAction: [String: Int]) {
        self.modelCalls = modelCalls
        self.cacheHits = cacheHits
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.completionTokens = completionTokens
        self.modelSeconds = modelSeconds
        self.invalidCalls = invalidCalls
        self.failuresByKind = failuresByKind
        self.fallbacks = fallbacks
        self.riskEventsByAction = riskEventsByAction
    }

    public var failures: Int { failuresByKind.values.reduce(0, +) }

    /// Generated tokens per second of model time.
    public var completionTokensPerSecond: Double { modelSeconds > 0 ? Double(completionTokens) / modelSeconds : 0 }
}

extension SQLiteJournal {
    /// The agents' usage figures of a run.
    public func agentUsage(of run: RunID) throws -> AgentUsage {
        try pool.read { db in
            let id = run.rawValue
            let calls = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS calls,
                       COALESCE(SUM(cache_hit), 0) AS hits,
                       COALESCE(SUM(CASE WHEN cache_hit = 0 THEN prompt_tokens ELSE 0 END), 0) AS prompt,
                       COALESCE(SUM(CASE WHEN cache_hit = 0 THEN cached_prompt_tokens ELSE 0 END), 0) AS cached,
                       COALESCE(SUM(CASE WHEN cache_hit = 0 THEN completion_tokens ELSE 0 END), 0) AS completion,
                       COALESCE(SUM(CASE WHEN cache_hit = 0 THEN latency ELSE 0 END), 0) AS seconds,
                       COALESCE(SUM(CASE WHEN valid = 0 THEN 1 ELSE 0 END), 0) AS invalid
                FROM model_calls WHERE run_id = ?
                """, arguments: [id])!
            var failures: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM failures WHERE run_id = ? GROUP BY kind", arguments: [id]) {
                failures[row["kind"]] = row["n"]
            }
            var risk: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT action, COUNT(*) AS n FROM risk_events WHERE run_id = ? GROUP BY action", arguments: [id]) {
                risk[row["action"]] = row["n"]
            }
            let fallbacks = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decisions WHERE run_id = ? AND is_fallback = 1", arguments: [id]) ?? 0
            return AgentUsage(modelCalls: calls["calls"], cacheHits: calls["hits"], promptTokens: calls["prompt"], cachedPromptTokens: calls["cached"],
                              completionTokens: calls["completion"],
                              modelSeconds: calls["seconds"], invalidCalls: calls["invalid"], failuresByKind: failures, fallbacks: fallbacks,
                              riskEventsByAction: risk)
        }
    }

    /// A run's role decisions in step and journal order: role, stage, output (canonical JSON), fallback or not.
    public func decisionRows(of run: RunID) throws -> [(step: Int, role: String, stage: String, output: String, isFallback: Bool)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT step, role, stage, output, is_fallback FROM decisions WHERE run_id = ? ORDER BY step, seq",
                             arguments: [run.rawValue]).map { ($0["step"], $0["role"], $0["stage"], $0["output"], $0["is_fallback"]) }
        }
    }

    /// A run's failures in step and journal order.
    public func failureRows(of run: RunID) throws -> [(step: Int, role: String?, kind: String, fallback: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT step, role, kind, fallback FROM failures WHERE run_id = ? ORDER BY step, seq",
                             arguments: [run.rawValue]).map { ($0["step"], $0["role"], $0["kind"], $0["fallback"]) }
        }
    }
}

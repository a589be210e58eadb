import Foundation
import Analytics
import Journal
import JournalRecords
import LanguageModel
import Market

/// The figures printed after a replay, computed from the journal's equity rows (not from the
/// simulator's memory), so what is printed is what was recorded.
struct ReplaySummary {
    var scenario: Scenario
    var deskName: String
    var seed: UInt64
    var journalPath: String
    var run: RunID
    var equity: [EquityRecord]
    var fills: Int
    /// Model usage, failures and risk events of an agent desk's run (nil for rule desks).
    var agents: AgentUsage? = nil
    /// The desk's models by role ("*" for the desk's own).
    var models: [String: ModelDescriptor] = [:]
    /// The run's baselines, when they were replayed with it (`--baselines`).
    var baselines: [BaselineRun] = []
    /// How long this replay took (the command's own clock; a resume counts only itself).
    var wallSeconds: Double? = nil

    var performance: PerformanceSummary { PerformanceSummary(equity: equity, initialEquity: scenario.initialCash) }

    var text: String {
        let p = performance
        let dd = p.maxDrawdown
        let window = "\(equity.first?.day.iso ?? "?") … \(equity.last?.day.iso ?? "?"), \(equity.count) sessions"
        var ddDates = ""
        if let trough = dd.trough { ddDates = "  (peak \(dd.peak?.iso ?? "start") → trough \(trough.iso)\(dd.recovery.map { ", recovered \($0.iso)" } ?? ""))" }
        return """
            Replayed \(scenario.name) (\(window)) with desk \(deskName), seed \(seed)
              initial value  \(Format.money(scenario.initialCash))
              final value    \(Format.money(p.finalEquity))
              total return   \(Format.percent(p.totalReturn))
              max drawdown   \(Format.percent(p.maxDrawdown.depth))\(ddDates)
              fills          \(fills)
            \(baselineLines)\(agentLines)\(wallLine)journal \(journalPath)  run \(run)   (inspect: desk runs --journal \(journalPath))
            """
    }

    var agentsJSON: JSONValue {
        guard let a = agents else { return .null }
        func counts(_ byKey: [String: Int]) -> JSONValue {
            .object(byKey.keys.sorted().map { JSONValue.Member($0, .number(Double(byKey[$0]!))) })
        }
        let model: JSONValue = models["*"].map { .string($0.name) } ?? .null
        let members: [JSONValue.Member] = [
            .init("model", model),
            .init("model_calls", .number(Double(a.modelCalls))),
            .init("cache_hits", .number(Double(a.cacheHits))),
            .init("prompt_tokens", .number(Double(a.promptTokens))),
            .init("completion_tokens", .number(Double(a.completionTokens))),
            .init("cached_prompt_tokens", .number(Double(a.cachedPromptTokens))),
            .init("tokens_per_second", .number(a.completionTokensPerSecond)),
            .init("invalid_outputs", .number(Double(a.invalidCalls))),
            .init("failures", counts(a.failuresByKind)),
            .init("fallbacks", .number(Double(a.fallbacks))),
            .init("risk_events", counts(a.riskEventsByAction)),
        ]
        return .object(members)
    }

    /// The replay's wall time and pace, when measured.
    var wallLine: String {
        guard let wall = wallSeconds, wall > 0 else { return "" }
        let minutes = Int(wall) / 60, seconds = wall - Double(minutes * 60)
        let time = minutes > 0 ? String(format: "%d min %02.0f s", minutes, seconds) : String(format: "%.2f s", wall)
        return "  wall time      \(time), " + String(format: "%.1f sessions a minute", Double(equity.count) / wall * 60) + "\n"
    }

    /// One line per baseline: its total return and max drawdown over the same sessions and costs.
    var baselineLines: String {
        baselines.compactMap { baseline -> String? in
            guard let s = baseline.run.summary else { return nil }
            let name = baseline.kind == .benchmark ? "\(baseline.kind.title) (\(scenario.benchmark))" : baseline.kind.title
            return "  baseline       \(name): \(Format.percent(s.totalReturn)), max drawdown \(Format.percent(s.maxDrawdown))  (run \(baseline.run.id))\n"
        }.joined()
    }

    /// The agent desk's model usage, failures and risk events, one line each (empty for rule desks).
    var agentLines: String {
        guard let a = agents else { return "" }
        func counts(_ byKey: [String: Int]) -> String {
            byKey.keys.sorted().map { "\($0) \(byKey[$0]!)" }.joined(separator: ", ")
        }
        let model = models["*"].map { "\($0.name)" } ?? "?"
        var lines = [
            "  model          \(model)\(models.count > 1 ? " (+\(models.count - 1) role models)" : "")",
            "  model calls    \(a.modelCalls) (\(a.cacheHits) from the call cache), tokens \(a.promptTokens) in"
                + (a.cachedPromptTokens > 0 ? " (\(a.cachedPromptTokens) from the prefix cache)" : "") + " + \(a.completionTokens) out",
        ]
        if let wall = wallSeconds, wall > 0, a.promptTokens + a.completionTokens > 0 {   // nil when the call cache answered everything
            let read = a.promptTokens - a.cachedPromptTokens
            lines.append("  model speed    " + String(format: "%.0f prompt and %.1f generated tokens a second of the replay", Double(read) / wall,
                                                      Double(a.completionTokens) / wall))
        }
        lines.append("  failures       \(a.failures)\(a.failures > 0 ? " (\(counts(a.failuresByKind)))" : ""), fallbacks \(a.fallbacks)")
        if !a.riskEventsByAction.isEmpty { lines.append("  risk events    \(counts(a.riskEventsByAction))") }
        return lines.joined(separator: "\n") + "\n"
    }

    var json: JSONValue {
        let p = performance
        return .object([
            .init("run", .number(Double(run.rawValue))),
            .init("journal", .string(journalPath)),
            .init("scenario", .string(scenario.name)),
            .init("desk", .string(deskName)),
            .init("seed", .string(String(seed))),
            .init("first_session", .string(equity.first?.day.iso ?? "")),
            .init("last_session", .string(equity.last?.day.iso ?? "")),
            .init("sessions", .number(Double(equity.count))),
            .init("initial_value", .number(scenario.initialCash)),
            .init("final_value", .number(p.finalEquity)),
            .init("cash", .number(equity.last?.cash ?? scenario.initialCash)),
            .init("total_return", .number(p.totalReturn)),
            .init("max_drawdown", .number(p.maxDrawdown.depth)),
            .init("max_drawdown_peak", p.maxDrawdown.peak.map { .string($0.iso) } ?? .null),
            .init("max_drawdown_trough", p.maxDrawdown.trough.map { .string($0.iso) } ?? .null),
            .init("fills", .number(Double(fills))),
            .init("wall_seconds", wallSeconds.map { .number($0) } ?? .null),
            .init("agents", agentsJSON),
            .init("baselines", baselinesJSON),
        ])
    }

    var baselinesJSON: JSONValue {
        var items: [JSONValue] = []
        for baseline in baselines {
            let totalReturn: JSONValue = baseline.run.summary.map { JSONValue.number($0.totalReturn) } ?? .null
            let maxDrawdown: JSONValue = baseline.run.summary.map { JSONValue.number($0.maxDrawdown) } ?? .null
            items.append(.object([
                .init("kind", .string(baseline.kind.rawValue)),
                .init("run", .number(Double(baseline.run.id.rawValue))),
                .init("total_return", totalReturn),
                .init("max_drawdown", maxDrawdown),
            ]))
        }
        return .array(items)
    }
}

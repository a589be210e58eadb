import Analytics
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
            journal \(journalPath)  run \(run)   (inspect: desk runs --journal \(journalPath))
            """
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
        ])
    }
}

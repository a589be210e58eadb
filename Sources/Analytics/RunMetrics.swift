import Exchange
import Foundation
import Journal
import JournalRecords
import Market

/// Every figure of one journalled run: returns and risk from its daily equity (the first return
/// against the initial cash), trading and costs from its fills, model usage per session.
public struct RunMetrics: Sendable {
    public var run: RunRow
    /// Set when the run is a baseline.
    public var baseline: BaselineKind?
    public var days: [Day]
    public var equity: [EquityRecord]
    public var returns: ReturnMetrics
    public var trading: TradingMetrics
    public var usage: ModelUsageMetrics

    public var rows: [MetricRow] { returns.rows + trading.rows + usage.rows }

    /// Reads `run` from the journal. `through` cuts its equity (and fills) at a day, so that a
    /// baseline covers the same sessions as a run that stopped early; `benchmark` gives beta and alpha.
    public static func load(_ run: RunID, journal: SQLiteJournal, baseline: BaselineKind? = nil, through: Day? = nil,
                            benchmark: ReturnSeries? = nil, riskFreeRate: Double = 0) throws -> RunMetrics {
        let row = try journal.run(run)
        let equity = try journal.equity(of: run).filter { through == nil || $0.day <= through! }
        let fills = try journal.fills(of: run).filter { through == nil || $0.day <= through! }
        let days = equity.map(\.day)
        let series = ReturnSeries(days: days, values: equity.map(\.equity), start: row.initialCash)
        let usage = try journal.agentUsage(of: run)
        return RunMetrics(
            run: row, baseline: baseline, days: days, equity: equity,
            returns: ReturnMetrics(series, benchmark: benchmark, riskFreeRate: riskFreeRate),
            trading: TradingMetrics(fills: fills, equity: equity, initialCash: row.initialCash, borrowFees: try journal.borrowFees(of: run)),
            usage: ModelUsageMetrics(sessions: equity.count, calls: usage.modelCalls, cacheHits: usage.cacheHits,
                                     tokens: usage.promptTokens + usage.completionTokens, seconds: usage.modelSeconds))
    }

    /// A short name for columns and legends: `#3 default` or `#4 benchmark (baseline)`.
    public var shortTitle: String {
        "#\(run.id) " + (baseline.map { $0.title } ?? run.desk)
    }
}

/// The benchmark's close-to-close returns over a scenario's sessions (the first against the last
/// warm-up close, when there is one).
public enum BenchmarkReturns {
    public static func of(_ scenario: Scenario, data: MarketData) -> ReturnSeries? {
        guard let series = data.series[scenario.benchmark] else { return nil }
        let sessions = Set(data.sessions)
        var days: [Day] = [], returns: [Double] = []
        var previous: Double?
        for bar in series.bars {
            if sessions.contains(bar.day) {
                days.append(bar.day)
                returns.append(previous.map { bar.close / $0 - 1 } ?? .nan)
            }
            previous = bar.close
        }
        return ReturnSeries(days: days, returns: returns)
    }
}

import Foundation
import LanguageModel
import Market

/// A dated daily simple-return series (a return may be `.nan` for a session without a figure).
public struct ReturnSeries: Sendable, Hashable {
    public var days: [Day]
    public var returns: [Double]

    public init(days: [Day], returns: [Double]) {
        precondition(days.count == returns.count, "one return per day")
        self.days = days
        self.returns = returns
    }

    /// Returns of a value series: the first value's return is taken against `start` when given
    /// (e.g. the cash before the first session), and is a gap otherwise.
    public init(days: [Day], values: [Double], start: Double? = nil) {
        var returns: [Double] = []
        returns.reserveCapacity(values.count)
        var previous = start
        for value in values {
            returns.append(previous.map { value / $0 - 1 } ?? .nan)
            previous = value
        }
        self.init(days: days, returns: returns)
    }

    /// This series' returns on `days`, `.nan` where it has none.
    public func aligned(to days: [Day]) -> [Double] {
        var byDay: [Day: Double] = [:]
        for (day, r) in zip(self.days, returns) { byDay[day] = r }
        return days.map { byDay[$0] ?? .nan }
    }

    /// The first `count` sessions.
    public func prefix(_ count: Int) -> ReturnSeries {
        ReturnSeries(days: Array(days.prefix(count)), returns: Array(returns.prefix(count)))
    }
}

/// Figures of a return series alone: growth, risk, risk-adjusted ratios, tails and, given a
/// benchmark, beta and alpha. Conventions: 252 sessions a year, sample standard deviation (n − 1),
/// the annual risk-free rate turned into a per-session rate as (1 + R)^(1/252) − 1; see
/// ``ReturnStatistics`` for each figure's definition. Undefined figures are `.nan`.
public struct ReturnMetrics: Sendable, Hashable {
    public var sessions: Int
    public var firstDay: Day?
    public var lastDay: Day?
    /// Annual risk-free rate the ratios were computed with.
    public var riskFreeRate: Double
    public var totalReturn: Double
    public var annualReturn: Double
    public var annualVolatility: Double
    public var sharpe: Double
    public var sortino: Double
    /// Maximum drawdown (negative fraction).
    public var maxDrawdown: Double
    /// Last day at the peak before the maximum drawdown; nil when the peak was the starting value.
    public var drawdownPeak: Day?
    public var drawdownTrough: Day?
    /// First day back at the peak; nil when the series did not recover.
    public var drawdownRecovery: Day?
    /// Sessions from the peak to the recovery (or to the last session when not recovered).
    public var drawdownSessions: Int
    public var calmar: Double
    /// 5th percentile of daily returns (historical, 95 % confidence).
    public var valueAtRisk95: Double
    /// Mean of the worst 5 % of daily returns.
    public var conditionalValueAtRisk95: Double
    public var tailRatio: Double
    public var omega: Double
    /// Against the benchmark, when one was given.
    public var beta: Double
    public var alpha: Double

    /// Computes every figure of `series`; `benchmark` is aligned to it by day.
    public init(_ series: ReturnSeries, benchmark: ReturnSeries? = nil, riskFreeRate: Double = 0) {
        let r = series.returns
        let rf = ReturnStatistics.perPeriod(annual: riskFreeRate)
        sessions = r.count
        firstDay = series.days.first
        lastDay = series.days.last
        self.riskFreeRate = riskFreeRate
        totalReturn = r.isEmpty ? .nan : ReturnStatistics.cumulativeReturn(r)
        annualReturn = ReturnStatistics.annualReturn(r)
        annualVolatility = ReturnStatistics.annualVolatility(r)
        sharpe = ReturnStatistics.sharpe(r, riskFree: rf)
        sortino = ReturnStatistics.sortino(r, required: rf)
        let drawdown = ReturnStatistics.maxDrawdown(r)
        maxDrawdown = drawdown.depth
        let day = { (i: Int?) -> Day? in i.flatMap { $0 >= 0 && $0 < series.days.count ? series.days[$0] : nil } }
        drawdownPeak = drawdown.depth < 0 ? day(drawdown.peakIndex) : nil
        drawdownTrough = drawdown.depth < 0 ? day(drawdown.troughIndex) : nil
        drawdownRecovery = day(drawdown.recoveryIndex)
        drawdownSessions = drawdown.durationSessions(count: r.count)
        calmar = ReturnStatistics.calmar(r)
        valueAtRisk95 = ReturnStatistics.valueAtRisk(r)
        conditionalValueAtRisk95 = ReturnStatistics.conditionalValueAtRisk(r)
        tailRatio = ReturnStatistics.tailRatio(r)
        omega = ReturnStatistics.omega(r, riskFree: rf)
        if let benchmark {
            let ab = ReturnStatistics.alphaBeta(r, benchmark: benchmark.aligned(to: series.days), riskFree: rf)
            alpha = ab.alpha
            beta = ab.beta
        } else {
            alpha = .nan
            beta = .nan
        }
    }

    /// The figures as rows, in display order.
    public var rows: [MetricRow] {
        [
            MetricRow("total_return", "Total return", totalReturn, .fraction, .higher),
            MetricRow("annual_return", "Annual return", annualReturn, .fraction, .higher),
            MetricRow("annual_volatility", "Annual volatility", annualVolatility, .fraction, .lower),
            MetricRow("sharpe", "Sharpe ratio", sharpe, .ratio, .higher),
            MetricRow("sortino", "Sortino ratio", sortino, .ratio, .higher),
            MetricRow("max_drawdown", "Max drawdown", maxDrawdown, .fraction, .higher),
            MetricRow("max_drawdown_peak", "Drawdown peak", day: drawdownPeak, fallback: maxDrawdown < 0 ? "start" : "–"),
            MetricRow("max_drawdown_trough", "Drawdown trough", day: drawdownTrough, fallback: "–"),
            MetricRow("max_drawdown_recovery", "Drawdown recovery", day: drawdownRecovery, fallback: maxDrawdown < 0 ? "not recovered" : "–"),
            MetricRow("max_drawdown_sessions", "Drawdown length (sessions)", Double(drawdownSessions), .count, .lower),
            MetricRow("calmar", "Calmar ratio", calmar, .ratio, .higher),
            MetricRow("var_95", "Daily VaR 95% (historical)", valueAtRisk95, .fraction, .higher),
            MetricRow("cvar_95", "Daily CVaR 95% (historical)", conditionalValueAtRisk95, .fraction, .higher),
            MetricRow("tail_ratio", "Tail ratio", tailRatio, .ratio, .higher),
            MetricRow("omega", "Omega ratio", omega, .ratio, .higher),
            MetricRow("beta", "Beta to benchmark", beta, .ratio, .none),
            MetricRow("alpha", "Alpha (annual)", alpha, .fraction, .higher),
        ]
    }
}

/// One figure as tables, JSON and reports show it.
public struct MetricRow: Sendable, Hashable {
    public enum Unit: String, Sendable, Hashable { case fraction, ratio, money, count, number, seconds, text }
    /// Which value is best when runs are compared.
    public enum Preference: Sendable, Hashable { case higher, lower, none }

    /// Stable key for JSON (snake case).
    public var key: String
    public var label: String
    public var value: Double
    public var unit: Unit
    public var better: Preference
    /// For `.text` rows (dates): the text shown.
    public var text: String?

    public init(_ key: String, _ label: String, _ value: Double, _ unit: Unit, _ better: Preference) {
        self.key = key
        self.label = label
        self.value = value
        self.unit = unit
        self.better = better
    }

    /// A date row: the day's ISO text, or `fallback` when there is none.
    public init(_ key: String, _ label: String, day: Day?, fallback: String) {
        self.init(key, label, .nan, .text, .none)
        text = day?.iso ?? fallback
        isDate = day != nil
    }

    /// Whether a `.text` row holds a date (JSON prints other text rows as null).
    public var isDate = false

    /// The value as people read it: percentages, ratios with 2–3 decimals, money with separators.
    public var formatted: String {
        if unit == .text { return text ?? "–" }
        guard value.isFinite else { return "–" }
        switch unit {
        case .fraction: return String(format: "%.2f%%", value * 100)
        case .ratio: return String(format: "%.3f", value)
        case .money: return MetricRow.money(value)
        case .count: return value == value.rounded() ? String(Int64(value)) : String(format: "%.2f", value)
        case .number: return abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
        case .seconds: return String(format: "%.2f s", value)
        case .text: return text ?? "–"
        }
    }

    static func money(_ x: Double) -> String {
        let cents = Int64((abs(x) * 100).rounded())
        var whole = String(cents / 100)
        var groups: [String] = []
        while whole.count > 3 {
            groups.insert(String(whole.suffix(3)), at: 0)
            whole.removeLast(3)
        }
        groups.insert(whole, at: 0)
        let fraction = cents % 100
        return (x < 0 ? "-" : "") + groups.joined(separator: ",") + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}

extension MetricRow {
    /// The value as JSON: a number (null when undefined), or a date's text.
    public var json: JSONValue {
        if unit == .text { return isDate ? .string(text ?? "") : .null }
        return value.isFinite ? .number(value) : .null
    }
}

extension Array where Element == MetricRow {
    /// The rows as one JSON object keyed by each row's key.
    public var json: JSONValue { .object(map { JSONValue.Member($0.key, $0.json) }) }
}

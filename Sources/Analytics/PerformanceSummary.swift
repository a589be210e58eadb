import Foundation
import JournalRecords
import Market

/// Headline performance of a daily equity curve. Conventions: simple daily returns, 252 sessions a
/// year, sample standard deviation (n − 1).
public struct PerformanceSummary: Sendable, Hashable {
    public var initialEquity: Double
    public var finalEquity: Double
    public var totalReturn: Double
    public var annualizedReturn: Double
    public var annualVolatility: Double
    /// Mean over sample standard deviation of daily returns, times √252 (risk-free rate 0).
    public var sharpe: Double
    public var maxDrawdown: Drawdown
    public var sessions: Int

    public static let sessionsPerYear = 252.0

    /// Computes the summary from a run's equity, starting from `initialEquity` (the cash before the first session).
    public init(equity: [EquityRecord], initialEquity: Double) {
        let values = equity.map(\.equity)
        self.initialEquity = initialEquity
        finalEquity = values.last ?? initialEquity
        sessions = values.count
        totalReturn = finalEquity / initialEquity - 1
        var returns: [Double] = []
        var previous = initialEquity
        for value in values {
            returns.append(value / previous - 1)
            previous = value
        }
        annualizedReturn = returns.isEmpty ? 0 : pow(1 + totalReturn, PerformanceSummary.sessionsPerYear / Double(returns.count)) - 1
        let mean = returns.isEmpty ? 0 : returns.reduce(0, +) / Double(returns.count)
        let variance = returns.count < 2 ? 0 : returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count - 1)
        let sd = variance.squareRoot()
        annualVolatility = sd * PerformanceSummary.sessionsPerYear.squareRoot()
        sharpe = sd > 0 ? mean / sd * PerformanceSummary.sessionsPerYear.squareRoot() : 0
        maxDrawdown = Drawdown.maximum(values: values, days: equity.map(\.day), start: initialEquity)
    }
}


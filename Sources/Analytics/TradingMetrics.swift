import Exchange
import Foundation
import JournalRecords

/// What trading cost and how the trades fared, from a run's fills and daily book.
///
/// - Turnover: traded value (buys and sells, at fill prices) over the average equity, scaled to a
///   year of 252 sessions. Buying a whole book once over a year is 1.0.
/// - Closed trades: every fill that reduces a position (a sale of a long, a cover of a short). Its
///   profit is realised against the position's average cost, net of the fill's commission; the hit
///   rate is the fraction of closed trades with a profit.
/// - Exposure: the average of gross exposure over equity at each close, and the fraction of sessions
///   with any position open.
/// - Costs: commissions and slippage from the fills (slippage is the cost against the reference
///   price), borrow fees from the cash movements.
public struct TradingMetrics: Sendable, Hashable {
    public var tradedValue: Double
    public var annualTurnover: Double
    public var fills: Int
    public var closedTrades: Int
    public var winningTrades: Int
    /// `.nan` without closed trades.
    public var hitRate: Double
    public var averageExposure: Double
    public var timeInMarket: Double
    public var commission: Double
    public var slippage: Double
    public var borrowFees: Double
    public var totalCosts: Double { commission + slippage + borrowFees }
    public var initialCash: Double

    public init(fills: [Fill], equity: [EquityRecord], initialCash: Double, borrowFees: Double) {
        self.initialCash = initialCash
        self.fills = fills.count
        self.borrowFees = borrowFees
        tradedValue = fills.reduce(0) { $0 + $1.quantity * $1.price }
        commission = fills.reduce(0) { $0 + $1.commission }
        slippage = fills.reduce(0) { $0 + $1.slippageCost }
        let averageEquity = equity.isEmpty ? initialCash : equity.reduce(0) { $0 + $1.equity } / Double(equity.count)
        annualTurnover = equity.isEmpty || averageEquity <= 0 ? .nan
            : tradedValue / averageEquity * ReturnStatistics.periodsPerYear / Double(equity.count)
        var ledger = Ledger(initialCash: initialCash)
        var closed = 0, won = 0
        for fill in fills {
            let held = ledger.quantity(of: fill.symbol)
            let before = ledger.realizedPnL(of: fill.symbol)
            ledger.apply(fill)
            let reduces = held != 0 && (held > 0) != (fill.side.sign > 0)
            guard reduces else { continue }
            closed += 1
            if ledger.realizedPnL(of: fill.symbol) - before - fill.commission > 0 { won += 1 }
        }
        closedTrades = closed
        winningTrades = won
        hitRate = closed > 0 ? Double(won) / Double(closed) : .nan
        let exposures = equity.map { $0.equity > 0 ? $0.grossExposure / $0.equity : .nan }.filter { !$0.isNaN }
        averageExposure = exposures.isEmpty ? .nan : exposures.reduce(0, +) / Double(exposures.count)
        timeInMarket = equity.isEmpty ? .nan : Double(equity.filter { $0.grossExposure > 0 }.count) / Double(equity.count)
    }

    public var rows: [MetricRow] {
        [
            MetricRow("annual_turnover", "Turnover (annualised)", annualTurnover, .ratio, .none),
            MetricRow("traded_value", "Traded value", tradedValue, .money, .none),
            MetricRow("fills", "Fills", Double(fills), .count, .none),
            MetricRow("closed_trades", "Closed trades", Double(closedTrades), .count, .none),
            MetricRow("hit_rate", "Hit rate of closed trades", hitRate, .fraction, .higher),
            MetricRow("average_exposure", "Average gross exposure", averageExposure, .fraction, .none),
            MetricRow("time_in_market", "Time in market", timeInMarket, .fraction, .none),
            MetricRow("commission", "Commission paid", commission, .money, .lower),
            MetricRow("slippage", "Slippage paid", slippage, .money, .lower),
            MetricRow("borrow_fees", "Borrow fees paid", borrowFees, .money, .lower),
            MetricRow("total_costs", "Total costs", totalCosts, .money, .lower),
            MetricRow("costs_of_capital", "Costs / initial capital", initialCash > 0 ? totalCosts / initialCash : .nan, .fraction, .lower),
        ]
    }
}

/// What the run's models cost per simulated session: calls, tokens (prompt and completion of
/// calls the model served; cache hits cost none) and model seconds.
public struct ModelUsageMetrics: Sendable, Hashable {
    public var sessions: Int
    public var calls: Int
    public var cacheHits: Int
    public var tokens: Int
    public var seconds: Double

    public init(sessions: Int, calls: Int, cacheHits: Int, tokens: Int, seconds: Double) {
        self.sessions = sessions
        self.calls = calls
        self.cacheHits = cacheHits
        self.tokens = tokens
        self.seconds = seconds
    }

    private func perDay(_ x: Double) -> Double { sessions > 0 ? x / Double(sessions) : .nan }

    public var rows: [MetricRow] {
        [
            MetricRow("model_calls", "Model calls", Double(calls), .count, .none),
            MetricRow("model_calls_per_day", "Model calls per day", perDay(Double(calls)), .number, .lower),
            MetricRow("tokens_per_day", "Tokens per day", perDay(Double(tokens)), .number, .lower),
            MetricRow("model_seconds_per_day", "Model seconds per day", perDay(seconds), .seconds, .lower),
            MetricRow("cache_hits", "Cache hits", Double(cacheHits), .count, .none),
        ]
    }
}

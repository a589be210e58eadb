import Foundation

/// Annualised expected returns from history.
public enum ExpectedReturns {
    /// Mean historical return per symbol, over each symbol's own non-missing periods.
    ///
    /// Compounded (the default): (∏(1 + rₜ))^(periodsPerYear / count) − 1, which for an unbroken
    /// price series is (last/first)^(periodsPerYear / count) − 1. Otherwise the arithmetic mean × periodsPerYear.
    /// Matches PyPortfolioOpt's `mean_historical_return`.
    public static func meanHistorical(_ history: ReturnHistory, periodsPerYear: Double = 252,
                                      compounded: Bool = true) throws(OptimizerError) -> [Double] {
        try history.validate(minimumObservations: 1)
        return history.symbols.indices.map { i in
            var growth = 1.0
            var sum = 0.0
            var count = 0
            for row in history.rows {
                guard let value = row[i] else { continue }
                growth *= 1 + value
                sum += value
                count += 1
            }
            return compounded ? pow(growth, periodsPerYear / Double(count)) - 1 : sum / Double(count) * periodsPerYear
        }
    }
}

import Analytics
import DeskTesting
import JournalRecords
import Market
import Testing

@Suite struct PerformanceSummaryTests {
    @Test func headlineFiguresFollowTheStatedConventions() throws {
        let days = Fixtures.weekdays(from: Day("2020-01-06")!, count: 4)
        let values = [101.0, 99.0, 102.0, 100.0]
        let equity = zip(days, values).map { EquityRecord(day: $0, cash: $1, positionsValue: 0, equity: $1, grossExposure: 0) }
        let p = PerformanceSummary(equity: equity, initialEquity: 100)
        #expect(abs(p.totalReturn - 0.0) < 1e-15)
        #expect(abs(p.maxDrawdown.depth - (99.0 / 101.0 - 1)) < 1e-15)
        let returns = [0.01, 99.0 / 101 - 1, 102.0 / 99 - 1, 100.0 / 102 - 1]
        let mean = returns.reduce(0, +) / 4
        let sd = (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3).squareRoot()   // sample standard deviation
        #expect(abs(p.annualVolatility - sd * 252.0.squareRoot()) < 1e-12)
        #expect(abs(p.sharpe - mean / sd * 252.0.squareRoot()) < 1e-12)
    }
}

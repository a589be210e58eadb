import Analytics
import DeskTesting
import Foundation
import InputFiles
import LanguageModel
import Market
import Testing

/// Figures of empyrical-reloaded 0.7.1 (`Tests/Reference/analytics/empyrical_cases.json`) reproduced to 1e-9 relative.
@Suite struct EmpyricalReferenceTests {
    static let cases: JSONValue = {
        let url = Fixtures.reference.appendingPathComponent("analytics/empyrical_cases.json")
        return try! JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
    }()

    /// Each reference metric beside ours; `nil` reference means empyrical's NaN.
    static func compare(_ metrics: ReturnMetrics, with expected: JSONValue) {
        let ours: [(String, Double)] = [
            ("cum_return", metrics.totalReturn), ("annual_return", metrics.annualReturn), ("annual_volatility", metrics.annualVolatility),
            ("sharpe_rf0", metrics.sharpe), ("sortino_rf0", metrics.sortino), ("max_drawdown", metrics.maxDrawdown), ("calmar", metrics.calmar),
            ("value_at_risk_5pct_historical", metrics.valueAtRisk95), ("conditional_value_at_risk_5pct", metrics.conditionalValueAtRisk95),
            ("tail_ratio", metrics.tailRatio), ("omega_ratio", metrics.omega),
        ]
        for (key, value) in ours {
            guard let reference = expected[key] else {
                Issue.record("the reference has no \(key)")
                continue
            }
            if let number = reference.numberValue {
                #expect(abs(value - number) <= 1e-9 * abs(number), "\(key): \(value) vs empyrical \(number)")
            } else {
                #expect(value.isNaN, "\(key): \(value), empyrical gives NaN")
            }
        }
    }

    @Test func mixedReturnsWithAGapMatchEmpyrical() throws {
        let entry = try #require(Self.cases["empyrical_mixed_returns"])
        let returns = try #require(entry["returns"]?.arrayValue).map { $0.numberValue ?? .nan }
        let days = Fixtures.weekdays(from: Day("2000-01-03")!, count: returns.count)
        Self.compare(ReturnMetrics(ReturnSeries(days: days, returns: returns)), with: try #require(entry["metrics"]))
    }

    @Test func spy2020CloseToCloseMatchesEmpyrical() throws {
        let entry = try #require(Self.cases["spy_2020_close_to_close"])
        let series = try ReturnSeriesFile.load(path: Fixtures.reference.appendingPathComponent("analytics/spy-2020-close.csv").path)
        #expect(series.returns.count == 253)
        let metrics = ReturnMetrics(series)
        Self.compare(metrics, with: try #require(entry["metrics"]))
        // The crash: peak on 2020-02-19, trough on 2020-03-23, back at the peak in August.
        #expect(metrics.drawdownPeak == Day("2020-02-19"))
        #expect(metrics.drawdownTrough == Day("2020-03-23"))
        #expect(metrics.drawdownRecovery.map { $0 > Day("2020-08-01")! && $0 < Day("2020-09-01")! } == true)
    }

    @Test func betaAlphaAndRiskFreeRatiosAgainstSPYMatchEmpyrical() throws {
        let url = Fixtures.reference.appendingPathComponent("analytics/empyrical_alpha_beta.json")
        let reference = try JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
        let benchmarkReturns = try #require(reference["benchmark_returns"]?.arrayValue).compactMap(\.numberValue)
        let days = Fixtures.weekdays(from: Day("2020-02-03")!, count: benchmarkReturns.count)
        let benchmark = ReturnSeries(days: days, returns: benchmarkReturns)
        let rf = try #require(reference["meta"]?["risk_free_annual"]?.numberValue)
        // The benchmark returns compare and report use for a covid-crash-2020 run are these.
        let scenario = try ScenarioFile.load(path: Fixtures.packageRoot.appendingPathComponent("scenarios/covid-crash-2020.yaml").path)
        let fromScenario = try #require(BenchmarkReturns.of(scenario, data: try MarketData.load(scenario)))
        #expect(fromScenario.days.first == Day("2020-02-03") && fromScenario.returns == benchmarkReturns)
        let members = try #require(reference["cases"]?.objectValue)
        #expect(members.count == 2)
        for member in members {
            let returns = try #require(member.value["returns"]?.arrayValue).compactMap(\.numberValue)
            let expected = try #require(member.value["metrics"])
            let series = ReturnSeries(days: days, returns: returns)
            let plain = ReturnMetrics(series, benchmark: benchmark)
            let withRate = ReturnMetrics(series, benchmark: benchmark, riskFreeRate: rf)
            let pairs: [(String, Double)] = [
                ("beta_rf0", plain.beta), ("alpha_rf0", plain.alpha), ("beta_rf", withRate.beta), ("alpha_rf", withRate.alpha),
                ("sharpe_rf", withRate.sharpe), ("sortino_rf", withRate.sortino), ("omega_rf", withRate.omega),
            ]
            for (key, value) in pairs {
                let number = try #require(expected[key]?.numberValue, "\(member.key) \(key)")
                #expect(abs(value - number) <= 1e-9 * abs(number), "\(member.key) \(key): \(value) vs empyrical \(number)")
            }
        }
    }

    @Test func seriesAgainstItselfHasBetaOneAndNoAlpha() throws {
        let series = try ReturnSeriesFile.load(path: Fixtures.reference.appendingPathComponent("analytics/spy-2020-close.csv").path)
        let metrics = ReturnMetrics(series, benchmark: series)
        #expect(abs(metrics.beta - 1) < 1e-12)
        #expect(abs(metrics.alpha) < 1e-12)
    }

    @Test func leveredSeriesHasTwiceTheBetaAndTheAlphaOfItsIntercept() throws {
        let spy = try ReturnSeriesFile.load(path: Fixtures.reference.appendingPathComponent("analytics/spy-2020-close.csv").path)
        let levered = ReturnSeries(days: spy.days, returns: spy.returns.map { 2 * $0 + 0.0001 })
        let metrics = ReturnMetrics(levered, benchmark: spy)
        #expect(abs(metrics.beta - 2) < 1e-9)
        #expect(abs(metrics.alpha - (pow(1.0001, 252) - 1)) < 1e-9)
    }

    @Test func riskFreeRateIsTakenPerSessionFromTheAnnualRate() throws {
        let spy = try ReturnSeriesFile.load(path: Fixtures.reference.appendingPathComponent("analytics/spy-2020-close.csv").path)
        let daily = pow(1.02, 1.0 / 252) - 1
        let excess = spy.returns.map { $0 - daily }
        let mean = excess.reduce(0, +) / Double(excess.count)
        let sd = (excess.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(excess.count - 1)).squareRoot()
        let metrics = ReturnMetrics(spy, riskFreeRate: 0.02)
        #expect(abs(metrics.sharpe - mean / sd * 252.0.squareRoot()) < 1e-12)
        #expect(metrics.sharpe < ReturnMetrics(spy).sharpe)
    }

    @Test func badSeriesFilesNameTheLineAndField() throws {
        func error(_ text: String) -> InputError? {
            do { _ = try ReturnSeriesFile.parse(Data(text.utf8), file: "eq.csv"); return nil } catch let e as InputError { return e } catch { return nil }
        }
        let notANumber = try #require(error("date,value\n2020-01-02,100\n2020-01-03,abc\n"))
        #expect(notANumber.line == 3 && notANumber.field == "value")
        let badDate = try #require(error("date,value\n2020-01-02,100\n2020-13-03,101\n"))
        #expect(badDate.line == 3 && badDate.field == "date")
        let unsorted = try #require(error("date,return\n2020-01-03,0.01\n2020-01-02,0.02\n"))
        #expect(unsorted.line == 3 && unsorted.field == "date")
        let negative = try #require(error("date,value\n2020-01-02,100\n2020-01-03,-5\n"))
        #expect(negative.line == 3 && negative.field == "value")
        let noColumn = try #require(error("date,price\n2020-01-02,100\n"))
        #expect(noColumn.line == 1 && noColumn.field == "value")
        #expect(error("date,return\n2020-01-02,0.01\n2020-01-03,-0.02\n") == nil)
    }
}

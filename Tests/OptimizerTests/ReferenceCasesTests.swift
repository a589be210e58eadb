import Foundation
import Optimizer
import Testing

/// PyPortfolioOpt 1.6.0's results on its own test prices (Tests/Reference/optimizer/pypfopt_cases.json).
@Suite struct ReferenceCasesTests {
    let cases: [String: Any]
    let symbols: [String]
    let mu: [Double]
    let sigma: SymmetricMatrix

    init() throws {
        cases = try TestFiles.json(TestFiles.reference.appendingPathComponent("pypfopt_cases.json"))
        let returns = try TestFiles.prices.returns()
        symbols = returns.symbols
        mu = try ExpectedReturns.meanHistorical(returns)
        sigma = try CovarianceEstimator.sample.estimate(returns).matrix
    }

    @Test func meanHistoricalReturnsMatchPyPortfolioOpt() throws {
        let expected = try #require(cases["mu"] as? [String: Double])
        for (i, symbol) in symbols.enumerated() {
            let reference = try #require(expected[symbol])
            #expect(abs(mu[i] - reference) < 1e-10, "\(symbol): \(mu[i]) vs \(reference)")
        }
    }

    func check(_ name: String, _ objective: PortfolioObjective) throws {
        let all = try #require(cases["cases"] as? [String: Any])
        let reference = try #require(all[name] as? [String: Any])
        let weights = try #require(reference["weights"] as? [String: Double])
        let performance = try #require(reference["performance_rf_0.02"] as? [Double])
        let problem = PortfolioProblem(names: symbols, expectedReturns: mu, covariance: sigma, riskFreeRate: 0.02,
                                       objective: objective, constraints: .longOnly(assets: symbols.count))
        let solution = try PortfolioOptimizer().solve(problem)
        for (i, symbol) in symbols.enumerated() {
            let expected = try #require(weights[symbol])
            #expect(abs(solution.weights[i] - expected) <= 1e-4, "\(name) \(symbol): \(solution.weights[i]) vs \(expected)")
        }
        #expect(abs(solution.expectedReturn - performance[0]) <= 1e-5, "\(name) return \(solution.expectedReturn) vs \(performance[0])")
        #expect(abs(solution.volatility - performance[1]) <= 1e-5, "\(name) volatility \(solution.volatility) vs \(performance[1])")
        #expect(abs((solution.sharpeRatio ?? .nan) - performance[2]) <= 1e-5, "\(name) Sharpe \(solution.sharpeRatio ?? .nan) vs \(performance[2])")
    }

    @Test func minimumVolatilityLongOnly() throws { try check("min_volatility_long_only", .minimumVariance) }
    @Test func maximumSharpeLongOnly() throws { try check("max_sharpe_rf_0.02_long_only", .maximumSharpe) }
    @Test func maximumQuadraticUtility() throws { try check("max_quadratic_utility_risk_aversion_1", .utility(riskAversion: 1)) }
    @Test func efficientReturnTarget20Percent() throws { try check("efficient_return_target_0.20", .efficientReturn(targetReturn: 0.20)) }
}

/// PyPortfolioOpt's risk models and two further objectives (Fixtures/pypfopt_estimators.json, made by the script beside it).
@Suite struct EstimatorReferenceTests {
    let fixture: [String: Any]

    init() throws {
        fixture = try TestFiles.json(TestFiles.fixtures.appendingPathComponent("pypfopt_estimators.json"))
    }

    func matrix(_ key: String) throws -> [[Double]] {
        try #require(fixture[key] as? [[Double]], "fixture \(key)")
    }

    func expectClose(_ estimate: SymmetricMatrix, _ key: String, tolerance: Double = 1e-12) throws {
        let reference = try matrix(key)
        var worst = 0.0
        for i in 0..<estimate.size { for j in 0..<estimate.size { worst = max(worst, abs(estimate[i, j] - reference[i][j])) } }
        #expect(worst <= tolerance, "\(key): largest difference \(worst)")
    }

    @Test func sampleCovarianceIsPairwiseOverMissingData() throws {
        try expectClose(try CovarianceEstimator.sample.estimate(TestFiles.prices.returns()).matrix, "sample_cov_full")
        try expectClose(try CovarianceEstimator.sample.estimate(TestFiles.window(from: "2015-01-01").returns()).matrix, "sample_cov_recent")
    }

    @Test func ledoitWolfShrinksTowardsScaledIdentityByDefault() throws {
        let full = try CovarianceEstimator.ledoitWolf.estimate(TestFiles.prices.returns())
        try expectClose(full.matrix, "ledoit_wolf_constant_variance_full")
        #expect((full.shrinkage ?? 0) > 0)
        try expectClose(try CovarianceEstimator.ledoitWolf.estimate(TestFiles.window(from: "2015-01-01").returns()).matrix,
                        "ledoit_wolf_constant_variance_recent")
    }

    @Test func ledoitWolfConstantCorrelationTarget() throws {
        try expectClose(try CovarianceEstimator.ledoitWolf(target: .constantCorrelation).estimate(TestFiles.prices.returns()).matrix,
                        "ledoit_wolf_constant_correlation_full")
    }

    @Test func exponentiallyWeightedCovariance() throws {
        try expectClose(try CovarianceEstimator.exponentiallyWeighted.estimate(TestFiles.prices.returns()).matrix, "exp_cov_span_180_full")
        try expectClose(try CovarianceEstimator.exponentiallyWeighted(span: 60).estimate(TestFiles.window(from: "2015-01-01").returns()).matrix,
                        "exp_cov_span_60_recent")
    }

    @Test func meanHistoricalReturnOverAWindow() throws {
        let expected = try #require(fixture["mu_recent"] as? [Double])
        let mu = try ExpectedReturns.meanHistorical(TestFiles.window(from: "2015-01-01").returns())
        #expect(maxDifference(mu, expected) < 1e-10)
    }

    func checkCase(_ key: String, objective: PortfolioObjective, estimator: CovarianceEstimator, maxWeight: Double) throws {
        let reference = try #require(fixture[key] as? [String: Any])
        let weights = try #require(reference["weights"] as? [Double])
        let performance = try #require(reference["performance_rf_0.02"] as? [Double])
        let returns = try TestFiles.prices.returns()
        let problem = PortfolioProblem(names: returns.symbols, expectedReturns: try ExpectedReturns.meanHistorical(returns),
                                       covariance: try estimator.estimate(returns).matrix, riskFreeRate: 0.02, objective: objective,
                                       constraints: .longOnly(assets: returns.symbols.count, maximum: maxWeight))
        let solution = try PortfolioOptimizer().solve(problem)
        #expect(maxDifference(solution.weights, weights) <= 1e-4, "\(key): \(solution.weights) vs \(weights)")
        #expect(abs(solution.expectedReturn - performance[0]) <= 1e-5)
        #expect(abs(solution.volatility - performance[1]) <= 1e-5)
        #expect(abs((solution.sharpeRatio ?? .nan) - performance[2]) <= 1e-5)
    }

    @Test func efficientRiskTargetVolatility18Percent() throws {
        try checkCase("efficient_risk_0.18_full", objective: .efficientRisk(targetVolatility: 0.18), estimator: .sample, maxWeight: 1)
    }

    @Test func minimumVolatilityOnLedoitWolfWithAWeightCap() throws {
        try checkCase("min_volatility_ledoit_wolf_cap_0.1_full", objective: .minimumVariance, estimator: .ledoitWolf, maxWeight: 0.1)
    }
}

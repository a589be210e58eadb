import Foundation
import Optimizer
import Testing

@Suite struct OptimizerToolTests {
    static let symbols = ["GOOG", "AAPL", "FB", "BABA", "AMZN", "GE", "AMD", "WMT", "BAC", "GM"]

    static func window() -> PriceHistory {
        let recent = TestFiles.window(from: "2016-01-01")
        let columns = symbols.map { recent.symbols.firstIndex(of: $0)! }
        return PriceHistory(symbols: symbols, dates: recent.dates, rows: recent.rows.map { row in columns.map { row[$0] } })
    }

    static func request(_ objective: PortfolioObjective) -> OptimizerRequest {
        let window = window()
        return OptimizerRequest(symbols: window.symbols, prices: window.rows, dates: window.dates, objective: objective, riskFreeRate: 0.02)
    }

    @Test func aMinimalJSONRequestTakesTheDocumentedDefaults() throws {
        let window = Self.window()
        let prices = try JSONEncoder().encode(window.rows)
        let json = #"{"symbols": \#(String(decoding: try JSONEncoder().encode(window.symbols), as: UTF8.self)), "prices": \#(String(decoding: prices, as: UTF8.self)), "objective": {"kind": "min-variance"}}"#
        let request = try OptimizerTool.decodeRequest(Data(json.utf8))
        #expect(request.estimator == .sample)
        #expect(request.riskFreeRate == 0)
        #expect(request.constraints == ConstraintSpec())
        #expect(request.viewBlend == .blackLitterman(tau: 0.05))
        let output = OptimizerTool().respond(toJSON: Data(json.utf8))
        let decoded = try JSONDecoder().decode(OptimizerToolOutput.self, from: output)
        guard case .success(let result) = decoded else { Issue.record("expected a result, got \(String(decoding: output, as: UTF8.self))"); return }
        #expect(abs(result.allocations.reduce(0) { $0 + $1.weight } - 1) < 1e-9)
        #expect(result.allocations.map(\.symbol) == Self.symbols)
        #expect(abs(result.allocations.reduce(0) { $0 + $1.riskContribution } - 1) < 1e-9)
        #expect(result.status == .optimal)
        #expect(result.iterations > 0)
    }

    @Test func theDocumentedExampleRequestDecodes() throws {
        let json = """
            {"symbols": ["AAPL", "MSFT", "XOM"],
             "prices": [[150.1, 250.3, null], [151.0, 249.8, 60.2], [152.2, 251.0, 61.0]],
             "objective": {"kind": "max-sharpe"},
             "riskFreeRate": 0.02,
             "estimator": {"method": "ledoit-wolf"},
             "views": [{"weights": {"AAPL": 1, "MSFT": -1}, "expectedReturn": 0.03, "confidence": 0.6,
                        "rationale": "services growth"}],
             "constraints": {"maxWeight": 0.4, "maxCash": 0.1,
                             "groups": [{"name": "tech", "symbols": ["AAPL", "MSFT"], "max": 0.6}],
                             "currentWeights": {"AAPL": 0.5, "XOM": 0.5}, "maxTurnover": 0.5}}
            """
        let request = try OptimizerTool.decodeRequest(Data(json.utf8))
        #expect(request.objective == .maximumSharpe)
        #expect(request.estimator == .ledoitWolf(target: .constantVariance))
        #expect(request.prices?[0][2] == nil)
        #expect(request.views == [.relative("AAPL", over: "MSFT", by: 0.03, confidence: 0.6, rationale: "services growth")])
        #expect(request.constraints.groups == [GroupLimit(name: "tech", symbols: ["AAPL", "MSFT"], max: 0.6)])
        #expect(request.constraints.maxTurnover == 0.5 && request.constraints.minWeight == 0 && request.constraints.maxCash == 0.1)
    }

    @Test func theToolMatchesTheOptimiserOnTheSameEstimates() throws {
        let request = Self.request(.maximumSharpe)
        let result = try OptimizerTool().run(request)
        let returns = try Self.window().returns()
        let problem = PortfolioProblem(names: Self.symbols, expectedReturns: try ExpectedReturns.meanHistorical(returns),
                                       covariance: try CovarianceEstimator.sample.estimate(returns).matrix, riskFreeRate: 0.02,
                                       objective: .maximumSharpe, constraints: .longOnly(assets: Self.symbols.count))
        let direct = try PortfolioOptimizer().solve(problem)
        #expect(result.allocations.map(\.weight) == direct.weights)
        #expect(result.sharpeRatio == direct.sharpeRatio)
    }

    @Test func aReturnWindowGivesTheSameAnswerAsItsPrices() throws {
        let fromPrices = try OptimizerTool().run(Self.request(.utility(riskAversion: 3)))
        var request = Self.request(.utility(riskAversion: 3))
        request.returns = try Self.window().returns().rows
        request.prices = nil
        let fromReturns = try OptimizerTool().run(request)
        #expect(fromReturns.allocations == fromPrices.allocations)
    }

    @Test func aMarketImpliedPriorReproducesTheMarketWithoutViews() throws {
        var request = Self.request(.utility(riskAversion: 2.5))
        let market = [0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.05, 0.05, 0.05, 0.05]
        request.prior = .marketImplied(marketWeights: Dictionary(uniqueKeysWithValues: zip(Self.symbols, market)), riskAversion: 2.5)
        request.constraints.minWeight = -1
        let result = try OptimizerTool().run(request)
        #expect(maxDifference(result.allocations.map(\.weight), market) < 1e-6, "\(result.allocations.map(\.weight))")
    }

    @Test func resultsRoundTripThroughJSON() throws {
        let output = OptimizerTool().respond(to: Self.request(.riskParity(budgets: nil)))
        let data = OptimizerTool.encode(output)
        #expect(try JSONDecoder().decode(OptimizerToolOutput.self, from: data) == output)
        #expect(OptimizerTool.encode(output) == data)
    }

    @Test func anInfeasibleRequestAnswersWithItsStatusAndTheConstraints() throws {
        var request = Self.request(.minimumVariance)
        request.constraints.groups = [GroupLimit(name: "tech", symbols: ["GOOG", "AAPL", "FB", "BABA", "AMZN"], max: 0.3),
                                      GroupLimit(name: "rest", symbols: ["GE", "AMD", "WMT", "BAC", "GM"], max: 0.3)]
        guard case .failure(let failure) = OptimizerTool().respond(to: request) else { Issue.record("expected a failure"); return }
        #expect(failure.status == "infeasible")
        #expect(!failure.involved.isEmpty)
        let json = String(decoding: OptimizerTool.encode(OptimizerToolOutput.failure(failure)), as: UTF8.self)
        #expect(json.contains(#""status":"infeasible""#))
    }

    @Test func badJSONNamesTheKey() {
        let output = OptimizerTool().respond(toJSON: Data(#"{"symbols": ["A"], "prices": [[1],[2],[3]], "objective": {"kind": "max-return"}}"#.utf8))
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.contains(#""status":"invalid-input""#))
        #expect(text.contains("max-return"))
        #expect(text.contains("objective"))
    }

    @Test func aViewOnAnUnknownSymbolIsRejected() {
        var request = Self.request(.maximumSharpe)
        request.views = [.absolute("TSLA", returns: 0.3, confidence: 0.5)]
        #expect { try OptimizerTool().run(request) } throws: { ($0 as? OptimizerError)?.kind == .invalidInput }
    }

    @Test func viewsTiltTheWeightsTheirWay() throws {
        let plain = try OptimizerTool().run(Self.request(.maximumSharpe))
        var bullish = Self.request(.maximumSharpe)
        bullish.views = [.absolute("GE", returns: 1.0, confidence: 0.9, rationale: "turnaround")]
        let tilted = try OptimizerTool().run(bullish)
        #expect(tilted.weights["GE"]! > plain.weights["GE"]! + 0.01)
        #expect(tilted.allocations.first { $0.symbol == "GE" }!.expectedReturn > plain.allocations.first { $0.symbol == "GE" }!.expectedReturn)
    }

    @Test func cashEarnsTheRiskFreeRateAndCountsInTheReturn() throws {
        var request = Self.request(.minimumVariance)
        request.constraints.maxCash = 0.4
        let result = try OptimizerTool().run(request)
        #expect(abs(result.cash - 0.4) < 1e-8)
        let risky = result.allocations.reduce(0) { $0 + $1.weight * $1.expectedReturn }
        #expect(abs(result.expectedReturn - (risky + result.cash * 0.02)) < 1e-12)
        #expect(result.bindingConstraints.contains { $0.kind == "budget-min" })
    }

    @Test func perSymbolBoundsAndTurnoverAreHonoured() throws {
        var request = Self.request(.maximumSharpe)
        request.constraints.bounds = ["AMZN": WeightRange(max: 0.05), "GE": WeightRange(min: 0.05)]
        request.constraints.currentWeights = Dictionary(uniqueKeysWithValues: Self.symbols.map { ($0, 0.1) })
        request.constraints.maxTurnover = 0.3
        let result = try OptimizerTool().run(request)
        let w = result.weights
        #expect(w["AMZN"]! <= 0.05 + 1e-9)
        #expect(w["GE"]! >= 0.05 - 1e-9)
        #expect(Self.symbols.reduce(0) { $0 + abs(w[$1]! - 0.1) } <= 0.3 + 1e-8)
    }
}

@Suite struct BlackLittermanTests {
    let market = randomMarket(assets: 6, seed: 11)

    @Test func aFullyConfidentViewHoldsExactly() throws {
        let mu = try ViewBlend.blackLitterman.apply([.absolute("A2", returns: 0.3, confidence: 1)], symbols: market.names,
                                                    prior: market.mu, covariance: market.sigma)
        #expect(abs(mu[2] - 0.3) < 1e-12)
    }

    @Test func confidenceMovesAnAbsoluteViewThatFractionOfTheWay() throws {
        for confidence in [0.1, 0.25, 0.5, 0.9] {
            let mu = try ViewBlend.blackLitterman.apply([.absolute("A4", returns: 0.5, confidence: confidence)], symbols: market.names,
                                                        prior: market.mu, covariance: market.sigma)
            #expect(abs((mu[4] - market.mu[4]) / (0.5 - market.mu[4]) - confidence) < 1e-12)
        }
    }

    @Test func aViewWithNoConfidenceChangesNothing() throws {
        let mu = try ViewBlend.blackLitterman.apply([.relative("A0", over: "A1", by: 0.1, confidence: 0)], symbols: market.names,
                                                    prior: market.mu, covariance: market.sigma)
        #expect(mu == market.mu)
    }

    @Test func aRelativeViewSpreadsThroughCorrelations() throws {
        let mu = try ViewBlend.blackLitterman.apply([.relative("A0", over: "A1", by: 0.2, confidence: 1)], symbols: market.names,
                                                    prior: market.mu, covariance: market.sigma)
        #expect(abs((mu[0] - mu[1]) - 0.2) < 1e-12)
    }

    @Test func theTiltBlendMovesAnAbsoluteViewDirectly() throws {
        let mu = try ViewBlend.tilt.apply([.absolute("A3", returns: 0.2, confidence: 0.5)], symbols: market.names,
                                          prior: market.mu, covariance: market.sigma)
        #expect(abs(mu[3] - (market.mu[3] + 0.2) / 2) < 1e-15)
        #expect(mu[0] == market.mu[0])
    }

    @Test func contradictoryCertainViewsAreAnError() {
        #expect {
            try ViewBlend.blackLitterman.apply([.absolute("A0", returns: 0.1, confidence: 1), .absolute("A0", returns: 0.2, confidence: 1)],
                                               symbols: market.names, prior: market.mu, covariance: market.sigma)
        } throws: { ($0 as? OptimizerError)?.kind == .invalidInput }
    }
}

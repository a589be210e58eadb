import Foundation
import Optimizer

/// Sizes the portfolio manager's views on the optimiser module (Ipopt): "the model decides
/// direction, the maths decides size".
///
/// The prior is the market-implied return of an equal-weight portfolio, π = δΣw_eq (Σ the
/// annualised sample covariance of the window), so that without views the answer stays close to
/// equal weights. Each view becomes an absolute view q = π + tilt × ``viewSpread`` × σ (a full
/// tilt is `viewSpread` of the symbol's annual volatility above or below its prior) held with the
/// view's confidence, blended by Black–Litterman (Idzorek confidences). The objective is
/// mean-variance utility with risk aversion δ; weights are long-only, at most the max weight, and
/// the invested share is fixed at risk appetite × min(max gross, 1 − cash buffer).
///
/// When the solver cannot answer (too little history, an infeasible set), the request is sized by
/// ``TiltConstructor`` instead and the result's notes say why: an explicit, journalled fallback.
public struct OptimizerConstructor: PortfolioConstructor {
    public let name = "black-litterman-utility"
    /// δ, both in the prior and in the objective.
    public var riskAversion: Double
    /// How far a full-confidence tilt of ±1 puts a view from the prior, in annual volatilities.
    public var viewSpread: Double
    public var fallback: TiltConstructor

    public init(riskAversion: Double = 2.5, viewSpread: Double = 0.5, fallback: TiltConstructor = TiltConstructor()) {
        self.riskAversion = riskAversion
        self.viewSpread = viewSpread
        self.fallback = fallback
    }

    public func construct(_ request: ConstructionRequest, returns: [String: [Double]]) throws -> ConstructionResult {
        let symbols = request.symbols
        let constraints = request.constraints
        let invested = request.riskAppetite.clamped(0, 1) * max(0, min(constraints.maxGross, 1 - constraints.cashBuffer))
        guard !symbols.isEmpty, invested > 1e-9 else {
            return ConstructionResult(weights: symbols.map { SymbolWeight(symbol: $0, weight: 0) }, method: name, expectedVolatility: 0, cash: 1,
                                      notes: [symbols.isEmpty ? "no symbols to size" : "risk appetite is zero: all cash"])
        }
        let length = symbols.map { returns[$0]?.count ?? 0 }.min() ?? 0
        guard length >= 10 else {
            return fallingBack(request, returns: returns, because: "\(length) daily returns are too few for the optimiser (10 at least)")
        }
        let window = symbols.map { Array(returns[$0]!.suffix(length)) }
        let covariance = Self.covariance(window)
        let equal = 1 / Double(symbols.count)
        let prior = covariance.map { row in riskAversion * row.reduce(0) { $0 + $1 * equal } }
        var views: [View] = []
        for view in request.views {
            guard let i = symbols.firstIndex(of: view.symbol), view.tilt != 0, view.confidence > 0 else { continue }
            let q = prior[i] + view.tilt.clamped(-1, 1) * viewSpread * covariance[i][i].squareRoot()
            views.append(.absolute(view.symbol, returns: q, confidence: view.confidence.clamped(0, 1)))
        }
        var spec = ConstraintSpec()
        spec.minWeight = 0
        spec.maxWeight = min(1, max(0, constraints.maxWeight))
        spec.minCash = 1 - invested
        spec.maxCash = 1 - invested
        spec.currentWeights = Dictionary(request.currentWeights.map { ($0.symbol, $0.weight) }, uniquingKeysWith: { a, _ in a })
        let optimizerRequest = OptimizerRequest(
            symbols: symbols, returns: (0..<length).map { t in symbols.indices.map { Optional(window[$0][t]) } },
            objective: .utility(riskAversion: riskAversion), estimator: .sample,
            prior: .marketImplied(marketWeights: Dictionary(uniqueKeysWithValues: symbols.map { ($0, equal) }), riskAversion: riskAversion),
            views: views, constraints: spec)
        let result: OptimizerResult
        do {
            result = try OptimizerTool().run(optimizerRequest)
        } catch {
            return fallingBack(request, returns: returns, because: "the optimiser failed (\(error.kind)): \(error.message)")
        }
        var notes = result.notes
        notes += result.bindingConstraints.map { "binding: \($0.kind)\($0.subject.map { " " + $0 } ?? "") at \(JSONNumber.text($0.bound))" }
        notes.append("solved by Ipopt in \(result.iterations) iterations")
        return ConstructionResult(weights: result.allocations.map { SymbolWeight(symbol: $0.symbol, weight: max(0, $0.weight)) },
                                  method: name, expectedVolatility: result.volatility, cash: result.cash, notes: notes)
    }

    private func fallingBack(_ request: ConstructionRequest, returns: [String: [Double]], because reason: String) -> ConstructionResult {
        var result = (try? fallback.construct(request, returns: returns))
            ?? ConstructionResult(weights: [], method: fallback.name, expectedVolatility: nil, cash: 1, notes: [])
        result.method = "\(fallback.name) (fallback)"
        result.notes.insert("\(reason); sized by \(fallback.name) instead", at: 0)
        return result
    }

    /// Annualised sample covariance (n − 1) of equal-length return series.
    static func covariance(_ series: [[Double]]) -> [[Double]] {
        let n = series.first?.count ?? 0
        let means = series.map { $0.reduce(0, +) / Double(max(1, n)) }
        return series.indices.map { i in
            series.indices.map { j in
                var sum = 0.0
                for t in 0..<n { sum += (series[i][t] - means[i]) * (series[j][t] - means[j]) }
                return n > 1 ? sum / Double(n - 1) * 252 : 0
            }
        }
    }
}

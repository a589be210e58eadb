/// An opinion on expected returns: the portfolio `weights` (a row of P) returns `expectedReturn`
/// (annual, a value of Q), held with `confidence` in [0, 1].
///
/// An absolute view names one asset with weight 1 ("AAPL returns 12%"); a relative view a long and
/// a short leg ("AAPL beats MSFT by 3%": AAPL 1, MSFT −1).
public struct View: Sendable, Equatable, Codable {
    public var weights: [String: Double]
    public var expectedReturn: Double
    public var confidence: Double
    /// Why the agent holds the view; carried for the journal, not used in the maths.
    public var rationale: String?

    public init(weights: [String: Double], expectedReturn: Double, confidence: Double, rationale: String? = nil) {
        self.weights = weights
        self.expectedReturn = expectedReturn
        self.confidence = confidence
        self.rationale = rationale
    }

    public static func absolute(_ symbol: String, returns: Double, confidence: Double, rationale: String? = nil) -> View {
        View(weights: [symbol: 1], expectedReturn: returns, confidence: confidence, rationale: rationale)
    }

    public static func relative(_ long: String, over short: String, by spread: Double, confidence: Double, rationale: String? = nil) -> View {
        View(weights: [long: 1, short: -1], expectedReturn: spread, confidence: confidence, rationale: rationale)
    }
}

/// How views move the expected returns.
public enum ViewBlend: Sendable, Equatable, Codable {
    /// Black–Litterman posterior μ = π + τΣPᵀ(τPΣPᵀ + Ω)⁻¹(Q − Pπ), with the view uncertainties Ω set from
    /// the confidences by Idzorek's method in Walters' closed form, ωₖ = τ·(1 − cₖ)/cₖ·pₖΣpₖᵀ
    /// (as PyPortfolioOpt's `idzorek_method`): confidence 1 makes the view hold exactly, 0 ignores it,
    /// and c moves the posterior about c of the way from the prior towards the view.
    case blackLitterman(tau: Double)
    /// A direct tilt: μ += c·(q − pᵀμ)·p/‖p‖² view by view (an absolute view moves its asset c of the way to q).
    case tilt

    public static let blackLitterman = ViewBlend.blackLitterman(tau: 0.05)

    private enum CodingKeys: String, CodingKey { case method, tau }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .method) {
        case "black-litterman": self = .blackLitterman(tau: try container.decodeIfPresent(Double.self, forKey: .tau) ?? 0.05)
        case "tilt": self = .tilt
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .method, in: container, debugDescription: "unknown view blend '\(other)'; use black-litterman or tilt")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .blackLitterman(let tau):
            try container.encode("black-litterman", forKey: .method)
            try container.encode(tau, forKey: .tau)
        case .tilt:
            try container.encode("tilt", forKey: .method)
        }
    }

    /// Expected returns after the views, from the prior `prior` (by symbol order) and covariance `covariance`.
    public func apply(_ views: [View], symbols: [String], prior: [Double], covariance: SymmetricMatrix) throws(OptimizerError) -> [Double] {
        let n = symbols.count
        let index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        var rows: [(p: [Double], q: Double, confidence: Double)] = []
        for (k, view) in views.enumerated() {
            guard view.confidence >= 0, view.confidence <= 1 else {
                throw OptimizerError(kind: .invalidInput, message: "view \(k + 1) has confidence \(view.confidence)", remedy: "confidences are between 0 and 1")
            }
            guard view.expectedReturn.isFinite, !view.weights.isEmpty else {
                throw OptimizerError(kind: .invalidInput, message: "view \(k + 1) needs assets and a finite expected return", remedy: "name the assets the view is about")
            }
            var p = [Double](repeating: 0, count: n)
            for (symbol, weight) in view.weights {
                guard let i = index[symbol] else {
                    throw OptimizerError(kind: .invalidInput, message: "view \(k + 1) is about \(symbol), which is not among the symbols",
                                         remedy: "views may name only the symbols being optimised")
                }
                guard weight.isFinite else {
                    throw OptimizerError(kind: .invalidInput, message: "view \(k + 1) gives \(symbol) the weight \(weight)", remedy: "give finite weights")
                }
                p[i] = weight
            }
            guard p.contains(where: { $0 != 0 }) else {
                throw OptimizerError(kind: .invalidInput, message: "view \(k + 1) has only zero weights", remedy: "give the view's assets non-zero weights")
            }
            if view.confidence > 0 { rows.append((p, view.expectedReturn, view.confidence)) }
        }
        guard !rows.isEmpty else { return prior }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

        switch self {
        case .tilt:
            var mu = prior
            for row in rows {
                let gap = row.q - dot(row.p, mu)
                let norm = dot(row.p, row.p)
                for i in 0..<n { mu[i] += row.confidence * gap * row.p[i] / norm }
            }
            return mu
        case .blackLitterman(let tau):
            guard tau > 0, tau.isFinite else {
                throw OptimizerError(kind: .invalidInput, message: "the Black–Litterman τ is \(tau)", remedy: "use a small positive τ such as 0.05")
            }
            let sigmaP = rows.map { covariance.multiply($0.p) }          // Σpₖ
            let k = rows.count
            var system = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for a in 0..<k {
                for b in 0..<k { system[a][b] = tau * dot(rows[a].p, sigmaP[b]) }
                let alpha = (1 - rows[a].confidence) / rows[a].confidence
                system[a][a] += tau * alpha * dot(rows[a].p, sigmaP[a])
            }
            let gaps = rows.map { $0.q - dot($0.p, prior) }
            guard let solved = solveLinearSystem(system, gaps) else {
                throw OptimizerError(kind: .invalidInput, message: "the fully confident views are linearly dependent, so they cannot all hold",
                                     remedy: "lower a confidence below 1 or drop a redundant view")
            }
            var mu = prior
            for a in 0..<k { for i in 0..<n { mu[i] += tau * sigmaP[a][i] * solved[a] } }
            return mu
        }
    }
}

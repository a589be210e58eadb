import Foundation

/// The target a Ledoit–Wolf estimate shrinks the sample covariance towards.
public enum ShrinkageTarget: String, Sendable, Codable, CaseIterable {
    /// The identity scaled by the average variance (Ledoit & Wolf 2004; scikit-learn's `ledoit_wolf`,
    /// PyPortfolioOpt's default `constant_variance`).
    case constantVariance = "constant-variance"
    /// Every pair at the average correlation, variances kept (Ledoit & Wolf 2003; PyPortfolioOpt's `constant_correlation`).
    case constantCorrelation = "constant-correlation"
}

/// How the covariance of returns is estimated. Every estimate is annualised (× periods per year)
/// and, when not positive semidefinite, repaired by clipping negative eigenvalues to zero
/// (PyPortfolioOpt's `fix_nonpositive_semidefinite(..., "spectral")`).
public enum CovarianceEstimator: Sendable, Equatable, Codable {
    /// Sample covariance (divisor n − 1), each pair over the periods where both returns exist (pandas `DataFrame.cov`).
    case sample
    /// Ledoit–Wolf shrinkage. Missing returns count as zero (as PyPortfolioOpt does).
    case ledoitWolf(target: ShrinkageTarget)
    /// Exponentially weighted covariance with decay α = 2/(span + 1), each pair's deviations taken from
    /// each symbol's own mean (PyPortfolioOpt's `exp_cov`, default span 180).
    case exponentiallyWeighted(span: Double)

    public static let ledoitWolf = CovarianceEstimator.ledoitWolf(target: .constantVariance)
    public static let exponentiallyWeighted = CovarianceEstimator.exponentiallyWeighted(span: 180)

    /// The command-line and JSON name: `sample`, `ledoit-wolf`, `ewma`.
    public var name: String {
        switch self {
        case .sample: "sample"
        case .ledoitWolf: "ledoit-wolf"
        case .exponentiallyWeighted: "ewma"
        }
    }

    private enum CodingKeys: String, CodingKey { case method, target, span }

    /// Decodes `"sample"`, `"ledoit-wolf"`, `"ewma"`, or an object `{"method": …, "target": …, "span": …}`.
    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            self = try Self.named(name, target: nil, span: nil, codingPath: decoder.codingPath)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = try Self.named(try container.decode(String.self, forKey: .method),
                              target: try container.decodeIfPresent(ShrinkageTarget.self, forKey: .target),
                              span: try container.decodeIfPresent(Double.self, forKey: .span),
                              codingPath: decoder.codingPath)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .method)
        switch self {
        case .sample: break
        case .ledoitWolf(let target): try container.encode(target, forKey: .target)
        case .exponentiallyWeighted(let span): try container.encode(span, forKey: .span)
        }
    }

    private static func named(_ name: String, target: ShrinkageTarget?, span: Double?, codingPath: [any CodingKey]) throws -> CovarianceEstimator {
        switch name {
        case "sample": return .sample
        case "ledoit-wolf": return .ledoitWolf(target: target ?? .constantVariance)
        case "ewma": return .exponentiallyWeighted(span: span ?? 180)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                debugDescription: "unknown covariance estimator '\(name)'; use sample, ledoit-wolf or ewma"))
        }
    }

    /// The annualised covariance of `history`.
    public func estimate(_ history: ReturnHistory, periodsPerYear: Double = 252) throws(OptimizerError) -> CovarianceEstimate {
        try history.validate(minimumObservations: 2)
        let raw: SymmetricMatrix
        var shrinkage: Double?
        switch self {
        case .sample:
            raw = try Self.pairwiseSample(history)
        case .ledoitWolf(let target):
            let (matrix, intensity) = try Self.ledoitWolf(history, target: target)
            raw = matrix
            shrinkage = intensity
        case .exponentiallyWeighted(let span):
            guard span.isFinite, span >= 1 else {
                throw OptimizerError(kind: .invalidInput, message: "the EWMA span is \(span)", remedy: "use a span of at least 1 period (180 is usual)")
            }
            raw = try Self.exponentiallyWeighted(history, span: span)
        }
        let (matrix, repaired) = (raw * periodsPerYear).spectrallyRepaired()
        for i in 0..<matrix.size where !(matrix[i, i] > 0) {
            throw OptimizerError(kind: .invalidInput, message: "\(history.symbols[i]) has zero variance over the window",
                                 remedy: "drop the symbol or use a longer window")
        }
        return CovarianceEstimate(matrix: matrix, repaired: repaired, shrinkage: shrinkage)
    }

    static func pairwiseSample(_ history: ReturnHistory) throws(OptimizerError) -> SymmetricMatrix {
        let n = history.symbols.count
        let columns = (0..<n).map(history.column)
        var result = SymmetricMatrix.zero(n)
        for i in 0..<n {
            for j in i..<n {
                var count = 0
                var sumX = 0.0, sumY = 0.0
                for (x, y) in zip(columns[i], columns[j]) where !x.isNaN && !y.isNaN {
                    count += 1
                    sumX += x
                    sumY += y
                }
                guard count >= 2 else {
                    throw OptimizerError(kind: .invalidInput,
                                         message: "\(history.symbols[i]) and \(history.symbols[j]) have \(count) period\(count == 1 ? "" : "s") with returns for both; at least 2 are needed",
                                         remedy: "give a window where their histories overlap, or drop one")
                }
                let meanX = sumX / Double(count), meanY = sumY / Double(count)
                var sum = 0.0
                for (x, y) in zip(columns[i], columns[j]) where !x.isNaN && !y.isNaN {
                    sum += (x - meanX) * (y - meanY)
                }
                result.setSymmetric(i, j, sum / Double(count - 1))
            }
        }
        return result
    }

    /// Returns with missing entries as zero, as PyPortfolioOpt passes them to its shrinkage estimators.
    private static func zeroFilledColumns(_ history: ReturnHistory) -> [[Double]] {
        (0..<history.symbols.count).map { i in history.rows.map { $0[i] ?? 0 } }
    }

    static func ledoitWolf(_ history: ReturnHistory, target: ShrinkageTarget) throws(OptimizerError) -> (SymmetricMatrix, Double) {
        let n = history.symbols.count
        let t = history.rows.count
        let columns = zeroFilledColumns(history)
        let centred = columns.map { column in
            let mean = column.reduce(0, +) / Double(t)
            return column.map { $0 - mean }
        }
        switch target {
        case .constantVariance:
            // Ledoit & Wolf (2004), in scikit-learn's formulation: biased (1/t) covariance, target μ·I.
            var empirical = SymmetricMatrix.zero(n)
            var sumOfSquaredSquares = 0.0
            let squares = centred.map { $0.map { $0 * $0 } }
            for i in 0..<n {
                for j in i..<n {
                    var cross = 0.0, crossSquares = 0.0
                    for k in 0..<t {
                        cross += centred[i][k] * centred[j][k]
                        crossSquares += squares[i][k] * squares[j][k]
                    }
                    empirical.setSymmetric(i, j, cross / Double(t))
                    sumOfSquaredSquares += (i == j ? 1 : 2) * crossSquares
                }
            }
            let count = Double(t), features = Double(n)
            let traces = empirical.diagonalEntries
            let mu = traces.reduce(0, +) / features
            let deltaSum = empirical.entries.reduce(0) { $0 + $1 * $1 }
            var beta = (sumOfSquaredSquares / count - deltaSum) / (features * count)
            let delta = (deltaSum - 2 * mu * traces.reduce(0, +) + features * mu * mu) / features
            beta = min(beta, delta)
            let shrinkage = beta == 0 ? 0 : beta / delta
            var shrunk = empirical * (1 - shrinkage)
            for i in 0..<n { shrunk[i, i] += shrinkage * mu }
            return (shrunk, shrinkage)

        case .constantCorrelation:
            // Ledoit & Wolf (2003), written as PyPortfolioOpt does: the sample covariance (pairwise, n − 1)
            // shrunk towards a constant-correlation matrix, with π, ρ, γ estimated from the zero-filled returns.
            let sample = try pairwiseSample(history)
            let variance = sample.diagonalEntries
            let deviation = variance.map { $0.squareRoot() }
            var correlationSum = 0.0
            for i in 0..<n { for j in 0..<n { correlationSum += sample[i, j] / (deviation[i] * deviation[j]) } }
            let meanCorrelation = n > 1 ? (correlationSum - Double(n)) / Double(n * (n - 1)) : 0
            var prior = SymmetricMatrix.zero(n)
            for i in 0..<n {
                for j in 0..<n { prior[i, j] = i == j ? variance[i] : meanCorrelation * deviation[i] * deviation[j] }
            }
            let count = Double(t)
            let secondMoments = centred.map { $0.reduce(0) { $0 + $1 * $1 } / count }
            var piHat = 0.0, piDiagonal = 0.0, thetaSum = 0.0, gammaHat = 0.0
            for i in 0..<n {
                for j in 0..<n {
                    var squareProducts = 0.0, products = 0.0, cubeProducts = 0.0
                    for k in 0..<t {
                        let a = centred[i][k], b = centred[j][k]
                        squareProducts += a * a * b * b
                        products += a * b
                        cubeProducts += a * a * a * b
                    }
                    let pi = squareProducts / count - 2 * products * sample[i, j] / count + sample[i, j] * sample[i, j]
                    piHat += pi
                    if i == j {
                        piDiagonal += pi
                    } else {
                        let theta = cubeProducts / count - secondMoments[i] * sample[i, j] - products / count * variance[i] + variance[i] * sample[i, j]
                        thetaSum += deviation[j] / deviation[i] * theta
                    }
                    let difference = sample[i, j] - prior[i, j]
                    gammaHat += difference * difference
                }
            }
            let rhoHat = piDiagonal + meanCorrelation * thetaSum
            let kappa = gammaHat > 0 ? (piHat - rhoHat) / gammaHat : 0
            let shrinkage = max(0, min(1, kappa / count))
            var shrunk = SymmetricMatrix.zero(n)
            for i in 0..<n { for j in 0..<n { shrunk[i, j] = shrinkage * prior[i, j] + (1 - shrinkage) * sample[i, j] } }
            return (shrunk, shrinkage)
        }
    }

    static func exponentiallyWeighted(_ history: ReturnHistory, span: Double) throws(OptimizerError) -> SymmetricMatrix {
        let n = history.symbols.count
        let t = history.rows.count
        let alpha = 2 / (span + 1)
        let columns = (0..<n).map(history.column)
        let deviations = columns.map { column in
            let present = column.filter { !$0.isNaN }
            let mean = present.reduce(0, +) / Double(present.count)
            return column.map { $0 - mean }
        }
        // Weight of period k in the last value of pandas' `ewm(span).mean()` (adjust=True, ignore_na=False).
        var weights = [Double](repeating: 0, count: t)
        var weight = 1.0
        for k in stride(from: t - 1, through: 0, by: -1) {
            weights[k] = weight
            weight *= 1 - alpha
        }
        var result = SymmetricMatrix.zero(n)
        for i in 0..<n {
            for j in i..<n {
                var numerator = 0.0, denominator = 0.0
                for k in 0..<t {
                    let product = deviations[i][k] * deviations[j][k]
                    if product.isNaN { continue }
                    numerator += weights[k] * product
                    denominator += weights[k]
                }
                guard denominator > 0 else {
                    throw OptimizerError(kind: .invalidInput,
                                         message: "\(history.symbols[i]) and \(history.symbols[j]) have no period with returns for both",
                                         remedy: "give a window where their histories overlap, or drop one")
                }
                result.setSymmetric(i, j, numerator / denominator)
            }
        }
        return result
    }
}

/// An annualised covariance estimate and how it was obtained.
public struct CovarianceEstimate: Sendable, Equatable {
    public var matrix: SymmetricMatrix
    /// Whether negative eigenvalues were clipped to make the estimate positive semidefinite.
    public var repaired: Bool
    /// The Ledoit–Wolf shrinkage intensity, for that estimator.
    public var shrinkage: Double?
}

import Foundation

/// One linear constraint lower ≤ Σ aₖ x[iₖ] ≤ upper of a ``PortfolioProgram``.
struct LinearRow: Sendable {
    var name: String
    var indices: [Int]
    var coefficients: [Double]
    var lower: Double
    var upper: Double
}

/// The nonlinear programs behind every portfolio objective, with exact derivatives.
///
/// Variables: the first `assets` entries are the (possibly scaled) weights w; any further entries
/// (the max-Sharpe scale k, turnover auxiliaries t) appear only in linear rows. Objective:
///
///     f(x) = q·wᵀΣw + γ‖w‖² − cᵀw − Σ βᵢ ln wᵢ
///
/// Constraints: the linear rows, then optionally wᵀΣw ≤ v (the efficient-risk cap) as the last row.
struct PortfolioProgram: NonlinearProgram {
    let assets: Int
    let covariance: SymmetricMatrix
    var quadraticWeight: Double = 0
    var l2Penalty: Double = 0
    var linearObjective: [Double]
    var barrierWeights: [Double]?
    var rows: [LinearRow] = []
    var varianceCap: (name: String, cap: Double)?
    var variableLowerBounds: [Double]
    var variableUpperBounds: [Double]
    var startingPoint: [Double]
    var variableNames: [String]

    init(covariance: SymmetricMatrix, names: [String], lowerBounds: [Double], upperBounds: [Double], start: [Double]) {
        assets = covariance.size
        self.covariance = covariance
        linearObjective = [Double](repeating: 0, count: covariance.size)
        variableLowerBounds = lowerBounds
        variableUpperBounds = upperBounds
        startingPoint = start
        variableNames = names
    }

    /// Adds a variable that appears only in linear rows; returns its index.
    mutating func addVariable(name: String, lower: Double, upper: Double, start: Double) -> Int {
        variableLowerBounds.append(lower)
        variableUpperBounds.append(upper)
        startingPoint.append(start)
        variableNames.append(name)
        return variableLowerBounds.count - 1
    }

    var variableCount: Int { variableLowerBounds.count }
    var constraintCount: Int { rows.count + (varianceCap == nil ? 0 : 1) }
    var constraintLowerBounds: [Double] { rows.map(\.lower) + (varianceCap == nil ? [] : [-.infinity]) }
    var constraintUpperBounds: [Double] { rows.map(\.upper) + (varianceCap.map { [$0.cap] } ?? []) }

    var structure: ProgramStructure {
        ProgramStructure(linearConstraints: varianceCap == nil, constantHessian: varianceCap == nil && barrierWeights == nil)
    }

    func constraintName(_ index: Int) -> String { index < rows.count ? rows[index].name : varianceCap?.name ?? "constraint \(index)" }
    func variableName(_ index: Int) -> String { variableNames[index] }

    var jacobianStructure: SparsityPattern {
        var pattern = SparsityPattern()
        for (r, row) in rows.enumerated() { for index in row.indices { pattern.append(row: r, column: index) } }
        if varianceCap != nil { for i in 0..<assets { pattern.append(row: rows.count, column: i) } }
        return pattern
    }

    var hessianStructure: SparsityPattern { .lowerTriangle(size: assets) }

    private func weights(_ x: UnsafeBufferPointer<Double>) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(rebasing: x[0..<assets])
    }

    private func product(_ w: UnsafeBufferPointer<Double>) -> [Double] {
        var result = [Double](repeating: 0, count: assets)
        result.withUnsafeMutableBufferPointer { covariance.multiply(w, into: $0) }
        return result
    }

    func objective(at x: UnsafeBufferPointer<Double>) -> Double? {
        let w = weights(x)
        var value = 0.0
        if quadraticWeight != 0 {
            let sigmaW = product(w)
            var form = 0.0
            for i in 0..<assets { form += w[i] * sigmaW[i] }
            value += quadraticWeight * form
        }
        for i in 0..<assets { value += l2Penalty * w[i] * w[i] - linearObjective[i] * w[i] }
        if let barrierWeights {
            for i in 0..<assets where barrierWeights[i] != 0 {
                guard w[i] > 0 else { return nil }
                value -= barrierWeights[i] * log(w[i])
            }
        }
        return value
    }

    func gradient(at x: UnsafeBufferPointer<Double>, into gradient: UnsafeMutableBufferPointer<Double>) -> Bool {
        let w = weights(x)
        let sigmaW = quadraticWeight != 0 ? product(w) : [Double](repeating: 0, count: assets)
        for i in 0..<assets {
            gradient[i] = 2 * quadraticWeight * sigmaW[i] + 2 * l2Penalty * w[i] - linearObjective[i]
        }
        if let barrierWeights {
            for i in 0..<assets where barrierWeights[i] != 0 {
                guard w[i] > 0 else { return false }
                gradient[i] -= barrierWeights[i] / w[i]
            }
        }
        for i in assets..<max(assets, gradient.count) { gradient[i] = 0 }
        return true
    }

    func constraints(at x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) -> Bool {
        for (r, row) in rows.enumerated() {
            var sum = 0.0
            for (index, coefficient) in zip(row.indices, row.coefficients) { sum += coefficient * x[index] }
            values[r] = sum
        }
        if varianceCap != nil {
            let w = weights(x)
            let sigmaW = product(w)
            var form = 0.0
            for i in 0..<assets { form += w[i] * sigmaW[i] }
            values[rows.count] = form
        }
        return true
    }

    func jacobian(at x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) -> Bool {
        var k = 0
        for row in rows {
            for coefficient in row.coefficients {
                values[k] = coefficient
                k += 1
            }
        }
        if varianceCap != nil {
            let sigmaW = product(weights(x))
            for i in 0..<assets { values[k + i] = 2 * sigmaW[i] }
        }
        return true
    }

    func hessian(at x: UnsafeBufferPointer<Double>, objectiveFactor: Double, multipliers: UnsafeBufferPointer<Double>,
                 into values: UnsafeMutableBufferPointer<Double>) -> Bool {
        let capMultiplier = varianceCap == nil ? 0 : multipliers[rows.count]
        let sigmaScale = 2 * (objectiveFactor * quadraticWeight + capMultiplier)
        let w = weights(x)
        covariance.entries.withUnsafeBufferPointer { sigma in
            var k = 0
            for i in 0..<assets {
                for j in 0...i {
                    values[k] = sigmaScale * sigma[i * assets + j]
                    k += 1
                }
                var diagonal = 2 * objectiveFactor * l2Penalty
                if let barrierWeights, barrierWeights[i] != 0 {
                    diagonal += objectiveFactor * barrierWeights[i] / (w[i] * w[i])
                }
                values[k - 1] += diagonal
            }
        }
        return values.allSatisfy(\.isFinite)
    }
}

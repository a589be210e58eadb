import Foundation

/// A dense symmetric matrix, stored in full row-major order (both triangles) for fast products.
public struct SymmetricMatrix: Sendable, Equatable, Codable {
    public let size: Int
    /// Row-major entries, `size * size` of them.
    public private(set) var entries: [Double]

    public init(size: Int, entries: [Double]) {
        precondition(entries.count == size * size, "a \(size)×\(size) matrix needs \(size * size) entries")
        self.size = size
        self.entries = entries
    }

    public init(rows: [[Double]]) {
        let size = rows.count
        precondition(rows.allSatisfy { $0.count == size }, "a symmetric matrix must be square")
        self.init(size: size, entries: rows.flatMap { $0 })
    }

    private enum CodingKeys: String, CodingKey { case size, entries }

    /// Decodes `{"size": n, "entries": [n·n numbers, row-major]}`, refusing a wrong count or an asymmetric matrix.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let size = try container.decode(Int.self, forKey: .size)
        let entries = try container.decode([Double].self, forKey: .entries)
        guard size >= 0, entries.count == size * size else {
            throw DecodingError.dataCorruptedError(forKey: .entries, in: container,
                                                   debugDescription: "a \(size)×\(size) matrix needs \(size * size) entries, not \(entries.count)")
        }
        for i in 0..<size {
            for j in 0..<i where entries[i * size + j] != entries[j * size + i] {
                throw DecodingError.dataCorruptedError(forKey: .entries, in: container,
                                                       debugDescription: "entries (\(i), \(j)) and (\(j), \(i)) differ: the matrix must be symmetric")
            }
        }
        self.init(size: size, entries: entries)
    }

    public static func zero(_ size: Int) -> SymmetricMatrix {
        SymmetricMatrix(size: size, entries: [Double](repeating: 0, count: size * size))
    }

    public static func diagonal(_ values: [Double]) -> SymmetricMatrix {
        var matrix = SymmetricMatrix.zero(values.count)
        for (i, value) in values.enumerated() { matrix[i, i] = value }
        return matrix
    }

    public subscript(row: Int, column: Int) -> Double {
        get { entries[row * size + column] }
        set { entries[row * size + column] = newValue }
    }

    /// Sets entries (i, j) and (j, i).
    public mutating func setSymmetric(_ i: Int, _ j: Int, _ value: Double) {
        entries[i * size + j] = value
        entries[j * size + i] = value
    }

    public var rows: [[Double]] { (0..<size).map { Array(entries[$0 * size..<($0 + 1) * size]) } }
    public var diagonalEntries: [Double] { (0..<size).map { self[$0, $0] } }

    /// y = A x.
    public func multiply(_ x: some Collection<Double>) -> [Double] {
        var result = [Double](repeating: 0, count: size)
        multiply(Array(x), into: &result)
        return result
    }

    func multiply(_ x: UnsafeBufferPointer<Double>, into result: UnsafeMutableBufferPointer<Double>) {
        entries.withUnsafeBufferPointer { a in
            for i in 0..<size {
                var sum = 0.0
                let row = i * size
                for j in 0..<size { sum += a[row + j] * x[j] }
                result[i] = sum
            }
        }
    }

    func multiply(_ x: [Double], into result: inout [Double]) {
        x.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { multiply(x, into: $0) }
        }
    }

    /// xᵀ A x.
    public func quadraticForm(_ x: [Double]) -> Double {
        zip(x, multiply(x)).reduce(0) { $0 + $1.0 * $1.1 }
    }

    public static func * (matrix: SymmetricMatrix, scalar: Double) -> SymmetricMatrix {
        SymmetricMatrix(size: matrix.size, entries: matrix.entries.map { $0 * scalar })
    }

    /// Whether a Cholesky factorisation of A + 1e-16·I exists (the test PyPortfolioOpt uses for positive semidefiniteness).
    public var isPositiveSemidefinite: Bool { Self.choleskyFactor(self, jitter: 1e-16) != nil }

    /// The lower-triangular L with L Lᵀ = A + jitter·I, or nil when A is not positive definite.
    static func choleskyFactor(_ matrix: SymmetricMatrix, jitter: Double = 0) -> [Double]? {
        let n = matrix.size
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var diagonal = matrix[j, j] + jitter
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            guard diagonal > 0, diagonal.isFinite else { return nil }
            let pivot = diagonal.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<max(j + 1, n) {
                var sum = matrix[i, j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = sum / pivot
            }
        }
        return l
    }

    /// Eigenvalues and unit eigenvectors (columns of `vectors`, row-major n×n) by cyclic Jacobi rotations.
    public func eigenDecomposition() -> (values: [Double], vectors: [Double]) {
        let n = size
        var a = entries
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = max(entries.reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { offDiagonal += a[i * n + j] * a[i * n + j] } }
            if offDiagonal.squareRoot() <= 1e-15 * scale { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) <= 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    /// The nearest positive semidefinite matrix by clipping negative eigenvalues to zero
    /// (PyPortfolioOpt's "spectral" fix), or `self` when it is already positive semidefinite.
    public func spectrallyRepaired() -> (matrix: SymmetricMatrix, repaired: Bool) {
        if isPositiveSemidefinite { return (self, false) }
        let n = size
        let (values, vectors) = eigenDecomposition()
        let clipped = values.map { max($0, 0) }
        var result = SymmetricMatrix.zero(n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * clipped[k] * vectors[j * n + k] }
                result.setSymmetric(i, j, sum)
            }
        }
        return (result, true)
    }
}

/// Solves the dense linear system A x = b by Gaussian elimination with partial pivoting; nil when A is singular.
func solveLinearSystem(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
    let n = rhs.count
    var a = matrix
    var b = rhs
    let scale = max(matrix.joined().reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
    for column in 0..<n {
        guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
              abs(a[pivot][column]) > 1e-14 * scale else { return nil }
        a.swapAt(column, pivot)
        b.swapAt(column, pivot)
        for row in (column + 1)..<max(column + 1, n) {
            let factor = a[row][column] / a[column][column]
            if factor == 0 { continue }
            for k in column..<n { a[row][k] -= factor * a[column][k] }
            b[row] -= factor * b[column]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[row]
        for k in (row + 1)..<max(row + 1, n) { sum -= a[row][k] * x[k] }
        x[row] = sum / a[row][row]
    }
    return x
}

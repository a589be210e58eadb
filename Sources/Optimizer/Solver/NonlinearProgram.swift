/// The positions of the nonzero entries of a sparse matrix, as 0-based (row, column) pairs.
///
/// Ipopt asks for the structure once and then only for the values, in this order.
public struct SparsityPattern: Sendable, Equatable {
    public var rows: [Int32]
    public var columns: [Int32]

    public init(rows: [Int32] = [], columns: [Int32] = []) {
        precondition(rows.count == columns.count, "a sparsity pattern needs as many rows as columns")
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { rows.count }

    public mutating func append(row: Int, column: Int) {
        rows.append(Int32(row))
        columns.append(Int32(column))
    }

    /// The lower triangle (row ≥ column) of a dense `size`×`size` block starting at `offset`, row by row.
    public static func lowerTriangle(size: Int, offset: Int = 0) -> SparsityPattern {
        var pattern = SparsityPattern()
        pattern.rows.reserveCapacity(size * (size + 1) / 2)
        pattern.columns.reserveCapacity(size * (size + 1) / 2)
        for row in 0..<size {
            for column in 0...row { pattern.append(row: offset + row, column: offset + column) }
        }
        return pattern
    }
}

/// Facts about a program that let the solver skip work: Ipopt re-uses a constant Jacobian or Hessian.
public struct ProgramStructure: Sendable, Equatable {
    /// Every constraint is linear, so the Jacobian never changes.
    public var linearConstraints: Bool
    /// The Hessian of the Lagrangian does not depend on the point or the multipliers.
    public var constantHessian: Bool

    public init(linearConstraints: Bool = false, constantHessian: Bool = false) {
        self.linearConstraints = linearConstraints
        self.constantHessian = constantHessian
    }
}

/// A smooth nonlinear program in Ipopt's form: minimise f(x) subject to gᴸ ≤ g(x) ≤ gᵁ and xᴸ ≤ x ≤ xᵁ.
///
/// Implementations provide exact first and second derivatives. Infinite bounds are written as
/// `±.infinity`. An evaluation returns `false` (or `nil`) when the point is outside the function's
/// domain (a logarithm of a non-positive number, say); the solver then shortens its step.
public protocol NonlinearProgram {
    var variableCount: Int { get }
    var constraintCount: Int { get }
    var variableLowerBounds: [Double] { get }
    var variableUpperBounds: [Double] { get }
    var constraintLowerBounds: [Double] { get }
    var constraintUpperBounds: [Double] { get }
    /// Where the solver starts; it moves the point inside the bounds first.
    var startingPoint: [Double] { get }
    /// Nonzeros of the constraint Jacobian ∂g/∂x.
    var jacobianStructure: SparsityPattern { get }
    /// Nonzeros of the lower triangle of the Hessian of the Lagrangian.
    var hessianStructure: SparsityPattern { get }
    var structure: ProgramStructure { get }

    /// A human name for constraint `index`, used in errors and diagnostics.
    func constraintName(_ index: Int) -> String
    /// A human name for variable `index`, used in errors and diagnostics.
    func variableName(_ index: Int) -> String

    func objective(at x: UnsafeBufferPointer<Double>) -> Double?
    func gradient(at x: UnsafeBufferPointer<Double>, into gradient: UnsafeMutableBufferPointer<Double>) -> Bool
    func constraints(at x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) -> Bool
    /// Values of the Jacobian's nonzeros, in the order of ``jacobianStructure``.
    func jacobian(at x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) -> Bool
    /// Values of σ∇²f(x) + Σ λᵢ∇²gᵢ(x) at the nonzeros of ``hessianStructure``.
    func hessian(at x: UnsafeBufferPointer<Double>, objectiveFactor: Double,
                 multipliers: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) -> Bool
}

extension NonlinearProgram {
    public var structure: ProgramStructure { ProgramStructure() }
    public func constraintName(_ index: Int) -> String { "constraint \(index)" }
    public func variableName(_ index: Int) -> String { "x[\(index)]" }
}

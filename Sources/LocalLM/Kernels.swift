import CKernels

/// A thin Swift face on the C kernels.
enum Kernels {
    @discardableResult
    static func dequantize(type: GGMLType, row: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        ck_dequantize_row(Int32(type.code), row, out, Int64(count)) == 0
    }

    /// `y[b][r] = W[r] · x[b]` for a batch of `batch` activation rows.
    static func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        matmul([(w, y)], x, batch: batch, pool: nil)
    }

    /// Several matrices with the same input width applied to the same activations (quantised once),
    /// their rows shared over the pool: output `b` of matrix `m` goes to `outputs[m].1 + b * rows`.
    static func matmul(_ outputs: [(WeightMatrix, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, batch: Int, pool: OpaquePointer?) {
        let descs = outputs.map { w, y in
            ck_matmul_desc(type: Int32(w.type.code), w: w.data, row_stride: w.rowBytes, packed: w.packed,
                           rows: Int64(w.rows), cols: Int64(w.cols), y: y, y_stride: Int64(w.rows))
        }
        ck_matmul_multi(pool, descs, Int32(descs.count), x, Int64(outputs[0].0.cols), Int64(batch))
    }
}

/// A weight matrix: `rows` rows of `cols` elements of `type` in the mapped file, and the same
/// rows repacked for the multi-row kernels when the type has a packed form.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    let rows: Int
    let cols: Int
    let data: UnsafeRawPointer
    var packed: UnsafeRawPointer? = nil
    var rowBytes: Int { cols / type.blockElements * type.blockBytes }

    func row(_ index: Int) -> UnsafeRawPointer { data + index * rowBytes }
}

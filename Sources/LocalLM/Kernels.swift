import CKernels

/// A thin Swift face on the C kernels.
enum Kernels {
    @discardableResult
    static func dequantize(type: GGMLType, row: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        ck_dequantize_row(Int32(type.code), row, out, Int64(count)) == 0
    }

    /// `y[b][r] = W[r] · x[b]` for a batch of `batch` activation rows.
    static func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        ck_matmul(Int32(w.type.code), w.data, w.rowBytes, Int64(w.rows), Int64(w.cols), x, Int64(batch), y)
    }
}

/// A weight matrix in the mapped file: `rows` rows of `cols` elements of `type`.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    let rows: Int
    let cols: Int
    let data: UnsafeRawPointer
    var rowBytes: Int { cols / type.blockElements * type.blockBytes }

    func row(_ index: Int) -> UnsafeRawPointer { data + index * rowBytes }
}

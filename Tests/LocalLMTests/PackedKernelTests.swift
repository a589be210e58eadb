import CKernels
import Foundation
import Testing

/// The repacked weights, the pooled products and the pooled attention must give every output
/// exactly as the single-row kernels do (which match llama.cpp): the engine's tokens rest on it.
@Suite(.serialized) struct PackedKernelTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func float(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + (range.upperBound - range.lowerBound) * Float(next() % 1_000_000) / 1_000_000
        }
    }

    /// `rows` random rows of `cols` elements of a 4- or 8-bit type, in GGML's block layout.
    static func randomMatrix(type: Int32, rows: Int, cols: Int, seed: UInt64) -> [UInt8] {
        var g = Generator(state: seed)
        var out: [UInt8] = []
        func half(_ f: Float) { let h = ck_f32_to_f16(f); out += [UInt8(h & 0xFF), UInt8(h >> 8)] }
        for _ in 0..<rows {
            for _ in 0..<(cols / 32) {
                half(g.float(0.001...0.03))
                switch type {
                case Int32(CK_TYPE_Q4_0): for _ in 0..<16 { out.append(UInt8(g.next() & 0xFF)) }
                case Int32(CK_TYPE_Q4_1): half(g.float(-0.2...0.2)); for _ in 0..<16 { out.append(UInt8(g.next() & 0xFF)) }
                default: for _ in 0..<32 { out.append(UInt8(g.next() & 0xFF)) }
                }
            }
        }
        return out
    }

    /// Row-by-row single dot products: the reference every product must equal bit for bit.
    static func reference(type: Int32, w: [UInt8], rows: Int, cols: Int, x: [Float], batch: Int) -> [Float] {
        let rowBytes = ck_row_bytes(type, Int64(cols))
        var y = [Float](repeating: 0, count: rows * batch)
        for b in 0..<batch {
            var xq = [UInt8](repeating: 0, count: ck_row_bytes(ck_dot_type(type), Int64(cols)))
            Array(x[(b * cols)..<((b + 1) * cols)]).withUnsafeBufferPointer { ck_quantize_activations(type, $0.baseAddress!, &xq, Int64(cols)) }
            w.withUnsafeBytes { wb in
                for r in 0..<rows { y[b * rows + r] = ck_vec_dot(type, Int64(cols), wb.baseAddress! + r * rowBytes, xq) }
            }
        }
        return y
    }

    static let types: [Int32] = [Int32(CK_TYPE_Q4_0), Int32(CK_TYPE_Q4_1), Int32(CK_TYPE_Q8_0)]

    @Test(arguments: types)
    func packedProductsEqualSingleRowDotsOnEveryPath(_ type: Int32) {
        let rows = 37, cols = 256
        let w = Self.randomMatrix(type: type, rows: rows, cols: cols, seed: UInt64(type) + 5)
        let bytes = ck_packed_bytes(type, Int64(rows), Int64(cols))
        #expect(bytes > 0)
        var packed = [UInt8](repeating: 0, count: bytes)
        let status = w.withUnsafeBytes { ck_repack(type, $0.baseAddress!, ck_row_bytes(type, Int64(cols)), Int64(rows), Int64(cols), &packed) }
        #expect(status == 0)
        for batch in [1, 2, 3, 5] {
            let x = (0..<(batch * cols)).map { Float(sin(Double($0) * 0.37 + Double(batch)) * 3) }
            let expected = Self.reference(type: type, w: w, rows: rows, cols: cols, x: x, batch: batch)
            for simd in [1, 0] {
                ck_set_simd_enabled(Int32(simd))
                var y = [Float](repeating: .nan, count: rows * batch)
                ck_matmul_packed(type, packed, Int64(rows), Int64(cols), x, Int64(batch), &y)
                ck_set_simd_enabled(1)
                let bad = (0..<y.count).filter { y[$0].bitPattern != expected[$0].bitPattern }
                #expect(bad.isEmpty, "type \(type), batch \(batch), \(simd == 1 ? "SIMD" : "portable"): \(bad.count) outputs differ")
            }
        }
    }

    /// The packed kernels take several activation rows per loaded weight vector (a batch is cut
    /// into calls of 2 rows and a last single one) over tiles of 16 weight rows. Row counts that
    /// leave a partial last tile and odd batches, on the AVX-512, AVX2 and portable paths (the
    /// AVX2 packed path is what a machine without AVX-512 runs), must give each output exactly as
    /// the single-row kernel does.
    @Test(arguments: types)
    func multiRowPackedKernelsEqualTheSingleRowKernelOnEveryPath(_ type: Int32) {
        defer { ck_set_simd_enabled(1); ck_set_avx512_enabled(1) }
        let cols = 160  // 5 blocks: an odd block count
        for rows in [1, 7, 9, 23, 45] {
            let w = Self.randomMatrix(type: type, rows: rows, cols: cols, seed: UInt64(type) * 31 + UInt64(rows))
            var packed = [UInt8](repeating: 0xEE, count: ck_packed_bytes(type, Int64(rows), Int64(cols)))
            let status = w.withUnsafeBytes { ck_repack(type, $0.baseAddress!, ck_row_bytes(type, Int64(cols)), Int64(rows), Int64(cols), &packed) }
            #expect(status == 0)
            for batch in [1, 2, 3, 4, 5, 6, 7, 11] {
                let x = (0..<(batch * cols)).map { Float(sin(Double($0) * 0.71 + Double(rows)) * 2.5) }
                ck_set_simd_enabled(1)  // the reference is the SIMD single-row kernel (llama.cpp's AVX2 order)
                ck_set_avx512_enabled(1)
                let expected = Self.reference(type: type, w: w, rows: rows, cols: cols, x: x, batch: batch)
                for (path, simd, avx512) in [("AVX-512", Int32(1), Int32(1)), ("AVX2", 1, 0), ("portable", 0, 0)] {
                    ck_set_simd_enabled(simd)
                    ck_set_avx512_enabled(avx512)
                    var y = [Float](repeating: .nan, count: rows * batch)
                    ck_matmul_packed(type, packed, Int64(rows), Int64(cols), x, Int64(batch), &y)
                    let bad = (0..<y.count).filter { y[$0].bitPattern != expected[$0].bitPattern }
                    #expect(bad.isEmpty, "type \(type), \(rows) rows, batch \(batch), \(path): \(bad.count) of \(y.count) outputs differ")
                }
            }
        }
    }

    @Test func pooledProductsOfSeveralMatricesEqualSingleRowDots() {
        let pool = ck_pool_create(3)
        defer { ck_pool_destroy(pool) }
        let cols = 128, batch = 67  // more than one 64-row chunk
        let shapes: [(type: Int32, rows: Int, pack: Bool)] = [(Int32(CK_TYPE_Q4_1), 40, true), (Int32(CK_TYPE_Q8_0), 19, true),
                                                              (Int32(CK_TYPE_Q4_1), 16, false), (Int32(CK_TYPE_Q4_0), 33, true)]
        let weights = shapes.enumerated().map { i, s in Self.randomMatrix(type: s.type, rows: s.rows, cols: cols, seed: UInt64(i) * 11 + 1) }
        let packed: [[UInt8]] = shapes.enumerated().map { i, s in
            guard s.pack else { return [] }
            var p = [UInt8](repeating: 0, count: ck_packed_bytes(s.type, Int64(s.rows), Int64(cols)))
            _ = weights[i].withUnsafeBytes { ck_repack(s.type, $0.baseAddress!, ck_row_bytes(s.type, Int64(cols)), Int64(s.rows), Int64(cols), &p) }
            return p
        }
        let x = (0..<(batch * cols)).map { Float(cos(Double($0) * 0.11) * 2) }
        let outputs = shapes.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.rows * batch) }
        defer { outputs.forEach { $0.deallocate() } }
        let weightPointers = weights.map { w -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: w.count, alignment: 64)
            p.copyMemory(from: w, byteCount: w.count)
            return p
        }
        let packedPointers = packed.map { p -> UnsafeMutableRawPointer? in
            guard !p.isEmpty else { return nil }
            let q = UnsafeMutableRawPointer.allocate(byteCount: p.count, alignment: 64)
            q.copyMemory(from: p, byteCount: p.count)
            return q
        }
        defer { weightPointers.forEach { $0.deallocate() }; packedPointers.forEach { $0?.deallocate() } }
        let descs = shapes.indices.map { i in
            ck_matmul_desc(type: shapes[i].type, w: weightPointers[i], row_stride: ck_row_bytes(shapes[i].type, Int64(cols)),
                           packed: packedPointers[i].map { UnsafeRawPointer($0) }, rows: Int64(shapes[i].rows), cols: Int64(cols),
                           y: outputs[i], y_stride: Int64(shapes[i].rows))
        }
        ck_matmul_multi(pool, descs, Int32(descs.count), x, Int64(cols), Int64(batch))
        for (i, s) in shapes.enumerated() {
            let expected = Self.reference(type: s.type, w: weights[i], rows: s.rows, cols: cols, x: x, batch: batch)
            let bad = (0..<expected.count).filter { outputs[i][$0].bitPattern != expected[$0].bitPattern }
            #expect(bad.isEmpty, "matrix \(i) (type \(s.type), packed \(s.pack)): \(bad.count) of \(expected.count) outputs differ")
        }
    }

    @Test func pooledAttentionEqualsAttentionRowByRow() {
        let pool = ck_pool_create(2)
        defer { ck_pool_destroy(pool) }
        let heads = 6, kvHeads = 2, dim = 64, stride = kvHeads * dim
        var g = Generator(state: 9)
        let cacheLengths = [5, 40, 17]
        let caches: [(k: [UInt16], v: [UInt16])] = cacheLengths.map { n in
            ((0..<(n * stride)).map { _ in ck_f32_to_f16(g.float(-1...1)) }, (0..<(n * stride)).map { _ in ck_f32_to_f16(g.float(-1...1)) })
        }
        // Rows: several positions of each cache, some as part of a multi-token batch.
        let rows: [(cache: Int, past: Int, batched: Int32)] = [(0, 5, 0), (1, 39, 1), (1, 40, 1), (2, 17, 0), (2, 9, 1), (1, 1, 0)]
        let q = (0..<(rows.count * heads * dim)).map { _ in g.float(-2...2) }
        var pooled = [Float](repeating: .nan, count: q.count)
        let scale = 1 / Float(dim).squareRoot()
        for profile in [Int32(CK_PROFILE_AVX2), Int32(CK_PROFILE_AVX512)] {
            q.withUnsafeBufferPointer { qp in
                pooled.withUnsafeMutableBufferPointer { op in
                    let kPointers = caches.map { c in c.k.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) } }
                    let vPointers = caches.map { c in c.v.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) } }
                    let queries = rows.enumerated().map { i, r in
                        ck_attention_query(q: qp.baseAddress! + i * heads * dim, k_cache: kPointers[r.cache], v_cache: vPointers[r.cache],
                                           n_past: Int64(r.past), batched: r.batched, out: op.baseAddress! + i * heads * dim)
                    }
                    ck_attention_pooled(pool, queries, Int64(queries.count), Int64(heads), Int64(kvHeads), Int64(dim), Int64(stride), scale, profile)
                }
            }
            for (i, r) in rows.enumerated() {
                var single = [Float](repeating: .nan, count: heads * dim)
                var scores = [Float](repeating: 0, count: r.past + 16)
                Array(q[(i * heads * dim)..<((i + 1) * heads * dim)]).withUnsafeBufferPointer { qp in
                    ck_attention(qp.baseAddress!, caches[r.cache].k, caches[r.cache].v, Int64(r.past), Int64(heads), Int64(kvHeads),
                                 Int64(dim), Int64(stride), scale, r.batched, profile, &scores, &single)
                }
                let got = pooled[(i * heads * dim)..<((i + 1) * heads * dim)]
                #expect(zip(got, single).allSatisfy { $0.bitPattern == $1.bitPattern }, "row \(i), profile \(profile)")
            }
        }
    }

    /// The fused one-pass attention must reproduce the per-position kernels (whose order follows
    /// llama.cpp) bit for bit: every cache length around the 8- and 16-position blocks, both
    /// summation orders, both builds, head sizes it fuses (64, 128) and one it leaves alone (48).
    /// Scores span a wide range so that some probabilities round to F16 subnormals or zero.
    @Test(arguments: [64, 128, 48])
    func fusedAttentionEqualsThePerPositionKernels(dim: Int) {
        let heads = 3, kvHeads = 1, stride = kvHeads * dim
        var g = Generator(state: UInt64(dim))
        let maxPast = 700
        let k = (0..<(maxPast * stride)).map { _ in ck_f32_to_f16(g.float(-3...3)) }
        let v = (0..<(maxPast * stride)).map { _ in ck_f32_to_f16(g.float(-1...1)) }
        let q = (0..<(heads * dim)).map { _ in g.float(-4...4) }
        let scale = 1 / Float(dim).squareRoot()
        defer { ck_set_fused_attention_enabled(1) }
        for profile in [Int32(CK_PROFILE_AVX2), Int32(CK_PROFILE_AVX512)] {
            for batched in [Int32(0), 1] {
                for past in [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100, 257, 700] {
                    func run(fused: Bool) -> [Float] {
                        ck_set_fused_attention_enabled(fused ? 1 : 0)
                        var out = [Float](repeating: .nan, count: heads * dim)
                        var scores = [Float](repeating: 0, count: past + 16)
                        ck_attention(q, k, v, Int64(past), Int64(heads), Int64(kvHeads), Int64(dim), Int64(stride), scale, batched, profile, &scores, &out)
                        return out
                    }
                    let fused = run(fused: true), perPosition = run(fused: false)
                    let bad = zip(fused, perPosition).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(bad == 0 && !fused.contains { $0.isNaN }, "dim \(dim), profile \(profile), batched \(batched), \(past) positions: \(bad) outputs differ")
                }
            }
        }
    }

    /// The vector activation quantisers (Q8_0 for Q4_0/Q8_0 weights, Q8_1 for Q4_1) must write the
    /// scalar ones' bytes exactly: scales, sums and every rounded value, ties and zeros included.
    @Test func vectorActivationQuantisersWriteTheScalarBytes() {
        var g = Generator(state: 21)
        let n = 32 * 64
        var x = (0..<n).map { _ in g.float(-3...3) }
        for i in 0..<32 { x[i] = 0 }                                    // an all-zero block
        for i in 32..<64 { x[i] = Float(i - 48) * 0.5 }                  // exact halves: ties to even
        for i in 64..<96 { x[i] = i == 70 ? -1e-30 : 1e-30 }              // tiny magnitudes
        defer { ck_set_simd_enabled(1) }
        for type in [Int32(CK_TYPE_Q4_0), Int32(CK_TYPE_Q4_1), Int32(CK_TYPE_Q8_0)] {
            let bytes = ck_row_bytes(ck_dot_type(type), Int64(n))
            var results: [[UInt8]] = []
            for simd: Int32 in [0, 1] {
                ck_set_simd_enabled(simd)
                var xq = [UInt8](repeating: 0xAA, count: bytes)
                ck_quantize_activations(type, x, &xq, Int64(n))
                results.append(xq)
            }
            let differing = zip(results[0], results[1]).filter { $0 != $1 }.count
            #expect(differing == 0, "weight type \(type): \(differing) of \(bytes) bytes differ")
        }
    }

    @Test func aPoolRunsEveryItemExactlyOnceJobAfterJob() {
        let pool = ck_pool_create(4)
        defer { ck_pool_destroy(pool) }
        #expect(ck_pool_threads(pool) == 4)
        for n in [1, 2, 7, 1000] {
            var hits = [Int32](repeating: 0, count: n)
            hits.withUnsafeMutableBufferPointer { buffer in
                ck_pool_for(pool, Int64(n), { ctx, item, _ in
                    ctx!.assumingMemoryBound(to: Int32.self)[Int(item)] += 1  // each item has one owner
                }, buffer.baseAddress)
            }
            #expect(hits.allSatisfy { $0 == 1 }, "\(n) items")
        }
    }
}

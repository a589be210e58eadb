import CKernels
import Foundation
import Testing

/// Dequantisation fixtures made by `scripts/make-dequant-fixtures.py` with the `gguf` package's numpy code.
enum DequantFixtures {
    struct Case: Decodable {
        var type: String
        var type_code: Int32
        var elements: Int
        var bytes_hex: String
        var expected_bits: [UInt32]

        var bytes: [UInt8] {
            var out: [UInt8] = []
            var it = bytes_hex.utf8.makeIterator()
            while let hi = it.next(), let lo = it.next() {
                out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16)!)
            }
            return out
        }
    }
    struct File: Decodable { var cases: [Case] }

    static let fixtures: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let cases: [Case] = try! JSONDecoder().decode(File.self, from: Data(contentsOf: fixtures.appendingPathComponent("dequant.json"))).cases
    static var names: [String] { cases.map(\.type) }
    static func named(_ name: String) -> Case { cases.first { $0.type == name }! }
}

@Suite(.serialized) struct KernelTests {
    @Test func fixturesCoverEveryComputableType() {
        #expect(Set(DequantFixtures.names) == ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"])
    }

    @Test(arguments: DequantFixtures.names)
    func dequantisationMatchesTheGGUFPackageBitForBit(_ name: String) {
        let c = DequantFixtures.named(name)
        var out = [Float](repeating: .nan, count: c.elements)
        let bytes = c.bytes
        #expect(ck_row_bytes(c.type_code, Int64(c.elements)) == bytes.count)
        let status = bytes.withUnsafeBytes { ck_dequantize_row(c.type_code, $0.baseAddress!, &out, Int64(c.elements)) }
        #expect(status == 0)
        let mismatches = (0..<c.elements).filter { out[$0].bitPattern != c.expected_bits[$0] }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) values differ, first at \(mismatches.first ?? -1): \(mismatches.first.map { "\(out[$0]) vs \(Float(bitPattern: c.expected_bits[$0]))" } ?? "")")
    }

    @Test func halfPrecisionConversionsMatchSwiftFloat16() {
        var state: UInt64 = 42
        for i in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let f = i < 65536 ? Float(Float16(bitPattern: UInt16(i))) : Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
            if f.isNaN { continue }
            #expect(ck_f32_to_f16(f) == Float16(f).bitPattern, "\(f)")
            if i < 65536, !Float16(bitPattern: UInt16(i)).isNaN {
                #expect(ck_f16_to_f32(UInt16(i)) == Float(Float16(bitPattern: UInt16(i))))
            }
        }
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(ck_f32_to_bf16(1.0) == 0x3F80)
        #expect(ck_f32_to_bf16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(ck_f32_to_bf16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(ck_bf16_to_f32(0xC040) == -3)
    }

    /// A quantised dot product must agree with the float dot product of the dequantised weights,
    /// up to the 8-bit quantisation of the activations.
    @Test(arguments: DequantFixtures.names)
    func quantisedDotProductsAgreeWithFloatArithmetic(_ name: String) {
        let c = DequantFixtures.named(name)
        let n = c.elements
        let weights = c.expected_bits.map { Float(bitPattern: $0) }
        let x = (0..<n).map { Float(sin(Double($0) * 0.37) * 1.5) }
        let exact = zip(weights, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let scale = zip(weights, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        for simd: Int32 in [0, 1] {
            ck_set_simd_enabled(simd)
            defer { ck_set_simd_enabled(1) }
            let dotType = ck_dot_type(c.type_code)
            var xq = [UInt8](repeating: 0, count: ck_row_bytes(dotType, Int64(n)))
            ck_quantize_activations(c.type_code, x, &xq, Int64(n))
            let bytes = c.bytes
            let got = bytes.withUnsafeBytes { ck_vec_dot(c.type_code, Int64(n), $0.baseAddress!, xq) }
            let tolerance = ["F32"].contains(name) ? 1e-5 : ["F16", "BF16"].contains(name) ? 1e-2 : 2e-2
            #expect(abs(Double(got) - exact) <= tolerance * scale, "\(name) simd \(simd): \(got) vs \(exact)")
        }
    }

    @Test(arguments: DequantFixtures.names)
    func simdAndScalarPathsAgree(_ name: String) {
        let c = DequantFixtures.named(name)
        let n = c.elements
        let x = (0..<(3 * n)).map { Float(cos(Double($0) * 0.11)) }
        let rows = 1
        var results: [[Float]] = []
        for simd: Int32 in [0, 1] {
            ck_set_simd_enabled(simd)
            var y = [Float](repeating: 0, count: 3 * rows)
            c.bytes.withUnsafeBytes { ck_matmul(c.type_code, $0.baseAddress!, $0.count, Int64(rows), Int64(n), x, 3, &y) }
            results.append(y)
        }
        ck_set_simd_enabled(1)
        for (a, b) in zip(results[0], results[1]) {
            #expect(abs(a - b) <= 1e-4 * max(1, abs(a)), "\(name): scalar \(a) vs simd \(b)")
        }
    }

    /// Batched kernels (eight or four activation rows per pass) give bit-for-bit the single-row result.
    @Test(arguments: DequantFixtures.names)
    func batchedMatmulEqualsRowByRowDotProducts(_ name: String) {
        let c = DequantFixtures.named(name)
        let n = c.elements
        let batch = 13
        let x = (0..<(batch * n)).map { Float(sin(Double($0) * 0.7) * 2) }
        var y = [Float](repeating: 0, count: batch)
        let bytes = c.bytes
        bytes.withUnsafeBytes { ck_matmul(c.type_code, $0.baseAddress!, $0.count, 1, Int64(n), x, Int64(batch), &y) }
        for b in 0..<batch {
            var xq = [UInt8](repeating: 0, count: ck_row_bytes(ck_dot_type(c.type_code), Int64(n)))
            Array(x[(b * n)..<((b + 1) * n)]).withUnsafeBufferPointer { ck_quantize_activations(c.type_code, $0.baseAddress!, &xq, Int64(n)) }
            let single = bytes.withUnsafeBytes { ck_vec_dot(c.type_code, Int64(n), $0.baseAddress!, xq) }
            #expect(y[b].bitPattern == single.bitPattern, "\(name) row \(b): \(y[b]) vs \(single)")
        }
    }

    @Test func rmsNormScalesToUnitRootMeanSquare() {
        let x: [Float] = [1, -2, 3, -4]
        var y = [Float](repeating: 0, count: 4)
        let w: [Float] = [1, 1, 2, 0.5]
        ck_rmsnorm(x, w, &y, 4, 0)
        let rms = Float((30.0 / 4).squareRoot())
        #expect(zip(y, [1 / rms, -2 / rms, 6 / rms, -2 / rms]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func ropeRotatesAdjacentPairsOrHalvesByPositionTimesFrequency() {
        // One head of 4 dims, position 3, base 100: frequencies 1 and 1/10.
        let v: [Float] = [1, 2, 3, 4]
        let a0 = 3.0, a1 = 0.3
        func rot(_ x: Double, _ y: Double, _ a: Double) -> (Float, Float) { (Float(x * cos(a) - y * sin(a)), Float(x * sin(a) + y * cos(a))) }
        var normal = v
        ck_rope(&normal, 1, 4, 4, 3, 100, 1, 0, nil)
        let (n0, n1) = rot(1, 2, a0), (n2, n3) = rot(3, 4, a1)
        #expect(zip(normal, [n0, n1, n2, n3]).allSatisfy { abs($0 - $1) < 1e-5 }, "\(normal)")
        var neox = v
        ck_rope(&neox, 1, 4, 4, 3, 100, 1, 1, nil)
        let (x0, x2) = rot(1, 3, a0), (x1, x3) = rot(2, 4, a1)
        #expect(zip(neox, [x0, x1, x2, x3]).allSatisfy { abs($0 - $1) < 1e-5 }, "\(neox)")
        var scaled = v
        let factors: [Float] = [1, 2]
        ck_rope(&scaled, 1, 4, 4, 3, 100, 1, 0, factors)
        let (s2, s3) = rot(3, 4, a1 / 2)
        #expect(abs(scaled[2] - s2) < 1e-5 && abs(scaled[3] - s3) < 1e-5)
    }

    @Test func attentionIsASoftmaxWeightedAverageOfValues() {
        // Two heads sharing one KV head, three cached positions, head size 2.
        let keys: [Float] = [1, 0, 0, 1, 1, 1]
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        let k = keys.map(ck_f32_to_f16), v = values.map(ck_f32_to_f16)
        let q: [Float] = [2, 0, 0, -1]
        var scores = [Float](repeating: 0, count: 3 + 16)
        var out = [Float](repeating: 0, count: 4)
        for batched: Int32 in [0, 1] {
        ck_attention(q, k, v, 3, 2, 1, 2, 2, 0.5, batched, Int32(CK_PROFILE_AVX2), &scores, &out)
        for h in 0..<2 {
            let qh = Array(q[(2 * h)..<(2 * h + 2)])
            let s = (0..<3).map { j in 0.5 * Double(qh[0] * keys[2 * j] + qh[1] * keys[2 * j + 1]) }
            let e = s.map { exp($0 - s.max()!) }
            let p = e.map { $0 / e.reduce(0, +) }
            for d in 0..<2 {
                let expected = (0..<3).reduce(0.0) { $0 + p[$1] * Double(values[2 * $1 + d]) }
                #expect(abs(Double(out[2 * h + d]) - expected) < 2e-3, "head \(h) dim \(d): \(out[2 * h + d]) vs \(expected)")
            }
        }
        }
    }

    @Test func swigluIsSiluOfGateTimesUp() {
        var gate: [Float] = [0, 1, -2]
        ck_swiglu(&gate, [3, 4, 5], 3)
        let expected = [0.0, 1 / (1 + exp(-1.0)) * 4, -2 / (1 + exp(2.0)) * 5]
        #expect(zip(gate, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 })
    }

    @Test func sortDescendingBreaksTiesByIndex() {
        var order = [Int32](repeating: 0, count: 5)
        ck_sort_descending([1, 3, 3, -Float.infinity, 2], 5, &order)
        #expect(order == [1, 2, 4, 0, 3])
    }
}

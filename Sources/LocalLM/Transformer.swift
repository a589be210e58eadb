import CKernels
import Foundation

/// The shape of a llama-family model, read from GGUF metadata.
public struct TransformerConfig: Sendable, Hashable {
    public enum RopeLayout: String, Sendable, Hashable {
        /// Adjacent pairs (2i, 2i+1): GGUF `llama` files (the converter permutes Q and K for this).
        case normal
        /// Halves (i, i + d/2): `qwen2` files.
        case neox
    }

    public var architecture: String
    public var layers: Int
    public var width: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ropeDimensions: Int
    public var ropeBase: Float
    public var ropeScale: Float
    public var ropeLayout: RopeLayout
    public var normEpsilon: Float
    public var contextLength: Int
    public var vocabularySize: Int

    /// Architectures whose GGUF tensors this transformer knows, and their rotary layout.
    public static let architectures: [String: RopeLayout] = ["llama": .normal, "qwen2": .neox]

    init(file: GGUFFile) throws {
        guard let arch = file["general.architecture"]?.stringValue else {
            throw GGUFError(.missingKey, file: file.path, "general.architecture is missing; this is not a model file")
        }
        guard let layout = TransformerConfig.architectures[arch] else {
            throw GGUFError(.unsupportedModel, file: file.path, "architecture '\(arch)' is not supported (supported: \(TransformerConfig.architectures.keys.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String) throws -> Int {
            guard let v = file["\(arch).\(key)"]?.intValue, v > 0 else {
                throw GGUFError(.missingKey, file: file.path, "\(arch).\(key) is missing or not a positive whole number")
            }
            return v
        }
        architecture = arch
        ropeLayout = layout
        layers = try int("block_count")
        width = try int("embedding_length")
        feedForward = try int("feed_forward_length")
        heads = try int("attention.head_count")
        kvHeads = file["\(arch).attention.head_count_kv"]?.intValue ?? heads
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw GGUFError(.invalid, file: file.path, "\(heads) attention heads cannot be shared by \(kvHeads) key/value heads")
        }
        headDim = file["\(arch).attention.key_length"]?.intValue ?? width / heads
        ropeDimensions = file["\(arch).rope.dimension_count"]?.intValue ?? headDim
        guard ropeDimensions % 2 == 0, ropeDimensions <= headDim, headDim % 2 == 0 else {
            throw GGUFError(.invalid, file: file.path, "rope dimension \(ropeDimensions) does not fit head size \(headDim)")
        }
        ropeBase = Float(file["\(arch).rope.freq_base"]?.doubleValue ?? 10_000)
        ropeScale = 1
        if let type = file["\(arch).rope.scaling.type"]?.stringValue, type == "linear",
           let factor = file["\(arch).rope.scaling.factor"]?.doubleValue, factor > 0 {
            ropeScale = Float(1 / factor)
        }
        normEpsilon = Float(file["\(arch).attention.layer_norm_rms_epsilon"]?.doubleValue ?? 1e-5)
        contextLength = file["\(arch).context_length"]?.intValue ?? 2048
        vocabularySize = file["\(arch).vocab_size"]?.intValue ?? file["tokenizer.ggml.tokens"]?.arrayItems?.count ?? 0
    }
}

/// Whose floating-point arithmetic the engine reproduces, to the last bit, on x86-64.
///
/// llama.cpp's CPU backend sums and approximates differently when built for AVX2 or for AVX-512;
/// a one-bit difference early in the network can flip an 8-bit activation code, and greedy
/// continuations then part ways. The engine follows either build on any machine with AVX2.
public enum KernelNumerics: String, Sendable, Hashable, CaseIterable {
    /// llama.cpp built for AVX2 (8-lane vectors): the build that recorded `Tests/Reference/llm`.
    case llamaCppAVX2 = "llama.cpp-avx2"
    /// llama.cpp built for AVX-512 (16-lane vectors).
    case llamaCppAVX512 = "llama.cpp-avx512"

    var profile: Int32 { self == .llamaCppAVX512 ? Int32(CK_PROFILE_AVX512) : Int32(CK_PROFILE_AVX2) }
}

/// One layer's weights, pointing into the mapped file.
struct LayerWeights {
    let attentionNorm: UnsafePointer<Float>
    let q: WeightMatrix, k: WeightMatrix, v: WeightMatrix, o: WeightMatrix
    let qBias: UnsafePointer<Float>?, kBias: UnsafePointer<Float>?, vBias: UnsafePointer<Float>?, oBias: UnsafePointer<Float>?
    let ffnNorm: UnsafePointer<Float>
    let gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix
}

/// The key/value cache of one sequence: F16 keys and values for every layer and position.
///
/// A reference type with owned storage (no copy-on-write of megabytes per token); each sequence
/// of a batch has its own. Pages are touched only as positions are filled.
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    let stride: Int
    let layers: Int
    private let keys: UnsafeMutablePointer<UInt16>
    private let values: UnsafeMutablePointer<UInt16>
    /// Positions filled so far.
    public internal(set) var count: Int = 0

    public init(config: TransformerConfig, capacity: Int) {
        self.capacity = capacity
        stride = config.kvHeads * config.headDim
        layers = config.layers
        let size = max(1, config.layers * capacity * stride)
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// The keys of `layer`, `capacity * stride` values.
    func keys(_ layer: Int) -> UnsafeMutablePointer<UInt16> { keys + layer * capacity * stride }
    func values(_ layer: Int) -> UnsafeMutablePointer<UInt16> { values + layer * capacity * stride }

    /// Bytes of keys and values held per position.
    var bytesPerPosition: Int { 2 * layers * stride * MemoryLayout<UInt16>.size }

    /// Forgets every position after the first `length` (to reuse a shared prefix).
    public func truncate(to length: Int) { count = min(count, max(0, length)) }

    /// Copies the first `length` positions of `other` (a cache of the same model) into this one.
    func copyPrefix(of other: KVCache, length: Int) {
        precondition(length <= other.count && length <= capacity && other.stride == stride && other.layers == layers)
        for l in 0..<layers {
            keys(l).update(from: other.keys(l), count: length * stride)
            values(l).update(from: other.values(l), count: length * stride)
        }
        count = length
    }
}

/// One token of a forward step: which sequence's cache it extends, at which position, and how.
struct BatchRow: Sendable {
    var token: Int
    var position: Int
    /// Index of the sequence's cache in the step's `caches`.
    var sequence: Int
    /// True when llama.cpp would evaluate this token as part of a multi-token batch of its own
    /// sequence (its attention sums in that order); see ``Transformer/attentionBatched(position:promptLength:)``.
    var batchedAttention: Bool
    /// True when the step should return this token's logits.
    var wantsLogits: Bool
}

/// The llama-family forward pass over memory-mapped (and, for the hot types, repacked) weights.
/// Not thread-safe: one owner (the batch scheduler) drives it at a time.
final class Transformer {
    let file: GGUFFile
    let config: TransformerConfig
    let embedding: WeightMatrix
    let output: WeightMatrix
    let outputNorm: UnsafePointer<Float>
    let ropeFactors: UnsafePointer<Float>?
    let layers: [LayerWeights]
    let numerics: KernelNumerics
    let pool: ComputePool?
    private let packedBuffers: [UnsafeMutableRawPointer]

    init(file: GGUFFile, numerics: KernelNumerics = .llamaCppAVX2, pool: ComputePool? = nil) throws {
        self.file = file
        self.numerics = numerics
        self.pool = pool
        var packedBuffers: [UnsafeMutableRawPointer] = []
        var config = try TransformerConfig(file: file)

        func tensor(_ name: String) throws -> GGUFTensorInfo {
            guard let t = file.tensor(named: name) else {
                throw GGUFError(.missingTensor, file: file.path, "tensor \(name) is missing; the file is not a complete \(config.architecture) model")
            }
            return t
        }
        func matrix(_ name: String, rows: Int, cols: Int, pack: Bool = true) throws -> WeightMatrix {
            let t = try tensor(name)
            guard t.type.isComputable else {
                throw GGUFError(.unsupportedType, file: file.path, "tensor \(name) has type \(t.type.name), which this engine cannot compute with (supported: \(GGMLType.computable.joined(separator: ", "))); use a file quantised with one of those")
            }
            guard t.dimensions.count <= 2, t.rowLength == cols, t.rows == rows else {
                throw GGUFError(.invalid, file: file.path, "tensor \(name) has shape \(t.dimensions), expected [\(cols), \(rows)]")
            }
            var packed: UnsafeRawPointer?
            let code = Int32(t.type.code)
            let bytes = ck_packed_bytes(code, Int64(rows), Int64(cols))
            if pack, bytes > 0 {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                ck_repack(code, file.data(of: t), cols / t.type.blockElements * t.type.blockBytes, Int64(rows), Int64(cols), buffer)
                packedBuffers.append(buffer)
                packed = UnsafeRawPointer(buffer)
                file.releasePages(of: t)
            }
            return WeightMatrix(name: name, type: t.type, rows: rows, cols: cols, data: file.data(of: t), packed: packed)
        }
        func vector(_ name: String, count: Int) throws -> UnsafePointer<Float> {
            let t = try tensor(name)
            guard t.type.name == "F32", t.elementCount == count else {
                throw GGUFError(.invalid, file: file.path, "tensor \(name) should be \(count) F32 values, found \(t.elementCount) \(t.type.name)")
            }
            return file.data(of: t).assumingMemoryBound(to: Float.self)
        }
        func optionalVector(_ name: String, count: Int) throws -> UnsafePointer<Float>? {
            file.tensor(named: name) == nil ? nil : try vector(name, count: count)
        }

        let vocab = try tensor("token_embd.weight")
        guard vocab.dimensions.count == 2, vocab.rowLength == config.width else {
            throw GGUFError(.invalid, file: file.path, "token_embd.weight has shape \(vocab.dimensions), expected [\(config.width), vocabulary]")
        }
        config.vocabularySize = vocab.rows
        self.config = config
        let tied = file.tensor(named: "output.weight") == nil
        embedding = try matrix("token_embd.weight", rows: vocab.rows, cols: config.width, pack: tied)
        output = tied ? embedding : try matrix("output.weight", rows: vocab.rows, cols: config.width)
        outputNorm = try vector("output_norm.weight", count: config.width)
        ropeFactors = try optionalVector("rope_freqs.weight", count: config.ropeDimensions / 2)

        let qDim = config.heads * config.headDim, kvDim = config.kvHeads * config.headDim
        layers = try (0..<config.layers).map { i in
            let p = "blk.\(i)."
            return LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: config.width),
                q: try matrix(p + "attn_q.weight", rows: qDim, cols: config.width),
                k: try matrix(p + "attn_k.weight", rows: kvDim, cols: config.width),
                v: try matrix(p + "attn_v.weight", rows: kvDim, cols: config.width),
                o: try matrix(p + "attn_output.weight", rows: config.width, cols: qDim),
                qBias: try optionalVector(p + "attn_q.bias", count: qDim),
                kBias: try optionalVector(p + "attn_k.bias", count: kvDim),
                vBias: try optionalVector(p + "attn_v.bias", count: kvDim),
                oBias: try optionalVector(p + "attn_output.bias", count: config.width),
                ffnNorm: try vector(p + "ffn_norm.weight", count: config.width),
                gate: try matrix(p + "ffn_gate.weight", rows: config.feedForward, cols: config.width),
                up: try matrix(p + "ffn_up.weight", rows: config.feedForward, cols: config.width),
                down: try matrix(p + "ffn_down.weight", rows: config.width, cols: config.feedForward)
            )
        }
        self.packedBuffers = packedBuffers
    }

    deinit { packedBuffers.forEach { $0.deallocate() } }

    /// Tokens evaluated together at most (llama.cpp's default micro-batch, whose summation order the
    /// kernels follow: a one-token remainder is evaluated as a single token there too).
    static let microBatch = 512

    /// Whether the prompt token at `position` of a prompt of `promptLength` tokens is evaluated in a
    /// multi-token micro-batch when the whole prompt is run from position 0 (as llama.cpp runs it).
    /// A prompt's tokens keep that arithmetic however the engine actually groups them (prefix cache
    /// hits, batches shared with other sequences), so their results never depend on the grouping.
    static func attentionBatched(position: Int, promptLength: Int) -> Bool {
        let start = position / microBatch * microBatch
        return min(microBatch, promptLength - start) > 1
    }

    func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(config: config, capacity: min(capacity ?? config.contextLength, config.contextLength))
    }

    /// One step over tokens of any number of sequences: every row's key and value go into its
    /// sequence's cache at its position, matrix products run over all rows at once (on the compute
    /// pool), attention per row over its own cache. Returns the logits of the rows that want them,
    /// in row order. A row's results do not depend on the other rows.
    func forward(_ rows: [BatchRow], caches: [KVCache]) -> [[Float]] {
        let n = rows.count
        guard n > 0 else { return [] }
        for row in rows {
            precondition(row.position < caches[row.sequence].capacity, "the KV cache is full")
        }
        let c = config
        let qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        let handle = pool?.handle
        let x = Buffer(n * c.width), h = Buffer(n * c.width)
        let q = Buffer(n * qDim), k = Buffer(n * kvDim), v = Buffer(n * kvDim), attn = Buffer(n * qDim)
        let gate = Buffer(n * c.feedForward), up = Buffer(n * c.feedForward)
        defer { [x, h, q, k, v, attn, gate, up].forEach { $0.free() } }

        for (i, row) in rows.enumerated() {
            let id = min(max(row.token, 0), embedding.rows - 1)
            Kernels.dequantize(type: embedding.type, row: embedding.row(id), into: x.p + i * c.width, count: c.width)
        }
        let scale = 1 / Float(c.headDim).squareRoot()
        let neox: Int32 = c.ropeLayout == .neox ? 1 : 0
        var queries = [ck_attention_query](repeating: ck_attention_query(), count: n)
        for (l, w) in layers.enumerated() {
            for i in 0..<n { ck_rmsnorm(x.p + i * c.width, w.attentionNorm, h.p + i * c.width, Int64(c.width), c.normEpsilon) }
            Kernels.matmul([(w.q, q.p), (w.k, k.p), (w.v, v.p)], h.p, batch: n, pool: handle)
            for (i, row) in rows.enumerated() {
                if let b = w.qBias { ck_add(q.p + i * qDim, b, Int64(qDim)) }
                if let b = w.kBias { ck_add(k.p + i * kvDim, b, Int64(kvDim)) }
                if let b = w.vBias { ck_add(v.p + i * kvDim, b, Int64(kvDim)) }
                let pos = Int64(row.position)
                ck_rope(q.p + i * qDim, Int64(c.heads), Int64(c.headDim), Int64(c.ropeDimensions), pos, c.ropeBase, c.ropeScale, neox, ropeFactors)
                ck_rope(k.p + i * kvDim, Int64(c.kvHeads), Int64(c.headDim), Int64(c.ropeDimensions), pos, c.ropeBase, c.ropeScale, neox, ropeFactors)
                let cache = caches[row.sequence]
                ck_f32_to_f16_row(k.p + i * kvDim, cache.keys(l) + row.position * cache.stride, Int64(kvDim))
                ck_f32_to_f16_row(v.p + i * kvDim, cache.values(l) + row.position * cache.stride, Int64(kvDim))
            }
            for (i, row) in rows.enumerated() {
                let cache = caches[row.sequence]
                queries[i] = ck_attention_query(q: q.p + i * qDim, k_cache: cache.keys(l), v_cache: cache.values(l),
                                                n_past: Int64(row.position + 1), batched: row.batchedAttention ? 1 : 0, out: attn.p + i * qDim)
            }
            ck_attention_pooled(handle, queries, Int64(n), Int64(c.heads), Int64(c.kvHeads), Int64(c.headDim), Int64(kvDim), scale, numerics.profile)
            Kernels.matmul([(w.o, h.p)], attn.p, batch: n, pool: handle)
            if let b = w.oBias { for i in 0..<n { ck_add(h.p + i * c.width, b, Int64(c.width)) } }
            ck_add(x.p, h.p, Int64(n * c.width))

            for i in 0..<n { ck_rmsnorm(x.p + i * c.width, w.ffnNorm, h.p + i * c.width, Int64(c.width), c.normEpsilon) }
            Kernels.matmul([(w.gate, gate.p), (w.up, up.p)], h.p, batch: n, pool: handle)
            ck_swiglu_pooled(handle, gate.p, up.p, Int64(n), Int64(c.feedForward), Int64(c.feedForward), numerics.profile)
            Kernels.matmul([(w.down, h.p)], gate.p, batch: n, pool: handle)
            ck_add(x.p, h.p, Int64(n * c.width))
        }
        for row in rows {
            let cache = caches[row.sequence]
            cache.count = max(cache.count, row.position + 1)
        }

        let wanted = rows.indices.filter { rows[$0].wantsLogits }
        guard !wanted.isEmpty else { return [] }
        for (j, i) in wanted.enumerated() {
            ck_rmsnorm(x.p + i * c.width, outputNorm, h.p + j * c.width, Int64(c.width), c.normEpsilon)
        }
        let logits = Buffer(wanted.count * output.rows)
        defer { logits.free() }
        Kernels.matmul([(output, logits.p)], h.p, batch: wanted.count, pool: handle)
        return (0..<wanted.count).map { j in Array(UnsafeBufferPointer(start: logits.p + j * output.rows, count: output.rows)) }
    }
}

/// A scratch float buffer freed explicitly (no per-element Swift overhead in debug builds).
struct Buffer {
    let p: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        p = .allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
    }
    func free() { p.deallocate() }
}

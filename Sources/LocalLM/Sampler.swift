import CKernels
import LanguageModel

/// The set of token ids allowed at one decoding step.
public struct TokenMask: Sendable, Hashable {
    public private(set) var words: [UInt64]
    public let count: Int

    /// A mask over `count` tokens with every token allowed (`allowed` true) or none.
    public init(count: Int, allowed: Bool) {
        self.count = count
        words = Array(repeating: allowed ? ~0 : 0, count: (count + 63) / 64)
    }

    /// A mask over `count` tokens from its bit words (bit `i % 64` of word `i / 64` allows token `i`).
    public init(count: Int, words: [UInt64]) {
        precondition(words.count == (count + 63) / 64, "a mask over \(count) tokens has \((count + 63) / 64) words")
        self.count = count
        self.words = words
    }

    /// True when no token is allowed.
    public var isEmpty: Bool { words.withUnsafeBufferPointer { ck_bits_count($0.baseAddress!, Int64($0.count)) == 0 } }

    public subscript(token: Int) -> Bool {
        get { token >= 0 && token < count && words[token >> 6] & (1 << UInt64(token & 63)) != 0 }
        set {
            guard token >= 0, token < count else { return }
            if newValue { words[token >> 6] |= 1 << UInt64(token & 63) } else { words[token >> 6] &= ~(1 << UInt64(token & 63)) }
        }
    }
}

/// A plug-in that restricts which tokens may come next (schema-constrained decoding, grammars).
///
/// The generator asks for a mask before each step and reports the token chosen after it.
public protocol TokenConstraint: Sendable {
    /// Tokens allowed next, or nil when any token is.
    mutating func allowedTokens(vocabularySize: Int) -> TokenMask?
    /// The token the sampler chose.
    mutating func accept(_ token: Int)
    /// True once the constrained output is complete: generation ends there.
    var isComplete: Bool { get }
    /// Bytes that must come next whatever the model would choose (a key after `,`, the rest of
    /// the only enum value left): the generator feeds them without sampling, in one batch.
    mutating func forcedBytes() -> [UInt8]
}

extension TokenConstraint {
    public mutating func forcedBytes() -> [UInt8] { [] }
}

/// A small, fast, seedable generator (xoshiro256**), so equal seeds give equal samples everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// Chooses the next token from logits by ``SamplingSettings``: repetition penalty, then greedy
/// argmax at temperature 0, otherwise top-k, top-p, min-p, temperature and a seeded draw.
public struct Sampler: Sendable {
    public let settings: SamplingSettings
    private var rng: SeededGenerator
    private var recent: [Int] = []

    public init(settings: SamplingSettings) {
        self.settings = settings
        rng = SeededGenerator(seed: settings.seed)
    }

    /// Remembers tokens for the repetition penalty (the prompt's, then each one generated).
    public mutating func observe(_ tokens: [Int]) {
        recent += tokens
        let window = max(0, settings.repetitionWindow)
        if recent.count > window { recent.removeFirst(recent.count - window) }
    }

    /// The next token. `logits` is consumed (modified in place); `mask` removes disallowed tokens.
    public mutating func sample(_ logits: inout [Float], mask: TokenMask? = nil) -> Int {
        let n = logits.count
        if settings.repetitionPenalty != 1, settings.repetitionPenalty > 0 {
            let penalty = Float(settings.repetitionPenalty)
            for token in Set(recent) where token < n {
                logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty
            }
        }
        if let mask {
            // In C: a Swift loop over the vocabulary costs milliseconds a token in debug builds.
            logits.withUnsafeMutableBufferPointer { l in mask.words.withUnsafeBufferPointer { ck_mask_logits(l.baseAddress!, Int64(min(n, mask.count)), $0.baseAddress!) } }
            if n > mask.count { for i in mask.count..<n { logits[i] = -.infinity } }
        }
        if settings.temperature <= 0 {
            return logits.withUnsafeBufferPointer { Int(ck_argmax($0.baseAddress!, Int64(n))) }
        }

        var order = [Int32](repeating: 0, count: n)
        logits.withUnsafeBufferPointer { l in order.withUnsafeMutableBufferPointer { ck_sort_descending(l.baseAddress!, Int64(n), $0.baseAddress!) } }
        var keep = n
        while keep > 1, logits[Int(order[keep - 1])] == -.infinity { keep -= 1 }
        if settings.topK > 0 { keep = min(keep, settings.topK) }

        var candidates = (0..<keep).map { logits[Int(order[$0])] }
        var probabilities = candidates
        probabilities.withUnsafeMutableBufferPointer { _ = ck_softmax($0.baseAddress!, Int64(keep)) }
        if settings.topP < 1 {
            var cumulative: Float = 0
            var cut = keep
            for i in 0..<keep {
                cumulative += probabilities[i]
                if cumulative >= Float(settings.topP) { cut = i + 1; break }
            }
            keep = max(1, cut)
        }
        if settings.minP > 0 {
            let floor = probabilities[0] * Float(settings.minP)
            var cut = 1
            while cut < keep, probabilities[cut] >= floor { cut += 1 }
            keep = cut
        }
        candidates.removeLast(candidates.count - keep)
        let temperature = Float(settings.temperature)
        for i in 0..<keep { candidates[i] /= temperature }
        candidates.withUnsafeMutableBufferPointer { _ = ck_softmax($0.baseAddress!, Int64(keep)) }

        let draw = rng.unit()
        var cumulative = 0.0
        for i in 0..<keep {
            cumulative += Double(candidates[i])
            if draw < cumulative { return Int(order[i]) }
        }
        return Int(order[keep - 1])
    }
}

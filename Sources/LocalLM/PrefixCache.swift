import Foundation

/// Keys and values of recent prompts, so that a prompt sharing a prefix with one of them (an
/// agent's system prompt and role instructions) starts from that state instead of recomputing it.
///
/// Bounded by bytes; the least recently used prompt goes first. A stored prompt that another one
/// extends is replaced by the longer one. Only positions that a fresh prefill evaluates in a
/// multi-token batch are stored (see ``Transformer/attentionBatched(position:promptLength:)``), and
/// a hit leaves at least one prompt token to compute, so a hit gives bit for bit the tokens of a miss.
/// Not thread-safe: the batch scheduler owns it.
final class PrefixCache {
    private struct Entry {
        var tokens: [Int]
        var cache: KVCache
        var lastUse: UInt64
        var bytes: Int { tokens.count * cache.bytesPerPosition }
    }

    /// Most bytes of keys and values kept.
    let capacityBytes: Int
    /// Shortest prefix worth storing.
    let minimumTokens: Int
    private var entries: [Entry] = []
    private var clock: UInt64 = 0
    private(set) var bytes = 0
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacityBytes: Int, minimumTokens: Int = 16) {
        self.capacityBytes = max(0, capacityBytes)
        self.minimumTokens = max(1, minimumTokens)
    }

    var count: Int { entries.count }

    /// Copies into `cache` (empty) the longest stored prefix of `prompt`, at most `limit` tokens,
    /// and returns its length (0 on a miss).
    func restore(_ prompt: [Int], limit: Int, into cache: KVCache) -> Int {
        var best = -1, bestLength = 0
        for (i, entry) in entries.enumerated() {
            let length = commonPrefix(entry.tokens, prompt, limit: min(limit, cache.capacity))
            if length > bestLength { best = i; bestLength = length }
        }
        guard best >= 0, bestLength >= minimumTokens else { misses += 1; return 0 }
        clock += 1
        entries[best].lastUse = clock
        cache.copyPrefix(of: entries[best].cache, length: bestLength)
        hits += 1
        return bestLength
    }

    /// Stores the first `length` positions of `cache`, which hold `tokens[..<length]`.
    func store(_ tokens: ArraySlice<Int>, from cache: KVCache, config: TransformerConfig) {
        let length = tokens.count
        guard length >= minimumTokens, length <= cache.count else { return }
        clock += 1
        if let i = entries.firstIndex(where: { $0.tokens.count >= length && $0.tokens.starts(with: tokens) }) {
            entries[i].lastUse = clock
            return
        }
        let needed = length * cache.bytesPerPosition
        guard needed <= capacityBytes else { return }
        // An entry this prompt extends is superseded by it. So is one that shares a prefix of at
        // least `minimumTokens` with it and then diverges — the same role's prompt of an earlier
        // day: this prompt carries the shared part (the role's instructions), and the other's own
        // tail is rarely asked for again. Without this, a desk's four roles leave eight entries,
        // and plain LRU evicts the roles that come last in a decision before they are asked again.
        entries.removeAll { entry in
            let shared = commonPrefix(entry.tokens, Array(tokens), limit: length)
            let superseded = shared == entry.tokens.count || shared >= minimumTokens
            if superseded { bytes -= entry.bytes }
            return superseded
        }
        while bytes + needed > capacityBytes, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            bytes -= entries[oldest].bytes
            entries.remove(at: oldest)
        }
        let copy = KVCache(config: config, capacity: length)
        copy.copyPrefix(of: cache, length: length)
        entries.append(Entry(tokens: Array(tokens), cache: copy, lastUse: clock))
        bytes += needed
    }

    private func commonPrefix(_ a: [Int], _ b: [Int], limit: Int) -> Int {
        let n = min(a.count, b.count, limit)
        var i = 0
        while i < n, a[i] == b[i] { i += 1 }
        return i
    }
}

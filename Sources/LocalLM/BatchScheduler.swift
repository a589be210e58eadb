import Foundation

/// What the engine has done so far: how many forward steps it ran, how full they were, and how
/// the prefix cache fared. For benchmarks and tests.
public struct EngineStatistics: Sendable, Hashable {
    /// Forward steps run.
    public var steps = 0
    /// Token rows evaluated over all steps.
    public var rows = 0
    /// Most sequences that shared one step.
    public var mostSequencesInAStep = 0
    /// Prompts that started from a cached prefix, and prompts that did not.
    public var prefixHits = 0
    public var prefixMisses = 0
    /// Prompt tokens taken from the prefix cache instead of computed.
    public var reusedPromptTokens = 0
    /// Bytes of keys and values the prefix cache holds now.
    public var prefixCacheBytes = 0
}

/// The one driver of a model's forward passes: every active sequence (a request being generated,
/// with its own KV cache) hands it the tokens it needs evaluated next, and it evaluates them
/// together in one step (one matrix product per weight for all rows) as soon as every active
/// sequence is waiting. Sequences join with ``begin(prompt:capacity:)`` and retire with
/// ``end()``, so steps grow and shrink as requests arrive and finish.
///
/// A row's arithmetic does not depend on the other rows of its step (see ``Transformer``), so a
/// sequence's tokens are bit for bit those it gets alone. The actor runs on a thread of its own
/// (``ComputeExecutor``), which works as thread 0 of the model's ``ComputePool``: concurrent
/// requests share that pool and never add threads, and the cooperative pool is never blocked.
actor BatchScheduler {
    private let executor: ComputeExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let transformer: Transformer
    private let prefixCache: PrefixCache
    private var active = 0
    private var pending: [Pending] = []
    private var statistics = EngineStatistics()

    private struct Pending {
        var tokens: ArraySlice<Int>
        /// The whole prompt's length when these are prompt tokens (their attention follows a fresh
        /// prefill of that prompt); nil for a generated token.
        var promptLength: Int?
        var cache: KVCache
        var continuation: CheckedContinuation<[Float], Never>
    }

    init(transformer: Transformer, prefixCacheBytes: Int) {
        executor = ComputeExecutor(name: "LocalLM scheduler")
        self.transformer = transformer
        prefixCache = PrefixCache(capacityBytes: prefixCacheBytes)
    }

    /// Adds a sequence: a KV cache of `capacity` positions, already holding the longest cached
    /// prefix of `prompt` (at least one prompt token is left to compute). Every `begin` needs an ``end()``.
    func begin(prompt: [Int], capacity: Int) -> (cache: KVCache, reused: Int) {
        active += 1
        let cache = transformer.makeCache(capacity: capacity)
        let reused = prompt.count > 1 ? prefixCache.restore(prompt, limit: prompt.count - 1, into: cache) : 0
        if reused > 0 { statistics.prefixHits += 1; statistics.reusedPromptTokens += reused } else { statistics.prefixMisses += 1 }
        return (cache, reused)
    }

    /// Retires a sequence; the others no longer wait for it.
    func end() {
        active -= 1
        stepIfEveryoneWaits()
    }

    /// Evaluates the prompt tokens after those already in `cache` (in micro-batches, each shared
    /// with whatever the other sequences need at the time), remembers the prompt's keys and values
    /// for later prompts that share a prefix, and returns the logits after the last token.
    func prefill(_ prompt: [Int], cache: KVCache) async -> [Float] {
        precondition(cache.count < prompt.count, "nothing of the prompt is left to evaluate")
        var logits: [Float] = []
        var index = cache.count
        while index < prompt.count {
            let end = min(prompt.count, index + Transformer.microBatch)
            logits = await evaluate(prompt[index..<end], promptLength: prompt.count, cache: cache)
            index = end
        }
        // Positions a fresh prefill evaluates one token alone (a one-token last micro-batch) are not stored.
        let last = prompt.count - 1
        let storable = Transformer.attentionBatched(position: last, promptLength: prompt.count) ? prompt.count : last
        prefixCache.store(prompt[..<storable], from: cache, config: transformer.config)
        return logits
    }

    /// Evaluates generated tokens (a sampled one, then any a constraint forced) at the cache's next
    /// positions and returns the logits after the last.
    func decode(_ tokens: [Int], cache: KVCache) async -> [Float] {
        await evaluate(tokens[...], promptLength: nil, cache: cache)
    }

    /// Evaluates one generated token at the cache's next position and returns the logits after it.
    func decode(_ token: Int, cache: KVCache) async -> [Float] {
        await evaluate([token], promptLength: nil, cache: cache)
    }

    /// Logits after `tokens` on a fresh cache, for comparisons; the prefix cache is neither read nor written.
    func logits(after tokens: [Int]) async -> [Float] {
        active += 1
        defer { active -= 1 }
        let cache = transformer.makeCache(capacity: tokens.count)
        var logits: [Float] = []
        var index = 0
        while index < tokens.count {
            let end = min(tokens.count, index + Transformer.microBatch)
            logits = await evaluate(tokens[index..<end], promptLength: tokens.count, cache: cache)
            index = end
        }
        return logits
    }

    func currentStatistics() -> EngineStatistics {
        var s = statistics
        s.prefixCacheBytes = prefixCache.bytes
        return s
    }

    private func evaluate(_ tokens: ArraySlice<Int>, promptLength: Int?, cache: KVCache) async -> [Float] {
        await withCheckedContinuation { continuation in
            pending.append(Pending(tokens: tokens, promptLength: promptLength, cache: cache, continuation: continuation))
            stepIfEveryoneWaits()
        }
    }

    /// Runs one step over everything pending once no active sequence is still preparing its next tokens.
    private func stepIfEveryoneWaits() {
        guard !pending.isEmpty, pending.count >= active else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        var rows: [BatchRow] = []
        for (s, item) in batch.enumerated() {
            let start = item.cache.count
            for (i, token) in item.tokens.enumerated() {
                let position = start + i
                let batched = item.promptLength.map { Transformer.attentionBatched(position: position, promptLength: $0) } ?? false
                rows.append(BatchRow(token: token, position: position, sequence: s, batchedAttention: batched,
                                     wantsLogits: i == item.tokens.count - 1))
            }
        }
        let logits = transformer.forward(rows, caches: batch.map(\.cache))
        statistics.steps += 1
        statistics.rows += rows.count
        statistics.mostSequencesInAStep = max(statistics.mostSequencesInAStep, batch.count)
        for (item, result) in zip(batch, logits) { item.continuation.resume(returning: result) }
    }
}

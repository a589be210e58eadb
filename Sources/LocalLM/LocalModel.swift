import Foundation
import LanguageModel

/// The outcome of one generation: the new tokens, their text, why it stopped, and what it cost.
public struct Generation: Sendable, Hashable {
    public var tokenIDs: [Int]
    public var text: String
    public var finishReason: FinishReason
    public var usage: Usage
}

/// A GGUF model running in this process: the desk's default ``LanguageModel``.
///
/// Concurrent requests each get their own KV cache and are stepped together by one scheduler
/// (batched decode; a request's tokens are the same as when it runs alone), on one shared pool
/// of compute threads. Prompts that share a prefix with a recent one (an agent's system prompt)
/// start from its cached keys and values. The calling task's cancellation is checked between tokens. A request's `schema` is not yet
/// enforced while decoding (the caller validates the output); ``TokenConstraint`` is the hook
/// for constrained decoding.
public actor LocalModel: LanguageModel {
    public nonisolated let descriptor: ModelDescriptor
    /// The tokenizer, usable from any thread.
    public nonisolated let tokenizer: Tokenizer
    /// The chat format prompts are rendered with.
    public nonisolated let chatTemplate: ChatTemplate?
    /// Why the file's chat template could not be used, when it could not.
    public nonisolated let chatTemplateProblem: String?
    public nonisolated let config: TransformerConfig
    public nonisolated let file: GGUFFile
    /// The compute threads every request of this model shares.
    public nonisolated let pool: ComputePool
    private let engine: BatchScheduler
    private nonisolated let executor = ModelExecutor(label: "LocalModel")
    /// The actor's own work (sampling, masks) runs on a thread of its own, never blocking Swift's cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Loads the model at `path` (memory-mapped). `chatFormat` overrides the file's chat template;
    /// `numerics` chooses which llama.cpp build's arithmetic to reproduce; `threads` how many
    /// threads share its matrix work (default: the process's ``ComputePool/shared`` pool);
    /// `prefixCacheBytes` how much memory keeps the keys and values of recent prompts (0: none).
    public init(path: String, chatFormat: ChatTemplate? = nil, name: String? = nil, numerics: KernelNumerics = .llamaCppAVX2,
                threads: Int? = nil, prefixCacheBytes: Int = LocalModel.defaultPrefixCacheBytes) throws {
        let file = try GGUFFile(path: path)
        let pool = threads.map { ComputePool(threads: $0) } ?? ComputePool.shared
        let transformer = try Transformer(file: file, numerics: numerics, pool: pool)
        let tokenizer = try Tokenizer(file: file)
        var template = chatFormat
        var problem: String?
        if template == nil {
            if let jinja = file["tokenizer.chat_template"]?.stringValue {
                do { template = try ChatTemplate(jinja: jinja) } catch { problem = "\(error)" }
            } else {
                problem = "the model file has no chat template; pass --chat-format (\(ChatTemplate.Family.allCases.map(\.rawValue).joined(separator: ", "))) or use a raw prompt"
            }
        }
        self.file = file
        self.pool = pool
        self.engine = BatchScheduler(transformer: transformer, prefixCacheBytes: prefixCacheBytes)
        self.tokenizer = tokenizer
        self.config = transformer.config
        self.chatTemplate = template
        self.chatTemplateProblem = problem
        let digest = try ModelDigest.sha256(ofFileAt: path)
        let displayName = name ?? file["general.name"]?.stringValue ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        descriptor = ModelDescriptor(name: displayName, digest: digest, contextLength: transformer.config.contextLength)
    }

    /// Loads the model on a thread of its own: mapping, repacking and checking a file takes seconds,
    /// which must not block a thread of Swift's cooperative pool (there is one per core).
    public static func load(path: String, chatFormat: ChatTemplate? = nil, name: String? = nil, numerics: KernelNumerics = .llamaCppAVX2,
                            threads: Int? = nil, prefixCacheBytes: Int = LocalModel.defaultPrefixCacheBytes) async throws -> LocalModel {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    try LocalModel(path: path, chatFormat: chatFormat, name: name, numerics: numerics, threads: threads, prefixCacheBytes: prefixCacheBytes)
                })
            }
            thread.name = "LocalLM loader"
            thread.start()
        }
    }

    /// The conversation as the prompt text the model sees.
    public nonisolated func prompt(for messages: [ChatMessage]) throws -> String {
        guard let chatTemplate else {
            throw LanguageModelError(.unavailable, chatTemplateProblem ?? "no chat template")
        }
        return chatTemplate.render(messages)
    }

    public func complete(_ request: ModelRequest) async throws -> Completion {
        let text = try prompt(for: request.messages)
        let promptTokens = tokenizer.encode(text, parseSpecial: true, addSpecial: true)
        // With a schema, decoding is constrained (Constraints/): the text is JSON that validates.
        let room = max(0, min(request.sampling.maxTokens, config.contextLength - promptTokens.count))
        let constraint = try constraint(for: request, tokenBudget: room)
        let result = try await generate(promptTokens: promptTokens, sampling: request.sampling, constraint: constraint)
        if result.finishReason == .cancelled {
            throw LanguageModelError(.cancelled, "the request was cancelled after \(result.tokenIDs.count) tokens")
        }
        if constraint != nil, result.finishReason != .endOfSequence {
            throw LanguageModelError(.invalidOutput, "constrained decoding ended (\(result.finishReason.rawValue)) before the JSON was complete: \(result.text)")
        }
        return Completion(text: result.text, finishReason: result.finishReason, usage: result.usage,
                          modelDigest: descriptor.digest, tokenIDs: result.tokenIDs)
    }

    /// Generates from prompt token ids. `onText` receives each new piece of text as it is decoded.
    /// Returns with `.cancelled` when the calling task is cancelled.
    ///
    /// With a `constraint`, only the tokens it allows are sampled, the bytes it forces are fed without
    /// sampling in one batch ("jump forward"), and generation ends (`.endOfSequence`) when it is
    /// complete; `sampling.stop` does not apply, since cutting constrained output would break it. A
    /// constraint that allows no token at all is an `invalid_output` error.
    public func generate(promptTokens: [Int], sampling: SamplingSettings, constraint: (any TokenConstraint)? = nil,
                         onText: (@Sendable (String) -> Void)? = nil) async throws -> Generation {
        let started = ContinuousClock.now
        guard !promptTokens.isEmpty else { throw LanguageModelError(.invalidOutput, "the prompt is empty") }
        let maxTokens = max(0, sampling.maxTokens)
        guard promptTokens.count < config.contextLength else {
            throw LanguageModelError(.contextOverflow, "the prompt has \(promptTokens.count) tokens; the model's context holds \(config.contextLength)")
        }
        let (cache, reused) = await engine.begin(prompt: promptTokens, capacity: promptTokens.count + maxTokens)
        var sampler = Sampler(settings: sampling)
        sampler.observe(promptTokens)
        var constraint = constraint

        var generated: [Int] = []
        var bytes: [UInt8] = []
        var emitted = 0
        var firstTokenAt: Duration?
        var finish = FinishReason.maxTokens
        var stopAt: Int?

        if Task.isCancelled { finish = .cancelled }
        var logits = finish == .cancelled ? [] : await engine.prefill(promptTokens, cache: cache)
        // Tokens chosen but not yet run through the model: the last sampled one, then any forced ones.
        var pending: [Int] = []
        do {
            while finish != .cancelled {
                if constraint != nil {
                    let forced = forcedTokens(&constraint!, limit: maxTokens - generated.count)
                    for token in forced {
                        generated.append(token)
                        bytes += tokenizer.bytes(of: token)
                    }
                    sampler.observe(forced)
                    pending += forced
                    if firstTokenAt == nil, !forced.isEmpty { firstTokenAt = ContinuousClock.now - started }
                    if let onText, !forced.isEmpty { emitted = stream(bytes, from: emitted, holdBack: [], to: onText) }
                    if constraint!.isComplete { finish = .endOfSequence; break }
                }
                if generated.count >= maxTokens || cache.count + pending.count > cache.capacity { finish = .maxTokens; break }
                if Task.isCancelled { finish = .cancelled; break }
                if !pending.isEmpty {
                    logits = await engine.decode(pending, cache: cache)
                    pending = []
                }

                var mask = constraint?.allowedTokens(vocabularySize: logits.count)
                if let mask, mask.isEmpty {
                    throw LanguageModelError(.invalidOutput, "the output constraint allows no token after \"\(String(decoding: bytes, as: UTF8.self))\"")
                }
                if sampling.ignoreEndOfSequence {
                    if mask == nil { mask = TokenMask(count: logits.count, allowed: true) }
                    for id in tokenizer.endOfGeneration { mask![id] = false }
                }
                let token = sampler.sample(&logits, mask: mask)
                if firstTokenAt == nil { firstTokenAt = ContinuousClock.now - started }
                if tokenizer.endOfGeneration.contains(token), !sampling.ignoreEndOfSequence {
                    finish = .endOfSequence
                    break
                }
                generated.append(token)
                sampler.observe([token])
                constraint?.accept(token)
                bytes += tokenizer.bytes(of: token)
                pending = [token]

                if constraint == nil, !sampling.stop.isEmpty {
                    let text = String(decoding: bytes, as: UTF8.self)
                    if let hit = sampling.stop.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                        stopAt = text.utf8.distance(from: text.startIndex, to: hit.lowerBound)
                        finish = .stopSequence
                        break
                    }
                }
                if let onText { emitted = stream(bytes, from: emitted, holdBack: constraint == nil ? sampling.stop : [], to: onText) }
                if constraint?.isComplete == true { finish = .endOfSequence; break }
            }
        } catch {
            await engine.end()
            throw error
        }
        await engine.end()
        if let stopAt { bytes.removeLast(bytes.count - stopAt) }
        if let onText, emitted < bytes.count { onText(String(decoding: bytes[emitted...], as: UTF8.self)) }
        let total = ContinuousClock.now - started
        let usage = Usage(promptTokens: promptTokens.count, completionTokens: generated.count, cachedPromptTokens: reused,
                          timeToFirstToken: (firstTokenAt ?? total).seconds, totalSeconds: total.seconds)
        return Generation(tokenIDs: generated, text: String(decoding: bytes, as: UTF8.self), finishReason: finish, usage: usage)
    }

    /// The bytes `constraint` forces next, as at most `limit` tokens it has accepted ("jump
    /// forward": they need no sampling, and the model reads them in one batch). Empty when nothing is forced.
    private nonisolated func forcedTokens(_ constraint: inout any TokenConstraint, limit: Int) -> [Int] {
        let forced = constraint.forcedBytes()
        guard !forced.isEmpty, limit > 0 else { return [] }
        let tokens = tokenizer.encode(String(decoding: forced, as: UTF8.self))
        guard tokens.count <= limit, tokens.flatMap({ tokenizer.bytes(of: $0) }) == forced else { return [] }
        for token in tokens { constraint.accept(token) }
        return tokens
    }

    /// The logits after `tokens` (for comparisons with other engines).
    public func logits(after tokens: [Int]) async throws -> [Float] {
        guard !tokens.isEmpty, tokens.count <= config.contextLength else {
            throw LanguageModelError(.contextOverflow, "logits need 1 to \(config.contextLength) tokens, got \(tokens.count)")
        }
        return await engine.logits(after: tokens)
    }

    /// Memory the prefix cache may use by default: about 2,800 positions of the 135M model.
    public static let defaultPrefixCacheBytes = 64 << 20

    /// Steps, batch sizes and prefix-cache use so far.
    public func statistics() async -> EngineStatistics { await engine.currentStatistics() }

    /// Sends the complete UTF-8 text after `from`, keeping back a tail that could begin a stop sequence.
    private nonisolated func stream(_ bytes: [UInt8], from: Int, holdBack stops: [String], to onText: (String) -> Void) -> Int {
        var end = bytes.count
        // Do not split a UTF-8 sequence.
        var i = end - 1, continuation = 0
        while i >= from, i >= 0, bytes[i] & 0xC0 == 0x80 { continuation += 1; i -= 1 }
        if i >= from, i >= 0 {
            let lead = bytes[i]
            let expected = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
            if continuation < expected { end = i }
        }
        let longestStop = stops.map(\.utf8.count).max() ?? 0
        end = max(from, min(end, bytes.count - max(0, longestStop - 1)))
        while end > from, end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        guard end > from else { return from }
        onText(String(decoding: bytes[from..<end], as: UTF8.self))
        return end
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

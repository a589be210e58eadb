/// A chat message in a model request.
public struct ChatMessage: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable { case system, user, assistant, tool }
    public var role: Role
    public var content: String
    public init(_ role: Role, _ content: String) { self.role = role; self.content = content }
    public static func system(_ content: String) -> ChatMessage { ChatMessage(.system, content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(.user, content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(.assistant, content) }
}

/// How tokens are chosen. The defaults are greedy decoding with no penalties.
///
/// Two requests with equal settings and equal seeds produce equal tokens from the same model.
public struct SamplingSettings: Sendable, Hashable, Codable {
    /// Upper bound on generated tokens.
    public var maxTokens: Int = 256
    /// 0 means greedy (argmax).
    public var temperature: Double = 0
    /// 0 disables top-k.
    public var topK: Int = 0
    /// 1 disables nucleus sampling.
    public var topP: Double = 1
    /// 0 disables min-p.
    public var minP: Double = 0
    /// 1 disables the repetition penalty.
    public var repetitionPenalty: Double = 1
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int = 64
    /// Generation stops before any of these strings (they are not part of the completion).
    public var stop: [String] = []
    public var seed: UInt64 = 0
    /// Keep generating past the end-of-sequence token until `maxTokens`.
    public var ignoreEndOfSequence: Bool = false

    public init(maxTokens: Int = 256, temperature: Double = 0, topK: Int = 0, topP: Double = 1, minP: Double = 0,
                repetitionPenalty: Double = 1, repetitionWindow: Int = 64, stop: [String] = [], seed: UInt64 = 0,
                ignoreEndOfSequence: Bool = false) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.stop = stop
        self.seed = seed
        self.ignoreEndOfSequence = ignoreEndOfSequence
    }
}

/// One call to a model: the conversation, how to sample, and optionally the output's shape.
public struct ModelRequest: Sendable, Hashable {
    public var messages: [ChatMessage]
    public var sampling: SamplingSettings
    /// When set, the completion must be JSON matching this schema. Engines that can constrain
    /// decoding do so; others validate and report ``LanguageModelError/Kind/invalidOutput``.
    public var schema: OutputSchema?
    /// With a schema: free text the model may write before the JSON ("reasoning first"); nil for
    /// the JSON alone (the default: put a bounded `rationale` field in the schema instead).
    public var preamble: OutputPreamble?

    public init(messages: [ChatMessage], sampling: SamplingSettings = SamplingSettings(), schema: OutputSchema? = nil,
                preamble: OutputPreamble? = nil) {
        self.messages = messages
        self.sampling = sampling
        self.schema = schema
        self.preamble = preamble
    }

    /// The request as canonical JSON: the content that, with a model digest, addresses a call in the cache.
    public var canonicalJSON: JSONValue {
        .object([
            .init("messages", .array(messages.map { .object([.init("role", .string($0.role.rawValue)), .init("content", .string($0.content))]) })),
            .init("sampling", .object([
                .init("max_tokens", .number(Double(sampling.maxTokens))),
                .init("temperature", .number(sampling.temperature)),
                .init("top_k", .number(Double(sampling.topK))),
                .init("top_p", .number(sampling.topP)),
                .init("min_p", .number(sampling.minP)),
                .init("repetition_penalty", .number(sampling.repetitionPenalty)),
                .init("repetition_window", .number(Double(sampling.repetitionWindow))),
                .init("stop", .array(sampling.stop.map(JSONValue.string))),
                .init("seed", .string(String(sampling.seed))),
                .init("ignore_eos", .bool(sampling.ignoreEndOfSequence)),
            ])),
            .init("schema", schema?.jsonSchema ?? .null),
        ] + (preamble.map { [.init("preamble", .object([.init("max_characters", .number(Double($0.maxCharacters)))]))] } ?? []))
    }
}

/// Free text a model may write before the JSON of a structured output, at most ``maxCharacters``
/// long. Engines that constrain decoding allow printable ASCII and line breaks there, and the
/// JSON starts at the first `{`; others are asked for it in the prompt by the caller.
public struct OutputPreamble: Sendable, Hashable, Codable {
    public var maxCharacters: Int
    public init(maxCharacters: Int) { self.maxCharacters = maxCharacters }
}

/// Why generation ended.
public enum FinishReason: String, Sendable, Hashable, Codable {
    case endOfSequence = "eos"
    case stopSequence = "stop"
    case maxTokens = "length"
    case cancelled
}

/// What a call cost: tokens and time.
public struct Usage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens whose state came from a prefix cache rather than being computed.
    public var cachedPromptTokens: Int
    /// Seconds from the call's start to its first generated token.
    public var timeToFirstToken: Double
    /// Seconds from the call's start to its end.
    public var totalSeconds: Double

    public init(promptTokens: Int = 0, completionTokens: Int = 0, cachedPromptTokens: Int = 0, timeToFirstToken: Double = 0, totalSeconds: Double = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.timeToFirstToken = timeToFirstToken
        self.totalSeconds = totalSeconds
    }

    /// Generated tokens per second after the first token.
    public var decodeTokensPerSecond: Double {
        let decodeTime = totalSeconds - timeToFirstToken
        return completionTokens > 1 && decodeTime > 0 ? Double(completionTokens - 1) / decodeTime : 0
    }
}

/// A model's answer to a ``ModelRequest``.
public struct Completion: Sendable, Hashable {
    public var text: String
    public var finishReason: FinishReason
    public var usage: Usage
    /// Digest of the model that produced it (SHA-256 of a local file; name and revision of a remote one).
    public var modelDigest: String
    /// The generated token ids, when the engine exposes them.
    public var tokenIDs: [Int]?

    public init(text: String, finishReason: FinishReason, usage: Usage, modelDigest: String, tokenIDs: [Int]? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.modelDigest = modelDigest
        self.tokenIDs = tokenIDs
    }
}

/// Who a model is: what the journal records and what addresses its cached calls.
public struct ModelDescriptor: Sendable, Hashable, Codable {
    /// A human name such as `smollm2` or `openai:http://127.0.0.1:8080/v1#qwen2.5`.
    public var name: String
    /// Content address of the weights (see ``Completion/modelDigest``).
    public var digest: String
    /// Longest prompt plus completion the model accepts, in tokens.
    public var contextLength: Int

    public init(name: String, digest: String, contextLength: Int) {
        self.name = name
        self.digest = digest
        self.contextLength = contextLength
    }
}

/// A language model the desk can think with: the in-process GGUF engine, a remote
/// OpenAI-compatible server, or a scripted double in tests.
///
/// Implementations are safe to call from many actors at once; each request runs on its own
/// state (requests may be batched together, never interleaved on one KV cache). Cancelling the
/// calling task ends generation with ``LanguageModelError/Kind/cancelled``.
public protocol LanguageModel: Sendable {
    var descriptor: ModelDescriptor { get }
    func complete(_ request: ModelRequest) async throws -> Completion
}

/// A model call that did not produce a usable completion. The desk journals it as a failure event.
public struct LanguageModelError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The call took longer than its timeout.
        case timeout
        case cancelled
        /// A per-run budget (calls, tokens, wall time) would be exceeded.
        case budgetExceeded = "budget_exceeded"
        /// The completion did not parse or did not match the schema.
        case invalidOutput = "invalid_output"
        /// The prompt does not fit the context window.
        case contextOverflow = "context_overflow"
        /// Network or server failure of a remote model.
        case transport
        /// The model file or server is unusable.
        case unavailable
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

import Foundation
import LanguageModel

/// How to reach a model behind an OpenAI-compatible chat-completions server, and how patient to be.
///
/// Holds no secret: the API key is named by its environment variable (``apiKeyVariable``) and read
/// when the model is opened, so printing or journalling a configuration never shows it.
public struct RemoteModelConfiguration: Sendable, Hashable {
    /// The server's OpenAI base URL, e.g. `http://127.0.0.1:8080/v1`.
    public var baseURL: URL
    /// The model's name as the server lists it under `GET {baseURL}/models`.
    public var model: String
    /// Environment variable holding the API key, sent as `Authorization: Bearer …`. No key is sent when nil.
    public var apiKeyVariable: String?
    /// Seconds one ``RemoteModel/complete(_:)`` may take, retries, backoff and repairs included.
    public var timeout: Double = 120
    /// Seconds ``RemoteModel/connect(_:environment:)`` may take to learn who serves the model.
    public var connectTimeout: Double = 30
    /// Seconds one HTTP attempt may take before it is abandoned and retried; nil leaves attempts bounded by ``timeout`` only.
    public var attemptTimeout: Double?
    /// Retries of one request after a transient failure (HTTP 408, 429, 5xx other than 501/505, a dropped
    /// or refused connection, a malformed or cut-off body).
    public var maxRetries: Int = 3
    /// Waits between retries when the server does not say how long to wait.
    public var backoff = Backoff()
    /// The longest `Retry-After` the client honours; a server asking for longer fails the call at once.
    public var maxRetryAfter: Double = 60
    /// Follow-up requests that feed a schema violation back to the model before giving up.
    public var maxRepairs: Int = 2
    /// Ask for server-sent events (`stream: true`), which times the first token.
    public var streaming: Bool = true
    /// How a request's output schema reaches the server.
    public var structuredOutput: RemoteModelSpec.StructuredOutput = .auto
    /// Which extra sampling fields to send; `.auto` decides from the server's identity.
    public var dialect: RemoteModelSpec.SamplingDialect = .auto
    /// Context length to report when the server does not say (see ``RemoteModel/defaultContextLength``).
    public var contextLength: Int?
    /// Connections the model keeps to the server at most (concurrent calls beyond this wait for one).
    public var maxConnections: Int = 8

    public init(baseURL: URL, model: String, apiKeyVariable: String? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyVariable = apiKeyVariable
    }

    /// The configuration a parsed `openai:` spec describes; options it leaves out keep their defaults.
    public init(_ spec: RemoteModelSpec) {
        self.init(baseURL: spec.baseURL, model: spec.model, apiKeyVariable: spec.apiKeyVariable)
        if let timeout = spec.timeout { self.timeout = timeout }
        if let retries = spec.maxRetries { maxRetries = retries }
        if let repairs = spec.maxRepairs { maxRepairs = repairs }
        if let streaming = spec.streaming { self.streaming = streaming }
        if let mode = spec.structuredOutput { structuredOutput = mode }
        if let dialect = spec.dialect { self.dialect = dialect }
        contextLength = spec.contextLength
    }

    /// The name the journal records: `openai:BASE-URL#MODEL` (no options, no key).
    public var name: String { ModelSpec.remotePrefix + baseURL.absoluteString + "#" + model }

    /// `baseURL` plus a path such as `chat/completions`.
    func endpoint(_ path: String) -> URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/" + path)!
    }

    /// The server's root (the base URL without a trailing `/v1`), where llama.cpp, Ollama and LM
    /// Studio keep their own endpoints.
    func rootEndpoint(_ path: String) -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        var base = components.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        components.percentEncodedPath = base + "/" + path
        components.percentEncodedQuery = nil
        return components.url!
    }
}

/// Exponential backoff with deterministic jitter.
///
/// Retry `n` (0-based) waits a value in `[d/2, d)` where `d = min(maximum, initial · multiplierⁿ)`.
/// Where in that range is decided by a hash of the request and `n`, so a replayed run waits the
/// same way while concurrent calls with different requests spread out.
public struct Backoff: Sendable, Hashable {
    /// Seconds before the first retry (before jitter).
    public var initial: Double = 0.5
    public var multiplier: Double = 2
    /// Upper bound in seconds (before jitter).
    public var maximum: Double = 8

    public init(initial: Double = 0.5, multiplier: Double = 2, maximum: Double = 8) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
    }

    /// Seconds to wait before retry `retry` (0-based) of a request whose jitter seed is `seed`.
    public func delay(retry: Int, seed: UInt64) -> Double {
        let ceiling = min(maximum, initial * pow(multiplier, Double(max(0, retry))))
        var state = seed &+ UInt64(truncatingIfNeeded: retry) &* 0x9E37_79B9_7F4A_7C15
        let unit = Double(Backoff.splitMix(&state) >> 11) / Double(UInt64(1) << 53)
        return ceiling * (0.5 + 0.5 * unit)
    }

    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

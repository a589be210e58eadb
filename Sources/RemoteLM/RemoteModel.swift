import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LanguageModel

/// A language model behind an OpenAI-compatible chat-completions server (llama.cpp's
/// `llama-server`, Ollama, vLLM, LM Studio, or any service that speaks the same API).
///
/// Open it with ``connect(_:environment:)``, which asks the server once who serves the model and
/// keeps the answer (``identity``, whose digest addresses cached calls) for the instance's life.
///
/// A call (``complete(_:)``) is bounded by ``RemoteModelConfiguration/timeout`` and retried with
/// backoff on transient failures (HTTP 408/429/5xx, dropped or refused connections, malformed or
/// cut-off bodies), honouring `Retry-After`. When the request has a schema, the server is asked for
/// it with `response_format` (`json_schema`, strict); a server that rejects that is asked with
/// `json_object` and a `schema` (llama.cpp's other form) plus the schema spelled out in the prompt,
/// then with the prompt alone, and the first form that works is kept for later calls. Whatever
/// comes back is validated; a reply that does not match is fed back to the model with the problems
/// found, at most ``RemoteModelConfiguration/maxRepairs`` times, then the call fails with
/// ``LanguageModelError/Kind/invalidOutput``. A valid completion's text is the JSON alone.
///
/// Instances are safe to share between tasks; concurrent calls run on their own connections
/// (up to ``RemoteModelConfiguration/maxConnections``). Cancelling the calling task cancels the
/// HTTP request.
public final class RemoteModel: LanguageModel {
    /// Context length reported when neither the configuration nor the server gives one.
    public static let defaultContextLength = 8192

    public let descriptor: ModelDescriptor
    public let configuration: RemoteModelConfiguration
    /// Who serves the model, as the server said when the model was opened.
    public let identity: ServerIdentity
    /// The sampling dialect in use (``RemoteModelConfiguration/dialect``, or the server's own when that is `.auto`).
    public let dialect: RemoteModelSpec.SamplingDialect

    private let exchanger: Exchanger
    /// The first way to ask for a schema in `.auto` mode: moves down once a server has rejected a
    /// form and the next one got an answer, and never back up.
    private let formatFloor = FormatFloor()

    /// Opens the model: reads the API key (if the configuration names one), then asks the server
    /// who serves the model. Throws ``LanguageModelError/Kind/unavailable`` when the key is missing,
    /// the server cannot be reached, or it does not serve the model.
    public static func connect(_ configuration: RemoteModelConfiguration,
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> RemoteModel {
        try await connect(configuration, environment: environment, sleep: { try await Task.sleep(for: $0) })
    }

    /// Opens the model an `openai:` spec names, with the spec's options (see ``RemoteModelConfiguration/init(_:)``).
    public static func connect(_ spec: RemoteModelSpec,
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> RemoteModel {
        try await connect(RemoteModelConfiguration(spec), environment: environment)
    }

    static func connect(_ configuration: RemoteModelConfiguration, environment: [String: String], sleep: @escaping RetrySleeper) async throws -> RemoteModel {
        let exchanger = Exchanger(client: HTTPClient(maxConnections: configuration.maxConnections), configuration: configuration,
                                  credentials: try Credentials.read(configuration.apiKeyVariable, from: environment), sleep: sleep)
        let deadline = ContinuousClock.now.advanced(by: .seconds(configuration.connectTimeout))
        let identity: ServerIdentity
        do {
            identity = try await withDeadline(deadline, onTimeout: {
                LanguageModelError(.unavailable, "\(configuration.baseURL.absoluteString) did not say within \(JSONValue.format(configuration.connectTimeout)) s which models it serves")
            }) {
                try await ServerIdentity.probe(configuration, using: exchanger, deadline: deadline)
            }
        } catch let failed as RequestFailed {
            var error = failed.error(model: configuration.model, keyVariable: configuration.apiKeyVariable, secret: exchanger.credentials?.secret)
            if error.kind == .transport || error.kind == .timeout {
                error = LanguageModelError(.unavailable, "could not open \(configuration.name): \(error.message)")
            }
            throw error
        } catch is CancellationError {
            throw LanguageModelError(.cancelled, "opening \(configuration.name) was cancelled")
        }
        return RemoteModel(configuration: configuration, identity: identity, exchanger: exchanger)
    }

    /// A model whose identity is already known (no request is made until the first call).
    public convenience init(configuration: RemoteModelConfiguration, identity: ServerIdentity,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let exchanger = Exchanger(client: HTTPClient(maxConnections: configuration.maxConnections), configuration: configuration,
                                  credentials: try Credentials.read(configuration.apiKeyVariable, from: environment),
                                  sleep: { try await Task.sleep(for: $0) })
        self.init(configuration: configuration, identity: identity, exchanger: exchanger)
    }

    init(configuration: RemoteModelConfiguration, identity: ServerIdentity, exchanger: Exchanger) {
        self.configuration = configuration
        self.identity = identity
        self.exchanger = exchanger
        dialect = configuration.dialect == .auto ? identity.dialect : configuration.dialect
        descriptor = ModelDescriptor(name: configuration.name, digest: identity.digest,
                                     contextLength: configuration.contextLength ?? identity.contextLength ?? RemoteModel.defaultContextLength)
    }

    // MARK: Calls

    public func complete(_ request: ModelRequest) async throws -> Completion {
        let start = ContinuousClock.now
        let timeout = configuration.timeout
        let name = configuration.name
        let deadline = start.advanced(by: .seconds(timeout))
        do {
            let sampling = try ChatWire.samplingFields(request.sampling, dialect: dialect)
            return try await withDeadline(deadline, onTimeout: {
                LanguageModelError(.timeout, "no complete answer from \(name) within \(JSONValue.format(timeout)) s "
                    + "(the model spec's ?timeout=SECONDS sets a longer limit)")
            }) { [self] in
                try await run(request, sampling: sampling, start: start, deadline: deadline)
            }
        } catch let error as LanguageModelError {
            if error.kind != .timeout, Task.isCancelled { throw cancelled() }
            throw error
        } catch {
            if Task.isCancelled || error is CancellationError { throw cancelled() }
            throw LanguageModelError(.transport, "\(name): \(error)")
        }
    }

    private func cancelled() -> LanguageModelError {
        LanguageModelError(.cancelled, "the call to \(configuration.name) was cancelled")
    }

    private func run(_ request: ModelRequest, sampling: [JSONValue.Member], start: ContinuousClock.Instant,
                     deadline: ContinuousClock.Instant) async throws -> Completion {
        let jitterSeed = stableHash(request.cacheKey(modelDigest: descriptor.digest))
        let mode = configuration.structuredOutput
        var style: ResponseFormatStyle = switch mode {
        case .auto: formatFloor.value
        case .jsonSchema: .jsonSchema
        case .jsonObject: .jsonObject
        case .off: .promptOnly
        }
        var messages = request.messages
        if let schema = request.schema, style != .jsonSchema { messages = StructuredReply.instructing(messages, schema: schema) }
        var tally = UsageTally(start: start)
        var repairs = 0
        var fellBackTo: ResponseFormatStyle?
        while true {
            let format = request.schema.flatMap { ChatWire.responseFormat($0, style: style) }
            let body = ChatWire.body(model: identity.model, messages: messages, sampling: sampling, stream: configuration.streaming, responseFormat: format)
            let reply: ChatWire.Reply
            do {
                reply = try await chat(body, jitterSeed: jitterSeed, deadline: deadline)
            } catch let failed as RequestFailed {
                if let schema = request.schema, format != nil, mode == .auto, failed.rejectsResponseFormat, let next = style.next {
                    if style == .jsonSchema { messages = StructuredReply.instructing(messages, schema: schema) }
                    style = next
                    fellBackTo = next
                    continue
                }
                var error = failed.error(model: identity.model, keyVariable: configuration.apiKeyVariable, secret: exchanger.credentials?.secret)
                if format != nil, mode != .auto, failed.rejectsResponseFormat {
                    error.message += " (the server does not take response_format \(mode.rawValue); use response_format=auto or off in the model spec)"
                }
                throw error
            }
            if let fallback = fellBackTo {
                formatFloor.raise(to: fallback)
                fellBackTo = nil
            }
            tally.add(reply, streaming: configuration.streaming)
            guard let schema = request.schema else {
                return Completion(text: reply.text, finishReason: reply.finishReason, usage: tally.usage(), modelDigest: descriptor.digest)
            }
            switch StructuredReply.check(reply.text, against: schema, finishReason: reply.finishReason, maxTokens: request.sampling.maxTokens) {
            case let .valid(json):
                return Completion(text: json, finishReason: reply.finishReason, usage: tally.usage(), modelDigest: descriptor.digest)
            case let .invalid(problems):
                guard repairs < configuration.maxRepairs else {
                    let tries = repairs == 0 ? "" : " after \(repairs) repair request\(repairs == 1 ? "" : "s")"
                    throw LanguageModelError(.invalidOutput, "\(configuration.name): the reply does not match the schema\(tries): "
                        + problems.joined(separator: "; ") + " — last reply: \(ChatWire.snippet(reply.text, limit: 300))")
                }
                repairs += 1
                messages += [.assistant(reply.text), StructuredReply.repairRequest(problems: problems, schema: schema)]
            }
        }
    }

    /// One chat completion, with retries.
    private func chat(_ body: JSONValue, jitterSeed: UInt64, deadline: ContinuousClock.Instant) async throws -> ChatWire.Reply {
        let streaming = configuration.streaming
        let request = exchanger.request(configuration.endpoint("chat/completions"), method: "POST", body: Data(body.compactText.utf8),
                                        accept: streaming ? "text/event-stream" : "application/json")
        let client = exchanger.client
        let limit = "the call's \(JSONValue.format(configuration.timeout)) s timeout"
        return try await exchanger.withRetries(request, jitterSeed: jitterSeed, deadline: deadline, limit: limit) { request in
            try await RemoteModel.attempt(request, streaming: streaming, client: client)
        }
    }

    /// One HTTP exchange of a chat completion, whole or streamed.
    private static func attempt(_ request: URLRequest, streaming: Bool, client: HTTPClient) async throws -> ChatWire.Reply {
        var head: HTTPHead?
        var body = Data()
        var events = ServerSentEvents()
        var reply = ChatWire.Reply(text: "", finishReason: .endOfSequence)
        var isEventStream = false
        var finished = false
        var done = false
        func consume(_ data: [String]) throws {
            for event in data where !done {
                if try !ChatWire.consume(event: event, into: &reply, finished: &finished, at: .now) { done = true }
            }
        }
        do {
            for try await event in client.events(for: request) {
                switch event {
                case let .head(received):
                    head = received
                    isEventStream = streaming && received.isSuccess && (received.headers["content-type"] ?? "").lowercased().contains("text/event-stream")
                case let .body(data):
                    if isEventStream { try consume(events.feed(data)) } else if body.count < 64 << 20 { body.append(data) }
                }
            }
        } catch let malformed as ChatWire.Malformed {
            throw AttemptFailure.malformed(malformed.problem)
        } catch let failure as ChatWire.StreamError {
            throw AttemptFailure.streamError(failure.message)
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            throw AttemptFailure.from(error)
        }
        try Task.checkCancellation()
        guard let head else { throw AttemptFailure.transport("the server closed the connection without answering", retryable: true) }
        guard head.isSuccess else { throw AttemptFailure.status(head, body: body) }
        if isEventStream {
            do { try consume(events.finish()) } catch let malformed as ChatWire.Malformed {
                throw AttemptFailure.malformed(malformed.problem)
            } catch let failure as ChatWire.StreamError {
                throw AttemptFailure.streamError(failure.message)
            }
            guard done || finished else {
                throw AttemptFailure.transport("the event stream ended before the completion did (\(reply.text.count) characters received)", retryable: true)
            }
            return reply
        }
        do { return try ChatWire.reply(fromBody: body) } catch let malformed as ChatWire.Malformed {
            throw AttemptFailure.malformed(malformed.problem)
        }
    }
}

/// Token counts and timings of one call, summed over the requests it took (retries that got an
/// answer, and repairs).
struct UsageTally {
    let start: ContinuousClock.Instant
    var promptTokens = 0
    var completionTokens = 0
    var cachedPromptTokens = 0
    var firstToken: ContinuousClock.Instant?

    init(start: ContinuousClock.Instant) { self.start = start }

    mutating func add(_ reply: ChatWire.Reply, streaming: Bool) {
        promptTokens += reply.promptTokens ?? 0
        completionTokens += reply.completionTokens ?? (streaming ? reply.streamedPieces : 0)
        cachedPromptTokens += reply.cachedPromptTokens ?? 0
        if firstToken == nil { firstToken = reply.firstContentAt }
    }

    /// Usage as of now: time to first token from the first streamed piece (the total when nothing was streamed).
    func usage() -> Usage {
        let total = (ContinuousClock.now - start).seconds
        let first = firstToken.map { ($0 - start).seconds } ?? total
        return Usage(promptTokens: promptTokens, completionTokens: completionTokens, cachedPromptTokens: cachedPromptTokens,
                     timeToFirstToken: min(first, total), totalSeconds: total)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// How a schema is asked for, in the order `.auto` tries them.
enum ResponseFormatStyle: Int, Sendable, Comparable {
    /// `{"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}` (OpenAI's form).
    case jsonSchema
    /// `{"type": "json_object", "schema": …}` (llama.cpp's and llama-cpp-python's form), with the schema in the prompt too.
    case jsonObject
    /// No `response_format`: the schema in the prompt only.
    case promptOnly

    var next: ResponseFormatStyle? { ResponseFormatStyle(rawValue: rawValue + 1) }

    static func < (a: ResponseFormatStyle, b: ResponseFormatStyle) -> Bool { a.rawValue < b.rawValue }
}

/// The style `.auto` starts with, shared by a model's concurrent calls.
final class FormatFloor: @unchecked Sendable {
    private let lock = NSLock()
    private var style = ResponseFormatStyle.jsonSchema
    var value: ResponseFormatStyle { lock.withLock { style } }
    func raise(to lower: ResponseFormatStyle) { lock.withLock { style = max(style, lower) } }
}

import DeskTesting
import Foundation
import LanguageModel
@testable import RemoteLM

typealias Reply = LoopbackHTTPServer.Reply
typealias Response = LoopbackHTTPServer.Response

/// An OpenAI-compatible server on loopback with scripted chat completions: real HTTP over a real
/// socket (``LoopbackHTTPServer``), routing `GET /v1/models`, `POST /v1/chat/completions`, and
/// whatever else a test adds.
final class FakeOpenAIServer: Sendable {
    /// One chat-completions request, with its place among them.
    struct ChatCall: Sendable {
        /// 0-based among chat requests.
        let number: Int
        let request: LoopbackHTTPServer.Request
        let body: JSONValue

        var stream: Bool { body["stream"]?.boolValue ?? false }
        var responseFormat: JSONValue? { body["response_format"] }
        var messages: [JSONValue] { body["messages"]?.arrayValue ?? [] }
        var lastUserContent: String { messages.last { $0["role"]?.stringValue == "user" }?["content"]?.stringValue ?? "" }

        /// A successful answer in the shape the request asked for (streamed or whole).
        func answer(_ content: String, promptTokens: Int = 10, completionTokens: Int = 3, cachedTokens: Int? = nil,
                    finishReason: String = "stop", pause: Duration = .zero, headDelay: Duration = .zero) -> Reply {
            if stream {
                return .respond(FakeOpenAIServer.stream(pieces: FakeOpenAIServer.pieces(of: content), finishReason: finishReason,
                                                        usage: (promptTokens, completionTokens), pause: pause, headDelay: headDelay))
            }
            return .respond(.json(FakeOpenAIServer.completion(content, promptTokens: promptTokens, completionTokens: completionTokens,
                                                              cachedTokens: cachedTokens, finishReason: finishReason), headDelay: headDelay))
        }
    }

    let http: LoopbackHTTPServer
    private let chatCounter: Counter

    /// - Parameters:
    ///   - models: the entries of `GET /v1/models` (default: one `test-model` of an unknown server).
    ///   - routes: answers for other requests (nil falls through to the defaults, then 404).
    ///   - chat: the answer to each chat-completions request.
    init(models: @escaping @Sendable (LoopbackHTTPServer.Request) -> [JSONValue] = { _ in [FakeOpenAIServer.model("test-model")] },
         routes: @escaping @Sendable (LoopbackHTTPServer.Request) -> Reply? = { _ in nil },
         chat: @escaping @Sendable (ChatCall) -> Reply) throws {
        let counter = Counter()
        chatCounter = counter
        http = try LoopbackHTTPServer { request in
            if let reply = routes(request) { return reply }
            switch (request.method, request.path) {
            case ("GET", "/v1/models"):
                return .respond(.json(.object([.init("object", .string("list")), .init("data", .array(models(request)))])))
            case ("POST", "/v1/chat/completions"):
                guard let body = request.json else { return .respond(.json(FakeOpenAIServer.error("body is not JSON"), status: 400)) }
                return chat(ChatCall(number: counter.next(), request: request, body: body))
            default:
                return .respond(.json(FakeOpenAIServer.error("no route \(request.method) \(request.path)"), status: 404))
            }
        }
    }

    deinit { http.stop() }

    var baseURL: URL { http.url.appendingPathComponent("v1") }
    var chatRequests: [LoopbackHTTPServer.Request] { http.requests.filter { $0.path == "/v1/chat/completions" } }
    var chatBodies: [JSONValue] { chatRequests.compactMap(\.json) }
    func requests(to path: String) -> [LoopbackHTTPServer.Request] { http.requests.filter { $0.path == path } }

    /// A configuration for this server with test-friendly patience.
    func configuration(model: String = "test-model", timeout: Double = 10, streaming: Bool = true, retries: Int = 3) -> RemoteModelConfiguration {
        var configuration = RemoteModelConfiguration(baseURL: baseURL, model: model)
        configuration.timeout = timeout
        configuration.streaming = streaming
        configuration.maxRetries = retries
        return configuration
    }

    // MARK: Bodies

    static func model(_ id: String, ownedBy: String = "organization", extra: [JSONValue.Member] = []) -> JSONValue {
        .object([.init("id", .string(id)), .init("object", .string("model")), .init("created", .number(1_700_000_000)),
                 .init("owned_by", .string(ownedBy))] + extra)
    }

    static func error(_ message: String) -> JSONValue {
        .object([.init("error", .object([.init("message", .string(message)), .init("type", .string("invalid_request_error"))]))])
    }

    static func completion(_ content: String, promptTokens: Int = 10, completionTokens: Int = 3, cachedTokens: Int? = nil,
                           finishReason: String = "stop") -> JSONValue {
        var usage: [JSONValue.Member] = [
            .init("prompt_tokens", .number(Double(promptTokens))), .init("completion_tokens", .number(Double(completionTokens))),
            .init("total_tokens", .number(Double(promptTokens + completionTokens))),
        ]
        if let cachedTokens { usage.append(.init("prompt_tokens_details", .object([.init("cached_tokens", .number(Double(cachedTokens)))]))) }
        return .object([
            .init("id", .string("chatcmpl-1")), .init("object", .string("chat.completion")), .init("created", .number(1_700_000_000)),
            .init("model", .string("test-model")),
            .init("choices", .array([.object([
                .init("index", .number(0)),
                .init("message", .object([.init("role", .string("assistant")), .init("content", .string(content))])),
                .init("finish_reason", .string(finishReason)),
            ])])),
            .init("usage", .object(usage)),
        ])
    }

    /// Server-sent events as llama.cpp and vLLM send them: one delta per piece, the finish reason,
    /// a usage chunk with no choices (when `usage` is given), then `[DONE]`.
    static func stream(pieces: [String], finishReason: String = "stop", usage: (Int, Int)? = (10, 3), pause: Duration = .zero,
                       headDelay: Duration = .zero) -> Response {
        func chunk(_ delta: [JSONValue.Member], finish: String?) -> String {
            JSONValue.object([
                .init("id", .string("chatcmpl-1")), .init("object", .string("chat.completion.chunk")),
                .init("choices", .array([.object([.init("index", .number(0)), .init("delta", .object(delta)),
                                                  .init("finish_reason", finish.map(JSONValue.string) ?? .null)])])),
            ]).compactText
        }
        var events = [chunk([.init("role", .string("assistant"))], finish: nil)]
        events += pieces.map { chunk([.init("content", .string($0))], finish: nil) }
        events.append(chunk([], finish: finishReason))
        if let usage {
            events.append(JSONValue.object([
                .init("id", .string("chatcmpl-1")), .init("choices", .array([])),
                .init("usage", .object([.init("prompt_tokens", .number(Double(usage.0))), .init("completion_tokens", .number(Double(usage.1)))])),
            ]).compactText)
        }
        events.append("[DONE]")
        return .events(events, pause: pause, headDelay: headDelay)
    }

    /// Splits text into pieces of about four characters, like tokens.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if current.count == 4 { pieces.append(current); current = "" }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
}

/// Records the waits between retries instead of spending them.
final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []
    var waits: [Double] { lock.withLock { recorded } }
    var sleep: RetrySleeper {
        { duration in
            self.lock.withLock { self.recorded.append(duration.seconds) }
            await Task.yield()
        }
    }
}

extension RemoteModel {
    /// Opens a model on a test server, recording retry waits in `log`.
    static func open(_ configuration: RemoteModelConfiguration, environment: [String: String] = [:], log: SleepLog = SleepLog()) async throws -> RemoteModel {
        try await connect(configuration, environment: environment, sleep: log.sleep)
    }
}

/// The error a call threw, as a `LanguageModelError` (nil when it succeeded or threw something else).
func modelError<T>(_ body: () async throws -> T) async -> LanguageModelError? {
    do {
        _ = try await body()
        return nil
    } catch let error as LanguageModelError {
        return error
    } catch {
        return nil
    }
}

/// A request with one user message.
func ask(_ text: String, schema: OutputSchema? = nil, sampling: SamplingSettings = SamplingSettings()) -> ModelRequest {
    ModelRequest(messages: [.system("You are a test."), .user(text)], sampling: sampling, schema: schema)
}

/// A small decision schema: an action from a fixed set and a bounded weight.
let decisionSchema = OutputSchema.object([
    .init("action", .choice(["buy", "sell"])),
    .init("weight", .number(minimum: 0, maximum: 1)),
])

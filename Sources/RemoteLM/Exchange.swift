import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LanguageModel

/// Why one HTTP attempt failed.
enum AttemptFailure: Error, Sendable {
    /// The server answered with a status outside 2xx.
    case status(HTTPHead, body: Data)
    /// The connection failed, was refused or dropped, or ended before the answer did.
    case transport(String, retryable: Bool)
    /// The answer arrived but is not what the endpoint promises.
    case malformed(String)
    /// The server reported an error inside a stream that had started well.
    case streamError(String)
    /// The attempt outlived ``RemoteModelConfiguration/attemptTimeout``.
    case attemptTimeout(Double)

    var isRetryable: Bool {
        switch self {
        case let .status(head, body):
            // A server that fails on `response_format` (llama-cpp-python answers 500) fails the same way every time.
            if RequestFailed.mentionsResponseFormat(ChatWire.describeErrorBody(body)) { return false }
            return head.status == 408 || head.status == 429 || ((500...599).contains(head.status) && head.status != 501 && head.status != 505)
        case let .transport(_, retryable): return retryable
        case .malformed, .streamError, .attemptTimeout: return true
        }
    }

    /// Seconds the server asked to wait (`Retry-After` or `retry-after-ms`), if it did.
    func retryAfter(now: Date = Date()) -> Double? {
        guard case let .status(head, _) = self else { return nil }
        return RetryAfter.seconds(in: head.headers, now: now)
    }

    /// A failure from URLSession or the stream of events.
    static func from(_ error: any Error) -> AttemptFailure {
        guard let urlError = error as? URLError else { return .transport("\(error)", retryable: true) }
        let permanent: Set<URLError.Code> = [
            .badURL, .unsupportedURL, .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
            .clientCertificateRequired, .userAuthenticationRequired, .appTransportSecurityRequiresSecureConnection,
        ]
        let what: String
        switch urlError.code {
        case .cannotConnectToHost: what = "connection refused (is the server running and listening on that port?)"
        case .networkConnectionLost: what = "the connection was dropped before the answer was complete"
        case .cannotFindHost, .dnsLookupFailed: what = "the host name did not resolve"
        case .timedOut: what = "the connection timed out"
        case .notConnectedToInternet: what = "no network"
        case .badServerResponse, .cannotParseResponse: what = "the answer is not valid HTTP"
        default: what = urlError.localizedDescription
        }
        return .transport("\(what) [URLError \(urlError.code.rawValue)]", retryable: !permanent.contains(urlError.code))
    }
}

/// A request that failed for good: its last failure and how many attempts were made.
struct RequestFailed: Error, Sendable {
    var failure: AttemptFailure
    var attempts: Int
    var method: String
    var url: URL
    /// Why retrying stopped early, when it did.
    var note: String?

    var status: Int? { if case let .status(head, _) = failure { return head.status }; return nil }

    var serverMessage: String? {
        if case let .status(_, body) = failure { return ChatWire.describeErrorBody(body) }
        return nil
    }

    /// Whether this is a server saying it does not take `response_format` (rather than a transient or
    /// size problem): a 400, 422 or 501 not about the context, or any error that names the field.
    var rejectsResponseFormat: Bool {
        guard let status, status >= 400 else { return false }
        let message = serverMessage ?? ""
        if RequestFailed.mentionsResponseFormat(message) { return true }
        return [400, 422, 501].contains(status) && !RequestFailed.mentionsContext(message)
    }

    static func mentionsResponseFormat(_ message: String) -> Bool {
        let text = message.lowercased()
        return text.contains("response_format") || text.contains("json_schema")
    }

    static func mentionsContext(_ message: String) -> Bool {
        let text = message.lowercased()
        return ["context length", "context size", "context_length", "context window", "maximum context", "exceeds the available context"]
            .contains { text.contains($0) }
    }

    /// The error a caller sees, with the secret (if any) scrubbed from whatever the server said.
    func error(model: String, keyVariable: String?, secret: String?) -> LanguageModelError {
        let attemptsText = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
        let noteText = note.map { "; \($0)" } ?? ""
        let route = "\(method) \(url.absoluteString)"
        var result: LanguageModelError
        switch failure {
        case let .status(head, _):
            let message = serverMessage ?? ""
            let said = "HTTP \(head.status) from \(route) after \(attemptsText): \(message)\(noteText)"
            switch head.status {
            case 401, 403:
                let remedy = keyVariable.map { "the server refused the key in $\($0); check it" }
                    ?? "the server wants an API key: add ?key_env=VARIABLE to the model spec and export the key in that variable"
                result = LanguageModelError(.unavailable, "\(said) (\(remedy))")
            case 404:
                result = LanguageModelError(.unavailable, "\(said) (check that the base URL is the server's OpenAI base, usually ending in /v1, and that it serves model '\(model)')")
            case let code where [400, 413, 422].contains(code) && RequestFailed.mentionsContext(message):
                result = LanguageModelError(.contextOverflow, "\(said) (shorten the prompt or lower max_tokens)")
            case 400..<500 where !failure.isRetryable:
                result = LanguageModelError(.unavailable, "the server rejected the request: \(said)")
            default:
                result = LanguageModelError(.transport, said)
            }
        case let .transport(what, _):
            result = LanguageModelError(.transport, "\(route) failed after \(attemptsText): \(what)\(noteText)")
        case let .malformed(problem):
            result = LanguageModelError(.transport, "\(route) gave a malformed answer after \(attemptsText): \(problem)\(noteText)")
        case let .streamError(message):
            result = LanguageModelError(.transport, "\(route): the server reported an error mid-stream after \(attemptsText): \(message)\(noteText)")
        case let .attemptTimeout(seconds):
            result = LanguageModelError(.timeout, "\(route): no complete answer within the \(JSONValue.format(seconds)) s attempt timeout, \(attemptsText)\(noteText)")
        }
        if let secret, !secret.isEmpty { result.message = result.message.replacingOccurrences(of: secret, with: "<redacted>") }
        return result
    }
}

/// Reading `Retry-After` (seconds or an HTTP date) and OpenAI's `retry-after-ms`.
enum RetryAfter {
    static func seconds(in headers: [String: String], now: Date) -> Double? {
        if let text = headers["retry-after-ms"], let ms = Double(text.trimmingCharacters(in: .whitespaces)), ms.isFinite, ms >= 0 {
            return ms / 1000
        }
        guard let text = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds.isFinite { return max(0, seconds) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}

/// Sleeps between retries (injected so tests can see the waits without spending them).
typealias RetrySleeper = @Sendable (Duration) async throws -> Void

/// Sends requests with retries, backoff and per-attempt deadlines; shared by completions and probes.
struct Exchanger: Sendable {
    let client: HTTPClient
    let configuration: RemoteModelConfiguration
    let credentials: Credentials?
    let sleep: RetrySleeper

    /// A request to `url` with the headers every call carries.
    func request(_ url: URL, method: String, body: Data? = nil, accept: String = "application/json") -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(accept, forHTTPHeaderField: "Accept")
        // A fresh connection per request: when a server drops a reused keep-alive connection after
        // reading a POST (llama.cpp's server closes idle ones after 5 s), URLSession on Linux hangs
        // instead of retrying or failing. A TCP handshake costs nothing next to a model call.
        request.setValue("close", forHTTPHeaderField: "Connection")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        credentials?.authorize(&request)
        return request
    }

    /// Runs `attempt` until it succeeds, fails for good, or retrying would pass `deadline`.
    func withRetries<T: Sendable>(_ request: URLRequest, jitterSeed: UInt64, deadline: ContinuousClock.Instant, limit: String,
                                  _ attempt: @escaping @Sendable (URLRequest) async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        var retries = 0
        while true {
            do {
                if let limit = configuration.attemptTimeout, clock.now.advanced(by: .seconds(limit)) < deadline {
                    return try await withDeadline(clock.now.advanced(by: .seconds(limit)), onTimeout: { AttemptFailure.attemptTimeout(limit) }) {
                        try await attempt(request)
                    }
                }
                return try await attempt(request)
            } catch let failure as AttemptFailure {
                try Task.checkCancellation()
                func fail(_ note: String? = nil) -> RequestFailed {
                    RequestFailed(failure: failure, attempts: retries + 1, method: request.httpMethod ?? "GET", url: request.url!, note: note)
                }
                guard failure.isRetryable else { throw fail() }
                guard retries < configuration.maxRetries else {
                    throw fail(configuration.maxRetries > 0 ? "gave up after \(configuration.maxRetries) retries" : nil)
                }
                let wait: Double
                if let asked = failure.retryAfter() {
                    guard asked <= configuration.maxRetryAfter else {
                        throw fail("the server asks to retry after \(JSONValue.format(asked)) s, longer than the \(JSONValue.format(configuration.maxRetryAfter)) s the client waits")
                    }
                    wait = asked
                } else {
                    wait = configuration.backoff.delay(retry: retries, seed: jitterSeed)
                }
                guard clock.now.advanced(by: .seconds(wait)) < deadline else {
                    throw fail("waiting \(JSONValue.format((wait * 1000).rounded() / 1000)) s to retry would pass \(limit)")
                }
                try await sleep(.seconds(wait))
                retries += 1
            }
        }
    }

    /// GETs JSON: the value on 2xx, nil when the endpoint is not this server's (a status in
    /// `absent`, or a 2xx that is not JSON), and an error on anything else once retries are spent.
    func optionalJSON(_ url: URL, absent: Set<Int> = AbsentEndpoint.anyClientError, deadline: ContinuousClock.Instant) async throws -> JSONValue? {
        let client = self.client
        let limit = "the \(JSONValue.format(configuration.connectTimeout)) s connect timeout"
        return try await withRetries(request(url, method: "GET"), jitterSeed: stableHash(url.absoluteString), deadline: deadline, limit: limit) { request in
            let head: HTTPHead
            let body: Data
            do { (head, body) = try await client.fetch(request) } catch {
                try Task.checkCancellation()
                throw AttemptFailure.from(error)
            }
            if absent.contains(head.status) { return JSONValue?.none }
            guard head.isSuccess else { throw AttemptFailure.status(head, body: body) }
            return try? JSONValue(parsing: String(decoding: body, as: UTF8.self))
        }
    }
}

/// Statuses that mean "this server has no such endpoint".
enum AbsentEndpoint {
    /// Every 4xx but 408 and 429: for probing endpoints only some servers have.
    static let anyClientError = Set(400..<500).subtracting([408, 429])
    /// Not found or not allowed: for an endpoint the server must have, where 401 or 403 is a real answer.
    static let notFound: Set<Int> = [404, 405]
}

/// The API key, read from the environment when the model is opened; never printed.
struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let variable: String
    let secret: String

    static func read(_ variable: String?, from environment: [String: String]) throws -> Credentials? {
        guard let variable else { return nil }
        guard let secret = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !secret.isEmpty else {
            throw LanguageModelError(.unavailable, "the model spec names key_env=\(variable), but $\(variable) is not set (export \(variable)=YOUR-KEY, or drop key_env for a server that needs no key)")
        }
        return Credentials(variable: variable, secret: secret)
    }

    func authorize(_ request: inout URLRequest) {
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
    }

    var description: String { "$\(variable) (redacted)" }
    var debugDescription: String { description }
}

/// FNV-1a over the UTF-8 bytes: a hash that is the same in every process (unlike `hashValue`).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

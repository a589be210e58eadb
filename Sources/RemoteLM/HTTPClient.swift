import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The status line and headers of an HTTP answer.
struct HTTPHead: Sendable {
    var status: Int
    /// Header fields by lower-cased name.
    var headers: [String: String]

    var isSuccess: Bool { (200..<300).contains(status) }
}

/// What arrives on one HTTP exchange, in order: the head once, then body bytes as they come.
enum HTTPEvent: Sendable {
    case head(HTTPHead)
    case body(Data)
}

/// A URLSession that delivers each request's answer as an `AsyncThrowingStream` of ``HTTPEvent``s.
///
/// One session per model, so concurrent calls share its connection pool (up to
/// ``RemoteModelConfiguration/maxConnections`` per host). Body bytes are handed over as soon as
/// URLSession has them, which is what server-sent events need. Ending the stream early — the
/// consuming task is cancelled, or drops the stream — cancels the HTTP request, which closes its
/// connection. Deadlines are the caller's: the session's own timeouts are set out of the way.
final class HTTPClient: Sendable {
    private let session: URLSession
    private let router: TaskRouter

    init(maxConnections: Int) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
        configuration.timeoutIntervalForRequest = 7 * 24 * 3600
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        router = TaskRouter()
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Starts `request` and returns its events.
    func events(for request: URLRequest) -> AsyncThrowingStream<HTTPEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: HTTPEvent.self)
        let task = session.dataTask(with: request)
        let handle = TaskHandle(task: task)
        router.register(task.taskIdentifier, continuation)
        continuation.onTermination = { termination in
            if case .cancelled = termination { handle.cancel() }
        }
        task.resume()
        return stream
    }

    /// Sends `request` and collects the whole answer, keeping at most `limit` body bytes.
    func fetch(_ request: URLRequest, limit: Int = 16 << 20) async throws -> (HTTPHead, Data) {
        var head: HTTPHead?
        var body = Data()
        for try await event in events(for: request) {
            switch event {
            case let .head(received): head = received
            case let .body(data):
                guard body.count < limit else { continue }
                body.append(data.prefix(limit - body.count))
            }
        }
        try Task.checkCancellation()
        guard let head else { throw URLError(.badServerResponse) }
        return (head, body)
    }
}

/// A task cancelled from a `@Sendable` termination handler.
private struct TaskHandle: @unchecked Sendable {
    let task: URLSessionDataTask
    func cancel() { task.cancel() }
}

/// The session's delegate: routes each task's callbacks to the stream of the request that started it.
private final class TaskRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var sinks: [Int: AsyncThrowingStream<HTTPEvent, any Error>.Continuation] = [:]

    func register(_ id: Int, _ sink: AsyncThrowingStream<HTTPEvent, any Error>.Continuation) {
        lock.withLock { sinks[id] = sink }
    }

    private func sink(_ id: Int) -> AsyncThrowingStream<HTTPEvent, any Error>.Continuation? {
        lock.withLock { sinks[id] }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                headers[String(describing: key).lowercased()] = String(describing: value)
            }
            sink(dataTask.taskIdentifier)?.yield(.head(HTTPHead(status: http.statusCode, headers: headers)))
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        sink(dataTask.taskIdentifier)?.yield(.body(data))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let sink = lock.withLock { sinks.removeValue(forKey: task.taskIdentifier) }
        if let error { sink?.finish(throwing: error) } else { sink?.finish() }
    }
}

/// Runs `body`, abandoning it (cancelled) if it has not finished by `deadline`; then throws `onTimeout()`.
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant, onTimeout: @escaping @Sendable () -> any Error,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else { throw onTimeout() }
        return value
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LanguageModel

/// A real HTTP/1.1 server on 127.0.0.1 and an ephemeral port, answering each request from a script.
///
/// It speaks HTTP over a real socket (POSIX, one thread per connection, keep-alive, `Content-Length`
/// and chunked bodies, `Expect: 100-continue`), so a client under test goes through its whole
/// network stack. The script decides per request: a status, headers and a body sent in parts with
/// pauses between them (slow answers, server-sent events), a connection dropped before or during
/// the answer, bytes that are not HTTP at all, or no answer (until the client gives up).
///
/// What the server saw is kept for assertions: every request in arrival order, how many requests
/// were in progress at once, and how often a client closed its connection while the server was
/// still pausing or holding an answer (a cancelled or timed-out request).
///
/// The server runs until ``stop()`` (its threads keep it alive until then).
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// One header line.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// A request as it arrived.
    public struct Request: Sendable {
        /// 0-based arrival order across all connections.
        public let index: Int
        public let method: String
        /// Path and query, as on the request line.
        public let target: String
        public let headers: [Header]
        public let body: Data
        /// 0-based order of this request on its connection (more than 0 means the connection was reused).
        public let indexOnConnection: Int

        /// The path without the query.
        public var path: String { String(target.prefix { $0 != "?" }) }

        /// The first header with this name (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as JSON, when it is JSON.
        public var json: JSONValue? { try? JSONValue(parsing: bodyText) }
    }

    /// How to answer a request.
    public enum Reply: Sendable {
        case respond(Response)
        /// Close the connection without answering.
        case closeConnection
        /// Never answer; hold the connection until the client closes it or the server stops.
        case hang
        /// Send these bytes and pauses as they are (not necessarily HTTP), then close.
        case raw([Response.Part])
    }

    /// An HTTP answer.
    public struct Response: Sendable {
        /// A piece of the body, a pause, or the connection dropped at that point.
        public enum Part: Sendable {
            case bytes(Data)
            case pause(Duration)
            case disconnect

            public static func text(_ text: String) -> Part { .bytes(Data(text.utf8)) }
        }

        /// How the body's end is marked.
        public enum Framing: Sendable {
            /// `Content-Length` with the body's full size (a `disconnect` part leaves it short).
            case contentLength
            /// `Transfer-Encoding: chunked`, one chunk per `bytes` part.
            case chunked
            /// No length: the body ends when the server closes the connection.
            case untilClose
        }

        public var status: Int
        public var headers: [Header]
        public var parts: [Part]
        public var framing: Framing
        /// Wait before sending the status line.
        public var headDelay: Duration
        /// Close the connection after this answer (`Connection: close`).
        public var closesConnection: Bool
        /// Close the connection after this answer without saying so, as a server does when an
        /// idle keep-alive connection times out.
        public var closesSilently = false

        public init(status: Int = 200, headers: [Header] = [], parts: [Part] = [], framing: Framing = .contentLength,
                    headDelay: Duration = .zero, closesConnection: Bool = false) {
            self.status = status
            self.headers = headers
            self.parts = parts
            self.framing = framing
            self.headDelay = headDelay
            self.closesConnection = closesConnection
        }

        /// A JSON body.
        public static func json(_ value: JSONValue, status: Int = 200, headers: [Header] = [], headDelay: Duration = .zero) -> Response {
            Response(status: status, headers: [Header("Content-Type", "application/json")] + headers,
                     parts: [.text(value.compactText)], headDelay: headDelay)
        }

        /// A plain-text (or any other type of) body.
        public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8",
                                headers: [Header] = [], headDelay: Duration = .zero) -> Response {
            Response(status: status, headers: [Header("Content-Type", contentType)] + headers, parts: [.text(text)], headDelay: headDelay)
        }

        /// Server-sent events, chunked, one `data:` event per element with `pause` before each.
        public static func events(_ data: [String], pause: Duration = .zero, headDelay: Duration = .zero) -> Response {
            var parts: [Part] = []
            for event in data {
                if pause > .zero { parts.append(.pause(pause)) }
                parts.append(.text("data: \(event)\n\n"))
            }
            return Response(status: 200, headers: [Header("Content-Type", "text/event-stream"), Header("Cache-Control", "no-cache")],
                            parts: parts, framing: .chunked, headDelay: headDelay)
        }
    }

    /// Problems starting the server.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    /// The port the server listens on (127.0.0.1).
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private let handler: @Sendable (Request) -> Reply
    private let listener: Int32
    private let lock = NSLock()
    private var running = true
    private var connections: Set<Int32> = []
    private var received: [Request] = []
    private var active = 0
    private var peakActive = 0
    private var disconnects = 0
    private var nextIndex = 0

    /// Starts listening on 127.0.0.1 with a port the system picks; `handler` is called on the
    /// connection's thread for every request, in arrival order per connection.
    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        #if canImport(Darwin)
        let streamType = SOCK_STREAM
        #else
        let streamType = Int32(SOCK_STREAM.rawValue)
        #endif
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw StartError(call: "socket", code: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { let code = errno; close(fd); throw StartError(call: "bind", code: code) }
        guard listen(fd, 128) == 0 else { let code = errno; close(fd); throw StartError(call: "listen", code: code) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { let code = errno; close(fd); throw StartError(call: "getsockname", code: code) }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "LoopbackHTTPServer:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting, closes every open connection, and lets the connection threads end.
    public func stop() {
        let open: Set<Int32>? = lock.withLock {
            guard running else { return nil }
            running = false
            return connections
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Every request received so far, in arrival order.
    public var requests: [Request] { lock.withLock { received } }
    /// The most requests that were being answered at the same time.
    public var peakConcurrentRequests: Int { lock.withLock { peakActive } }
    /// How often a client closed its connection while the server was pausing or holding an answer.
    public var clientDisconnects: Int { lock.withLock { disconnects } }

    /// Waits (polling every 5 ms, at most `limit`) until `condition` holds; returns whether it did.
    public func eventually(within limit: Duration = .seconds(10), _ condition: @Sendable (LoopbackHTTPServer) -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: limit)
        while clock.now < end {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition(self)
    }

    // MARK: Accepting and serving

    private var isRunning: Bool { lock.withLock { running } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR, isRunning { continue }
                break
            }
            let admitted = lock.withLock { () -> Bool in
                guard running else { return false }
                connections.insert(client)
                return true
            }
            guard admitted else { close(client); break }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
            setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
        close(listener)
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.withLock { _ = connections.remove(fd) }
            close(fd)
        }
        var reader = SocketReader(fd: fd)
        var onConnection = 0
        while isRunning {
            guard let parsed = reader.readRequest(sendContinue: { self.send(fd, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }) else { return }
            let request: Request = lock.withLock {
                let request = Request(index: nextIndex, method: parsed.method, target: parsed.target, headers: parsed.headers,
                                      body: parsed.body, indexOnConnection: onConnection)
                nextIndex += 1
                received.append(request)
                active += 1
                peakActive = max(peakActive, active)
                return request
            }
            onConnection += 1
            let keepOpen = answer(handler(request), to: request, on: fd)
            lock.withLock { active -= 1 }
            if !keepOpen { return }
        }
    }

    /// Sends the reply; returns whether the connection stays open for another request.
    private func answer(_ reply: Reply, to request: Request, on fd: Int32) -> Bool {
        switch reply {
        case .closeConnection:
            return false
        case .hang:
            _ = pause(fd, for: nil)
            return false
        case let .raw(parts):
            for part in parts {
                switch part {
                case let .bytes(data): guard send(fd, data) else { return false }
                case let .pause(duration): guard pause(fd, for: duration) else { return false }
                case .disconnect: return false
                }
            }
            return false
        case let .respond(response):
            if response.headDelay > .zero, !pause(fd, for: response.headDelay) { return false }
            let wantsClose = response.closesConnection || response.framing == .untilClose
                || request.header("Connection")?.lowercased() == "close"
            var head = "HTTP/1.1 \(response.status) \(LoopbackHTTPServer.reason(response.status))\r\n"
            for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
            switch response.framing {
            case .contentLength:
                let length = response.parts.reduce(0) { if case let .bytes(data) = $1 { return $0 + data.count }; return $0 }
                head += "Content-Length: \(length)\r\n"
            case .chunked:
                head += "Transfer-Encoding: chunked\r\n"
            case .untilClose:
                break
            }
            if wantsClose { head += "Connection: close\r\n" }
            head += "\r\n"
            guard send(fd, Data(head.utf8)) else { return false }
            for part in response.parts {
                switch part {
                case let .bytes(data):
                    if response.framing == .chunked {
                        guard !data.isEmpty else { continue }
                        var chunk = Data(String(data.count, radix: 16).utf8)
                        chunk.append(contentsOf: [13, 10])
                        chunk.append(data)
                        chunk.append(contentsOf: [13, 10])
                        guard send(fd, chunk) else { return false }
                    } else {
                        guard send(fd, data) else { return false }
                    }
                case let .pause(duration):
                    guard pause(fd, for: duration) else { return false }
                case .disconnect:
                    return false
                }
            }
            if response.framing == .chunked { guard send(fd, Data("0\r\n\r\n".utf8)) else { return false } }
            return !wantsClose && !response.closesSilently
        }
    }

    private func send(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { buffer -> Bool in
            guard var pointer = buffer.baseAddress else { return true }
            var remaining = buffer.count
            while remaining > 0 {
                #if os(Linux)
                let sent = Glibc.send(fd, pointer, remaining, Int32(MSG_NOSIGNAL))
                #else
                let sent = Darwin.send(fd, pointer, remaining, 0)
                #endif
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                remaining -= sent
                pointer = pointer.advanced(by: sent)
            }
            return true
        }
    }

    /// Waits `duration` (forever when nil) unless the client closes the connection or the server
    /// stops first; returns whether the connection is still usable.
    private func pause(_ fd: Int32, for duration: Duration?) -> Bool {
        let clock = ContinuousClock()
        let end = duration.map { clock.now.advanced(by: $0) }
        while true {
            guard isRunning else { return false }
            var wait = Duration.milliseconds(20)
            if let end {
                let left = end - clock.now
                if left <= .zero { return true }
                wait = min(wait, left)
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(max(1, wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 {
                var byte: UInt8 = 0
                let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    lock.withLock { disconnects += 1 }
                    return false
                }
                if peeked > 0 { Thread.sleep(forTimeInterval: Double(milliseconds) / 1000) }
            }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}

/// Reads HTTP/1.1 requests from a blocking socket.
private struct SocketReader {
    struct Parsed {
        var method: String
        var target: String
        var headers: [LoopbackHTTPServer.Header]
        var body: Data
    }

    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Reads more bytes; false when the connection is closed.
    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 { buffer.append(contentsOf: chunk[0..<count]); return true }
            if count < 0, errno == EINTR { continue }
            return false
        }
    }

    /// The next request, or nil when the connection closed or sent something that is not HTTP.
    mutating func readRequest(sendContinue: () -> Bool) -> Parsed? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let found = find(terminator, in: buffer) { headEnd = found; break }
            guard buffer.count < 1 << 20, fill() else { return nil }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [LoopbackHTTPServer.Header] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append(.init(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        func header(_ name: String) -> String? { headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value }
        if header("Expect")?.lowercased() == "100-continue" { guard sendContinue() else { return nil } }
        var body = Data()
        if header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd: Int?
                while lineEnd == nil {
                    if let found = find([13, 10], in: buffer) { lineEnd = found; break }
                    guard fill() else { return nil }
                }
                let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { guard fill() else { return nil } }
                body.append(contentsOf: buffer[0..<size])
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else if let lengthText = header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { return nil }
            while buffer.count < length { guard fill() else { return nil } }
            body = Data(buffer[0..<length])
            buffer.removeFirst(length)
        }
        return Parsed(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        outer: for start in 0...(haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] { continue outer }
            return start
        }
        return nil
    }
}

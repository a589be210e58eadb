import Foundation
import LanguageModel

/// A language model that answers from a script: for tests of the desk where the real model is not
/// the thing under test. Deterministic and thread-safe.
public final class ScriptedModel: LanguageModel, @unchecked Sendable {
    /// What to do for a request: answer with text, or fail.
    public enum Reply: Sendable {
        case text(String)
        case failure(LanguageModelError)
    }

    public let descriptor: ModelDescriptor
    private let respond: @Sendable (ModelRequest) -> Reply
    private let delay: (@Sendable (ModelRequest) -> Duration?)?
    private let lock = NSLock()
    private var _requests: [ModelRequest] = []

    /// A model that answers every request with `respond(request)`.
    public init(name: String = "scripted", respond: @escaping @Sendable (ModelRequest) -> Reply) {
        self.descriptor = ModelDescriptor(name: name, digest: "scripted:\(name)", contextLength: 8192)
        self.respond = respond
        self.delay = nil
    }

    /// A model that waits `delay(request)` (if any) before answering with `respond(request)`, as a
    /// real model takes time: for tests of concurrency, ordering and timeouts. The wait ends early,
    /// with `CancellationError`, when the calling task is cancelled.
    public init(name: String = "scripted", contextLength: Int = 8192, delay: @escaping @Sendable (ModelRequest) -> Duration?,
                respond: @escaping @Sendable (ModelRequest) -> Reply) {
        self.descriptor = ModelDescriptor(name: name, digest: "scripted:\(name)", contextLength: contextLength)
        self.respond = respond
        self.delay = delay
    }

    /// A model that answers with the same text every time.
    public convenience init(name: String = "scripted", always text: String) {
        self.init(name: name) { _ in .text(text) }
    }

    /// Every request received, in arrival order.
    public var requests: [ModelRequest] { lock.withLock { _requests } }

    public func complete(_ request: ModelRequest) async throws -> Completion {
        lock.withLock { _requests.append(request) }
        if let wait = delay?(request) { try await Task.sleep(for: wait) }
        try Task.checkCancellation()
        switch respond(request) {
        case let .text(text):
            let usage = Usage(promptTokens: request.messages.reduce(0) { $0 + $1.content.split(separator: " ").count },
                              completionTokens: text.split(separator: " ").count, timeToFirstToken: 0, totalSeconds: 0)
            return Completion(text: text, finishReason: .endOfSequence, usage: usage, modelDigest: descriptor.digest)
        case let .failure(error):
            throw error
        }
    }
}

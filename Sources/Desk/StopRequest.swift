import Foundation
import JournalRecords

/// A request to stop a replay at the next step boundary: the step under way is finished and
/// committed, then the run is marked `stopped` (resumable). Signal handlers, a UI or a test set it.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var storedReason: String?

    public init() {}

    /// Asks the replay to stop; the first reason given is kept (e.g. `SIGINT`).
    public func request(_ reason: String) {
        lock.lock()
        if storedReason == nil { storedReason = reason }
        lock.unlock()
    }

    /// Why a stop was requested, or nil while none was.
    public var reason: String? {
        lock.lock()
        defer { lock.unlock() }
        return storedReason
    }

    public var isRequested: Bool { reason != nil }

    /// Sleeps for `duration`, waking early when a stop is requested.
    public func sleep(for duration: Duration) async throws {
        let slice = Duration.milliseconds(10)
        var left = duration
        while left > .zero, !isRequested {
            let nap = min(left, slice)
            try await Task.sleep(for: nap)
            left -= nap
        }
    }
}

/// Why a replay could not resume a run. Nothing is written to the journal when this is thrown.
public struct ResumeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var remedy: String

    public init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message) (\(remedy))" }
}

/// A replay that stopped at a step boundary — on request, or because its budget ran out; the
/// run is marked `stopped` (resumable).
public struct ReplayStopped: Error, Sendable, CustomStringConvertible {
    public enum Cause: Sendable, Hashable { case request, budget }
    public var run: RunID
    /// Steps of the run in the journal when it stopped.
    public var committedSteps: Int
    public var reason: String
    public var cause: Cause = .request

    public init(run: RunID, committedSteps: Int, reason: String, cause: Cause = .request) {
        self.run = run
        self.committedSteps = committedSteps
        self.reason = reason
        self.cause = cause
    }

    public var description: String { "run \(run) stopped (\(reason)) with \(committedSteps) steps committed" }
}

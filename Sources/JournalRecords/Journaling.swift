import LanguageModel

/// A model call found in the journal's content-addressed cache.
public struct CachedCompletion: Sendable, Hashable {
    public var completion: Completion
    public var parsedOutput: JSONValue?
    public var valid: Bool
    public init(completion: Completion, parsedOutput: JSONValue?, valid: Bool) {
        self.completion = completion
        self.parsedOutput = parsedOutput
        self.valid = valid
    }
}

/// Where a run's record goes. The desk writes through this protocol only; the executable wires in
/// the SQLite journal, tests an in-memory one.
///
/// A step is committed whole or not at all. Implementations are safe to call from many tasks.
public protocol Journaling: Sendable {
    /// Records a new run as `running` and returns its id.
    func beginRun(_ manifest: RunManifest) async throws -> RunID
    /// Commits one session's records atomically. Steps arrive in index order.
    ///
    /// An implementation may commit in the background (in order, one transaction per step) and
    /// return once the step is queued: a failed commit is then thrown by a later `commit` or by
    /// ``finishRun(_:status:summary:reason:)``, which returns only when every step is committed.
    func commit(_ step: StepRecord, to run: RunID) async throws
    /// Marks the run finished with a status, headline figures and, for failures and stops, the reason.
    func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws
    /// The earlier completion stored under `key`, if any (the model-call cache).
    func cachedCompletion(forKey key: String) async throws -> CachedCompletion?
    /// How far `run` got: its manifest, status and the digests of its committed steps (for resuming it).
    func checkpoint(of run: RunID) async throws -> RunCheckpoint
    /// Marks an unfinished run `running` again before a resume writes its next step.
    func reopenRun(_ run: RunID) async throws
}

extension Journaling {
    public func checkpoint(of run: RunID) async throws -> RunCheckpoint { throw JournalingUnsupported("resume run \(run)") }
    public func reopenRun(_ run: RunID) async throws { throw JournalingUnsupported("resume run \(run)") }
}

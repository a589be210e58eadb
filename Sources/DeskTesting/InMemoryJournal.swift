import JournalRecords
import LanguageModel

/// A journal that keeps everything in memory, for tests of the desk that do not test SQLite.
public actor InMemoryJournal: Journaling {
    public struct StoredRun: Sendable {
        public var manifest: RunManifest
        public var steps: [StepRecord] = []
        public var status: RunStatus = .running
        public var summary: RunSummary?
        public var reason: String?
    }

    public private(set) var runs: [RunID: StoredRun] = [:]
    private var nextID: Int64 = 1
    /// When set, `commit` throws on the step with this index (to test half-written runs).
    public var failCommitAtStep: Int?

    public init() {}

    public func setFailCommit(atStep index: Int?) { failCommitAtStep = index }

    public func beginRun(_ manifest: RunManifest) async throws -> RunID {
        let id = RunID(nextID)
        nextID += 1
        runs[id] = StoredRun(manifest: manifest)
        return id
    }

    public func commit(_ step: StepRecord, to run: RunID) async throws {
        if step.index == failCommitAtStep { throw InMemoryJournalError.injectedFailure(step: step.index) }
        guard runs[run] != nil else { throw InMemoryJournalError.unknownRun(run) }
        runs[run]!.steps.append(step)
    }

    public func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {
        guard runs[run] != nil else { throw InMemoryJournalError.unknownRun(run) }
        runs[run]!.status = status
        runs[run]!.summary = summary
        runs[run]!.reason = reason
    }

    public func cachedCompletion(forKey key: String) async throws -> CachedCompletion? {
        for run in runs.values.sorted(by: { $0.manifest.seed < $1.manifest.seed }) {
            for step in run.steps {
                for call in step.modelCalls where call.cacheKey == key && !call.cacheHit {
                    guard let text = call.completion else { continue }
                    return CachedCompletion(completion: Completion(text: text, finishReason: call.finishReason ?? .endOfSequence,
                                                                   usage: call.usage, modelDigest: call.modelDigest),
                                            parsedOutput: call.parsedOutput, valid: call.valid)
                }
            }
        }
        return nil
    }

    public func checkpoint(of run: RunID) async throws -> RunCheckpoint {
        guard let stored = runs[run] else { throw InMemoryJournalError.unknownRun(run) }
        return RunCheckpoint(run: run, manifest: stored.manifest, status: stored.status, stepDigests: stored.steps.map(\.digest))
    }

    public func reopenRun(_ run: RunID) async throws {
        guard runs[run] != nil else { throw InMemoryJournalError.unknownRun(run) }
        runs[run]!.status = .running
        runs[run]!.reason = nil
    }

    public func run(_ id: RunID) -> StoredRun? { runs[id] }
}

public enum InMemoryJournalError: Error, Sendable {
    case unknownRun(RunID)
    case injectedFailure(step: Int)
}

import LanguageModel

/// One agent of a run's desk, as the journal's `agents` table records it: the role, its stage,
/// the model it thinks with and a digest of its instruction, so runs can be compared by who sat
/// at the desk.
public struct AgentRecord: Sendable, Hashable, Codable {
    /// The role's name, as model calls, tool calls and decisions name it (e.g. `news_analyst`).
    public var role: String
    /// analysis, decision, execution or review.
    public var stage: String
    /// The model the role calls; nil for a rule.
    public var model: ModelDescriptor?
    /// SHA-256 (hex) of the role's instruction text; nil for a rule.
    public var instructionDigest: String?
    /// Tools the role may call.
    public var tools: [String]

    public init(role: String, stage: String, model: ModelDescriptor? = nil, instructionDigest: String? = nil, tools: [String] = []) {
        self.role = role
        self.stage = stage
        self.model = model
        self.instructionDigest = instructionDigest
        self.tools = tools
    }
}

/// What a journal holds of a run that resuming it needs: how it was started, how far it got.
public struct RunCheckpoint: Sendable, Hashable {
    public var run: RunID
    public var manifest: RunManifest
    public var status: RunStatus
    /// ``StepRecord/digest`` of each committed step, in index order (`stepDigests[i]` is step `i`).
    public var stepDigests: [String]

    public init(run: RunID, manifest: RunManifest, status: RunStatus, stepDigests: [String]) {
        self.run = run
        self.manifest = manifest
        self.status = status
        self.stepDigests = stepDigests
    }

    /// Number of committed steps: the index of the first step a resume writes.
    public var committedSteps: Int { stepDigests.count }
}

/// A journal that cannot do what was asked of it (e.g. a journal kind without resume support).
public struct JournalingUnsupported: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public init(_ operation: String) { self.operation = operation }
    public var description: String { "this journal cannot \(operation); use the SQLite journal" }
}

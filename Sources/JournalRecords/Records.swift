import Exchange
import LanguageModel
import Market

/// Identifies a run within a journal.
public struct RunID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

public enum RunStatus: String, Sendable, Hashable, Codable {
    /// Started and not finished (or killed: resumable from its last committed step).
    case running
    case completed
    /// Stopped by an error; the message is in the run's `reason`.
    case failed
    /// Stopped on purpose: a budget, a signal, `--stop-after`. Resumable.
    case stopped
}

/// What identifies a run: the inputs that, for exact replay, must be equal for journals to be equal.
public struct RunManifest: Sendable, Hashable, Codable {
    public var scenarioName: String
    public var scenarioFile: String
    /// Digest of the scenario's content (file and data), so a changed file is noticed.
    public var scenarioDigest: String
    public var deskName: String
    public var seed: UInt64
    /// Models used, by role name ("*" for the desk default).
    public var models: [String: ModelDescriptor]
    /// Version of this program (`git describe` at build time, or "dev").
    public var codeVersion: String
    public var firstSession: Day
    public var lastSession: Day
    public var initialCash: Double
    public var benchmark: String
    /// Options that shaped the run (cadence, cache mode, budgets, …) as JSON.
    public var options: JSONValue
    /// Set when this run is a baseline computed for another run.
    public var baselineOf: RunID?
    /// The desk's agents: role, stage, model and instruction digest of each.
    public var agents: [AgentRecord]

    public init(scenarioName: String, scenarioFile: String, scenarioDigest: String, deskName: String, seed: UInt64,
                models: [String: ModelDescriptor] = [:], codeVersion: String, firstSession: Day, lastSession: Day,
                initialCash: Double, benchmark: String, options: JSONValue = .object([]), baselineOf: RunID? = nil,
                agents: [AgentRecord] = []) {
        self.agents = agents
        self.scenarioName = scenarioName
        self.scenarioFile = scenarioFile
        self.scenarioDigest = scenarioDigest
        self.deskName = deskName
        self.seed = seed
        self.models = models
        self.codeVersion = codeVersion
        self.firstSession = firstSession
        self.lastSession = lastSession
        self.initialCash = initialCash
        self.benchmark = benchmark
        self.options = options
        self.baselineOf = baselineOf
    }
}

/// Headline figures stored with a finished run, for listings. Analytics recomputes the full set from equity.
public struct RunSummary: Sendable, Hashable, Codable {
    public var finalEquity: Double
    public var totalReturn: Double
    /// Largest peak-to-trough fall of equity, as a negative fraction (−0.25 = 25 % below the peak).
    public var maxDrawdown: Double
    public var sessions: Int
    public var fills: Int
    public var modelCalls: Int
    public var failures: Int

    public init(finalEquity: Double, totalReturn: Double, maxDrawdown: Double, sessions: Int, fills: Int, modelCalls: Int = 0, failures: Int = 0) {
        self.finalEquity = finalEquity
        self.totalReturn = totalReturn
        self.maxDrawdown = maxDrawdown
        self.sessions = sessions
        self.fills = fills
        self.modelCalls = modelCalls
        self.failures = failures
    }
}

/// The book at a session's close.
public struct EquityRecord: Sendable, Hashable, Codable {
    public var day: Day
    public var cash: Double
    public var positionsValue: Double
    public var equity: Double
    public var grossExposure: Double

    public init(day: Day, cash: Double, positionsValue: Double, equity: Double, grossExposure: Double) {
        self.day = day
        self.cash = cash
        self.positionsValue = positionsValue
        self.equity = equity
        self.grossExposure = grossExposure
    }

    public init(day: Day, ledger: Ledger) {
        self.init(day: day, cash: ledger.cash, positionsValue: ledger.positionsValue, equity: ledger.equity, grossExposure: ledger.grossExposure)
    }
}

/// A call to a language model, whether served by the model or by the journal's call cache.
public struct ModelCallRecord: Sendable, Hashable, Codable {
    public var sequence: Int
    public var role: String
    public var modelName: String
    public var modelDigest: String
    /// Content address: SHA-256 of the model digest and the request's canonical JSON.
    public var cacheKey: String
    public var cacheHit: Bool
    public var messages: [ChatMessage]
    public var sampling: SamplingSettings
    public var schema: JSONValue?
    /// The completion text, when the model answered.
    public var completion: String?
    public var finishReason: FinishReason?
    /// The completion parsed as JSON, when it parsed.
    public var parsedOutput: JSONValue?
    /// Whether the output parsed and matched the schema.
    public var valid: Bool
    /// Why the call failed or the output was rejected.
    public var error: String?
    public var usage: Usage
    /// Wall-clock start and end (seconds since 1970): shows concurrency; not part of exact replay.
    public var startedAt: Double
    public var finishedAt: Double

    public init(sequence: Int = 0, role: String, modelName: String, modelDigest: String, cacheKey: String, cacheHit: Bool,
                messages: [ChatMessage], sampling: SamplingSettings, schema: JSONValue? = nil, completion: String?,
                finishReason: FinishReason?, parsedOutput: JSONValue?, valid: Bool, error: String?, usage: Usage,
                startedAt: Double, finishedAt: Double) {
        self.sequence = sequence
        self.role = role
        self.modelName = modelName
        self.modelDigest = modelDigest
        self.cacheKey = cacheKey
        self.cacheHit = cacheHit
        self.messages = messages
        self.sampling = sampling
        self.schema = schema
        self.completion = completion
        self.finishReason = finishReason
        self.parsedOutput = parsedOutput
        self.valid = valid
        self.error = error
        self.usage = usage
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// A tool an agent called: what it asked, what it got, how long it took.
public struct ToolCallRecord: Sendable, Hashable, Codable {
    public var sequence: Int
    public var role: String
    public var tool: String
    public var input: JSONValue
    public var output: JSONValue?
    public var error: String?
    public var durationSeconds: Double

    public init(sequence: Int = 0, role: String, tool: String, input: JSONValue, output: JSONValue?, error: String?, durationSeconds: Double) {
        self.sequence = sequence
        self.role = role
        self.tool = tool
        self.input = input
        self.output = output
        self.error = error
        self.durationSeconds = durationSeconds
    }
}

/// What a role concluded at a step: its typed output and rationale.
public struct DecisionRecord: Sendable, Hashable, Codable {
    public var sequence: Int
    public var role: String
    /// The role's stage: analysis, decision, execution or review.
    public var stage: String
    public var output: JSONValue
    public var rationale: String?
    /// Whether the desk's fallback produced this instead of the role.
    public var isFallback: Bool

    public init(sequence: Int = 0, role: String, stage: String, output: JSONValue, rationale: String?, isFallback: Bool = false) {
        self.sequence = sequence
        self.role = role
        self.stage = stage
        self.output = output
        self.rationale = rationale
        self.isFallback = isFallback
    }
}

/// A risk limit acting on a proposal: a clip, a scale-down or a veto.
public struct RiskEventRecord: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable { case clip, scale, veto }
    public var sequence: Int
    /// The rule, e.g. `max_weight`, `cash_floor`, `max_turnover`.
    public var rule: String
    public var action: Action
    public var symbol: String?
    public var proposed: Double
    public var allowed: Double
    public var detail: String
    /// The role whose proposal was changed (or that vetoed, for a risk manager).
    public var role: String?

    public init(sequence: Int = 0, rule: String, action: Action, symbol: String?, proposed: Double, allowed: Double, detail: String, role: String? = nil) {
        self.sequence = sequence
        self.rule = rule
        self.action = action
        self.symbol = symbol
        self.proposed = proposed
        self.allowed = allowed
        self.detail = detail
        self.role = role
    }
}

/// Something that went wrong and what the desk did instead. Never silent.
public struct FailureRecord: Sendable, Hashable, Codable {
    public var sequence: Int
    public var role: String?
    /// `model_error`, `timeout`, `invalid_output`, `budget_exceeded`, `tool_error`, `look_ahead`, …
    public var kind: String
    public var message: String
    /// The explicit fallback taken, e.g. `keep_book`.
    public var fallback: String

    public init(sequence: Int = 0, role: String?, kind: String, message: String, fallback: String) {
        self.sequence = sequence
        self.role = role
        self.kind = kind
        self.message = message
        self.fallback = fallback
    }
}

/// Everything that happened in one session of a run; committed to the journal in one transaction.
///
/// A session runs: fills at the open (of orders sent after the previous close), the mark at the
/// close, then, on decision days, the desk's decision and the orders it sends.
public struct StepRecord: Sendable, Hashable, Codable {
    /// 0-based index of the session within the run.
    public var index: Int
    public var day: Day
    public var isDecision: Bool
    /// Digest of what the desk could see at the decision (nil on sessions without a decision).
    public var snapshotDigest: String?
    public var orderEvents: [OrderEvent] = []
    /// Orders created or changed in this step, as they stand at its end.
    public var orders: [Order] = []
    public var fills: [Fill] = []
    public var cashMovements: [CashMovement] = []
    /// Open positions at the close.
    public var positions: [Position] = []
    public var equity: EquityRecord
    public var modelCalls: [ModelCallRecord] = []
    public var toolCalls: [ToolCallRecord] = []
    public var decisions: [DecisionRecord] = []
    public var riskEvents: [RiskEventRecord] = []
    public var failures: [FailureRecord] = []

    public init(index: Int, day: Day, isDecision: Bool, equity: EquityRecord) {
        self.index = index
        self.day = day
        self.isDecision = isDecision
        self.equity = equity
    }
}

extension RunSummary {
    /// Headline figures from a daily equity curve that started from `initialCash`.
    public static func from(equity: [Double], days: [Day], initialCash: Double, fills: Int, modelCalls: Int = 0, failures: Int = 0) -> RunSummary {
        let final = equity.last ?? initialCash
        return RunSummary(finalEquity: final, totalReturn: final / initialCash - 1,
                          maxDrawdown: Drawdown.maximum(values: equity, days: days, start: initialCash).depth,
                          sessions: equity.count, fills: fills, modelCalls: modelCalls, failures: failures)
    }
}

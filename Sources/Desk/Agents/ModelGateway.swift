import Foundation
import JournalRecords
import LanguageModel

/// Which model each role thinks with: one for the desk, and optional ones for named roles.
public struct ModelRoster: Sendable {
    public var standard: any LanguageModel
    public var byRole: [String: any LanguageModel]

    public init(_ standard: any LanguageModel, byRole: [String: any LanguageModel] = [:]) {
        self.standard = standard
        self.byRole = byRole
    }

    public func model(for role: String) -> any LanguageModel { byRole[role] ?? standard }

    /// The descriptors a run records: "*" for the desk's model, and each role that has its own.
    public var descriptors: [String: ModelDescriptor] {
        var result = ["*": standard.descriptor]
        for (role, model) in byRole { result[role] = model.descriptor }
        return result
    }
}

/// What one model call gave: its journal record and, when the model answered, the parsed output.
public struct ModelCallOutcome: Sendable {
    public var record: ModelCallRecord
    public var parsed: ParsedCompletion?
    /// Why there is no valid output (`timeout`, `model_error`, `invalid_output`, `budget_exceeded`, …), when there is none.
    public var failureKind: String?
    public var failureMessage: String?

    public var isValid: Bool { failureKind == nil }
}

/// The one place every model call of a desk goes through.
///
/// It builds the request (messages, sampling with the role's derived seed, the output schema for
/// engines that constrain decoding), computes the call's content address
/// (``ModelRequest/cacheKey(modelDigest:)``), serves it from the journal's call cache when the
/// decision's ``CallCacheMode`` is `reuse` and the key is there, otherwise asks the run's budget
/// (``DecisionContext/budget``) and the model under a timeout, parses and validates the
/// completion against the schema, and returns the ``ModelCallRecord`` for the journal (prompt,
/// completion, parsed output, validity, usage, cache hit, wall-clock start and end). It throws
/// only when the task is cancelled or the run's budget is exhausted (``BudgetExhausted``: the
/// replay stops before this call).
public struct ModelGateway: Sendable {
    public var roster: ModelRoster
    /// Longest a model call may take before it is abandoned as a `timeout` failure.
    public var timeout: Duration
    public init(roster: ModelRoster, timeout: Duration = .seconds(120)) {
        self.roster = roster
        self.timeout = timeout
    }

    public func call(role: String, messages: [ChatMessage], sampling: SamplingSettings, schema: OutputSchema,
                     context: DecisionContext) async throws -> ModelCallOutcome {
        let model = roster.model(for: role)
        let descriptor = model.descriptor
        let request = ModelRequest(messages: messages, sampling: sampling, schema: schema)
        let key = request.cacheKey(modelDigest: descriptor.digest)
        let startedAt = Date().timeIntervalSince1970

        var completion: Completion?
        var cacheHit = false
        var failure: (kind: String, message: String)?
        if context.cacheMode == .reuse, let cached = try? await context.journal.cachedCompletion(forKey: key) {
            completion = cached.completion
            cacheHit = true
        } else {
            try context.budget?.admit()
            do {
                let answer = try await ModelGateway.withTimeout(timeout) { try await model.complete(request) }
                context.budget?.charge(answer.usage)
                completion = answer
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = ModelGateway.classify(error)
            }
        }

        var parsed: ParsedCompletion?
        if let completion {
            let reading = CompletionParser.parse(completion.text, schema: schema)
            parsed = reading
            if !reading.isValid {
                failure = ("invalid_output", reading.problems.prefix(4).joined(separator: "; "))
            }
        }
        let record = ModelCallRecord(
            role: role, modelName: descriptor.name, modelDigest: descriptor.digest, cacheKey: key, cacheHit: cacheHit,
            messages: messages, sampling: sampling, schema: schema.jsonSchema, completion: completion?.text,
            finishReason: completion?.finishReason, parsedOutput: parsed?.json, valid: failure == nil,
            error: failure.map { "\($0.kind): \($0.message)" }, usage: completion?.usage ?? Usage(),
            startedAt: startedAt, finishedAt: Date().timeIntervalSince1970)
        return ModelCallOutcome(record: record, parsed: parsed, failureKind: failure?.kind, failureMessage: failure?.message)
    }

    static func classify(_ error: any Error) -> (kind: String, message: String) {
        guard let error = error as? LanguageModelError else { return ("model_error", String(describing: error)) }
        switch error.kind {
        case .timeout: return ("timeout", error.message)
        case .budgetExceeded: return ("budget_exceeded", error.message)
        case .invalidOutput: return ("invalid_output", error.message)
        case .contextOverflow: return ("context_overflow", error.message)
        case .cancelled, .transport, .unavailable: return ("model_error", error.description)
        }
    }

    /// Runs `operation`, or throws a `timeout` error once `timeout` has passed (cancelling it).
    static func withTimeout(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Completion) async throws -> Completion {
        try await withThrowingTaskGroup(of: Completion?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let completion = first else {
                throw LanguageModelError(.timeout, "no answer within \(PromptFormat.duration(timeout))")
            }
            return completion
        }
    }
}

extension PromptFormat {
    /// A duration as "1.5s" or "250ms".
    public static func duration(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return seconds >= 1 ? String(format: "%.3gs", seconds) : String(format: "%.0fms", seconds * 1000)
    }
}

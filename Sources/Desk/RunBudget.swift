import Foundation
import Synchronization
import LanguageModel

/// Limits on what one replay may spend on its models: calls, tokens and wall-clock time.
///
/// Calls served from the journal's call cache are free. A limit is checked before every model
/// call and between steps; when one is reached, the step under way is abandoned (nothing of it
/// is written), the run is marked `stopped` with the limit as its reason, and it can be resumed
/// with `desk replay --resume RUN` and a larger budget (the calls already made are reused from
/// the cache). The budget counts what one invocation spends: a resumed run starts afresh.
public struct RunBudget: Sendable, Hashable {
    /// Most model calls that reach a model.
    public var maxCalls: Int?
    /// Most tokens, prompt and completion together.
    public var maxTokens: Int?
    /// Most generated (completion) tokens.
    public var maxCompletionTokens: Int?
    /// Longest the replay may run.
    public var maxWallTime: Duration?

    public init(maxCalls: Int? = nil, maxTokens: Int? = nil, maxCompletionTokens: Int? = nil, maxWallTime: Duration? = nil) {
        self.maxCalls = maxCalls
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.maxWallTime = maxWallTime
    }

    public var isUnlimited: Bool { maxCalls == nil && maxTokens == nil && maxCompletionTokens == nil && maxWallTime == nil }

    /// This budget with `other`'s limits where `other` sets them (command-line flags over a desk file's).
    public func overridden(by other: RunBudget) -> RunBudget {
        RunBudget(maxCalls: other.maxCalls ?? maxCalls, maxTokens: other.maxTokens ?? maxTokens,
                  maxCompletionTokens: other.maxCompletionTokens ?? maxCompletionTokens, maxWallTime: other.maxWallTime ?? maxWallTime)
    }

    /// The limits as the run's options record them.
    public var json: JSONValue {
        var members: [JSONValue.Member] = []
        if let maxCalls { members.append(.init("max_calls", .number(Double(maxCalls)))) }
        if let maxTokens { members.append(.init("max_tokens", .number(Double(maxTokens)))) }
        if let maxCompletionTokens { members.append(.init("max_completion_tokens", .number(Double(maxCompletionTokens)))) }
        if let maxWallTime { members.append(.init("max_wall_time", .string(PromptFormat.duration(maxWallTime)))) }
        return .object(members)
    }
}

/// A run's budget ran out: the replay stops cleanly before the call or step that would exceed it.
public struct BudgetExhausted: Error, Sendable, CustomStringConvertible {
    /// Which limit: `max_calls`, `max_tokens`, `max_completion_tokens` or `max_wall_time`.
    public var limit: String
    public var message: String

    public var description: String { "budget \(limit) reached: \(message)" }
}

/// Counts what a replay spends against its ``RunBudget``. Shared by every role's calls of a run.
public final class BudgetMeter: Sendable {
    public let budget: RunBudget
    private let started = ContinuousClock.now
    private struct Spent { var calls = 0, tokens = 0, completionTokens = 0 }
    private let spent = Mutex(Spent())

    public init(_ budget: RunBudget) { self.budget = budget }

    /// What has been spent so far: calls that reached a model, and their tokens.
    public var used: (calls: Int, tokens: Int, completionTokens: Int) {
        spent.withLock { ($0.calls, $0.tokens, $0.completionTokens) }
    }

    /// Throws ``BudgetExhausted`` when a limit has been reached (including wall time).
    public func check() throws {
        let s = spent.withLock { $0 }
        if let max = budget.maxCalls, s.calls >= max {
            throw BudgetExhausted(limit: "max_calls", message: "\(s.calls) of \(max) model calls made")
        }
        if let max = budget.maxTokens, s.tokens >= max {
            throw BudgetExhausted(limit: "max_tokens", message: "\(s.tokens) of \(max) tokens used")
        }
        if let max = budget.maxCompletionTokens, s.completionTokens >= max {
            throw BudgetExhausted(limit: "max_completion_tokens", message: "\(s.completionTokens) of \(max) completion tokens generated")
        }
        if let max = budget.maxWallTime, ContinuousClock.now - started >= max {
            throw BudgetExhausted(limit: "max_wall_time", message: "the replay has run for \(PromptFormat.duration(max))")
        }
    }

    /// Admits one model call (throwing ``BudgetExhausted`` when a limit is reached) and counts it.
    public func admit() throws {
        try check()
        spent.withLock { $0.calls += 1 }
    }

    /// Counts the tokens of a call that was admitted.
    public func charge(_ usage: Usage) {
        spent.withLock {
            $0.tokens += usage.promptTokens + usage.completionTokens
            $0.completionTokens += usage.completionTokens
        }
    }
}

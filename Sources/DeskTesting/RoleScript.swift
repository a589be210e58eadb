import Foundation
import JournalRecords
import LanguageModel

/// Helpers for scripting a desk's model in tests: which role a request is for, what it was shown,
/// and journals compared without their wall-clock fields.
public enum RoleScript {
    /// The role a desk's request is addressed to, read from its instruction ("You are the news
    /// analyst of …" → `news_analyst`); nil when the system message does not say.
    public static func role(of request: ModelRequest) -> String? {
        guard let system = request.messages.first(where: { $0.role == .system })?.content,
              let start = system.range(of: "You are the ") else { return nil }
        let rest = system[start.upperBound...]
        guard let end = rest.range(of: " of ") else { return nil }
        return rest[..<end.lowerBound].lowercased().replacingOccurrences(of: " ", with: "_")
    }

    /// The user message (the facts the role was shown).
    public static func facts(of request: ModelRequest) -> String {
        request.messages.filter { $0.role == .user }.map(\.content).joined(separator: "\n")
    }

    /// The symbols the request lists ("Symbols: A B C." in its system message).
    public static func symbols(in request: ModelRequest) -> [String] {
        let text = request.messages.map(\.content).joined(separator: "\n")
        guard let start = text.range(of: "Symbols: ") else { return [] }
        let rest = text[start.upperBound...]
        let line = rest.prefix { $0 != "\n" }
        return line.trimmingCharacters(in: .init(charactersIn: ". ")).split(separator: " ").map(String.init)
    }
}

extension StepRecord {
    /// The step without what legitimately differs between equal runs: wall-clock start and end
    /// of model calls, their seconds, and tool-call durations.
    public var withoutWallClock: StepRecord {
        var step = self
        step.modelCalls = step.modelCalls.map { call in
            var call = call
            call.startedAt = 0
            call.finishedAt = 0
            call.usage.totalSeconds = 0
            call.usage.timeToFirstToken = 0
            return call
        }
        step.toolCalls = step.toolCalls.map { call in
            var call = call
            call.durationSeconds = 0
            return call
        }
        return step
    }
}

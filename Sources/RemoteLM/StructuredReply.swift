import Foundation
import LanguageModel

/// Checking a reply against a request's schema, and the words that ask a model to fix it.
enum StructuredReply {
    /// A reply that is usable JSON matching the schema, or why it is not.
    enum Verdict: Sendable, Equatable {
        /// The JSON text (the reply itself, or the object found inside it).
        case valid(String)
        case invalid([String])
    }

    /// Finds the JSON in `text` and checks it against `schema`.
    ///
    /// A model asked for JSON without a constrained decoder often wraps it in a code fence or a
    /// sentence; the first of these that parses is taken: the whole text, the body of a fenced
    /// block, the span from the first `{` to the last `}`.
    static func check(_ text: String, against schema: OutputSchema, finishReason: FinishReason, maxTokens: Int) -> Verdict {
        guard let (json, value) = extractJSON(text) else {
            var problems: [String] = []
            if finishReason == .maxTokens { problems.append("it was cut off at the \(maxTokens)-token limit; answer more briefly") }
            problems.append("it is not JSON (\(parseError(text)))")
            return .invalid(problems)
        }
        let violations = schema.violations(of: value)
        guard violations.isEmpty else { return .invalid(violations.map(\.description)) }
        return .valid(json)
    }

    static func extractJSON(_ text: String) -> (String, JSONValue)? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var candidates = [trimmed]
        if let fenceStart = trimmed.range(of: "```") {
            var inner = trimmed[fenceStart.upperBound...]
            if let newline = inner.firstIndex(of: "\n") { inner = inner[inner.index(after: newline)...] }
            if let fenceEnd = inner.range(of: "```") { candidates.append(inner[..<fenceEnd.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let open = trimmed.firstIndex(of: "{"), let close = trimmed.lastIndex(of: "}"), open < close {
            candidates.append(String(trimmed[open...close]))
        }
        for candidate in candidates where !candidate.isEmpty {
            if let value = try? JSONValue(parsing: candidate) { return (candidate, value) }
        }
        return nil
    }

    private static func parseError(_ text: String) -> String {
        do {
            _ = try JSONValue(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines))
            return "no JSON value found"
        } catch {
            return "\(error)"
        }
    }

    /// The request's messages with the schema spelled out: appended to the first system message,
    /// or as a new system message in front. Used when the server is not told the schema by `response_format`.
    static func instructing(_ messages: [ChatMessage], schema: OutputSchema) -> [ChatMessage] {
        let instruction = "Reply with one JSON object and nothing else (no prose, no code fence). "
            + "It must match this JSON Schema:\n" + schema.jsonSchema.compactText
        var result = messages
        if let first = result.first, first.role == .system {
            result[0] = .system(first.content + "\n\n" + instruction)
        } else {
            result.insert(.system(instruction), at: 0)
        }
        return result
    }

    /// The follow-up that feeds the problems back to the model.
    static func repairRequest(problems: [String], schema: OutputSchema) -> ChatMessage {
        .user("Your previous reply cannot be used: " + problems.joined(separator: "; ")
            + ". Reply again with only the corrected JSON object, matching this JSON Schema:\n" + schema.jsonSchema.compactText)
    }
}

import Foundation
import LanguageModel

/// A completion read against a role's schema.
public struct ParsedCompletion: Sendable, Hashable {
    /// The JSON object found in the completion, when one parsed.
    public var json: JSONValue?
    /// Text before the JSON object (a model's free-text reasoning), trimmed; nil when there is none.
    public var preamble: String?
    /// Why the completion is not a valid output; empty when it is.
    public var problems: [String]

    public var isValid: Bool { json != nil && problems.isEmpty }

    /// The role's rationale: the output's `rationale` (or `reason`) field, else the preamble.
    public var rationale: String? {
        json?["rationale"]?.stringValue ?? json?["reason"]?.stringValue ?? preamble
    }
}

/// Finds and checks the JSON object in a model's completion.
///
/// Small models wrap their JSON in prose or code fences, or write some reasoning first. The
/// parser tries every `{` in order, takes the balanced object that starts there (strings and
/// escapes respected), and returns the first object that validates against the schema, or else
/// the first that parses, with its violations. Nothing is coerced: a number written as a string
/// is a violation.
public enum CompletionParser {
    public static func parse(_ text: String, schema: OutputSchema) -> ParsedCompletion {
        let bytes = Array(text.utf8)
        var firstParsed: (JSONValue, Int, [String])?
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{") else { index += 1; continue }
            if let end = balancedEnd(bytes, from: index),
               let candidate = String(bytes: bytes[index...end], encoding: .utf8),
               let json = try? JSONValue(parsing: candidate), json.objectValue != nil {
                let violations = schema.violations(of: json).map(\.description)
                if violations.isEmpty {
                    return ParsedCompletion(json: json, preamble: preamble(bytes, before: index), problems: [])
                }
                if firstParsed == nil { firstParsed = (json, index, violations) }
            }
            index += 1
        }
        if let (json, start, violations) = firstParsed {
            return ParsedCompletion(json: json, preamble: preamble(bytes, before: start), problems: violations)
        }
        let excerpt = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return ParsedCompletion(json: nil, preamble: nil,
                                problems: [text.isEmpty ? "the completion is empty" : "no JSON object in the completion: \"\(excerpt)\""])
    }

    /// Index of the `}` closing the object that opens at `start`, or nil when it never closes.
    static func balancedEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for i in start..<bytes.count {
            let byte = bytes[i]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return byte == UInt8(ascii: "}") ? i : nil }
                if depth < 0 { return nil }
            default: break
            }
        }
        return nil
    }

    static func preamble(_ bytes: [UInt8], before index: Int) -> String? {
        var text = String(decoding: bytes[0..<index], as: UTF8.self)
        text = text.replacingOccurrences(of: "```json", with: "").replacingOccurrences(of: "```", with: "")
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(400))
    }
}

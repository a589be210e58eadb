import Foundation
import Yams

/// A YAML value read strictly: every accessor checks the type, every mapping checks for unknown
/// keys, and every error names the file, the line and the key path.
///
/// ```swift
/// let root = try YAMLValue.read(path: "scenarios/covid-crash-2020.yaml")
/// var fields = try root.mapping()
/// let name = try fields.required("name").string()
/// let cash = try fields.optional("initial_cash")?.double() ?? 1_000_000
/// try fields.finish()          // rejects keys nobody asked for
/// ```
public struct YAMLValue {  // not Sendable: it holds Yams nodes; read it where it was parsed
    public let file: String
    /// Dotted path from the document root, e.g. `universe[2].symbol`.
    public let path: String
    let node: Node

    public var line: Int? { node.mark?.line }
    public var column: Int? { node.mark?.column }

    /// Parses the YAML file at `path`.
    public static func read(path: String) throws -> YAMLValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw InputError(file: path, problem: exists ? "cannot read the file" : "no such file",
                             remedy: exists ? "check its permissions" : "check the path")
        }
        return try parse(data, file: path)
    }

    /// Parses YAML bytes; `file` labels errors.
    public static func parse(_ data: Data, file: String) throws -> YAMLValue {
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: file, problem: "the file is not valid UTF-8 text", remedy: "save it as UTF-8")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLValue.inputError(from: error, file: file)
        }
        guard let node else {
            throw InputError(file: file, problem: "the file is empty", remedy: "see scenarios/README.md for the format")
        }
        return YAMLValue(file: file, path: "", node: node)
    }

    private static func inputError(from error: YamlError, file: String) -> InputError {
        switch error {
        case let .scanner(context, problem, mark, _):
            return InputError(file: file, line: mark.line, column: mark.column,
                              problem: "YAML syntax: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .parser(context, problem, mark, _):
            return InputError(file: file, line: mark.line, column: mark.column,
                              problem: "YAML syntax: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .composer(context, problem, mark, _):
            return InputError(file: file, line: mark.line, column: mark.column,
                              problem: "YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .duplicatedKeysInMapping(duplicates, context):
            return InputError(file: file, line: context.mark.line, column: context.mark.column,
                              problem: "duplicate keys \(duplicates.joined(separator: ", "))", remedy: "keep one of each")
        case let .reader(problem, offset, _, _):
            return InputError(file: file, problem: "YAML reader: \(problem)\(offset.map { " at byte \($0)" } ?? "")")
        default:
            return InputError(file: file, problem: "YAML: \(error)")
        }
    }

    /// An error located at this value.
    public func error(_ problem: String, remedy: String? = nil) -> InputError {
        InputError(file: file, line: line, column: column, field: path.isEmpty ? nil : path, problem: problem, remedy: remedy)
    }

    private var kindName: String {
        switch node {
        case .scalar: return "a scalar '\(node.string ?? "")'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    public var isNull: Bool {
        if case let .scalar(scalar) = node {
            return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        }
        return false
    }

    public func string() throws -> String {
        guard case let .scalar(scalar) = node, !isNull else { throw error("expected text, found \(kindName)") }
        return scalar.string
    }

    public func double() throws -> Double {
        guard case let .scalar(scalar) = node, let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw error("expected a finite number, found \(kindName)")
        }
        return value
    }

    public func int() throws -> Int {
        guard case let .scalar(scalar) = node, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error("expected a whole number, found \(kindName)")
        }
        return value
    }

    public func bool() throws -> Bool {
        guard case let .scalar(scalar) = node else { throw error("expected true or false, found \(kindName)") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found '\(scalar.string)'")
        }
    }

    /// The items of a list.
    public func list() throws -> [YAMLValue] {
        guard case let .sequence(sequence) = node else { throw error("expected a list, found \(kindName)") }
        return sequence.enumerated().map { index, item in
            YAMLValue(file: file, path: "\(path)[\(index)]", node: item)
        }
    }

    /// A list, or a single value read as a one-element list.
    public func listOrSingle() throws -> [YAMLValue] {
        if case .sequence = node { return try list() }
        return [self]
    }

    /// The keys of a mapping, to be taken one by one and finished with ``YAMLMapping/finish()``.
    public func mapping() throws -> YAMLMapping {
        guard case let .mapping(mapping) = node else { throw error("expected a mapping of keys to values, found \(kindName)") }
        var entries: [(key: String, value: YAMLValue)] = []
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                throw YAMLValue(file: file, path: path, node: keyNode).error("keys must be plain text")
            }
            let key = scalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if !seen.insert(key).inserted {
                throw YAMLValue(file: file, path: childPath, node: keyNode).error("the key appears twice", remedy: "keep one")
            }
            entries.append((key, YAMLValue(file: file, path: childPath, node: valueNode)))
        }
        var keyMarks: [String: (line: Int, column: Int)] = [:]
        for (keyNode, _) in mapping {
            if case let .scalar(scalar) = keyNode, let mark = keyNode.mark { keyMarks[scalar.string] = (mark.line, mark.column) }
        }
        var result = YAMLMapping(owner: self, entries: entries)
        result.keyMarks = keyMarks
        return result
    }
}

/// The keys of a YAML mapping, consumed by the reader so that leftovers can be reported.
public struct YAMLMapping {
    let owner: YAMLValue
    private var entries: [(key: String, value: YAMLValue)]
    /// Where each key is written, so an unknown key is reported at the key rather than its value.
    var keyMarks: [String: (line: Int, column: Int)] = [:]
    private var taken: Set<String> = []

    init(owner: YAMLValue, entries: [(key: String, value: YAMLValue)]) {
        self.owner = owner
        self.entries = entries
    }

    /// All keys in file order (for mappings whose keys are data, such as symbol → file).
    public var keys: [String] { entries.map(\.key) }

    /// Takes a key that must be present.
    public mutating func required(_ key: String) throws -> YAMLValue {
        guard let value = try optional(key) else {
            throw owner.error("missing required key '\(key)'", remedy: "add '\(key):' to \(owner.path.isEmpty ? "the top level" : "'\(owner.path)'")")
        }
        return value
    }

    /// Takes a key if present (a `null` value counts as absent).
    public mutating func optional(_ key: String) throws -> YAMLValue? {
        taken.insert(key)
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry.value
    }

    /// Takes every remaining key, in file order.
    public mutating func takeAll() -> [(key: String, value: YAMLValue)] {
        for entry in entries { taken.insert(entry.key) }
        return entries
    }

    /// Fails on the first key that no reader asked for, naming the keys that are understood.
    public func finish() throws {
        if let first = unknownKeys().first { throw first }
    }

    /// One error for every key that no reader asked for, in file order (for checkers that report
    /// every problem rather than the first).
    public func unknownKeys() -> [InputError] {
        let known = taken.sorted().joined(separator: ", ")
        return entries.filter { !taken.contains($0.key) }.map { unknown in
            InputError(file: owner.file, line: keyMarks[unknown.key]?.line ?? unknown.value.line,
                       column: keyMarks[unknown.key]?.column ?? unknown.value.column, field: unknown.value.path,
                       problem: "unknown key '\(unknown.key)'", remedy: "known keys here: \(known)")
        }
    }

    /// Whether the mapping has `key` (even with a null value), without taking it.
    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }
}

/// The shape of a structured model output: a documented subset of JSON Schema.
///
/// Supported (see README.md, "Structured output"):
/// - `object` with `properties` and `required`; no additional properties (`additionalProperties`
///   may only be `false`). Properties keep their declared order, which is also the order a
///   constrained decoder writes them in; optional ones may be left out. The top level of an
///   output must be an object.
/// - `string` with `minLength` and `maxLength`, or a string `enum` (``choice(_:)``). Constrained
///   decoding writes printable ASCII without `"` or `\` in free strings.
/// - `number` and `integer` with inclusive `minimum` and `maximum`. Constrained decoding writes
///   no exponent and at most 6 decimals; unbounded numbers get at most 9 integer digits, and
///   bounds beyond ±10^12 are refused.
/// - `boolean`.
/// - `array` with `items`, `minItems` and `maxItems`; items may be any of these, objects included.
///
/// `description`, `title` and `$schema` are read and ignored; any other keyword is an
/// ``OutputSchemaError`` naming its JSON path. ``violations(of:)`` checks a value against the schema.
public indirect enum OutputSchema: Sendable, Hashable {
    case object(properties: [Property], required: [String])
    case string(choices: [String]?, minLength: Int, maxLength: Int?)
    case number(minimum: Double?, maximum: Double?)
    case integer(minimum: Int?, maximum: Int?)
    case boolean
    case array(items: OutputSchema, minItems: Int, maxItems: Int?)

    public struct Property: Sendable, Hashable {
        public var name: String
        public var schema: OutputSchema
        public var description: String?
        public init(_ name: String, _ schema: OutputSchema, description: String? = nil) {
            self.name = name
            self.schema = schema
            self.description = description
        }
    }

    /// An object whose properties are all required.
    public static func object(_ properties: [Property]) -> OutputSchema {
        .object(properties: properties, required: properties.map(\.name))
    }

    /// A string limited to the given values.
    public static func choice(_ values: [String]) -> OutputSchema { .string(choices: values, minLength: 0, maxLength: nil) }

    /// Free text of bounded length.
    public static func text(maxLength: Int) -> OutputSchema { .string(choices: nil, minLength: 0, maxLength: maxLength) }
}

// MARK: JSON Schema in and out

/// A schema document that uses something outside the supported subset, or is malformed.
public struct OutputSchemaError: Error, Sendable, CustomStringConvertible {
    /// JSON path of the offending node, e.g. `$.properties.views.items`.
    public var path: String
    public var problem: String
    public var description: String { "\(path): \(problem)" }
}

extension OutputSchema {
    /// Reads a JSON Schema document in the supported subset.
    public init(jsonSchema: JSONValue) throws {
        self = try OutputSchema.read(jsonSchema, path: "$")
    }

    private static let knownKeys: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "enum", "minLength", "maxLength", "minimum", "maximum", "description", "title", "$schema",
    ]

    private static func read(_ node: JSONValue, path: String) throws -> OutputSchema {
        guard let members = node.objectValue else { throw OutputSchemaError(path: path, problem: "a schema must be an object") }
        for member in members where !knownKeys.contains(member.key) {
            throw OutputSchemaError(path: path, problem: "'\(member.key)' is outside the supported subset (\(knownKeys.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String) throws -> Int? {
            guard let value = node[key] else { return nil }
            guard let n = value.numberValue, n == n.rounded(), n >= 0 else { throw OutputSchemaError(path: "\(path).\(key)", problem: "expected a non-negative whole number") }
            return Int(n)
        }
        func number(_ key: String) throws -> Double? {
            guard let value = node[key] else { return nil }
            guard let n = value.numberValue else { throw OutputSchemaError(path: "\(path).\(key)", problem: "expected a number") }
            return n
        }
        if let choices = node["enum"] {
            guard let items = choices.arrayValue, !items.isEmpty else { throw OutputSchemaError(path: "\(path).enum", problem: "expected a non-empty list") }
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count else { throw OutputSchemaError(path: "\(path).enum", problem: "only string enums are supported") }
            return .string(choices: strings, minLength: 0, maxLength: nil)
        }
        guard let type = node["type"]?.stringValue else { throw OutputSchemaError(path: path, problem: "missing 'type'") }
        switch type {
        case "object":
            guard let properties = node["properties"]?.objectValue else { throw OutputSchemaError(path: path, problem: "an object needs 'properties'") }
            if let additional = node["additionalProperties"], additional != .bool(false) {
                throw OutputSchemaError(path: "\(path).additionalProperties", problem: "only 'false' is supported")
            }
            let props = try properties.map { Property($0.key, try read($0.value, path: "\(path).properties.\($0.key)"), description: $0.value["description"]?.stringValue) }
            let required = try (node["required"]?.arrayValue ?? []).map { item -> String in
                guard let name = item.stringValue, properties.contains(where: { $0.key == name }) else {
                    throw OutputSchemaError(path: "\(path).required", problem: "names a property that is not declared")
                }
                return name
            }
            return .object(properties: props, required: required)
        case "string":
            return .string(choices: nil, minLength: try int("minLength") ?? 0, maxLength: try int("maxLength"))
        case "number":
            return .number(minimum: try number("minimum"), maximum: try number("maximum"))
        case "integer":
            return .integer(minimum: try number("minimum").map { Int($0.rounded(.up)) }, maximum: try number("maximum").map { Int($0.rounded(.down)) })
        case "boolean":
            return .boolean
        case "array":
            guard let items = node["items"] else { throw OutputSchemaError(path: path, problem: "an array needs 'items'") }
            return .array(items: try read(items, path: "\(path).items"), minItems: try int("minItems") ?? 0, maxItems: try int("maxItems"))
        default:
            throw OutputSchemaError(path: "\(path).type", problem: "type '\(type)' is not supported")
        }
    }

    /// The schema as a JSON Schema document (for servers that take `response_format`).
    public var jsonSchema: JSONValue {
        switch self {
        case let .object(properties, required):
            return .object([
                .init("type", .string("object")),
                .init("properties", .object(properties.map { property in
                    var schema = property.schema.jsonSchema
                    if let description = property.description, case var .object(members) = schema {
                        members.append(.init("description", .string(description)))
                        schema = .object(members)
                    }
                    return .init(property.name, schema)
                })),
                .init("required", .array(required.map(JSONValue.string))),
                .init("additionalProperties", .bool(false)),
            ])
        case let .string(choices, minLength, maxLength):
            if let choices { return .object([.init("type", .string("string")), .init("enum", .array(choices.map(JSONValue.string)))]) }
            var members: [JSONValue.Member] = [.init("type", .string("string"))]
            if minLength > 0 { members.append(.init("minLength", .number(Double(minLength)))) }
            if let maxLength { members.append(.init("maxLength", .number(Double(maxLength)))) }
            return .object(members)
        case let .number(minimum, maximum):
            var members: [JSONValue.Member] = [.init("type", .string("number"))]
            if let minimum { members.append(.init("minimum", .number(minimum))) }
            if let maximum { members.append(.init("maximum", .number(maximum))) }
            return .object(members)
        case let .integer(minimum, maximum):
            var members: [JSONValue.Member] = [.init("type", .string("integer"))]
            if let minimum { members.append(.init("minimum", .number(Double(minimum)))) }
            if let maximum { members.append(.init("maximum", .number(Double(maximum)))) }
            return .object(members)
        case .boolean:
            return .object([.init("type", .string("boolean"))])
        case let .array(items, minItems, maxItems):
            var members: [JSONValue.Member] = [.init("type", .string("array")), .init("items", items.jsonSchema)]
            if minItems > 0 { members.append(.init("minItems", .number(Double(minItems)))) }
            if let maxItems { members.append(.init("maxItems", .number(Double(maxItems)))) }
            return .object(members)
        }
    }
}

// MARK: Validation

/// One way a value fails its schema, located by JSON path.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "\(path): \(problem)" }
}

extension OutputSchema {
    /// Every way `value` fails this schema (empty when it conforms).
    public func violations(of value: JSONValue) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        check(value, path: "$", into: &found)
        return found
    }

    private func check(_ value: JSONValue, path: String, into found: inout [SchemaViolation]) {
        func fail(_ problem: String) { found.append(SchemaViolation(path: path, problem: problem)) }
        switch self {
        case let .object(properties, required):
            guard let members = value.objectValue else { return fail("expected an object") }
            for name in required where !members.contains(where: { $0.key == name }) { fail("missing '\(name)'") }
            for member in members {
                guard let property = properties.first(where: { $0.name == member.key }) else {
                    fail("unexpected key '\(member.key)'")
                    continue
                }
                property.schema.check(member.value, path: "\(path).\(member.key)", into: &found)
            }
        case let .string(choices, minLength, maxLength):
            guard let text = value.stringValue else { return fail("expected a string") }
            if let choices, !choices.contains(text) { fail("'\(text)' is not one of \(choices.joined(separator: ", "))") }
            if text.count < minLength { fail("shorter than \(minLength) characters") }
            if let maxLength, text.count > maxLength { fail("longer than \(maxLength) characters") }
        case let .number(minimum, maximum):
            guard let n = value.numberValue else { return fail("expected a number") }
            if let minimum, n < minimum { fail("\(JSONValue.format(n)) is below the minimum \(JSONValue.format(minimum))") }
            if let maximum, n > maximum { fail("\(JSONValue.format(n)) is above the maximum \(JSONValue.format(maximum))") }
        case let .integer(minimum, maximum):
            guard let n = value.numberValue, n == n.rounded() else { return fail("expected a whole number") }
            if let minimum, n < Double(minimum) { fail("\(JSONValue.format(n)) is below the minimum \(minimum)") }
            if let maximum, n > Double(maximum) { fail("\(JSONValue.format(n)) is above the maximum \(maximum)") }
        case .boolean:
            if value.boolValue == nil { fail("expected true or false") }
        case let .array(items, minItems, maxItems):
            guard let list = value.arrayValue else { return fail("expected a list") }
            if list.count < minItems { fail("fewer than \(minItems) items") }
            if let maxItems, list.count > maxItems { fail("more than \(maxItems) items") }
            for (index, item) in list.enumerated() { items.check(item, path: "\(path)[\(index)]", into: &found) }
        }
    }
}

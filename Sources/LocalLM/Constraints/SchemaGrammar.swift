import LanguageModel

/// A schema the constrained decoder cannot follow, with the JSON path of the offending part.
public struct SchemaGrammarError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    init(_ problem: String, path: String = "$") {
        self.problem = problem
        self.path = path
    }

    public var description: String { "\(path): \(problem)" }
}

/// An ``OutputSchema`` compiled for byte-by-byte matching of compact JSON.
///
/// The JSON the decoder may write (see README, "Structured output"):
/// - no whitespace anywhere;
/// - an object's properties in declared order; optional ones may be left out, required ones
///   may not; nothing else (no additional properties);
/// - a string is printable ASCII (0x20–0x7E) without `"` and `\` (so no escapes), between its
///   `minLength` and `maxLength`; an enum is one of its values, written as JSON;
/// - numbers as ``NumberSpec`` says: within their bounds, no exponent, at most 6 decimals;
///   integers without a point;
/// - `true` or `false`; arrays with between `minItems` and `maxItems` items.
///
/// Every node also knows the length of its shortest text, which is how the decoder finishes the
/// JSON in time when the token budget runs low.
final class SchemaGrammar: Sendable {
    enum Node: Sendable {
        case object(ObjectNode)
        case array(item: Int, minItems: Int, maxItems: Int)
        case string(minLength: Int, maxLength: Int)
        /// One of a set of literal texts (an enum's values, `true`/`false`).
        case literal(set: Int)
        case number(NumberSpec)
    }

    /// An object's properties and, for each position (properties 0..<p written or skipped), what may come next.
    struct ObjectNode: Sendable {
        var values: [Int]
        /// The literal set of the keys that may come at position p (`"name":` each); nil when none may.
        var keys: [Int?]
        /// Whether `}` may come at position p (no required property at p or after).
        var mayClose: [Bool]
        /// Bytes to finish the object after a value that leaves it at position p (`}` included).
        var restAfterValue: [Int]
        /// Bytes to finish the object just after `{`.
        var restAfterOpen: Int
        /// Bytes to finish the object just after the `,` at position p.
        var restAfterComma: [Int]
    }

    /// Literal texts, sorted bytewise. No text is a prefix of another (each ends with `"` or `:`,
    /// or is `true`/`false`), so the one a prefix completes is unambiguous.
    struct LiteralSet: Sendable {
        var texts: [[UInt8]]
        /// What each text stands for: a property index (keys) or a value index (enums).
        var payloads: [Int]
        /// Bytes needed after each text to finish the frame that owns the set.
        var tails: [Int]
    }

    let nodes: [Node]
    let literalSets: [LiteralSet]
    let root: Int
    /// Bytes of each node's shortest text.
    let minLength: [Int]
    /// An upper bound on the shortest completion from any state of the grammar.
    let worstRemaining: Int

    init(_ schema: OutputSchema) throws {
        var builder = Builder()
        root = try builder.compile(schema, path: "$")
        guard case .object = builder.nodes[root] else { throw SchemaGrammarError("the top level of an output schema must be an object") }
        nodes = builder.nodes
        literalSets = builder.literalSets
        minLength = builder.minLength
        worstRemaining = builder.worst[root]
    }

    /// Compiles a schema tree into nodes, bottom-up.
    private struct Builder {
        var nodes: [Node] = []
        var literalSets: [LiteralSet] = []
        var minLength: [Int] = []
        var worst: [Int] = []

        mutating func add(_ node: Node, min: Int, worst bound: Int) -> Int {
            nodes.append(node)
            minLength.append(min)
            worst.append(bound)
            return nodes.count - 1
        }

        mutating func literalSet(_ texts: [[UInt8]], payloads: [Int], tails: [Int]) -> Int {
            let order = texts.indices.sorted { texts[$0].lexicographicallyPrecedes(texts[$1]) }
            literalSets.append(LiteralSet(texts: order.map { texts[$0] }, payloads: order.map { payloads[$0] }, tails: order.map { tails[$0] }))
            return literalSets.count - 1
        }

        mutating func compile(_ schema: OutputSchema, path: String) throws -> Int {
            switch schema {
            case let .object(properties, required):
                var seen: Set<String> = []
                for property in properties where !seen.insert(property.name).inserted {
                    throw SchemaGrammarError("property '\(property.name)' is declared twice", path: path)
                }
                for name in required where !seen.contains(name) {
                    throw SchemaGrammarError("required property '\(name)' is not declared", path: path)
                }
                let values = try properties.map { try compile($0.schema, path: "\(path).properties.\($0.name)") }
                let isRequired = properties.map { required.contains($0.name) }
                let keyTexts = properties.map { Array(JSONText.quoted($0.name).utf8) + [UInt8(ascii: ":")] }
                let n = properties.count
                // Bytes after the value at position p: ",key:value" for each later required property, then "}".
                var restAfterValue = [Int](repeating: 1, count: n + 1)
                for p in stride(from: n - 1, through: 0, by: -1) {
                    restAfterValue[p] = restAfterValue[p + 1] + (isRequired[p] ? 1 + keyTexts[p].count + minLength[values[p]] : 0)
                }
                func candidates(_ p: Int) -> Range<Int> {
                    guard p < n else { return p..<p }
                    let stop = (p..<n).first { isRequired[$0] } ?? (n - 1)
                    return p..<(stop + 1)
                }
                var keys: [Int?] = []
                var restAfterComma: [Int] = []
                var worstInside = 0
                for p in 0...n {
                    let range = candidates(p)
                    if range.isEmpty {
                        keys.append(nil)
                        restAfterComma.append(0)
                        continue
                    }
                    let tails = range.map { minLength[values[$0]] + restAfterValue[$0 + 1] }
                    keys.append(literalSet(range.map { keyTexts[$0] }, payloads: Array(range), tails: tails))
                    restAfterComma.append(zip(range, tails).map { keyTexts[$0.0].count + $0.1 }.min()!)
                    worstInside = max(worstInside, zip(range, tails).map { keyTexts[$0.0].count + $0.1 }.max()!)
                }
                let mayClose = (0...n).map { p in !(p..<n).contains { isRequired[$0] } }
                let requiredCount = isRequired.filter { $0 }.count
                let restAfterOpen = requiredCount == 0 ? 1 : restAfterValue[0] - 1
                let minimum = 1 + restAfterOpen
                for p in 0..<n { worstInside = max(worstInside, restAfterValue[p + 1] + worst[values[p]]) }
                worstInside = max(worstInside, minimum, restAfterValue.max() ?? 0, restAfterComma.max() ?? 0)
                return add(.object(ObjectNode(values: values, keys: keys, mayClose: mayClose, restAfterValue: restAfterValue,
                                              restAfterOpen: restAfterOpen, restAfterComma: restAfterComma)),
                           min: minimum, worst: worstInside)
            case let .string(choices, minLength, maxLength):
                if let choices {
                    var unique: [String] = []
                    for choice in choices where !unique.contains(choice) { unique.append(choice) }
                    guard !unique.isEmpty else { throw SchemaGrammarError("an enum needs at least one value", path: path) }
                    let texts = unique.map { Array(JSONText.quoted($0).utf8) }
                    let set = literalSet(texts, payloads: Array(unique.indices), tails: Array(repeating: 0, count: texts.count))
                    return add(.literal(set: set), min: texts.map(\.count).min()!, worst: texts.map(\.count).max()!)
                }
                let upper = maxLength ?? Int(Int32.max)
                guard minLength <= upper else { throw SchemaGrammarError("minLength \(minLength) exceeds maxLength \(upper)", path: path) }
                return add(.string(minLength: minLength, maxLength: upper), min: 2 + minLength, worst: 2 + minLength)
            case let .number(minimum, maximum):
                let spec: NumberSpec
                do { spec = try .number(minimum: minimum, maximum: maximum) } catch let error as SchemaGrammarError { throw SchemaGrammarError(error.problem, path: path) }
                return add(.number(spec), min: spec.minLength, worst: spec.worstRemaining)
            case let .integer(minimum, maximum):
                let spec: NumberSpec
                do { spec = try .integer(minimum: minimum, maximum: maximum) } catch let error as SchemaGrammarError { throw SchemaGrammarError(error.problem, path: path) }
                return add(.number(spec), min: spec.minLength, worst: spec.worstRemaining)
            case .boolean:
                let set = literalSet([Array("true".utf8), Array("false".utf8)], payloads: [1, 0], tails: [0, 0])
                return add(.literal(set: set), min: 4, worst: 5)
            case let .array(items, minItems, maxItems):
                let upper = maxItems ?? Int(Int32.max)
                guard minItems <= upper else { throw SchemaGrammarError("minItems \(minItems) exceeds maxItems \(upper)", path: path) }
                let item = try compile(items, path: "\(path).items")
                let itemMin = minLength[item]
                let minimum = 2 + minItems * itemMin + max(0, minItems - 1)
                let afterOpen = minItems == 0 ? 1 : minimum - 1
                let afterFirst = max(0, minItems - 1) * (1 + itemMin) + 1
                return add(.array(item: item, minItems: minItems, maxItems: upper), min: minimum,
                           worst: max(minimum, afterOpen, afterFirst + worst[item]))
            }
        }
    }
}

/// JSON text helpers.
enum JSONText {
    /// `text` as a JSON string literal, quotes included (the journal's own encoding).
    static func quoted(_ text: String) -> String { JSONValue.string(text).compactText }

    /// Bytes a constrained string may hold: printable ASCII except `"` and `\`.
    @inline(__always) static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }
}

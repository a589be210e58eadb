import Foundation
import InputFiles
import LanguageModel
import LocalLM

/// An output schema read from a JSON Schema file (the subset ``OutputSchema`` documents), checked
/// so that the constrained decoder can follow it. Every problem is an ``InputError`` naming the file,
/// where in it (line and column for bad JSON, the JSON path for a bad schema) and what to do.
enum SchemaFile {
    static let remedy = "see README.md, \"Structured output\", for the supported subset of JSON Schema"

    static func read(_ path: String) throws -> OutputSchema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, problem: "cannot read the schema file", remedy: "check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, problem: "the schema file is not UTF-8 text")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch let error as JSONParseError {
            let (line, column) = position(of: error.offset, in: Array(text.utf8))
            throw InputError(file: path, line: line, column: column, problem: "invalid JSON: \(error.problem)", remedy: "the file must hold one JSON Schema object")
        }
        do {
            let schema = try OutputSchema(jsonSchema: document)
            try SchemaConstraint.check(schema)
            return schema
        } catch let error as OutputSchemaError {
            throw InputError(file: path, field: error.path, problem: error.problem, remedy: remedy)
        } catch let error as SchemaGrammarError {
            throw InputError(file: path, field: error.path, problem: error.problem, remedy: remedy)
        }
    }

    /// 1-based line and column (in bytes) of a byte offset.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}

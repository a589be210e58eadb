import Foundation

/// A CSV file read into rows of fields, each row keeping its 1-based line number.
///
/// RFC 4180 quoting (`"a,b"`, doubled quotes inside), `\n` or `\r\n` line ends, a UTF-8 BOM,
/// and blank lines (skipped) are handled. The reader never traps on bad bytes: non-UTF-8 input,
/// an unterminated quote or an empty file is an ``InputError`` naming the line.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        /// 1-based line number in the file where the row starts.
        public var line: Int
        public var fields: [String]
    }

    /// The file as named by the caller, used in every error.
    public var file: String
    /// The header's field names (trimmed), when the table has a header.
    public var header: [String]
    /// Line number of the header (0 when there is none).
    public var headerLine: Int
    public var rows: [Row]

    /// Reads `path` from disk.
    public static func read(path: String, hasHeader: Bool = true) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw InputError(file: path, problem: exists ? "cannot read the file" : "no such file",
                             remedy: exists ? "check its permissions" : "check the path; relative paths are resolved from the file that names them")
        }
        return try parse(data, file: path, hasHeader: hasHeader)
    }

    /// Parses CSV bytes. `file` labels errors.
    public static func parse(_ data: Data, file: String, hasHeader: Bool = true) throws -> CSVTable {
        var rows: [Row] = []
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
            var line = 1
            var fields: [String] = []
            var field: [UInt8] = []
            var rowLine = 1
            var inQuotes = false
            var fieldWasQuoted = false
            var rowHasContent = false

            func finishField() throws {
                guard let text = String(validating: field, as: UTF8.self) else {
                    throw InputError(file: file, line: line, column: fields.count + 1,
                                     problem: "the field is not valid UTF-8 text",
                                     remedy: "save the file as UTF-8")
                }
                fields.append(fieldWasQuoted ? text : text.trimmingCharacters(in: .whitespaces))
                field.removeAll(keepingCapacity: true)
                fieldWasQuoted = false
            }
            func finishRow() throws {
                try finishField()
                if rowHasContent { rows.append(Row(line: rowLine, fields: fields)) }
                fields.removeAll(keepingCapacity: true)
                rowHasContent = false
            }

            while index < bytes.count {
                let byte = bytes[index]
                if inQuotes {
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(byte)
                            index += 1
                        } else {
                            inQuotes = false
                        }
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: ","):
                        try finishField()
                        rowHasContent = true
                    case UInt8(ascii: "\n"):
                        try finishRow()
                        line += 1
                        rowLine = line
                    case UInt8(ascii: "\r"):
                        break
                    case UInt8(ascii: "\"") where field.allSatisfy({ $0 == UInt8(ascii: " ") }):
                        field.removeAll(keepingCapacity: true)
                        inQuotes = true
                        fieldWasQuoted = true
                        rowHasContent = true
                    default:
                        field.append(byte)
                        if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { rowHasContent = true }
                    }
                }
                index += 1
            }
            if inQuotes {
                throw InputError(file: file, line: rowLine, problem: "a quoted field is never closed",
                                 remedy: "add the closing double quote")
            }
            if !field.isEmpty || !fields.isEmpty || rowHasContent { try finishRow() }
        }
        guard !rows.isEmpty else {
            throw InputError(file: file, problem: "the file is empty", remedy: hasHeader ? "it needs a header line and at least one row" : "it needs at least one row")
        }
        if hasHeader {
            let header = rows.removeFirst()
            return CSVTable(file: file, header: header.fields, headerLine: header.line, rows: rows)
        }
        return CSVTable(file: file, header: [], headerLine: 0, rows: rows)
    }

    /// The index of a header column, compared case-insensitively, or nil.
    public func column(named name: String) -> Int? {
        header.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The index of the first header column among `names`, or an error naming what was expected.
    public func requireColumn(_ names: String...) throws -> Int {
        for name in names { if let index = column(named: name) { return index } }
        throw InputError(file: file, line: headerLine, field: names[0],
                         problem: "no column named \(names.map { "'\($0)'" }.joined(separator: " or ")) in the header [\(header.joined(separator: ","))]",
                         remedy: "add the column, or map it with a column mapping")
    }

    /// Field `column` of `row`, or an error naming the line when the row is too short.
    public func field(_ row: Row, _ column: Int) throws -> String {
        guard column < row.fields.count else {
            let name = column < header.count ? header[column] : "column \(column + 1)"
            throw InputError(file: file, line: row.line, column: column + 1, field: name,
                             problem: "the row has \(row.fields.count) fields, expected at least \(column + 1)",
                             remedy: "the line may be truncated")
        }
        return row.fields[column]
    }

    /// Field `column` of `row` as a finite number.
    public func number(_ row: Row, _ column: Int) throws -> Double {
        let text = try field(row, column)
        guard let value = Double(text), value.isFinite else {
            let name = column < header.count ? header[column] : "column \(column + 1)"
            throw InputError(file: file, line: row.line, column: column + 1, field: name,
                             problem: text.isEmpty ? "the value is missing" : "'\(text.prefix(40))' is not a finite number")
        }
        return value
    }
}

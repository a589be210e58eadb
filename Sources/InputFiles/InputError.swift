/// A problem with a file or value the user gave us, said so they can fix it.
///
/// The description reads like a compiler diagnostic: `file:line:column: field: problem. remedy`.
/// Every loader in the project reports bad input through this one type, so the command line
/// can print it the same way everywhere and exit non-zero.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file that was read, as the user named it (or a label such as `--data` for inline input).
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The key, column name or option that was wrong, when there is one.
    public var field: String?
    /// What was wrong, in one sentence.
    public var problem: String
    /// What to do about it.
    public var remedy: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, problem: String, remedy: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.problem = problem
        self.remedy = remedy
    }

    public var location: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }

    public var description: String {
        var text = location + ": "
        if let field { text += "\(field): " }
        text += problem
        if let remedy { text += " (\(remedy))" }
        return text
    }
}

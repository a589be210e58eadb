/// One finding about a user's file: an error that stops it being used, a warning worth reading,
/// or a note of something that was changed (a repair the user asked for).
///
/// Checkers that report *every* problem they find (rather than throwing the first) return these;
/// the location and wording are an ``InputError``'s.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
        case note, warning, error

        private var rank: Int {
            switch self {
            case .note: return 0
            case .warning: return 1
            case .error: return 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    public var detail: InputError

    public init(_ severity: Severity, _ detail: InputError) {
        self.severity = severity
        self.detail = detail
    }

    public static func error(_ detail: InputError) -> Diagnostic { Diagnostic(.error, detail) }
    public static func warning(_ detail: InputError) -> Diagnostic { Diagnostic(.warning, detail) }
    public static func note(_ detail: InputError) -> Diagnostic { Diagnostic(.note, detail) }

    /// `file:line:column: severity: field: problem (remedy)`, the way compilers print.
    public var description: String {
        var text = detail.location + ": \(severity.rawValue): "
        if let field = detail.field { text += "\(field): " }
        text += detail.problem
        if let remedy = detail.remedy { text += " (\(remedy))" }
        return text
    }
}

extension Array where Element == Diagnostic {
    /// The errors among the diagnostics.
    public var errors: [InputError] { filter { $0.severity == .error }.map(\.detail) }
    public var warnings: [InputError] { filter { $0.severity == .warning }.map(\.detail) }
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Throws the first error, if any.
    public func throwFirstError() throws {
        if let first = first(where: { $0.severity == .error }) { throw first.detail }
    }
}

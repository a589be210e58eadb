import Foundation
import InputFiles

/// A dated note about the market or some symbols: an event an agent may read once it is public.
public struct NewsItem: Sendable, Hashable, Codable {
    public var day: Day
    /// Minutes after midnight, US Eastern time, when known.
    public var minuteOfDay: Int?
    /// Symbols the note concerns; empty for market-wide notes.
    public var symbols: [String]
    public var text: String
    /// Where the fact comes from (publisher or data set).
    public var source: String

    public init(day: Day, minuteOfDay: Int? = nil, symbols: [String] = [], text: String, source: String) {
        self.day = day
        self.minuteOfDay = minuteOfDay
        self.symbols = symbols
        self.text = text
        self.source = source
    }

    /// The session close, 16:00 US Eastern, in minutes after midnight.
    public static let closeMinute = 16 * 60

    /// Whether the note is public at the decision taken after the close of `day`.
    ///
    /// Notes of earlier days are public. A note of the same day is public only when it carries a
    /// time at or before the close; a note without a time may have come after the close, so it
    /// becomes public the next session. This errs on the side of no look-ahead.
    public func isPublic(atCloseOf day: Day) -> Bool {
        if self.day < day { return true }
        if self.day > day { return false }
        guard let minuteOfDay else { return false }
        return minuteOfDay <= NewsItem.closeMinute
    }
}

/// Reads event-note files: CSV with columns `date`, optional `time` (HH:MM, US Eastern),
/// `symbols` (`;`-separated, may be empty), `note` (or `text`/`headline`), and `source`.
public enum NewsFile {
    public static func load(path: String, defaultSource: String? = nil) throws -> [NewsItem] {
        let table = try CSVTable.read(path: path)
        let dateColumn = try table.requireColumn("date")
        let textColumn = try table.requireColumn("note", "text", "headline")
        let timeColumn = table.column(named: "time")
        let symbolsColumn = table.column(named: "symbols") ?? table.column(named: "tickers")
        let sourceColumn = table.column(named: "source")
        guard sourceColumn != nil || defaultSource != nil else {
            throw InputError(file: path, line: table.headerLine, field: "source", problem: "no 'source' column", remedy: "name where each note comes from")
        }
        return try table.rows.map { row in
            let dateText = try table.field(row, dateColumn)
            guard let day = Day(dateText.prefix(10)) else {
                throw InputError(file: path, line: row.line, column: dateColumn + 1, field: "date", problem: "'\(dateText.prefix(40))' is not a date")
            }
            var minute: Int?
            if let timeColumn, row.fields.count > timeColumn, !row.fields[timeColumn].isEmpty {
                let parts = row.fields[timeColumn].split(separator: ":")
                guard parts.count >= 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else {
                    throw InputError(file: path, line: row.line, column: timeColumn + 1, field: "time", problem: "'\(row.fields[timeColumn])' is not HH:MM")
                }
                minute = h * 60 + m
            }
            let symbols = symbolsColumn.flatMap { $0 < row.fields.count ? row.fields[$0] : nil }?
                .split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
            let text = try table.field(row, textColumn)
            guard !text.isEmpty else {
                throw InputError(file: path, line: row.line, column: textColumn + 1, field: table.header[textColumn], problem: "the note is empty")
            }
            let source = sourceColumn.flatMap { $0 < row.fields.count ? row.fields[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } ?? defaultSource ?? ""
            return NewsItem(day: day, minuteOfDay: minute, symbols: symbols, text: text, source: source)
        }
    }
}

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

/// Reads news files: the project's event notes and users' own headline files.
///
/// CSV (with a header) or JSON Lines (`.jsonl`, one object per line). Columns or keys are found by
/// name, case-insensitively:
/// - date: `date`, `timestamp`, `datetime`, `published`, `pubDate`, `ref_date` (or `time` when it
///   holds the whole timestamp); ISO, `M/D/YYYY`, RFC 822 (`Mon, 07 Mar 2022 08:15:53 GMT`) …
/// - time (optional): `time` (`HH:MM`, `2:15 pm`); zone (optional): `tz`, `timezone` — times are
///   converted to US Eastern; a time without a zone is taken as US Eastern;
/// - text: `note`, `text`, `headline`, `headlines`, `title`;
/// - symbols (optional): `symbols`, `tickers`, `ticker`, `symbol` — `;`, `,`, `|` or space separated
///   (a JSON array in JSONL);
/// - source (optional): `source`; without it, the given default or the file's name.
///
/// A CSV file without a header whose first field is a date is read as `date,text[,symbols]`.
/// Rows whose fields are all empty are skipped; every other problem is reported with file, line
/// and column.
public enum NewsFile {
    /// Reads a news file strictly: the first problem is thrown.
    public static func load(path: String, defaultSource: String? = nil) throws -> [NewsItem] {
        let result = try read(path: path, defaultSource: defaultSource)
        try result.diagnostics.throwFirstError()
        return result.items
    }

    /// Reads a news file, reporting every problem it finds.
    public static func read(path: String, defaultSource: String? = nil) throws -> (items: [NewsItem], diagnostics: [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw InputError(file: path, problem: exists ? "cannot read the file" : "no such file",
                             remedy: exists ? "check its permissions" : "check the path; relative paths are resolved from the file that names them")
        }
        return try parse(data, file: path, defaultSource: defaultSource)
    }

    /// Parses news bytes; `file` labels errors and decides the format (`.jsonl`/`.ndjson` is JSON Lines).
    public static func parse(_ data: Data, file: String, defaultSource: String? = nil) throws -> (items: [NewsItem], diagnostics: [Diagnostic]) {
        let fallbackSource = defaultSource ?? (file as NSString).lastPathComponent
        let lower = file.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            return try JSONLinesNews.parse(data, file: file, defaultSource: fallbackSource)
        }
        var table = try CSVTable.parse(data, file: file, hasHeader: true)
        if let first = table.header.first, Day.parse(first) != nil {
            table = try CSVTable.parse(data, file: file, hasHeader: false)
            table.header = ["date", "text", "symbols"].prefix(max(2, min(3, table.rows.first?.fields.count ?? 2))).map { $0 }
        }
        return try readTable(table, defaultSource: fallbackSource)
    }

    static let dateNames = ["date", "timestamp", "datetime", "published", "pubDate", "published_at", "ref_date", "Release Date"]
    static let textNames = ["note", "text", "headline", "headlines", "title"]
    static let symbolNames = ["symbols", "tickers", "ticker", "symbol"]
    static let zoneNames = ["tz", "timezone", "zone"]

    static func readTable(_ table: CSVTable, defaultSource: String) throws -> (items: [NewsItem], diagnostics: [Diagnostic]) {
        let file = table.file
        func firstColumn(_ names: [String]) -> Int? { names.lazy.compactMap { table.column(named: $0) }.first }
        var dateColumn = firstColumn(dateNames)
        var timeColumn = table.column(named: "time")
        if dateColumn == nil, let t = timeColumn {
            dateColumn = t
            timeColumn = nil
        }
        guard let dateColumn else {
            throw InputError(file: file, line: table.headerLine, field: "date",
                             problem: "no date column in the header [\(table.header.joined(separator: ",").prefix(120))]",
                             remedy: "name one of: \(dateNames.joined(separator: ", "))")
        }
        guard let textColumn = firstColumn(textNames) else {
            throw InputError(file: file, line: table.headerLine, field: "text",
                             problem: "no text column in the header [\(table.header.joined(separator: ",").prefix(120))]",
                             remedy: "name one of: \(textNames.joined(separator: ", "))")
        }
        let zoneColumn = firstColumn(zoneNames)
        let symbolsColumn = firstColumn(symbolNames)
        let sourceColumn = table.column(named: "source")

        var items: [NewsItem] = []
        var diagnostics: [Diagnostic] = []
        items.reserveCapacity(table.rows.count)
        for row in table.rows {
            if row.fields.allSatisfy(\.isEmpty) { continue }
            func field(_ column: Int?) -> String? { column.flatMap { $0 < row.fields.count ? row.fields[$0] : nil } }
            func fail(_ column: Int, _ problem: String, _ remedy: String? = nil) {
                let name = column < table.header.count ? table.header[column] : "column \(column + 1)"
                diagnostics.append(.error(InputError(file: file, line: row.line, column: column + 1, field: name, problem: problem, remedy: remedy)))
            }
            let dateText = field(dateColumn) ?? ""
            let timeText = field(timeColumn).flatMap { $0.isEmpty ? nil : $0 }
            guard let moment = EasternTime.parse(date: dateText, time: timeText, zone: field(zoneColumn).flatMap { $0.isEmpty ? nil : $0 }) else {
                fail(dateColumn, dateText.isEmpty ? "the date is missing" : "'\(dateText.prefix(40))' is not a date", "write YYYY-MM-DD, optionally with a time HH:MM (US Eastern)")
                continue
            }
            if let timeText, let timeColumn, moment.minuteOfDay == nil {
                fail(timeColumn, "'\(timeText.prefix(20))' is not a time", "write HH:MM (24-hour, US Eastern)")
                continue
            }
            guard let text = field(textColumn), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                fail(textColumn, textColumn < row.fields.count ? "the text is empty" : "the row has \(row.fields.count) fields; the text is in column \(textColumn + 1)",
                     "give every note its text")
                continue
            }
            let symbols = field(symbolsColumn).map(splitSymbols) ?? []
            let source = field(sourceColumn).flatMap { $0.isEmpty ? nil : $0 } ?? defaultSource
            items.append(NewsItem(day: moment.day, minuteOfDay: moment.minuteOfDay, symbols: symbols,
                                  text: text.trimmingCharacters(in: .whitespacesAndNewlines), source: source))
        }
        if items.isEmpty && diagnostics.isEmpty {
            diagnostics.append(.error(InputError(file: file, problem: "the file has no notes", remedy: "add rows after the header")))
        }
        return (items, diagnostics)
    }

    static func splitSymbols(_ text: String) -> [String] {
        text.split { $0 == ";" || $0 == "," || $0 == "|" || $0 == " " }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The file's text for `items` in the event-note layout `date,time,symbols,note,source`.
    public static func csv(_ items: [NewsItem]) -> String {
        var text = "date,time,symbols,note,source\n"
        for item in items {
            let time = item.minuteOfDay.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) } ?? ""
            text += [item.day.iso, time, item.symbols.joined(separator: ";"), item.text, item.source].map(CSVText.quoted).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// JSON Lines headline files: one object per line with the same keys as the CSV columns.
enum JSONLinesNews {
    static func parse(_ data: Data, file: String, defaultSource: String) throws -> (items: [NewsItem], diagnostics: [Diagnostic]) {
        var items: [NewsItem] = []
        var diagnostics: [Diagnostic] = []
        var lineNumber = 0
        var sawContent = false
        for lineBytes in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = lineBytes.filter { $0 != UInt8(ascii: "\r") }
            guard trimmed.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            sawContent = true
            func fail(_ field: String?, _ problem: String, _ remedy: String? = nil) {
                diagnostics.append(.error(InputError(file: file, line: lineNumber, field: field, problem: problem, remedy: remedy)))
            }
            guard String(validating: trimmed, as: UTF8.self) != nil else {
                fail(nil, "the line is not valid UTF-8 text", "save the file as UTF-8")
                continue
            }
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(trimmed), options: []) as? [String: Any] else {
                    fail(nil, "the line is not a JSON object", "write one {\"date\": …, \"text\": …} object per line")
                    continue
                }
                object = parsed
            } catch {
                fail(nil, "the line is not valid JSON", "write one {\"date\": …, \"text\": …} object per line")
                continue
            }
            var keys: [String: String] = [:]
            for key in object.keys { keys[key.lowercased()] = key }
            func value(_ names: [String]) -> (key: String, value: Any)? {
                for name in names { if let key = keys[name.lowercased()], let v = object[key], !(v is NSNull) { return (key, v) } }
                return nil
            }
            func string(_ names: [String]) -> (key: String, text: String?)? {
                guard let (key, v) = value(names) else { return nil }
                if let s = v as? String { return (key, s) }
                return (key, nil)
            }
            var dateNames = NewsFile.dateNames
            let hasTimeOnly = value(NewsFile.dateNames) == nil
            if hasTimeOnly { dateNames.append("time") }
            guard let (dateKey, dateText) = string(dateNames) else {
                fail("date", "no date key", "add \"date\": \"YYYY-MM-DD\"")
                continue
            }
            guard let dateText else { fail(dateKey, "the date is not text"); continue }
            var timeText: String?
            if !hasTimeOnly, let (timeKey, t) = string(["time"]) {
                guard let t else { fail(timeKey, "the time is not text", "write \"HH:MM\""); continue }
                timeText = t.isEmpty ? nil : t
            }
            let zone = string(NewsFile.zoneNames)?.text
            guard let moment = EasternTime.parse(date: dateText, time: timeText, zone: zone) else {
                fail(dateKey, "'\(dateText.prefix(40))' is not a date", "write YYYY-MM-DD, optionally with a time")
                continue
            }
            if timeText != nil, moment.minuteOfDay == nil { fail("time", "'\(timeText!.prefix(20))' is not a time", "write HH:MM (US Eastern)"); continue }
            guard let (textKey, text) = string(NewsFile.textNames) else { fail("text", "no text key", "add \"text\": \"…\""); continue }
            guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { fail(textKey, "the text is empty or not text"); continue }
            var symbols: [String] = []
            if let (symbolsKey, raw) = value(NewsFile.symbolNames) {
                if let s = raw as? String {
                    symbols = NewsFile.splitSymbols(s)
                } else if let list = raw as? [Any], list.allSatisfy({ $0 is String }) {
                    symbols = list.compactMap { $0 as? String }.filter { !$0.isEmpty }
                } else {
                    fail(symbolsKey, "symbols must be text or a list of text", "write [\"AAPL\", \"MSFT\"]")
                    continue
                }
            }
            let source = string(["source"])?.text.flatMap { $0.isEmpty ? nil : $0 } ?? defaultSource
            items.append(NewsItem(day: moment.day, minuteOfDay: moment.minuteOfDay, symbols: symbols,
                                  text: text.trimmingCharacters(in: .whitespacesAndNewlines), source: source))
        }
        if !sawContent { diagnostics.append(.error(InputError(file: file, problem: "the file is empty", remedy: "write one JSON object per line"))) }
        return (items, diagnostics)
    }
}

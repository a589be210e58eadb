import Foundation
import InputFiles

/// One value of an economic series, with the day it became public.
///
/// Macro series are dated by the period they measure (FRED dates a monthly CPI value on the 1st of
/// the month), but a value is known only once it is released, often weeks later. The feed shows a
/// value from its publication on, never from its period.
public struct MacroObservation: Sendable, Hashable, Codable {
    /// Series name, e.g. `fed_funds_target_upper`.
    public var series: String
    /// The day (or first day of the month) the value measures.
    public var period: Day
    public var value: Double
    /// Unit, e.g. `percent` or `index 1982-84=100`.
    public var unit: String
    /// The day the value became public.
    public var published: Day
    /// Minutes after midnight, US Eastern, when the publication time is known.
    public var publishedMinute: Int?
    public var source: String

    public init(series: String, period: Day, value: Double, unit: String = "", published: Day, publishedMinute: Int? = nil, source: String) {
        self.series = series
        self.period = period
        self.value = value
        self.unit = unit
        self.published = published
        self.publishedMinute = publishedMinute
        self.source = source
    }

    /// Whether the value is public at the decision after the close of `day` (same rule as news: a
    /// value published on `day` without a time counts as published after the close).
    public func isPublic(atCloseOf day: Day) -> Bool {
        if published < day { return true }
        if published > day { return false }
        guard let publishedMinute else { return false }
        return publishedMinute <= NewsItem.closeMinute
    }
}

/// Reads and writes macro files in the project's layout:
/// `series,period,value,unit,published,time,source` — one row per published value, `time` (HH:MM,
/// US Eastern) may be empty.
public enum MacroFile {
    public static let header = "series,period,value,unit,published,time,source"

    /// Reads a macro file strictly (the first problem is thrown).
    public static func load(path: String) throws -> [MacroObservation] {
        let result = try read(path: path)
        try result.diagnostics.throwFirstError()
        return result.observations
    }

    /// Reads a macro file, reporting every problem.
    public static func read(path: String) throws -> (observations: [MacroObservation], diagnostics: [Diagnostic]) {
        try read(CSVTable.read(path: path))
    }

    public static func read(_ table: CSVTable) throws -> (observations: [MacroObservation], diagnostics: [Diagnostic]) {
        let seriesColumn = try table.requireColumn("series")
        let periodColumn = try table.requireColumn("period")
        let valueColumn = try table.requireColumn("value")
        let publishedColumn = try table.requireColumn("published")
        let unitColumn = table.column(named: "unit")
        let timeColumn = table.column(named: "time")
        let sourceColumn = try table.requireColumn("source")
        var observations: [MacroObservation] = []
        var diagnostics: [Diagnostic] = []
        for row in table.rows {
            func fail(_ column: Int, _ problem: String, _ remedy: String? = nil) {
                diagnostics.append(.error(InputError(file: table.file, line: row.line, column: column + 1, field: table.header[column], problem: problem, remedy: remedy)))
            }
            func text(_ column: Int) -> String? { column < row.fields.count ? row.fields[column] : nil }
            guard row.fields.count >= table.header.count else {
                fail(min(row.fields.count, table.header.count - 1), "the row has \(row.fields.count) fields, expected \(table.header.count)", "the line may be truncated")
                continue
            }
            let series = text(seriesColumn) ?? ""
            guard !series.isEmpty else { fail(seriesColumn, "the series name is missing"); continue }
            guard let period = Day.parse(text(periodColumn) ?? "") else { fail(periodColumn, "'\(text(periodColumn)?.prefix(40) ?? "")' is not a date", "write YYYY-MM-DD"); continue }
            guard let value = Double(text(valueColumn) ?? ""), value.isFinite else { fail(valueColumn, "'\(text(valueColumn)?.prefix(40) ?? "")' is not a finite number"); continue }
            guard let published = Day.parse(text(publishedColumn) ?? "") else { fail(publishedColumn, "'\(text(publishedColumn)?.prefix(40) ?? "")' is not a date", "write YYYY-MM-DD"); continue }
            guard published >= period else {
                fail(publishedColumn, "published \(published) before the period \(period) it measures", "give the day the value became public")
                continue
            }
            var minute: Int?
            if let timeColumn, let t = text(timeColumn), !t.isEmpty {
                guard let parsed = EasternTime.parse(date: published.iso, time: t), let m = parsed.minuteOfDay, parsed.day == published else {
                    fail(timeColumn, "'\(t.prefix(20))' is not a time", "write HH:MM, US Eastern")
                    continue
                }
                minute = m
            }
            let source = text(sourceColumn) ?? ""
            guard !source.isEmpty else { fail(sourceColumn, "the source is missing", "name where the value comes from"); continue }
            observations.append(MacroObservation(series: series, period: period, value: value, unit: unitColumn.flatMap(text) ?? "",
                                                 published: published, publishedMinute: minute, source: source))
        }
        return (observations, diagnostics)
    }

    /// The file's text for `observations`, in the order given.
    public static func csv(_ observations: [MacroObservation]) -> String {
        var text = header + "\n"
        for o in observations {
            let time = o.publishedMinute.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) } ?? ""
            text += [o.series, o.period.iso, JSONStyle.plain(o.value), o.unit, o.published.iso, time, o.source].map(CSVText.quoted).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// When the values of a FRED series became public.
public enum MacroRelease: Sendable, Hashable {
    /// The value dated D was public from the start of D: e.g. a policy target in force from D,
    /// announced before it.
    case onPeriod
    /// The value dated D was published on the next weekday, at a time not given (so it counts as
    /// published after that day's close): daily rates such as the H.15 10-year yield.
    case nextWeekday
    /// A monthly value, published on the listed day (and time) of its release; months not listed
    /// fall back to the last day of the following month, which is never before the real release
    /// of the series handled here (CPI, unemployment).
    case monthly(releases: [Day: EasternTime])
}

/// Reads FRED downloads (`DATE,SERIES` with `.` for missing values) into macro observations.
public enum FREDImporter {
    public static func read(path: String, series name: String, unit: String, release: MacroRelease, range: ClosedRange<Day>,
                            changesOnly: Bool = false, source: String) throws -> [MacroObservation] {
        let table = try CSVTable.read(path: path)
        guard table.header.count >= 2 else {
            throw InputError(file: path, line: table.headerLine, problem: "a FRED file has two columns, DATE and the series", remedy: "download the series as CSV")
        }
        let dateColumn = try table.requireColumn("DATE", "observation_date")
        let valueColumn = dateColumn == 0 ? 1 : 0
        var result: [MacroObservation] = []
        for row in table.rows {
            let dateText = try table.field(row, dateColumn)
            guard let period = Day.parse(dateText) else {
                throw InputError(file: path, line: row.line, column: dateColumn + 1, field: table.header[dateColumn], problem: "'\(dateText.prefix(40))' is not a date")
            }
            guard range.contains(period) else { continue }
            let valueText = try table.field(row, valueColumn)
            if valueText == "." || valueText.isEmpty { continue }
            guard let value = Double(valueText), value.isFinite else {
                throw InputError(file: path, line: row.line, column: valueColumn + 1, field: table.header[valueColumn], problem: "'\(valueText.prefix(40))' is not a number")
            }
            if changesOnly, let last = result.last, last.value == value { continue }
            let published: Day
            var minute: Int?
            switch release {
            case .onPeriod:
                published = period
                minute = 0
            case .nextWeekday:
                var next = period.advanced(by: 1)
                while next.weekday > 5 { next = next.advanced(by: 1) }
                published = next
            case let .monthly(releases):
                if let listed = releases[period] {
                    published = listed.day
                    minute = listed.minuteOfDay
                } else {
                    let nextMonth = period.nextMonth
                    published = Day(year: nextMonth.year, month: nextMonth.month, day: Day.daysIn(month: nextMonth.month, year: nextMonth.year))!
                }
            }
            result.append(MacroObservation(series: name, period: period, value: value, unit: unit, published: published, publishedMinute: minute, source: source))
        }
        return result
    }
}

extension Day {
    /// The first day of the next month.
    public var nextMonth: Day {
        let (y, m, _) = components
        return m == 12 ? Day(year: y + 1, month: 1, day: 1)! : Day(year: y, month: m + 1, day: 1)!
    }
}

enum CSVText {
    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension JSONStyle {
    /// A number as short as it round-trips: `0.25`, `5`, `1.2345`.
    static func plain(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}

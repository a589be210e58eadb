import Foundation
import InputFiles
import Market

/// Reads a daily series from CSV for `desk metrics`: a `date` column and either a `value` column
/// (equity or price; also accepted as `equity` or `close`) or a `return` column (simple returns;
/// also `returns`).
///
/// From values, each day's return is taken against the previous row, so the first row only sets
/// the starting value. Dates must be ISO (YYYY-MM-DD) and strictly increasing; values positive;
/// returns above −1. Every problem is an ``InputError`` naming the file, line and column.
public enum ReturnSeriesFile {
    public static func load(path: String) throws -> ReturnSeries {
        try parse(CSVTable.read(path: path))
    }

    public static func parse(_ data: Data, file: String) throws -> ReturnSeries {
        try parse(CSVTable.parse(data, file: file))
    }

    static func parse(_ table: CSVTable) throws -> ReturnSeries {
        let dateColumn = try table.requireColumn("date", "day")
        let valueColumn = ["value", "equity", "close"].lazy.compactMap(table.column(named:)).first
        let returnColumn = ["return", "returns"].lazy.compactMap(table.column(named:)).first
        guard (valueColumn == nil) != (returnColumn == nil) else {
            throw InputError(file: table.file, line: table.headerLine, field: valueColumn == nil ? "value" : "return",
                             problem: valueColumn == nil ? "the header [\(table.header.joined(separator: ","))] has neither a value nor a return column"
                                : "the header has both a value and a return column",
                             remedy: "give columns date,value (equity or prices) or date,return (simple daily returns)")
        }
        guard !table.rows.isEmpty else {
            throw InputError(file: table.file, line: table.headerLine, problem: "the file has no rows after its header", remedy: "add one row per session")
        }
        var days: [Day] = []
        var numbers: [Double] = []
        for row in table.rows {
            let dateText = try table.field(row, dateColumn)
            guard let day = Day(dateText) else {
                throw InputError(file: table.file, line: row.line, column: dateColumn + 1, field: table.header[dateColumn],
                                 problem: "'\(dateText.prefix(40))' is not a date", remedy: "write dates as YYYY-MM-DD")
            }
            if let last = days.last, day <= last {
                throw InputError(file: table.file, line: row.line, column: dateColumn + 1, field: table.header[dateColumn],
                                 problem: day == last ? "\(day) appears twice" : "\(day) comes after \(last)",
                                 remedy: "sort the rows by date, one row per session")
            }
            let column = valueColumn ?? returnColumn!
            let number = try table.number(row, column)
            if valueColumn != nil, number <= 0 {
                throw InputError(file: table.file, line: row.line, column: column + 1, field: table.header[column],
                                 problem: "value \(number) is not positive", remedy: "give the portfolio's value (or price), which must stay above 0")
            }
            if returnColumn != nil, number <= -1 {
                throw InputError(file: table.file, line: row.line, column: column + 1, field: table.header[column],
                                 problem: "return \(number) is −100 % or worse", remedy: "give simple returns as fractions (0.01 for 1 %)")
            }
            days.append(day)
            numbers.append(number)
        }
        if valueColumn != nil {
            guard numbers.count >= 2 else {
                throw InputError(file: table.file, line: table.rows[0].line, problem: "one value gives no return",
                                 remedy: "give at least two rows of values")
            }
            let series = ReturnSeries(days: days, values: numbers)
            return ReturnSeries(days: Array(series.days.dropFirst()), returns: Array(series.returns.dropFirst()))
        }
        return ReturnSeries(days: days, returns: numbers)
    }
}

import Foundation
import InputFiles

/// One session of one instrument: open, high, low, close and volume as printed
/// (split-adjusted, not dividend-adjusted, unless a scenario says otherwise).
public struct Bar: Sendable, Hashable, Codable {
    public var day: Day
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(day: Day, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.day = day
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// The daily bars of one symbol, in strictly increasing date order.
public struct BarSeries: Sendable, Hashable {
    public let symbol: String
    public let bars: [Bar]

    /// `bars` must be sorted by day with no duplicates (``BarFile`` guarantees it).
    public init(symbol: String, bars: [Bar]) {
        precondition(zip(bars, bars.dropFirst()).allSatisfy { $0.day < $1.day }, "bars of \(symbol) must be in increasing date order")
        self.symbol = symbol
        self.bars = bars
    }

    public var isEmpty: Bool { bars.isEmpty }
    public var firstDay: Day? { bars.first?.day }
    public var lastDay: Day? { bars.last?.day }

    /// Index of the last bar on or before `day`, or nil if every bar is later.
    public func lastIndex(onOrBefore day: Day) -> Int? {
        var low = 0, high = bars.count
        while low < high {
            let mid = (low + high) / 2
            if bars[mid].day <= day { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// Index of the bar dated exactly `day`.
    public func index(on day: Day) -> Int? {
        guard let i = lastIndex(onOrBefore: day), bars[i].day == day else { return nil }
        return i
    }

    public func bar(on day: Day) -> Bar? { index(on: day).map { bars[$0] } }

    /// The bars dated within `range`, in order.
    public func bars(in range: ClosedRange<Day>) -> ArraySlice<Bar> {
        let start = lastIndex(onOrBefore: range.lowerBound.advanced(by: -1)).map { $0 + 1 } ?? 0
        let end = lastIndex(onOrBefore: range.upperBound).map { $0 + 1 } ?? 0
        return start < end ? bars[start..<end] : []
    }
}

/// Reads daily-bar CSV files into a ``BarSeries``, checking every row.
///
/// Columns are found by name, case-insensitively: `date` (or `Date`), `open`, `high`, `low`,
/// `close`, `volume`; other columns (`Adj Close`, `OpenInterest`, …) are ignored. This covers the
/// project's tidy layout, Yahoo's download layout and backtrader's CSV. Dates may be ISO
/// (`2020-03-16`) or US (`3/16/2020`). Every problem is an ``InputError`` naming file, line and column.
public enum BarFile {
    public static func load(path: String, symbol: String) throws -> BarSeries {
        try parse(CSVTable.read(path: path), symbol: symbol)
    }

    public static func parse(_ table: CSVTable, symbol: String) throws -> BarSeries {
        let dateColumn = try table.requireColumn("date", "Date", "timestamp")
        let openColumn = try table.requireColumn("open")
        let highColumn = try table.requireColumn("high")
        let lowColumn = try table.requireColumn("low")
        let closeColumn = try table.requireColumn("close")
        let volumeColumn = table.column(named: "volume")

        var bars: [Bar] = []
        bars.reserveCapacity(table.rows.count)
        var previousLine = 0
        for row in table.rows {
            let dateText = try table.field(row, dateColumn)
            guard let day = Day(dateText) else {
                throw InputError(file: table.file, line: row.line, column: dateColumn + 1, field: table.header[dateColumn],
                                 problem: "'\(dateText.prefix(40))' is not a date", remedy: "use YYYY-MM-DD or M/D/YYYY")
            }
            let open = try table.number(row, openColumn)
            let high = try table.number(row, highColumn)
            let low = try table.number(row, lowColumn)
            let close = try table.number(row, closeColumn)
            let volume = try volumeColumn.map { try table.number(row, $0) } ?? 0
            func fail(_ column: Int, _ problem: String, _ remedy: String? = nil) -> InputError {
                InputError(file: table.file, line: row.line, column: column + 1, field: table.header[column], problem: problem, remedy: remedy)
            }
            for (column, value) in [(openColumn, open), (highColumn, high), (lowColumn, low), (closeColumn, close)] where value <= 0 {
                throw fail(column, "price \(value) is not positive")
            }
            if let volumeColumn, volume < 0 { throw fail(volumeColumn, "volume \(volume) is negative") }
            if low > min(open, close) || high < max(open, close) || low > high {
                throw fail(lowColumn, "low \(low) and high \(high) do not bracket open \(open) and close \(close)", "correct the row; the importers can repair such rows with an explicit flag")
            }
            if let last = bars.last {
                if day == last.day {
                    throw fail(dateColumn, "\(day) appears twice (also on line \(previousLine))", "remove the duplicate row")
                }
                if day < last.day {
                    throw fail(dateColumn, "\(day) comes after \(last.day) (line \(previousLine)); dates must increase", "sort the file by date")
                }
            }
            bars.append(Bar(day: day, open: open, high: high, low: low, close: close, volume: volume))
            previousLine = row.line
        }
        return BarSeries(symbol: symbol, bars: bars)
    }
}

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

/// Reads daily-bar CSV files into a ``BarSeries``, strictly: the first problem is thrown.
///
/// The layout is recognised from the header (the project's tidy layout, Yahoo, yfinance, Stooq,
/// backtrader; see ``BarImporter``). Dates may be ISO (`2020-03-16`) or US (`3/16/2020`). Every
/// problem is an ``InputError`` naming file, line and column; nothing is repaired. Use
/// ``BarImporter`` to see every problem at once, check the calendar, or repair.
public enum BarFile {
    public static func load(path: String, symbol: String) throws -> BarSeries {
        try parse(CSVTable.read(path: path), symbol: symbol)
    }

    public static func parse(_ table: CSVTable, symbol: String) throws -> BarSeries {
        let result = try BarImporter.read(table, symbol: symbol, options: BarImportOptions(calendar: nil))
        if let first = result.diagnostics.errors.min(by: { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }) {
            throw first
        }
        return result.series
    }
}

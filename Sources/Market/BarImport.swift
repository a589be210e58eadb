import Foundation
import InputFiles

/// The column layout of a daily-bar CSV file.
public enum BarLayout: Sendable, Hashable, CustomStringConvertible {
    /// Recognise the layout from the header.
    case automatic
    /// The project's own: `date,open,high,low,close,volume` (prices as printed, split-adjusted).
    case tidy
    /// Yahoo Finance's download: `Date,Open,High,Low,Close,Adj Close,Volume`. `Close` is the printed
    /// (split-adjusted) price; `Adj Close` (also dividend-adjusted) is not used.
    case yahoo
    /// yfinance `history()` output: `Date,Open,High,Low,Close[,Adj Close],Volume,Dividends,Stock Splits[,Capital Gains]`.
    /// Without `Adj Close` (yfinance's default `auto_adjust=True`) the prices are total-return adjusted;
    /// ``BarImportOptions/unadjustDividends`` restores printed prices from the `Dividends` column.
    case yfinance
    /// Stooq's downloads: `Date,Open,High,Low,Close,Volume`, or the ASCII bulk layout
    /// `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>` (daily rows only).
    case stooq
    /// backtrader's generic CSV: `Date,Open,High,Low,Close,Volume,OpenInterest`.
    case backtrader
    /// Any other layout, with the columns named by a ``ColumnMapping``.
    case generic(ColumnMapping)

    /// The layouts a user can name (`generic` needs a mapping, so it is not among them).
    public static let names = ["auto", "tidy", "yahoo", "yfinance", "stooq", "backtrader"]

    public static func named(_ name: String) -> BarLayout? {
        switch name.lowercased() {
        case "auto", "automatic": return .automatic
        case "tidy": return .tidy
        case "yahoo": return .yahoo
        case "yfinance": return .yfinance
        case "stooq": return .stooq
        case "backtrader": return .backtrader
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "auto"
        case .tidy: return "tidy"
        case .yahoo: return "yahoo"
        case .yfinance: return "yfinance"
        case .stooq: return "stooq"
        case .backtrader: return "backtrader"
        case let .generic(mapping): return "generic(\(mapping))"
        }
    }
}

/// Which header columns hold a bar's fields, for files in no standard layout.
public struct ColumnMapping: Sendable, Hashable, CustomStringConvertible {
    public var date: String
    public var open: String
    public var high: String
    public var low: String
    public var close: String
    /// Nil when the file has no volume (volume is then 0, which blocks fills under a participation cap).
    public var volume: String?
    /// For files holding several symbols: the column naming each row's symbol; only rows of the
    /// imported symbol are kept.
    public var symbol: String?
    public var dateStyle: DateStyle

    public init(date: String = "date", open: String = "open", high: String = "high", low: String = "low", close: String = "close",
                volume: String? = "volume", symbol: String? = nil, dateStyle: DateStyle = .automatic) {
        self.date = date
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.symbol = symbol
        self.dateStyle = dateStyle
    }

    /// The fields a mapping names.
    public static let fields = ["date", "open", "high", "low", "close", "volume", "symbol", "date_style"]

    /// Reads `date=Date,close=Last,volume=none,symbol=Ticker,date_style=day_first`; unnamed fields
    /// keep their default column name (the field's own name). `label` names the option in errors.
    public init(parsing text: String, label: String = "--map") throws {
        self.init()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw InputError(file: label, field: String(pair), problem: "'\(pair)' is not field=column",
                                 remedy: "write e.g. date=Date,close=Last; fields: \(ColumnMapping.fields.joined(separator: ", "))")
            }
            let column = parts[1]
            switch parts[0].lowercased() {
            case "date": date = column
            case "open": open = column
            case "high": high = column
            case "low": low = column
            case "close": close = column
            case "volume": volume = column.lowercased() == "none" ? nil : column
            case "symbol": symbol = column
            case "date_style":
                guard let style = DateStyle(rawValue: column) else {
                    throw InputError(file: label, field: "date_style", problem: "'\(column)' is not a date style", remedy: "use automatic or day_first")
                }
                dateStyle = style
            default:
                throw InputError(file: label, field: parts[0], problem: "unknown field '\(parts[0])'",
                                 remedy: "fields: \(ColumnMapping.fields.joined(separator: ", "))")
            }
        }
    }

    public var description: String {
        var parts = ["date=\(date)", "open=\(open)", "high=\(high)", "low=\(low)", "close=\(close)", "volume=\(volume ?? "none")"]
        if let symbol { parts.append("symbol=\(symbol)") }
        if dateStyle != .automatic { parts.append("date_style=\(dateStyle.rawValue)") }
        return parts.joined(separator: ",")
    }
}

/// A problem the importer may fix, but only when asked to.
public enum BarRepair: String, Sendable, Hashable, CaseIterable, Codable {
    /// Several rows for one date: keep the first, drop the others.
    case duplicates
    /// High or low not bracketing open and close: widen them (high = max(open, high, close), low = min(open, low, close)).
    case brackets
    /// Rows out of date order (e.g. a newest-first file): sort them.
    case order
    /// Rows without prices (`null`, `NaN`, empty, as Yahoo writes for days it has no data): drop them.
    case unpriced
}

/// A stock split the source has already applied to its history (a back-adjusted split).
public struct SplitEvent: Sendable, Hashable, Codable {
    /// The first day of trading on the new share basis (the ex-date).
    public var day: Day
    /// New shares per old share: 4 for a 4-for-1 split, 0.05 for a 1-for-20 reverse split.
    public var ratio: Double

    public init(day: Day, ratio: Double) {
        self.day = day
        self.ratio = ratio
    }
}

/// How to read a daily-bar file.
public struct BarImportOptions: Sendable {
    public var layout: BarLayout = .automatic
    /// Keep only bars dated within this range (rows outside it are read for their dates, splits
    /// and dividends, but their prices are not checked).
    public var range: ClosedRange<Day>?
    /// Problems to fix instead of reporting as errors; each fix is reported as a note.
    public var repairs: Set<BarRepair> = []
    /// For yfinance files with total-return-adjusted prices: divide the dividends back out, giving
    /// printed (split-adjusted) prices. Assumes the file was adjusted as of its last row.
    public var unadjustDividends = false
    /// Restate prices and volumes on the share basis of this day: splits after it, which the source
    /// back-adjusted, are undone (taken from a yfinance `Stock Splits` column, or from ``splits``).
    public var splitBasis: Day?
    /// Back-adjusted splits for files without a split column (e.g. Yahoo downloads).
    public var splits: [SplitEvent] = []
    /// Checks for missing sessions and days that are not sessions; nil skips the check.
    public var calendar: ExchangeCalendar? = .nyse
    /// Round prices to this many decimals after the adjustments (e.g. 2 for prices recovered by
    /// un-adjusting dividends, which are quoted in cents).
    public var roundPrices: Int?

    public init(layout: BarLayout = .automatic, range: ClosedRange<Day>? = nil, repairs: Set<BarRepair> = [],
                unadjustDividends: Bool = false, splitBasis: Day? = nil, splits: [SplitEvent] = [],
                calendar: ExchangeCalendar? = .nyse) {
        self.layout = layout
        self.range = range
        self.repairs = repairs
        self.unadjustDividends = unadjustDividends
        self.splitBasis = splitBasis
        self.splits = splits
        self.calendar = calendar
    }
}

/// What an import read: the bars, the layout it recognised, and every problem and repair.
public struct BarImport: Sendable {
    public var series: BarSeries
    public var layout: BarLayout
    /// Errors (rows that could not be used), warnings (e.g. missing sessions) and notes (repairs made).
    public var diagnostics: [Diagnostic]
    /// Sessions of the exchange calendar between the first and last kept bar (or within the
    /// requested range) that have no bar.
    public var missingSessions: [Day]
    /// Kept bars dated on days that are not sessions.
    public var nonSessions: [Day]
    /// Data rows in the file (all symbols, all dates).
    public var rowsRead: Int

    public var hasErrors: Bool { diagnostics.hasErrors }
    public var repairs: [Diagnostic] { diagnostics.filter { $0.severity == .note } }
}

/// Reads daily-bar CSV files in the common layouts, checking every row and reporting every problem
/// with file, line and column.
///
/// Checks: dates readable and increasing (no duplicates), prices positive and finite, low ≤
/// open, close ≤ high, volume finite and not negative, and (with a calendar) missing sessions and
/// bars on days that are not sessions. Problems a user may want fixed (duplicates, bracket
/// violations, order, rows without prices) are repaired only when ``BarImportOptions/repairs`` asks,
/// and every repair is reported.
public enum BarImporter {
    /// Larger prices are taken for corrupt data (the dearest share ever traded is under 1e6).
    public static let largestPrice = 1e9
    /// Larger volumes are taken for corrupt data.
    public static let largestVolume = 1e15

    /// Reads a file from disk. Throws only when the file cannot be read at all (missing, not CSV,
    /// no usable header); row problems are in the returned diagnostics.
    public static func read(path: String, symbol: String, options: BarImportOptions = BarImportOptions()) throws -> BarImport {
        try read(CSVTable.read(path: path, hasHeader: true), symbol: symbol, options: options)
    }

    /// Reads a parsed table.
    public static func read(_ table: CSVTable, symbol: String, options: BarImportOptions = BarImportOptions()) throws -> BarImport {
        let layout = try resolveLayout(options.layout, table: table)
        let columns = try Columns(table: table, layout: layout)
        var diagnostics: [Diagnostic] = []
        let file = table.file
        func problem(_ row: CSVTable.Row, _ column: Int?, _ text: String, _ remedy: String? = nil) -> InputError {
            InputError(file: file, line: row.line, column: column.map { $0 + 1 }, field: column.map { table.header.indices.contains($0) ? table.header[$0] : "column \($0 + 1)" },
                       problem: text, remedy: remedy)
        }

        // 1. Read every row of the symbol: date, prices, volume, dividend, split.
        var rows: [Row] = []
        var rowsRead = 0
        for row in table.rows {
            rowsRead += 1
            if let symbolColumn = columns.symbol {
                guard symbolColumn < row.fields.count else {
                    diagnostics.append(.error(problem(row, symbolColumn, "the row has \(row.fields.count) fields; the symbol column is number \(symbolColumn + 1)", "the line may be truncated")))
                    continue
                }
                if row.fields[symbolColumn] != symbol { continue }
            }
            if let period = columns.period, period < row.fields.count, !row.fields[period].isEmpty, row.fields[period].uppercased() != "D" {
                diagnostics.append(.error(problem(row, period, "period '\(row.fields[period])' is not daily (D)", "export daily bars")))
                continue
            }
            guard columns.date < row.fields.count else {
                diagnostics.append(.error(problem(row, columns.date, "the row has \(row.fields.count) fields, expected \(table.header.count)", "the line may be truncated")))
                continue
            }
            let dateText = row.fields[columns.date]
            guard let day = Day.parse(dateText, style: columns.dateStyle) else {
                let remedy = columns.dateStyle == .dayFirst ? "write dates as D/M/YYYY" : "use YYYY-MM-DD, YYYYMMDD or M/D/YYYY (day-first dates need date_style=day_first)"
                diagnostics.append(.error(problem(row, columns.date, dateText.isEmpty ? "the date is missing" : "'\(dateText.prefix(40))' is not a date", remedy)))
                continue
            }
            rows.append(Row(line: row.line, day: day, source: row))
        }

        // 2. Order and duplicates, over the whole file.
        if options.repairs.contains(.order), zip(rows, rows.dropFirst()).contains(where: { $0.day > $1.day }) {
            let descending = zip(rows, rows.dropFirst()).allSatisfy { $0.day >= $1.day }
            rows.sort { ($0.day, $0.line) < ($1.day, $1.line) }
            diagnostics.append(.note(InputError(file: file, field: table.header[columns.date],
                                                problem: descending ? "the file is newest-first; its \(rows.count) rows were reversed into date order" : "rows were out of date order and were sorted")))
        }
        var ordered: [Row] = []
        ordered.reserveCapacity(rows.count)
        for row in rows {
            if let last = ordered.last {
                if row.day == last.day {
                    if options.repairs.contains(.duplicates) {
                        diagnostics.append(.note(problem(row.source, columns.date, "dropped a second row for \(row.day) (kept line \(last.line))")))
                    } else {
                        diagnostics.append(.error(problem(row.source, columns.date, "\(row.day) appears twice (also on line \(last.line))", "remove the duplicate row, or repair duplicates (keeps the first)")))
                    }
                    continue
                }
                if row.day < last.day {
                    diagnostics.append(.error(problem(row.source, columns.date, "\(row.day) comes after \(last.day) (line \(last.line)); dates must increase", "sort the file by date, or repair order")))
                    continue
                }
            }
            ordered.append(row)
        }
        rows = ordered

        // 3. Prices of the rows in range (and of all rows when dividends must be divided out).
        let needsAll = options.unadjustDividends
        var bars: [(row: Row, bar: Bar, dividend: Double, split: Double)] = []
        bars.reserveCapacity(rows.count)
        for row in rows {
            let inRange = options.range?.contains(row.day) ?? true
            guard inRange || needsAll || columns.splits != nil else { continue }
            let fields = row.source.fields
            func text(_ column: Int) -> String? { column < fields.count ? fields[column] : nil }
            func value(_ column: Int, _ name: String) -> Double? {
                guard let raw = text(column) else {
                    if inRange { diagnostics.append(.error(problem(row.source, column, "the row has \(fields.count) fields, expected \(table.header.count)", "the line may be truncated"))) }
                    return nil
                }
                guard let x = Double(raw), x.isFinite else {
                    if inRange {
                        diagnostics.append(.error(problem(row.source, column, raw.isEmpty ? "the \(name) is missing" : "'\(raw.prefix(40))' is not a finite number")))
                    }
                    return nil
                }
                return x
            }
            let priceColumns = [columns.open, columns.high, columns.low, columns.close]
            if priceColumns.allSatisfy({ c in text(c).map(Self.isUnpriced) ?? true }) {
                if options.repairs.contains(.unpriced) {
                    if inRange { diagnostics.append(.note(problem(row.source, columns.close, "dropped a row without prices for \(row.day)"))) }
                } else if inRange {
                    diagnostics.append(.error(problem(row.source, columns.close, "the row for \(row.day) has no prices ('\(text(columns.close)?.prefix(20) ?? "")')", "remove it, or repair unpriced rows (drops them)")))
                }
                continue
            }
            guard let open = value(columns.open, "open"), let high = value(columns.high, "high"),
                  let low = value(columns.low, "low"), let close = value(columns.close, "close") else { continue }
            var volume = 0.0
            if let volumeColumn = columns.volume {
                guard let v = value(volumeColumn, "volume") else { continue }
                volume = v
            }
            var dividend = 0.0
            if let c = columns.dividends, let raw = text(c), !raw.isEmpty {
                guard let d = Double(raw), d.isFinite, d >= 0 else {
                    diagnostics.append(.error(problem(row.source, c, "'\(raw.prefix(40))' is not a dividend amount")))
                    continue
                }
                dividend = d
            }
            var split = 0.0
            if let c = columns.splits, let raw = text(c), !raw.isEmpty {
                guard let s = Double(raw), s.isFinite, s >= 0 else {
                    diagnostics.append(.error(problem(row.source, c, "'\(raw.prefix(40))' is not a split ratio")))
                    continue
                }
                split = s
            }
            bars.append((row, Bar(day: row.day, open: open, high: high, low: low, close: close, volume: volume), dividend, split))
        }

        // 4. Adjustments: dividends divided back out, later splits undone.
        if options.unadjustDividends {
            guard columns.dividends != nil else {
                throw InputError(file: file, line: table.headerLine, field: "Dividends", problem: "no Dividends column to un-adjust with",
                                 remedy: "un-adjusting needs a yfinance history file with its Dividends column")
            }
            // Walking back from the last row, each dividend d (ex-date e) scales earlier prices by
            // (1 - d / raw close before e); with C the adjusted close before e and F the factor after,
            // the factor before is F / (1 + F·d / C).
            var factor = 1.0
            for i in bars.indices.reversed() {
                let adjusted = factor
                if bars[i].dividend > 0, i > 0 {
                    factor = factor / (1 + factor * bars[i].dividend / bars[i - 1].bar.close)
                }
                bars[i].bar.scalePrices(by: 1 / adjusted)
            }
        }
        if let basis = options.splitBasis {
            var events = options.splits
            if columns.splits != nil {
                events += bars.filter { $0.split > 0 && $0.split != 1 }.map { SplitEvent(day: $0.row.day, ratio: $0.split) }
            }
            let later = events.filter { $0.day > basis }.sorted { $0.day < $1.day }
            for i in bars.indices {
                let factor = later.filter { $0.day > bars[i].bar.day }.reduce(1.0) { $0 * $1.ratio }
                if factor != 1 {
                    bars[i].bar.scalePrices(by: factor)
                    bars[i].bar.volume /= factor
                }
            }
        } else if !options.splits.isEmpty {
            throw InputError(file: file, field: "splits", problem: "splits were given without a split basis", remedy: "say on which day's share basis to restate the prices")
        }
        if let decimals = options.roundPrices {
            let unit = pow(10, Double(max(0, min(decimals, 8))))
            for i in bars.indices {
                let b = bars[i].bar
                bars[i].bar = Bar(day: b.day, open: (b.open * unit).rounded() / unit, high: (b.high * unit).rounded() / unit,
                                  low: (b.low * unit).rounded() / unit, close: (b.close * unit).rounded() / unit, volume: b.volume)
            }
        }

        // 5. Values of the bars in range.
        var kept: [Bar] = []
        kept.reserveCapacity(bars.count)
        for (row, bar, _, _) in bars {
            guard options.range?.contains(bar.day) ?? true else { continue }
            var bar = bar
            var bad = false
            for (column, x, name) in [(columns.open, bar.open, "open"), (columns.high, bar.high, "high"), (columns.low, bar.low, "low"), (columns.close, bar.close, "close")] {
                if !(x > 0) {
                    diagnostics.append(.error(problem(row.source, column, "\(name) \(x) is not a positive price")))
                    bad = true
                } else if x > BarImporter.largestPrice {
                    diagnostics.append(.error(problem(row.source, column, "\(name) \(x) is implausibly large", "prices above 1e9 are taken for corrupt data")))
                    bad = true
                }
            }
            if let volumeColumn = columns.volume, !(bar.volume >= 0) {
                diagnostics.append(.error(problem(row.source, volumeColumn, "volume \(bar.volume) is negative")))
                bad = true
            } else if let volumeColumn = columns.volume, bar.volume > BarImporter.largestVolume {
                diagnostics.append(.error(problem(row.source, volumeColumn, "volume \(bar.volume) is implausibly large", "volumes above 1e15 are taken for corrupt data")))
                bad = true
            }
            if bad { continue }
            if bar.low > min(bar.open, bar.close) || bar.high < max(bar.open, bar.close) || bar.low > bar.high {
                let text = "low \(bar.low) and high \(bar.high) do not bracket open \(bar.open) and close \(bar.close)"
                if options.repairs.contains(.brackets) {
                    let (high, low) = (max(bar.open, bar.high, bar.close), min(bar.open, bar.low, bar.close))
                    diagnostics.append(.note(problem(row.source, columns.low, "\(text); set high \(high), low \(low)")))
                    bar.high = high
                    bar.low = low
                } else {
                    diagnostics.append(.error(problem(row.source, columns.low, text, "correct the row, or repair brackets (widens high and low)")))
                    continue
                }
            }
            kept.append(bar)
        }

        // 6. The calendar: sessions without a bar, bars on days without a session.
        var missing: [Day] = []
        var nonSessions: [Day] = []
        if let calendar = options.calendar, let first = kept.first?.day, let last = kept.last?.day {
            let lower = options.range.map { max($0.lowerBound, rows.first?.day ?? first) } ?? first
            let upper = options.range.map { min($0.upperBound, rows.last?.day ?? last) } ?? last
            let have = Set(kept.map(\.day))
            let lines = Dictionary(bars.map { ($0.bar.day, $0.row.line) }, uniquingKeysWith: { a, _ in a })
            // Only where the calendar's rules are known (a file dated in year 1 must not make us walk 2000 years).
            let from = max(min(lower, first), calendar.validity.lowerBound), through = min(max(upper, last), calendar.validity.upperBound)
            for day in calendar.sessions(from: from, through: through) where !have.contains(day) {
                missing.append(day)
                let next = kept.first { $0.day > day }.flatMap { lines[$0.day] }
                diagnostics.append(.warning(InputError(file: file, line: next, field: symbol,
                                                       problem: "no bar for the session \(day) (\(day.weekdayName))",
                                                       remedy: "the simulator treats it as a day without trading in \(symbol)")))
            }
            for bar in kept where !calendar.isSession(bar.day) && calendar.covers(bar.day) {
                nonSessions.append(bar.day)
                diagnostics.append(.warning(InputError(file: file, line: lines[bar.day], column: columns.date + 1, field: table.header[columns.date],
                                                       problem: "\(bar.day) is not a \(calendar.name) session (\(calendar.reasonClosed(bar.day) ?? "closed"))")))
            }
        }
        if layout == .yfinance, columns.adjClose == nil, !options.unadjustDividends {
            diagnostics.append(.warning(InputError(file: file, line: table.headerLine, field: "Close",
                                                   problem: "yfinance history without Adj Close: prices are total-return adjusted, below the printed ones",
                                                   remedy: "un-adjust dividends for printed prices")))
        }
        if columns.volume == nil {
            diagnostics.append(.warning(InputError(file: file, line: table.headerLine, field: "volume",
                                                   problem: "no volume column: volume is 0, so a participation cap blocks every fill")))
        }
        return BarImport(series: BarSeries(symbol: symbol, bars: kept), layout: layout, diagnostics: diagnostics,
                         missingSessions: missing, nonSessions: nonSessions, rowsRead: rowsRead)
    }

    /// `null`, `NaN`, `-`, or empty: a row Yahoo or Google wrote for a day it had no price for.
    static func isUnpriced(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.isEmpty || lower == "null" || lower == "nan" || lower == "-" || lower == "n/a"
    }

    /// The layout of a table from its header, or the requested one after checking the header has its columns.
    public static func resolveLayout(_ layout: BarLayout, table: CSVTable) throws -> BarLayout {
        guard layout == .automatic else { return layout }
        func has(_ name: String) -> Bool { table.column(named: name) != nil }
        if has("<DATE>") { return .stooq }
        if has("Dividends") && has("Stock Splits") { return .yfinance }
        if has("Adj Close") { return .yahoo }
        if has("OpenInterest") { return .backtrader }
        if (has("date") || has("timestamp") || has("datetime")) && has("open") && has("high") && has("low") && has("close") { return .tidy }
        throw InputError(file: table.file, line: table.headerLine,
                         problem: "the header [\(table.header.joined(separator: ",").prefix(120))] is in no layout the importer knows",
                         remedy: "name a layout (\(BarLayout.names.joined(separator: ", "))) or map the columns (date=…,open=…,high=…,low=…,close=…,volume=…)")
    }

    struct Row {
        var line: Int
        var day: Day
        var source: CSVTable.Row
    }

    /// Column indices of one table under one layout.
    struct Columns {
        var date: Int, open: Int, high: Int, low: Int, close: Int
        var volume: Int?
        var adjClose: Int?
        var dividends: Int?
        var splits: Int?
        var symbol: Int?
        var period: Int?
        var dateStyle: DateStyle = .automatic

        init(table: CSVTable, layout: BarLayout) throws {
            func need(_ names: String...) throws -> Int {
                for name in names { if let i = table.column(named: name) { return i } }
                throw InputError(file: table.file, line: table.headerLine, field: names[0],
                                 problem: "the \(layout) layout needs a column '\(names[0])'; the header is [\(table.header.joined(separator: ",").prefix(120))]",
                                 remedy: "check the file's layout, or map its columns")
            }
            switch layout {
            case .stooq where table.column(named: "<DATE>") != nil:
                date = try need("<DATE>"); open = try need("<OPEN>"); high = try need("<HIGH>"); low = try need("<LOW>"); close = try need("<CLOSE>")
                volume = table.column(named: "<VOL>")
                period = table.column(named: "<PER>")
            case let .generic(mapping):
                date = try need(mapping.date); open = try need(mapping.open); high = try need(mapping.high); low = try need(mapping.low); close = try need(mapping.close)
                volume = try mapping.volume.map { try need($0) }
                symbol = try mapping.symbol.map { try need($0) }
                dateStyle = mapping.dateStyle
            default:
                date = try need("date", "timestamp", "datetime")
                open = try need("open"); high = try need("high"); low = try need("low"); close = try need("close")
                volume = table.column(named: "volume") ?? table.column(named: "vol")
                adjClose = table.column(named: "Adj Close")
                switch layout {
                case .yahoo:
                    adjClose = try need("Adj Close")
                    volume = try need("Volume")
                case .yfinance:
                    dividends = try need("Dividends")
                    splits = try need("Stock Splits")
                    volume = try need("Volume")
                case .backtrader:
                    volume = try need("Volume")
                case .stooq:
                    volume = try need("volume", "vol")
                case .tidy:
                    break  // a file without volume reads as volume 0, with a warning
                default:
                    break
                }
            }
        }
    }
}

extension Bar {
    mutating func scalePrices(by factor: Double) {
        open *= factor
        high *= factor
        low *= factor
        close *= factor
    }
}

extension Day {
    /// `Mon` … `Sun`.
    public var weekdayName: String { ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][weekday - 1] }
}

/// Writes bars in the project's tidy layout: `date,open,high,low,close,volume`, prices rounded to
/// 4 decimals without trailing zeros, volume a whole number.
public enum TidyBarWriter {
    public static let header = "date,open,high,low,close,volume"

    public static func csv(_ bars: some Sequence<Bar>) -> String {
        var text = header + "\n"
        for bar in bars {
            text += "\(bar.day.iso),\(price(bar.open)),\(price(bar.high)),\(price(bar.low)),\(price(bar.close)),\(Int64(bar.volume.rounded()))\n"
        }
        return text
    }

    /// `x` with 4 decimals, trailing zeros (and a trailing point) removed.
    public static func price(_ x: Double) -> String {
        var text = String(format: "%.4f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

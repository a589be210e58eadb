import Foundation
import InputFiles

/// Where a scenario's bundled data comes from and how it is converted: read from a recipe file
/// (`scenarios/data/sources.yaml`) and carried out by `desk data build`.
///
/// For each scenario the recipe names the scenario file (whose window, warm-up, universe files and
/// macro file say what to write) and, per symbol, the raw file, its layout and its treatment. Bars
/// are written from the first warm-up session to the scenario's end, split-adjusted to the share
/// basis of the scenario's last day.
public struct DataRecipe: Sendable {
    public struct BarSource: Sendable {
        public var symbol: String
        /// Relative to the raw-data folder.
        public var file: String
        public var options: BarImportOptions
        /// A line for the provenance table.
        public var note: String
    }

    public struct MacroSource: Sendable {
        public enum Kind: Sendable, Hashable {
            case fred(MacroRelease)
            /// A table of FOMC decisions (`Release Date,Time,Actual,…`, rates as fractions).
            case fomcDecisions
        }
        public var series: String
        public var unit: String
        public var file: String
        public var kind: Kind
        public var changesOnly: Bool
        /// Also write the year-over-year change (percent) as this series.
        public var yearOverYear: String?
        /// Only periods within these bounds (inclusive) are taken from this source.
        public var from: Day?
        public var until: Day?
        public var source: String
    }

    public struct ScenarioPlan: Sendable {
        public var scenarioFile: String
        public var scenario: Scenario
        public var bars: [BarSource]
        public var macro: [MacroSource]
        /// Months of macro history before the first warm-up session.
        public var macroHistoryMonths: Int
    }

    public var file: String
    /// The raw-data folder (resolved against the recipe's folder).
    public var raw: String
    public var scenarios: [ScenarioPlan]

    /// Reads a recipe strictly: unknown keys and wrong types name file, line and key.
    public static func load(path: String, raw overrideRaw: String? = nil) throws -> DataRecipe {
        let root = try YAMLValue.read(path: path)
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || folder.isEmpty ? p : ((folder as NSString).appendingPathComponent(p) as NSString).standardizingPath
        }
        var top = try root.mapping()
        let recipeRaw = resolve(try top.required("raw").string())
        let raw = overrideRaw ?? recipeRaw
        var plans: [ScenarioPlan] = []
        for item in try top.required("scenarios").list() {
            var fields = try item.mapping()
            let scenarioFile = resolve(try fields.required("scenario").string())
            let scenario = try ScenarioFile.load(path: scenarioFile)
            let history = try fields.optional("macro_history_months")?.int() ?? 24
            var bars: [BarSource] = []
            let barsValue = try fields.required("bars")
            var barMap = try barsValue.mapping()
            for (symbol, value) in barMap.takeAll() {
                guard scenario.universe.contains(where: { $0.symbol == symbol }) else {
                    throw value.error("\(symbol) is not in the universe of \(scenario.name)")
                }
                bars.append(try barSource(symbol: symbol, value))
            }
            for instrument in scenario.universe where !bars.contains(where: { $0.symbol == instrument.symbol }) {
                throw barsValue.error("no source for \(instrument.symbol)", remedy: "every universe symbol needs a source")
            }
            var macro: [MacroSource] = []
            if let macroValue = try fields.optional("macro") {
                guard !scenario.macroFiles.isEmpty else { throw macroValue.error("the scenario names no macro file to write") }
                macro = try macroValue.list().map(macroSource)
            }
            try fields.finish()
            plans.append(ScenarioPlan(scenarioFile: scenarioFile, scenario: scenario, bars: bars, macro: macro, macroHistoryMonths: history))
        }
        try top.finish()
        return DataRecipe(file: path, raw: raw, scenarios: plans)
    }

    static func barSource(symbol: String, _ value: YAMLValue) throws -> BarSource {
        var f = try value.mapping()
        let file = try f.required("file").string()
        var options = BarImportOptions()
        if let layout = try f.optional("layout") {
            let name = try layout.string()
            guard let parsed = BarLayout.named(name) else { throw layout.error("'\(name)' is not a layout", remedy: "use one of \(BarLayout.names.joined(separator: ", "))") }
            options.layout = parsed
        }
        if let map = try f.optional("map") {
            options.layout = .generic(try ColumnMapping(parsing: try map.string(), label: map.path))
        }
        if let repairs = try f.optional("repair") {
            for item in try repairs.listOrSingle() {
                let name = try item.string()
                guard let repair = BarRepair(rawValue: name) else { throw item.error("'\(name)' is not a repair", remedy: "use \(BarRepair.allCases.map(\.rawValue).joined(separator: ", "))") }
                options.repairs.insert(repair)
            }
        }
        options.unadjustDividends = try f.optional("unadjust_dividends")?.bool() ?? false
        if let round = try f.optional("round_prices") {
            let decimals = try round.int()
            guard (0...8).contains(decimals) else { throw round.error("round_prices must be between 0 and 8 decimals") }
            options.roundPrices = decimals
        }
        if let splits = try f.optional("splits") {
            options.splits = try splits.list().map { item in
                var s = try item.mapping()
                let day = try ScenarioFile.day(try s.required("day"))
                let ratioValue = try s.required("ratio")
                let ratio = try ratioValue.double()
                guard ratio > 0 else { throw ratioValue.error("a split ratio must be positive") }
                try s.finish()
                return SplitEvent(day: day, ratio: ratio)
            }
        }
        let note = try f.optional("note")?.string() ?? ""
        try f.finish()
        return BarSource(symbol: symbol, file: file, options: options, note: note)
    }

    static func macroSource(_ value: YAMLValue) throws -> MacroSource {
        var f = try value.mapping()
        let series = try f.required("series").string()
        let unit = try f.optional("unit")?.string() ?? ""
        let file = try f.required("file").string()
        let releaseValue = try f.required("release")
        let release = try releaseValue.string()
        let kind: MacroSource.Kind
        switch release {
        case "on_period": kind = .fred(.onPeriod)
        case "next_weekday": kind = .fred(.nextWeekday)
        case "monthly":
            var releases: [Day: EasternTime] = [:]
            if let listed = try f.optional("releases") {
                var map = try listed.mapping()
                for (key, moment) in map.takeAll() {
                    guard let period = Day(key) else { throw moment.error("'\(key)' is not a period (YYYY-MM-01)") }
                    let text = try moment.string()
                    guard let parsed = EasternTime.parse(date: text), parsed.day >= period else {
                        throw moment.error("'\(text)' is not a release time after the period", remedy: "write YYYY-MM-DD HH:MM (US Eastern)")
                    }
                    releases[period] = parsed
                }
            }
            kind = .fred(.monthly(releases: releases))
        case "fomc_decisions": kind = .fomcDecisions
        default: throw releaseValue.error("'\(release)' is not a release rule", remedy: "use on_period, next_weekday, monthly or fomc_decisions")
        }
        let changesOnly = try f.optional("changes_only")?.bool() ?? false
        let yoy = try f.optional("year_over_year")?.string()
        let from = try f.optional("from").map(ScenarioFile.day)
        let until = try f.optional("until").map(ScenarioFile.day)
        let source = try f.required("source").string()
        try f.finish()
        return MacroSource(series: series, unit: unit, file: file, kind: kind, changesOnly: changesOnly, yearOverYear: yoy, from: from, until: until, source: source)
    }
}

/// What building one symbol's file produced.
public struct BuiltBars: Sendable {
    public var scenario: String
    public var symbol: String
    public var rawFile: String
    /// The raw file's bytes (for a digest in the provenance).
    public var rawBytes: Data
    public var output: String
    public var text: String
    public var result: BarImport
    public var note: String
}

/// Carries out a ``DataRecipe``: imports every raw file through ``BarImporter`` and the macro
/// importers and renders the bundled files' text (the caller writes or compares them).
public enum DataBuild {
    /// The first session of a scenario's warm-up on the NYSE calendar.
    public static func firstDay(of scenario: Scenario, calendar: ExchangeCalendar = .nyse) -> Day {
        let start = calendar.isSession(scenario.start) ? scenario.start : calendar.session(after: scenario.start)
        return calendar.sessions(scenario.warmupSessions, before: start).first ?? start
    }

    public static func bars(_ plan: DataRecipe.ScenarioPlan, raw: String, calendar: ExchangeCalendar = .nyse) throws -> [BuiltBars] {
        let first = firstDay(of: plan.scenario, calendar: calendar)
        return try plan.bars.map { source in
            let path = (raw as NSString).appendingPathComponent(source.file)
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw InputError(file: path, problem: "no such raw file", remedy: "point --raw at the raw data collection (shared/data/raw)")
            }
            var options = source.options
            options.range = first...plan.scenario.end
            if options.splitBasis == nil { options.splitBasis = plan.scenario.end }
            options.calendar = calendar
            let table = try CSVTable.parse(bytes, file: path)
            let result = try BarImporter.read(table, symbol: source.symbol, options: options)
            let instrument = plan.scenario.universe.first { $0.symbol == source.symbol }!
            return BuiltBars(scenario: plan.scenario.name, symbol: source.symbol, rawFile: source.file, rawBytes: bytes,
                             output: instrument.dataFile, text: TidyBarWriter.csv(result.series.bars), result: result, note: source.note)
        }
    }

    /// The macro file's text for a plan, and the path to write it to.
    public static func macro(_ plan: DataRecipe.ScenarioPlan, raw: String, calendar: ExchangeCalendar = .nyse) throws -> (path: String, text: String, observations: [MacroObservation])? {
        guard !plan.macro.isEmpty, let output = plan.scenario.macroFiles.first else { return nil }
        let first = firstDay(of: plan.scenario, calendar: calendar)
        var historyStart = Day(year: first.year, month: first.month, day: 1)!
        for _ in 0..<plan.macroHistoryMonths {
            let (y, m, _) = historyStart.components
            historyStart = m == 1 ? Day(year: y - 1, month: 12, day: 1)! : Day(year: y, month: m - 1, day: 1)!
        }
        var all: [MacroObservation] = []
        for source in plan.macro {
            let path = (raw as NSString).appendingPathComponent(source.file)
            let lower = max(source.from ?? historyStart, historyStart)
            let upper = min(source.until ?? plan.scenario.end, plan.scenario.end)
            guard lower <= upper else { continue }
            var observations: [MacroObservation]
            switch source.kind {
            case let .fred(release):
                // A year more history, so year-over-year changes exist from the first period on.
                let wide = try FREDImporter.read(path: path, series: source.series, unit: source.unit, release: release,
                                                 range: lower.advanced(by: -380)...upper, changesOnly: false, source: source.source)
                if let yoyName = source.yearOverYear {
                    let byPeriod = Dictionary(wide.map { ($0.period, $0.value) }, uniquingKeysWith: { a, _ in a })
                    for o in wide where o.period >= lower {
                        let (y, m, d) = o.period.components
                        guard let earlier = Day(year: y - 1, month: m, day: d).flatMap({ byPeriod[$0] }) else { continue }
                        var change = o
                        change.series = yoyName
                        change.unit = "percent"
                        change.value = ((o.value / earlier - 1) * 1000).rounded() / 10
                        change.source = source.source + " (year-over-year change)"
                        all.append(change)
                    }
                }
                observations = wide.filter { $0.period >= lower }
            case .fomcDecisions:
                observations = try FOMCDecisions.read(path: path, series: source.series, unit: source.unit, range: lower...upper, source: source.source)
            }
            if source.changesOnly {
                var kept: [MacroObservation] = []
                for o in observations where kept.last?.value != o.value { kept.append(o) }
                observations = kept
            }
            all += observations
        }
        // Values published after the scenario ends can never be read; leave them out.
        all = all.filter { $0.published <= plan.scenario.end }
        all.sort { ($0.series, $0.period) < ($1.series, $1.period) }
        return (output, MacroFile.csv(all), all)
    }
}

/// FOMC decision tables such as `Release Date,Time,Actual,Previous,Change` (dates like `16-Dec-08`,
/// rates as fractions): one observation per decision, public on the decision day. The time column is
/// not used (it is unreliable for unscheduled moves), so each decision counts as public after that
/// day's close.
public enum FOMCDecisions {
    public static func read(path: String, series: String, unit: String, range: ClosedRange<Day>, source: String) throws -> [MacroObservation] {
        let table = try CSVTable.read(path: path)
        let dateColumn = try table.requireColumn("Release Date", "date")
        let actualColumn = try table.requireColumn("Actual")
        var result: [MacroObservation] = []
        for row in table.rows {
            let dateText = try table.field(row, dateColumn)
            guard let day = Day.parse(dateText) else {
                throw InputError(file: path, line: row.line, column: dateColumn + 1, field: table.header[dateColumn], problem: "'\(dateText.prefix(40))' is not a date")
            }
            guard range.contains(day) else { continue }
            let text = try table.field(row, actualColumn)
            if text.isEmpty { continue }
            let value = try table.number(row, actualColumn)
            result.append(MacroObservation(series: series, period: day, value: (value * 10_000).rounded() / 100, unit: unit,
                                           published: day, publishedMinute: nil, source: source))
        }
        return result.sorted { $0.period < $1.period }
    }
}

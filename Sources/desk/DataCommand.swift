import ArgumentParser
import Crypto
import Foundation
import InputFiles
import Market

/// `desk data import` (one daily-bar file into the tidy layout) and `desk data build` (every bundled
/// scenario file from the raw collection, following `scenarios/data/sources.yaml`).
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Import daily bars into the project's tidy layout, and rebuild the bundled scenario data.",
        subcommands: [Import.self, Build.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read a daily-bar CSV (Yahoo, yfinance, Stooq, backtrader or mapped columns), check every row, write the tidy layout.",
            discussion: """
                Problems are printed as file:line:column: severity: …; the exit status is 1 when any error remains.
                Repairs happen only when asked: --repair duplicates,brackets,order,unpriced (each one is reported).
                Example: desk data import AAPL.csv --symbol AAPL --layout yahoo --from 2019-09-03 --to 2020-06-30 -o scenarios/data/x/AAPL.csv
                """
        )

        @Argument(help: ArgumentHelp("The CSV file to read.", valueName: "file"))
        var input: String

        @Option(help: "The symbol (for multi-symbol files, the value of the symbol column to keep).")
        var symbol: String

        @Option(help: ArgumentHelp("Layout: \(BarLayout.names.joined(separator: ", ")).", valueName: "name"))
        var layout: String = "auto"

        @Option(help: ArgumentHelp("Column mapping for other layouts, e.g. date=Day,close=Last,volume=none,symbol=Ticker,date_style=day_first.", valueName: "mapping"))
        var map: String?

        @Option(help: ArgumentHelp("First day to keep (YYYY-MM-DD).", valueName: "day"))
        var from: String?

        @Option(help: ArgumentHelp("Last day to keep (YYYY-MM-DD).", valueName: "day"))
        var to: String?

        @Option(help: ArgumentHelp("Repairs to make: duplicates, brackets, order, unpriced (comma separated).", valueName: "list"))
        var repair: String?

        @Flag(help: "yfinance files without Adj Close: divide dividends back out of the prices (printed prices).")
        var unadjustDividends = false

        @Option(help: ArgumentHelp("Restate prices on the share basis of this day (undo later splits the source back-adjusted).", valueName: "day"))
        var splitBasis: String?

        @Option(help: ArgumentHelp("A back-adjusted split for files without a split column, DAY:RATIO (4 for 4-for-1, 0.05 for 1-for-20); repeatable.", valueName: "split"))
        var split: [String] = []

        @Flag(help: "Skip the NYSE calendar check (missing sessions, non-session days).")
        var noCalendar = false

        @Option(name: [.short, .long], help: ArgumentHelp("Where to write the tidy CSV (default: standard output).", valueName: "file"))
        var output: String?

        func run() async throws {
            try await reportingErrors {
                let options = try makeOptions()
                let result = try BarImporter.read(path: input, symbol: symbol, options: options)
                for diagnostic in result.diagnostics { Terminal.note(diagnostic.description) }
                let errors = result.diagnostics.errors.count
                Terminal.note("\(input): \(result.rowsRead) rows read as \(result.layout), \(result.series.bars.count) bars kept"
                              + (result.series.firstDay.map { " (\($0) … \(result.series.lastDay!))" } ?? "")
                              + ", \(errors) error(s), \(result.diagnostics.warnings.count) warning(s), \(result.repairs.count) repair(s)")
                if errors > 0 { throw ExitCode(1) }
                let text = TidyBarWriter.csv(result.series.bars)
                if let output {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } else {
                    print(text, terminator: "")
                }
            }
        }

        func makeOptions() throws -> BarImportOptions {
            var options = BarImportOptions()
            if let map {
                options.layout = .generic(try ColumnMapping(parsing: map))
            } else {
                guard let parsed = BarLayout.named(layout) else {
                    throw InputError(file: "--layout", problem: "'\(layout)' is not a layout", remedy: "use one of \(BarLayout.names.joined(separator: ", ")), or --map")
                }
                options.layout = parsed
            }
            func day(_ text: String?, _ label: String) throws -> Day? {
                guard let text else { return nil }
                guard let day = Day(text) else { throw InputError(file: label, problem: "'\(text)' is not a date", remedy: "write YYYY-MM-DD") }
                return day
            }
            let first = try day(from, "--from"), last = try day(to, "--to")
            if first != nil || last != nil {
                let lower = first ?? Day(year: 1900, month: 1, day: 1)!, upper = last ?? Day(year: 9999, month: 12, day: 31)!
                guard lower <= upper else { throw InputError(file: "--to", problem: "--to \(upper) is before --from \(lower)") }
                options.range = lower...upper
            }
            for name in (repair ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let r = BarRepair(rawValue: name) else {
                    throw InputError(file: "--repair", problem: "'\(name)' is not a repair", remedy: "use \(BarRepair.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                options.repairs.insert(r)
            }
            options.unadjustDividends = unadjustDividends
            options.splitBasis = try day(splitBasis, "--split-basis")
            options.splits = try split.map { text in
                let parts = text.split(separator: ":")
                guard parts.count == 2, let d = Day(parts[0]), let ratio = Double(parts[1]), ratio > 0, ratio.isFinite else {
                    throw InputError(file: "--split", problem: "'\(text)' is not DAY:RATIO", remedy: "write e.g. 2009-07-01:0.05 for a 1-for-20 reverse split")
                }
                return SplitEvent(day: d, ratio: ratio)
            }
            if !options.splits.isEmpty && options.splitBasis == nil {
                throw InputError(file: "--split", problem: "--split needs --split-basis", remedy: "say on which day's share basis to restate the prices")
            }
            if noCalendar { options.calendar = nil }
            return options
        }
    }

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Rebuild the bundled scenario data from the raw collection, following a recipe.",
            discussion: """
                Reads the recipe (default scenarios/data/sources.yaml), imports every raw file through the same importers as
                `desk data import`, and writes each scenario's bar files and macro file. With --check nothing is written and the
                exit status is 1 when a bundled file differs from what the recipe produces.
                """
        )

        @Argument(help: ArgumentHelp("The recipe file.", valueName: "recipe"))
        var recipe: String = "scenarios/data/sources.yaml"

        @Option(help: ArgumentHelp("The raw data folder (default: the recipe's `raw`).", valueName: "folder"))
        var raw: String?

        @Flag(help: "Compare instead of writing.")
        var check = false

        @Flag(help: "Print a Markdown provenance table per scenario.")
        var markdown = false

        func run() async throws {
            try await reportingErrors {
                let recipe = try DataRecipe.load(path: self.recipe, raw: raw)
                var differences = 0
                for plan in recipe.scenarios {
                    let built = try DataBuild.bars(plan, raw: recipe.raw)
                    var files: [(String, String)] = built.map { ($0.output, $0.text) }
                    let macro = try DataBuild.macro(plan, raw: recipe.raw)
                    if let macro { files.append((macro.path, macro.text)) }
                    for item in built {
                        for d in item.result.diagnostics where d.severity != .warning || !check { Terminal.note("  \(d)") }
                        if item.result.hasErrors {
                            throw InputError(file: item.rawFile, problem: "\(item.result.diagnostics.errors.count) error(s) importing \(item.symbol) for \(plan.scenario.name)",
                                             remedy: "add a repair to the recipe, or fix the selection")
                        }
                        let bars = item.result.series.bars
                        Terminal.note("\(plan.scenario.name) \(item.symbol): \(bars.count) bars \(bars.first?.day.iso ?? "")…\(bars.last?.day.iso ?? ""), "
                                      + "\(item.result.missingSessions.count) missing session(s) \(item.result.missingSessions.map(\.iso).joined(separator: " ")), "
                                      + "\(item.result.repairs.count) repair(s), from \(item.rawFile) (sha256 \(Self.digest(item.rawBytes).prefix(12)))")
                    }
                    if let macro { Terminal.note("\(plan.scenario.name) macro: \(macro.observations.count) values in \(Set(macro.observations.map(\.series)).count) series") }
                    for (path, text) in files {
                        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
                        if check {
                            if existing != text {
                                differences += 1
                                Terminal.error("\(path) differs from what the recipe produces")
                            }
                        } else if existing != text {
                            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                            try text.write(toFile: path, atomically: true, encoding: .utf8)
                            Terminal.note("wrote \(path)")
                        }
                    }
                    if markdown { print(Self.provenance(plan, built)) }
                }
                if check {
                    if differences > 0 { throw ExitCode(1) }
                    Terminal.note("every bundled file matches the recipe")
                }
            }
        }

        static func digest(_ data: Data) -> String {
            SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }

        static func provenance(_ plan: DataRecipe.ScenarioPlan, _ built: [BuiltBars]) -> String {
            var rows = ["| symbol | raw file | SHA-256 (first 12) | bars | missing sessions | repairs | treatment |", "|---|---|---|---|---|---|---|"]
            for item in built {
                let missing = item.result.missingSessions.map(\.iso).joined(separator: ", ")
                rows.append("| \(item.symbol) | `\(item.rawFile)` | \(digest(item.rawBytes).prefix(12)) | \(item.result.series.bars.count) | \(missing.isEmpty ? "none" : missing) | \(item.result.repairs.count) | \(item.note) |")
            }
            return "### \(plan.scenario.name)\n\n" + rows.joined(separator: "\n") + "\n"
        }
    }
}

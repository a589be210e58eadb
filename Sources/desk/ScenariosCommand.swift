import ArgumentParser
import Desk
import Foundation
import InputFiles
import LanguageModel
import Market

/// `desk scenarios list | show NAME | validate FILE…`: what scenarios there are, what one holds, and
/// whether a scenario file and everything it names can be used.
struct ScenariosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "List, show and validate scenario files.",
        subcommands: [List.self, Show.self, Validate.self]
    )

    /// The bundled scenario files: `./scenarios/*.yaml`, else the package's `scenarios` folder.
    static func bundledFiles() -> [String] {
        let manager = FileManager.default
        for folder in ["scenarios", ScenarioLocator.bundledScenarios] {
            guard let names = try? manager.contentsOfDirectory(atPath: folder) else { continue }
            let files = names.filter { $0.hasSuffix(".yaml") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
            if !files.isEmpty { return files }
        }
        return []
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the bundled scenarios.")

        @Flag(help: "Print JSON lines instead of a table.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let files = ScenariosCommand.bundledFiles()
                guard !files.isEmpty else {
                    throw InputError(file: "scenarios", problem: "no scenario files found", remedy: "run from the project folder")
                }
                var rows = [["name", "window", "warm-up", "symbols", "benchmark", "news", "blind", "file"]]
                for file in files {
                    let (parsed, diagnostics) = ScenarioFile.check(path: file)
                    guard let scenario = parsed, !diagnostics.hasErrors else {
                        rows.append([(file as NSString).lastPathComponent, "invalid: \(diagnostics.first.map(\.description) ?? "")", "", "", "", "", "", file])
                        continue
                    }
                    if json {
                        let line = JSONValue.object([
                            .init("name", .string(scenario.name)), .init("start", .string(scenario.start.iso)), .init("end", .string(scenario.end.iso)),
                            .init("warmup_sessions", .number(Double(scenario.warmupSessions))),
                            .init("symbols", .array(scenario.universe.map { .string($0.symbol) })), .init("benchmark", .string(scenario.benchmark)),
                            .init("blind", .bool(scenario.blind != nil)), .init("file", .string(file)),
                        ])
                        print(line.compactText)
                        continue
                    }
                    rows.append([scenario.name, "\(scenario.start) … \(scenario.end)", "\(scenario.warmupSessions)", "\(scenario.universe.count)",
                                 scenario.benchmark, scenario.newsFiles.isEmpty ? "-" : "\(scenario.newsFiles.count) file(s)",
                                 scenario.blind == nil ? "no" : "yes", file])
                }
                if !json { print(Table.render(rows, rightAligned: [2, 3])) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show what a scenario holds: window, universe, costs, rules, news, macro series.")

        @Argument(help: ArgumentHelp("Scenario file or bundled scenario name.", valueName: "scenario"))
        var scenario: String

        func run() async throws {
            try await reportingErrors {
                let path = try ScenarioLocator.resolve(scenario)
                let scenario = try ScenarioFile.load(path: path)
                let data = try MarketData.load(scenario)
                print(ScenariosCommand.describe(scenario, data: data))
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check scenario files and every file they name, reporting every problem with file:line.",
            discussion: "Exit status 0 when no file has an error (warnings are printed but allowed), 1 otherwise."
        )

        @Argument(help: ArgumentHelp("Scenario files or bundled names (default: every bundled scenario).", valueName: "file"))
        var files: [String] = []

        @Flag(help: "Also print notes (e.g. symbols in news that are outside the universe).")
        var verbose = false

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        func run() async throws {
            let paths: [String]
            do {
                paths = files.isEmpty ? ScenariosCommand.bundledFiles() : try files.map(ScenarioLocator.resolve)
            } catch let error as InputError {
                Terminal.error("\(error)")
                throw ExitCode(2)
            }
            var failed = false
            for path in paths {
                let check = ScenarioCheck.run(path: path)
                var shown = check.diagnostics.filter { verbose || $0.severity != .note }
                if let scenario = check.scenario, let desk = scenario.desk, !RuleDesks.names.contains(desk),
                   !FileManager.default.fileExists(atPath: desk) {
                    shown.append(.warning(InputError(file: path, field: "desk", problem: "'\(desk)' is neither a built-in rule desk nor a file",
                                                     remedy: "built-in desks: \(RuleDesks.names.joined(separator: ", "))")))
                }
                for diagnostic in shown { print(diagnostic) }
                let errors = shown.filter { $0.severity == .error }.count
                let warnings = shown.filter { $0.severity == .warning }.count
                let bad = errors > 0 || (strict && warnings > 0)
                failed = failed || bad
                if let scenario = check.scenario {
                    print("\(bad ? "FAIL" : "ok")  \(path): \(scenario.name), \(check.sessions.count) sessions, \(scenario.universe.count) symbols, \(check.newsCount) notes, \(check.macroSeries.count) macro series; \(errors) error(s), \(warnings) warning(s)")
                } else {
                    print("FAIL  \(path): \(errors) error(s)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    /// A human-readable account of a scenario and its data.
    static func describe(_ scenario: Scenario, data: MarketData) -> String {
        var lines: [String] = []
        lines.append("\(scenario.name)  (\(scenario.file))")
        if !scenario.description.isEmpty {
            lines.append(scenario.description.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        lines.append("")
        let warmupFrom = data.warmupSessions.first.map { " from \($0)" } ?? ""
        lines.append("window      \(scenario.start) … \(scenario.end), \(data.sessions.count) sessions; warm-up \(data.warmupSessions.count) sessions\(warmupFrom)")
        lines.append("benchmark   \(scenario.benchmark)")
        lines.append("cash        \(Format.money(scenario.initialCash))\(scenario.fractionalShares ? ", fractional shares" : ", whole shares")")
        lines.append("costs       commission \(describe(scenario.costs.commission)), slippage \(describe(scenario.costs.slippage)), fill \(scenario.costs.fillTiming.rawValue)"
                     + (scenario.costs.participationCap.map { ", participation cap \(String(format: "%g%%", $0 * 100)) of volume" } ?? ""))
        let c = scenario.constraints
        lines.append("rules       \(c.longOnly ? "long only" : "long/short"), max weight \(c.maxWeight), max gross \(c.maxGross), cash buffer \(c.cashBuffer)"
                     + (c.maxTurnover.map { ", max turnover \($0)" } ?? ""))
        lines.append("cadence     \(describe(scenario.cadence))")
        if let desk = scenario.desk { lines.append("desk        \(desk)") }
        if let blind = scenario.blind {
            lines.append("blind       yes (seed \(blind.seed.map(String.init) ?? "of the run"); rename \(blind.renameSymbols), shift dates \(blind.shiftDates), scale prices \(blind.scalePrices), news \(blind.news.rawValue))")
        }
        lines.append("")
        var rows = [["symbol", "name", "sector", "first", "last", "window bars", "missing", "first close", "last close", "return"]]
        for instrument in scenario.universe {
            guard let series = data.series[instrument.symbol] else { continue }
            let window = series.bars(in: scenario.start...scenario.end)
            let have = Set(window.map(\.day))
            let missing = data.sessions.filter { !have.contains($0) }
            let first = window.first?.close, last = window.last?.close
            rows.append([instrument.symbol + (instrument.tradable ? "" : " (ref)"), instrument.name ?? "", instrument.sector ?? "",
                         series.firstDay?.iso ?? "", series.lastDay?.iso ?? "", "\(window.count)",
                         missing.isEmpty ? "-" : missing.map(\.iso).joined(separator: " "),
                         first.map { String(format: "%.2f", $0) } ?? "", last.map { String(format: "%.2f", $0) } ?? "",
                         first.flatMap { f in last.map { Format.percent($0 / f - 1) } } ?? ""])
        }
        lines.append(Table.render(rows, rightAligned: [5, 7, 8, 9]))
        lines.append("")
        let inWindow = data.news.filter { $0.day >= scenario.start && $0.day <= scenario.end }
        lines.append("news        \(data.news.count) notes (\(inWindow.count) within the window) from \(scenario.newsFiles.count) file(s)")
        for series in data.macroSeries {
            let values = data.macro[series] ?? []
            let latest = values.last.map { "\($0.value) \($0.unit) for \($0.period), published \($0.published)" } ?? ""
            lines.append("macro       \(series): \(values.count) values; last \(latest)")
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ commission: CostSettings.Commission) -> String {
        switch commission {
        case .none: return "none"
        case let .perShare(rate, minimum): return "\(rate)/share (min \(minimum))"
        case let .bps(bps): return "\(bps) bps"
        case let .perOrder(amount): return "\(amount)/order"
        }
    }

    static func describe(_ slippage: CostSettings.Slippage) -> String {
        switch slippage {
        case .none: return "none"
        case let .bps(bps): return "\(bps) bps"
        case let .volumeShare(k): return "\(k)·√(qty/volume)"
        }
    }

    static func describe(_ cadence: Cadence) -> String {
        switch cadence {
        case .daily: return "daily (after each close)"
        case .weekly: return "weekly (last session of each week)"
        case .monthly: return "monthly (last session of each month)"
        case let .dates(days): return "\(days.count) listed dates (\(days.prefix(3).map(\.iso).joined(separator: ", "))\(days.count > 3 ? ", …" : ""))"
        }
    }
}

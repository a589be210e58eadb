import Foundation
import InputFiles

/// A scenario checked whole: the file, every data, news and macro file it names, and the calendar
/// of every symbol against the exchange's and against each other's.
public struct ScenarioCheck: Sendable {
    /// How one symbol's bars cover the scenario.
    public struct Coverage: Sendable, Hashable {
        public var symbol: String
        public var file: String
        public var firstDay: Day?
        public var lastDay: Day?
        /// Bars within start…end.
        public var windowBars: Int
        /// Bars before start (available to indicators).
        public var warmupBars: Int
        /// Sessions of the scenario (any tradable symbol traded) in start…end without a bar of this symbol.
        public var missingSessions: [Day]
    }

    public var scenario: Scenario?
    public var diagnostics: [Diagnostic]
    public var coverage: [Coverage]
    /// Sessions of the replay window (days on which any tradable symbol has a bar).
    public var sessions: [Day]
    public var newsCount: Int
    public var macroSeries: [String]

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// Checks the scenario file at `path` and everything it names, reporting every problem found.
    public static func run(path: String, calendar: ExchangeCalendar = .nyse) -> ScenarioCheck {
        let (scenario, fileDiagnostics) = ScenarioFile.check(path: path)
        var check = ScenarioCheck(scenario: scenario, diagnostics: fileDiagnostics, coverage: [], sessions: [], newsCount: 0, macroSeries: [])
        guard let scenario else { return check }
        let window = scenario.start...scenario.end
        func add(_ severity: Diagnostic.Severity, _ error: InputError) { check.diagnostics.append(Diagnostic(severity, error)) }

        // Bars: every row of every file, and the calendar of each against the exchange's.
        var series: [String: BarSeries] = [:]
        for instrument in scenario.universe {
            do {
                let result = try BarImporter.read(path: instrument.dataFile, symbol: instrument.symbol, options: BarImportOptions(calendar: calendar))
                check.diagnostics += result.diagnostics
                let loaded = result.series
                if loaded.bars(in: window).isEmpty {
                    add(.error, InputError(file: instrument.dataFile, field: instrument.symbol,
                                           problem: "no bars between \(scenario.start) and \(scenario.end) (the file spans \(loaded.firstDay.map(\.iso) ?? "nothing")…\(loaded.lastDay.map(\.iso) ?? ""))",
                                           remedy: "use a file that covers the scenario window"))
                } else {
                    if let first = loaded.firstDay, first > scenario.start, calendar.sessions(from: scenario.start, through: first.advanced(by: -1)).count > 0 {
                        add(.warning, InputError(file: instrument.dataFile, line: 2, field: instrument.symbol,
                                                 problem: "the first bar is \(first), after the scenario start \(scenario.start)"))
                    }
                    if let last = loaded.lastDay, last < scenario.end, calendar.sessions(from: last.advanced(by: 1), through: scenario.end).count > 0 {
                        add(.warning, InputError(file: instrument.dataFile, field: instrument.symbol,
                                                 problem: "the last bar is \(last), before the scenario end \(scenario.end)"))
                    }
                }
                let warmup = loaded.bars.filter { $0.day < scenario.start }.count
                if warmup < scenario.warmupSessions {
                    add(.warning, InputError(file: instrument.dataFile, line: 2, field: instrument.symbol,
                                             problem: "\(warmup) bars before \(scenario.start), fewer than warmup_sessions \(scenario.warmupSessions)",
                                             remedy: "extend the file back, or lower warmup_sessions"))
                }
                series[instrument.symbol] = loaded
            } catch let error as InputError {
                add(.error, error)
            } catch {
                add(.error, InputError(file: instrument.dataFile, problem: "\(error)"))
            }
        }

        // The scenario's sessions and each symbol's coverage of them.
        var days = Set<Day>()
        for symbol in scenario.tradableSymbols { for bar in series[symbol]?.bars(in: window) ?? [] { days.insert(bar.day) } }
        check.sessions = days.sorted()
        let exchangeSessions = calendar.sessions(from: scenario.start, through: scenario.end)
        if !check.sessions.isEmpty {
            for day in exchangeSessions where !days.contains(day) && calendar.covers(day) {
                add(.warning, InputError(file: scenario.file, field: "universe",
                                         problem: "no tradable symbol has a bar for the \(calendar.name) session \(day)", remedy: "the replay skips that day"))
            }
        }
        for instrument in scenario.universe {
            guard let loaded = series[instrument.symbol] else { continue }
            let have = Set(loaded.bars(in: window).map(\.day))
            let missing = check.sessions.filter { !have.contains($0) }
            check.coverage.append(Coverage(symbol: instrument.symbol, file: instrument.dataFile, firstDay: loaded.firstDay, lastDay: loaded.lastDay,
                                           windowBars: have.count, warmupBars: loaded.bars.filter { $0.day < scenario.start }.count,
                                           missingSessions: missing))
        }

        // Decision days must be sessions.
        if case let .dates(listed) = scenario.cadence, !check.sessions.isEmpty {
            let sessionSet = Set(check.sessions)
            for day in listed where !sessionSet.contains(day) {
                add(.error, InputError(file: scenario.file, field: "cadence", problem: "decision date \(day) is not a session of the replay window",
                                       remedy: "list trading days between the scenario's start and end"))
            }
        }

        // News and macro files: every row.
        for file in scenario.newsFiles {
            do {
                let result = try NewsFile.read(path: file)
                check.diagnostics += result.diagnostics
                check.newsCount += result.items.count
                let known = Set(scenario.universe.map(\.symbol))
                let unknown = Set(result.items.flatMap(\.symbols)).subtracting(known).sorted()
                if !unknown.isEmpty {
                    add(.note, InputError(file: file, field: "symbols",
                                          problem: "notes name symbols outside the universe: \(unknown.prefix(12).joined(separator: ", "))\(unknown.count > 12 ? ", …" : "")"))
                }
                if result.items.filter({ window.contains($0.day) }).isEmpty, !result.items.isEmpty {
                    add(.warning, InputError(file: file, problem: "no note is dated within \(scenario.start)…\(scenario.end)"))
                }
            } catch let error as InputError {
                add(.error, error)
            } catch {
                add(.error, InputError(file: file, problem: "\(error)"))
            }
        }
        var seriesNames = Set<String>()
        for file in scenario.macroFiles {
            do {
                let result = try MacroFile.read(path: file)
                check.diagnostics += result.diagnostics
                for o in result.observations { seriesNames.insert(o.series) }
            } catch let error as InputError {
                add(.error, error)
            } catch {
                add(.error, InputError(file: file, problem: "\(error)"))
            }
        }
        check.macroSeries = seriesNames.sorted()
        return check
    }
}

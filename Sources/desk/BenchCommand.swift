import ArgumentParser
import Desk
import Exchange
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

/// `desk bench …`: measurements against reference tools run in the same invocation. Add a
/// subcommand per thing measured (`engine` here).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure parts of the desk against reference tools, in the same run.",
        subcommands: [BenchEngineCommand.self, BenchOptimizerCommand.self, JournalBenchCommand.self, BenchLMCommand.self, BenchConstrainedCommand.self]
    )
}

/// `desk bench engine`: replays an SMA-crossover desk over many symbols and years, in bars per second,
/// against backtrader on the same strategy and data, and checks that the fills are identical.
struct BenchEngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Bars per second of a full replay (orchestrator, exchange, ledger, SQLite journal) against backtrader.",
        discussion: """
            Two data sets: the three Yahoo files of Tests/Reference/exchange (2000-01-01 … 2013-12-31) and a synthetic set of
            --symbols × --years daily bars generated deterministically (written once under --cache as backtrader CSV). The desk is
            SMA(10)/SMA(30) crossover with a stake of 100 shares and 10 bps commission; backtrader runs the same strategy
            (Benchmarks/engine/backtrader_sma.py) with its defaults. Both sides are timed from the first bar to the last, CSV
            parsing left out (reported separately for this side). Build in release mode first; Benchmarks/engine/run.sh does
            everything, including the throwaway virtual environment for backtrader.
            """
    )

    @Option(help: "Symbols in the synthetic set.")
    var symbols: Int = 500

    @Option(help: "Years of daily bars (252 sessions each) in the synthetic set.")
    var years: Int = 20

    @Option(help: ArgumentHelp("Python with backtrader 1.9.78.123; default Benchmarks/.cache/venv/bin/python. 'none' skips the reference.", valueName: "path"))
    var python: String?

    @Option(help: ArgumentHelp("Where the synthetic files go.", valueName: "folder"))
    var cache: String = "Benchmarks/.cache/engine"

    @Option(help: "Replays of each set by the engine alone; the fastest counts (the replay with the SQLite journal and backtrader run once).")
    var repeats: Int = 3

    @Flag(help: "Print the results as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors { try await measure() }
    }

    struct DataSet {
        var name: String
        var sources: [BarFileSource]
        var window: BarWindow
        var cash: Double
    }

    private func measure() async throws {
        guard symbols > 0, years > 0, repeats > 0 else {
            throw InputError(file: "desk bench engine", problem: "--symbols, --years and --repeats must be positive")
        }
        let root = BenchFiles.packageRoot()
        let reference = root.appendingPathComponent("Tests/Reference/exchange")
        let yahoo = DataSet(name: "yahoo-3", sources: ["nvda-1999-2014", "orcl-1995-2014", "yhoo-1996-2014"].map {
            BarFileSource(symbol: String($0.prefix(4)).uppercased(), path: reference.appendingPathComponent("\($0).txt").path)
        }, window: BarWindow(from: Day("2000-01-01"), to: Day("2013-12-31")), cash: 10_000)
        let synthetic = DataSet(name: "synthetic-\(symbols)x\(years)",
                                sources: try SyntheticBars.write(symbols: symbols, years: years, folder: URL(fileURLWithPath: cache, relativeTo: root)),
                                window: BarWindow(from: nil, to: nil), cash: 1_000_000_000)
        let python = resolvePython(root: root)
        var results: [BenchResult] = []
        for set in [yahoo, synthetic] {
            Terminal.note("==> \(set.name): \(set.sources.count) symbols, this engine ×\(repeats)")
            var result = try await replay(set)
            if let python {
                Terminal.note("==> \(set.name): backtrader (\(python))")
                result.reference = try runBacktrader(set, python: python, script: root.appendingPathComponent("Benchmarks/engine/backtrader_sma.py"))
            }
            results.append(result)
        }
        if json {
            print(JSONValue.array(results.map(\.json)).compactText)
        } else {
            print(BenchResult.table(results))
        }
        if results.contains(where: { $0.identicalFills == false }) {
            Terminal.error("the fills differ from backtrader's (see above)")
            throw ExitCode(1)
        }
    }

    private func resolvePython(root: URL) -> String? {
        if python == "none" { return nil }
        if let python { return python }
        let venv = root.appendingPathComponent("Benchmarks/.cache/venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        Terminal.note("note: no backtrader environment at \(venv): run Benchmarks/engine/run.sh, or pass --python; measuring this engine only")
        return nil
    }

    static let settings = (fast: 10, slow: 30, stake: 100.0, commissionBps: 10.0)

    /// Loads the set, then replays it through the orchestrator `repeats` times into a ``MeasuringJournal`` (the
    /// engine alone) and once into a fresh SQLite journal (what `desk replay` does).
    private func replay(_ set: DataSet) async throws -> BenchResult {
        let loadStart = ContinuousClock.now
        let (scenario, data) = try BarFileMarket.load(set.sources, window: set.window, initialCash: set.cash,
                                                      costs: CostSettings(commission: .bps(Self.settings.commissionBps)), name: set.name)
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        let bars = data.series.values.reduce(0) { $0 + $1.bars.count }
        func desk() -> SMACrossDesk {
            SMACrossDesk(signal: .fastVersusSlow(fast: Self.settings.fast, slow: Self.settings.slow), stake: Self.settings.stake, symbols: scenario.tradableSymbols)
        }
        var engineBest = Double.infinity
        var engineFills: [Fill] = []
        for _ in 0..<repeats {
            let journal = MeasuringJournal()
            let start = ContinuousClock.now
            _ = try await Orchestrator(scenario: scenario, data: data, policy: desk(), journal: journal,
                                       options: ReplayOptions(codeVersion: DeskVersion.current)).run()
            engineBest = min(engineBest, (ContinuousClock.now - start).seconds)
            engineFills = journal.fills
        }
        var best = Double.infinity
        var fills: [Fill] = []
        var summary: RunSummary?
        do {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("desk-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let journal = try SQLiteJournal(path: folder.appendingPathComponent("bench.sqlite").path)
            let start = ContinuousClock.now
            let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk(), journal: journal,
                                                 options: ReplayOptions(codeVersion: DeskVersion.current)).run()
            best = min(best, (ContinuousClock.now - start).seconds)
            fills = try journal.fills(of: outcome.run)
            summary = outcome.summary
        }
        guard engineFills == fills else {
            throw JournalError("the replay into the SQLite journal and the one into the measuring journal filled differently",
                               remedy: "this is a bug in the engine: please report it with the command line")
        }
        let executions = fills.map { Execution(day: $0.day.iso, symbol: $0.symbol, side: $0.side.rawValue, quantity: $0.quantity, price: $0.price) }
        return BenchResult(name: set.name, symbols: set.sources.count, bars: bars, sessions: data.sessions.count, loadSeconds: loadSeconds,
                           engineSeconds: engineBest, replaySeconds: best, finalValue: summary?.finalEquity ?? set.cash, executions: executions)
    }

    private func runBacktrader(_ set: DataSet, python: String, script: URL) throws -> ReferenceResult {
        var arguments = [script.path]
        for source in set.sources { arguments += ["--data", "\(source.symbol)=\(source.path)"] }
        if let from = set.window.from { arguments += ["--from", from.iso] }
        if let to = set.window.to { arguments += ["--to", to.iso] }
        arguments += ["--fast", String(Self.settings.fast), "--slow", String(Self.settings.slow), "--stake", String(Self.settings.stake),
                      "--cash", String(set.cash), "--commission-bps", String(Self.settings.commissionBps)]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw InputError(file: python, field: "--python", problem: "cannot run it: \(error.localizedDescription)",
                             remedy: "run Benchmarks/engine/run.sh to create the environment, or pass --python none")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw InputError(file: script.path, problem: "backtrader failed (exit \(process.terminationStatus)): \(String(decoding: stderr, as: UTF8.self).suffix(2_000))",
                             remedy: "check that \(python) has backtrader 1.9.78.123 (Benchmarks/engine/run.sh installs it)")
        }
        let value = try JSONValue(parsing: String(decoding: stdout, as: UTF8.self))
        let executions = (value["executions"]?.arrayValue ?? []).map {
            Execution(day: $0["day"]?.stringValue ?? "", symbol: $0["symbol"]?.stringValue ?? "", side: $0["side"]?.stringValue ?? "",
                      quantity: $0["quantity"]?.numberValue ?? .nan, price: $0["price"]?.numberValue ?? .nan)
        }
        return ReferenceResult(engine: value["engine"]?.stringValue ?? "backtrader", bars: Int(value["bars"]?.numberValue ?? 0),
                               replaySeconds: value["replay_seconds"]?.numberValue ?? .nan, finalValue: value["final_value"]?.numberValue ?? .nan,
                               executions: executions)
    }
}

/// One execution, as both engines report it.
struct Execution: Hashable, Comparable {
    var day: String
    var symbol: String
    var side: String
    var quantity: Double
    var price: Double

    static func < (a: Execution, b: Execution) -> Bool {
        (a.day, a.symbol, a.side, a.quantity, a.price) < (b.day, b.symbol, b.side, b.quantity, b.price)
    }
}

struct ReferenceResult {
    var engine: String
    var bars: Int
    var replaySeconds: Double
    var finalValue: Double
    var executions: [Execution]
}

struct BenchResult {
    var name: String
    var symbols: Int
    var bars: Int
    var sessions: Int
    var loadSeconds: Double
    /// The replay with the journal only measuring (the engine alone, as backtrader journals nothing).
    var engineSeconds: Double
    /// The replay writing the SQLite journal, as `desk replay` does.
    var replaySeconds: Double
    var finalValue: Double
    var executions: [Execution]
    var reference: ReferenceResult?

    var engineBarsPerSecond: Double { Double(bars) / engineSeconds }
    var barsPerSecond: Double { Double(bars) / replaySeconds }
    var referenceBarsPerSecond: Double? { reference.map { Double($0.bars) / $0.replaySeconds } }
    /// Engine bars/s over backtrader's.
    var engineRatio: Double? { referenceBarsPerSecond.map { engineBarsPerSecond / $0 } }
    /// Bars/s with the SQLite journal over backtrader's.
    var ratio: Double? { referenceBarsPerSecond.map { barsPerSecond / $0 } }

    /// Whether both engines executed exactly the same trades (day, symbol, side, quantity and price, bit for bit), in any order within a day.
    var identicalFills: Bool? {
        guard let reference else { return nil }
        return reference.bars == bars && executions.sorted() == reference.executions.sorted()
    }

    /// The first difference between the two lists of executions, for the report.
    var firstDifference: String? {
        guard let reference, identicalFills == false else { return nil }
        if reference.bars != bars { return "bars: \(bars) here, \(reference.bars) in backtrader" }
        let ours = executions.sorted(), theirs = reference.executions.sorted()
        for (a, b) in zip(ours, theirs) where a != b { return "here \(a), backtrader \(b)" }
        return "\(ours.count) executions here, \(theirs.count) in backtrader"
    }

    var json: JSONValue {
        var members: [JSONValue.Member] = [
            .init("data", .string(name)), .init("symbols", .number(Double(symbols))), .init("sessions", .number(Double(sessions))),
            .init("bars", .number(Double(bars))), .init("load_seconds", .number(loadSeconds)),
            .init("engine_seconds", .number(engineSeconds)), .init("engine_bars_per_second", .number(engineBarsPerSecond)),
            .init("replay_seconds", .number(replaySeconds)), .init("bars_per_second", .number(barsPerSecond)), .init("fills", .number(Double(executions.count))), .init("final_value", .number(finalValue)),
        ]
        if let reference {
            members += [
                .init("reference", .string(reference.engine)), .init("reference_replay_seconds", .number(reference.replaySeconds)),
                .init("reference_bars_per_second", .number(referenceBarsPerSecond ?? .nan)),
                .init("engine_ratio", .number(engineRatio ?? .nan)), .init("ratio", .number(ratio ?? .nan)),
                .init("reference_fills", .number(Double(reference.executions.count))), .init("reference_final_value", .number(reference.finalValue)),
                .init("identical_fills", .bool(identicalFills ?? false)),
            ]
            if let difference = firstDifference { members.append(.init("first_difference", .string(difference))) }
        }
        return .object(members)
    }

    static func table(_ results: [BenchResult]) -> String {
        var rows = [["data", "bars", "load s", "engine s", "engine bars/s", "+journal s", "+journal bars/s",
                     "backtrader s", "backtrader bars/s", "engine ratio", "+journal ratio", "fills", "identical"]]
        for r in results {
            rows.append([r.name, String(r.bars), String(format: "%.2f", r.loadSeconds),
                         String(format: "%.3f", r.engineSeconds), String(format: "%.0f", r.engineBarsPerSecond),
                         String(format: "%.3f", r.replaySeconds), String(format: "%.0f", r.barsPerSecond),
                         r.reference.map { String(format: "%.2f", $0.replaySeconds) } ?? "-",
                         r.referenceBarsPerSecond.map { String(format: "%.0f", $0) } ?? "-",
                         r.engineRatio.map { String(format: "%.1f×", $0) } ?? "-",
                         r.ratio.map { String(format: "%.1f×", $0) } ?? "-",
                         String(r.executions.count),
                         r.identicalFills.map { $0 ? "yes" : "NO" } ?? "-"])
        }
        var text = Table.render(rows, rightAligned: Set(1...11))
        for r in results { if let difference = r.firstDifference { text += "\n\(r.name): fills differ: \(difference)" } }
        return text
    }
}

/// A journal for measuring the engine alone: it keeps the fills (to check them against the reference)
/// and counts steps, and stores nothing else. Only `desk bench engine` uses it, next to a replay into
/// the real SQLite journal whose fills must be the same.
final class MeasuringJournal: Journaling, @unchecked Sendable {
    private let lock = NSLock()
    private var _fills: [Fill] = []
    private var steps = 0

    var fills: [Fill] { lock.withLock { _fills } }

    func beginRun(_ manifest: RunManifest) async throws -> RunID { RunID(1) }

    func commit(_ step: StepRecord, to run: RunID) async throws {
        lock.withLock {
            _fills += step.fills
            steps += 1
        }
    }

    func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {}

    func cachedCompletion(forKey key: String) async throws -> CachedCompletion? { nil }
}

/// A deterministic synthetic market: geometric random walks on weekdays from 2000-01-03, prices in cents.
enum SyntheticBars {
    /// Writes (once) `symbols` files of `years` × 252 sessions in backtrader's CSV layout, and returns them.
    static func write(symbols: Int, years: Int, folder: URL, seed: UInt64 = 20_240_601) throws -> [BarFileSource] {
        let set = folder.appendingPathComponent("synthetic-\(symbols)x\(years)-seed\(seed)")
        let manager = FileManager.default
        let sources = (0..<symbols).map { i in
            BarFileSource(symbol: String(format: "S%04d", i), path: set.appendingPathComponent(String(format: "S%04d.csv", i)).path)
        }
        let complete = set.appendingPathComponent("COMPLETE")
        if manager.fileExists(atPath: complete.path) { return sources }
        try manager.createDirectory(at: set, withIntermediateDirectories: true)
        let days = sessions(count: years * 252)
        for (i, source) in sources.enumerated() {
            var random = SeededRandom(seed: SeededRandom.derive(seed, "synthetic", i))
            var text = "Date,Open,High,Low,Close,Volume,OpenInterest\n"
            text.reserveCapacity(days.count * 56)
            var cents = Int(2_000 + random.next() % 8_000)            // 20.00 … 99.99
            let volatility = 0.01 + Double(random.next() % 1_000) / 50_000   // 1 % … 3 % a day
            for day in days {
                let open = max(1, Int((Double(cents) * (1 + 0.3 * volatility * gaussian(&random))).rounded()))
                let close = max(1, Int((Double(open) * (1 + volatility * gaussian(&random))).rounded()))
                let high = max(open, close) + Int(Double(max(open, close)) * volatility * 0.5 * abs(gaussian(&random)))
                let low = max(1, min(open, close) - Int(Double(min(open, close)) * volatility * 0.5 * abs(gaussian(&random))))
                let volume = 100_000 + Int(random.next() % 900_000)
                text += "\(day.iso),\(price(open)),\(price(high)),\(price(low)),\(price(close)),\(volume),0\n"
                cents = close
            }
            try text.write(toFile: source.path, atomically: true, encoding: .utf8)
        }
        try "\(symbols) symbols × \(days.count) sessions, seed \(seed)\n".write(to: complete, atomically: true, encoding: .utf8)
        return sources
    }

    static func sessions(count: Int) -> [Day] {
        var days: [Day] = []
        var day = Day("2000-01-03")!
        while days.count < count {
            if day.weekday <= 5 { days.append(day) }
            day = day.advanced(by: 1)
        }
        return days
    }

    static func price(_ cents: Int) -> String { "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }

    /// An approximately standard normal draw: the sum of twelve uniforms minus six (Irwin–Hall). Only
    /// additions and multiplications, so the files are the same on every platform.
    static func gaussian(_ random: inout SeededRandom) -> Double {
        var sum = 0.0
        for _ in 0..<12 { sum += Double(random.next() >> 11) / 9_007_199_254_740_992 }
        return sum - 6
    }
}

enum BenchFiles {
    /// The package folder (holding Benchmarks/ and Tests/Reference/), found from the current directory or the executable.
    static func packageRoot() -> URL {
        let marker = "Benchmarks/engine/backtrader_sma.py"
        let manager = FileManager.default
        let here = URL(fileURLWithPath: manager.currentDirectoryPath)
        if manager.fileExists(atPath: here.appendingPathComponent(marker).path) { return here }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if manager.fileExists(atPath: url.appendingPathComponent(marker).path) { return url }
        }
        return here
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

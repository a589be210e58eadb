import ArgumentParser
import Desk
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market

/// `desk bench journal`: what journalling costs a replay, measured on a synthetic scenario large
/// enough for the cost to show (default 500 symbols × 10 years, every symbol rebalanced to equal
/// weight every session).
///
/// Each repetition replays the scenario twice with the same rule desk, once into a fresh SQLite
/// journal and once into a journal that discards every step; the order alternates between
/// repetitions. The overhead is the ratio of the medians.
struct JournalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Measure journalling overhead: a rule-desk replay with the SQLite journal vs. without (build with -c release).")

    @Option(help: "Symbols in the synthetic universe.")
    var symbols: Int = 500

    @Option(help: "Years of daily sessions (252 a year).")
    var years: Int = 10

    @Option(help: "Initial cash: more cash means more symbols cross a whole share of drift each day, so more orders.")
    var cash: Int = 1_000_000

    @Option(help: "Repetitions of each variant.")
    var repeats: Int = 3

    @Option(help: ArgumentHelp("The rule desk to run.", valueName: "name"))
    var desk: String = "equal-weight-decision"

    @Option(help: ArgumentHelp("Folder for the synthetic scenario (kept between runs).", valueName: "dir"))
    var data: String = "Benchmarks/.cache/journal"

    @Option(help: ArgumentHelp("Replay this scenario (file or bundled name) instead of the synthetic one.", valueName: "scenario"))
    var scenario: String?

    @Flag(help: "Time whole processes instead (needs --scenario): `desk replay` itself, and a child that loads the scenario and replays it with the SQLite journal or with none.")
    var wholeCommand = false

    @Option(help: .hidden)
    var child: ChildVariant?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    /// What a `--whole-command` child process does after loading the scenario.
    enum ChildVariant: String, ExpressibleByArgument {
        case withJournal = "with-journal", withoutJournal = "without-journal"
    }

    func run() async throws {
        try await reportingErrors {
            let scenarioPath: String
            if let named = self.scenario {
                scenarioPath = try ScenarioLocator.resolve(named)
            } else {
                let folder = URL(fileURLWithPath: data).appendingPathComponent("synthetic-\(symbols)x\(years)y-\(cash)")
                scenarioPath = try SyntheticScenario(symbols: symbols, sessions: years * 252, cash: cash).write(to: folder).path
            }
            let scenario = try ScenarioFile.load(path: scenarioPath)
            let marketData = try MarketData.load(scenario)
            guard let policy = RuleDesks.named(desk, scenario: scenario) else {
                throw ValidationError("unknown desk '\(desk)'; use one of: \(RuleDesks.names.joined(separator: ", "))")
            }
            if let child {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-journal-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let sqlite = child == .withJournal ? try SQLiteJournal(path: folder.appendingPathComponent("bench.sqlite").path) : nil
                _ = try await Orchestrator(scenario: scenario, data: marketData, policy: policy, journal: sqlite ?? DiscardingJournal(),
                                           options: ReplayOptions(seed: 0, codeVersion: DeskVersion.current)).run()
                try sqlite?.close()
                return
            }
            Terminal.note("scenario \(scenarioPath): \(scenario.universe.count) symbols, \(marketData.sessions.count) sessions, cash \(Int(scenario.initialCash)), desk \(desk)")
            if wholeCommand { return try timeProcesses(scenario: scenarioPath) }

            var with: [Double] = [], without: [Double] = []
            var withCPU: [Double] = [], withoutCPU: [Double] = [], writerCPU: [Double] = []
            var written = JournalFigures()
            for round in 0..<repeats {
                for variant in round % 2 == 0 ? [true, false] : [false, true] {
                    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-journal-\(UUID().uuidString)")
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(at: folder) }
                    let start = ContinuousClock.now, startCPU = ProcessCPU.seconds
                    let journal: any Journaling = variant
                        ? TimedJournal(try SQLiteJournal(path: folder.appendingPathComponent("bench.sqlite").path), start: start) : DiscardingJournal()
                    let opened = ContinuousClock.now, openCPU = ProcessCPU.seconds - startCPU
                    let outcome = try await Orchestrator(scenario: scenario, data: marketData, policy: policy, journal: journal,
                                                         options: ReplayOptions(seed: 0, codeVersion: DeskVersion.current)).run()
                    let replayed = ContinuousClock.now
                    if let timed = journal as? TimedJournal {
                        written = try JournalFigures(timed.journal, run: outcome.run)
                        try timed.journal.close()
                    }
                    let seconds = (ContinuousClock.now - start).seconds, cpu = ProcessCPU.seconds - startCPU
                    if let timed = journal as? TimedJournal {
                        with.append(seconds)
                        withCPU.append(cpu)
                        let writer = timed.journal.writerFigures
                        writerCPU.append(writer.cpuSeconds)
                        let marks = timed.marks
                        Terminal.note(String(format: "    open %.1f ms (cpu %.1f ms), begin run %.1f ms, steps %.1f ms (last commit queued), drain+finish %.1f ms, close %.1f ms",
                                             (opened - start).seconds * 1e3, openCPU * 1e3, marks.begun * 1e3 - (opened - start).seconds * 1e3,
                                             (marks.lastCommit - marks.begun) * 1e3, (replayed - start).seconds * 1e3 - marks.lastCommit * 1e3,
                                             (seconds - (replayed - start).seconds) * 1e3))
                        Terminal.note(String(format: "    writer thread cpu %.3f s, %d steps in %d transactions; the replay waited for the writer %d times, %.3f s in all",
                                             writer.cpuSeconds, marketData.sessions.count, writer.transactions, writer.waits, writer.waitedSeconds))
                    } else {
                        without.append(seconds)
                        withoutCPU.append(cpu)
                    }
                    Terminal.note(String(format: "  round %d  %@  wall %.3f s  cpu %.3f s", round + 1, variant ? "with journal   " : "without journal", seconds, cpu))
                }
            }
            let a = median(with), b = median(without)
            let overhead = a / b - 1
            let cpuA = median(withCPU), cpuB = median(withoutCPU)
            let writer = median(writerCPU)
            // The replay's own side of journalling: everything but the writer thread's work.
            let replaySide = median(zip(withCPU, writerCPU).map { $0 - $1 })
            if json {
                print(JSONValue.object([
                    .init("scenario", .string(scenarioPath)), .init("symbols", .number(Double(scenario.universe.count))), .init("sessions", .number(Double(marketData.sessions.count))), .init("cash", .number(scenario.initialCash)),
                    .init("desk", .string(desk)), .init("repeats", .number(Double(repeats))),
                    .init("with_journal_seconds", .array(with.map(JSONValue.number))),
                    .init("without_journal_seconds", .array(without.map(JSONValue.number))),
                    .init("median_with", .number(a)), .init("median_without", .number(b)), .init("overhead", .number(overhead)),
                    .init("cpu_with_seconds", .array(withCPU.map(JSONValue.number))), .init("cpu_without_seconds", .array(withoutCPU.map(JSONValue.number))),
                    .init("cpu_overhead", .number(cpuA / cpuB - 1)),
                    .init("writer_cpu_seconds", .array(writerCPU.map(JSONValue.number))),
                    .init("replay_side_overhead", .number(replaySide / cpuB - 1)), .init("writer_to_replay", .number(writer / cpuB)),
                    .init("rows", .number(Double(written.rows))), .init("file_bytes", .number(Double(written.bytes))),
                ]).compactText)
            } else {
                print(String(format: "replay without journal  wall median %.3f s (min %.3f)  cpu median %.3f s", b, without.min() ?? 0, cpuB))
                print(String(format: "replay with journal     wall median %.3f s (min %.3f)  cpu median %.3f s", a, with.min() ?? 0, cpuA))
                print(String(format: "journalling overhead    wall %+.1f%%  cpu %+.1f%%  (%d rows, %.1f MB)", overhead * 100,
                             (cpuA / cpuB - 1) * 100, written.rows, Double(written.bytes) / 1e6))
                print(String(format: "  writer thread         cpu median %.3f s = %.2f µs a row, %.2f× the replay's cpu", writer,
                             writer / Double(max(written.rows, 1)) * 1e6, writer / cpuB))
                print(String(format: "  the rest of the process cpu median %.3f s, %+.1f%% over the replay without journal", replaySide, (replaySide / cpuB - 1) * 100))
            }
        }
    }

    /// Times whole `desk` processes, alternating the three variants each round: what a user
    /// waits for (process start, scenario load, replay, journal open/writes/close, exit).
    private func timeProcesses(scenario path: String) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let variants: [(name: String, arguments: [String])] = [
            ("desk replay (journal)", ["replay", path, "--desk", desk, "--json"]),
            ("child with journal", ["bench", "journal", "--scenario", path, "--desk", desk, "--child", ChildVariant.withJournal.rawValue]),
            ("child without journal", ["bench", "journal", "--scenario", path, "--desk", desk, "--child", ChildVariant.withoutJournal.rawValue]),
        ]
        var times = Array(repeating: [Double](), count: variants.count)
        for round in 0..<repeats {
            let order = round % 2 == 0 ? Array(variants.indices) : Array(variants.indices.reversed())
            for index in order {
                var arguments = variants[index].arguments
                if index == 0 { arguments += ["--journal", folder.appendingPathComponent("replay-\(round).sqlite").path] }
                let process = Process()
                process.executableURL = executable
                process.arguments = arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let start = ContinuousClock.now
                try process.run()
                process.waitUntilExit()
                let seconds = (ContinuousClock.now - start).seconds
                guard process.terminationStatus == 0 else {
                    throw ValidationError("`desk \(arguments.joined(separator: " "))` failed with status \(process.terminationStatus)")
                }
                times[index].append(seconds)
                Terminal.note(String(format: "  round %d  %-22@ wall %.1f ms", round + 1, variants[index].name, seconds * 1e3))
            }
        }
        let without = median(times[2])
        for (index, variant) in variants.enumerated() {
            let m = median(times[index])
            print(String(format: "%-22@ wall median %.1f ms (min %.1f)%@", variant.name, m * 1e3, (times[index].min() ?? 0) * 1e3,
                         index == 2 ? "" : String(format: "  %+.1f%% over the child without journal", (m / without - 1) * 100)))
        }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// A journal that keeps nothing: the baseline of the overhead measurement.
private struct DiscardingJournal: Journaling {
    func beginRun(_ manifest: RunManifest) async throws -> RunID { RunID(1) }
    func commit(_ step: StepRecord, to run: RunID) async throws {}
    func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {}
    func cachedCompletion(forKey key: String) async throws -> CachedCompletion? { nil }
}

/// The SQLite journal, with the times (from the start of the measurement) at which the run began
/// and the replay queued its last step.
private final class TimedJournal: Journaling, @unchecked Sendable {
    let journal: SQLiteJournal
    private let start: ContinuousClock.Instant
    private let lock = NSLock()
    private var begun = 0.0, lastCommit = 0.0

    init(_ journal: SQLiteJournal, start: ContinuousClock.Instant) {
        self.journal = journal
        self.start = start
    }

    /// Seconds from the start of the measurement to the end of `beginRun` and of the last `commit` call.
    var marks: (begun: Double, lastCommit: Double) { lock.withLock { (begun, lastCommit) } }

    func beginRun(_ manifest: RunManifest) async throws -> RunID {
        let run = try await journal.beginRun(manifest)
        let now = (ContinuousClock.now - start).seconds
        lock.withLock { begun = now; lastCommit = now }
        return run
    }
    func commit(_ step: StepRecord, to run: RunID) async throws {
        try await journal.commit(step, to: run)
        let now = (ContinuousClock.now - start).seconds
        lock.withLock { lastCommit = now }
    }
    func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws {
        try await journal.finishRun(run, status: status, summary: summary, reason: reason)
    }
    func cachedCompletion(forKey key: String) async throws -> CachedCompletion? { try await journal.cachedCompletion(forKey: key) }
}

/// How much a benchmark run wrote.
private struct JournalFigures {
    var rows = 0
    var bytes = 0

    init() {}

    init(_ journal: SQLiteJournal, run: RunID) throws {
        rows = try journal.rowCounts(of: run).values.reduce(0, +)
        for suffix in ["", "-wal"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: journal.path + suffix)[.size] as? Int) ?? nil
            bytes += size ?? 0
        }
    }
}

/// A synthetic market: `symbols` random walks over `sessions` weekdays from 2010-01-04, written
/// as tidy CSV files with a scenario file (deterministic: the same arguments give the same files).
struct SyntheticScenario {
    var symbols: Int
    var sessions: Int
    var cash: Int

    /// Writes the files unless they are already there; returns the scenario file.
    func write(to folder: URL) throws -> URL {
        let scenarioFile = folder.appendingPathComponent("scenario.yaml")
        if FileManager.default.fileExists(atPath: scenarioFile.path) { return scenarioFile }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        var days: [Day] = []
        var day = Day("2010-01-04")!
        while days.count < sessions {
            if day.weekday <= 5 { days.append(day) }
            day = day.advanced(by: 1)
        }
        var random = SeededRandom(seed: 20_100_104)
        var universe: [String] = []
        for index in 0..<symbols {
            let symbol = "S\(String(format: "%03d", index))"
            var price = 20 + Double(random.next() % 18_000) / 100
            let drift = 0.0003, volatility = 0.01 + Double(random.next() % 200) / 10_000
            var text = "date,open,high,low,close,volume\n"
            for day in days {
                let open = price
                let u1 = max(Double(random.next() % 1_000_000) / 1_000_000, 1e-9), u2 = Double(random.next() % 1_000_000) / 1_000_000
                let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
                price = max(1, price * exp(drift - volatility * volatility / 2 + volatility * normal))
                let high = max(open, price) * 1.005, low = min(open, price) * 0.995
                text += String(format: "%@,%.4f,%.4f,%.4f,%.4f,%d\n", day.iso, open, high, low, price, 1_000_000 + Int(random.next() % 4_000_000))
            }
            try Data(text.utf8).write(to: folder.appendingPathComponent("data/\(symbol).csv"))
            universe.append("  - {symbol: \(symbol), file: data/\(symbol).csv}")
        }
        let yaml = """
            # Synthetic scenario for `desk bench journal`: \(symbols) random walks, \(sessions) sessions.
            name: synthetic-\(symbols)x\(sessions)
            start: \(days.first!.iso)
            end: \(days.last!.iso)
            benchmark: S000
            initial_cash: \(cash)
            universe:
            \(universe.joined(separator: "\n"))
            costs:
              commission: {per_share: 0.005, minimum: 1.0}
              slippage: {bps: 5}
            cadence: daily

            """
        try Data(yaml.utf8).write(to: scenarioFile)
        return scenarioFile
    }
}

/// CPU time (user + system) of this process so far, all threads.
enum ProcessCPU {
    static var seconds: Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    }
}

import Analytics
import ArgumentParser
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare runs side by side with their baselines: metrics as rows, runs as columns.",
        discussion: """
            Each run is followed by its baselines (benchmark buy & hold, equal-weight buy & hold, equal-weight rebalanced \
            monthly), replayed over the run's scenario and costs and stored in the journal the first time they are needed. \
            The best value of each row is marked with *. The table ends with what differs between the runs' inputs.
              desk compare 3 5 --risk-free 0.02
            """)

    @Argument(help: ArgumentHelp("Runs to compare (ids, as `desk runs` lists them, or `last`).", valueName: "run"))
    var runs: [String]

    @OptionGroup var journalOptions: JournalOptions

    @Option(name: .customLong("risk-free"), help: ArgumentHelp("Annual risk-free rate as a fraction (0.02 for 2 %).", valueName: "rate"))
    var riskFree: Double = 0

    @Flag(name: .customLong("no-baselines"), help: "Compare the runs alone, without baselines.")
    var noBaselines = false

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run") }
    }

    func run() async throws {
        try await reportingErrors {
            try RunSelection.check(riskFree: riskFree)
            let journal = try RunSelection.openJournal(journalOptions)
            let ids = try RunSelection.resolve(runs, journal: journal)
            let comparison = try await Comparison.build(ids, journal: journal, riskFreeRate: riskFree, codeVersion: DeskVersion.current,
                                                        baselines: !noBaselines)
            if json {
                print(comparison.json.compactText)
            } else {
                print(ComparisonText.render(comparison, style: TextStyle.forStandardOutput))
            }
        }
    }
}

/// Checks run ids given on the command line against the journal.
enum RunSelection {
    static func check(riskFree: Double) throws {
        guard riskFree.isFinite, riskFree > -1 else {
            throw InputError(file: "--risk-free", problem: "\(riskFree) is not a usable annual rate", remedy: "give a fraction such as 0.02")
        }
    }

    static func openJournal(_ options: JournalOptions) throws -> SQLiteJournal {
        guard FileManager.default.fileExists(atPath: options.path) else {
            throw JournalError("no journal at \(options.path)", remedy: "run `desk replay` first, or pass --journal")
        }
        return try options.open()
    }

    static func resolve(_ runs: [String], journal: SQLiteJournal) throws -> [RunID] {
        var seen: Set<RunID> = []
        return try runs.compactMap { text in
            let id = try RunArgument.resolve(text, journal: journal)
            guard seen.insert(id).inserted else { return nil }
            do { _ = try journal.run(id) } catch {
                throw InputError(file: "desk", field: "run", problem: "the journal \(journal.path) has no run \(id)",
                                 remedy: "list the runs with `desk runs`")
            }
            return id
        }
    }
}

/// The comparison as a text table.
enum ComparisonText {
    static func render(_ comparison: Comparison, style: TextStyle) -> String {
        var lines: [String] = []
        for column in comparison.columns {
            let r = column.run
            let window = "\(column.days.first?.iso ?? "–")…\(column.days.last?.iso ?? "–") (\(column.days.count) sessions)"
            let what = column.baseline.map { "\($0.title), baseline of run \(r.baselineOf.map(String.init(describing:)) ?? "?")" }
                ?? "desk \(r.desk), seed \(r.seed), \(r.status.rawValue)"
            lines.append("  #\(r.id)  \(what); \(r.scenario) \(window)")
        }
        var table: [[String]] = [["metric"] + comparison.columns.map { $0.baseline == nil ? "run \($0.run.id)" : "#\($0.run.id) \($0.baseline!.rawValue)" }]
        for row in comparison.rows {
            let best = Comparison.best(row.values)
            table.append([row.metric.label] + row.values.enumerated().map { i, value in value.formatted + (best.contains(i) ? " *" : "  ") })
        }
        var out = style.bold("Columns") + "\n" + lines.joined(separator: "\n") + "\n\n"
        out += Table.render(table, rightAligned: Set(1..<(comparison.columns.count + 1))) + "\n"
        out += style.dim("* best of the row") + "\n"
        if comparison.columns.filter({ $0.baseline == nil }).count > 1 {
            out += "\n" + style.bold("What differs between the runs") + "\n"
            if comparison.differences.isEmpty {
                out += "  nothing: same desk, models, seed, scenario and window\n"
            }
            for difference in comparison.differences {
                out += "  \(difference.field): " + difference.values.map { "run \($0.run): \($0.value)" }.joined(separator: "; ") + "\n"
            }
        }
        for note in comparison.notes { out += style.yellow("note: \(note)") + "\n" }
        return out.trimmingCharacters(in: .newlines)
    }
}

import Analytics
import ArgumentParser
import Foundation
import InputFiles

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write one self-contained HTML report of runs and their baselines.",
        discussion: """
            The page has the equity curves and drawdowns of the runs and their baselines, each run's weights over time, \
            the metrics table, and a day-by-day timeline that opens to the roles' rationales, tool calls, model calls, \
            risk events, orders and fills. It needs no network (inline SVG and CSS) and prints.
              desk report 3 5 --out report.html
            """)

    @Argument(help: ArgumentHelp("Runs to report on (ids, as `desk runs` lists them, or `last`).", valueName: "run"))
    var runs: [String]

    @Option(help: ArgumentHelp("Where to write the HTML file.", valueName: "file.html"))
    var out: String = "report.html"

    @OptionGroup var journalOptions: JournalOptions

    @Option(name: .customLong("risk-free"), help: ArgumentHelp("Annual risk-free rate as a fraction (0.02 for 2 %).", valueName: "rate"))
    var riskFree: Double = 0

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run") }
    }

    func run() async throws {
        try await reportingErrors {
            try RunSelection.check(riskFree: riskFree)
            let journal = try RunSelection.openJournal(journalOptions)
            let ids = try RunSelection.resolve(runs, journal: journal)
            let report = try await HTMLReport.build(ids, journal: journal, riskFreeRate: riskFree, codeVersion: DeskVersion.current)
            do {
                try Data(report.html.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw InputError(file: out, field: "--out", problem: "cannot write the report: \(error.localizedDescription)",
                                 remedy: "choose a path in a folder that exists and is writable")
            }
            for note in report.comparison.notes { Terminal.note("note: \(note)") }
            print("wrote \(out) (\(report.comparison.columns.count) columns: \(report.comparison.columns.map(\.shortTitle).joined(separator: ", ")))")
        }
    }
}

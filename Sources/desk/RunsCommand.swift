import ArgumentParser
import Foundation
import Journal
import JournalRecords

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List the journal's runs, newest first.")

    @OptionGroup var journalOptions: JournalOptions

    @Option(help: "Show at most this many runs.")
    var limit: Int = 50

    func run() async throws {
        try await reportingErrors {
            guard FileManager.default.fileExists(atPath: journalOptions.path) else {
                throw JournalError("no journal at \(journalOptions.path)", remedy: "run `desk replay` first, or pass --journal")
            }
            let journal = try journalOptions.open()
            let runs = try journal.runs(limit: limit)
            if runs.isEmpty {
                print("no runs in \(journal.path)")
                return
            }
            let header = ["run", "status", "scenario", "desk", "seed", "sessions", "final value", "return", "max dd", "started"]
            var rows = [header]
            for run in runs {
                let s = run.summary
                rows.append([run.id.description, run.status.rawValue, run.scenario, run.desk + (run.baselineOf.map { " (baseline of \($0))" } ?? ""),
                             run.seed, s.map { String($0.sessions) } ?? "-", s.map { Format.money($0.finalEquity) } ?? "-",
                             s.map { Format.percent($0.totalReturn) } ?? "-", s.map { Format.percent($0.maxDrawdown) } ?? "-",
                             String(run.startedAt.prefix(19))])
            }
            print(Table.render(rows, rightAligned: [0, 5, 6, 7, 8]))
        }
    }
}

enum Table {
    /// Columns padded to their widest cell; `rightAligned` columns are numbers.
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        let widths = (0..<width).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

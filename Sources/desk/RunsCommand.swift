import ArgumentParser
import Foundation
import Journal
import JournalRecords
import LanguageModel

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List the journal's runs, newest first, with status and headline figures.",
        discussion: """
            Figures of unfinished runs are computed from their committed steps. A run shown as `interrupted` is marked \
            running but its process is gone (killed): resume it with `desk replay --resume RUN`.
            """)

    @OptionGroup var journalOptions: JournalOptions

    @Option(help: "Show at most this many runs.")
    var limit: Int = 50

    @Option(help: ArgumentHelp("Output format: text or json.", valueName: "format"))
    var format: OutputFormat = .text

    func run() async throws {
        try await reportingErrors {
            guard FileManager.default.fileExists(atPath: journalOptions.path) else {
                throw JournalError("no journal at \(journalOptions.path)", remedy: "run `desk replay` first, or pass --journal")
            }
            let journal = try journalOptions.open()
            let listed = try journal.runs(limit: limit).map { row in
                RunListing(row: row, summary: try row.status == .completed ? row.summary ?? journal.liveSummary(of: row.id) : journal.liveSummary(of: row.id),
                           steps: try journal.stepCount(of: row.id))
            }
            switch format {
            case .json:
                print(JSONValue.array(listed.map(\.json)).compactText)
            case .jsonl:
                for run in listed { print(run.json.compactText) }
            case .text:
                if listed.isEmpty {
                    print("no runs in \(journal.path)")
                    return
                }
                print(RunListing.table(listed, style: TextStyle.forStandardOutput))
            }
        }
    }
}

/// A run as `desk runs` shows it.
struct RunListing {
    var row: RunRow
    var summary: RunSummary
    var steps: Int

    /// `running` with its writer gone is shown as `interrupted`.
    var displayStatus: String {
        if row.status == .running, let writer = row.writer, !writer.isAliveHere, writer.host == WriterIdentity.current.host { return "interrupted" }
        return row.status.rawValue
    }

    var json: JSONValue {
        func number(_ x: Double) -> JSONValue { .number(x) }
        return .object([
            .init("run", .number(Double(row.id.rawValue))),
            .init("status", .string(row.status.rawValue)),
            .init("writer_alive", row.status == .running ? .bool(row.writer?.isAliveHere ?? false) : .null),
            .init("scenario", .string(row.scenario)),
            .init("scenario_file", .string(row.scenarioFile)),
            .init("desk", .string(row.desk)),
            .init("seed", .string(row.seed)),
            .init("code_version", .string(row.codeVersion)),
            .init("baseline_of", row.baselineOf.map { .number(Double($0.rawValue)) } ?? .null),
            .init("first_session", .string(row.firstSession)),
            .init("last_session", .string(row.lastSession)),
            .init("steps", .number(Double(steps))),
            .init("initial_value", number(row.initialCash)),
            .init("final_value", number(summary.finalEquity)),
            .init("total_return", number(summary.totalReturn)),
            .init("max_drawdown", number(summary.maxDrawdown)),
            .init("fills", .number(Double(summary.fills))),
            .init("model_calls", .number(Double(summary.modelCalls))),
            .init("failures", .number(Double(summary.failures))),
            .init("resumes", .number(Double(row.resumes))),
            .init("started_at", .string(row.startedAt)),
            .init("finished_at", row.finishedAt.map(JSONValue.string) ?? .null),
            .init("reason", row.reason.map(JSONValue.string) ?? .null),
        ])
    }

    static func table(_ runs: [RunListing], style: TextStyle) -> String {
        let header = ["run", "status", "scenario", "desk", "seed", "steps", "final value", "return", "max dd", "fills", "calls", "fail", "started"]
        var rows = [header]
        for run in runs {
            let s = run.summary
            rows.append([run.row.id.description, run.displayStatus, run.row.scenario,
                         run.row.desk + (run.row.baselineOf.map { " (baseline of \($0))" } ?? ""), run.row.seed, String(run.steps),
                         Format.money(s.finalEquity), Format.percent(s.totalReturn), Format.percent(s.maxDrawdown),
                         String(s.fills), String(s.modelCalls), String(s.failures), String(run.row.startedAt.prefix(19))])
        }
        let text = Table.render(rows, rightAligned: [0, 5, 6, 7, 8, 9, 10, 11])
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard style.colour, !lines.isEmpty else { return text }
        lines[0] = style.bold(lines[0])
        for (i, run) in runs.enumerated() {
            switch run.displayStatus {
            case "completed": continue
            case "failed", "interrupted": lines[i + 1] = style.red(lines[i + 1])
            default: lines[i + 1] = style.yellow(lines[i + 1])
            }
        }
        return lines.joined(separator: "\n")
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
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}

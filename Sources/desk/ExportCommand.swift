import ArgumentParser
import Foundation
import InputFiles
import Journal
import JournalRecords

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run: everything as JSON lines, or its equity, positions, orders and fills as CSV files.",
        discussion: """
            --jsonl writes one JSON object per line, each with a `kind` (run, agent, step, equity, position, order, \
            order_update, order_event, fill, cash_movement, model_call, tool_call, decision, risk_event, failure) and the \
            journal's column names as keys; `desk import` reads it back into any journal. In pandas: \
            pd.read_json(path, lines=True) and filter on `kind`.

            --csv DIR writes equity.csv, positions.csv, orders.csv and fills.csv with a header row: \
            pd.read_csv("DIR/equity.csv", parse_dates=["day"]).
            """)

    @Argument(help: ArgumentHelp("The run id (see `desk runs`), or `last`.", valueName: "run"))
    var run: String

    @Option(name: .customLong("jsonl"), help: ArgumentHelp("Write everything as JSON lines to this file (- for standard output).", valueName: "file"))
    var jsonl: String?

    @Option(help: ArgumentHelp("Write equity, positions, orders and fills as CSV files into this folder.", valueName: "dir"))
    var csv: String?

    @OptionGroup var journalOptions: JournalOptions

    func validate() throws {
        if jsonl == nil && csv == nil { throw ValidationError("say what to write: --jsonl FILE (or - for standard output), --csv DIR, or both") }
    }

    func run() async throws {
        try await reportingErrors {
            guard FileManager.default.fileExists(atPath: journalOptions.path) else {
                throw JournalError("no journal at \(journalOptions.path)", remedy: "pass --journal with the file the run was written to")
            }
            let journal = try journalOptions.open()
            let runID = try RunArgument.resolve(self.run, journal: journal)
            if let jsonl {
                let output = try LineWriter(path: jsonl)
                var count = 0
                try journal.exportJSONL(runID) { line in
                    output.write(line)
                    count += 1
                }
                try output.close()
                if jsonl != "-" { Terminal.note("wrote run \(runID) to \(jsonl) (\(count) lines)") }
            }
            if let csv {
                let files = try journal.exportCSV(runID, to: URL(fileURLWithPath: csv))
                Terminal.note("wrote \(files.map(\.lastPathComponent).joined(separator: ", ")) to \(csv)")
            }
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a run exported with `desk export RUN --jsonl` as a new run of the journal.",
        discussion: "The whole run goes in one transaction; every step's digest is checked against its imported rows.")

    @Argument(help: ArgumentHelp("The JSON-lines file (- for standard input).", valueName: "file"))
    var file: String

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        try await reportingErrors {
            let handle: FileHandle
            if file == "-" {
                handle = FileHandle.standardInput
            } else {
                guard let opened = FileHandle(forReadingAtPath: file) else {
                    throw InputError(file: file, problem: "cannot read this file", remedy: "check the path")
                }
                handle = opened
            }
            let journal = try journalOptions.open()
            let run = try journal.importJSONL(file: file, lines: LineReader(handle: handle))
            let steps = try journal.stepCount(of: run)
            print("imported \(file) as run \(run) of \(journal.path) (\(steps) steps, every step's digest checked)")
        }
    }
}

/// Buffered line output to a file or standard output.
final class LineWriter {
    private let handle: FileHandle
    private let closes: Bool
    private var buffer = Data()

    init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardOutput
            closes = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil), let opened = FileHandle(forWritingAtPath: path) else {
                throw InputError(file: path, problem: "cannot write this file", remedy: "check that the folder exists and is writable")
            }
            handle = opened
            closes = true
        }
    }

    func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        if closes { try handle.close() }
    }
}

/// The lines of a file with their 1-based numbers, read in chunks.
struct LineReader: Sequence, IteratorProtocol {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var number = 0
    private var atEnd = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> (Int, String)? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[position..<newline], as: UTF8.self)
                position = newline + 1
                number += 1
                return (number, line)
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = String(decoding: buffer[position...], as: UTF8.self)
                position = buffer.count
                number += 1
                return (number, line)
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

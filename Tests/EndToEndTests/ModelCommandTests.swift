import DeskTesting
import Foundation
import LanguageModel
import LocalLM
import Testing

/// `desk model …` as a user runs it: the commands by which anyone can compare the engine with llama.cpp.
@Suite(.serialized) struct ModelCommandTests {
    struct Reference: Decodable {
        struct Tokenized: Decodable { var text: String; var token_ids: [Int] }
        struct Generated: Decodable { var prompt: String; var greedy_token_ids: [Int] }
        var tokenizer_cases: [Tokenized]
        var generation_cases: [Generated]
    }

    static let reference = try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.reference.appendingPathComponent("llm/smollm2-llamacpp.json")))

    func requireModel() throws {
        do { _ = try ModelStore.requireDefaultModel() } catch {
            Issue.record("\(error) — scripts/test.sh pulls it before the tests run")
            throw error
        }
    }

    @Test func tokenizePrintsLlamaCppsIdsOnOneLine() async throws {
        try requireModel()
        let c = Self.reference.tokenizer_cases[2]
        let result = try await DeskProcess.run(["model", "tokenize", c.text])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == c.token_ids.map(String.init).joined(separator: " ") + "\n")
        let special = try await DeskProcess.run(["model", "tokenize", "--special", "<|im_start|>user"])
        #expect(special.stdout.split(separator: " ").first == "1")
    }

    @Test func generatePrintsTheGreedyIdsAsItsLastLine() async throws {
        try requireModel()
        let c = Self.reference.generation_cases[0]
        let result = try await DeskProcess.run(["model", "generate", "--raw", "--special", "--temperature", "0", "--max-tokens", "8", "--print-token-ids", c.prompt])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.last.map(String.init) == c.greedy_token_ids.prefix(8).map(String.init).joined(separator: " "))
        #expect(result.stdout.hasPrefix("A stock market index is"))
    }

    @Test func ignoringEndOfSequenceGivesExactlyMaxTokens() async throws {
        try requireModel()
        let result = try await DeskProcess.run(["model", "generate", "--raw", "--special", "--ignore-eos", "--max-tokens", "3", "--print-token-ids",
                                          "<|im_start|>user\nSay OK<|im_end|>\n<|im_start|>assistant\nOK<|im_end|>"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = result.stdout.split(separator: "\n").last ?? ""
        #expect(last.split(separator: " ").count == 3)
    }

    @Test func infoDescribesTheModel() async throws {
        try requireModel()
        let result = try await DeskProcess.run(["model", "info"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("llama: 30 blocks, width 576, 9 heads (3 KV)"))
        #expect(result.stdout.contains("pre-tokenizer smollm"))
        #expect(result.stdout.contains("chat format  chatml"))
        #expect(result.stdout.contains(ModelStore.defaultSHA256))
    }

    @Test func badInputIsOneClearLineAndANonZeroExit() async throws {
        try requireModel()
        let format = try await DeskProcess.run(["model", "generate", "--chat-format", "alpaca", "hi"])
        #expect(format.status == 2)
        #expect(format.stderr.contains("unknown chat format 'alpaca'"))
        let missing = try await DeskProcess.run(["model", "info", "/nonexistent.gguf"])
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("/nonexistent.gguf"))
    }
}

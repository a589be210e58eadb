import Foundation
import LanguageModel
import LocalLM
import Testing

/// Tiny random models written by the `gguf` package and evaluated by llama.cpp
/// (`scripts/make-synthetic-model-fixtures.py`): the paths SmolLM2 does not take — Qwen 2 (NeoX
/// rotary layout, Q/K/V biases, a separate output matrix, Q5_0/Q5_1/Q4_0/BF16/F16 weights) and a
/// Llama with a SentencePiece vocabulary, Llama 3 rope frequency factors and a tied output.
/// The fixtures were recorded by a llama.cpp built for AVX-512, so the engine follows that build.
enum SyntheticFixtures {
    struct Tokenization: Decodable { var text: String; var special: Bool; var token_ids: [Int] }
    struct Case: Decodable {
        var file: String
        var tokenizations: [Tokenization]
        var prompt_token_ids: [Int]
        var last_logits: [Float]
        var greedy_token_ids: [Int]
    }
    struct File: Decodable { var cases: [Case] }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let cases: [Case] = try! JSONDecoder().decode(File.self, from: Data(contentsOf: folder.appendingPathComponent("synthetic-llamacpp.json"))).cases
    static var files: [String] { cases.map(\.file) }
    static func named(_ file: String) -> Case { cases.first { $0.file == file }! }
    static func path(_ file: String) -> String { folder.appendingPathComponent(file).path }
}

@Suite struct SyntheticModelTests {
    @Test func theFixturesCoverQwen2AndSentencePieceLlama() throws {
        #expect(SyntheticFixtures.files == ["tiny-qwen2.gguf", "tiny-llama-spm.gguf"])
        let qwen = try LocalModel(path: SyntheticFixtures.path("tiny-qwen2.gguf"))
        #expect(qwen.config.architecture == "qwen2" && qwen.config.ropeLayout == .neox)
        #expect(qwen.file.tensor(named: "output.weight") != nil && qwen.file.tensor(named: "blk.0.attn_q.bias") != nil)
        let llama = try LocalModel(path: SyntheticFixtures.path("tiny-llama-spm.gguf"))
        #expect(llama.tokenizer.kind == .sentencePiece && llama.file.tensor(named: "rope_freqs.weight") != nil)
    }

    @Test(arguments: SyntheticFixtures.files)
    func tokenizationMatchesLlamaCpp(_ file: String) throws {
        let c = SyntheticFixtures.named(file)
        let tokenizer = try Tokenizer(file: GGUFFile(path: SyntheticFixtures.path(file)))
        for t in c.tokenizations {
            #expect(tokenizer.encode(t.text, parseSpecial: t.special, addSpecial: true) == t.token_ids, "\(file): \(t.text.debugDescription) special \(t.special)")
        }
    }

    @Test(arguments: SyntheticFixtures.files)
    func logitsMatchLlamaCppBitForBit(_ file: String) async throws {
        let c = SyntheticFixtures.named(file)
        let model = try LocalModel(path: SyntheticFixtures.path(file), numerics: .llamaCppAVX512)
        let logits = try await model.logits(after: c.prompt_token_ids)
        #expect(logits.count == c.last_logits.count)
        if file == "tiny-qwen2.gguf" {
            // Every matrix type of this file goes through kernels that follow llama.cpp's order exactly.
            let differing = zip(logits, c.last_logits).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(file): \(differing) logits differ from llama.cpp's in some bit")
        } else {
            // Not yet bit for bit here (some float weight paths sum in another order): agree to rounding.
            let scale = c.last_logits.map(abs).max() ?? 1
            let worst = zip(logits, c.last_logits).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "\(file): largest difference \(worst) (logits up to \(scale))")
        }
    }

    @Test(arguments: SyntheticFixtures.files)
    func greedyTokensMatchLlamaCpp(_ file: String) async throws {
        let c = SyntheticFixtures.named(file)
        let model = try LocalModel(path: SyntheticFixtures.path(file), numerics: .llamaCppAVX512)
        let result = try await model.generate(promptTokens: c.prompt_token_ids,
                                              sampling: SamplingSettings(maxTokens: c.greedy_token_ids.count, ignoreEndOfSequence: true))
        #expect(result.tokenIDs == c.greedy_token_ids, "\(file)")
    }
}

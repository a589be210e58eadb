import DeskTesting
import Foundation
import LanguageModel
import LocalLM
import Testing

/// The oracle: llama.cpp's tokens and logits for SmolLM2-135M-Instruct Q4_1
/// (`Tests/Reference/llm/smollm2-llamacpp.json`, produced by llama-cpp-python 0.3.36).
enum Oracle {
    struct TokenizerCase: Decodable { var text: String; var token_ids: [Int] }
    struct Logit: Decodable { var id: Int; var logit: Double }
    struct GenerationCase: Decodable {
        var prompt: String
        var prompt_token_ids: [Int]
        var first_top5: [Logit]
        var greedy_token_ids: [Int]
        var greedy_text: String
    }
    struct File: Decodable {
        var model_sha256: String
        var tokenizer_cases: [TokenizerCase]
        var generation_cases: [GenerationCase]
    }

    static let file: File = {
        let url = Fixtures.reference.appendingPathComponent("llm/smollm2-llamacpp.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    /// The default model, located as `desk` locates it; a missing model fails the test with what to do.
    static func modelPath() throws -> String {
        do {
            return try ModelStore.requireDefaultModel()
        } catch {
            Issue.record("\(error) — scripts/test.sh pulls it before the tests run")
            throw error
        }
    }

    static let model: LocalModel? = try? LocalModel(path: ModelStore.defaultModelPath())

    static func loadedModel() throws -> LocalModel {
        _ = try modelPath()
        return try #require(model, "the default model is present but failed to load")
    }
}

@Suite struct LlamaCppOracleTests {
    @Test func theDefaultModelIsTheOneTheOracleWasMadeWith() throws {
        let model = try Oracle.loadedModel()
        #expect(model.descriptor.digest == Oracle.file.model_sha256)
        #expect(ModelStore.defaultSHA256 == Oracle.file.model_sha256)
    }

    @Test(arguments: Oracle.file.tokenizer_cases.indices)
    func tokenizerMatchesLlamaCpp(_ index: Int) throws {
        let model = try Oracle.loadedModel()
        let c = Oracle.file.tokenizer_cases[index]
        let ids = model.tokenizer.encode(c.text)
        #expect(ids == c.token_ids, "tokenizer case \(index + 1): \(c.text.debugDescription)")
        #expect(model.tokenizer.decode(ids) == c.text, "decoding round-trips")
    }

    @Test(arguments: Oracle.file.generation_cases.indices)
    func promptTokensMatchLlamaCpp(_ index: Int) throws {
        let model = try Oracle.loadedModel()
        let item = (offset: index, element: Oracle.file.generation_cases[index])
        let ids = model.tokenizer.encode(item.element.prompt, parseSpecial: true, addSpecial: true)
        #expect(ids == item.element.prompt_token_ids, "generation case \(item.offset + 1)")
    }

    @Test(arguments: Oracle.file.generation_cases.indices)
    func firstLogitsAgreeWithinFiveHundredths(_ index: Int) async throws {
        let model = try Oracle.loadedModel()
        let item = (offset: index, element: Oracle.file.generation_cases[index])
        let logits = try await model.logits(after: item.element.prompt_token_ids)
        for expected in item.element.first_top5 {
            let got = Double(logits[expected.id])
            #expect(abs(got - expected.logit) <= 0.05, "case \(item.offset + 1), token \(expected.id): \(got) vs llama.cpp \(expected.logit)")
        }
        let top = logits.indices.max { logits[$0] < logits[$1] }
        #expect(top == item.element.first_top5[0].id)
    }

    @Test(arguments: Oracle.file.generation_cases.indices)
    func greedyContinuationMatchesLlamaCppTokenForToken(_ index: Int) async throws {
        let model = try Oracle.loadedModel()
        let item = (offset: index, element: Oracle.file.generation_cases[index])
        let result = try await model.generate(promptTokens: item.element.prompt_token_ids,
                                              sampling: SamplingSettings(maxTokens: 48, temperature: 0))
        #expect(result.tokenIDs == item.element.greedy_token_ids, "generation case \(item.offset + 1)")
        #expect(result.text == item.element.greedy_text)
        let expectedFinish: FinishReason = item.element.greedy_token_ids.count < 48 ? .endOfSequence : .maxTokens
        #expect(result.finishReason == expectedFinish)
    }
}

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

    @Test(arguments: Array(Oracle.file.tokenizer_cases.enumerated()))
    func tokenizerMatchesLlamaCpp(_ item: (offset: Int, element: Oracle.TokenizerCase)) throws {
        let model = try Oracle.loadedModel()
        let ids = model.tokenizer.encode(item.element.text)
        #expect(ids == item.element.token_ids, "tokenizer case \(item.offset + 1): \(item.element.text.debugDescription)")
        #expect(model.tokenizer.decode(ids) == item.element.text, "decoding round-trips")
    }

    @Test(arguments: Array(Oracle.file.generation_cases.enumerated()))
    func promptTokensMatchLlamaCpp(_ item: (offset: Int, element: Oracle.GenerationCase)) throws {
        let model = try Oracle.loadedModel()
        let ids = model.tokenizer.encode(item.element.prompt, parseSpecial: true, addSpecial: true)
        #expect(ids == item.element.prompt_token_ids, "generation case \(item.offset + 1)")
    }

    @Test(arguments: Array(Oracle.file.generation_cases.enumerated()))
    func firstLogitsAgreeWithinFiveHundredths(_ item: (offset: Int, element: Oracle.GenerationCase)) async throws {
        let model = try Oracle.loadedModel()
        let logits = await model.logits(after: item.element.prompt_token_ids)
        for expected in item.element.first_top5 {
            let got = Double(logits[expected.id])
            #expect(abs(got - expected.logit) <= 0.05, "case \(item.offset + 1), token \(expected.id): \(got) vs llama.cpp \(expected.logit)")
        }
        let top = logits.indices.max { logits[$0] < logits[$1] }
        #expect(top == item.element.first_top5[0].id)
    }

    @Test(arguments: Array(Oracle.file.generation_cases.enumerated()))
    func greedyContinuationMatchesLlamaCppTokenForToken(_ item: (offset: Int, element: Oracle.GenerationCase)) async throws {
        let model = try Oracle.loadedModel()
        let result = try await model.generate(promptTokens: item.element.prompt_token_ids,
                                              sampling: SamplingSettings(maxTokens: 48, temperature: 0))
        #expect(result.tokenIDs == item.element.greedy_token_ids, "generation case \(item.offset + 1)")
        #expect(result.text == item.element.greedy_text)
        let expectedFinish: FinishReason = item.element.greedy_token_ids.count < 48 ? .endOfSequence : .maxTokens
        #expect(result.finishReason == expectedFinish)
    }
}

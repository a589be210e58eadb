import Foundation
import LanguageModel
import LocalLM
import Testing

/// The engine's two ways of doing less work — reusing a cached prompt prefix and stepping
/// concurrent requests together — must never change a token. The models here compute on one
/// thread each and the tests run one at a time, so they leave the cores to the rest of the suite
/// (the pooled products are pinned bit for bit by ``PackedKernelTests``; the oracle tests use the pool).
@Suite(.serialized) struct BatchingAndPrefixCacheTests {
    static let system = """
        You are the risk officer of a trading desk. You read the analysts' proposals and the desk's \
        positions, and you answer with one short sentence: approve, trim or reject, and why. Never \
        invent prices; quote only the figures you are given. Limits: no single position above ten \
        percent of equity, gross exposure at most one hundred and fifty percent, no trading in the \
        last ten minutes of a session.
        """

    static func request(_ question: String, maxTokens: Int = 16) -> ModelRequest {
        ModelRequest(messages: [.system(system), .user(question)], sampling: SamplingSettings(maxTokens: maxTokens, temperature: 0))
    }

    @Test func aPromptStartingFromACachedPrefixGetsTheTokensOfAFreshOne() async throws {
        let path = try Oracle.modelPath()
        let warm = try await LocalModel.load(path: path, threads: 1)
        let cold = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0)
        let first = try await warm.complete(Self.request("Buy 500 shares of AAPL at 190."))
        #expect(first.usage.cachedPromptTokens == 0)

        let second = Self.request("Sell short 2,000 shares of TSLA.")
        let hit = try await warm.complete(second)
        let miss = try await cold.complete(second)
        let systemTokens = warm.tokenizer.encode(try warm.prompt(for: [.system(Self.system)]), parseSpecial: true).count
        #expect(hit.usage.cachedPromptTokens >= systemTokens - 2, "the system prompt comes from the cache")
        #expect(hit.usage.cachedPromptTokens < hit.usage.promptTokens)
        #expect(miss.usage.cachedPromptTokens == 0)
        #expect(hit.tokenIDs == miss.tokenIDs)
        #expect(hit.text == miss.text)
        let stats = await warm.statistics()
        #expect(stats.prefixHits == 1 && stats.prefixMisses == 1)
        #expect(stats.prefixCacheBytes > 0 && stats.prefixCacheBytes <= LocalModel.defaultPrefixCacheBytes)
        #expect(await cold.statistics().prefixCacheBytes == 0)
    }

    @Test func aPrefixThatSpansMicroBatchesIsReusedExactly() async throws {
        let path = try Oracle.modelPath()
        let warm = try await LocalModel.load(path: path, threads: 1)
        let cold = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0)
        var base: [Int] = []
        let sentence = warm.tokenizer.encode(" Markets opened lower as investors weighed inflation figures and earnings.")
        while base.count < 600 { base += sentence }
        // 513 tokens: a fresh prefill evaluates the last one alone, so only 512 positions may be stored.
        let first = Array(base.prefix(513))
        let second = Array(base.prefix(530))
        let settings = SamplingSettings(maxTokens: 8, temperature: 0, ignoreEndOfSequence: true)
        _ = try await warm.generate(promptTokens: first, sampling: settings)
        let hit = try await warm.generate(promptTokens: second, sampling: settings)
        let miss = try await cold.generate(promptTokens: second, sampling: settings)
        #expect(hit.usage.cachedPromptTokens == 512)
        #expect(hit.tokenIDs == miss.tokenIDs)
        // The same prompt again reuses all but its last token.
        let again = try await warm.generate(promptTokens: second, sampling: settings)
        #expect(again.usage.cachedPromptTokens == second.count - 1)
        #expect(again.tokenIDs == miss.tokenIDs)
    }

    @Test func thePrefixCacheStaysWithinItsBytesEvictingTheLeastRecentlyUsed() async throws {
        let path = try Oracle.modelPath()
        let config = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0).config
        let bytesPerPosition = config.layers * 2 * config.kvHeads * config.headDim * 2  // keys and values in F16
        let model = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 100 * bytesPerPosition)
        let settings = SamplingSettings(maxTokens: 1, temperature: 0)
        let a = Array(repeating: model.tokenizer.encode(" alpha beta"), count: 30).flatMap { $0 }.prefix(60)
        let b = Array(repeating: model.tokenizer.encode(" gamma delta"), count: 30).flatMap { $0 }.prefix(60)
        _ = try await model.generate(promptTokens: Array(a), sampling: settings)
        _ = try await model.generate(promptTokens: Array(b), sampling: settings)
        let stats = await model.statistics()
        #expect(stats.prefixCacheBytes <= 100 * bytesPerPosition)
        #expect(stats.prefixCacheBytes == 60 * bytesPerPosition, "a is evicted to make room for b")
        let bAgain = try await model.generate(promptTokens: Array(b), sampling: settings)
        #expect(bAgain.usage.cachedPromptTokens == 59)
        let aAgain = try await model.generate(promptTokens: Array(a), sampling: settings)
        #expect(aAgain.usage.cachedPromptTokens == 0)
    }

    @Test func aRolesNewPromptReplacesItsOldOneSoOtherRolesStayCached() async throws {
        let path = try Oracle.modelPath()
        let config = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0).config
        let bytesPerPosition = config.layers * 2 * config.kvHeads * config.headDim * 2
        // Room for three 60-token prompts: two roles' prompts of one day and one of the next.
        let model = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 180 * bytesPerPosition)
        let cold = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0)
        let settings = SamplingSettings(maxTokens: 1, temperature: 0)
        func text(_ phrase: String, _ count: Int) -> [Int] {
            Array(Array(repeating: model.tokenizer.encode(phrase), count: 40).flatMap { $0 }.prefix(count))
        }
        let instructionsA = text(" alpha beta", 40), instructionsB = text(" gamma delta", 40)
        let a1 = instructionsA + text(" one two", 20), b1 = instructionsB + text(" seven eight", 20)
        let a2 = instructionsA + text(" three four", 20), a3 = instructionsA + text(" five six", 20)
        let b2 = instructionsB + text(" nine ten", 20)
        for prompt in [a1, b1, a2, a3] { _ = try await model.generate(promptTokens: prompt, sampling: settings) }
        // Role A's older prompts gave way to its newest; role B's prompt of the first day is still there.
        #expect(await model.statistics().prefixCacheBytes == 120 * bytesPerPosition)
        let hit = try await model.generate(promptTokens: b2, sampling: settings)
        let shared = zip(b1, b2).prefix { $0 == $1 }.count
        #expect(shared >= 40 && hit.usage.cachedPromptTokens == shared)
        #expect(hit.tokenIDs == (try await cold.generate(promptTokens: b2, sampling: settings)).tokenIDs)
    }

    @Test func requestsSteppedTogetherGetTheTokensTheyGetAlone() async throws {
        let path = try Oracle.modelPath()
        let model = try await LocalModel.load(path: path, threads: 1, prefixCacheBytes: 0)
        let requests = [
            ModelRequest(messages: [.user("What is a bond?")], sampling: SamplingSettings(maxTokens: 20, temperature: 0)),
            ModelRequest(messages: [.user("Define volatility in one sentence.")], sampling: SamplingSettings(maxTokens: 14, temperature: 0)),
            Self.request("Buy 500 shares of AAPL at 190.", maxTokens: 24),
            ModelRequest(messages: [.user("Name three stock indices.")],
                         sampling: SamplingSettings(maxTokens: 18, temperature: 0.8, topK: 40, topP: 0.95, seed: 7, ignoreEndOfSequence: true)),
            ModelRequest(messages: [.user("Is cash a position?")], sampling: SamplingSettings(maxTokens: 9, temperature: 0)),
        ]
        var alone: [[Int]] = []
        for request in requests { alone.append(try await model.complete(request).tokenIDs ?? []) }
        #expect(await model.statistics().mostSequencesInAStep == 1)

        let together = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (i, request) in requests.enumerated() {
                group.addTask { (i, try await model.complete(request).tokenIDs ?? []) }
            }
            var out = [[Int]](repeating: [], count: requests.count)
            for try await (i, ids) in group { out[i] = ids }
            return out
        }
        #expect(together == alone)
        #expect(await model.statistics().mostSequencesInAStep >= 2, "the requests shared steps")
    }
}

import Foundation
import LanguageModel
import LocalLM
import Testing

@Suite struct LocalModelTests {
    static let question = [ChatMessage.system("You are a trading assistant."), .user("Name one stock index.")]

    @Test func completesAChatWithUsageFiguresAndTheModelDigest() async throws {
        let model = try Oracle.loadedModel()
        let completion = try await model.complete(ModelRequest(messages: Self.question, sampling: SamplingSettings(maxTokens: 6)))
        #expect(completion.modelDigest == ModelStore.defaultSHA256)
        #expect(completion.usage.completionTokens == completion.tokenIDs?.count)
        #expect(completion.usage.completionTokens > 0 && completion.usage.completionTokens <= 6)
        #expect(completion.usage.promptTokens == model.tokenizer.encode(try model.prompt(for: Self.question), parseSpecial: true).count)
        #expect(completion.usage.timeToFirstToken > 0 && completion.usage.totalSeconds >= completion.usage.timeToFirstToken)
        #expect(!completion.text.isEmpty)
        #expect(model.descriptor.contextLength == 8192)
    }

    @Test func concurrentCallersGetTheSameAnswersAsOneAtATime() async throws {
        let model = try Oracle.loadedModel()
        let requests = ["What is a bond?", "What is a dividend?", "Define volatility."].map {
            ModelRequest(messages: [.user($0)], sampling: SamplingSettings(maxTokens: 5))
        }
        var serial: [[Int]] = []
        for request in requests { serial.append(try await model.complete(request).tokenIDs ?? []) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (i, request) in requests.enumerated() {
                group.addTask { (i, try await model.complete(request).tokenIDs ?? []) }
            }
            var out = [[Int]](repeating: [], count: requests.count)
            for try await (i, ids) in group { out[i] = ids }
            return out
        }
        #expect(concurrent == serial)
    }

    @Test func theSameSeedSamplesTheSameTokens() async throws {
        let model = try Oracle.loadedModel()
        let settings = SamplingSettings(maxTokens: 8, temperature: 0.9, topK: 40, topP: 0.95, seed: 11, ignoreEndOfSequence: true)
        let a = try await model.complete(ModelRequest(messages: Self.question, sampling: settings))
        let b = try await model.complete(ModelRequest(messages: Self.question, sampling: settings))
        #expect(a.tokenIDs == b.tokenIDs)
        #expect(a.tokenIDs?.count == 8)
    }

    @Test func stopSequencesEndTheTextBeforeThem() async throws {
        let model = try Oracle.loadedModel()
        let prompt = model.tokenizer.encode("The Federal Reserve raised interest rates by 75 basis points on")
        let free = try await model.generate(promptTokens: prompt, sampling: SamplingSettings(maxTokens: 12))
        #expect(free.text.hasPrefix(" January 1, 2024"))
        let stopped = try await model.generate(promptTokens: prompt, sampling: SamplingSettings(maxTokens: 12, stop: [", 2024"]))
        #expect(stopped.text == " January 1")
        #expect(stopped.finishReason == .stopSequence)
    }

    @Test func ignoringEndOfSequenceGeneratesExactlyMaxTokens() async throws {
        let model = try Oracle.loadedModel()
        let prompt = model.tokenizer.encode("<|im_start|>user\nSay OK.<|im_end|>\n<|im_start|>assistant\nOK<|im_end|>", parseSpecial: true)
        let result = try await model.generate(promptTokens: prompt, sampling: SamplingSettings(maxTokens: 5, ignoreEndOfSequence: true))
        #expect(result.tokenIDs.count == 5)
        #expect(!result.tokenIDs.contains { model.tokenizer.endOfGeneration.contains($0) })
        #expect(result.finishReason == .maxTokens)
    }

    @Test func cancellingTheCallerEndsGenerationWithACancelledError() async throws {
        let model = try Oracle.loadedModel()
        let task = Task {
            try await model.complete(ModelRequest(messages: Self.question, sampling: SamplingSettings(maxTokens: 400, ignoreEndOfSequence: true)))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        do {
            let completion = try await task.value
            Issue.record("expected cancellation, got \(completion.usage.completionTokens) tokens")
        } catch let error as LanguageModelError {
            #expect(error.kind == .cancelled)
        }
    }

    @Test func aPromptLongerThanTheContextIsAContextOverflow() async throws {
        let model = try Oracle.loadedModel()
        await #expect(throws: LanguageModelError.self) {
            _ = try await model.generate(promptTokens: Array(repeating: 198, count: 9000), sampling: SamplingSettings(maxTokens: 1))
        }
    }

    @Test func theDigestIsCachedBesideTheModel() throws {
        let path = try Oracle.modelPath()
        let sidecar = path + ".sha256"
        #expect(try ModelDigest.sha256(ofFileAt: path) == ModelStore.defaultSHA256)
        #expect(FileManager.default.fileExists(atPath: sidecar))
    }

    @Test func theModelFolderFollowsTheEnvironmentVariable() {
        #expect(ModelStore.directory(environment: ["TRADINGDESK_MODELS": "/tmp/m", "HOME": "/home/x"]).path == "/tmp/m")
        #expect(ModelStore.directory(environment: ["HOME": "/home/x"]).path == "/home/x/.cache/tradingdesk/models")
        #expect(throws: ModelStoreError.self) { try ModelStore.requireDefaultModel(environment: ["TRADINGDESK_MODELS": "/nonexistent"]) }
    }

    @Test func pullingWithoutPythonSaysWhatToDoInstead() {
        #expect {
            try ModelStore.pull(environment: ["TRADINGDESK_MODELS": FileManager.default.temporaryDirectory.appendingPathComponent("no-python-\(UUID())").path, "PATH": "/nonexistent"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("python3") && text.contains("--model PATH")
        }
    }
}

import DeskTesting
import Foundation
import LanguageModel
@testable import RemoteLM
import Testing

/// Opening a remote model: who serves it, its digest, and the failures a user can meet.
@Suite struct ServerIdentityTests {
    @Test func llamaCppDigestIsTheModelAndItsFileFactsAndStaysPutAcrossCalls() async throws {
        let meta: JSONValue = .object([
            .init("vocab_type", .number(2)), .init("n_vocab", .number(49152)), .init("n_ctx_train", .number(8192)),
            .init("n_embd", .number(576)), .init("n_params", .number(134_515_008)), .init("size", .number(98_041_344)),
            .init("n_ctx", .number(4096)),
        ])
        // llama.cpp stamps `created` with the time of each request; the digest must not follow it.
        let server = try FakeOpenAIServer(models: { request in
            [FakeOpenAIServer.model("smollm2", ownedBy: "llamacpp", extra: [.init("created", .number(Double(1_700_000_000 + request.index))),
                                                                             .init("meta", meta)])]
        }, routes: { request in
            request.path == "/props"
                ? .respond(.json(.object([.init("model_path", .string("/models/SmolLM2-135M-Instruct.Q4_1.gguf")),
                                          .init("build_info", .string("b1234-abcdef")),
                                          .init("default_generation_settings", .object([.init("n_ctx", .number(4096))]))])))
                : nil
        }, chat: { call in call.answer("ok") })

        let model = try await RemoteModel.open(server.configuration(model: "smollm2"))
        for _ in 0..<3 { _ = try await model.complete(ask("Hi")) }
        let reopened = try await RemoteModel.open(server.configuration(model: "smollm2"))

        #expect(model.identity.server == .llamaCpp)
        #expect(model.dialect == .llamaCpp)
        #expect(model.descriptor.digest == #"remote:smollm2 {"llama.cpp.model_path":"/models/SmolLM2-135M-Instruct.Q4_1.gguf","llama.cpp.n_ctx_train":8192,"llama.cpp.n_embd":576,"llama.cpp.n_params":134515008,"llama.cpp.n_vocab":49152,"llama.cpp.size":98041344,"llama.cpp.vocab_type":2}"#)
        #expect(model.descriptor.contextLength == 4096)
        #expect(model.descriptor.name == "openai:\(server.baseURL.absoluteString)#smollm2")
        #expect(reopened.descriptor.digest == model.descriptor.digest)
        #expect(server.requests(to: "/v1/models").count == 2, "one model list per opened model, none per call")
        #expect(server.requests(to: "/props").count == 2)
    }

    @Test func ollamaDigestIsTheManifestDigestAndLatestIsImplied() async throws {
        let server = try FakeOpenAIServer(models: { _ in [FakeOpenAIServer.model("qwen2.5:latest", ownedBy: "library")] }, routes: { request in
            guard request.path == "/api/tags" else { return nil }
            return .respond(.json(.object([.init("models", .array([.object([
                .init("name", .string("qwen2.5:latest")), .init("model", .string("qwen2.5:latest")),
                .init("modified_at", .string("2025-01-01T00:00:00Z")), .init("size", .number(4_683_087_332)),
                .init("digest", .string("845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e")),
                .init("details", .object([.init("format", .string("gguf")), .init("family", .string("qwen2")),
                                          .init("parameter_size", .string("7.6B")), .init("quantization_level", .string("Q4_K_M"))])),
            ])]))])))
        }, chat: { call in call.answer("ok") })

        let model = try await RemoteModel.open(server.configuration(model: "qwen2.5"))
        _ = try await model.complete(ask("Hi"))

        #expect(model.identity.server == .ollama)
        #expect(model.identity.model == "qwen2.5:latest")
        #expect(model.dialect == .ollama)
        #expect(model.identity.revision["ollama.digest"] == .string("845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e"))
        #expect(model.identity.revision["ollama.quantization_level"] == .string("Q4_K_M"))
        #expect(model.descriptor.digest.hasPrefix(#"remote:qwen2.5:latest {"ollama.digest":"845dbda0"#))
        #expect(server.chatBodies.first?["model"] == .string("qwen2.5:latest"))
    }

    @Test func vllmDigestIsTheModelRootAndItsContextIsMaxModelLen() async throws {
        let server = try FakeOpenAIServer(models: { _ in
            [FakeOpenAIServer.model("Qwen/Qwen2.5-7B-Instruct", ownedBy: "vllm",
                                    extra: [.init("root", .string("/models/Qwen2.5-7B-Instruct")), .init("parent", .null),
                                            .init("max_model_len", .number(32768))])]
        }, chat: { call in call.answer("ok") })

        let model = try await RemoteModel.open(server.configuration(model: "Qwen/Qwen2.5-7B-Instruct"))

        #expect(model.identity.server == .vllm)
        #expect(model.dialect == .vllm)
        #expect(model.descriptor.digest == #"remote:Qwen/Qwen2.5-7B-Instruct {"vllm.root":"/models/Qwen2.5-7B-Instruct"}"#)
        #expect(model.descriptor.contextLength == 32768)
        #expect(server.requests(to: "/api/tags").isEmpty)
    }

    @Test func lmStudioIsRecognisedByItsModelEndpoint() async throws {
        let server = try FakeOpenAIServer(models: { _ in [FakeOpenAIServer.model("lmstudio-community/qwen2.5-7b-instruct")] }, routes: { request in
            guard request.path == "/api/v0/models/lmstudio-community%2Fqwen2.5-7b-instruct" else { return nil }
            return .respond(.json(.object([
                .init("id", .string("lmstudio-community/qwen2.5-7b-instruct")), .init("type", .string("llm")),
                .init("publisher", .string("lmstudio-community")), .init("arch", .string("qwen2")),
                .init("compatibility_type", .string("gguf")), .init("quantization", .string("Q4_K_M")),
                .init("state", .string("loaded")), .init("max_context_length", .number(32768)),
            ])))
        }, chat: { call in call.answer("ok") })

        let model = try await RemoteModel.open(server.configuration(model: "lmstudio-community/qwen2.5-7b-instruct"))

        #expect(model.identity.server == .lmStudio)
        #expect(model.dialect == .lmStudio)
        #expect(model.identity.revision == [
            "lmstudio.publisher": .string("lmstudio-community"), "lmstudio.arch": .string("qwen2"),
            "lmstudio.compatibility_type": .string("gguf"), "lmstudio.quantization": .string("Q4_K_M"),
        ])
        #expect(model.descriptor.contextLength == 32768)
    }

    @Test func unknownServerDigestIsTheModelNameAlone() async throws {
        let server = try FakeOpenAIServer { call in call.answer("ok") }

        let model = try await RemoteModel.open(server.configuration())

        #expect(model.identity.server == .unknown)
        #expect(model.dialect == .openAI)
        #expect(model.descriptor.digest == "remote:test-model")
        #expect(model.descriptor.contextLength == RemoteModel.defaultContextLength)
    }

    @Test func modelTheServerDoesNotServeIsUnavailableWithTheServedList() async throws {
        let server = try FakeOpenAIServer(models: { _ in [FakeOpenAIServer.model("alpha"), FakeOpenAIServer.model("beta")] }, chat: { _ in .hang })

        let error = await modelError { try await RemoteModel.open(server.configuration(model: "gamma")) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("does not serve model 'gamma'; it serves: alpha, beta") == true)
    }

    @Test func baseURLWithoutTheAPIPathIsUnavailableWithAHint() async throws {
        let server = try FakeOpenAIServer { _ in .hang }
        let configuration = RemoteModelConfiguration(baseURL: server.http.url, model: "test-model")

        let error = await modelError { try await RemoteModel.open(configuration) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("usually ends in /v1") == true)
    }

    @Test func missingKeyVariableIsUnavailableBeforeAnyRequest() async throws {
        let server = try FakeOpenAIServer { _ in .hang }
        var configuration = server.configuration()
        configuration.apiKeyVariable = "TEST_REMOTE_ABSENT_KEY"

        let error = await modelError { try await RemoteModel.open(configuration, environment: [:]) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("$TEST_REMOTE_ABSENT_KEY is not set") == true)
        #expect(server.http.requests.isEmpty)
    }

    @Test func keyRefusedWhenOpeningIsUnavailableAndNotEchoed() async throws {
        let server = try FakeOpenAIServer(routes: { _ in
            .respond(.json(FakeOpenAIServer.error("Incorrect API key provided: sk-live-abc"), status: 401))
        }, chat: { _ in .hang })
        var configuration = server.configuration()
        configuration.apiKeyVariable = "TEST_REMOTE_KEY"

        let error = await modelError { try await RemoteModel.open(configuration, environment: ["TEST_REMOTE_KEY": "sk-live-abc"]) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("HTTP 401") == true)
        #expect(error?.message.contains("sk-live-abc") == false)
    }

    @Test func unreachableServerIsUnavailableAfterRetries() async throws {
        let server = try FakeOpenAIServer { _ in .hang }
        let configuration = server.configuration(retries: 2)
        server.http.stop()
        try await Task.sleep(for: .milliseconds(50))
        let log = SleepLog()

        let error = await modelError { try await RemoteModel.open(configuration, log: log) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("connection refused") == true)
        #expect(error?.message.contains("3 attempts") == true)
        #expect(log.waits.count == 2)
    }
}

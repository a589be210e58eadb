import DeskTesting
import Foundation
import LanguageModel
import RemoteLM
import Testing

/// `--model` specs: the three forms, their options, and the messages for what is wrong.
@Suite struct ModelSpecTests {
    @Test func embeddedNameIsTheDefaultModel() throws {
        #expect(try ModelSpec(parsing: "smollm2") == .embedded(.smollm2))
        #expect(try ModelSpec(parsing: " SmolLM2 ") == .embedded(.smollm2))
        #expect(ModelSpec.default == .embedded(.smollm2))
        #expect(ModelSpec.default.description == "smollm2")
    }

    @Test func ggufPathIsALocalFile() throws {
        #expect(try ModelSpec(parsing: "models/qwen2.5-0.5b-instruct-q4_k_m.gguf") == .file(path: "models/qwen2.5-0.5b-instruct-q4_k_m.gguf"))
        #expect(try ModelSpec(parsing: "/abs/Model.GGUF") == .file(path: "/abs/Model.GGUF"))
        #expect(try ModelSpec(parsing: "tiny.gguf").description == "tiny.gguf")
    }

    @Test func openAISpecNamesTheServerAndTheModel() throws {
        let spec = try ModelSpec(parsing: "openai:http://127.0.0.1:8080/v1#qwen2.5-7b-instruct")
        guard case let .remote(remote) = spec else { Issue.record("not remote: \(spec)"); return }
        #expect(remote.baseURL.absoluteString == "http://127.0.0.1:8080/v1")
        #expect(remote.model == "qwen2.5-7b-instruct")
        #expect(remote.apiKeyVariable == nil)
        #expect(spec.description == "openai:http://127.0.0.1:8080/v1#qwen2.5-7b-instruct")
    }

    @Test func modelNamesKeepTheirColonsAndSlashes() throws {
        #expect(try RemoteModelSpec(parsing: "openai:http://127.0.0.1:11434/v1#qwen2.5:7b").model == "qwen2.5:7b")
        #expect(try RemoteModelSpec(parsing: "openai:http://gpu:8000/v1/#Qwen/Qwen2.5-7B-Instruct").model == "Qwen/Qwen2.5-7B-Instruct")
        #expect(try RemoteModelSpec(parsing: "openai:http://gpu:8000/v1/#m").baseURL.absoluteString == "http://gpu:8000/v1")
    }

    @Test func optionsGoInTheQueryAndPrintBackCanonically() throws {
        let spec = try RemoteModelSpec(parsing:
            "openai:https://api.example.com/v1?timeout=30&key_env=EXAMPLE_API_KEY&retries=5&repairs=1&stream=false&response_format=off&dialect=vllm&context=32768#big-model")
        #expect(spec.baseURL.absoluteString == "https://api.example.com/v1")
        #expect(spec.apiKeyVariable == "EXAMPLE_API_KEY")
        #expect(spec.timeout == 30)
        #expect(spec.maxRetries == 5)
        #expect(spec.maxRepairs == 1)
        #expect(spec.streaming == false)
        #expect(spec.structuredOutput == .off)
        #expect(spec.dialect == .vllm)
        #expect(spec.contextLength == 32768)
        #expect(spec.description
            == "openai:https://api.example.com/v1?key_env=EXAMPLE_API_KEY&timeout=30&retries=5&repairs=1&stream=false&response_format=off&dialect=vllm&context=32768#big-model")
        #expect(try RemoteModelSpec(parsing: spec.description) == spec)
    }

    @Test func configurationTakesTheSpecsOptionsAndKeepsDefaultsForTheRest() throws {
        let spec = try RemoteModelSpec(parsing: "openai:http://127.0.0.1:8080/v1?timeout=2.5&dialect=llama.cpp&key_env=K#m")
        let configuration = RemoteModelConfiguration(spec)
        #expect(configuration.timeout == 2.5)
        #expect(configuration.dialect == .llamaCpp)
        #expect(configuration.apiKeyVariable == "K")
        #expect(configuration.maxRetries == RemoteModelConfiguration(baseURL: spec.baseURL, model: "m").maxRetries)
        #expect(configuration.name == "openai:http://127.0.0.1:8080/v1#m")
    }

    @Test(arguments: [
        ("", "no model given"),
        ("http://127.0.0.1:8080/v1", "a bare URL"),
        ("ollama:llama3.2", "unknown model kind 'ollama:'"),
        ("models/model.bin", "must be a .gguf file"),
        ("gpt-4o", "unknown embedded model 'gpt-4o' (embedded: smollm2)"),
        ("openai:http://127.0.0.1:8080/v1", "no model name after '#'"),
        ("openai:http://127.0.0.1:8080/v1#", "the model name after '#' is empty"),
        ("openai:ftp://host/v1#m", "is not an http(s) URL"),
        ("openai:127.0.0.1:8080#m", "is not an http(s) URL"),
        ("openai:http://h/v1?temperature=1#m", "unknown option 'temperature'"),
        ("openai:http://h/v1?timeout=soon#m", "'soon' is not a number"),
        ("openai:http://h/v1?timeout=0#m", "'0' is not a number"),
        ("openai:http://h/v1?retries=99#m", "'99' is not a whole number in 0 … 10"),
        ("openai:http://h/v1?key_env=sk-abc123#m", "is not an environment variable name"),
        ("openai:http://h/v1?stream=maybe#m", "'maybe' is not true or false"),
        ("openai:http://h/v1?dialect=tgi#m", "'tgi' is not a known server dialect"),
        ("openai:http://h/v1?response_format=json#m", "'json' is not a response_format mode"),
        ("openai:http://h/v1?timeout=1&timeout=2#m", "option given twice"),
    ])
    func badSpecsSayWhatIsWrongAndWhatToWrite(text: String, problem: String) {
        do {
            let spec = try ModelSpec(parsing: text)
            Issue.record("'\(text)' parsed as \(spec)")
        } catch let error as ModelSpecError {
            #expect(error.description.contains(problem), "\(error)")
            #expect(!error.remedy.isEmpty)
            #expect(error.description.hasPrefix("model '\(text)': "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func parsedSpecOpensTheModelItNames() async throws {
        let server = try FakeOpenAIServer { call in call.answer("from spec") }
        guard case let .remote(spec) = try ModelSpec(parsing: "openai:\(server.baseURL.absoluteString)?key_env=SPEC_KEY&stream=false#test-model") else {
            Issue.record("not remote"); return
        }

        let model = try await RemoteModel.connect(spec, environment: ["SPEC_KEY": "k-1"])
        let completion = try await model.complete(ModelRequest(messages: [.user("Hi")]))

        #expect(completion.text == "from spec")
        #expect(model.configuration.streaming == false)
        #expect(server.chatRequests.first?.header("Authorization") == "Bearer k-1")
    }

    @Test func keyVariableIsNamedNeverExpanded() throws {
        let spec = try ModelSpec(parsing: "openai:https://api.openai.com/v1?key_env=OPENAI_API_KEY#gpt-4o-mini")
        #expect(spec.description.contains("key_env=OPENAI_API_KEY"))
    }
}

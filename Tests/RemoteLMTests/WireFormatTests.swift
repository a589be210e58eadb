import DeskTesting
import Foundation
import LanguageModel
@testable import RemoteLM
import Testing

/// The pieces of the wire format that need no server: events, retry hints, backoff, sampling fields.
@Suite struct WireFormatTests {
    @Test func serverSentEventsSplitAcrossReadsAndLineEndings() {
        var parser = ServerSentEvents()
        var events: [String] = []
        events += parser.feed(Data(": keep-alive\r\n\r\nda".utf8))
        events += parser.feed(Data("ta: {\"a\":1}\r".utf8))
        events += parser.feed(Data("\n\r\ndata: line one\ndata: line two\n\nevent: ping\nid: 7\n\ndata:[DONE]".utf8))
        events += parser.finish()
        #expect(events == ["{\"a\":1}", "line one\nline two", "[DONE]"])
    }

    @Test func retryAfterReadsSecondsMillisecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.seconds(in: ["retry-after": "3"], now: now) == 3)
        #expect(RetryAfter.seconds(in: ["retry-after": "1.5"], now: now) == 1.5)
        #expect(RetryAfter.seconds(in: ["retry-after-ms": "250", "retry-after": "9"], now: now) == 0.25)
        #expect(RetryAfter.seconds(in: ["retry-after": "Tue, 14 Nov 2023 22:13:40 GMT"], now: now) == 20)
        #expect(RetryAfter.seconds(in: ["retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"], now: now) == 0)
        #expect(RetryAfter.seconds(in: ["retry-after": "whenever"], now: now) == nil)
        #expect(RetryAfter.seconds(in: [:], now: now) == nil)
    }

    @Test func backoffDoublesUpToItsCeilingWithJitterInTheUpperHalf() {
        let backoff = Backoff(initial: 0.5, multiplier: 2, maximum: 4)
        for seed: UInt64 in [0, 1, 42, .max] {
            for (retry, ceiling) in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)] {
                let delay = backoff.delay(retry: retry, seed: seed)
                #expect(delay >= ceiling / 2 && delay < ceiling, "retry \(retry) seed \(seed): \(delay)")
                #expect(backoff.delay(retry: retry, seed: seed) == delay, "same request, same wait")
            }
        }
        let spread = Set((0..<32).map { backoff.delay(retry: 2, seed: UInt64($0)) })
        #expect(spread.count > 16, "different requests wait differently")
    }

    @Test func seedsFitEveryServersIntegerType() {
        for seed: UInt64 in [0, 1, 0xFFFF_FFFF, 0x1_0000_0000, .max, 0x8000_0000_0000_0000] {
            let wire = ChatWire.wireSeed(seed)
            #expect(wire >= 0 && wire < 1 << 31)
        }
        #expect(ChatWire.wireSeed(7) == 7)
        #expect(ChatWire.wireSeed(1 << 40) != ChatWire.wireSeed(2 << 40))
    }

    @Test func llamaCppGetsEverySamplerSetExplicitly() throws {
        let fields = JSONValue.object(try ChatWire.samplingFields(SamplingSettings(maxTokens: 64, seed: 3), dialect: .llamaCpp))
        #expect(fields["top_k"] == .number(0))
        #expect(fields["min_p"] == .number(0))
        #expect(fields["repeat_penalty"] == .number(1))
        #expect(fields["repeat_last_n"] == .number(64))
        #expect(fields["max_tokens"] == .number(64))
        #expect(fields["seed"] == .number(3))
        #expect(fields["stop"] == nil)
        #expect(fields["ignore_eos"] == nil)
    }

    @Test func vllmDisablesTopKWithMinusOneAndNamesItsPenalty() throws {
        let sampling = SamplingSettings(temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1, stop: ["\n\n"], ignoreEndOfSequence: true)
        let fields = JSONValue.object(try ChatWire.samplingFields(sampling, dialect: .vllm))
        #expect(fields["top_k"] == .number(-1))
        #expect(fields["repetition_penalty"] == .number(1.1))
        #expect(fields["repeat_penalty"] == nil)
        #expect(fields["ignore_eos"] == .bool(true))
        #expect(fields["stop"] == .array([.string("\n\n")]))
        #expect(fields["temperature"] == .number(0.7))
        #expect(fields["top_p"] == .number(0.9))
    }

    @Test func samplersAServerCannotTakeAreRefusedNotDropped() {
        #expect(throws: LanguageModelError.self) { try ChatWire.samplingFields(SamplingSettings(topK: 40), dialect: .ollama) }
        #expect(throws: LanguageModelError.self) { try ChatWire.samplingFields(SamplingSettings(minP: 0.05), dialect: .lmStudio) }
        #expect(throws: LanguageModelError.self) { try ChatWire.samplingFields(SamplingSettings(repetitionPenalty: 1.1), dialect: .openAI) }
        #expect((try? ChatWire.samplingFields(SamplingSettings(topK: 40, repetitionPenalty: 1.1), dialect: .lmStudio)) != nil)
        #expect((try? ChatWire.samplingFields(SamplingSettings(), dialect: .ollama)) != nil)
    }

    @Test func refusedSamplerFailsTheCallBeforeAnyRequest() async throws {
        let server = try FakeOpenAIServer(models: { _ in [FakeOpenAIServer.model("llama3.2", ownedBy: "library")] }, routes: { request in
            request.path == "/api/tags" ? .respond(.json(.object([.init("models", .array([]))]))) : nil
        }, chat: { call in call.answer("ok") })
        let model = try await RemoteModel.open(server.configuration(model: "llama3.2"))

        let error = await modelError { try await model.complete(ask("Hi", sampling: SamplingSettings(topK: 40))) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("top_k=40") == true)
        #expect(server.chatRequests.isEmpty)
    }

    @Test func jsonIsFoundInsideFencesAndProse() {
        let schema = OutputSchema.object([.init("a", .integer(minimum: 0, maximum: 9))])
        #expect(StructuredReply.check(#"{"a": 1}"#, against: schema, finishReason: .endOfSequence, maxTokens: 9) == .valid(#"{"a": 1}"#))
        #expect(StructuredReply.check("```json\n{\"a\": 2}\n```", against: schema, finishReason: .endOfSequence, maxTokens: 9) == .valid(#"{"a": 2}"#))
        #expect(StructuredReply.check(#"Here you go: {"a": 3}. Done."#, against: schema, finishReason: .endOfSequence, maxTokens: 9) == .valid(#"{"a": 3}"#))
        guard case let .invalid(problems) = StructuredReply.check("no json here", against: schema, finishReason: .endOfSequence, maxTokens: 9) else {
            Issue.record("prose accepted"); return
        }
        #expect(problems.first?.hasPrefix("it is not JSON") == true)
    }

    @Test func errorBodiesInEachServersShapeAreRead() {
        func read(_ text: String) -> String { ChatWire.describeErrorBody(Data(text.utf8)) }
        #expect(read(#"{"error": {"message": "bad schema", "type": "invalid_request_error"}}"#) == "bad schema")
        #expect(read(#"{"error": "model 'x' not found"}"#) == "model 'x' not found")
        #expect(read(#"{"object": "error", "message": "max_tokens too large", "code": 400}"#) == "max_tokens too large")
        #expect(read(#"{"detail": "Not Found"}"#) == "Not Found")
        #expect(read("<html>Bad Gateway</html>") == "<html>Bad Gateway</html>")
        #expect(read("") == "(empty body)")
    }
}

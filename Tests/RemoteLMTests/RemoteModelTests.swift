import DeskTesting
import Foundation
import LanguageModel
@testable import RemoteLM
import Testing

/// Calls against a scripted OpenAI-compatible server speaking real HTTP on loopback.
@Suite struct RemoteModelCallTests {
    @Test func wholeAnswerCarriesTextAndTheServersUsage() async throws {
        let server = try FakeOpenAIServer { call in call.answer("Hello there", promptTokens: 12, completionTokens: 3, cachedTokens: 4) }
        var configuration = server.configuration(streaming: false)
        configuration.apiKeyVariable = "TEST_REMOTE_KEY"
        let model = try await RemoteModel.open(configuration, environment: ["TEST_REMOTE_KEY": "sk-test-123"])

        let completion = try await model.complete(ask("Say hello"))

        #expect(completion.text == "Hello there")
        #expect(completion.finishReason == .endOfSequence)
        #expect(completion.usage.promptTokens == 12)
        #expect(completion.usage.completionTokens == 3)
        #expect(completion.usage.cachedPromptTokens == 4)
        #expect(completion.usage.totalSeconds > 0)
        #expect(completion.usage.timeToFirstToken == completion.usage.totalSeconds)
        #expect(completion.modelDigest == model.descriptor.digest)
        let request = try #require(server.chatRequests.first)
        #expect(request.header("Authorization") == "Bearer sk-test-123")
        #expect(request.header("Content-Type") == "application/json")
        let body = try #require(request.json)
        #expect(body["model"] == .string("test-model"))
        #expect(body["stream"] == .bool(false))
        #expect(body["stream_options"] == nil)
        #expect(body["response_format"] == nil)
        #expect(body["messages"] == .array([
            .object([.init("role", .string("system")), .init("content", .string("You are a test."))]),
            .object([.init("role", .string("user")), .init("content", .string("Say hello"))]),
        ]))
    }

    @Test func streamedAnswerIsAssembledAndTimesItsFirstToken() async throws {
        let server = try FakeOpenAIServer { call in
            .respond(FakeOpenAIServer.stream(pieces: ["Hel", "lo, ", "world"], usage: (7, 3), pause: .milliseconds(30)))
        }
        let model = try await RemoteModel.open(server.configuration())

        let completion = try await model.complete(ask("Greet"))

        #expect(completion.text == "Hello, world")
        #expect(completion.usage.promptTokens == 7)
        #expect(completion.usage.completionTokens == 3)
        #expect(completion.usage.timeToFirstToken > 0)
        #expect(completion.usage.timeToFirstToken < completion.usage.totalSeconds)
        let body = try #require(server.chatBodies.first)
        #expect(body["stream"] == .bool(true))
        #expect(body["stream_options"]?["include_usage"] == .bool(true))
        #expect(server.chatRequests.first?.header("Accept") == "text/event-stream")
    }

    @Test func streamWithoutUsageCountsTheStreamedPieces() async throws {
        let server = try FakeOpenAIServer { _ in .respond(FakeOpenAIServer.stream(pieces: ["a", "b", "c", "d"], usage: nil)) }
        let model = try await RemoteModel.open(server.configuration())

        let completion = try await model.complete(ask("Letters"))

        #expect(completion.text == "abcd")
        #expect(completion.usage.completionTokens == 4)
        #expect(completion.usage.promptTokens == 0)
    }

    @Test func lengthFinishIsReportedAsMaxTokens() async throws {
        let server = try FakeOpenAIServer { call in call.answer("cut sho", finishReason: "length") }
        let model = try await RemoteModel.open(server.configuration())

        let completion = try await model.complete(ask("Talk"))

        #expect(completion.finishReason == .maxTokens)
    }

    @Test func toolMessagesAreSentAsMarkedUserMessages() async throws {
        let server = try FakeOpenAIServer { call in call.answer("ok") }
        let model = try await RemoteModel.open(server.configuration())

        _ = try await model.complete(ModelRequest(messages: [.user("Price?"), ChatMessage(.tool, "{\"close\": 10}")]))

        let messages = try #require(server.chatBodies.first?["messages"]?.arrayValue)
        #expect(messages.last == .object([.init("role", .string("user")), .init("content", .string("Tool result:\n{\"close\": 10}"))]))
    }

    // MARK: Structured output

    @Test func schemaIsSentAsStrictJSONSchemaResponseFormat() async throws {
        let server = try FakeOpenAIServer { call in
            call.responseFormat == nil ? call.answer("no format") : call.answer(#"{"action": "buy", "weight": 0.25}"#)
        }
        let model = try await RemoteModel.open(server.configuration())

        let completion = try await model.complete(ask("Decide", schema: decisionSchema))

        #expect(completion.text == #"{"action": "buy", "weight": 0.25}"#)
        #expect(server.chatRequests.count == 1)
        #expect(server.chatBodies.first?["response_format"] == .object([
            .init("type", .string("json_schema")),
            .init("json_schema", .object([.init("name", .string("desk_output")), .init("schema", decisionSchema.jsonSchema),
                                          .init("strict", .bool(true))])),
        ]))
    }

    @Test func serverWithoutResponseFormatGetsTheSchemaInThePromptAndRepairsUntilTheLimit() async throws {
        let server = try FakeOpenAIServer { call in
            if call.responseFormat != nil { return .respond(.json(FakeOpenAIServer.error("response_format is not supported"), status: 400)) }
            return call.answer(#"{"action": "hold", "weight": 0.5}"#)
        }
        var configuration = server.configuration()
        configuration.maxRepairs = 2
        let model = try await RemoteModel.open(configuration)

        let error = await modelError { try await model.complete(ask("Decide", schema: decisionSchema)) }

        #expect(error?.kind == .invalidOutput)
        #expect(error?.message.contains("'hold' is not one of buy, sell") == true)
        #expect(error?.message.contains("after 2 repair requests") == true)
        let bodies = server.chatBodies
        #expect(bodies.count == 5)
        #expect(bodies[0]["response_format"]?["type"] == .string("json_schema"))
        #expect(bodies[1]["response_format"]?["type"] == .string("json_object"))
        #expect(bodies[2...].allSatisfy { $0["response_format"] == nil })
        let system = bodies[2]["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        #expect(system.hasPrefix("You are a test.\n\nReply with one JSON object"))
        #expect(system.contains(decisionSchema.jsonSchema.compactText))
        let repair = bodies[3]["messages"]?.arrayValue ?? []
        #expect(repair.count == 4)
        #expect(repair[2] == .object([.init("role", .string("assistant")), .init("content", .string(#"{"action": "hold", "weight": 0.5}"#))]))
        #expect(repair[3]["content"]?.stringValue?.contains("$.action: 'hold' is not one of buy, sell") == true)

        _ = await modelError { try await model.complete(ask("Decide again", schema: decisionSchema)) }
        #expect(server.chatBodies[5]["response_format"] == nil, "a server that rejected response_format is not sent it again")
    }

    @Test func serverTakingOnlyJSONObjectGetsTheSchemaThatWayWithoutRetries() async throws {
        // llama-cpp-python's server answers the json_schema type with HTTP 500 and takes {"type": "json_object", "schema": …}.
        let server = try FakeOpenAIServer { call in
            call.responseFormat?["type"] == .string("json_schema")
                ? .respond(.json(FakeOpenAIServer.error("('body', 'response_format', 'type'): Input should be 'text' or 'json_object'"), status: 500))
                : call.answer(#"{"action": "sell", "weight": 1}"#)
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(), log: log)

        let completion = try await model.complete(ask("Decide", schema: decisionSchema))
        _ = try await model.complete(ask("Decide again", schema: decisionSchema))

        #expect(completion.text == #"{"action": "sell", "weight": 1}"#)
        #expect(log.waits.isEmpty, "a rejection is not retried")
        let bodies = server.chatBodies
        #expect(bodies.count == 3)
        #expect(bodies[1]["response_format"] == .object([.init("type", .string("json_object")), .init("schema", decisionSchema.jsonSchema)]))
        #expect(bodies[1]["messages"]?.arrayValue?.first?["content"]?.stringValue?.contains(decisionSchema.jsonSchema.compactText) == true)
        #expect(bodies[2]["response_format"]?["type"] == .string("json_object"), "the form that worked is the one used next")
    }

    @Test func invalidReplyIsRepairedWithTheProblemsFedBack() async throws {
        let server = try FakeOpenAIServer { call in
            call.number == 0
                ? call.answer("Sure! ```json\n{\"action\": \"buy\", \"weight\": 3}\n```", promptTokens: 20, completionTokens: 9)
                : call.answer("```json\n{\"action\": \"sell\", \"weight\": 0.5}\n```", promptTokens: 40, completionTokens: 8)
        }
        let model = try await RemoteModel.open(server.configuration())

        let completion = try await model.complete(ask("Decide", schema: decisionSchema))

        #expect(completion.text == #"{"action": "sell", "weight": 0.5}"#)
        #expect(completion.usage.promptTokens == 60)
        #expect(completion.usage.completionTokens == 17)
        let feedback = server.chatBodies[1]["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(feedback.contains("$.weight: 3 is above the maximum 1"))
    }

    @Test func replyCutOffAtTheTokenLimitSaysSoInTheRepair() async throws {
        let server = try FakeOpenAIServer { call in
            call.number == 0 ? call.answer(#"{"action": "bu"#, finishReason: "length") : call.answer(#"{"action":"buy","weight":1}"#)
        }
        let model = try await RemoteModel.open(server.configuration())

        _ = try await model.complete(ask("Decide", schema: decisionSchema, sampling: SamplingSettings(maxTokens: 5)))

        let feedback = server.chatBodies[1]["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(feedback.contains("cut off at the 5-token limit"))
    }

    @Test func promptOnlyModeNeverSendsResponseFormat() async throws {
        let server = try FakeOpenAIServer { call in call.answer(#"{"action":"buy","weight":0}"#) }
        var configuration = server.configuration()
        configuration.structuredOutput = .off
        let model = try await RemoteModel.open(configuration)

        _ = try await model.complete(ask("Decide", schema: decisionSchema))

        #expect(server.chatBodies.first?["response_format"] == nil)
    }

    @Test func jsonSchemaModeReportsARejectionInsteadOfFallingBack() async throws {
        let server = try FakeOpenAIServer { _ in .respond(.json(FakeOpenAIServer.error("unknown field response_format"), status: 422)) }
        var configuration = server.configuration()
        configuration.structuredOutput = .jsonSchema
        let model = try await RemoteModel.open(configuration)

        let error = await modelError { try await model.complete(ask("Decide", schema: decisionSchema)) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("HTTP 422") == true)
        #expect(error?.message.contains("unknown field response_format") == true)
        #expect(error?.message.contains("response_format=auto or off") == true)
        #expect(server.chatRequests.count == 1)
    }

    // MARK: Retries

    @Test func serverErrorsAreRetriedWithDeterministicBackoff() async throws {
        let server = try FakeOpenAIServer { call in
            call.number < 2 ? .respond(.json(FakeOpenAIServer.error("overloaded"), status: 500)) : call.answer("finally")
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(), log: log)
        let request = ask("Try")

        let completion = try await model.complete(request)

        #expect(completion.text == "finally")
        #expect(server.chatRequests.count == 3)
        let seed = stableHash(request.cacheKey(modelDigest: model.descriptor.digest))
        let backoff = model.configuration.backoff
        #expect(log.waits == [backoff.delay(retry: 0, seed: seed), backoff.delay(retry: 1, seed: seed)])
        #expect(log.waits[0] >= 0.25 && log.waits[0] < 0.5)
        #expect(log.waits[1] >= 0.5 && log.waits[1] < 1)
    }

    @Test func exhaustedRetriesReportTheStatusAndTheServersMessage() async throws {
        let server = try FakeOpenAIServer { _ in .respond(.json(FakeOpenAIServer.error("Loading model"), status: 503)) }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(retries: 2), log: log)

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .transport)
        #expect(error?.message.contains("HTTP 503") == true)
        #expect(error?.message.contains("Loading model") == true)
        #expect(error?.message.contains("3 attempts") == true)
        #expect(log.waits.count == 2)
        #expect(server.chatRequests.count == 3)
    }

    @Test func tooManyRequestsWaitsAsLongAsRetryAfterSays() async throws {
        let server = try FakeOpenAIServer { call in
            call.number == 0
                ? .respond(.json(FakeOpenAIServer.error("rate limited"), status: 429, headers: [.init("Retry-After", "2")]))
                : call.answer("served")
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(timeout: 30), log: log)

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "served")
        #expect(log.waits == [2])
    }

    @Test func retryAfterLongerThanTheClientWaitsFailsAtOnce() async throws {
        let server = try FakeOpenAIServer { _ in
            .respond(.json(FakeOpenAIServer.error("come back later"), status: 429, headers: [.init("Retry-After", "120")]))
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(timeout: 300), log: log)

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .transport)
        #expect(error?.message.contains("HTTP 429") == true)
        #expect(error?.message.contains("asks to retry after 120 s") == true)
        #expect(log.waits.isEmpty)
        #expect(server.chatRequests.count == 1)
    }

    @Test func retryThatWouldOutliveTheTimeoutIsNotAttempted() async throws {
        let server = try FakeOpenAIServer { _ in
            .respond(.json(FakeOpenAIServer.error("busy"), status: 503, headers: [.init("Retry-After", "30")]))
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(timeout: 5), log: log)

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .transport)
        #expect(error?.message.contains("would pass the call's 5 s timeout") == true)
        #expect(log.waits.isEmpty)
    }

    @Test func malformedBodiesAreRetriedThenReported() async throws {
        let server = try FakeOpenAIServer { _ in .respond(.text("{\"choices\": [", contentType: "application/json")) }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(streaming: false, retries: 2), log: log)

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .transport)
        #expect(error?.message.contains("malformed answer after 3 attempts") == true)
        #expect(error?.message.contains("not JSON") == true)
        #expect(server.chatRequests.count == 3)
    }

    @Test func malformedBodyThenAGoodOneSucceeds() async throws {
        let server = try FakeOpenAIServer { call in
            call.number == 0 ? .respond(.json(.object([.init("unexpected", .bool(true))]))) : call.answer("good")
        }
        let model = try await RemoteModel.open(server.configuration(streaming: false))

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "good")
        #expect(server.chatRequests.count == 2)
    }

    @Test func connectionDroppedBeforeAnsweringIsRetried() async throws {
        let server = try FakeOpenAIServer { call in call.number == 0 ? .closeConnection : call.answer("second time") }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(), log: log)

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "second time")
        #expect(server.chatRequests.count == 2)
        #expect(log.waits.count == 1)
        #expect(server.http.requests.allSatisfy { $0.indexOnConnection == 0 }, "every request has a fresh connection")
    }

    @Test func serverClosingIdleConnectionsDoesNotDisturbLaterCalls() async throws {
        let server = try FakeOpenAIServer { call in
            var response = Response.json(FakeOpenAIServer.completion("answer \(call.number)"))
            response.closesSilently = true
            return .respond(response)
        }
        let model = try await RemoteModel.open(server.configuration(timeout: 5, streaming: false))

        for number in 0..<3 {
            #expect(try await model.complete(ask("Again")).text == "answer \(number)")
        }
    }

    @Test func bodyCutShortIsRetried() async throws {
        let server = try FakeOpenAIServer { call in
            guard call.number == 0 else { return call.answer("whole") }
            let full = FakeOpenAIServer.completion("whole").compactText
            return .respond(Response(status: 200, headers: [.init("Content-Type", "application/json")],
                                     parts: [.text(String(full.prefix(30))), .disconnect, .text(String(full.dropFirst(30)))]))
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(streaming: false), log: log)

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "whole")
        #expect(log.waits.count == 1)
    }

    @Test func streamCutShortIsRetried() async throws {
        let server = try FakeOpenAIServer { call in
            guard call.number == 0 else { return call.answer("complete answer") }
            var response = FakeOpenAIServer.stream(pieces: ["complete", " answer"])
            response.parts = Array(response.parts.prefix(2)) + [.disconnect]
            return .respond(response)
        }
        let log = SleepLog()
        let model = try await RemoteModel.open(server.configuration(), log: log)

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "complete answer")
        #expect(log.waits.count == 1)
    }

    @Test func errorInsideAStreamIsRetriedAndReported() async throws {
        let server = try FakeOpenAIServer { _ in
            .respond(.events([#"{"error": {"message": "slot unavailable", "code": 503}}"#]))
        }
        let model = try await RemoteModel.open(server.configuration(retries: 1))

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .transport)
        #expect(error?.message.contains("slot unavailable") == true)
        #expect(server.chatRequests.count == 2)
    }

    @Test func attemptThatHangsIsAbandonedAndRetried() async throws {
        let server = try FakeOpenAIServer { call in call.number == 0 ? .hang : call.answer("on the second try") }
        var configuration = server.configuration(timeout: 20)
        configuration.attemptTimeout = 1
        let log = SleepLog()
        let model = try await RemoteModel.open(configuration, log: log)

        let completion = try await model.complete(ask("Try"))

        #expect(completion.text == "on the second try")
        #expect(log.waits.count == 1)
    }

    // MARK: Timeouts and cancellation

    @Test func serverThatNeverAnswersTimesOut() async throws {
        let server = try FakeOpenAIServer { _ in .hang }
        let model = try await RemoteModel.open(server.configuration(timeout: 0.4))

        let error = await modelError { try await model.complete(ask("Anyone?")) }

        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("within 0.4 s") == true)
        #expect(await server.http.eventually { $0.clientDisconnects >= 1 }, "the abandoned request's connection is closed")
    }

    @Test func streamThatStallsBeyondTheTimeoutTimesOut() async throws {
        let server = try FakeOpenAIServer { _ in
            var response = FakeOpenAIServer.stream(pieces: ["first", " second"])
            response.parts.insert(.pause(.seconds(30)), at: 2)
            return .respond(response)
        }
        let model = try await RemoteModel.open(server.configuration(timeout: 0.5))

        let error = await modelError { try await model.complete(ask("Slowly")) }

        #expect(error?.kind == .timeout)
    }

    @Test func slowAnswerWithinTheTimeoutSucceeds() async throws {
        let server = try FakeOpenAIServer { call in call.answer("took a while", pause: .milliseconds(40), headDelay: .milliseconds(150)) }
        let model = try await RemoteModel.open(server.configuration(timeout: 10))

        let completion = try await model.complete(ask("Slowly"))

        #expect(completion.text == "took a while")
        #expect(completion.usage.timeToFirstToken >= 0.15)
    }

    @Test func cancellingTheTaskCancelsTheHTTPRequest() async throws {
        let server = try FakeOpenAIServer { _ in .hang }
        let model = try await RemoteModel.open(server.configuration(timeout: 60))

        let call = Task { try await model.complete(ask("Wait")) }
        #expect(await server.http.eventually { _ in server.chatRequests.count == 1 })
        call.cancel()
        let result = await call.result

        guard case let .failure(error) = result else { Issue.record("the call finished"); return }
        #expect((error as? LanguageModelError)?.kind == .cancelled)
        #expect(await server.http.eventually { $0.clientDisconnects >= 1 }, "the server sees the connection closed")
    }

    // MARK: Concurrency

    @Test func concurrentCallsFromManyTasksAndModelsEachGetTheirOwnAnswer() async throws {
        let server = try FakeOpenAIServer { call in call.answer("echo:" + call.lastUserContent, headDelay: .milliseconds(40)) }
        let first = try await RemoteModel.open(server.configuration())
        let second = try await RemoteModel.open(server.configuration(streaming: false))

        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<16 {
                let model = index.isMultiple(of: 2) ? first : second
                group.addTask { (index, try await model.complete(ask("question \(index)")).text) }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }

        #expect(answers.count == 16)
        for (index, text) in answers { #expect(text == "echo:question \(index)") }
        #expect(server.http.peakConcurrentRequests >= 2)
    }

    // MARK: Failures the caller should see clearly

    @Test func missingEndpointIsUnavailableWithAHint() async throws {
        let server = try FakeOpenAIServer(routes: { request in
            request.path == "/v1/chat/completions" ? .respond(.json(FakeOpenAIServer.error("File Not Found"), status: 404)) : nil
        }, chat: { _ in .hang })
        let model = try await RemoteModel.open(server.configuration())

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("HTTP 404") == true)
        #expect(error?.message.contains("ending in /v1") == true)
    }

    @Test func promptTooLongIsAContextOverflow() async throws {
        let server = try FakeOpenAIServer { _ in
            .respond(.json(FakeOpenAIServer.error("the request exceeds the available context size (4096 tokens)"), status: 400))
        }
        let model = try await RemoteModel.open(server.configuration())

        let error = await modelError { try await model.complete(ask("Very long")) }

        #expect(error?.kind == .contextOverflow)
        #expect(server.chatRequests.count == 1)
    }

    @Test func refusedKeyIsReportedWithoutTheKey() async throws {
        let server = try FakeOpenAIServer { _ in
            .respond(.json(FakeOpenAIServer.error("Incorrect API key provided: sk-secret-999"), status: 401))
        }
        var configuration = server.configuration()
        configuration.apiKeyVariable = "TEST_REMOTE_KEY"
        let model = try await RemoteModel.open(configuration, environment: ["TEST_REMOTE_KEY": "sk-secret-999"])

        let error = await modelError { try await model.complete(ask("Try")) }

        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("HTTP 401") == true)
        #expect(error?.message.contains("$TEST_REMOTE_KEY") == true)
        #expect(error?.message.contains("sk-secret-999") == false)
        #expect(!"\(model.configuration)".contains("sk-secret-999"))
        #expect(!model.descriptor.name.contains("sk-secret-999"))
    }
}

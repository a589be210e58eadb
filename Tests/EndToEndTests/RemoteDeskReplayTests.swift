import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

/// `desk replay` with an agent desk thinking through a real HTTP server on loopback that speaks
/// the OpenAI chat-completions protocol and answers each role as ``ReadingModel`` would.
@Suite(.serialized) struct RemoteDeskReplayTests {
    static func server() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("GET", "/v1/models"):
                let model = JSONValue.object([.init("id", .string("reading")), .init("object", .string("model")), .init("owned_by", .string("tests"))])
                return .respond(.json(.object([.init("object", .string("list")), .init("data", .array([model]))])))
            case ("POST", "/v1/chat/completions"):
                let messages = (request.json?["messages"]?.arrayValue ?? []).compactMap { message -> ChatMessage? in
                    guard let role = message["role"]?.stringValue.flatMap(ChatMessage.Role.init(rawValue:)),
                          let content = message["content"]?.stringValue else { return nil }
                    return ChatMessage(role, content)
                }
                guard case let .text(text) = ReadingModel.answer(ModelRequest(messages: messages)) else {
                    return .respond(.json(.object([.init("error", .string("no script for this role"))]), status: 400))
                }
                let completion = JSONValue.object([
                    .init("id", .string("chatcmpl-1")), .init("object", .string("chat.completion")), .init("created", .number(1_700_000_000)),
                    .init("model", .string("reading")),
                    .init("choices", .array([.object([
                        .init("index", .number(0)),
                        .init("message", .object([.init("role", .string("assistant")), .init("content", .string(text))])),
                        .init("finish_reason", .string("stop")),
                    ])])),
                    .init("usage", .object([.init("prompt_tokens", .number(300)), .init("completion_tokens", .number(40)), .init("total_tokens", .number(340))])),
                ])
                return .respond(.json(completion))
            default:
                return .respond(.json(.object([.init("error", .string("no route"))]), status: 404))
            }
        }
    }

    /// covid-crash-2020 cut to two weeks of March 2020, in a temporary folder.
    static func shortScenario(in folder: URL) throws -> String {
        let source = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("scenarios/covid-crash-2020.yaml"), encoding: .utf8)
        let data = Fixtures.packageRoot.appendingPathComponent("scenarios/data").path
        let short = source.replacingOccurrences(of: "start: 2020-02-03", with: "start: 2020-03-09")
            .replacingOccurrences(of: "end: 2020-06-30", with: "end: 2020-03-20")
            .replacingOccurrences(of: "data/covid-crash-2020/", with: "\(data)/covid-crash-2020/")
        let file = folder.appendingPathComponent("covid-two-weeks.yaml")
        try short.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func theDefaultDeskReplaysThroughARemoteModelAndAgainFromTheCallCache() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remote-desk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = try Self.shortScenario(in: folder)
        let journalPath = folder.appendingPathComponent("j.sqlite").path
        let model = "openai:http://127.0.0.1:\(server.port)/v1?stream=false&response_format=off#reading"
        let arguments = ["replay", scenario, "--desk", "default", "--model", model, "--journal", journalPath, "--json"]

        let first = try await DeskProcess.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try JSONValue(parsing: first.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let agents = try #require(summary["agents"])
        let calls = try #require(agents["model_calls"]?.numberValue)
        #expect(calls >= 3 * 9)  // three or four roles on each of the 9 decision days
        #expect(agents["cache_hits"] == .number(0))
        #expect(agents["completion_tokens"] == .number(calls * 40))
        #expect(agents["model"] == .string("openai:http://127.0.0.1:\(server.port)/v1#reading"))
        let served = server.requests.filter { $0.path == "/v1/chat/completions" }.count
        #expect(Double(served) == calls)

        let journal = try SQLiteJournal(path: journalPath)
        let run = RunID(Int64(try #require(summary["run"]?.numberValue)))
        let roles = Set(try journal.decisionRows(of: run).map(\.role))
        #expect(roles.isSuperset(of: ["news_analyst", "technical_analyst", "portfolio_manager"]))
        #expect(try journal.decisionRows(of: run).allSatisfy { !$0.isFallback })
        #expect(!(try journal.fills(of: run)).isEmpty)

        // Again: every call comes from the journal's call cache; the server is not asked, and the run is the same.
        let second = try await DeskProcess.run(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        let again = try JSONValue(parsing: second.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(again["agents"]?["cache_hits"] == .number(calls))
        #expect(server.requests.filter { $0.path == "/v1/chat/completions" }.count == served)
        #expect(again["final_value"] == summary["final_value"])
        let rerun = RunID(Int64(try #require(again["run"]?.numberValue)))
        #expect(try journal.fills(of: rerun) == journal.fills(of: run))
    }

    @Test func aReplayFromACopiedJournalsCacheMakesNoCallAndReproducesTheRunAndBudgetsStopItResumably() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remote-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = try Self.shortScenario(in: folder)
        let model = "openai:http://127.0.0.1:\(server.port)/v1?stream=false&response_format=off#reading"
        func replay(_ journal: String, _ extra: [String] = []) async throws -> DeskProcess.Result {
            try await DeskProcess.run(["replay", scenario, "--desk", "default", "--model", model, "--journal", journal, "--json"] + extra)
        }
        func chatRequests() -> Int { server.requests.filter { $0.path == "/v1/chat/completions" }.count }

        // Journal A: the first run, every call made.
        let a = folder.appendingPathComponent("a.sqlite").path
        #expect(try await replay(a, ["--cache", "off"]).status == 0)
        let made = chatRequests()
        #expect(made >= 27)

        // Journal B starts as a copy of A; a reuse run there asks the server nothing and matches A's run in every record.
        let b = folder.appendingPathComponent("b.sqlite").path
        let journalA = try SQLiteJournal(path: a)
        let exported = folder.appendingPathComponent("a.jsonl").path
        #expect(try await DeskProcess.run(["export", "1", "--journal", a, "--jsonl", exported]).status == 0)
        #expect(try await DeskProcess.run(["import", exported, "--journal", b]).status == 0)
        let reused = try await replay(b, ["--cache", "reuse"])
        #expect(reused.status == 0, "\(reused.stderr)")
        #expect(chatRequests() == made)
        let journalB = try SQLiteJournal(path: b)
        let original = RunID(1), copy = RunID(2)
        #expect(try journalB.agentUsage(of: copy).cacheHits == made && journalB.agentUsage(of: copy).modelCalls == made)
        #expect(try journalB.decisionRows(of: copy).map(\.output) == journalA.decisionRows(of: original).map(\.output))
        #expect(try journalB.orders(of: copy) == journalA.orders(of: original))
        #expect(try journalB.fills(of: copy) == journalA.fills(of: original))
        #expect(try journalB.equity(of: copy) == journalA.equity(of: original))
        #expect(try journalB.stepDigests(of: copy) == journalA.stepDigests(of: original))

        // refresh asks the model again even though every call is cached.
        #expect(try await replay(b, ["--cache", "refresh"]).status == 0)
        #expect(chatRequests() == 2 * made)

        // A budget of 5 calls stops a fresh run resumably (exit 75); a resume with a larger budget finishes it like the first run.
        let c = folder.appendingPathComponent("c.sqlite").path
        let limited = try await replay(c, ["--cache", "off", "--max-calls", "5"])
        #expect(limited.status == 75, "\(limited.stderr)")
        #expect(limited.stderr.contains("max_calls") && limited.stderr.contains("--resume 1"))
        #expect(chatRequests() == 2 * made + 5)
        let journalC = try SQLiteJournal(path: c)
        #expect(try journalC.run(RunID(1)).status == .stopped)
        let resumed = try await DeskProcess.run(["replay", "--resume", "1", "--journal", c, "--max-calls", "1000", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try journalC.fills(of: RunID(1)) == journalA.fills(of: original))
        #expect(try journalC.stepDigests(of: RunID(1)) == journalA.stepDigests(of: original))
    }
}

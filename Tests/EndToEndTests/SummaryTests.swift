import Foundation
@testable import desk
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct ReplaySummaryTests {
    @Test func anAgentDesksSummaryCountsModelUseFailuresAndRiskEvents() throws {
        let scenario = Scenario(name: "s", universe: [], start: Day("2020-03-02")!, end: Day("2020-03-03")!, benchmark: "X", initialCash: 100)
        let equity = [EquityRecord(day: Day("2020-03-02")!, cash: 100, positionsValue: 0, equity: 100, grossExposure: 0),
                      EquityRecord(day: Day("2020-03-03")!, cash: 50, positionsValue: 60, equity: 110, grossExposure: 60)]
        let usage = AgentUsage(modelCalls: 12, cacheHits: 2, promptTokens: 4000, cachedPromptTokens: 1000, completionTokens: 500, modelSeconds: 10,
                               invalidCalls: 3, failuresByKind: ["invalid_output": 3, "timeout": 1], fallbacks: 4, riskEventsByAction: ["clip": 5, "veto": 1])
        var summary = ReplaySummary(scenario: scenario, deskName: "default", seed: 0, journalPath: "j.sqlite", run: RunID(1), equity: equity, fills: 3,
                                    agents: usage, models: ["*": ModelDescriptor(name: "smollm2", digest: "d", contextLength: 2048)])
        summary.wallSeconds = 75
        #expect(summary.text.contains("  model calls    12 (2 from the call cache), tokens 4000 in (1000 from the prefix cache) + 500 out\n"))
        #expect(summary.text.contains("  model speed    40 prompt and 6.7 generated tokens a second of the replay\n"))
        #expect(summary.text.contains("  wall time      1 min 15 s, 1.6 sessions a minute\n"))
        #expect(summary.text.contains("  failures       4 (invalid_output 3, timeout 1), fallbacks 4"))
        #expect(summary.text.contains("  risk events    clip 5, veto 1"))
        #expect(summary.json["agents"]?["failures"]?["timeout"] == JSONValue.number(1))
        #expect(summary.json["agents"]?["tokens_per_second"] == JSONValue.number(50))
        let rule = ReplaySummary(scenario: scenario, deskName: "buy-and-hold", seed: 0, journalPath: "j.sqlite", run: RunID(1), equity: equity, fills: 3)
        #expect(!rule.text.contains("model calls") && rule.json["agents"] == JSONValue.null)
    }
}

@Suite struct ModelResolverTests {
    @Test func aMalformedSpecIsAnInputErrorNamingWhereItCameFrom() throws {
        #expect(try ModelResolver.spec("openai:http://127.0.0.1:8080/v1#qwen", origin: "--model").description == "openai:http://127.0.0.1:8080/v1#qwen")
        do {
            _ = try ModelResolver.spec("gpt-5", origin: "desks/x.yaml")
            Issue.record("gpt-5 parsed")
        } catch let error as InputError {
            #expect(error.file == "desks/x.yaml" && error.field == "model" && error.problem.contains("gpt-5"))
        }
    }

    @Test func aModelFileThatIsNotAGGUFIsAClearErrorNamingIt() async throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString).gguf")
        try Data("this is not a GGUF file".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        do {
            _ = try await ModelResolver.resolve(.file(path: bad.path))
            Issue.record("a text file opened as a model")
        } catch let error as InputError {
            #expect(error.file == bad.path && error.field == "model" && error.remedy != nil)
        }
        await #expect(throws: InputError.self) { _ = try await ModelResolver.resolve(.file(path: "/no/such.gguf")) }
    }
}

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
        let usage = AgentUsage(modelCalls: 12, cacheHits: 2, promptTokens: 4000, completionTokens: 500, modelSeconds: 10, invalidCalls: 3,
                               failuresByKind: ["invalid_output": 3, "timeout": 1], fallbacks: 4, riskEventsByAction: ["clip": 5, "veto": 1])
        let summary = ReplaySummary(scenario: scenario, deskName: "default", seed: 0, journalPath: "j.sqlite", run: RunID(1), equity: equity, fills: 3,
                                    agents: usage, models: ["*": ModelDescriptor(name: "smollm2", digest: "d", contextLength: 2048)])
        #expect(summary.text.contains("  model calls    12 (2 from the call cache), tokens 4000 in + 500 out, 50.0 tokens/s"))
        #expect(summary.text.contains("  failures       4 (invalid_output 3, timeout 1), fallbacks 4"))
        #expect(summary.text.contains("  risk events    clip 5, veto 1"))
        #expect(summary.json["agents"]?["failures"]?["timeout"] == JSONValue.number(1))
        #expect(summary.json["agents"]?["tokens_per_second"] == JSONValue.number(50))
        let rule = ReplaySummary(scenario: scenario, deskName: "buy-and-hold", seed: 0, journalPath: "j.sqlite", run: RunID(1), equity: equity, fills: 3)
        #expect(!rule.text.contains("model calls") && rule.json["agents"] == JSONValue.null)
    }
}

@Suite struct ModelSpecTests {
    @Test func specsNameTheEmbeddedModelAFileOrAServer() throws {
        #expect(try ModelSpec.parse("smollm2") == .embedded("smollm2"))
        #expect(try ModelSpec.parse("models/qwen.Q4_K_M.gguf") == .gguf(path: "models/qwen.Q4_K_M.gguf"))
        #expect(try ModelSpec.parse("openai:http://127.0.0.1:8080/v1#qwen2.5-7b") == .openAI(baseURL: "http://127.0.0.1:8080/v1", model: "qwen2.5-7b"))
        #expect(throws: InputError.self) { try ModelSpec.parse("gpt-5") }
        #expect(throws: InputError.self) { try ModelSpec.parse("openai:http://127.0.0.1:8080/v1") }
        #expect(throws: InputError.self) { try ModelSpec.parse("openai:ftp://host/v1#m") }
    }

    @Test func aModelThisBuildCannotRunIsAClearError() throws {
        do {
            _ = try ModelResolver.resolve(.embedded("smollm2"))
            Issue.record("the embedded model resolved without an engine")
        } catch let error as InputError {
            #expect(error.problem.contains("LocalLM") && error.remedy != nil)
        }
        #expect(throws: InputError.self) { try ModelResolver.resolve(.gguf(path: "/no/such.gguf")) }
    }
}

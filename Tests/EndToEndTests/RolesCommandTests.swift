import DeskTesting
import Foundation
import Journal
import Testing

@Suite(.serialized) struct RolesCommandTests {
    @Test func listShowsTheBuiltInRolesAndTheDeskFiles() async throws {
        let result = try await DeskProcess.run(["roles", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        for role in ["news_analyst", "technical_analyst", "portfolio_manager", "execution_trader", "risk_manager"] {
            #expect(result.stdout.contains(role))
        }
        #expect(result.stdout.contains("desk files: default, macro"))
        let macro = try await DeskProcess.run(["roles", "list", "--desk", "macro"])
        #expect(macro.status == 0 && macro.stdout.contains("macro_analyst      analysis   macro,news"))
    }

    @Test func validateAcceptsTheExampleAndNamesTheLineOfAMistake() async throws {
        let ok = try await DeskProcess.run(["roles", "validate", "scenarios/desks/macro.yaml"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("ok: desk macro") && ok.stdout.contains("analysis  macro_analyst"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("desk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("scenarios/desks/macro.yaml"), encoding: .utf8)
        let file = folder.appendingPathComponent("typo.yaml")
        try source.replacingOccurrences(of: "    tools: [macro, news]", with: "    tool: [macro, news]").write(to: file, atomically: true, encoding: .utf8)
        let bad = try await DeskProcess.run(["roles", "validate", file.path])
        #expect(bad.status == 2)
        let line = try #require(source.components(separatedBy: "\n").firstIndex { $0.contains("tools: [macro, news]") }) + 1
        #expect(bad.stderr.contains("typo.yaml:\(line):"))
        #expect(bad.stderr.contains("unknown key 'tool'"))
    }

    @Test func showRendersARolesPromptFromThePointInTimeFeed() async throws {
        let result = try await DeskProcess.run(["roles", "show", "macro_analyst", "--desk", "macro", "--scenario", "covid-crash-2020", "--date", "2020-03-16"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Decision after the close of 2020-03-16 (Mon)"))
        #expect(result.stdout.contains("fed_funds_target_upper (percent): "))
        #expect(result.stdout.contains("1.75 1.25 0.25 (latest for 2020-03-16, public 2020-03-16)"))
        // The yield of the 13th is published on the 16th after the close, so the 12th's is the latest.
        #expect(result.stdout.contains("0.88 (latest for 2020-03-12, public 2020-03-13)"))
        #expect(result.stdout.contains("national emergency"))
        // Nothing after the close of the 16th: the note of the 17th is not there.
        #expect(!result.stdout.contains("commercial paper"))
        let definition = try await DeskProcess.run(["roles", "show", "risk_manager", "--json"])
        #expect(definition.status == 0 && definition.stdout.contains(#""stage":"review""#))
    }

    @Test func anAgentDeskWhoseModelIsNotDownloadedIsOneClearErrorAndNoRun() async throws {
        let journalPath = DeskProcess.temporaryJournal()
        let emptyModels = FileManager.default.temporaryDirectory.appendingPathComponent("no-models-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: journalPath) }
        let result = try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", "default", "--journal", journalPath],
                                         environment: ["TRADINGDESK_MODELS": emptyModels.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("desk model pull"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        if FileManager.default.fileExists(atPath: journalPath) {
            #expect(try SQLiteJournal(path: journalPath).runs().isEmpty)
        }
        let unknown = try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", "quant", "--journal", journalPath])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown desk 'quant'") && unknown.stderr.contains("default, macro"))
        let badModel = try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", "default", "--model", "gpt-5", "--journal", journalPath])
        #expect(badModel.status == 2 && badModel.stderr.contains("--model") && badModel.stderr.contains("unknown embedded model 'gpt-5'"))
    }
}

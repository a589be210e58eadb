import Desk
import DeskTesting
import Foundation
import InputFiles
import JournalRecords
import LanguageModel
import Market
import Testing

/// A Swift-defined role that reaches for data on its own: the bars of tomorrow (look-ahead), and
/// the book without listing the book tool.
struct PeekingRole: DeskRole {
    var definition = RoleDefinition(
        name: "peeking_analyst", stage: .analysis,
        instruction: "You are the peeking analyst of a trading desk. Say whether A rises.",
        inputs: [.prices(sessions: 3)], tools: [ToolName.prices],
        output: .object([.init("rises", .boolean), .init("rationale", .text(maxLength: 80))]))

    func extraSections(_ toolbox: inout RoleToolbox, situation: RoleSituation) async throws -> [PromptSection] {
        var sections: [PromptSection] = []
        let tomorrow = situation.context.day.advanced(by: 1)
        do {
            _ = try await toolbox.call(PricesTool(), PricesTool.Input(symbols: ["A"], from: situation.context.day, to: tomorrow))
        } catch let error as ToolCallError {
            sections.append(PromptSection("Tomorrow", lines: ["refused: \(error.kind.rawValue)"]))
        }
        _ = try? await toolbox.call(BookTool(), BookTool.Input())
        return sections
    }
}

@Suite struct PluggedRoleTests {
    @Test func aLookAheadRequestIsRefusedAndJournalled() async throws {
        let model = Answers.model(overrides: ["peeking_analyst": .text(#"{"rises":true,"rationale":"It always does."}"#)])
        let definition = DeskDefinition(name: "peek", roles: [PeekingRole(), DefinedRole(BuiltInRoles.portfolioManager)])
        let run = try await AgentRun.run(try AgentDesk(definition: definition, models: ModelRoster(model)))
        let step = run.steps[0]
        let peek = try #require(step.toolCalls.first { $0.role == "peeking_analyst" && $0.input["to"] != nil })
        #expect(peek.output == nil)
        #expect(peek.error?.hasPrefix("look_ahead") == true)
        let failure = try #require(step.failures.first { $0.kind == "look_ahead" })
        #expect(failure.role == "peeking_analyst" && failure.message.contains("after the simulation clock"))
        let prompt = try #require(model.requests.first { RoleScript.role(of: $0) == "peeking_analyst" })
        #expect(RoleScript.facts(of: prompt).contains("refused: look_ahead"))
        // The role still answered from what it was allowed to see.
        #expect(step.decisions.first { $0.role == "peeking_analyst" }?.isFallback == false)
    }

    @Test func aToolTheRoleDoesNotListIsRefusedAndJournalled() async throws {
        let model = Answers.model(overrides: ["peeking_analyst": .text(#"{"rises":false,"rationale":"No."}"#)])
        let definition = DeskDefinition(name: "peek", roles: [PeekingRole(), DefinedRole(BuiltInRoles.portfolioManager)])
        let run = try await AgentRun.run(try AgentDesk(definition: definition, models: ModelRoster(model)))
        let refused = try #require(run.steps[0].toolCalls.first { $0.role == "peeking_analyst" && $0.tool == "book" })
        #expect(refused.output == nil && refused.error?.hasPrefix("tool_refused") == true)
        let failure = try #require(run.steps[0].failures.first { $0.kind == "tool_refused" })
        #expect(failure.message.contains("may not call book"))
    }

    @Test func aDecisionRoleWithoutTheOptimiserCannotSizeAndKeepsTheBook() async throws {
        let text = """
            name: no-optimizer
            roles:
              - name: hasty_manager
                stage: decision
                instruction: You are the hasty manager of a trading desk. Pick winners.
                inputs: [book]
                tools: [book]
                output_schema:
                  type: object
                  properties:
                    overweight: {type: array, items: {enum: [$symbols]}, maxItems: 3}
                    rationale: {type: string, maxLength: 80}
                  required: [overweight, rationale]
            """
        let definition = try DeskFile.parse(text, file: "no-optimizer.yaml")
        let model = Answers.model(overrides: ["hasty_manager": .text(#"{"overweight":["A"],"rationale":"A only."}"#)])
        let run = try await AgentRun.run(try AgentDesk(definition: definition, models: ModelRoster(model)))
        #expect(run.fills.isEmpty)
        #expect(run.decisions.first?.isFallback == false)
        let refusal = try #require(run.steps[0].failures.first { $0.kind == "tool_refused" })
        #expect(refusal.role == "hasty_manager" && refusal.fallback == "keep_book" && refusal.message.contains("optimizer"))
        // The role's schema named the desk's symbols in place of $symbols.
        let request = try #require(model.requests.first)
        #expect(request.schema?.property("overweight") == .array(items: .choice(["A", "B", "C"]), minItems: 0, maxItems: 3))
    }

    @Test func aDeskFileRoleRunsWithTheAnalystsAndReachesTheDecision() async throws {
        let text = """
            name: with-macro
            roles:
              - technical_analyst
              - name: macro_analyst
                stage: analysis
                instruction: You are the macro analyst of a trading desk. Judge the policy stance.
                inputs:
                  - series: {symbols: [IDX], sessions: 3}
                  - news: {days: 10, scope: market}
                tools: [prices, news]
                output_schema:
                  type: object
                  properties:
                    stance: {enum: [easing, neutral, tightening]}
                    regime: {enum: [risk_on, neutral, risk_off]}
                    conviction: {type: number, minimum: 0, maximum: 1}
                    rationale: {type: string, maxLength: 160}
                  required: [stance, regime, conviction, rationale]
                sampling: {max_tokens: 96}
              - portfolio_manager
            """
        let definition = try DeskFile.parse(text, file: "with-macro.yaml")
        let note = NewsItem(day: AgentMarket.days[0], minuteOfDay: 10 * 60, text: "The central bank cut rates by half a point.", source: "central bank")
        let model = Answers.model()
        let run = try await AgentRun.run(try AgentDesk(definition: definition, models: ModelRoster(model)), market: AgentMarket.make(news: [note]))
        let step = run.steps[0]
        #expect(step.decisions.map(\.role) == ["technical_analyst", "macro_analyst", "portfolio_manager"])
        let macroCall = try #require(step.modelCalls.first { $0.role == "macro_analyst" })
        #expect(macroCall.sampling.maxTokens == 96 && macroCall.valid)
        let macroPrompt = try #require(model.requests.first { RoleScript.role(of: $0) == "macro_analyst" })
        #expect(RoleScript.facts(of: macroPrompt).contains("IDX 100.00"))
        #expect(RoleScript.facts(of: macroPrompt).contains("market: The central bank cut rates"))
        let pmPrompt = try #require(model.requests.first { RoleScript.role(of: $0) == "portfolio_manager" })
        #expect(RoleScript.facts(of: pmPrompt).contains("macro_analyst: stance: easing; regime: risk_on"))
        #expect(step.toolCalls.contains { $0.role == "macro_analyst" && $0.tool == "prices" && $0.error == nil })
    }

    @Test func aRegisteredSwiftRoleCanBeNamedInADeskFile() throws {
        var registry = RoleRegistry.builtIn
        try registry.register(PeekingRole())
        #expect(throws: RoleRegistryError.self) { try registry.register(PeekingRole()) }
        let definition = try DeskFile.parse("name: peek\nroles: [peeking_analyst, portfolio_manager]\n", file: "peek.yaml", registry: registry)
        #expect(definition.roles.first is PeekingRole)
        #expect(throws: InputError.self) { try DeskFile.parse("name: peek\nroles: [peeking_analyst, portfolio_manager]\n", file: "peek.yaml") }
    }
}

import Desk
import DeskTesting
import Foundation
import InputFiles
import LanguageModel
import Testing

@Suite struct DeskFileTests {
    func error(_ text: String) -> InputError? {
        do {
            _ = try DeskFile.parse(text, file: "bad.yaml")
            return nil
        } catch let error as InputError {
            return error
        } catch {
            return nil
        }
    }

    @Test func theBundledDesksLoad() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("scenarios/desks")
        let standard = try DeskFile.load(path: folder.appendingPathComponent("default.yaml").path)
        #expect(standard.name == "default")
        #expect(standard.definitions.map(\.name) == ["news_analyst", "technical_analyst", "portfolio_manager", "execution_trader"])
        #expect(standard.definitions.map(\.name) == DeskDefinition.standard.definitions.map(\.name))
        #expect(standard.model == "smollm2" && standard.callTimeout == .seconds(120))

        let macro = try DeskFile.load(path: folder.appendingPathComponent("macro.yaml").path)
        let analyst = try #require(macro.definitions.first { $0.name == "macro_analyst" })
        #expect(analyst.stage == .analysis)
        #expect(analyst.inputs == [.macro(series: ["treasury_10y_yield", "fed_funds_target_upper"], count: 10), .news(days: 10, scope: .market, maxItems: 8)])
        #expect(analyst.tools == ["macro", "news"])
        #expect(analyst.sampling.maxTokens == 96)
        #expect(analyst.output.property("regime") == .choice(["risk_on", "neutral", "risk_off"]))
        #expect(macro.definitionsInStepOrder.map(\.stage) == [.analysis, .analysis, .analysis, .decision, .execution])
    }

    @Test func anUnknownKeyIsAnErrorAtItsLine() throws {
        let e = try #require(error("name: d\nroles: [portfolio_manager]\nmodels: smollm2\n"))
        #expect(e.file == "bad.yaml" && e.line == 3 && e.problem.contains("unknown key 'models'"))
        let inRole = try #require(error("name: d\nroles:\n  - use: portfolio_manager\n    temprature: 0.2\n"))
        #expect(inRole.line == 4 && inRole.field == "roles[0].temprature")
    }

    @Test func aSchemaOutsideTheSubsetIsAnErrorAtItsLine() throws {
        let text = """
            name: d
            roles:
              - portfolio_manager
              - name: odd
                stage: analysis
                instruction: You are odd.
                output_schema:
                  type: object
                  properties:
                    code: {type: string, pattern: "[A-Z]+"}
                  required: [code]
            """
        let e = try #require(error(text))
        #expect(e.line == 10 && e.problem.contains("'pattern' is outside the supported JSON-Schema subset"))
        let undeclared = try #require(error(text.replacingOccurrences(of: ", pattern: \"[A-Z]+\"", with: "").replacingOccurrences(of: "[code]", with: "[name]")))
        #expect(undeclared.line == 8 && undeclared.problem.contains("$.required"))
    }

    @Test func anInputNeedsItsToolAndTheFallbackMustFitTheStage() throws {
        let text = """
            name: d
            roles:
              - portfolio_manager
              - name: reader
                stage: analysis
                instruction: You are the reader.
                inputs: [news]
                output_schema: {type: object, properties: {rationale: {type: string}}, required: [rationale]}
                fallback: keep_book
            """
        let fallback = try #require(error(text))
        #expect(fallback.line == 9 && fallback.problem.contains("fallback 'keep_book' does not apply to the analysis stage"))
        #expect(fallback.remedy?.contains("omit") == true)
        let tool = try #require(error(text.replacingOccurrences(of: "    fallback: keep_book", with: "")))
        #expect(tool.line == 4 && tool.problem.contains("input 'news' is gathered with the tool 'news'"))
    }

    @Test func unknownRolesInputsAndStagesSayWhatExists() throws {
        #expect(try #require(error("name: d\nroles: [portfolio_manager, quant]\n")).problem.contains("unknown role 'quant'"))
        let input = try #require(error("name: d\nroles:\n  - portfolio_manager\n  - name: x\n    stage: analysis\n    instruction: i\n    inputs: [tweets]\n    output_schema: {type: object, properties: {}}\n"))
        #expect(input.problem.contains("unknown input 'tweets'") && input.line == 7)
        let stage = try #require(error("name: d\nroles:\n  - name: x\n    stage: thinking\n    instruction: i\n    output_schema: {type: object, properties: {}}\n"))
        #expect(stage.problem.contains("unknown stage 'thinking'") && stage.line == 4)
        #expect(try #require(error("name: d\ncall_timeout: soon\nroles: [portfolio_manager]\n")).problem.contains("not a duration"))
    }

    @Test func aDeskNeedsOneDecisionRoleAndReportsFromEarlierStages() throws {
        let none = try #require(error("name: d\nroles: [news_analyst]\n"))
        #expect(none.line == 2 && none.problem.contains("exactly one decision role"))
        let two = try #require(error("name: d\nroles: [portfolio_manager, {use: portfolio_manager}]\n"))
        #expect(two.problem.contains("appears twice"))
        let later = """
            name: d
            roles:
              - name: early
                stage: analysis
                instruction: You are early.
                inputs: [{reports: {roles: [portfolio_manager]}}]
                output_schema: {type: object, properties: {rationale: {type: string}}, required: [rationale]}
              - portfolio_manager
            """
        #expect(try #require(error(later)).problem.contains("does not run before the analysis stage"))
    }

    @Test func aDecisionRoleMustCarryViews() throws {
        let text = """
            name: d
            roles:
              - name: boss
                stage: decision
                instruction: You are the boss.
                tools: [optimizer]
                output_schema: {type: object, properties: {mood: {enum: [good, bad]}}, required: [mood]}
            """
        #expect(try #require(error(text)).problem.contains("a decision role's output needs 'views'"))
    }

    @Test func overridesOfARegisteredRoleApply() throws {
        let text = """
            name: tuned
            fallback: neutral_views
            universe: [A, B]
            roles:
              - use: technical_analyst
                sampling: {max_tokens: 64, temperature: 0.7, stop: ["\\n\\n"]}
                symbols: [A]
                model: openai:http://127.0.0.1:8080/v1#big
              - portfolio_manager
              - use: execution_trader
                fallback: no_orders
            """
        let desk = try DeskFile.parse(text, file: "tuned.yaml")
        let technical = desk.definitions[0]
        #expect(technical.sampling.maxTokens == 64 && technical.sampling.temperature == 0.7 && technical.sampling.stop == ["\n\n"])
        #expect(technical.symbols == ["A"] && technical.model == "openai:http://127.0.0.1:8080/v1#big")
        #expect(technical.instruction == BuiltInRoles.technicalAnalyst.instruction)
        #expect(desk.definitions[1].fallback == .neutralViews)
        #expect(desk.definitions[2].fallback == .noOrders)
        #expect(desk.universe == ["A", "B"])
    }
}

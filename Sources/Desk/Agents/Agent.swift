import JournalRecords
import LanguageModel
import Market

/// What a desk lends its agents at every step: the model gateway, the tools and how to write prompts.
public struct DeskServices: Sendable {
    public var gateway: ModelGateway
    public var tools: ToolRegistry
    public var writer: PromptWriter
    /// The largest context the desk budgets prompts for, whatever the model accepts (tokens).
    public var contextTokens: Int

    public init(gateway: ModelGateway, tools: ToolRegistry = .standard(), writer: PromptWriter = PromptWriter(), contextTokens: Int = 2048) {
        self.gateway = gateway
        self.tools = tools
        self.writer = writer
        self.contextTokens = contextTokens
    }
}

/// One role's work at one step: its report for later stages and its journal records, in order
/// (tool calls, the model call, then the decision or the failure and its fallback).
public struct RoleResult: Sendable {
    public var report: RoleReport
    public var activity: StepActivity
}

/// A role of a desk at work: an actor that, at each step, gathers the role's inputs through its
/// tools, asks its model through the gateway, and reports a validated output or its fallback.
///
/// Agents of the analysis stage run concurrently, each on its own actor. An agent remembers its
/// last valid output per run (the `memory` input), forgotten at the run's first decision, so a
/// replay from the start rebuilds it; everything else it needs arrives with the step.
public actor Agent {
    public nonisolated let role: any DeskRole
    private var memory: [RunID: (day: Day, output: JSONValue)] = [:]

    public init(role: any DeskRole) { self.role = role }

    public nonisolated var definition: RoleDefinition { role.definition }

    /// Runs the role once. `universe` is the desk's universe at this decision.
    public func act(context: DecisionContext, universe: [String], reports: [RoleReport], plan: ExecutionPlan?,
                    services: DeskServices) async throws -> RoleResult {
        let definition = role.definition
        let prepared = try await prepare(context: context, universe: universe, reports: reports, plan: plan, services: services)
        var activity = prepared.activity
        if definition.stage == .analysis, !prepared.hasFacts {
            // Nothing to read (no event notes in its window, say): asking the model would only
            // invite an invented answer. The role reports that, journalled as its decision.
            let note = "not asked: nothing to read at this decision"
            activity.record(DecisionRecord(role: definition.name, stage: definition.stage.rawValue, output: RoleReport.nothingToRead,
                                           rationale: note))
            return RoleResult(report: RoleReport(role: definition.name, stage: definition.stage, output: RoleReport.nothingToRead,
                                                 rationale: note, isFallback: false),
                              activity: activity)
        }
        var sampling = definition.sampling
        sampling.seed = SeededRandom.derive(context.seed, definition.name, context.stepIndex)
        let outcome = try await services.gateway.call(role: definition.name, messages: prepared.messages, sampling: sampling,
                                                      schema: prepared.schema, context: context)
        activity.record(outcome.record)
        if let json = outcome.parsed?.json, outcome.isValid {
            let rationale = outcome.parsed?.rationale
            activity.record(DecisionRecord(role: definition.name, stage: definition.stage.rawValue, output: json, rationale: rationale))
            memory[context.run] = (context.day, json)
            return RoleResult(report: RoleReport(role: definition.name, stage: definition.stage, output: json, rationale: rationale, isFallback: false),
                              activity: activity)
        }
        let kind = outcome.failureKind ?? "invalid_output"
        let message = outcome.failureMessage ?? "no valid output"
        activity.record(FailureRecord(role: definition.name, kind: kind, message: message, fallback: definition.fallback.rawValue))
        activity.record(DecisionRecord(role: definition.name, stage: definition.stage.rawValue,
                                       output: .object([.init("fallback", .string(definition.fallback.rawValue))]),
                                       rationale: "fallback after \(kind): \(message)", isFallback: true))
        return RoleResult(report: RoleReport(role: definition.name, stage: definition.stage, output: nil, rationale: nil, isFallback: true,
                                             failure: "\(kind): \(message)"),
                          activity: activity)
    }

    /// The prompt the role would get at this step, with the tool calls made to gather its inputs;
    /// `hasFacts` is false when every input came back empty.
    public func prepare(context: DecisionContext, universe: [String], reports: [RoleReport], plan: ExecutionPlan?,
                        services: DeskServices) async throws -> (messages: [ChatMessage], schema: OutputSchema, activity: StepActivity, hasFacts: Bool) {
        let definition = role.definition
        if context.decisionIndex == 0 { memory[context.run] = nil }
        let symbols = definition.symbols ?? universe
        let schema = definition.output.expandingSymbols(symbols)
        let situation = RoleSituation(context: context, symbols: symbols, reports: reports, plan: plan, memory: memory[context.run])
        var toolbox = RoleToolbox(role: definition.name, allowed: definition.tools, registry: services.tools,
                                  context: ToolContext(decision: context, universe: universe))
        var sections = try await InputGatherer.sections(for: definition.inputs, situation: situation, toolbox: &toolbox)
        var extra = StepActivity()
        do {
            sections += try await role.extraSections(&toolbox, situation: situation)
        } catch is CancellationError {
            throw CancellationError()
        } catch is ToolCallError {
            // Already journalled by the toolbox; the role goes on without those inputs.
        } catch {
            extra.record(FailureRecord(role: definition.name, kind: "role_error", message: String(describing: error), fallback: "input omitted"))
        }
        var activity = toolbox.activity
        activity.append(extra)
        let model = services.gateway.roster.model(for: definition.name)
        let context = min(model.descriptor.contextLength, services.contextTokens)
        let budget = max(64, context - definition.sampling.maxTokens - 64)
        let prompt = RolePrompt(definition: definition, schema: schema, situation: situation, sections: sections, tokenBudget: budget)
        return (role.messages(prompt), schema, activity, sections.contains(where: \.hasFacts))
    }
}

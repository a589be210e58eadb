import Exchange
import JournalRecords
import LanguageModel
import Market

/// A desk of language-model agents, run as a ``DeskPolicy`` by the ``Orchestrator``.
///
/// At each decision, in ``decide(_:)``: the analysis roles run concurrently (a task group, one
/// ``Agent`` actor each) and their records are merged in desk order, so the journal does not
/// depend on which finished first; then the decision role reads their reports, and its views are
/// sized into target weights through the `optimizer` tool. The orchestrator clips the targets to
/// the risk limits and works out the orders; in ``execute(_:plan:)`` the review roles may approve,
/// scale or veto the move, stale open orders are cancelled, and the execution role chooses order
/// types, limit prices and slicing; the orders go out through the order API's tools and are
/// checked against the plan in code before the exchange sees them.
///
/// How a small model "calls tools": the desk gathers each role's declared inputs by calling the
/// input's tool on the role's behalf before the prompt is written, and acts on the role's
/// structured output by calling the action tools for it (the optimiser for the decision role,
/// `cancel_order` and `submit_order` for the execution role). Every such call is journalled as
/// the role's tool call, and only tools the role lists are called; a call to another is refused
/// and journalled, and the role's fallback applies.
public struct AgentDesk: DeskPolicy, AnalysisAheadDesk {
    public let definition: DeskDefinition
    public let services: DeskServices
    public let agents: [Agent]
    let ahead = AnalysisAheadStore()

    public var name: String { definition.name }
    public var models: [String: ModelDescriptor] { services.gateway.roster.descriptors }
    public var rebalanceBand: Double { definition.rebalanceBand }

    /// Each role as the journal's `agents` table records it: stage, model, instruction digest, tools.
    public var agentRecords: [AgentRecord] {
        definition.definitions.map { role in
            AgentRecord(role: role.name, stage: role.stage.rawValue, model: models[role.name] ?? models["*"],
                        instructionDigest: ContentDigest.sha256Hex(role.instruction), tools: role.tools)
        }
    }

    /// A desk of `definition`'s roles thinking with `models`. Throws ``DeskDefinitionError`` when
    /// the definition cannot run (no decision role, unknown tools, …).
    public init(definition: DeskDefinition, models: ModelRoster, tools: ToolRegistry = .standard(), writer: PromptWriter = PromptWriter()) throws {
        let problems = definition.problems(knownTools: Set(tools.names))
        guard problems.isEmpty else { throw DeskDefinitionError(desk: definition.name, problems: problems) }
        let gateway = ModelGateway(roster: models, timeout: definition.callTimeout)
        self.definition = definition
        self.services = DeskServices(gateway: gateway, tools: tools, writer: writer, contextTokens: definition.contextTokens)
        self.agents = definition.roles.map { Agent(role: $0) }
    }

    /// The symbols the desk trades in `scenario`.
    public func universe(_ scenario: Scenario) -> [String] {
        definition.universe ?? RuleDesks.defaultUniverse(scenario)
    }

    /// Symbols the desk's roles name that `scenario` does not hold (each would be a journalled tool error).
    public func unknownSymbols(in scenario: Scenario) -> [String] {
        let known = Set(scenario.universe.map(\.symbol))
        var named = definition.universe ?? []
        for role in definition.definitions {
            named += role.symbols ?? []
            for case let .series(symbols, _) in role.inputs { named += symbols }
        }
        var seen: Set<String> = []
        return named.filter { !known.contains($0) && seen.insert($0).inserted }
    }

    private func agents(in stage: RoleStage) -> [Agent] { agents.filter { $0.definition.stage == stage } }

    public func decide(_ context: DecisionContext) async throws -> DeskProposal {
        let universe = self.universe(context.scenario)
        let services = self.services
        var activity = StepActivity()
        var reports: [RoleReport] = []

        let analysts = agents(in: .analysis)
        let begun = await ahead.take(run: context.run, stepIndex: context.stepIndex)
        let results = try await withThrowingTaskGroup(of: (Int, RoleResult).self) { group in
            for (index, agent) in analysts.enumerated() {
                group.addTask {
                    if let early = begun[index] {
                        return (index, try await withTaskCancellationHandler { try await early.value } onCancel: { early.cancel() })
                    }
                    return (index, try await agent.act(context: context, universe: universe, reports: [], plan: nil, services: services))
                }
            }
            var collected = [RoleResult?](repeating: nil, count: analysts.count)
            for try await (index, result) in group { collected[index] = result }
            return collected.compactMap { $0 }
        }
        // The next decision's market-only analysts start now, beside this decision's later stages
        // (their model calls batch with the portfolio manager's and the trader's).
        if let next = await ahead.next(run: context.run, after: context.stepIndex) {
            let nextUniverse = self.universe(next.scenario)
            var tasks: [Int: Task<RoleResult, any Error>] = [:]
            for (index, agent) in analysts.enumerated() where agent.role.readsMarketOnly {
                tasks[index] = Task { try await agent.act(context: next, universe: nextUniverse, reports: [], plan: nil, services: services) }
            }
            if !tasks.isEmpty { await ahead.store(tasks, run: next.run, stepIndex: next.stepIndex) }
        }
        for result in results {
            activity.append(result.activity)
            reports.append(result.report)
        }

        guard let decider = agents(in: .decision).first else { return DeskProposal(activity: activity, reports: reports) }
        let role = decider.definition
        let decided = try await decider.act(context: context, universe: universe, reports: reports, plan: nil, services: services)
        activity.append(decided.activity)
        reports.append(decided.report)

        let symbols = role.symbols ?? universe
        let views: PortfolioViews
        if let output = decided.report.output {
            views = PortfolioViews(output: output)
        } else {
            switch role.fallback {
            case .neutralViews:
                views = .neutral
            case .equalWeight:
                let weight = symbols.isEmpty ? 0 : 1 / Double(symbols.count)
                return DeskProposal(targets: TargetWeights(Dictionary(uniqueKeysWithValues: symbols.map { ($0, weight) })),
                                    activity: activity, reports: reports)
            default:
                return DeskProposal(activity: activity, reports: reports)
            }
        }

        var toolbox = RoleToolbox(role: role.name, allowed: role.tools, registry: services.tools,
                                  context: ToolContext(decision: context, universe: universe))
        let request = ConstructionRequest(
            symbols: symbols, views: views.views, riskAppetite: views.riskAppetite,
            constraints: SizingConstraints(context.scenario.constraints),
            currentWeights: symbols.map { SymbolWeight(symbol: $0, weight: context.book.weight(of: $0)) })
        do {
            let sized = try await toolbox.call(ToolName.optimizer, request, as: ConstructionResult.self, fallback: RoleFallback.keepBook.rawValue)
            activity.append(toolbox.activity)
            return DeskProposal(targets: sized.targets, activity: activity, reports: reports)
        } catch is ToolCallError {
            activity.append(toolbox.activity)
            return DeskProposal(activity: activity, reports: reports)
        }
    }

    func scheduleAnalysis(_ next: DecisionContext) async { await ahead.schedule(next) }

    func discardAnalysisAhead(run: RunID) async { await ahead.discard(run: run) }

    public func execute(_ context: DecisionContext, plan original: ExecutionPlan) async throws -> ExecutionProposal {
        let universe = self.universe(context.scenario)
        var activity = StepActivity()
        var reports = original.proposal.reports
        var plan = original

        for reviewer in agents(in: .review) where !plan.orders.isEmpty {
            let role = reviewer.definition
            let result = try await reviewer.act(context: context, universe: universe, reports: reports, plan: plan, services: services)
            activity.append(result.activity)
            reports.append(result.report)
            let verdict = result.report.output.map(ReviewVerdict.init(output:))
                ?? ReviewVerdict(action: role.fallback == .veto ? .veto : .approve, reason: "fallback \(role.fallback.rawValue)")
            let turnover = plan.turnover
            switch verdict.action {
            case .approve:
                continue
            case .veto:
                activity.record(RiskEventRecord(rule: "review", action: .veto, symbol: nil, proposed: turnover, allowed: 0,
                                                detail: "vetoed: \(verdict.reason)", role: role.name))
                plan.orders = []
            case .scale:
                activity.record(RiskEventRecord(rule: "review", action: .scale, symbol: nil, proposed: turnover, allowed: turnover * verdict.scale,
                                                detail: "move scaled to \(JSONNumber.text(verdict.scale)): \(verdict.reason)", role: role.name))
                var scaled: [String: Double] = [:]
                for symbol in Set(plan.targets.weights.keys).union(plan.book.positions.keys) {
                    let current = plan.book.weight(of: symbol)
                    scaled[symbol] = current + verdict.scale * ((plan.targets.weights[symbol] ?? 0) - current)
                }
                let (allowed, limitEvents) = plan.limits.apply(TargetWeights(scaled), book: plan.book, tradable: plan.tradable, role: role.name)
                let (orders, orderEvents) = plan.execution.orders(for: allowed, book: plan.book, lastBars: plan.lastBars, tag: name)
                for event in limitEvents + orderEvents { activity.record(event) }
                plan.targets = allowed
                plan.orders = orders
            }
        }

        let executor = agents(in: .execution).first
        let trader = executor?.definition
        let toolContext = ToolContext(decision: context, universe: universe)
        let actor = trader?.name ?? name
        let allowed = trader?.tools ?? ToolName.orderAPI

        // Orders still open from earlier decisions are cancelled: the plan is worked out from positions.
        var cancels = RoleToolbox(role: actor, allowed: allowed, registry: services.tools, context: toolContext)
        for order in context.book.openOrders.sorted(by: { $0.id < $1.id }) {
            _ = try? await cancels.call(ToolName.cancelOrder, CancelOrderTool.Input(orderId: order.id.rawValue), as: CancelOrderTool.Output.self,
                                        fallback: "order left open")
        }
        activity.append(cancels.activity)

        var instructions: [String: ExecutionInstruction] = [:]
        if let executor, let trader, !plan.orders.isEmpty {
            let result = try await executor.act(context: context, universe: universe, reports: reports, plan: plan, services: services)
            activity.append(result.activity)
            if let output = result.report.output {
                let planned = Set(plan.orders.map(\.symbol))
                for instruction in ExecutionInstruction.list(from: output) {
                    guard planned.contains(instruction.symbol) else {
                        activity.record(RiskEventRecord(rule: "execution_scope", action: .veto, symbol: instruction.symbol, proposed: 0, allowed: 0,
                                                        detail: "no trade of \(instruction.symbol) is planned; the instruction is ignored", role: trader.name))
                        continue
                    }
                    instructions[instruction.symbol] = instruction
                }
            } else if trader.fallback == .noOrders {
                plan.orders = []
            }
        }

        var submissions = RoleToolbox(role: actor, allowed: allowed, registry: services.tools, context: toolContext)
        for order in plan.orders {
            let ticket = AgentDesk.ticket(for: order, instruction: instructions[order.symbol], close: plan.lastBars[order.symbol]?.close,
                                          fractional: plan.execution.fractionalShares, tag: actor)
            _ = try? await submissions.call(ToolName.submitOrder, ticket, as: SubmitOrderTool.Output.self, fallback: "order not sent")
        }
        activity.append(submissions.activity)
        return ExecutionProposal(orders: await toolContext.blotter.orders, cancellations: await toolContext.blotter.cancellations, activity: activity)
    }

    /// The order that trades `order`'s move as `instruction` says: a 1/days slice now (at least
    /// one share), as a market order or a limit order at the instructed price (the close when none).
    static func ticket(for order: OrderRequest, instruction: ExecutionInstruction?, close: Double?, fractional: Bool, tag: String) -> OrderTicket {
        var quantity = order.quantity
        if let days = instruction?.days, days > 1 {
            quantity = order.quantity / Double(days)
            if !fractional { quantity = min(order.quantity, max(1, quantity.rounded(.towardZero))) }
        }
        if instruction?.kind == .limit, let price = instruction?.limitPrice ?? close, price > 0 {
            return OrderTicket(symbol: order.symbol, side: order.side, quantity: quantity, type: .limit, limitPrice: price, tag: tag)
        }
        return OrderTicket(symbol: order.symbol, side: order.side, quantity: quantity, type: .market, tag: tag)
    }
}

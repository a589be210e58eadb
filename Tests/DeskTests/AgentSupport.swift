import Desk
import DeskTesting
import Exchange
import Foundation
import JournalRecords
import LanguageModel
import Market

/// A small, fully known market for agent-desk tests: an index (the benchmark) and three stocks,
/// A rising, B flat-ish, C falling, over twelve sessions, with a market-wide note before each
/// session's open (so the news analyst always has something to read) plus any `news` given.
enum AgentMarket {
    static let days = Fixtures.weekdays(from: Day("2020-03-02")!, count: 12)

    static let dailyNotes = days.map { NewsItem(day: $0, minuteOfDay: 8 * 60, text: "Futures are little changed before the open.", source: "wire") }

    static func make(constraints: PortfolioConstraints = PortfolioConstraints(maxWeight: 0.5, cashBuffer: 0.05),
                     news: [NewsItem] = [], dailyNotes: Bool = true, volume: Double = 1_000_000) -> (Scenario, MarketData) {
        let index = Fixtures.series("IDX", days: days, closes: [100, 101, 99, 98, 100, 102, 103, 101, 104, 105, 104, 106], volume: volume)
        let a = Fixtures.series("A", days: days, closes: [50, 51, 52, 52, 53, 55, 56, 57, 57, 58, 60, 61], volume: volume)
        let b = Fixtures.series("B", days: days, closes: [20, 20.2, 19.9, 20.1, 20, 20.3, 20.1, 20.2, 20, 20.1, 20.2, 20], volume: volume)
        let c = Fixtures.series("C", days: days, closes: [80, 78, 77, 75, 74, 72, 71, 70, 68, 66, 65, 63], volume: volume)
        return Fixtures.scenario([index, a, b, c], cash: 100_000, constraints: constraints, news: (dailyNotes ? self.dailyNotes : []) + news)
    }
}

/// Valid answers for the built-in roles, and ways to spoil them.
enum Answers {
    static let news = #"{"views":[{"symbol":"A","sentiment":"positive","conviction":0.8}],"rationale":"A's notes are good."}"#
    static let technical = #"{"uptrend":["A"],"downtrend":["C"],"oversold":[],"overbought":[],"rationale":"A trends up, C down."}"#
    static let manager = #"{"overweight":["A"],"underweight":["C"],"confidence":0.8,"risk_appetite":0.9,"rationale":"Follow the trend."}"#
    static let trader = #"{"orders":[],"rationale":"Market orders are fine at this size."}"#
    static let approve = #"{"action":"approve","reason":"Within appetite."}"#
    static let macro = #"{"stance":"easing","regime":"risk_on","conviction":0.7,"rationale":"Cuts support risk."}"#

    /// The valid answer for `request`'s role, with `overrides` by role name taking precedence.
    static func reply(_ request: ModelRequest, overrides: [String: ScriptedModel.Reply] = [:]) -> ScriptedModel.Reply {
        let role = RoleScript.role(of: request) ?? "?"
        if let override = overrides[role] { return override }
        switch role {
        case "news_analyst": return .text(news)
        case "technical_analyst": return .text(technical)
        case "portfolio_manager": return .text(manager)
        case "execution_trader": return .text(trader)
        case "risk_manager": return .text(approve)
        case "macro_analyst": return .text(macro)
        default: return .failure(LanguageModelError(.unavailable, "no script for role \(role)"))
        }
    }

    static func model(overrides: [String: ScriptedModel.Reply] = [:]) -> ScriptedModel {
        ScriptedModel { reply($0, overrides: overrides) }
    }
}

/// Runs a desk over a market with an in-memory journal and returns the stored run.
enum AgentRun {
    static func run(_ desk: any DeskPolicy, market: (Scenario, MarketData) = AgentMarket.make(), seed: UInt64 = 1,
                    cacheMode: CallCacheMode = .off, budget: RunBudget? = nil, journal: InMemoryJournal = InMemoryJournal()) async throws -> InMemoryJournal.StoredRun {
        let options = ReplayOptions(seed: seed, cacheMode: cacheMode, budget: budget)
        let outcome = try await Orchestrator(scenario: market.0, data: market.1, policy: desk, journal: journal, options: options).run()
        return try await journal.run(outcome.run).orThrow()
    }

    static func desk(_ roles: [RoleDefinition] = [BuiltInRoles.newsAnalyst, BuiltInRoles.technicalAnalyst, BuiltInRoles.portfolioManager,
                                                  BuiltInRoles.executionTrader],
                     model: any LanguageModel, timeout: Duration = .seconds(30)) throws -> AgentDesk {
        try AgentDesk(definition: DeskDefinition(name: "test", callTimeout: timeout, roles: roles.map { DefinedRole($0) }),
                      models: ModelRoster(model))
    }
}

struct Missing: Error {}

extension Optional {
    func orThrow() throws -> Wrapped {
        guard let self else { throw Missing() }
        return self
    }
}

extension InMemoryJournal.StoredRun {
    var decisions: [DecisionRecord] { steps.flatMap(\.decisions) }
    var failures: [FailureRecord] { steps.flatMap(\.failures) }
    var riskEvents: [RiskEventRecord] { steps.flatMap(\.riskEvents) }
    var toolCalls: [ToolCallRecord] { steps.flatMap(\.toolCalls) }
    var modelCalls: [ModelCallRecord] { steps.flatMap(\.modelCalls) }
    var fills: [Fill] { steps.flatMap(\.fills) }
    var decisionSteps: [StepRecord] { steps.filter(\.isDecision) }

    /// The largest weight any symbol reached at a close, as a fraction of equity.
    var largestWeight: Double {
        steps.flatMap { step in step.positions.map { abs($0.marketValue) / step.equity.equity } }.max() ?? 0
    }
}

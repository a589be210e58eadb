import Foundation
import LanguageModel
import Market

/// A desk of agents: its roles in order, the model they think with by default, and the
/// settings of its model calls. Read from a desk file (``DeskFile``) or built in code.
public struct DeskDefinition: Sendable {
    public var name: String
    public var description: String
    /// The desk file it came from, if any.
    public var file: String?
    /// The model spec roles use unless they name their own (e.g. `smollm2`); nil for the caller's default.
    public var model: String?
    /// Symbols the desk trades and its roles cover; nil for the scenario's tradable symbols without the benchmark.
    public var universe: [String]?
    /// Longest a single model call may take.
    public var callTimeout: Duration
    /// The context window prompts are budgeted for, at most (tokens).
    public var contextTokens: Int
    /// Limits on a replay's model use (``RunBudget``); command-line flags override them.
    public var budget: RunBudget?
    /// Weight gaps smaller than this fraction of equity are left untraded (``TargetExecution/rebalanceBand``).
    public var rebalanceBand: Double
    /// The roles in desk order; stages run in stage order, roles of a stage in this order.
    public var roles: [any DeskRole]

    public init(name: String, description: String = "", file: String? = nil, model: String? = nil, universe: [String]? = nil,
                callTimeout: Duration = .seconds(120), contextTokens: Int = 2048, budget: RunBudget? = nil, rebalanceBand: Double = 0,
                roles: [any DeskRole]) {
        self.name = name
        self.description = description
        self.file = file
        self.model = model
        self.universe = universe
        self.callTimeout = callTimeout
        self.contextTokens = contextTokens
        self.budget = budget
        self.rebalanceBand = rebalanceBand
        self.roles = roles
    }

    /// The standard desk: news analyst, technical analyst, portfolio manager, execution trader.
    public static var standard: DeskDefinition {
        DeskDefinition(name: "default", description: "news and technical analysts, a portfolio manager and an execution trader",
                       roles: [BuiltInRoles.newsAnalyst, BuiltInRoles.technicalAnalyst, BuiltInRoles.portfolioManager, BuiltInRoles.executionTrader]
                        .map { DefinedRole($0) })
    }

    /// The roles' definitions in desk order.
    public var definitions: [RoleDefinition] { roles.map(\.definition) }

    /// The roles ordered as a step runs them: by stage, then in desk order.
    public var definitionsInStepOrder: [RoleDefinition] {
        definitions.enumerated().sorted { ($0.element.stage.order, $0.offset) < ($1.element.stage.order, $1.offset) }.map(\.element)
    }

    /// What makes the desk unusable, each problem in words a desk-file author can act on.
    public func problems(knownTools: Set<String>) -> [String] {
        var found: [String] = []
        let definitions = self.definitions
        if !RoleDefinition.isIdentifier(name.replacingOccurrences(of: "-", with: "_")) {
            found.append("desk name '\(name)' must be lower-case letters, digits, '-' and '_'")
        }
        var seen: Set<String> = []
        for definition in definitions where !seen.insert(definition.name).inserted {
            found.append("role \(definition.name) appears twice")
        }
        let deciders = definitions.filter { $0.stage == .decision }
        if deciders.count != 1 {
            found.append("a desk needs exactly one decision role (it has \(deciders.count): \(deciders.map(\.name).joined(separator: ", ")))")
        }
        let executors = definitions.filter { $0.stage == .execution }
        if executors.count > 1 {
            found.append("a desk has at most one execution role (it has \(executors.map(\.name).joined(separator: ", ")))")
        }
        for definition in definitions {
            found += definition.problems(knownTools: knownTools).map { "role \(definition.name): \($0)" }
            for input in definition.inputs {
                guard case let .reports(names?) = input else { continue }
                for reported in names {
                    guard let source = definitions.first(where: { $0.name == reported }) else {
                        found.append("role \(definition.name): reports of '\(reported)', which is not a role of this desk")
                        continue
                    }
                    if source.stage.order >= definition.stage.order {
                        found.append("role \(definition.name): '\(reported)' (\(source.stage.rawValue)) does not run before the \(definition.stage.rawValue) stage")
                    }
                }
            }
        }
        if contextTokens < 256 { found.append("context_tokens \(contextTokens) is too small for any prompt") }
        return found
    }
}

/// A desk that cannot run, with every reason.
public struct DeskDefinitionError: Error, Sendable, CustomStringConvertible {
    public var desk: String
    public var problems: [String]
    public var description: String { "desk \(desk): " + problems.joined(separator: "; ") }
}

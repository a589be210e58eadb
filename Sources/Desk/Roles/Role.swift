import Foundation
import LanguageModel

/// Where a role acts in a decision step. Stages run in this order; roles of the analysis stage
/// run concurrently, the others one after another in the desk's order.
public enum RoleStage: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reads point-in-time data and writes a report for later stages.
    case analysis
    /// States views and risk appetite; the desk sizes them into target weights.
    case decision
    /// Reads the targets (after the risk limits in code) and may approve, scale or veto them.
    case review
    /// Turns the approved move from the current book to the targets into orders.
    case execution

    /// Position of the stage in a decision step.
    public var order: Int { RoleStage.allCases.firstIndex(of: self)! }
}

/// What a role sees in its prompt. Each input is gathered by the desk before the prompt is
/// written, by calling the input's tool on the role's behalf (journalled as the role's tool call).
public enum RoleInput: Sendable, Hashable {
    /// Event notes public at the decision, from the last `days` calendar days, at most `maxItems`
    /// (newest first), about the role's symbols, the market, or both.
    case news(days: Int, scope: NewsScope, maxItems: Int)
    /// Indicator figures per symbol (returns, trend, RSI, volatility, drawdown).
    case indicators
    /// The last `sessions` closes and volumes of the role's symbols.
    case prices(sessions: Int)
    /// Daily close-to-close returns over the last `sessions`, per symbol.
    case returns(sessions: Int)
    /// The last `sessions` closes of any instrument in the scenario, tradable or not (an index, say).
    case series(symbols: [String], sessions: Int)
    /// The last `count` public values of macro series (rates, inflation); all the scenario's when nil.
    case macro(series: [String]?, count: Int)
    /// The outputs of earlier stages' roles (all of them, or the named ones).
    case reports(roles: [String]?)
    /// Cash, equity, positions and weights.
    case book
    /// Gross and net exposure, cash share, drawdown.
    case exposure
    /// Profit and loss per position.
    case pnl
    /// The move from the current book to the targets, with prices, volumes and caps (review and execution stages).
    case plan
    /// The role's own last valid output in this run.
    case memory

    public enum NewsScope: String, Sendable, Hashable, CaseIterable {
        /// Notes about the role's symbols and market-wide notes.
        case all
        /// Only notes that name one of the role's symbols.
        case symbols
        /// Only market-wide notes (no symbols named).
        case market
    }

    /// The input's name in desk files.
    public var name: String {
        switch self {
        case .news: return "news"
        case .indicators: return "indicators"
        case .prices: return "prices"
        case .returns: return "returns"
        case .series: return "series"
        case .macro: return "macro"
        case .reports: return "reports"
        case .book: return "book"
        case .exposure: return "exposure"
        case .pnl: return "pnl"
        case .plan: return "plan"
        case .memory: return "memory"
        }
    }

    /// The tool the desk calls to gather this input, or nil when the desk provides it itself.
    public var tool: String? {
        switch self {
        case .news: return ToolName.news
        case .macro: return ToolName.macro
        case .indicators: return ToolName.indicators
        case .prices, .series: return ToolName.prices
        case .returns: return ToolName.returns
        case .book: return ToolName.book
        case .exposure: return ToolName.exposure
        case .pnl: return ToolName.pnl
        case .reports, .plan, .memory: return nil
        }
    }

    /// Every input name a desk file may use.
    public static let names = ["news", "indicators", "prices", "returns", "series", "macro", "reports", "book", "exposure", "pnl", "plan", "memory"]
}

/// What the desk does when a role cannot give a valid output (model error, timeout, invalid
/// output, budget breach). Always journalled as a failure naming the fallback.
public enum RoleFallback: String, Sendable, Hashable, CaseIterable {
    /// Analysis: later stages see "unavailable" instead of the report.
    case omit
    /// Decision: no targets; the book is kept as it is.
    case keepBook = "keep_book"
    /// Decision: size with no views (every tilt zero, full risk appetite).
    case neutralViews = "neutral_views"
    /// Decision: equal weights across the desk's universe.
    case equalWeight = "equal_weight"
    /// Review: the targets pass unchanged.
    case approve
    /// Review: the move is vetoed; the book is kept.
    case veto
    /// Execution: market orders for the whole move (the code's default execution).
    case marketOrders = "market_orders"
    /// Execution: no orders are sent.
    case noOrders = "no_orders"

    /// The fallbacks that make sense for a stage; the first is the default.
    public static func allowed(for stage: RoleStage) -> [RoleFallback] {
        switch stage {
        case .analysis: return [.omit]
        case .decision: return [.keepBook, .neutralViews, .equalWeight]
        case .review: return [.approve, .veto]
        case .execution: return [.marketOrders, .noOrders]
        }
    }
}

/// A role of the desk: its stage, instruction, inputs, the tools it may call, and the schema of
/// its output. Built-in roles are values of this type (``BuiltInRoles``); desk files define more.
public struct RoleDefinition: Sendable, Hashable {
    /// Identifier, e.g. `news_analyst`; the journal names the role by it.
    public var name: String
    public var stage: RoleStage
    /// What the role is asked to do: the system prompt, before the output format.
    public var instruction: String
    public var inputs: [RoleInput]
    /// The only tools the desk calls on this role's behalf.
    public var tools: [String]
    /// The output's shape. A string enum of exactly `["$symbols"]` stands for the role's symbols.
    public var output: OutputSchema
    /// The symbols the role covers; nil for the desk's universe.
    public var symbols: [String]?
    /// The model this role thinks with (a model spec such as `smollm2`); nil for the desk's model.
    public var model: String?
    public var sampling: SamplingSettings
    public var fallback: RoleFallback
    /// One line for listings.
    public var summary: String

    public init(name: String, stage: RoleStage, instruction: String, inputs: [RoleInput], tools: [String], output: OutputSchema,
                symbols: [String]? = nil, model: String? = nil, sampling: SamplingSettings = SamplingSettings(maxTokens: 160),
                fallback: RoleFallback? = nil, summary: String = "") {
        self.name = name
        self.stage = stage
        self.instruction = instruction
        self.inputs = inputs
        self.tools = tools
        self.output = output
        self.symbols = symbols
        self.model = model
        self.sampling = sampling
        self.fallback = fallback ?? RoleFallback.allowed(for: stage)[0]
        self.summary = summary
    }

    /// Problems that make the role unusable, in words a desk-file author can act on (empty when fine).
    public func problems(knownTools: Set<String>) -> [String] {
        var found: [String] = []
        if !RoleDefinition.isIdentifier(name) {
            found.append("role name '\(name)' must be lower-case letters, digits and underscores, starting with a letter")
        }
        if instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { found.append("the instruction is empty") }
        for tool in tools where !knownTools.contains(tool) {
            found.append("unknown tool '\(tool)'; known tools: \(knownTools.sorted().joined(separator: ", "))")
        }
        for input in inputs {
            if let tool = input.tool, !tools.contains(tool) {
                found.append("input '\(input.name)' is gathered with the tool '\(tool)', which the role does not list in its tools")
            }
            if input == .plan, stage == .analysis || stage == .decision {
                found.append("input 'plan' exists only for review and execution roles")
            }
        }
        if !RoleFallback.allowed(for: stage).contains(fallback) {
            found.append("fallback '\(fallback.rawValue)' does not apply to the \(stage.rawValue) stage; use one of: \(RoleFallback.allowed(for: stage).map(\.rawValue).joined(separator: ", "))")
        }
        if case .object = output {} else { found.append("the output schema must be an object") }
        if let problem = StageContract.problem(with: output, stage: stage) { found.append(problem) }
        if sampling.maxTokens < 8 { found.append("max_tokens \(sampling.maxTokens) leaves no room for an answer") }
        return found
    }

    /// The tools that read the market up to the decision and nothing of the desk's own state.
    public static let marketTools: Set<String> = [ToolName.prices, ToolName.returns, ToolName.indicators, ToolName.news, ToolName.macro]

    /// True for an analysis role whose inputs and tools read the market alone (and its own last
    /// answer): its work at a decision does not depend on the book, a plan or other roles.
    public var readsMarketOnly: Bool {
        guard stage == .analysis, Set(tools).isSubset(of: RoleDefinition.marketTools) else { return false }
        return inputs.allSatisfy { input in
            switch input {
            case .news, .indicators, .prices, .returns, .series, .macro, .memory: return true
            case .reports, .book, .exposure, .pnl, .plan: return false
            }
        }
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

extension OutputSchema {
    /// The placeholder that a string enum uses for "one of the role's symbols".
    public static let symbolsPlaceholder = "$symbols"

    /// A string that must be one of the role's symbols.
    public static var symbol: OutputSchema { .choice([symbolsPlaceholder]) }

    /// The schema with every `["$symbols"]` enum replaced by `symbols`.
    public func expandingSymbols(_ symbols: [String]) -> OutputSchema {
        switch self {
        case let .object(properties, required):
            return .object(properties: properties.map { Property($0.name, $0.schema.expandingSymbols(symbols), description: $0.description) }, required: required)
        case let .string(choices, minLength, maxLength):
            if let choices, choices.contains(OutputSchema.symbolsPlaceholder) {
                var expanded: [String] = []
                for choice in choices {
                    if choice == OutputSchema.symbolsPlaceholder { expanded += symbols } else { expanded.append(choice) }
                }
                return .string(choices: expanded, minLength: minLength, maxLength: maxLength)
            }
            return self
        case let .array(items, minItems, maxItems):
            return .array(items: items.expandingSymbols(symbols), minItems: minItems, maxItems: maxItems)
        case .number, .integer, .boolean:
            return self
        }
    }
}

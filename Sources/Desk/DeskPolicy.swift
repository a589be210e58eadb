import Exchange
import JournalRecords
import LanguageModel
import Market

/// The book as a desk sees it at a decision: read-only figures at the session's close.
public struct BookView: Sendable, Hashable {
    public var cash: Double
    public var equity: Double
    /// Open positions by symbol.
    public var positions: [String: Position]
    /// Orders still working at the exchange.
    public var openOrders: [Order]

    public init(cash: Double, equity: Double, positions: [String: Position], openOrders: [Order]) {
        self.cash = cash
        self.equity = equity
        self.positions = positions
        self.openOrders = openOrders
    }

    public init(ledger: Ledger, openOrders: [Order]) {
        self.init(cash: ledger.cash, equity: ledger.equity, positions: ledger.positions, openOrders: openOrders)
    }

    /// Weight of `symbol` in equity at the last marks.
    public func weight(of symbol: String) -> Double {
        guard equity > 0, let position = positions[symbol] else { return 0 }
        return position.marketValue / equity
    }
}

/// How model calls use the journal's content-addressed call cache.
public enum CallCacheMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Serve a call from the cache when its key is there; call the model otherwise.
    case reuse
    /// Always call the model (and store the new completion).
    case refresh
    /// Always call the model; do not look in the cache.
    case off
}

/// Everything a desk may use to decide after the close of ``day``.
public struct DecisionContext: Sendable {
    public let scenario: Scenario
    public let day: Day
    /// Index of the session within the run.
    public let stepIndex: Int
    /// Index of this decision among the run's decisions (0 for the first).
    public let decisionIndex: Int
    /// Point-in-time data: nothing after ``day``'s close.
    public let feed: PointInTimeFeed
    public let book: BookView
    /// The run's seed; derive per-role seeds with ``SeededRandom/derive(_:_:)``.
    public let seed: UInt64
    /// The run being written.
    public let run: RunID
    /// The journal, for looking up cached model calls (``Journaling/cachedCompletion(forKey:)``).
    public let journal: any Journaling
    /// How model calls of this decision use the cache. A resumed run re-decides its committed
    /// steps with `.reuse`, so they are served from the journal rather than the model.
    public let cacheMode: CallCacheMode
    /// What the run may still spend on model calls; nil for no limits.
    public let budget: BudgetMeter?

    public init(scenario: Scenario, day: Day, stepIndex: Int, decisionIndex: Int, feed: PointInTimeFeed, book: BookView, seed: UInt64,
                run: RunID, journal: any Journaling, cacheMode: CallCacheMode = .reuse, budget: BudgetMeter? = nil) {
        self.scenario = scenario
        self.day = day
        self.stepIndex = stepIndex
        self.decisionIndex = decisionIndex
        self.feed = feed
        self.book = book
        self.seed = seed
        self.run = run
        self.journal = journal
        self.cacheMode = cacheMode
        self.budget = budget
    }
}

/// Target weights: fraction of equity per symbol (negative for shorts); symbols not listed go to zero.
public struct TargetWeights: Sendable, Hashable, Codable {
    public var weights: [String: Double]
    public init(_ weights: [String: Double]) { self.weights = weights }

    // Sums run in symbol order: a dictionary's order varies between instances, and so would the last bit of a sum.
    public var gross: Double { weights.keys.sorted().reduce(0) { $0 + abs(weights[$1]!) } }
    public var net: Double { weights.keys.sorted().reduce(0) { $0 + weights[$1]! } }

    public var json: JSONValue {
        .object(weights.keys.sorted().map { JSONValue.Member($0, .number(weights[$0]!)) })
    }
}

/// An open order to cancel and replace with another in one atomic step (see ``MockExchange/replace(_:with:on:lastClose:)``).
public struct OrderReplacement: Sendable, Hashable {
    public var order: OrderID
    /// What remains to trade: same symbol and side, new quantity, price or time in force.
    public var request: OrderRequest
    public init(order: OrderID, request: OrderRequest) {
        self.order = order
        self.request = request
    }
}

/// What a desk proposes at a decision, and the record of how it got there.
///
/// The orchestrator sends it to the exchange in this order: cancellations, replacements, the orders
/// that carry out the targets (sells first) and the explicit orders, then the tickets.
///
/// Only ``targets`` pass through the risk limits and the desk's execution stage, whose orders are
/// checked against the plan in code (``OrderChecks``). ``orders``, ``tickets`` and ``replacements``
/// meet the exchange's own rules only (cash, short sales, prices): they are for desks whose orders
/// come from code (rule desks). A desk that lets a model choose orders must route them through
/// ``DeskPolicy/execute(_:plan:)``, as ``AgentDesk`` does.
public struct DeskProposal: Sendable {
    /// A portfolio to move to. Risk limits clip it, execution turns it into orders.
    public var targets: TargetWeights?
    /// Explicit orders from code (rule desks that trade fixed stakes). Not checked against the risk limits.
    public var orders: [OrderRequest]
    /// Orders in their wire form; the exchange validates them (a malformed ticket is a journalled rejection).
    /// Not checked against the risk limits.
    public var tickets: [OrderTicket]
    /// Open orders to cancel.
    public var cancellations: [OrderID]
    /// Open orders to replace, each atomically (journalled as `replaced` and a new order).
    public var replacements: [OrderReplacement]
    /// Model calls, tool calls, decisions, risk events and failures, for the journal.
    public var activity: StepActivity
    /// What the desk's roles concluded so far, handed back to the desk's ``DeskPolicy/execute(_:plan:)``
    /// (through ``ExecutionPlan/proposal``) so that review and execution roles can read them.
    public var reports: [RoleReport]

    public init(targets: TargetWeights? = nil, orders: [OrderRequest] = [], cancellations: [OrderID] = [], activity: StepActivity = StepActivity(),
                reports: [RoleReport] = [], tickets: [OrderTicket] = [], replacements: [OrderReplacement] = []) {
        self.targets = targets
        self.orders = orders
        self.tickets = tickets
        self.cancellations = cancellations
        self.replacements = replacements
        self.activity = activity
        self.reports = reports
    }

    /// Keep the current book: no targets, no orders.
    public static var keepBook: DeskProposal { DeskProposal() }
}

/// The agents' side of a step's journal records, in the order they happened.
public struct StepActivity: Sendable, Hashable {
    public enum Entry: Sendable, Hashable {
        case modelCall(ModelCallRecord)
        case toolCall(ToolCallRecord)
        case decision(DecisionRecord)
        case riskEvent(RiskEventRecord)
        case failure(FailureRecord)
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func record(_ call: ModelCallRecord) { entries.append(.modelCall(call)) }
    public mutating func record(_ call: ToolCallRecord) { entries.append(.toolCall(call)) }
    public mutating func record(_ decision: DecisionRecord) { entries.append(.decision(decision)) }
    public mutating func record(_ event: RiskEventRecord) { entries.append(.riskEvent(event)) }
    public mutating func record(_ failure: FailureRecord) { entries.append(.failure(failure)) }

    /// Appends another activity's entries after this one's.
    public mutating func append(_ other: StepActivity) { entries += other.entries }

    public var failures: [FailureRecord] { entries.compactMap { if case let .failure(f) = $0 { return f }; return nil } }
    public var riskEvents: [RiskEventRecord] { entries.compactMap { if case let .riskEvent(r) = $0 { return r }; return nil } }
    public var decisions: [DecisionRecord] { entries.compactMap { if case let .decision(d) = $0 { return d }; return nil } }
    public var modelCalls: [ModelCallRecord] { entries.compactMap { if case let .modelCall(m) = $0 { return m }; return nil } }
    public var toolCalls: [ToolCallRecord] { entries.compactMap { if case let .toolCall(t) = $0 { return t }; return nil } }

    /// Copies the entries into a step record, numbering them in order so the step reads as one chain.
    public func write(into step: inout StepRecord) {
        for (sequence, entry) in entries.enumerated() {
            switch entry {
            case var .modelCall(r): r.sequence = sequence; step.modelCalls.append(r)
            case var .toolCall(r): r.sequence = sequence; step.toolCalls.append(r)
            case var .decision(r): r.sequence = sequence; step.decisions.append(r)
            case var .riskEvent(r): r.sequence = sequence; step.riskEvents.append(r)
            case var .failure(r): r.sequence = sequence; step.failures.append(r)
            }
        }
    }
}

/// Whatever decides at each decision step: a rule desk, or a desk of language-model agents.
///
/// The orchestrator calls ``decide(_:)`` once per decision day, after the close, and does the
/// rest itself: risk limits, execution, the exchange, the ledger and the journal. When the
/// proposal has targets, the orchestrator clips them to the risk limits, works out the orders
/// that reach them, and hands that plan to ``execute(_:plan:)`` (a review and an execution
/// stage); the orders that come back are checked against the plan in code before they are sent.
/// A policy that throws is journalled as a failure and the book is kept.
public protocol DeskPolicy: Sendable {
    /// The desk's name as runs record it (e.g. `buy-and-hold`, `default`).
    var name: String { get }
    /// Models the desk uses, by role ("*" for the default); empty for rule desks.
    var models: [String: ModelDescriptor] { get }
    /// The desk's agents, recorded in the journal's `agents` table when a run begins.
    var agentRecords: [AgentRecord] { get }
    /// Weight gaps smaller than this fraction of equity are left untraded (``TargetExecution``); 0 by default.
    var rebalanceBand: Double { get }
    func decide(_ context: DecisionContext) async throws -> DeskProposal
    /// Turns the plan (targets after the risk limits, and the code's orders for them) into the
    /// orders to send. The default sends the plan's orders unchanged.
    func execute(_ context: DecisionContext, plan: ExecutionPlan) async throws -> ExecutionProposal
}

extension DeskPolicy {
    public var models: [String: ModelDescriptor] { [:] }
    public var rebalanceBand: Double { 0 }

    public func execute(_ context: DecisionContext, plan: ExecutionPlan) async throws -> ExecutionProposal {
        ExecutionProposal(orders: plan.orders)
    }
    /// One agent named after the desk, at the decision stage, with the desk's default model if any.
    public var agentRecords: [AgentRecord] { [AgentRecord(role: name, stage: "decision", model: models["*"])] }
}

import Exchange
import Foundation
import JournalRecords
import LanguageModel
import Market

/// The names of the standard tools, as roles list them.
public enum ToolName {
    public static let prices = "prices"
    public static let returns = "returns"
    public static let indicators = "indicators"
    public static let news = "news"
    public static let macro = "macro"
    public static let optimizer = "optimizer"
    public static let submitOrder = "submit_order"
    public static let cancelOrder = "cancel_order"
    public static let orderStatus = "order_status"
    public static let book = "book"
    public static let pnl = "pnl"
    public static let exposure = "exposure"

    /// The order API's tools.
    public static let orderAPI = [submitOrder, cancelOrder, orderStatus]
}

/// Something an agent can use to read the world or act on it: point-in-time data, the optimiser,
/// the order API, the portfolio. Typed input and output; the desk journals every call with both
/// as JSON, its duration and any error.
public protocol Tool: Sendable {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable
    /// The name roles list in their `tools`.
    var name: String { get }
    /// One line for `desk roles` listings.
    var summary: String { get }
    func run(_ input: Input, context: ToolContext) async throws -> Output
}

/// What a tool may touch at a decision: the point-in-time feed, the book, and the desk's blotter.
public struct ToolContext: Sendable {
    public let decision: DecisionContext
    /// The desk's universe at this decision.
    public let universe: [String]
    /// Orders and cancellations the order API's tools collected; the orchestrator checks and sends them.
    public let blotter: OrderBlotter

    public init(decision: DecisionContext, universe: [String], blotter: OrderBlotter = OrderBlotter()) {
        self.decision = decision
        self.universe = universe
        self.blotter = blotter
    }

    /// The point-in-time feed, seen as any ``MarketFeed`` so that tools work unchanged on a blind feed.
    public var feed: any MarketFeed { decision.feed }
    public var book: BookView { decision.book }
    public var day: Day { decision.day }
}

/// The orders and cancellations a desk's roles asked for during one decision, in call order.
///
/// Nothing here reaches the exchange directly: the orchestrator checks the orders against the
/// plan and the limits, then submits them after the close.
public actor OrderBlotter {
    public private(set) var orders: [OrderRequest] = []
    public private(set) var cancellations: [OrderID] = []

    public init() {}

    /// Queues an order; returns its ticket number within this decision (1-based).
    func queue(_ order: OrderRequest) -> Int {
        orders.append(order)
        return orders.count
    }

    /// Queues a cancellation; false when it was already queued.
    func queueCancellation(_ id: OrderID) -> Bool {
        guard !cancellations.contains(id) else { return false }
        cancellations.append(id)
        return true
    }
}

/// A tool behind JSON: what the registry holds, so tools can be listed, permitted and called by name.
public struct AnyTool: Sendable {
    public let name: String
    public let summary: String
    private let invoke: @Sendable (JSONValue, ToolContext) async throws -> JSONValue

    public init<T: Tool>(_ tool: T) {
        name = tool.name
        summary = tool.summary
        invoke = { input, context in
            let typed = try ToolJSON.decode(T.Input.self, from: input, tool: tool.name)
            return try ToolJSON.encode(try await tool.run(typed, context: context))
        }
    }

    public func call(_ input: JSONValue, context: ToolContext) async throws -> JSONValue {
        try await invoke(input, context)
    }
}

/// The tools a desk offers, by name. Roles may call only the ones they list.
public struct ToolRegistry: Sendable {
    public private(set) var tools: [String: AnyTool] = [:]

    public init() {}

    /// The standard tools: data (prices, returns, indicators, news, macro), the optimiser, the order API
    /// and the portfolio.
    public static func standard(constructor: any PortfolioConstructor = OptimizerConstructor(),
                                indicators: any IndicatorSource = FeedIndicators()) -> ToolRegistry {
        var registry = ToolRegistry()
        registry.register(PricesTool())
        registry.register(ReturnsTool())
        registry.register(IndicatorsTool(source: indicators))
        registry.register(NewsTool())
        registry.register(MacroTool())
        registry.register(SizingTool(constructor: constructor))
        registry.register(SubmitOrderTool())
        registry.register(CancelOrderTool())
        registry.register(OrderStatusTool())
        registry.register(BookTool())
        registry.register(PnLTool())
        registry.register(ExposureTool())
        return registry
    }

    /// Adds a tool, replacing any tool of the same name.
    public mutating func register<T: Tool>(_ tool: T) { tools[tool.name] = AnyTool(tool) }

    public var names: [String] { tools.keys.sorted() }

    public func tool(named name: String) -> AnyTool? { tools[name] }
}

/// A tool call the desk would not make or that went wrong, as the calling code sees it.
public struct ToolCallError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The role does not list the tool.
        case refused = "tool_refused"
        /// The tool is not registered.
        case unknownTool = "unknown_tool"
        /// The request reached past the simulation clock.
        case lookAhead = "look_ahead"
        /// The tool failed (bad input, unknown symbol, solver trouble, …).
        case failed = "tool_error"
    }
    public var kind: Kind
    public var message: String
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// One role's access to the tools during one decision: checks permissions and journals every
/// call (input, output, duration, error) as the role's tool call, refusals and look-ahead
/// requests as failures too.
public struct RoleToolbox: Sendable {
    public let role: String
    public let allowed: Set<String>
    public let registry: ToolRegistry
    public let context: ToolContext
    /// The calls made so far, with any failures, in order.
    public private(set) var activity = StepActivity()

    public init(role: String, allowed: some Sequence<String>, registry: ToolRegistry, context: ToolContext) {
        self.role = role
        self.allowed = Set(allowed)
        self.registry = registry
        self.context = context
    }

    /// Calls the tool `name` with JSON input. Every outcome is journalled; errors are also thrown.
    public mutating func call(_ name: String, _ input: JSONValue, fallback: String = "input omitted") async throws -> JSONValue {
        let start = ContinuousClock.now
        func seconds() -> Double { let d = ContinuousClock.now - start; return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        guard allowed.contains(name) else {
            let error = ToolCallError(kind: .refused, message: "role \(role) may not call \(name); it may call: \(allowed.sorted().joined(separator: ", "))")
            fail(name, input, error, seconds: 0, fallback: fallback)
            throw error
        }
        guard let tool = registry.tool(named: name) else {
            let error = ToolCallError(kind: .unknownTool, message: "no tool named \(name); known: \(registry.names.joined(separator: ", "))")
            fail(name, input, error, seconds: 0, fallback: fallback)
            throw error
        }
        do {
            let output = try await tool.call(input, context: context)
            activity.record(ToolCallRecord(role: role, tool: name, input: input, output: output, error: nil, durationSeconds: seconds()))
            return output
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as FeedError where error.kind == .lookAhead {
            let refusal = ToolCallError(kind: .lookAhead, message: error.message)
            fail(name, input, refusal, seconds: seconds(), fallback: fallback)
            throw refusal
        } catch let error as ToolCallError {
            fail(name, input, error, seconds: seconds(), fallback: fallback)
            throw error
        } catch {
            let failure = ToolCallError(kind: .failed, message: String(describing: error))
            fail(name, input, failure, seconds: seconds(), fallback: fallback)
            throw failure
        }
    }

    /// Calls a typed tool; the role must list the tool's name.
    public mutating func call<T: Tool>(_ tool: T, _ input: T.Input, fallback: String = "input omitted") async throws -> T.Output {
        let json: JSONValue
        do { json = try ToolJSON.encode(input) } catch {
            throw ToolCallError(kind: .failed, message: "cannot encode the input of \(tool.name): \(error)")
        }
        let output = try await call(tool.name, json, fallback: fallback)
        return try ToolJSON.decode(T.Output.self, from: output, tool: tool.name)
    }

    /// Calls the tool `name` with an encodable input and decodes its output (for tools whose
    /// contract is their JSON, such as `optimizer`, which other modules may provide).
    public mutating func call<Input: Encodable, Output: Decodable>(_ name: String, _ input: Input, as output: Output.Type,
                                                                   fallback: String = "input omitted") async throws -> Output {
        let json: JSONValue
        do { json = try ToolJSON.encode(input) } catch {
            throw ToolCallError(kind: .failed, message: "cannot encode the input of \(name): \(error)")
        }
        let result = try await call(name, json, fallback: fallback)
        do {
            return try ToolJSON.decode(Output.self, from: result, tool: name)
        } catch {
            let failure = ToolCallError(kind: .failed, message: "the output of \(name) does not fit: \(error)")
            activity.record(FailureRecord(role: role, kind: failure.kind.rawValue, message: failure.message, fallback: fallback))
            throw failure
        }
    }

    private mutating func fail(_ name: String, _ input: JSONValue, _ error: ToolCallError, seconds: Double, fallback: String) {
        activity.record(ToolCallRecord(role: role, tool: name, input: input, output: nil, error: error.description, durationSeconds: seconds))
        activity.record(FailureRecord(role: role, kind: error.kind.rawValue, message: error.message, fallback: fallback))
    }
}

/// Converts tool inputs and outputs between Swift values and JSON (snake_case keys, sorted).
public enum ToolJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        return try JSONValue(parsing: String(decoding: data, as: UTF8.self))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from json: JSONValue, tool: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(json.compactText.utf8))
        } catch let error as DecodingError {
            throw ToolCallError(kind: .failed, message: "input to \(tool) does not fit: \(ToolJSON.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "$" : "$" + keys
        }
        switch error {
        case let .keyNotFound(key, context): return "\(path(context)): missing '\(key.stringValue)'"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}

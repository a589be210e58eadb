import LanguageModel
import Market

/// What a role concluded at a step, as later stages read it.
public struct RoleReport: Sendable, Hashable {
    public var role: String
    public var stage: RoleStage
    /// The validated output, or what the fallback produced (nil when the fallback omits it).
    public var output: JSONValue?
    public var rationale: String?
    public var isFallback: Bool
    /// Why the role has no valid output, when it has none (e.g. `timeout: …`).
    public var failure: String?

    /// The output of an analysis role that was not asked because it had nothing to read.
    public static let nothingToRead = JSONValue.object([.init("nothing_to_read", .bool(true))])

    public init(role: String, stage: RoleStage, output: JSONValue?, rationale: String?, isFallback: Bool, failure: String? = nil) {
        self.role = role
        self.stage = stage
        self.output = output
        self.rationale = rationale
        self.isFallback = isFallback
        self.failure = failure
    }
}

/// What a role is looking at when it is asked: the decision, its symbols, what earlier stages
/// concluded, and for review and execution roles the plan.
public struct RoleSituation: Sendable {
    public let context: DecisionContext
    /// The symbols this role covers at this decision.
    public let symbols: [String]
    /// Reports of the roles that ran before this one in this step, in the desk's order.
    public let reports: [RoleReport]
    /// The move to the targets (review and execution stages only).
    public let plan: ExecutionPlan?
    /// The role's own last valid output in this run, if any.
    public let memory: (day: Day, output: JSONValue)?

    public init(context: DecisionContext, symbols: [String], reports: [RoleReport], plan: ExecutionPlan?, memory: (day: Day, output: JSONValue)?) {
        self.context = context
        self.symbols = symbols
        self.reports = reports
        self.plan = plan
        self.memory = memory
    }
}

/// A role the desk can run. ``DefinedRole`` covers roles that are only a definition (built-ins and
/// desk-file roles); a Swift type conforming to this protocol can add inputs of its own (gathered
/// with the role's toolbox, so permissions and the journal still apply) or write its own prompt.
/// Register it in a ``RoleRegistry`` and desk files can list it by name.
public protocol DeskRole: Sendable {
    var definition: RoleDefinition { get }
    /// Prompt sections beyond the declared inputs. The default adds none.
    func extraSections(_ toolbox: inout RoleToolbox, situation: RoleSituation) async throws -> [PromptSection]
    /// The conversation the model receives. The default is ``PromptWriter/messages(_:)``.
    func messages(_ prompt: RolePrompt) -> [ChatMessage]
    /// True when the role's work at a decision depends on the market up to that decision alone
    /// (never on the book, the plan or other roles), so the desk may do it ahead, while the
    /// previous decision is still being made (see ``AgentDesk``). False by default: a Swift role
    /// could read anything its situation holds; ``DefinedRole`` answers from its definition.
    var readsMarketOnly: Bool { get }
}

extension DeskRole {
    public var readsMarketOnly: Bool { false }
    public func extraSections(_ toolbox: inout RoleToolbox, situation: RoleSituation) async throws -> [PromptSection] { [] }
    public func messages(_ prompt: RolePrompt) -> [ChatMessage] { PromptWriter().messages(prompt) }
}

/// A role that is just its definition.
public struct DefinedRole: DeskRole {
    public var definition: RoleDefinition
    public init(_ definition: RoleDefinition) { self.definition = definition }
    public var readsMarketOnly: Bool { definition.readsMarketOnly }
}

/// The roles desk files can name, by name: the built-ins plus any registered Swift roles.
public struct RoleRegistry: Sendable {
    private var roles: [String: any DeskRole] = [:]
    /// Names in registration order.
    public private(set) var names: [String] = []

    public init() {}

    /// The built-in roles (``BuiltInRoles``).
    public static var builtIn: RoleRegistry {
        var registry = RoleRegistry()
        for definition in BuiltInRoles.all { try! registry.register(DefinedRole(definition)) }
        return registry
    }

    /// Adds a role; a second role with the same name is an error.
    public mutating func register(_ role: any DeskRole) throws {
        let name = role.definition.name
        guard roles[name] == nil else {
            throw RoleRegistryError(message: "a role named \(name) is already registered")
        }
        roles[name] = role
        names.append(name)
    }

    public func role(named name: String) -> (any DeskRole)? { roles[name] }
}

public struct RoleRegistryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

import Foundation
import InputFiles
import LanguageModel

/// Reads desk files (`scenarios/desks/*.yaml`): the roles of a desk, by name or defined in place.
///
/// ```yaml
/// name: macro
/// description: the default desk plus a macro analyst
/// model: smollm2            # optional; `desk replay --model` overrides it
/// call_timeout: 60s         # per model call
/// fallback: keep_book       # the decision role's fallback unless it names its own
/// rebalance_band: 0.01      # weight gaps under 1 % of equity are not traded (default 0)
/// roles:
///   - news_analyst                        # a registered role, as it is
///   - use: technical_analyst              # a registered role with overrides
///     sampling: {max_tokens: 96}
///   - name: macro_analyst                 # a role defined here
///     stage: analysis
///     instruction: You are the macro analyst …
///     inputs: [{macro: {series: [treasury_10y_yield], count: 10}}, {news: {scope: market}}]
///     tools: [macro, news]
///     output_schema: {type: object, properties: {…}, required: […]}
///   - portfolio_manager
///   - execution_trader
/// ```
///
/// Unknown keys, wrong types and impossible values are ``InputError``s naming the file, line and key.
public enum DeskFile {
    /// The top-level keys.
    static let deskKeys = ["name", "description", "model", "universe", "call_timeout", "context_tokens", "budget", "fallback", "rebalance_band", "roles"]

    public static func load(path: String, registry: RoleRegistry = .builtIn, knownTools: Set<String> = Set(ToolRegistry.standard().names)) throws -> DeskDefinition {
        try read(YAMLValue.read(path: path), registry: registry, knownTools: knownTools)
    }

    public static func parse(_ text: String, file: String, registry: RoleRegistry = .builtIn,
                             knownTools: Set<String> = Set(ToolRegistry.standard().names)) throws -> DeskDefinition {
        try read(YAMLValue.parse(Data(text.utf8), file: file), registry: registry, knownTools: knownTools)
    }

    static func read(_ root: YAMLValue, registry: RoleRegistry, knownTools: Set<String>) throws -> DeskDefinition {
        var fields = try root.mapping()
        let name = try fields.required("name").string()
        let description = try fields.optional("description")?.string() ?? ""
        let model = try fields.optional("model")?.string()
        let universe = try fields.optional("universe").map { try $0.list().map { try $0.string() } }
        let timeout = try fields.optional("call_timeout").map(duration) ?? .seconds(120)
        let contextTokens = try fields.optional("context_tokens").map { value -> Int in
            let n = try value.int()
            guard n >= 256 else { throw value.error("context_tokens \(n) is too small", remedy: "use at least 256 (the default is 2048)") }
            return n
        } ?? 2048
        var budget: RunBudget?
        if let value = try fields.optional("budget") {
            var keys = try value.mapping()
            budget = RunBudget(maxCalls: try keys.optional("max_calls").map(positiveInt),
                               maxTokens: try keys.optional("max_tokens").map(positiveInt),
                               maxCompletionTokens: try keys.optional("max_completion_tokens").map(positiveInt),
                               maxWallTime: try keys.optional("max_wall_time").map(duration))
            try keys.finish()
        }
        let deskFallback = try fields.optional("fallback").map { try fallback($0, stage: .decision) }
        let rebalanceBand = try fields.optional("rebalance_band").map { value -> Double in
            let band = try value.double()
            guard band >= 0, band < 0.5 else {
                throw value.error("rebalance_band \(band) is not a fraction of equity below 0.5", remedy: "write e.g. 0.01 for 1 %")
            }
            return band
        } ?? 0
        let rolesValue = try fields.required("roles")
        try fields.finish()

        var roles: [any DeskRole] = []
        for item in try rolesValue.list() {
            var role = try self.role(item, registry: registry, knownTools: knownTools)
            if let deskFallback, role.definition.stage == .decision, !role.fallbackWasSet {
                role = role.with { $0.fallback = deskFallback }
            }
            roles.append(role.role)
        }
        let definition = DeskDefinition(name: name, description: description, file: root.file, model: model, universe: universe,
                                        callTimeout: timeout, contextTokens: contextTokens, budget: budget, rebalanceBand: rebalanceBand, roles: roles)
        let problems = definition.problems(knownTools: knownTools)
        if !problems.isEmpty {
            throw rolesValue.error(problems.joined(separator: "; "), remedy: "see README.md, \"Add a role\"")
        }
        return definition
    }

    /// A role read from a `roles` entry, and whether the entry set its fallback.
    struct ReadRole {
        var role: any DeskRole
        var fallbackWasSet: Bool
        var definition: RoleDefinition { role.definition }
        func with(_ change: (inout RoleDefinition) -> Void) -> ReadRole {
            var definition = role.definition
            change(&definition)
            return ReadRole(role: OverriddenRole(base: role, definition: definition), fallbackWasSet: fallbackWasSet)
        }
    }

    static func role(_ item: YAMLValue, registry: RoleRegistry, knownTools: Set<String>) throws -> ReadRole {
        if (try? item.mapping()) == nil {
            let name = try item.string()
            guard let role = registry.role(named: name) else {
                throw item.error("unknown role '\(name)'", remedy: "registered roles: \(registry.names.joined(separator: ", ")); or define it here with name, stage, instruction, inputs, tools and output_schema")
            }
            return ReadRole(role: role, fallbackWasSet: false)
        }
        var fields = try item.mapping()
        if let base = try fields.optional("use") {
            let name = try base.string()
            guard let role = registry.role(named: name) else {
                throw base.error("unknown role '\(name)'", remedy: "registered roles: \(registry.names.joined(separator: ", "))")
            }
            var definition = role.definition
            let fallbackValue = try fields.optional("fallback")
            try applyOverrides(&fields, to: &definition)
            if let fallbackValue { definition.fallback = try fallback(fallbackValue, stage: definition.stage) }
            try fields.finish()
            try check(definition, at: item, knownTools: knownTools)
            return ReadRole(role: OverriddenRole(base: role, definition: definition), fallbackWasSet: fallbackValue != nil)
        }
        let name = try fields.required("name").string()
        let stageValue = try fields.required("stage")
        guard let stage = RoleStage(rawValue: try stageValue.string()) else {
            throw stageValue.error("unknown stage '\(try stageValue.string())'", remedy: "use one of: \(RoleStage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let instruction = try fields.required("instruction").string()
        let inputs = try fields.optional("inputs").map { try $0.list().map(input) } ?? []
        let tools = try fields.optional("tools").map { try $0.list().map { try $0.string() } } ?? []
        let output = try schema(fields.required("output_schema"))
        let summary = try fields.optional("summary")?.string() ?? ""
        let fallbackValue = try fields.optional("fallback")
        var definition = RoleDefinition(name: name, stage: stage, instruction: instruction, inputs: inputs, tools: tools, output: output,
                                        sampling: SamplingSettings(maxTokens: 160), summary: summary)
        try applyOverrides(&fields, to: &definition)
        if let fallbackValue { definition.fallback = try fallback(fallbackValue, stage: stage) }
        try fields.finish()
        try check(definition, at: item, knownTools: knownTools)
        return ReadRole(role: DefinedRole(definition), fallbackWasSet: fallbackValue != nil)
    }

    /// The keys a `use:` entry may override, also read for roles defined in place.
    static func applyOverrides(_ fields: inout YAMLMapping, to definition: inout RoleDefinition) throws {
        if let value = try fields.optional("instruction") { definition.instruction = try value.string() }
        if let value = try fields.optional("symbols") { definition.symbols = try value.list().map { try $0.string() } }
        if let value = try fields.optional("model") { definition.model = try value.string() }
        if let value = try fields.optional("sampling") { definition.sampling = try sampling(value, base: definition.sampling) }
    }

    static func check(_ definition: RoleDefinition, at item: YAMLValue, knownTools: Set<String>) throws {
        let problems = definition.problems(knownTools: knownTools)
        if !problems.isEmpty {
            throw item.error("role \(definition.name): " + problems.joined(separator: "; "), remedy: "see README.md, \"Add a role\"")
        }
    }

    static func input(_ value: YAMLValue) throws -> RoleInput {
        let name: String
        var settings: YAMLMapping?
        if var mapping = try? value.mapping() {
            let keys = mapping.keys
            guard keys.count == 1 else {
                throw value.error("an input is a name, or one name with its settings (e.g. {news: {days: 5}})")
            }
            name = keys[0]
            let inner = try mapping.required(name)
            settings = try inner.mapping()
            _ = mapping.takeAll()
        } else {
            name = try value.string()
        }
        func int(_ key: String, _ defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
            guard let v = try settings?.optional(key) else { return defaultValue }
            let n = try v.int()
            guard range.contains(n) else { throw v.error("\(key) \(n) is outside \(range.lowerBound)…\(range.upperBound)") }
            return n
        }
        let input: RoleInput
        switch name {
        case "news":
            var scope = RoleInput.NewsScope.all
            if let v = try settings?.optional("scope") {
                guard let s = RoleInput.NewsScope(rawValue: try v.string()) else {
                    throw v.error("unknown news scope '\(try v.string())'", remedy: "use all, symbols or market")
                }
                scope = s
            }
            input = .news(days: try int("days", 5, range: 1...365), scope: scope, maxItems: try int("max_items", 12, range: 1...100))
        case "indicators": input = .indicators
        case "prices": input = .prices(sessions: try int("sessions", 5, range: 1...60))
        case "returns": input = .returns(sessions: try int("sessions", 20, range: 1...250))
        case "series":
            guard let symbolsValue = try settings?.optional("symbols") else {
                throw value.error("the series input needs symbols", remedy: "write {series: {symbols: [SPY], sessions: 10}}")
            }
            input = .series(symbols: try symbolsValue.list().map { try $0.string() }, sessions: try int("sessions", 10, range: 1...60))
        case "macro":
            input = .macro(series: try settings?.optional("series").map { try $0.list().map { try $0.string() } },
                           count: try int("count", 10, range: 1...260))
        case "reports": input = .reports(roles: try settings?.optional("roles").map { try $0.list().map { try $0.string() } })
        case "book": input = .book
        case "exposure": input = .exposure
        case "pnl": input = .pnl
        case "plan": input = .plan
        case "memory": input = .memory
        default:
            throw value.error("unknown input '\(name)'", remedy: "use one of: \(RoleInput.names.joined(separator: ", "))")
        }
        try settings?.finish()
        return input
    }

    static func sampling(_ value: YAMLValue, base: SamplingSettings) throws -> SamplingSettings {
        var s = base
        var keys = try value.mapping()
        if let v = try keys.optional("max_tokens") {
            s.maxTokens = try v.int()
            guard (8...4096).contains(s.maxTokens) else { throw v.error("max_tokens \(s.maxTokens) is outside 8…4096") }
        }
        if let v = try keys.optional("temperature") {
            s.temperature = try v.double()
            guard (0...5).contains(s.temperature) else { throw v.error("temperature \(s.temperature) is outside 0…5") }
        }
        if let v = try keys.optional("top_k") { s.topK = try v.int() }
        if let v = try keys.optional("top_p") { s.topP = try v.double() }
        if let v = try keys.optional("min_p") { s.minP = try v.double() }
        if let v = try keys.optional("repetition_penalty") { s.repetitionPenalty = try v.double() }
        if let v = try keys.optional("stop") { s.stop = try v.listOrSingle().map { try $0.string() } }
        try keys.finish()
        return s
    }

    static func fallback(_ value: YAMLValue, stage: RoleStage) throws -> RoleFallback {
        let text = try value.string()
        let allowed = RoleFallback.allowed(for: stage)
        guard let fallback = RoleFallback(rawValue: text), allowed.contains(fallback) else {
            throw value.error("fallback '\(text)' does not apply to the \(stage.rawValue) stage",
                              remedy: "use one of: \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return fallback
    }

    static func positiveInt(_ value: YAMLValue) throws -> Int {
        let n = try value.int()
        guard n > 0 else { throw value.error("expected a positive whole number, found \(n)") }
        return n
    }

    /// `30s`, `500ms`, `2m`, or a number of seconds.
    static func duration(_ value: YAMLValue) throws -> Duration {
        let text = try value.string().trimmingCharacters(in: .whitespaces)
        if let duration = DurationText.parse(text), duration > .zero { return duration }
        if let n = Double(text), n > 0, n.isFinite { return .milliseconds(Int64(n * 1000)) }
        throw value.error("'\(text)' is not a duration", remedy: "write e.g. 30s, 500ms or 2m")
    }

    // MARK: Output schemas

    static let schemaKeys = ["type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
                             "enum", "minLength", "maxLength", "minimum", "maximum", "description", "title"]

    /// Reads an `output_schema` (the JSON-Schema subset of ``OutputSchema``) written in YAML.
    static func schema(_ value: YAMLValue) throws -> OutputSchema {
        let json = try schemaJSON(value)
        do {
            return try OutputSchema(jsonSchema: json)
        } catch let error as OutputSchemaError {
            throw value.error("output_schema \(error.path): \(error.problem)")
        }
    }

    static func schemaJSON(_ value: YAMLValue) throws -> JSONValue {
        var fields = try value.mapping()
        var members: [JSONValue.Member] = []
        for key in fields.keys {
            guard let child = try fields.optional(key) else { continue }
            switch key {
            case "type", "description", "title":
                members.append(.init(key, .string(try child.string())))
            case "properties":
                var properties = try child.mapping()
                var list: [JSONValue.Member] = []
                for name in properties.keys {
                    list.append(.init(name, try schemaJSON(try properties.required(name))))
                }
                try properties.finish()
                members.append(.init(key, .object(list)))
            case "required", "enum":
                members.append(.init(key, .array(try child.list().map { .string(try $0.string()) })))
            case "items":
                members.append(.init(key, try schemaJSON(child)))
            case "additionalProperties":
                members.append(.init(key, .bool(try child.bool())))
            case "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum":
                members.append(.init(key, .number(try child.double())))
            default:
                throw child.error("'\(key)' is outside the supported JSON-Schema subset", remedy: "use: \(schemaKeys.joined(separator: ", "))")
            }
        }
        try fields.finish()
        return .object(members)
    }
}

/// A registered role with some of its definition changed by a desk file (`use:` with overrides);
/// its own inputs and prompt writing are kept.
struct OverriddenRole: DeskRole {
    let base: any DeskRole
    let definition: RoleDefinition

    func extraSections(_ toolbox: inout RoleToolbox, situation: RoleSituation) async throws -> [PromptSection] {
        try await base.extraSections(&toolbox, situation: situation)
    }

    func messages(_ prompt: RolePrompt) -> [ChatMessage] { base.messages(prompt) }

    var readsMarketOnly: Bool { base.readsMarketOnly && definition.readsMarketOnly }
}

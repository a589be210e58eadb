import ArgumentParser
import Desk
import Foundation
import InputFiles
import JournalRecords
import LanguageModel
import Market

struct RolesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "List, show and validate agent roles and desk files.",
        discussion: """
            Roles are registered in Swift (the built-ins) or defined in desk files (scenarios/desks/*.yaml); \
            see README.md, "Add a role".
            """,
        subcommands: [List.self, Show.self, Validate.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered roles, or a desk's roles.")

        @Option(help: ArgumentHelp("List the roles of this desk (a desk file name or path) instead.", valueName: "desk"))
        var desk: String?

        func run() async throws {
            try await reportingErrors {
                let definitions: [RoleDefinition]
                if let desk {
                    let definition = try DeskResolver.definition(desk)
                    print("desk \(definition.name)\(definition.file.map { " (\($0))" } ?? "")\(definition.description.isEmpty ? "" : ": \(definition.description)")")
                    definitions = definition.definitionsInStepOrder
                } else {
                    let registry = RoleRegistry.builtIn
                    definitions = registry.names.compactMap { registry.role(named: $0)?.definition }
                }
                var rows = [["role", "stage", "inputs", "tools", "what it does"]]
                for d in definitions {
                    rows.append([d.name, d.stage.rawValue, d.inputs.map(\.name).joined(separator: ","), d.tools.joined(separator: ","), d.summary])
                }
                print(Table.render(rows))
                if desk == nil {
                    let files = DeskResolver.deskFileNames()
                    if !files.isEmpty { print("\ndesk files: \(files.joined(separator: ", "))   (desk roles list --desk NAME)") }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a role's definition, or the prompt it would get on a day of a scenario.",
            discussion: "With --scenario and --date, the role's inputs are gathered from the point-in-time feed (no model is called); earlier roles' reports and the plan appear as 'none'.")

        @Argument(help: "The role's name.")
        var name: String

        @Option(help: ArgumentHelp("Look the role up in this desk (a desk file name or path).", valueName: "desk"))
        var desk: String?

        @Option(help: ArgumentHelp("Render the role's prompt on --date of this scenario.", valueName: "scenario"))
        var scenario: String?

        @Option(help: ArgumentHelp("The decision day (YYYY-MM-DD) for --scenario.", valueName: "date"))
        var date: String?

        @Flag(help: "Print the definition as JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let role = try findRole()
                if let scenario {
                    try await printPrompt(role, scenario: scenario)
                } else if json {
                    print(RolesCommand.json(role.definition).compactText)
                } else {
                    print(RolesCommand.text(role.definition))
                }
            }
        }

        private func findRole() throws -> any DeskRole {
            if let desk {
                let definition = try DeskResolver.definition(desk)
                guard let role = definition.roles.first(where: { $0.definition.name == name }) else {
                    throw InputError(file: definition.file ?? desk, field: "roles", problem: "desk \(definition.name) has no role '\(name)'",
                                     remedy: "its roles: \(definition.definitions.map(\.name).joined(separator: ", "))")
                }
                return role
            }
            let registry = RoleRegistry.builtIn
            guard let role = registry.role(named: name) else {
                throw InputError(file: name, field: "role", problem: "no registered role '\(name)'",
                                 remedy: "registered: \(registry.names.joined(separator: ", ")); for a desk file's role add --desk NAME")
            }
            return role
        }

        private func printPrompt(_ role: any DeskRole, scenario name: String) async throws {
            guard let dateText = date, let day = Day(dateText) else {
                throw InputError(file: "--date", field: "date", problem: "--scenario needs --date YYYY-MM-DD", remedy: "e.g. --date 2020-03-16")
            }
            let scenario = try ScenarioFile.load(path: try ScenarioLocator.resolve(name))
            let data = try MarketData.load(scenario)
            guard let index = data.sessions.firstIndex(of: day) else {
                throw InputError(file: "--date", field: "date", problem: "\(day) is not a session of \(scenario.name) (\(scenario.start) … \(scenario.end))")
            }
            let feed = PointInTimeFeed(data: data, asOf: day, symbols: scenario.universe.map(\.symbol))
            let book = BookView(cash: scenario.initialCash, equity: scenario.initialCash, positions: [:], openOrders: [])
            let context = DecisionContext(scenario: scenario, day: day, stepIndex: index, decisionIndex: index, feed: feed, book: book,
                                          seed: 0, run: RunID(0), journal: PreviewJournal(), cacheMode: .off)
            let definition = DeskDefinition(name: "preview", roles: [role])
            let services = DeskServices(gateway: ModelGateway(roster: ModelRoster(PreviewModel())), contextTokens: definition.contextTokens)
            let universe = scenario.tradableSymbols.filter { $0 != scenario.benchmark }
            let prepared = try await Agent(role: role).prepare(context: context, universe: universe.isEmpty ? scenario.tradableSymbols : universe,
                                                                reports: [], plan: nil, services: services)
            for message in prepared.messages {
                print("── \(message.role.rawValue) (\(message.content.count) characters)")
                print(message.content)
            }
            let failures = prepared.activity.failures
            if !failures.isEmpty {
                print("── tool failures")
                for failure in failures { print("\(failure.kind): \(failure.message)") }
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a desk file: its keys, roles, inputs, tools and output schemas.")

        @Argument(help: ArgumentHelp("The desk file.", valueName: "file"))
        var file: String

        func run() async throws {
            try await reportingErrors {
                let definition = try DeskFile.load(path: file)
                for spec in [definition.model].compactMap({ $0 }) + definition.definitions.compactMap(\.model) {
                    _ = try ModelResolver.spec(spec, origin: file)
                }
                print("ok: desk \(definition.name) (\(file)), \(definition.roles.count) roles in step order:")
                for role in definition.definitionsInStepOrder {
                    print("  \(role.stage.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(role.name)  fallback \(role.fallback.rawValue)\(role.model.map { ", model \($0)" } ?? "")")
                }
            }
        }
    }

    static func text(_ d: RoleDefinition) -> String {
        var lines = ["\(d.name) (\(d.stage.rawValue))\(d.summary.isEmpty ? "" : ": \(d.summary)")", "", "instruction:"]
        lines.append(d.instruction.trimmingCharacters(in: .whitespacesAndNewlines))
        lines.append("")
        lines.append("inputs:    " + (d.inputs.isEmpty ? "none" : d.inputs.map(describe).joined(separator: "; ")))
        lines.append("tools:     " + (d.tools.isEmpty ? "none" : d.tools.joined(separator: ", ")))
        lines.append("output:    " + d.output.shape())
        lines.append("schema:    " + d.output.jsonSchema.compactText)
        lines.append("sampling:  max_tokens \(d.sampling.maxTokens), temperature \(JSONValue.format(d.sampling.temperature)); seed derived per run, role and step")
        lines.append("fallback:  \(d.fallback.rawValue)")
        lines.append("model:     \(d.model ?? "the desk's")")
        if let symbols = d.symbols { lines.append("symbols:   \(symbols.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ input: RoleInput) -> String {
        switch input {
        case let .news(days, scope, maxItems): return "news (\(days) days, \(scope.rawValue), at most \(maxItems))"
        case let .prices(sessions): return "prices (\(sessions) sessions)"
        case let .returns(sessions): return "returns (\(sessions) sessions)"
        case let .series(symbols, sessions): return "series (\(symbols.joined(separator: ",")), \(sessions) sessions)"
        case let .macro(series, count): return "macro (\(series?.joined(separator: ",") ?? "all series"), last \(count))"
        case let .reports(roles): return "reports" + (roles.map { " (\($0.joined(separator: ",")))" } ?? "")
        default: return input.name
        }
    }

    static func json(_ d: RoleDefinition) -> JSONValue {
        .object([
            .init("name", .string(d.name)),
            .init("stage", .string(d.stage.rawValue)),
            .init("summary", .string(d.summary)),
            .init("instruction", .string(d.instruction)),
            .init("inputs", .array(d.inputs.map { .string(describe($0)) })),
            .init("tools", .array(d.tools.map(JSONValue.string))),
            .init("output_schema", d.output.jsonSchema),
            .init("max_tokens", .number(Double(d.sampling.maxTokens))),
            .init("temperature", .number(d.sampling.temperature)),
            .init("fallback", .string(d.fallback.rawValue)),
            .init("model", d.model.map(JSONValue.string) ?? .null),
            .init("symbols", d.symbols.map { .array($0.map(JSONValue.string)) } ?? .null),
        ])
    }
}

/// The journal of a prompt preview: nothing is written and the call cache is empty.
private struct PreviewJournal: Journaling {
    struct Refused: Error, CustomStringConvertible { var description: String { "a prompt preview writes no journal" } }
    func beginRun(_ manifest: RunManifest) async throws -> RunID { throw Refused() }
    func commit(_ step: StepRecord, to run: RunID) async throws { throw Refused() }
    func finishRun(_ run: RunID, status: RunStatus, summary: RunSummary?, reason: String?) async throws { throw Refused() }
    func cachedCompletion(forKey key: String) async throws -> CachedCompletion? { nil }
}

/// The model of a prompt preview: budgets prompts for the default model's 2,048-token context and is never called.
private struct PreviewModel: LanguageModel {
    let descriptor = ModelDescriptor(name: "preview", digest: "preview", contextLength: 2048)
    func complete(_ request: ModelRequest) async throws -> Completion {
        throw LanguageModelError(.unavailable, "a prompt preview calls no model")
    }
}

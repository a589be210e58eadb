import Desk
import Foundation
import InputFiles
import Market

/// Finds the desk a replay runs: a built-in rule desk by name, or a desk file by path or by name
/// (`scenarios/desks/NAME.yaml`, next to the scenario, or in the bundled scenarios folder).
enum DeskResolver {
    /// The desk file `name` refers to, if there is one.
    static func locate(_ name: String, near scenarioFile: String? = nil) -> String? {
        let manager = FileManager.default
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.contains("/") {
            return manager.fileExists(atPath: name) ? name : nil
        }
        var folders = ["scenarios/desks"]
        if let scenarioFile {
            folders.append(((scenarioFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent("desks"))
        }
        folders.append((ScenarioLocator.bundledScenarios as NSString).appendingPathComponent("desks"))
        for folder in folders {
            let candidate = (folder as NSString).appendingPathComponent(name + ".yaml")
            if manager.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Names of the desk files found in `scenarios/desks` (or the bundled copy).
    static func deskFileNames() -> [String] {
        for folder in ["scenarios/desks", (ScenarioLocator.bundledScenarios as NSString).appendingPathComponent("desks")] {
            if let files = try? FileManager.default.contentsOfDirectory(atPath: folder) {
                return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
            }
        }
        return []
    }

    /// Loads the desk file `name` refers to.
    static func definition(_ name: String, near scenarioFile: String? = nil, origin: String = "--desk") throws -> DeskDefinition {
        guard let path = locate(name, near: scenarioFile) else {
            throw unknownDesk(name, origin: origin)
        }
        return try DeskFile.load(path: path)
    }

    /// The policy for `name`: a rule desk, or an agent desk whose models come from `model` (or the desk file).
    static func policy(_ name: String, scenario: Scenario, model: String?, origin: String, callTimeout: Duration? = nil) async throws -> any DeskPolicy {
        if let rule = RuleDesks.named(name, scenario: scenario) {
            if model != nil {
                Terminal.note("note: desk \(name) is a rule desk; --model is not used")
            }
            return rule
        }
        var definition = try definition(name, near: scenario.file, origin: origin)
        if let callTimeout { definition.callTimeout = callTimeout }
        let roster = try await ModelResolver.roster(for: definition, override: model)
        let desk = try AgentDesk(definition: definition, models: roster)
        let unknown = desk.unknownSymbols(in: scenario)
        if !unknown.isEmpty {
            Terminal.note("note: desk \(definition.name) names symbols that \(scenario.name) does not hold: \(unknown.joined(separator: ", ")); their tool calls will fail (journalled)")
        }
        return desk
    }

    static func unknownDesk(_ name: String, origin: String) -> InputError {
        let files = deskFileNames()
        return InputError(file: origin, field: "desk", problem: "unknown desk '\(name)'",
                          remedy: "use a rule desk (\(RuleDesks.names.joined(separator: ", ")))"
                            + (files.isEmpty ? "" : ", a desk file (\(files.joined(separator: ", ")))") + ", or a path to a desk file")
    }
}

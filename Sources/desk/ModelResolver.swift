import Desk
import Foundation
import InputFiles
import LanguageModel

/// A model as the user names it with `--model` or a desk file's `model:`.
enum ModelSpec: Equatable, CustomStringConvertible {
    /// The embedded default model, by name (`smollm2`).
    case embedded(String)
    /// A GGUF file on disk.
    case gguf(path: String)
    /// An OpenAI-compatible chat-completions server: `openai:http://127.0.0.1:8080/v1#model-name`.
    case openAI(baseURL: String, model: String)

    static let defaultName = "smollm2"
    static let embeddedNames = ["smollm2"]

    /// Reads a spec; `origin` labels errors (`--model`, or the desk file).
    static func parse(_ text: String, origin: String = "--model") throws -> ModelSpec {
        let spec = text.trimmingCharacters(in: .whitespaces)
        if spec.hasPrefix("openai:") {
            let rest = spec.dropFirst("openai:".count)
            guard let hash = rest.lastIndex(of: "#"), hash != rest.startIndex, rest.index(after: hash) != rest.endIndex else {
                throw InputError(file: origin, field: "model", problem: "'\(spec)' names no model",
                                 remedy: "write openai:BASE_URL#MODEL, e.g. openai:http://127.0.0.1:8080/v1#qwen2.5-7b-instruct")
            }
            let url = String(rest[..<hash])
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw InputError(file: origin, field: "model", problem: "'\(url)' is not an http(s) URL", remedy: "e.g. openai:http://127.0.0.1:8080/v1#MODEL")
            }
            return .openAI(baseURL: url, model: String(rest[rest.index(after: hash)...]))
        }
        if spec.lowercased().hasSuffix(".gguf") { return .gguf(path: spec) }
        if embeddedNames.contains(spec) { return .embedded(spec) }
        throw InputError(file: origin, field: "model", problem: "unknown model '\(spec)'",
                         remedy: "use \(embeddedNames.joined(separator: ", ")) (embedded), a path to a .gguf file, or openai:URL#MODEL")
    }

    var description: String {
        switch self {
        case let .embedded(name): return name
        case let .gguf(path): return path
        case let .openAI(url, model): return "openai:\(url)#\(model)"
        }
    }
}

/// Where model specs become models: the one place the executable wires engines into desks.
///
/// The engines live in their own modules (the in-process GGUF engine, the remote client); this
/// build resolves what exists and says clearly what does not.
enum ModelResolver {
    /// The model for `spec`, or an error that says what to do.
    static func resolve(_ spec: ModelSpec) throws -> any LanguageModel {
        switch spec {
        case .embedded(let name):
            throw InputError(file: "--model", field: "model", problem: "the embedded model '\(name)' needs the local engine (LocalLM), which this build does not include",
                             remedy: "use a rule desk (--desk buy-and-hold), or a build with the LocalLM module")
        case .gguf(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError(file: path, field: "model", problem: "no such model file", remedy: "check the path to the .gguf file")
            }
            throw InputError(file: path, field: "model", problem: "GGUF models need the local engine (LocalLM), which this build does not include",
                             remedy: "use a rule desk (--desk buy-and-hold), or a build with the LocalLM module")
        case .openAI(let url, _):
            throw InputError(file: "--model", field: "model", problem: "remote models (\(url)) need the RemoteLM module, which this build does not include",
                             remedy: "use a rule desk (--desk buy-and-hold), or a build with the RemoteLM module")
        }
    }

    /// The models of a desk: `override` (from `--model`) or the desk's `model:` or the default for
    /// the desk, and each role's own `model:`. Equal specs share one model.
    static func roster(for definition: DeskDefinition, override: String?) throws -> ModelRoster {
        var resolved: [ModelSpec: any LanguageModel] = [:]
        func model(_ text: String, origin: String) throws -> any LanguageModel {
            let spec = try ModelSpec.parse(text, origin: origin)
            if let existing = resolved[spec] { return existing }
            let model = try resolve(spec)
            resolved[spec] = model
            return model
        }
        let deskOrigin = definition.file ?? "desk \(definition.name)"
        let standard = try model(override ?? definition.model ?? ModelSpec.defaultName, origin: override == nil ? deskOrigin : "--model")
        var byRole: [String: any LanguageModel] = [:]
        for role in definition.definitions {
            if let spec = role.model { byRole[role.name] = try model(spec, origin: deskOrigin) }
        }
        return ModelRoster(standard, byRole: byRole)
    }
}

extension ModelSpec: Hashable {}

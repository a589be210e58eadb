import Foundation
import LanguageModel

/// Who answers for a remote model: the name the server lists it under, what kind of server it is,
/// and what the server reports of the model's revision. Its ``digest`` addresses cached calls.
///
/// Only facts that stay put while the same weights are served go into the revision — never the
/// request-time `created` stamps llama.cpp and vLLM put in `GET /v1/models`, nor runtime settings
/// such as a slot's context size. Per server:
///
/// | server (how it is recognised) | revision facts |
/// |---|---|
/// | llama.cpp (`owned_by: "llamacpp"`) | `meta` of `GET /v1/models` (`n_params`, `size`, `n_vocab`, `n_ctx_train`, `n_embd`, `vocab_type`) and `model_path` of `GET /props` |
/// | vLLM (`owned_by: "vllm"`) | `root` and `parent` of `GET /v1/models` |
/// | Ollama (`GET /api/tags` answers) | the model's manifest `digest`, `size` and `details` (format, family, parameter size, quantisation) |
/// | LM Studio (`GET /api/v0/models/{id}` answers) | `publisher`, `arch`, `compatibility_type`, `quantization` |
/// | anything else | none: the digest is the model name alone |
public struct ServerIdentity: Sendable, Hashable {
    /// What kind of server answered.
    public enum Server: String, Sendable, Hashable {
        case llamaCpp = "llama.cpp"
        case vllm
        case ollama
        case lmStudio = "lmstudio"
        case unknown
    }

    /// The model's id as the server lists it.
    public var model: String
    public var server: Server
    /// Revision facts, keyed `server.field` (e.g. `ollama.digest`).
    public var revision: [String: JSONValue]
    /// Context length the server reports, when it does.
    public var contextLength: Int?

    public init(model: String, server: Server = .unknown, revision: [String: JSONValue] = [:], contextLength: Int? = nil) {
        self.model = model
        self.server = server
        self.revision = revision
        self.contextLength = contextLength
    }

    /// `remote:MODEL` followed, when the server reports any, by the revision facts as canonical
    /// JSON (keys sorted), e.g. `remote:qwen2.5:7b {"ollama.digest":"845dbda0…","ollama.size":4683087332}`.
    /// The server's address is not part of it: the same weights behind another host or port keep their cache.
    public var digest: String {
        let base = "remote:" + model
        guard !revision.isEmpty else { return base }
        return base + " " + JSONValue.object(revision.map { JSONValue.Member($0.key, $0.value) }).canonicalText
    }

    /// The sampling dialect this server speaks.
    var dialect: RemoteModelSpec.SamplingDialect {
        switch server {
        case .llamaCpp: .llamaCpp
        case .vllm: .vllm
        case .ollama: .ollama
        case .lmStudio: .lmStudio
        case .unknown: .openAI
        }
    }
}

extension ServerIdentity {
    /// Asks the server who serves `configuration.model` (see the table above).
    static func probe(_ configuration: RemoteModelConfiguration, using exchanger: Exchanger, deadline: ContinuousClock.Instant) async throws -> ServerIdentity {
        let listURL = configuration.endpoint("models")
        guard let listing = try await exchanger.optionalJSON(listURL, absent: AbsentEndpoint.notFound, deadline: deadline) else {
            throw LanguageModelError(.unavailable, "GET \(listURL.absoluteString) found no OpenAI-compatible model list "
                + "(check that the base URL is the server's OpenAI base; it usually ends in /v1)")
        }
        guard let entries = listing["data"]?.arrayValue else {
            throw LanguageModelError(.unavailable, "GET \(listURL.absoluteString) did not answer with a model list ({\"data\": [...]}): \(ChatWire.snippet(listing.compactText))")
        }
        let wanted = configuration.model
        let entry = entries.first { $0["id"]?.stringValue == wanted }
            ?? entries.first { !wanted.contains(":") && $0["id"]?.stringValue == wanted + ":latest" }
        guard let entry, let served = entry["id"]?.stringValue else {
            let listed = entries.compactMap { $0["id"]?.stringValue }
            let served = listed.isEmpty ? "no models" : listed.prefix(20).joined(separator: ", ") + (listed.count > 20 ? ", …" : "")
            throw LanguageModelError(.unavailable, "the server at \(configuration.baseURL.absoluteString) does not serve model '\(wanted)'; it serves: \(served) "
                + "(write one of these after '#' in the model spec)")
        }
        var identity = ServerIdentity(model: served)
        func int(_ value: JSONValue?) -> Int? { value?.numberValue.map { Int($0) } }
        switch entry["owned_by"]?.stringValue {
        case "llamacpp":
            identity.server = .llamaCpp
            if let meta = entry["meta"], meta.objectValue != nil {
                for key in ["n_params", "size", "n_vocab", "n_ctx_train", "n_embd", "vocab_type"] {
                    if let value = meta[key], value != .null { identity.revision["llama.cpp.\(key)"] = value }
                }
                identity.contextLength = int(meta["n_ctx"])
            }
            if let props = try await exchanger.optionalJSON(configuration.rootEndpoint("props"), deadline: deadline) {
                if let path = props["model_path"]?.stringValue { identity.revision["llama.cpp.model_path"] = .string(path) }
                identity.contextLength = identity.contextLength ?? int(props["default_generation_settings"]?["n_ctx"])
            }
        case "vllm":
            identity.server = .vllm
            for key in ["root", "parent"] {
                if let value = entry[key]?.stringValue { identity.revision["vllm.\(key)"] = .string(value) }
            }
            identity.contextLength = int(entry["max_model_len"])
        default:
            if let tags = try await exchanger.optionalJSON(configuration.rootEndpoint("api/tags"), deadline: deadline),
               let models = tags["models"]?.arrayValue {
                identity.server = .ollama
                if let model = models.first(where: { $0["name"]?.stringValue == served || $0["model"]?.stringValue == served }) {
                    if let digest = model["digest"]?.stringValue { identity.revision["ollama.digest"] = .string(digest) }
                    if let size = model["size"], size.numberValue != nil { identity.revision["ollama.size"] = size }
                    for key in ["format", "family", "parameter_size", "quantization_level"] {
                        if let value = model["details"]?[key]?.stringValue { identity.revision["ollama.\(key)"] = .string(value) }
                    }
                }
            } else if let encoded = served.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))),
                      let model = try await exchanger.optionalJSON(configuration.rootEndpoint("api/v0/models/" + encoded), deadline: deadline),
                      model["id"]?.stringValue == served {
                identity.server = .lmStudio
                for key in ["publisher", "arch", "compatibility_type", "quantization"] {
                    if let value = model[key]?.stringValue { identity.revision["lmstudio.\(key)"] = .string(value) }
                }
                identity.contextLength = int(model["max_context_length"])
            }
        }
        return identity
    }
}

import Foundation

/// Which model to think with, as a user writes it on the command line or in a role file.
///
/// Three forms:
/// - `smollm2`: a model embedded in the desk (the default);
/// - `path/to/file.gguf`: a local GGUF file, run in-process;
/// - `openai:http://127.0.0.1:8080/v1#model-name`: a model behind an OpenAI-compatible server
///   (llama.cpp's `llama-server`, Ollama, vLLM, LM Studio, …). Options go in the URL's query,
///   before the `#`: `openai:https://api.example.com/v1?key_env=EXAMPLE_API_KEY&timeout=60#model`.
///   See ``RemoteModelSpec`` for the options.
///
/// Parsing checks the text only; whether the file exists or the server answers is up to whoever
/// opens the model. ``description`` prints the spec back in its canonical form (never a secret:
/// an API key is named by its environment variable, never written).
public enum ModelSpec: Sendable, Hashable, CustomStringConvertible {
    case embedded(EmbeddedModel)
    /// A GGUF file, as the user wrote its path (not expanded or resolved).
    case file(path: String)
    case remote(RemoteModelSpec)

    /// The model the desk uses when none is named.
    public static let `default` = ModelSpec.embedded(.smollm2)

    /// Models that ship with the desk, by the name users write.
    public enum EmbeddedModel: String, Sendable, Hashable, CaseIterable {
        /// SmolLM2-135M-Instruct, Q4_1 (see PLATFORM.md for its provenance).
        case smollm2
    }

    /// The scheme that introduces a remote spec.
    public static let remotePrefix = "openai:"

    /// Reads a spec; throws ``ModelSpecError`` saying what is wrong and how to write it instead.
    public init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces)
        guard !spec.isEmpty else {
            throw ModelSpecError(spec: text, problem: "no model given", remedy: ModelSpec.forms)
        }
        if spec.lowercased().hasPrefix(ModelSpec.remotePrefix) {
            self = .remote(try RemoteModelSpec(parsing: spec))
            return
        }
        if let colon = spec.firstIndex(of: ":"), spec[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" }), spec[..<colon].count > 1 {
            let scheme = spec[..<colon].lowercased()
            if scheme == "http" || scheme == "https" {
                throw ModelSpecError(spec: text, problem: "a bare URL does not say how to talk to the server",
                                     remedy: "write it as openai:\(spec)#MODEL-NAME (any OpenAI-compatible server: llama.cpp, Ollama, vLLM, LM Studio)")
            }
            throw ModelSpecError(spec: text, problem: "unknown model kind '\(scheme):'",
                                 remedy: "remote servers are all reached with openai:URL#MODEL (Ollama: openai:http://127.0.0.1:11434/v1#llama3.2); \(ModelSpec.forms)")
        }
        if spec.lowercased().hasSuffix(".gguf") {
            self = .file(path: spec)
            return
        }
        if spec.contains("/") || spec.hasPrefix(".") || spec.hasPrefix("~") {
            throw ModelSpecError(spec: text, problem: "a local model must be a .gguf file",
                                 remedy: "convert or download the model in GGUF format (the path must end in .gguf)")
        }
        if let model = EmbeddedModel(rawValue: spec.lowercased()) {
            self = .embedded(model)
            return
        }
        let known = EmbeddedModel.allCases.map(\.rawValue).joined(separator: ", ")
        throw ModelSpecError(spec: text, problem: "unknown embedded model '\(spec)' (embedded: \(known))",
                             remedy: "use an embedded name, a path ending in .gguf, or openai:URL#MODEL for a server")
    }

    public var description: String {
        switch self {
        case let .embedded(model): return model.rawValue
        case let .file(path): return path
        case let .remote(remote): return remote.description
        }
    }

    static let forms = "write smollm2, path/to/model.gguf, or openai:http://127.0.0.1:8080/v1#MODEL-NAME"
}

/// A model behind an OpenAI-compatible chat-completions server, and how to talk to it.
///
/// Written `openai:BASE-URL[?OPTION=VALUE&…]#MODEL`. The base URL is what the server documents as
/// its OpenAI base (it usually ends in `/v1`); `MODEL` is the name the server lists under
/// `GET BASE-URL/models`. Options (all optional; unset ones take the client's defaults):
///
/// | option | values | meaning |
/// |---|---|---|
/// | `key_env` | an environment variable name | send `Authorization: Bearer $VAR` (no key is sent without it) |
/// | `timeout` | seconds (> 0) | deadline of one model call, retries included |
/// | `retries` | 0 … 10 | retries after a 408/429/5xx answer, a dropped connection or a malformed body |
/// | `repairs` | 0 … 10 | follow-up requests that feed a schema violation back to the model |
/// | `stream` | `true`, `false` | stream the answer (server-sent events) to time the first token |
/// | `response_format` | `auto`, `json_schema`, `json_object`, `off` | how a schema is asked for (see ``StructuredOutput``) |
/// | `dialect` | `auto`, `llama.cpp`, `vllm`, `ollama`, `lmstudio`, `openai` | which extra sampling fields the server takes |
/// | `context` | tokens (> 0) | context length to report when the server does not say |
public struct RemoteModelSpec: Sendable, Hashable, CustomStringConvertible {
    /// The server's OpenAI base URL, without query or trailing slash.
    public var baseURL: URL
    /// The model name, as the server lists it.
    public var model: String
    /// Name of the environment variable that holds the API key (the key itself is never stored here).
    public var apiKeyVariable: String?
    /// Seconds a call may take, retries included.
    public var timeout: Double?
    public var maxRetries: Int?
    public var maxRepairs: Int?
    public var streaming: Bool?
    public var structuredOutput: StructuredOutput?
    public var dialect: SamplingDialect?
    public var contextLength: Int?

    /// How a request's output schema reaches the server.
    public enum StructuredOutput: String, Sendable, Hashable, CaseIterable {
        /// Try `json_schema`, then `json_object`, then `off`, moving on when the server rejects a
        /// form, and keep the first form that works for the rest of the model's life.
        case auto
        /// Always send `{"type": "json_schema", "json_schema": {…, "strict": true}}` (OpenAI's form);
        /// a server that rejects it fails the call.
        case jsonSchema = "json_schema"
        /// Always send `{"type": "json_object", "schema": …}` (llama.cpp's other form, and
        /// llama-cpp-python's only one) and spell the schema out in the prompt.
        case jsonObject = "json_object"
        /// Never send `response_format`: describe the schema in the prompt, validate, and repair.
        case off
    }

    /// Which non-OpenAI sampling fields (top-k, min-p, repetition penalty, ignore-EOS) the server accepts.
    public enum SamplingDialect: String, Sendable, Hashable, CaseIterable {
        /// Decide from what the server says of itself when the model is opened.
        case auto
        /// llama.cpp's `llama-server`: `top_k`, `min_p`, `repeat_penalty`, `repeat_last_n`, `ignore_eos`.
        case llamaCpp = "llama.cpp"
        /// vLLM: `top_k`, `min_p`, `repetition_penalty`, `ignore_eos`.
        case vllm
        /// Ollama's `/v1` endpoint: OpenAI fields only.
        case ollama
        /// LM Studio: `top_k`, `repeat_penalty`.
        case lmStudio = "lmstudio"
        /// OpenAI's own fields only.
        case openAI = "openai"
    }

    public init(baseURL: URL, model: String, apiKeyVariable: String? = nil, timeout: Double? = nil, maxRetries: Int? = nil,
                maxRepairs: Int? = nil, streaming: Bool? = nil, structuredOutput: StructuredOutput? = nil,
                dialect: SamplingDialect? = nil, contextLength: Int? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.maxRepairs = maxRepairs
        self.streaming = streaming
        self.structuredOutput = structuredOutput
        self.dialect = dialect
        self.contextLength = contextLength
    }

    /// The option names a spec may carry, in the order ``description`` prints them.
    public static let optionNames = ["key_env", "timeout", "retries", "repairs", "stream", "response_format", "dialect", "context"]

    /// Reads `openai:BASE-URL[?OPTIONS]#MODEL`.
    public init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces)
        func fail(_ problem: String, field: String? = nil, remedy: String) -> ModelSpecError {
            ModelSpecError(spec: text, field: field, problem: problem, remedy: remedy)
        }
        guard spec.lowercased().hasPrefix(ModelSpec.remotePrefix) else {
            throw fail("a remote model starts with openai:", remedy: "write openai:http://HOST:PORT/v1#MODEL-NAME")
        }
        let rest = spec.dropFirst(ModelSpec.remotePrefix.count)
        guard let hash = rest.lastIndex(of: "#") else {
            throw fail("no model name after '#'", field: "model",
                       remedy: "append #MODEL-NAME, a name the server lists under GET \(rest)/models, e.g. openai:\(rest)#qwen2.5-7b-instruct")
        }
        let model = String(rest[rest.index(after: hash)...]).trimmingCharacters(in: .whitespaces)
        guard !model.isEmpty else {
            throw fail("the model name after '#' is empty", field: "model", remedy: "name a model the server lists under GET BASE-URL/models")
        }
        let urlText = String(rest[..<hash])
        guard var components = URLComponents(string: urlText), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw fail("'\(urlText)' is not an http(s) URL", field: "base URL",
                       remedy: "write the server's OpenAI base URL, e.g. openai:http://127.0.0.1:8080/v1#\(model)")
        }
        var parsed = RemoteModelSpec(baseURL: URL(string: "http://placeholder")!, model: model)
        var seen = Set<String>()
        for item in components.queryItems ?? [] {
            let name = item.name.lowercased()
            guard RemoteModelSpec.optionNames.contains(name) else {
                throw fail("unknown option '\(item.name)'", field: item.name, remedy: "options are \(RemoteModelSpec.optionNames.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw fail("option given twice", field: name, remedy: "give each option once") }
            let value = item.value ?? ""
            func number(_ range: ClosedRange<Double>) throws -> Double {
                guard let n = Double(value), n.isFinite, range.contains(n) else {
                    throw fail("'\(value)' is not a number in \(JSONValue.format(range.lowerBound)) … \(JSONValue.format(range.upperBound))",
                               field: name, remedy: "write e.g. \(name)=\(JSONValue.format(max(range.lowerBound, 1)))")
                }
                return n
            }
            func count(_ range: ClosedRange<Int>) throws -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw fail("'\(value)' is not a whole number in \(range.lowerBound) … \(range.upperBound)", field: name,
                               remedy: "write e.g. \(name)=\(min(max(range.lowerBound, 2), range.upperBound))")
                }
                return n
            }
            switch name {
            case "key_env":
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !(value.first!.isNumber) else {
                    throw fail("'\(value)' is not an environment variable name", field: name,
                               remedy: "name the variable that holds the key, e.g. key_env=OPENAI_API_KEY (never the key itself)")
                }
                parsed.apiKeyVariable = value
            case "timeout":
                let seconds = try number(0.001 ... 86_400)
                parsed.timeout = seconds
            case "retries": parsed.maxRetries = try count(0 ... 10)
            case "repairs": parsed.maxRepairs = try count(0 ... 10)
            case "context": parsed.contextLength = try count(1 ... 100_000_000)
            case "stream":
                switch value.lowercased() {
                case "true", "1", "yes": parsed.streaming = true
                case "false", "0", "no": parsed.streaming = false
                default: throw fail("'\(value)' is not true or false", field: name, remedy: "write stream=true or stream=false")
                }
            case "response_format":
                guard let mode = StructuredOutput(rawValue: value.lowercased()) else {
                    throw fail("'\(value)' is not a response_format mode", field: name,
                               remedy: "use one of \(StructuredOutput.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsed.structuredOutput = mode
            case "dialect":
                guard let dialect = SamplingDialect(rawValue: value.lowercased()) else {
                    throw fail("'\(value)' is not a known server dialect", field: name,
                               remedy: "use one of \(SamplingDialect.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsed.dialect = dialect
            default:
                break
            }
        }
        components.query = nil
        components.fragment = nil
        while components.path.hasSuffix("/") { components.path.removeLast() }
        guard let baseURL = components.url else {
            throw fail("'\(urlText)' is not a valid URL", field: "base URL", remedy: "write e.g. openai:http://127.0.0.1:8080/v1#\(model)")
        }
        parsed.baseURL = baseURL
        self = parsed
    }

    /// The canonical spec text (options in a fixed order; the key is named, never written).
    public var description: String {
        var options: [String] = []
        if let apiKeyVariable { options.append("key_env=\(apiKeyVariable)") }
        if let timeout { options.append("timeout=\(JSONValue.format(timeout))") }
        if let maxRetries { options.append("retries=\(maxRetries)") }
        if let maxRepairs { options.append("repairs=\(maxRepairs)") }
        if let streaming { options.append("stream=\(streaming)") }
        if let structuredOutput { options.append("response_format=\(structuredOutput.rawValue)") }
        if let dialect { options.append("dialect=\(dialect.rawValue)") }
        if let contextLength { options.append("context=\(contextLength)") }
        let query = options.isEmpty ? "" : "?" + options.joined(separator: "&")
        return ModelSpec.remotePrefix + baseURL.absoluteString + query + "#" + model
    }
}

/// A model spec that could not be read: what was wrong and how to write it.
///
/// Shaped like `InputError` (field, problem, remedy) so the command line can report it as one,
/// with the option (`--model`) or role file as the location.
public struct ModelSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The spec as given.
    public var spec: String
    /// The part that was wrong (`model`, `base URL`, an option name), when there is one.
    public var field: String?
    public var problem: String
    public var remedy: String

    public init(spec: String, field: String? = nil, problem: String, remedy: String) {
        self.spec = spec
        self.field = field
        self.problem = problem
        self.remedy = remedy
    }

    public var description: String {
        "model '\(spec)': " + (field.map { "\($0): " } ?? "") + problem + " (\(remedy))"
    }
}

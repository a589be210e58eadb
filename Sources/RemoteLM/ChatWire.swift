import Foundation
import LanguageModel

/// The chat-completions wire format: request bodies out, answers (whole or streamed) in.
enum ChatWire {
    /// The `name` sent with a `json_schema` response format (OpenAI requires `[A-Za-z0-9_-]+`).
    static let schemaName = "desk_output"

    /// The seed as every server takes it: a non-negative 31-bit integer (llama.cpp reads a
    /// `uint32` where `0xFFFFFFFF` means "random"; JSON numbers above 2⁵³ lose digits).
    static func wireSeed(_ seed: UInt64) -> Int {
        Int((seed ^ (seed >> 31) ^ (seed >> 62)) & 0x7FFF_FFFF)
    }

    /// Messages as OpenAI-style objects. A `tool` message carries no `tool_call_id`, which
    /// OpenAI-compatible servers require, so it is sent as a user message marked as a tool result.
    static func messages(_ messages: [ChatMessage]) -> JSONValue {
        .array(messages.map { message in
            let role: String
            var content = message.content
            switch message.role {
            case .system: role = "system"
            case .user: role = "user"
            case .assistant: role = "assistant"
            case .tool:
                role = "user"
                content = "Tool result:\n" + content
            }
            return .object([.init("role", .string(role)), .init("content", .string(content))])
        })
    }

    /// The sampling fields a dialect sends, or the reason a setting cannot be honoured.
    static func samplingFields(_ sampling: SamplingSettings, dialect: RemoteModelSpec.SamplingDialect) throws -> [JSONValue.Member] {
        var fields: [JSONValue.Member] = [
            .init("max_tokens", .number(Double(sampling.maxTokens))),
            .init("temperature", .number(sampling.temperature)),
            .init("top_p", .number(sampling.topP)),
            .init("seed", .number(Double(wireSeed(sampling.seed)))),
        ]
        if !sampling.stop.isEmpty { fields.append(.init("stop", .array(sampling.stop.map(JSONValue.string)))) }
        var unsupported: [String] = []
        switch dialect {
        case .llamaCpp:
            fields += [
                .init("top_k", .number(Double(max(0, sampling.topK)))),
                .init("min_p", .number(sampling.minP)),
                .init("repeat_penalty", .number(sampling.repetitionPenalty)),
                .init("repeat_last_n", .number(Double(sampling.repetitionWindow))),
            ]
            if sampling.ignoreEndOfSequence { fields.append(.init("ignore_eos", .bool(true))) }
        case .vllm:
            fields += [
                .init("top_k", .number(sampling.topK > 0 ? Double(sampling.topK) : -1)),
                .init("min_p", .number(sampling.minP)),
                .init("repetition_penalty", .number(sampling.repetitionPenalty)),
            ]
            if sampling.ignoreEndOfSequence { fields.append(.init("ignore_eos", .bool(true))) }
        case .lmStudio:
            if sampling.topK > 0 { fields.append(.init("top_k", .number(Double(sampling.topK)))) }
            fields.append(.init("repeat_penalty", .number(sampling.repetitionPenalty)))
            if sampling.minP != 0 { unsupported.append("min_p=\(JSONValue.format(sampling.minP))") }
            if sampling.ignoreEndOfSequence { unsupported.append("ignore_eos") }
        case .ollama, .openAI, .auto:
            if sampling.topK > 0 { unsupported.append("top_k=\(sampling.topK)") }
            if sampling.minP != 0 { unsupported.append("min_p=\(JSONValue.format(sampling.minP))") }
            if sampling.repetitionPenalty != 1 { unsupported.append("repetition_penalty=\(JSONValue.format(sampling.repetitionPenalty))") }
            if sampling.ignoreEndOfSequence { unsupported.append("ignore_eos") }
        }
        guard unsupported.isEmpty else {
            throw LanguageModelError(.unavailable, "sampling \(unsupported.joined(separator: ", ")) cannot be sent to this server "
                + "(dialect \(dialect.rawValue) takes \(dialect == .lmStudio ? "top_k and repeat_penalty" : "OpenAI fields only") beyond temperature, top_p, max_tokens, stop and seed); "
                + "drop the setting from the role, or serve the model with llama.cpp's llama-server or vLLM (dialect=llama.cpp or dialect=vllm)")
        }
        return fields
    }

    /// A `response_format` asking for JSON matching `schema` in the given style (nil for prompt-only).
    static func responseFormat(_ schema: OutputSchema, style: ResponseFormatStyle) -> JSONValue? {
        switch style {
        case .jsonSchema:
            return .object([
                .init("type", .string("json_schema")),
                .init("json_schema", .object([
                    .init("name", .string(schemaName)),
                    .init("schema", schema.jsonSchema),
                    .init("strict", .bool(true)),
                ])),
            ])
        case .jsonObject:
            return .object([.init("type", .string("json_object")), .init("schema", schema.jsonSchema)])
        case .promptOnly:
            return nil
        }
    }

    /// The whole request body.
    static func body(model: String, messages: [ChatMessage], sampling: [JSONValue.Member], stream: Bool, responseFormat: JSONValue?) -> JSONValue {
        var members: [JSONValue.Member] = [.init("model", .string(model)), .init("messages", self.messages(messages))]
        members += sampling
        members.append(.init("stream", .bool(stream)))
        if stream { members.append(.init("stream_options", .object([.init("include_usage", .bool(true))]))) }
        if let responseFormat { members.append(.init("response_format", responseFormat)) }
        return .object(members)
    }

    // MARK: Answers

    /// What one successful exchange produced.
    struct Reply: Sendable {
        var text: String
        var finishReason: FinishReason
        var promptTokens: Int?
        var completionTokens: Int?
        var cachedPromptTokens: Int?
        /// Content pieces streamed (a token count when the server reports no usage).
        var streamedPieces: Int = 0
        /// When the first piece of content arrived (streaming only).
        var firstContentAt: ContinuousClock.Instant?
    }

    /// A body that is not the chat completion it should be.
    struct Malformed: Error, Sendable {
        var problem: String
    }

    /// Reads a whole (non-streamed) chat completion.
    static func reply(fromBody data: Data) throws -> Reply {
        let text = String(decoding: data, as: UTF8.self)
        let json: JSONValue
        do { json = try JSONValue(parsing: text) } catch {
            throw Malformed(problem: "the body is not JSON (\(error)); it starts: \(snippet(text))")
        }
        if let message = errorMessage(in: json) { throw Malformed(problem: "the server answered 200 with an error: \(message)") }
        guard let choice = json["choices"]?.arrayValue?.first else {
            throw Malformed(problem: "no choices in the answer; it starts: \(snippet(text))")
        }
        guard let message = choice["message"], message.objectValue != nil else {
            throw Malformed(problem: "the first choice has no message; it starts: \(snippet(text))")
        }
        let content: String
        switch message["content"] {
        case let .string(s)?: content = s
        case .null?, nil: content = ""
        default: throw Malformed(problem: "the message content is not text; it starts: \(snippet(text))")
        }
        var reply = Reply(text: content, finishReason: finishReason(choice))
        readUsage(json["usage"], into: &reply)
        return reply
    }

    /// Folds one server-sent event's data into a streamed reply; returns false at `[DONE]`.
    static func consume(event data: String, into reply: inout Reply, finished: inout Bool, at now: ContinuousClock.Instant) throws -> Bool {
        let trimmed = data.trimmingCharacters(in: .whitespaces)
        if trimmed == "[DONE]" { return false }
        if trimmed.isEmpty { return true }
        let json: JSONValue
        do { json = try JSONValue(parsing: trimmed) } catch {
            throw Malformed(problem: "a streamed event is not JSON (\(error)): \(snippet(trimmed))")
        }
        if let message = errorMessage(in: json) { throw StreamError(message: message) }
        if let choice = json["choices"]?.arrayValue?.first {
            if case let .string(piece)? = choice["delta"]?["content"], !piece.isEmpty {
                if reply.firstContentAt == nil { reply.firstContentAt = now }
                reply.text += piece
                reply.streamedPieces += 1
            }
            if let reason = choice["finish_reason"], reason != .null {
                reply.finishReason = finishReason(choice)
                finished = true
            }
        }
        readUsage(json["usage"], into: &reply)
        return true
    }

    /// An error the server reported inside a stream that had started with HTTP 200.
    struct StreamError: Error, Sendable {
        var message: String
    }

    static func finishReason(_ choice: JSONValue) -> FinishReason {
        switch choice["finish_reason"]?.stringValue {
        case "length"?: return .maxTokens
        case "stop"?:
            // vLLM says which stop string ended generation; a token id (or nothing) is end-of-sequence.
            if case .string? = choice["stop_reason"] { return .stopSequence }
            return .endOfSequence
        default: return .endOfSequence
        }
    }

    static func readUsage(_ usage: JSONValue?, into reply: inout Reply) {
        guard let usage, usage.objectValue != nil else { return }
        if let n = usage["prompt_tokens"]?.numberValue { reply.promptTokens = Int(n) }
        if let n = usage["completion_tokens"]?.numberValue { reply.completionTokens = Int(n) }
        if let n = usage["prompt_tokens_details"]?["cached_tokens"]?.numberValue { reply.cachedPromptTokens = Int(n) }
    }

    /// The message of an error body in the shapes servers use: OpenAI and llama.cpp
    /// `{"error": {"message": …}}`, Ollama `{"error": "…"}`, vLLM `{"object": "error", "message": …}`,
    /// FastAPI `{"detail": …}`.
    static func errorMessage(in json: JSONValue) -> String? {
        if let error = json["error"] {
            if let message = error["message"]?.stringValue { return message }
            if let text = error.stringValue { return text }
            if error != .null { return error.compactText }
        }
        if json["object"]?.stringValue == "error", let message = json["message"]?.stringValue { return message }
        if let detail = json["detail"] { return detail.stringValue ?? detail.compactText }
        return nil
    }

    /// What an error body says, for a message: the server's error message when it is JSON, else the text.
    static func describeErrorBody(_ data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        if let json = try? JSONValue(parsing: text), let message = errorMessage(in: json) { return snippet(message, limit: 600) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "(empty body)" : snippet(trimmed, limit: 600)
    }

    static func snippet(_ text: String, limit: Int = 200) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
    }
}

/// Splits a server-sent-event stream into the data of its events.
///
/// Lines end in LF, CR or CRLF; an empty line ends an event; `data:` lines of one event are joined
/// with newlines; comments (`:`) and other fields (`event:`, `id:`, `retry:`) are skipped.
struct ServerSentEvents {
    private var pending = Data()
    private var dataLines: [String] = []
    private var sawCR = false

    /// Events completed by these bytes.
    mutating func feed(_ bytes: Data) -> [String] {
        var events: [String] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == 10 { continue }
            }
            if byte == 10 || byte == 13 {
                sawCR = byte == 13
                line(String(decoding: pending, as: UTF8.self), into: &events)
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return events
    }

    /// The event left open when the stream ends without a final blank line.
    mutating func finish() -> [String] {
        var events: [String] = []
        if !pending.isEmpty { line(String(decoding: pending, as: UTF8.self), into: &events); pending.removeAll() }
        if !dataLines.isEmpty { events.append(dataLines.joined(separator: "\n")); dataLines.removeAll() }
        return events
    }

    private mutating func line(_ line: String, into events: inout [String]) {
        if line.isEmpty {
            if !dataLines.isEmpty { events.append(dataLines.joined(separator: "\n")); dataLines.removeAll() }
            return
        }
        if line.hasPrefix(":") { return }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        if field == "data" { dataLines.append(String(value)) }
    }
}

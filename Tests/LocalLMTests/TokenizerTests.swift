import Foundation
import LanguageModel
import LocalLM
import Testing

@Suite struct PreTokenizerTests {
    @Test func smollmSplitsEveryDigitThenAppliesGPT2Rules() throws {
        let pre = try #require(PreTokenizer(name: "smollm"))
        #expect(pre.split("on 2020-03 it's  up!") == ["on", " ", "2", "0", "2", "0", "-", "0", "3", " it", "'s", " ", " up", "!"])
    }

    @Test func gpt2KeepsDigitRunsAndTrailingSpace() throws {
        let pre = try #require(PreTokenizer(name: "gpt-2"))
        #expect(pre.split("Hello  world 123 ok  ") == ["Hello", " ", " world", " 123", " ok", "  "])
    }

    @Test func llama3GroupsThreeDigitsAndNewlines() throws {
        let pre = try #require(PreTokenizer(name: "llama-bpe"))
        #expect(pre.split("I'M 12345 ok\n\n  x") == ["I", "'M", " ", "123", "45", " ok", "\n\n", " ", " x"])
        #expect(pre.ignoreMerges)
    }

    @Test func qwen2SplitsSingleDigits() throws {
        let pre = try #require(PreTokenizer(name: "qwen2"))
        #expect(pre.split("x=42;") == ["x", "=", "4", "2", ";"])
    }

    @Test func defaultSplitsPunctuationRunsFirst() throws {
        let pre = try #require(PreTokenizer(name: "default"))
        #expect(pre.split("a, b12345") == ["a", ",", " b", "123", "45"])
        #expect(PreTokenizer(name: "no-such-thing") == nil)
    }
}

/// A tiny SentencePiece vocabulary written to a GGUF file.
enum TinySentencePiece {
    static let pieces: [(String, Float, Int32)] = {
        var p: [(String, Float, Int32)] = [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3)]
        for b in 0..<256 { p.append((String(format: "<0x%02X>", b), 0, 6)) }
        p += [("▁", -1, 1), ("h", -2, 1), ("e", -2, 1), ("l", -2, 1), ("o", -2, 1), ("w", -2, 1), ("r", -2, 1), ("d", -2, 1),
              ("he", -3, 1), ("ll", -3.5, 1), ("llo", -3, 1), ("hello", -1.5, 1), ("▁hello", -1, 1), ("▁w", -4, 1), ("or", -4, 1), ("▁wor", -3, 1), ("ld", -4, 1)]
        return p
    }()

    static func write() throws -> String {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("llama"))
        b.set("tokenizer.ggml.model", .string("llama"))
        b.set("tokenizer.ggml.tokens", .array(8, pieces.map { .string($0.0) }))
        b.set("tokenizer.ggml.scores", .array(6, pieces.map { .f32($0.1) }))
        b.set("tokenizer.ggml.token_type", .array(5, pieces.map { .i32($0.2) }))
        b.set("tokenizer.ggml.bos_token_id", .u32(1))
        b.set("tokenizer.ggml.eos_token_id", .u32(2))
        return try b.write(name: "spm")
    }

    static func id(_ piece: String) -> Int { pieces.firstIndex { $0.0 == piece }! }
}

@Suite struct SentencePieceTests {
    @Test func mergesByScoreAddsTheSpacePrefixAndFallsBackToBytes() throws {
        let path = try TinySentencePiece.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try Tokenizer(file: GGUFFile(path: path))
        #expect(tokenizer.kind == .sentencePiece && tokenizer.addBOS)
        let ids = tokenizer.encode("hello world!", addSpecial: true)
        // "▁hello" merges first (best score), "▁wor" + "ld"; "!" is not a piece, so its byte token.
        let expected = [1, TinySentencePiece.id("▁hello"), TinySentencePiece.id("▁wor"), TinySentencePiece.id("ld"), TinySentencePiece.id("<0x21>")]
        #expect(ids == expected)
        #expect(tokenizer.decode(ids) == "hello world!")
        // Multi-byte characters outside the vocabulary become their UTF-8 bytes and decode back.
        let accents = tokenizer.encode("hé")
        #expect(accents.count == 4)  // ▁, h, 0xC3, 0xA9
        #expect(tokenizer.decode(accents) == "hé")
    }

    @Test func controlTokensAreParsedOnlyWhenAsked() throws {
        let path = try TinySentencePiece.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try Tokenizer(file: GGUFFile(path: path))
        #expect(tokenizer.encode("hello</s>", parseSpecial: true).last == 2)
        #expect(!tokenizer.encode("hello</s>").contains(2))
        #expect(tokenizer.decode([TinySentencePiece.id("▁hello"), 2]) == "hello")
        #expect(tokenizer.decode([TinySentencePiece.id("▁hello"), 2], special: true) == "hello</s>")
    }
}

@Suite struct ChatTemplateTests {
    static let smolLM2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    @Test func chatMLKeepsTheTemplatesDefaultSystemPrompt() throws {
        let template = try ChatTemplate(jinja: Self.smolLM2)
        #expect(template.family == .chatml)
        #expect(template.render([.user("hi")]) == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        #expect(template.render([.system("Be brief."), .user("hi")]) == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func recognisesQwenLlama3AndMistralTemplates() throws {
        let qwen = try ChatTemplate(jinja: "{%- if messages[0]['role'] == 'system' %}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}<|im_start|>")
        #expect(qwen.family == .qwen)
        #expect(qwen.defaultSystem == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")

        let llama3 = try ChatTemplate(jinja: "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}")
        #expect(llama3.render([.system("S"), .user(" Q ")]) == "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")

        let mistral = try ChatTemplate(jinja: "{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% endfor %}")
        #expect(mistral.render([.system("S"), .user("a"), .assistant("b"), .user("c")]) == "[INST] a[/INST] b</s>[INST] S\n\nc[/INST]")
        #expect(try ChatTemplate(jinja: "[SYSTEM_PROMPT]").family == .mistralV7)
    }

    @Test func anUnknownTemplateIsAnErrorThatNamesItAndTheOverride() throws {
        #expect {
            _ = try ChatTemplate(jinja: "{{ messages | my_custom_format }}")
        } throws: { error in
            let text = "\(error)"
            return text.contains("my_custom_format") && text.contains("--chat-format")
        }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(name: "alpaca") }
        #expect(try ChatTemplate(name: "llama3").family == .llama3)
    }
}

@Suite struct SamplerTests {
    static let logits: [Float] = [1, 3, 2.5, 0.5, -1, 2.9]

    func draws(_ settings: SamplingSettings, count: Int = 300) -> [Int] {
        var sampler = Sampler(settings: settings)
        return (0..<count).map { _ in
            var l = Self.logits
            return sampler.sample(&l)
        }
    }

    @Test func temperatureZeroIsArgmax() {
        #expect(Set(draws(SamplingSettings(temperature: 0))) == [1])
    }

    @Test func theSameSeedGivesTheSameTokensAndAnotherSeedDiffers() {
        let a = draws(SamplingSettings(temperature: 1, seed: 7))
        #expect(a == draws(SamplingSettings(temperature: 1, seed: 7)))
        #expect(a != draws(SamplingSettings(temperature: 1, seed: 8)))
    }

    @Test func topKTopPAndMinPLimitTheCandidates() {
        #expect(Set(draws(SamplingSettings(temperature: 5, topK: 2))) == [1, 5])
        // Probabilities at temperature 1: 3 → 0.35, 2.9 → 0.32, 2.5 → 0.21: top-p 0.6 keeps two.
        #expect(Set(draws(SamplingSettings(temperature: 5, topP: 0.6))) == [1, 5])
        // min-p 0.5 keeps tokens at least half as likely as the best: 3, 2.9 and 2.5 (e^-0.5 ≈ 0.61).
        #expect(Set(draws(SamplingSettings(temperature: 5, minP: 0.5))) == [1, 2, 5])
    }

    @Test func repetitionPenaltyDemotesRecentTokens() {
        var sampler = Sampler(settings: SamplingSettings(temperature: 0, repetitionPenalty: 1.5))
        sampler.observe([1])
        var l = Self.logits
        #expect(sampler.sample(&l) == 5)  // 3 / 1.5 = 2 < 2.9
    }

    @Test func aMaskRestrictsTheChoice() {
        var mask = TokenMask(count: 6, allowed: false)
        mask[3] = true
        mask[4] = true
        var sampler = Sampler(settings: SamplingSettings(temperature: 0))
        var l = Self.logits
        #expect(sampler.sample(&l, mask: mask) == 3)
    }
}

import Foundation

/// Turns text into token ids and back, from a GGUF file's `tokenizer.*` metadata.
///
/// Two vocabularies are supported, as in llama.cpp: byte-level BPE (`tokenizer.ggml.model` =
/// `gpt2`, with the pre-tokenizer named by `tokenizer.ggml.pre`) and SentencePiece (`llama`,
/// scored pieces with byte fallback). Special (control) tokens such as `<|im_start|>` are
/// recognised in text only when asked; user-defined tokens always are.
public struct Tokenizer: Sendable {
    public enum Kind: String, Sendable { case bytePairs = "gpt2", sentencePiece = "llama" }

    /// GGUF token types.
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let kind: Kind
    public let tokens: [String]
    public let types: [TokenType]
    public let scores: [Float]
    public let preTokenizer: PreTokenizer?
    public let bos: Int?
    public let eos: Int?
    public let unknown: Int?
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    /// Tokens that end a generation (end of sequence, end of turn, and the usual end markers).
    public let endOfGeneration: Set<Int>

    private let ids: [String: Int]
    private let mergeRanks: [String: Int]
    private let specialTokens: [(text: String, id: Int, control: Bool)]
    private let byteTokens: [Int]

    public var count: Int { tokens.count }

    /// Reads the tokenizer of a GGUF file.
    public init(file: GGUFFile) throws {
        let path = file.path
        guard let model = file["tokenizer.ggml.model"]?.stringValue else {
            throw GGUFError(.missingKey, file: path, "tokenizer.ggml.model is missing; the file carries no tokenizer")
        }
        guard let kind = Kind(rawValue: model) else {
            throw GGUFError(.unsupportedModel, file: path, "tokenizer '\(model)' is not supported (supported: gpt2 byte-level BPE, llama SentencePiece)")
        }
        guard let tokenValues = file["tokenizer.ggml.tokens"]?.arrayItems, !tokenValues.isEmpty else {
            throw GGUFError(.missingKey, file: path, "tokenizer.ggml.tokens is missing or empty")
        }
        let tokens = tokenValues.map { $0.stringValue ?? "" }
        let types = file["tokenizer.ggml.token_type"]?.arrayItems.map { $0.map { TokenType(rawValue: Int32($0.intValue ?? 1)) ?? .normal } }
            ?? Array(repeating: .normal, count: tokens.count)
        guard types.count == tokens.count else {
            throw GGUFError(.invalid, file: path, "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        let scores = file["tokenizer.ggml.scores"]?.arrayItems.map { $0.map { Float($0.doubleValue ?? 0) } } ?? Array(repeating: 0, count: tokens.count)

        var preTokenizer: PreTokenizer?
        var ranks: [String: Int] = [:]
        if kind == .bytePairs {
            let preName = file["tokenizer.ggml.pre"]?.stringValue ?? "default"
            guard let pre = PreTokenizer(name: preName) else {
                throw GGUFError(.unsupportedModel, file: path, "pre-tokenizer '\(preName)' is not supported (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")) and their aliases)")
            }
            preTokenizer = pre
            guard let merges = file["tokenizer.ggml.merges"]?.arrayItems else {
                throw GGUFError(.missingKey, file: path, "tokenizer.ggml.merges is missing; a BPE vocabulary needs its merges")
            }
            ranks.reserveCapacity(merges.count)
            for (rank, merge) in merges.enumerated() {
                if let text = merge.stringValue, ranks[text] == nil { ranks[text] = rank }
            }
        }

        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() where ids[text] == nil { ids[text] = id }

        func id(_ key: String) -> Int? {
            guard let v = file[key]?.intValue, v >= 0, v < tokens.count else { return nil }
            return v
        }
        let isSPM = kind == .sentencePiece
        self.kind = kind
        self.tokens = tokens
        self.types = types
        self.scores = scores
        self.preTokenizer = preTokenizer
        self.bos = id("tokenizer.ggml.bos_token_id") ?? (isSPM ? 1 : nil)
        self.eos = id("tokenizer.ggml.eos_token_id") ?? (isSPM ? 2 : nil)
        self.unknown = id("tokenizer.ggml.unknown_token_id") ?? (isSPM ? 0 : nil)
        self.addBOS = file["tokenizer.ggml.add_bos_token"]?.boolValue ?? isSPM
        self.addEOS = file["tokenizer.ggml.add_eos_token"]?.boolValue ?? false
        self.addSpacePrefix = file["tokenizer.ggml.add_space_prefix"]?.boolValue ?? isSPM
        self.ids = ids
        self.mergeRanks = ranks

        var eog = Set<Int>()
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let v = id(key) { eog.insert(v) }
        }
        if let eos = self.eos { eog.insert(eos) }
        let endMarkers: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<|end_of_text|>", "<end_of_utterance>", "<|eom_id|>"]
        for (i, text) in tokens.enumerated() where endMarkers.contains(text) && (types[i] == .control || types[i] == .userDefined) {
            eog.insert(i)
        }
        self.endOfGeneration = eog

        specialTokens = tokens.indices
            .filter { [.control, .userDefined, .unknown].contains(types[$0]) && !tokens[$0].isEmpty }
            .map { (text: tokens[$0], id: $0, control: types[$0] != .userDefined) }
            .sorted { $0.text.utf8.count != $1.text.utf8.count ? $0.text.utf8.count > $1.text.utf8.count : $0.id < $1.id }

        var byteTokens = [Int](repeating: -1, count: 256)
        for b in 0..<256 {
            if isSPM {
                byteTokens[b] = ids[String(format: "<0x%02X>", b)] ?? -1
            } else {
                byteTokens[b] = ids[String(ByteLevel.encode[b])] ?? -1
            }
        }
        self.byteTokens = byteTokens
    }

    // MARK: Encoding

    /// The token ids of `text`. With `parseSpecial`, control tokens written out in the text (such
    /// as `<|im_start|>`) become those tokens; otherwise they are tokenized as plain text.
    /// `addSpecial` adds the BOS/EOS tokens the vocabulary asks for.
    public func encode(_ text: String, parseSpecial: Bool = false, addSpecial: Bool = false) -> [Int] {
        var out: [Int] = []
        if addSpecial, addBOS, let bos { out.append(bos) }
        var previousWasSpecial = true
        for fragment in partition(text, parseSpecial: parseSpecial) {
            switch fragment {
            case let .special(id):
                out.append(id)
                previousWasSpecial = true
            case let .text(t):
                switch kind {
                case .bytePairs: encodeBPE(t, into: &out)
                case .sentencePiece:
                    let prefixed = addSpacePrefix && previousWasSpecial ? " " + t : t
                    encodeSPM(prefixed.replacingOccurrences(of: " ", with: "\u{2581}"), into: &out)
                }
                previousWasSpecial = false
            }
        }
        if addSpecial, addEOS, let eos { out.append(eos) }
        return out
    }

    enum Fragment: Equatable { case text(String), special(Int) }

    /// Splits out special tokens, longest first (as llama.cpp does).
    func partition(_ text: String, parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = [.text(text)]
        for special in specialTokens where parseSpecial || !special.control {
            guard text.contains(special.text) else { continue }
            var next: [Fragment] = []
            for fragment in fragments {
                guard case let .text(t) = fragment, t.contains(special.text) else { next.append(fragment); continue }
                let parts = t.components(separatedBy: special.text)
                for (i, part) in parts.enumerated() {
                    if i > 0 { next.append(.special(special.id)) }
                    if !part.isEmpty { next.append(.text(part)) }
                }
            }
            fragments = next
        }
        return fragments
    }

    private func encodeBPE(_ text: String, into out: inout [Int]) {
        guard let pre = preTokenizer else { return }
        for word in pre.split(text) {
            let encoded = ByteLevel.encode(word)
            if pre.ignoreMerges, let id = ids[encoded] { out.append(id); continue }
            var symbols = encoded.unicodeScalars.map { String($0) }
            while symbols.count > 1 {
                var best = -1, bestRank = Int.max
                for i in 0..<(symbols.count - 1) {
                    if let rank = mergeRanks[symbols[i] + " " + symbols[i + 1]], rank < bestRank {
                        bestRank = rank
                        best = i
                    }
                }
                if best < 0 { break }
                symbols[best] += symbols[best + 1]
                symbols.remove(at: best + 1)
            }
            for symbol in symbols {
                if let id = ids[symbol] {
                    out.append(id)
                } else {
                    for scalar in symbol.unicodeScalars {
                        if let byte = ByteLevel.decode[scalar], byteTokens[Int(byte)] >= 0 { out.append(byteTokens[Int(byte)]) }
                    }
                }
            }
        }
    }

    private func encodeSPM(_ text: String, into out: inout [Int]) {
        // Symbols are UTF-8 characters; repeatedly merge the adjacent pair whose concatenation is a
        // token with the highest score (leftmost on ties), then fall back to bytes.
        var symbols = text.unicodeScalars.map { String($0) }
        while symbols.count > 1 {
            var best = -1
            var bestScore = -Float.infinity
            for i in 0..<(symbols.count - 1) {
                if let id = ids[symbols[i] + symbols[i + 1]], scores[id] > bestScore {
                    bestScore = scores[id]
                    best = i
                }
            }
            if best < 0 { break }
            symbols[best] += symbols[best + 1]
            symbols.remove(at: best + 1)
        }
        for symbol in symbols {
            if let id = ids[symbol] {
                out.append(id)
            } else {
                for byte in symbol.utf8 {
                    if byteTokens[Int(byte)] >= 0 { out.append(byteTokens[Int(byte)]) } else if let unknown { out.append(unknown) }
                }
            }
        }
    }

    // MARK: Decoding

    /// The bytes a token stands for. Control tokens are empty unless `special`.
    public func bytes(of id: Int, special: Bool = false) -> [UInt8] {
        guard id >= 0, id < tokens.count else { return [] }
        let text = tokens[id]
        switch types[id] {
        case .control, .unknown, .unused:
            return special ? Array(text.utf8) : []
        case .userDefined:
            return Array(text.utf8)
        case .byte where kind == .sentencePiece:
            if text.count == 6, text.hasPrefix("<0x"), let b = UInt8(text.dropFirst(3).prefix(2), radix: 16) { return [b] }
            return Array(text.utf8)
        default:
            switch kind {
            case .bytePairs:
                return text.unicodeScalars.compactMap { ByteLevel.decode[$0] }
            case .sentencePiece:
                return Array(text.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
            }
        }
    }

    /// The text of a token sequence (control tokens omitted unless `special`).
    public func decode(_ ids: [Int], special: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            var piece = self.bytes(of: id, special: special)
            // SentencePiece adds a space before the text; the first piece gives it back.
            if bytes.isEmpty, kind == .sentencePiece, addSpacePrefix, piece.first == 0x20 { piece.removeFirst() }
            bytes += piece
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The id of a token's exact text, if it is in the vocabulary.
    public func id(of text: String) -> Int? { ids[text] }
}

/// GPT-2's reversible mapping of bytes to printable characters.
enum ByteLevel {
    static let encode: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                table[b] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return table
    }()

    static let decode: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (b, c) in encode.enumerated() { map[c.unicodeScalars.first!] = UInt8(b) }
        return map
    }()

    static func encode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 { out.append(encode[Int(b)]) }
        return out
    }
}

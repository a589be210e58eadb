import Foundation
/// Splits text into words before byte-level BPE, as the regular expressions named by a GGUF
/// file's `tokenizer.ggml.pre` do in llama.cpp. Each pattern is a hand-written matcher over
/// Unicode scalars (letters, numbers and whitespace by Unicode property), applied in stages: each
/// stage splits the pieces of the one before, and text a stage does not match stays a piece.
public struct PreTokenizer: Sendable, Hashable {
    public enum Pattern: String, Sendable, Hashable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
        case gpt2
        /// Llama 3: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,3}`, newline-aware whitespace.
        case llama3
        /// Qwen 2: as Llama 3 with single digits.
        case qwen2
        /// `\p{N}`: every digit its own piece.
        case singleDigits
        /// `\p{N}+`
        case digitRuns
        /// `[0-9][0-9][0-9]`
        case asciiDigitTriples
        /// `[\p{P}\$\+<=>\^~\|]+`
        case punctuationRuns
    }

    public let name: String
    public let stages: [Pattern]
    /// Whole words found in the vocabulary skip the merges (llama.cpp's `ignore_merges`, Llama 3).
    public let ignoreMerges: Bool

    /// The pre-tokenizer named by `tokenizer.ggml.pre` (nil when the name is unknown).
    public init?(name: String) {
        self.name = name
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            stages = [.singleDigits, .gpt2]; ignoreMerges = false
        case "gpt-2", "phi-2", "jina-es", "jina-de", "olmo", "jais", "trillion", "granite", "mpt":
            stages = [.gpt2]; ignoreMerges = false
        case "llama-bpe", "llama3", "falcon3", "smaug-bpe", "dbrx", "pixtral":
            stages = [.llama3]; ignoreMerges = name != "smaug-bpe" && name != "dbrx"
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan":
            stages = [.qwen2]; ignoreMerges = false
        case "default":
            stages = [.punctuationRuns, .gpt2, .digitRuns, .asciiDigitTriples]; ignoreMerges = false
        default:
            return nil
        }
    }

    public static let supportedNames = ["default", "gpt-2", "llama-bpe", "qwen2", "smollm"]

    /// The words of `text`, in order; their concatenation is `text`.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [Range<Int>] = [0..<scalars.count]
        for stage in stages {
            var next: [Range<Int>] = []
            for piece in pieces { PreTokenizer.split(scalars, piece, stage, into: &next) }
            pieces = next
        }
        return pieces.map { range in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[range])
            return String(s)
        }
    }

    static func split(_ s: [Unicode.Scalar], _ range: Range<Int>, _ pattern: Pattern, into out: inout [Range<Int>]) {
        var pos = range.lowerBound
        var gapStart = pos
        let end = range.upperBound
        while pos < end {
            if let matchEnd = match(s, pos, end, pattern), matchEnd > pos {
                if gapStart < pos { out.append(gapStart..<pos) }
                out.append(pos..<matchEnd)
                pos = matchEnd
                gapStart = pos
            } else {
                pos += 1
            }
        }
        if gapStart < end { out.append(gapStart..<end) }
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isOther(_ c: Unicode.Scalar) -> Bool { !isSpace(c) && !isLetter(c) && !isNumber(c) }
    static func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\r" || c == "\n" }

    /// End of the match of `pattern` starting exactly at `pos`, or nil.
    static func match(_ s: [Unicode.Scalar], _ pos: Int, _ end: Int, _ pattern: Pattern) -> Int? {
        func run(_ from: Int, _ test: (Unicode.Scalar) -> Bool) -> Int {
            var p = from
            while p < end, test(s[p]) { p += 1 }
            return p
        }
        let c = s[pos]
        switch pattern {
        case .singleDigits:
            return isNumber(c) ? pos + 1 : nil
        case .digitRuns:
            return isNumber(c) ? run(pos, isNumber) : nil
        case .asciiDigitTriples:
            guard pos + 3 <= end, (pos..<pos + 3).allSatisfy({ ("0"..."9").contains(s[$0]) }) else { return nil }
            return pos + 3
        case .punctuationRuns:
            let test: (Unicode.Scalar) -> Bool = { isPunctuation($0) || "$+<=>^~|".unicodeScalars.contains($0) }
            return test(c) ? run(pos, test) : nil
        case .gpt2:
            if let e = contraction(s, pos, end, caseInsensitive: false) { return e }
            let lead = c == " " && pos + 1 < end ? pos + 1 : pos
            if isLetter(s[lead]) { return run(lead, isLetter) }
            if isNumber(s[lead]) { return run(lead, isNumber) }
            if isOther(s[lead]) { return run(lead, isOther) }
            return whitespace(s, pos, end, newlineAware: false)
        case .llama3, .qwen2:
            if let e = contraction(s, pos, end, caseInsensitive: true) { return e }
            if isLetter(c) { return run(pos, isLetter) }
            if !isNewline(c), !isNumber(c), pos + 1 < end, isLetter(s[pos + 1]) { return run(pos + 1, isLetter) }
            if isNumber(c) {
                let limit = pattern == .llama3 ? 3 : 1
                var p = pos
                while p < end, p - pos < limit, isNumber(s[p]) { p += 1 }
                return p
            }
            let lead = c == " " && pos + 1 < end && isOther(s[pos + 1]) ? pos + 1 : pos
            if isOther(s[lead]) {
                return run(run(lead, isOther), isNewline)
            }
            return whitespace(s, pos, end, newlineAware: true)
        }
    }

    static func contraction(_ s: [Unicode.Scalar], _ pos: Int, _ end: Int, caseInsensitive: Bool) -> Int? {
        guard s[pos] == "'", pos + 1 < end else { return nil }
        func at(_ i: Int) -> Unicode.Scalar? {
            guard i < end else { return nil }
            let c = s[i]
            return caseInsensitive && c.isASCII ? Unicode.Scalar(UInt8(ascii: c) | 0x20) : c
        }
        switch at(pos + 1) {
        case "s", "t", "m", "d": return pos + 2
        case "r": return at(pos + 2) == "e" ? pos + 3 : nil
        case "v": return at(pos + 2) == "e" ? pos + 3 : nil
        case "l": return at(pos + 2) == "l" ? pos + 3 : nil
        default: return nil
        }
    }

    /// `\s*[\r\n]+` (when newline-aware), then `\s+(?!\S)`, then `\s+`.
    static func whitespace(_ s: [Unicode.Scalar], _ pos: Int, _ end: Int, newlineAware: Bool) -> Int? {
        guard isSpace(s[pos]) else { return nil }
        var p = pos
        var lastNewline: Int?
        while p < end, isSpace(s[p]) {
            if isNewline(s[p]) { lastNewline = p + 1 }
            p += 1
        }
        if newlineAware, let lastNewline { return lastNewline }
        if p < end, p - pos > 1 { return p - 1 }
        return p
    }
}

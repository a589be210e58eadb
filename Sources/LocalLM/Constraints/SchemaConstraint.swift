import CKernels
import LanguageModel
import Synchronization

/// A compiled schema over one vocabulary, with the masks it has worked out so far.
///
/// Masks depend only on the grammar state (while the token budget leaves room), so they are
/// cached here and shared by every request with the same schema and preamble on the same model:
/// a desk asks the same roles the same shapes day after day.
final class CompiledConstraint: Sendable {
    let grammar: SchemaGrammar
    let index: TokenIndex
    let preamble: Int?

    /// The tokens a state allows with no budget, and the most bytes any of them leaves to write.
    private struct StateMask {
        var words: [UInt64]
        var need: Int
    }
    private struct Caches {
        var masks: [GrammarState: StateMask] = [:]
        var enders: [GrammarState: [Ender]] = [:]
        var forced: [GrammarState: [UInt8]] = [:]
    }
    /// A token that ends a string or the preamble and is allowed after it (with its plain byte count).
    struct Ender: Sendable {
        var token: Int32
        var plain: Int32
        /// The shortest completion after the token.
        var remaining: Int32
    }
    private let caches = Mutex(Caches())
    /// States cached at most, per kind (a mask is vocabulary/8 bytes: 6 KB for SmolLM2).
    static let cacheLimit = 4096

    init(grammar: SchemaGrammar, index: TokenIndex, preamble: Int?) {
        self.grammar = grammar
        self.index = index
        self.preamble = preamble
    }

    private struct Key: Hashable {
        var schema: OutputSchema
        var preamble: Int?
        var vocabulary: String
    }
    private static let shared = Mutex<[Key: CompiledConstraint]>([:])

    /// The compiled form of `schema` for a model's vocabulary, compiled on first use.
    static func shared(schema: OutputSchema, preamble: Int?, index: TokenIndex, vocabularyKey: String) throws -> CompiledConstraint {
        let key = Key(schema: schema, preamble: preamble, vocabulary: vocabularyKey)
        if let found = shared.withLock({ $0[key] }) { return found }
        let compiled = CompiledConstraint(grammar: try SchemaGrammar(schema), index: index, preamble: preamble)
        return shared.withLock { table in
            if let existing = table[key] { return existing }
            if table.count >= 256 { table.removeAll() }
            table[key] = compiled
            return compiled
        }
    }

    // MARK: Masks

    /// The tokens allowed in `state` when `left` tokens may still be generated (this one included).
    func mask(for state: GrammarState, left: Int) -> [UInt64] {
        switch state.stack.last {
        case let .string(node, length, true)?:
            guard case let .string(minLength, maxLength) = grammar.nodes[Int(node)] else { return empty }
            return textMask(state, text: index.jsonString, written: Int(length), minimum: minLength, maximum: maxLength, left: left)
        case let .preamble(length, limit)?:
            return textMask(state, text: index.preamble, written: Int(length), minimum: 0, maximum: Int(limit), left: left)
        default:
            let full: StateMask
            if let cached = caches.withLock({ $0.masks[state] }) {
                full = cached
            } else {
                var words = empty
                var need = 0
                walk(index.trie, node: 0, state: state, budget: nil) { entry, next in
                    words[Int(entry.token) >> 6] |= 1 << UInt64(entry.token & 63)
                    need = max(need, next.minRemaining(grammar))
                }
                full = StateMask(words: words, need: need)
                caches.withLock { caches in
                    if caches.masks.count >= CompiledConstraint.cacheLimit { caches.masks.removeAll() }
                    caches.masks[state] = full
                }
            }
            // With room for the longest shortest-completion after any allowed token, the budget removes nothing.
            if left - 1 >= full.need { return full.words }
            var words = empty
            walk(index.trie, node: 0, state: state, budget: left - 1) { entry, _ in
                words[Int(entry.token) >> 6] |= 1 << UInt64(entry.token & 63)
            }
            return words
        }
    }

    private var empty: [UInt64] { [UInt64](repeating: 0, count: index.words) }

    /// The bytes every valid continuation of `state` starts with (up to the first choice).
    func forcedBytes(after state: GrammarState) -> [UInt8] {
        switch state.stack.last {
        case let .string(node, length, true)?:
            // Inside free text any plain byte may come until the text is full: nothing is forced.
            if case let .string(_, maxLength) = grammar.nodes[Int(node)], Int(length) < maxLength { return [] }
        case let .preamble(length, limit)?:
            if length < limit { return [] }
        case .number?:
            // Numbers have many states, most with a choice of digits: worked out each time, not cached.
            return forcedRun(from: state)
        default:
            break
        }
        if let cached = caches.withLock({ $0.forced[state] }) { return cached }
        let forced = forcedRun(from: state)
        caches.withLock { caches in
            if caches.forced.count >= CompiledConstraint.cacheLimit { caches.forced.removeAll() }
            caches.forced[state] = forced
        }
        return forced
    }

    private func forcedRun(from state: GrammarState) -> [UInt8] {
        var forced: [UInt8] = []
        var current = state
        while !current.isComplete, forced.count < 64 {
            var only: (byte: UInt8, next: GrammarState)?
            var choices = 0
            for byte in UInt8.min...UInt8.max {
                var next = current
                guard next.advance(byte, grammar) else { continue }
                choices += 1
                if choices > 1 { break }
                only = (byte, next)
            }
            // ASCII only: the bytes are tokenized as text, and a partial UTF-8 sequence is not text.
            guard choices == 1, let only, only.byte < 0x80 else { break }
            forced.append(only.byte)
            current = only.next
        }
        return forced
    }

    /// Visits every token whose bytes `state` accepts from `node` on (and, with a `budget`, only those
    /// after which the JSON can still be finished in that many tokens).
    private func walk(_ trie: ByteTrie, node: Int, state: GrammarState, budget: Int?, _ visit: (ByteTrie.Entry, GrammarState) -> Void) {
        for child in trie.children(of: node) {
            var next = state
            guard next.advance(trie.byte[child], grammar) else { continue }
            let entries = trie.entries(at: child)
            if !entries.isEmpty, budget.map({ next.minRemaining(grammar) <= $0 }) ?? true {
                for entry in entries { visit(entry, next) }
            }
            if trie.firstChild[child] >= 0, !next.isComplete { walk(trie, node: child, state: next, budget: budget, visit) }
        }
    }

    /// The mask inside free text: plain tokens that fit, and tokens that end the text and go on validly.
    private func textMask(_ state: GrammarState, text: TextClass, written: Int, minimum: Int, maximum: Int,
                          left: Int) -> [UInt64] {
        var after = state.closingTop(grammar)
        if case .preamble? = state.stack.last { _ = after.advance(UInt8(ascii: "{"), grammar) }
        let enders = self.enders(after: after, text: text)
        let room = maximum - written
        var words = empty
        // Plain tokens of k bytes keep the text open: with a tight budget, the text's own minimum, its
        // terminator and the rest of the JSON must still fit after them.
        var fewest = 1, most = min(room, text.longestPlain)
        // The terminator, then the rest of the JSON.
        let slack = left - 1 - (1 + after.minRemaining(grammar))
        if slack < 0 { most = 0 } else { fewest = max(1, minimum - written - slack) }
        if most >= fewest {
            text.plainUpTo[most].withUnsafeBufferPointer { source in
                words.withUnsafeMutableBufferPointer { ck_bits_or($0.baseAddress!, source.baseAddress!, Int64(index.words)) }
            }
            if fewest > 1 {
                text.plainUpTo[fewest - 1].withUnsafeBufferPointer { source in
                    words.withUnsafeMutableBufferPointer { ck_bits_andnot($0.baseAddress!, source.baseAddress!, Int64(index.words)) }
                }
            }
        }
        for ender in enders {
            let plain = Int(ender.plain)
            guard plain <= room, written + plain >= minimum, Int(ender.remaining) <= left - 1 else { continue }
            words[Int(ender.token) >> 6] |= 1 << UInt64(ender.token & 63)
        }
        return words
    }

    /// The tokens that end a text and whose bytes after the terminator `after` accepts.
    private func enders(after: GrammarState, text: TextClass) -> [Ender] {
        if let cached = caches.withLock({ $0.enders[after] }) { return cached }
        var found: [Ender] = []
        let rootRemaining = Int32(after.minRemaining(grammar))
        for entry in text.enders.entries(at: 0) { found.append(Ender(token: entry.token, plain: entry.aux, remaining: rootRemaining)) }
        if !after.isComplete {
            walk(text.enders, node: 0, state: after, budget: nil) { entry, state in
                found.append(Ender(token: entry.token, plain: entry.aux, remaining: Int32(state.minRemaining(grammar))))
            }
        }
        caches.withLock { caches in
            if caches.enders.count >= CompiledConstraint.cacheLimit { caches.enders.removeAll() }
            caches.enders[after] = found
        }
        return found
    }
}

/// Schema-constrained decoding: the ``TokenConstraint`` that lets the sampler choose only tokens
/// that keep the output on the way to JSON valid against an ``OutputSchema``, and that finishes
/// the JSON in time (the shortest way) when `maxTokens` runs low.
///
/// Before each step it gives the mask of allowed tokens for the current grammar state; each
/// accepted token advances the state by its bytes. It is complete when the top-level object is
/// closed; end-of-sequence is never allowed before. With a preamble, free text (printable ASCII
/// and line breaks, at most `preamble` bytes) may come before the JSON, which starts at the first `{`.
public struct SchemaConstraint: TokenConstraint {
    let compiled: CompiledConstraint
    private(set) var state: GrammarState
    /// Tokens the generation may still take.
    private(set) var left: Int
    /// False after a token the grammar does not allow was forced on the constraint.
    public private(set) var isValid = true

    /// A constraint for `schema` over `tokenizer`'s vocabulary. `vocabularyKey` names the
    /// vocabulary for the process-wide caches (a model digest); `maxTokens` is the generation's budget.
    public init(schema: OutputSchema, tokenizer: Tokenizer, vocabularyKey: String, maxTokens: Int, preamble: Int? = nil) throws {
        let index = TokenIndex.shared(for: tokenizer, key: vocabularyKey)
        compiled = try CompiledConstraint.shared(schema: schema, preamble: preamble, index: index, vocabularyKey: vocabularyKey)
        state = GrammarState(grammar: compiled.grammar, preamble: preamble)
        left = maxTokens
        let shortest = compiled.grammar.minLength[compiled.grammar.root]
        guard maxTokens >= shortest else {
            throw SchemaGrammarError("max_tokens \(maxTokens) cannot hold the shortest JSON this schema allows (\(shortest) bytes); raise max_tokens to at least \(shortest)")
        }
    }

    /// Checks that the decoder can follow `schema` (an object at the top, satisfiable bounds and
    /// lengths), without a vocabulary; the error names the offending part by JSON path.
    public static func check(_ schema: OutputSchema) throws(SchemaGrammarError) {
        do { _ = try SchemaGrammar(schema) } catch let error as SchemaGrammarError { throw error } catch { throw SchemaGrammarError("\(error)") }
    }

    /// Bytes of the shortest JSON the schema allows (a lower bound for `max_tokens`).
    public var shortestOutputBytes: Int { compiled.grammar.minLength[compiled.grammar.root] }

    public mutating func allowedTokens(vocabularySize: Int) -> TokenMask? {
        var words = compiled.mask(for: state, left: left)
        let needed = (vocabularySize + 63) / 64
        if words.count != needed {
            words = Array(words.prefix(needed)) + [UInt64](repeating: 0, count: max(0, needed - words.count))
        }
        return TokenMask(count: vocabularySize, words: words)
    }

    public mutating func accept(_ token: Int) {
        left -= 1
        guard isValid, token >= 0, token < compiled.index.tokenBytes.count else { isValid = false; return }
        let bytes = compiled.index.tokenBytes[token]
        if bytes.isEmpty || !state.advance(bytes, compiled.grammar) { isValid = false }
    }

    public var isComplete: Bool { isValid && state.isComplete }

    public mutating func forcedBytes() -> [UInt8] {
        isValid ? compiled.forcedBytes(after: state) : []
    }

    /// The fewest bytes that finish the JSON from here.
    public var remainingBytes: Int { state.minRemaining(compiled.grammar) }
}

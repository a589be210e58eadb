import CKernels
import Foundation
import Synchronization

/// A byte trie with entries at its nodes: child and sibling links in flat arrays (node 0 is the root).
struct ByteTrie: Sendable {
    struct Entry: Sendable, Hashable {
        var token: Int32
        /// Extra figure carried with the token (for enders: the plain bytes before the terminator).
        var aux: Int32
    }

    private(set) var firstChild: [Int32] = [-1]
    private(set) var nextSibling: [Int32] = [-1]
    private(set) var byte: [UInt8] = [0]
    private(set) var entryStart: [Int32] = [0]
    private(set) var entryCount: [Int32] = [0]
    private(set) var entries: [Entry] = []

    var nodeCount: Int { byte.count }

    /// A trie holding `items` (byte strings with an entry each; equal strings share a node).
    init(_ items: [(bytes: [UInt8], entry: Entry)]) {
        let order = items.indices.sorted { a, b in
            let x = items[a].bytes, y = items[b].bytes
            return x.lexicographicallyPrecedes(y) || (x == y && items[a].entry.token < items[b].entry.token)
        }
        var lastChild: [Int32] = [-1]
        var path: [Int32] = [0]          // path[d]: the node at depth d of the previous string
        var previous: [UInt8] = []
        for index in order {
            let bytes = items[index].bytes
            var common = 0
            while common < min(bytes.count, previous.count), bytes[common] == previous[common] { common += 1 }
            path.removeLast(path.count - common - 1)
            for depth in common..<bytes.count {
                let parent = Int(path[depth])
                let node = Int32(byte.count)
                firstChild.append(-1)
                nextSibling.append(-1)
                byte.append(bytes[depth])
                entryStart.append(0)
                entryCount.append(0)
                lastChild.append(-1)
                if lastChild[parent] < 0 { firstChild[parent] = node } else { nextSibling[Int(lastChild[parent])] = node }
                lastChild[parent] = node
                path.append(node)
            }
            previous = bytes
            let node = Int(path[bytes.count])
            if entryCount[node] == 0 { entryStart[node] = Int32(entries.count) }
            entries.append(items[index].entry)
            entryCount[node] += 1
        }
    }

    func children(of node: Int) -> ChildSequence { ChildSequence(trie: self, first: firstChild[node]) }

    func entries(at node: Int) -> ArraySlice<Entry> {
        let start = Int(entryStart[node])
        return entries[start..<(start + Int(entryCount[node]))]
    }

    struct ChildSequence: Sequence, IteratorProtocol {
        let trie: ByteTrie
        var cursor: Int32
        init(trie: ByteTrie, first: Int32) { self.trie = trie; cursor = first }
        mutating func next() -> Int? {
            guard cursor >= 0 else { return nil }
            let node = Int(cursor)
            cursor = trie.nextSibling[node]
            return node
        }
    }
}

/// A kind of free text inside constrained output (a JSON string's characters, the preamble):
/// the tokens that are nothing but such text, by length, and the tokens that end it.
struct TextClass: Sendable {
    /// `plainUpTo[n]`: the tokens made of 1 to n plain bytes (as mask words).
    let plainUpTo: [[UInt64]]
    /// Tokens of the form plain bytes, the terminator, then more: a trie over what follows the
    /// terminator, each entry carrying the token and its count of plain bytes.
    let enders: ByteTrie

    var longestPlain: Int { plainUpTo.count - 1 }

    init(tokens: [[UInt8]], words: Int, terminator: UInt8, isPlain: (UInt8) -> Bool) {
        var byLength: [[Int]] = [[]]
        var endItems: [(bytes: [UInt8], entry: ByteTrie.Entry)] = []
        for (id, bytes) in tokens.enumerated() where !bytes.isEmpty {
            var plain = 0
            while plain < bytes.count, isPlain(bytes[plain]) { plain += 1 }
            if plain == bytes.count {
                while byLength.count <= plain { byLength.append([]) }
                byLength[plain].append(id)
            } else if bytes[plain] == terminator {
                endItems.append((Array(bytes[(plain + 1)...]), ByteTrie.Entry(token: Int32(id), aux: Int32(plain))))
            }
        }
        var cumulative = [[UInt64]]()
        var current = [UInt64](repeating: 0, count: words)
        for ids in byLength {
            for id in ids { current[id >> 6] |= 1 << UInt64(id & 63) }
            cumulative.append(current)
        }
        plainUpTo = cumulative
        enders = ByteTrie(endItems)
    }
}

/// The vocabulary as the constrained decoder sees it: every token's bytes in a trie, and the two
/// text classes. Built once per model (about 49k tokens for SmolLM2) and shared.
final class TokenIndex: Sendable {
    /// Tokens in the vocabulary (mask bits past it stay clear).
    let vocabularySize: Int
    let words: Int
    /// The bytes of each token the decoder may choose (empty for control tokens, which it never may).
    let tokenBytes: [[UInt8]]
    let trie: ByteTrie
    /// Characters of a JSON string (printable ASCII but `"` and `\`), ended by `"`.
    let jsonString: TextClass
    /// Free text before the JSON (printable ASCII and line breaks), ended by `{`.
    let preamble: TextClass

    init(tokenizer: Tokenizer) {
        let count = tokenizer.count
        var bytes = [[UInt8]](repeating: [], count: count)
        for id in 0..<count where tokenizer.types[id] != .control && tokenizer.types[id] != .unknown && tokenizer.types[id] != .unused {
            bytes[id] = tokenizer.bytes(of: id)
        }
        vocabularySize = count
        words = (count + 63) / 64
        tokenBytes = bytes
        trie = ByteTrie(bytes.enumerated().filter { !$0.element.isEmpty }.map { ($0.element, ByteTrie.Entry(token: Int32($0.offset), aux: 0)) })
        jsonString = TextClass(tokens: bytes, words: words, terminator: UInt8(ascii: "\""), isPlain: JSONText.isPlain)
        preamble = TextClass(tokens: bytes, words: words, terminator: UInt8(ascii: "{"), isPlain: GrammarState.isPreambleByte)
    }

    private static let shared = Mutex<[String: TokenIndex]>([:])

    /// The index of a model's vocabulary, built on first use and kept for the process (keyed by the model's digest).
    static func shared(for tokenizer: Tokenizer, key: String) -> TokenIndex {
        if let index = shared.withLock({ $0[key] }) { return index }
        let index = TokenIndex(tokenizer: tokenizer)
        return shared.withLock { table in
            if let existing = table[key] { return existing }
            table[key] = index
            return index
        }
    }
}

/// Where a constrained output stands: a stack of frames, one per JSON value being written (the
/// innermost on top), advanced byte by byte. Small and hashable, so masks can be cached per state.
struct GrammarState: Sendable, Hashable {
    enum ObjectPhase: UInt8, Sendable, Hashable { case start, afterOpen, afterComma, inKey, inValue, afterValue }
    enum ArrayPhase: UInt8, Sendable, Hashable { case start, afterOpen, inItem, afterItem }

    enum Frame: Sendable, Hashable {
        /// `position`: properties before it are written or skipped.
        case object(node: Int32, position: Int32, phase: ObjectPhase)
        /// `count`: items begun.
        case array(node: Int32, count: Int32, phase: ArrayPhase)
        /// `length`: characters written after the opening quote (when `isOpen`).
        case string(node: Int32, length: Int32, isOpen: Bool)
        /// `matched` bytes of the texts `low..<high` of a literal set are written.
        case literal(set: Int32, matched: Int32, low: Int32, high: Int32)
        case number(node: Int32, state: NumberState)
        /// Free text before the JSON, `length` bytes so far, at most `limit`.
        case preamble(length: Int32, limit: Int32)
    }

    var stack: [Frame]

    /// The state before the first byte: the root object, optionally after free text of at most `preamble` bytes.
    init(grammar: SchemaGrammar, preamble: Int? = nil) {
        stack = [.object(node: Int32(grammar.root), position: 0, phase: .start)]
        if let preamble { stack.append(.preamble(length: 0, limit: Int32(max(0, preamble)))) }
    }

    /// True once the root object is closed: nothing more may be written.
    var isComplete: Bool { stack.isEmpty }

    private enum Step {
        case reject
        case consumed
        /// Push a frame and give it the same byte.
        case push(Frame)
        /// The byte is consumed; push a frame for what comes next.
        case consumedPush(Frame)
        /// The top frame is done with this byte; pop it and tell its parent (with the literal's payload).
        case doneConsumed(Int)
        /// The top frame ended before this byte; pop it, tell its parent and give the parent the byte.
        case doneRefeed(Int)
    }

    /// Consumes `byte`; false (leaving the state unusable) when the grammar does not allow it here.
    mutating func advance(_ byte: UInt8, _ grammar: SchemaGrammar) -> Bool {
        while !stack.isEmpty {
            let top = stack.count - 1
            switch step(&stack[top], byte, grammar) {
            case .reject:
                return false
            case .consumed:
                return true
            case let .push(frame):
                stack.append(frame)
            case let .consumedPush(frame):
                stack.append(frame)
                return true
            case let .doneConsumed(payload):
                stack.removeLast()
                finishChild(payload, grammar)
                return true
            case let .doneRefeed(payload):
                stack.removeLast()
                finishChild(payload, grammar)
            }
        }
        return false
    }

    /// Consumes every byte of `bytes`; false as soon as one is not allowed.
    mutating func advance(_ bytes: [UInt8], _ grammar: SchemaGrammar) -> Bool {
        for byte in bytes where !advance(byte, grammar) { return false }
        return true
    }

    /// The top frame popped as if it had ended well (a string closed, the preamble over), and its parent told.
    func closingTop(_ grammar: SchemaGrammar) -> GrammarState {
        var next = self
        next.stack.removeLast()
        next.finishChild(0, grammar)
        return next
    }

    private mutating func finishChild(_ payload: Int, _ grammar: SchemaGrammar) {
        guard let top = stack.indices.last else { return }
        switch stack[top] {
        case let .object(node, _, phase):
            switch phase {
            case .inKey:
                guard case let .object(object) = grammar.nodes[Int(node)] else { return }
                stack[top] = .object(node: node, position: Int32(payload + 1), phase: .inValue)
                stack.append(GrammarState.start(of: object.values[payload], grammar))
            case .inValue:
                if case let .object(_, position, _) = stack[top] { stack[top] = .object(node: node, position: position, phase: .afterValue) }
            default:
                break   // the preamble ended above the root object, which has not started
            }
        case let .array(node, count, .inItem):
            stack[top] = .array(node: node, count: count, phase: .afterItem)
        default:
            break
        }
    }

    /// The frame that writes `node` from its first byte.
    static func start(of node: Int, _ grammar: SchemaGrammar) -> Frame {
        let id = Int32(node)
        switch grammar.nodes[node] {
        case .object: return .object(node: id, position: 0, phase: .start)
        case .array: return .array(node: id, count: 0, phase: .start)
        case .string: return .string(node: id, length: 0, isOpen: false)
        case let .literal(set): return .literal(set: Int32(set), matched: 0, low: 0, high: Int32(grammar.literalSets[set].texts.count))
        case .number: return .number(node: id, state: NumberState())
        }
    }

    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}"), openBracket = UInt8(ascii: "[")
    private static let closeBracket = UInt8(ascii: "]"), comma = UInt8(ascii: ","), quote = UInt8(ascii: "\"")

    private func step(_ frame: inout Frame, _ byte: UInt8, _ grammar: SchemaGrammar) -> Step {
        switch frame {
        case let .object(node, position, phase):
            guard case let .object(object) = grammar.nodes[Int(node)] else { return .reject }
            let p = Int(position)
            switch phase {
            case .start:
                guard byte == Self.openBrace else { return .reject }
                frame = .object(node: node, position: 0, phase: .afterOpen)
                return .consumed
            case .afterOpen, .afterComma:
                if phase == .afterOpen, byte == Self.closeBrace, object.mayClose[p] { return .doneConsumed(0) }
                guard let set = object.keys[p] else { return .reject }
                frame = .object(node: node, position: position, phase: .inKey)
                return .push(.literal(set: Int32(set), matched: 0, low: 0, high: Int32(grammar.literalSets[set].texts.count)))
            case .afterValue:
                if byte == Self.closeBrace, object.mayClose[p] { return .doneConsumed(0) }
                guard byte == Self.comma, object.keys[p] != nil else { return .reject }
                frame = .object(node: node, position: position, phase: .afterComma)
                return .consumed
            case .inKey, .inValue:
                return .reject
            }
        case let .array(node, count, phase):
            guard case let .array(item, minItems, maxItems) = grammar.nodes[Int(node)] else { return .reject }
            switch phase {
            case .start:
                guard byte == Self.openBracket else { return .reject }
                frame = .array(node: node, count: 0, phase: .afterOpen)
                return .consumed
            case .afterOpen:
                if byte == Self.closeBracket { return minItems == 0 ? .doneConsumed(0) : .reject }
                guard maxItems > 0 else { return .reject }
                frame = .array(node: node, count: 1, phase: .inItem)
                return .push(GrammarState.start(of: item, grammar))
            case .afterItem:
                if byte == Self.closeBracket { return Int(count) >= minItems ? .doneConsumed(0) : .reject }
                guard byte == Self.comma, Int(count) < maxItems else { return .reject }
                frame = .array(node: node, count: count + 1, phase: .inItem)
                return .consumedPush(GrammarState.start(of: item, grammar))
            case .inItem:
                return .reject
            }
        case let .string(node, length, isOpen):
            guard case let .string(minLength, maxLength) = grammar.nodes[Int(node)] else { return .reject }
            if !isOpen {
                guard byte == Self.quote else { return .reject }
                frame = .string(node: node, length: 0, isOpen: true)
                return .consumed
            }
            if byte == Self.quote { return Int(length) >= minLength ? .doneConsumed(0) : .reject }
            guard JSONText.isPlain(byte), Int(length) < maxLength else { return .reject }
            frame = .string(node: node, length: length + 1, isOpen: true)
            return .consumed
        case let .literal(set, matched, low, high):
            let literal = grammar.literalSets[Int(set)]
            let m = Int(matched)
            var first = -1, last = -1
            for i in Int(low)..<Int(high) where literal.texts[i][m] == byte {
                if first < 0 { first = i }
                last = i
            }
            guard first >= 0 else { return .reject }
            if first == last, literal.texts[first].count == m + 1 { return .doneConsumed(literal.payloads[first]) }
            frame = .literal(set: set, matched: matched + 1, low: Int32(first), high: Int32(last + 1))
            return .consumed
        case let .number(node, state):
            guard case let .number(spec) = grammar.nodes[Int(node)] else { return .reject }
            if let next = state.advanced(byte, spec) {
                frame = .number(node: node, state: next)
                return .consumed
            }
            return state.canEnd(spec) ? .doneRefeed(0) : .reject
        case let .preamble(length, limit):
            if byte == Self.openBrace { return .doneRefeed(0) }
            guard length < limit, GrammarState.isPreambleByte(byte) else { return .reject }
            frame = .preamble(length: length + 1, limit: limit)
            return .consumed
        }
    }

    /// Bytes free text before the JSON may hold: printable ASCII and line breaks (`{` starts the JSON).
    @inline(__always) static func isPreambleByte(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "{")) || byte == UInt8(ascii: "\n")
    }

    // MARK: How far from the end

    /// The fewest bytes that complete the JSON from here (0 when complete).
    func minRemaining(_ grammar: SchemaGrammar) -> Int {
        var total = 0
        for frame in stack { total += GrammarState.remaining(frame, grammar) }
        return total
    }

    /// Bytes a frame needs to finish, once the frame above it (if any) has finished.
    static func remaining(_ frame: Frame, _ grammar: SchemaGrammar) -> Int {
        switch frame {
        case let .object(node, position, phase):
            guard case let .object(object) = grammar.nodes[Int(node)] else { return 0 }
            switch phase {
            case .start: return grammar.minLength[Int(node)]
            case .afterOpen: return object.restAfterOpen
            case .afterComma: return object.restAfterComma[Int(position)]
            case .inKey: return 0
            case .inValue, .afterValue: return object.restAfterValue[Int(position)]
            }
        case let .array(node, count, phase):
            guard case let .array(item, minItems, _) = grammar.nodes[Int(node)] else { return 0 }
            switch phase {
            case .start: return grammar.minLength[Int(node)]
            case .afterOpen: return minItems == 0 ? 1 : grammar.minLength[Int(node)] - 1
            case .inItem, .afterItem: return max(0, minItems - Int(count)) * (1 + grammar.minLength[item]) + 1
            }
        case let .string(node, length, isOpen):
            guard case let .string(minLength, _) = grammar.nodes[Int(node)] else { return 0 }
            return isOpen ? max(0, minLength - Int(length)) + 1 : minLength + 2
        case let .literal(set, matched, low, high):
            let literal = grammar.literalSets[Int(set)]
            var best = Int.max
            for i in Int(low)..<Int(high) { best = min(best, literal.texts[i].count - Int(matched) + literal.tails[i]) }
            return best
        case let .number(node, state):
            guard case let .number(spec) = grammar.nodes[Int(node)] else { return 0 }
            return state.minRemaining(spec) ?? 0
        case .preamble:
            return 0
        }
    }
}

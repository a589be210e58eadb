import LanguageModel

/// The numbers a schema's `number` or `integer` allows, as the decoder writes them: compact JSON
/// with no exponent, at most ``fractionDigits`` decimals and ``integerDigits`` digits before the
/// point, and only values within the bounds.
///
/// Values are handled as integers scaled by 10^``fractionDigits`` (so 0.25 with 6 decimals is
/// 250000), which makes the bounds exact: every prefix the decoder writes stands for a set of
/// reachable values (a few intervals), and a digit is allowed only when some completion of the new
/// prefix lies within the bounds. So an out-of-range number cannot be written, and a number never
/// reaches a dead end.
struct NumberSpec: Sendable, Hashable {
    /// Decimals after the point (0 for integers: no point at all).
    let fractionDigits: Int
    /// Digits before the point, at most.
    let integerDigits: Int
    /// The bounds, scaled by ``scale``, inclusive.
    let low: Int64
    let high: Int64

    /// 10^fractionDigits.
    var scale: Int64 { NumberSpec.power(fractionDigits) }

    /// Decimals a `number` may carry.
    static let numberFractionDigits = 6
    /// Digits before the point when the bounds do not limit them.
    static let unboundedIntegerDigits = 9
    /// Digits of an integer's or a number's integer part, at most (keeps scaled values within Int64).
    static let maxIntegerDigits = 12

    /// The spec for `.number(minimum:maximum:)`; nil bounds are limited by ``unboundedIntegerDigits``.
    static func number(minimum: Double?, maximum: Double?) throws -> NumberSpec {
        try make(minimum: minimum, maximum: maximum, fractionDigits: numberFractionDigits)
    }

    /// The spec for `.integer(minimum:maximum:)`.
    static func integer(minimum: Int?, maximum: Int?) throws -> NumberSpec {
        try make(minimum: minimum.map(Double.init), maximum: maximum.map(Double.init), fractionDigits: 0)
    }

    private static func make(minimum: Double?, maximum: Double?, fractionDigits: Int) throws -> NumberSpec {
        for bound in [minimum, maximum] {
            if let bound, !bound.isFinite { throw SchemaGrammarError("a bound of a number must be finite") }
        }
        let largest = [minimum, maximum].compactMap { $0.map(abs) }
        let digits: Int
        if minimum == nil || maximum == nil {
            digits = max(unboundedIntegerDigits, largest.map(integerDigitCount).max() ?? 1)
        } else {
            digits = largest.map(integerDigitCount).max() ?? 1
        }
        guard digits <= maxIntegerDigits else {
            throw SchemaGrammarError("bounds beyond ±10^\(maxIntegerDigits) are not supported")
        }
        let scale = power(fractionDigits)
        let limit = power(digits) * scale - 1
        var low = -limit, high = limit
        if let minimum { low = max(low, scaledBound(minimum, scale: scale, fractionDigits: fractionDigits, roundingUp: true)) }
        if let maximum { high = min(high, scaledBound(maximum, scale: scale, fractionDigits: fractionDigits, roundingUp: false)) }
        guard low <= high else {
            let what = fractionDigits == 0 ? "no whole number" : "no number with at most \(fractionDigits) decimals"
            throw SchemaGrammarError("\(what) lies within the bounds")
        }
        return NumberSpec(fractionDigits: fractionDigits, integerDigits: max(1, digits), low: low, high: high)
    }

    private static func integerDigitCount(_ x: Double) -> Int {
        var n = 1
        var limit = 10.0
        while x >= limit, n < 40 { n += 1; limit *= 10 }
        return n
    }

    /// The scaled value nearest `bound` on the inside: the smallest scaled `s` whose decimal text
    /// parses to a double ≥ `bound` (or the largest ≤ `bound`). Parsing is monotonic, so every
    /// value beyond `s` is inside too.
    private static func scaledBound(_ bound: Double, scale: Int64, fractionDigits: Int, roundingUp: Bool) -> Int64 {
        var s = Int64((bound * Double(scale)).rounded())
        func inside(_ s: Int64) -> Bool {
            let value = Double(text(s, fractionDigits: fractionDigits))!
            return roundingUp ? value >= bound : value <= bound
        }
        while !inside(s) { s += roundingUp ? 1 : -1 }
        while inside(roundingUp ? s - 1 : s + 1) { s += roundingUp ? -1 : 1 }
        return s
    }

    /// The decimal text of a scaled value.
    static func text(_ scaled: Int64, fractionDigits: Int) -> String {
        let negative = scaled < 0
        let magnitude = scaled.magnitude
        let scale = UInt64(power(fractionDigits))
        var result = (negative ? "-" : "") + String(magnitude / scale)
        if fractionDigits > 0 {
            let fraction = String(magnitude % scale)
            result += "." + String(repeating: "0", count: fractionDigits - fraction.count) + fraction
        }
        return result
    }

    static func power(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// The magnitudes (scaled) a number of this sign may take: `[max(low, 0), high]` for positive
    /// numbers, `[max(-high, 1), -low]` for negative ones (never "-0").
    func magnitudes(negative: Bool) -> ClosedRange<Int64>? {
        let lower = negative ? max(-high, 1) : max(low, 0)
        let upper = negative ? -low : high
        return lower <= upper ? lower...upper : nil
    }

    /// Longest completion of any state, in bytes (sign, digits, point).
    var worstRemaining: Int { integerDigits + fractionDigits + 2 }

    /// The shortest number this spec allows, in bytes.
    var minLength: Int { NumberState().minRemaining(self) ?? 1 }
}

/// How far the decoder has written a number: its sign, digits before the point and after it.
struct NumberState: Sendable, Hashable {
    enum Phase: UInt8, Sendable, Hashable {
        /// Nothing written.
        case start
        /// "-" written.
        case sign
        /// "0" (or "-0") written: a point or the end may follow.
        case zero
        /// A non-zero integer part is being written.
        case integer
        /// The point is written: a digit must follow.
        case point
        /// Decimals are being written.
        case fraction
    }

    var phase: Phase = .start
    var negative = false
    /// The integer part's value and its digits.
    var integer: Int64 = 0
    var integerDigits: Int8 = 0
    /// The decimals written so far, as an integer, and how many.
    var fraction: Int64 = 0
    var fractionDigits: Int8 = 0

    /// The state after `byte`, or nil when the byte is not part of an allowed number here.
    func advanced(_ byte: UInt8, _ spec: NumberSpec) -> NumberState? {
        var next = self
        switch byte {
        case UInt8(ascii: "-"):
            guard phase == .start else { return nil }
            next.phase = .sign
            next.negative = true
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            let digit = Int64(byte - UInt8(ascii: "0"))
            switch phase {
            case .start, .sign:
                if digit == 0 { next.phase = .zero } else { next.phase = .integer; next.integer = digit }
                next.integerDigits = 1
            case .integer:
                guard Int(integerDigits) < spec.integerDigits else { return nil }
                next.integer = integer * 10 + digit
                next.integerDigits += 1
            case .zero:
                return nil
            case .point, .fraction:
                guard Int(fractionDigits) < spec.fractionDigits else { return nil }
                next.phase = .fraction
                next.fraction = fraction * 10 + digit
                next.fractionDigits += 1
            }
        case UInt8(ascii: "."):
            guard spec.fractionDigits > 0, phase == .zero || phase == .integer else { return nil }
            next.phase = .point
        default:
            return nil
        }
        return next.isFeasible(spec) ? next : nil
    }

    /// The scaled magnitudes that completions of this state can reach, as intervals.
    private func reachable(_ spec: NumberSpec) -> [ClosedRange<Int64>] {
        let scale = spec.scale
        switch phase {
        case .start, .sign:
            return [0...(NumberSpec.power(spec.integerDigits) * scale - 1)]
        case .zero:
            return [0...(scale - 1)]
        case .integer:
            var result: [ClosedRange<Int64>] = []
            var unit = scale
            for _ in 0...(spec.integerDigits - Int(integerDigits)) {
                result.append((integer * unit)...((integer + 1) * unit - 1))
                unit *= 10
            }
            return result
        case .point:
            return [(integer * scale)...(integer * scale + scale - 1)]
        case .fraction:
            let unit = NumberSpec.power(spec.fractionDigits - Int(fractionDigits))
            let base = integer * scale + fraction * unit
            return [base...(base + unit - 1)]
        }
    }

    /// True when some completion of this state is an allowed number.
    func isFeasible(_ spec: NumberSpec) -> Bool {
        if phase == .start { return true }
        guard let allowed = spec.magnitudes(negative: negative) else { return false }
        return reachable(spec).contains { $0.overlaps(allowed) }
    }

    /// True when the number may end here (its text is a complete number within the bounds).
    func canEnd(_ spec: NumberSpec) -> Bool {
        guard phase == .zero || phase == .integer || phase == .fraction, let allowed = spec.magnitudes(negative: negative) else { return false }
        return allowed.contains(value(spec))
    }

    /// The scaled magnitude written so far.
    func value(_ spec: NumberSpec) -> Int64 {
        integer * spec.scale + fraction * NumberSpec.power(spec.fractionDigits - Int(fractionDigits))
    }

    /// The fewest bytes that complete this state into an allowed number; nil when none does.
    func minRemaining(_ spec: NumberSpec) -> Int? {
        switch phase {
        case .start, .sign:
            var best: Int?
            let firsts: [UInt8] = phase == .start ? Array(UInt8(ascii: "0")...UInt8(ascii: "9")) + [UInt8(ascii: "-")] : Array(UInt8(ascii: "0")...UInt8(ascii: "9"))
            for byte in firsts {
                guard let next = advanced(byte, spec), let rest = next.minRemaining(spec) else { continue }
                best = min(best ?? .max, 1 + rest)
            }
            return best
        case .zero, .integer:
            guard let allowed = spec.magnitudes(negative: negative) else { return nil }
            var best: Int?
            var unit = spec.scale
            let extra = phase == .zero ? 0 : spec.integerDigits - Int(integerDigits)
            for digits in 0...extra {
                let interval = (integer * unit)...((integer + 1) * unit - 1)
                unit *= 10
                guard interval.overlaps(allowed) else { continue }
                let span = interval.clamped(to: allowed)
                if NumberState.hasMultiple(span, of: spec.scale) {
                    best = min(best ?? .max, digits)
                    continue
                }
                if let decimals = NumberState.fewestDecimals(span, spec: spec, from: 0) {
                    best = min(best ?? .max, digits + 1 + decimals)
                }
            }
            return best
        case .point, .fraction:
            guard let allowed = spec.magnitudes(negative: negative) else { return nil }
            let written = Int(fractionDigits)
            let unit = NumberSpec.power(spec.fractionDigits - written)
            let base = integer * spec.scale + fraction * unit
            let interval = base...(base + unit - 1)
            guard interval.overlaps(allowed) else { return nil }
            let span = interval.clamped(to: allowed)
            if phase == .fraction, span.contains(base) { return 0 }
            return NumberState.fewestDecimals(span, spec: spec, from: written).map { $0 - written }
        }
    }

    /// The fewest decimals (more than `from`, or at least one) with which some value of `span` is written.
    private static func fewestDecimals(_ span: ClosedRange<Int64>, spec: NumberSpec, from written: Int) -> Int? {
        let fewest = max(1, written + 1)
        guard fewest <= spec.fractionDigits else { return nil }
        for decimals in fewest...spec.fractionDigits {
            if hasMultiple(span, of: NumberSpec.power(spec.fractionDigits - decimals)) { return decimals }
        }
        return nil
    }

    private static func hasMultiple(_ span: ClosedRange<Int64>, of unit: Int64) -> Bool {
        let first = (span.lowerBound + unit - 1) / unit * unit
        return first <= span.upperBound
    }
}

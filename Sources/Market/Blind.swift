import Foundation

/// How a scenario is disguised from the agents (contamination control), as its `blind:` key says.
public struct BlindSettings: Sendable, Hashable, Codable {
    /// What agents get of the news in blind mode.
    public enum NewsPolicy: String, Sendable, Hashable, Codable {
        /// Notes with symbols, company names, ISO dates and years rewritten.
        case masked
        /// No news at all (the wording of real notes can give the episode away).
        case omit
    }

    /// Seed of the hidden mapping; nil takes the run's seed.
    public var seed: UInt64?
    public var renameSymbols = true
    public var shiftDates = true
    public var scalePrices = true
    /// Whether sector labels are hidden too (they are kept by default: they say little about the episode).
    public var hideSectors = false
    public var news: NewsPolicy = .masked

    public init(seed: UInt64? = nil, renameSymbols: Bool = true, shiftDates: Bool = true, scalePrices: Bool = true,
                hideSectors: Bool = false, news: NewsPolicy = .masked) {
        self.seed = seed
        self.renameSymbols = renameSymbols
        self.shiftDates = shiftDates
        self.scalePrices = scalePrices
        self.hideSectors = hideSectors
        self.news = news
    }
}

/// The hidden correspondence between a real scenario and what agents see in blind mode: symbols
/// renamed, dates shifted by a whole number of weeks, prices scaled per symbol.
///
/// Everything an agent sees goes through `mask…`; everything an agent asks for or orders comes back
/// through `unmask…`. The mapping is a plain value (`Codable`), so the journal can keep it and a
/// report can undo it. Quantities scale inversely to prices, so notional values, weights, returns
/// and cash are the same in both worlds.
public struct BlindMapping: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var symbol: String
        public var alias: String
        /// Real company name and other names to hide in news text.
        public var names: [String]
        /// The name agents see.
        public var aliasName: String
        /// Masked price = real price × scale.
        public var scale: Double
    }

    public let seed: UInt64
    public let settings: BlindSettings
    /// Masked day = real day + dayOffset (a multiple of 7, so weekdays are kept).
    public let dayOffset: Int
    public let entries: [Entry]

    /// Draws the mapping for `universe` from `seed`, deterministically.
    public init(universe: [Instrument], settings: BlindSettings = BlindSettings(), seed: UInt64) {
        var random = SplitMix64(seed: seed)
        self.seed = seed
        self.settings = settings
        // 5 000 … 10 000 weeks ahead: the masked years are about 2100 … 2200, which no model has data for.
        dayOffset = settings.shiftDates ? 7 * Int(5_000 + random.next() % 5_001) : 0
        var numbers = Array(1...max(universe.count, 1))
        for i in stride(from: numbers.count - 1, to: 0, by: -1) {
            numbers.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        let width = max(2, String(universe.count).count)
        entries = universe.enumerated().map { index, instrument in
            // Log-uniform scale in [1/4, 4], rounded to 4 significant digits.
            let u = Double(random.next() >> 11) / Double(1 << 53)
            let rawScale = settings.scalePrices ? pow(4, 2 * u - 1) : 1
            let scale = Double(String(format: "%.4g", rawScale))!
            let number = String(numbers[index])
            let alias = settings.renameSymbols ? "S" + String(repeating: "0", count: width - number.count) + number : instrument.symbol
            var names = [instrument.name].compactMap { $0 } + instrument.aliases
            names = names.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
            return Entry(symbol: instrument.symbol, alias: alias, names: names,
                         aliasName: settings.renameSymbols ? "Company \(alias)" : (instrument.name ?? instrument.symbol), scale: scale)
        }
    }

    /// The mapping for a scenario, with the scenario's settings (or defaults) and `runSeed` when they name none.
    public init(scenario: Scenario, runSeed: UInt64) {
        let settings = scenario.blind ?? BlindSettings()
        self.init(universe: scenario.universe, settings: settings, seed: settings.seed ?? runSeed)
    }

    private func entry(symbol: String) -> Entry? { entries.first { $0.symbol == symbol } }
    private func entry(alias: String) -> Entry? { entries.first { $0.alias == alias } }

    // MARK: Symbols and names

    public func maskSymbol(_ symbol: String) -> String? { entry(symbol: symbol)?.alias }
    public func unmaskSymbol(_ alias: String) -> String? { entry(alias: alias)?.symbol }
    public func maskedName(_ symbol: String) -> String? { entry(symbol: symbol)?.aliasName }

    // MARK: Days

    public func maskDay(_ day: Day) -> Day { day.advanced(by: dayOffset) }
    public func unmaskDay(_ day: Day) -> Day { day.advanced(by: -dayOffset) }

    /// Years move by the whole number of years nearest the day shift.
    public var yearOffset: Int { Int((Double(dayOffset) / 365.2425).rounded()) }

    // MARK: Prices and quantities

    public func scale(of symbol: String) -> Double { entry(symbol: symbol)?.scale ?? 1 }
    public func maskPrice(_ price: Double, symbol: String) -> Double { price * scale(of: symbol) }
    public func unmaskPrice(_ price: Double, alias: String) -> Double { price / (entry(alias: alias)?.scale ?? 1) }
    /// Shares (and volumes) scale inversely to prices, keeping notional values equal.
    public func maskQuantity(_ quantity: Double, symbol: String) -> Double { quantity / scale(of: symbol) }
    public func unmaskQuantity(_ quantity: Double, alias: String) -> Double { quantity * (entry(alias: alias)?.scale ?? 1) }

    public func mask(_ bar: Bar, symbol: String) -> Bar {
        let s = scale(of: symbol)
        return Bar(day: maskDay(bar.day), open: bar.open * s, high: bar.high * s, low: bar.low * s, close: bar.close * s, volume: bar.volume / s)
    }

    public func unmask(_ bar: Bar, alias: String) -> Bar {
        let s = entry(alias: alias)?.scale ?? 1
        return Bar(day: unmaskDay(bar.day), open: bar.open / s, high: bar.high / s, low: bar.low / s, close: bar.close / s, volume: bar.volume * s)
    }

    // MARK: Text

    /// Rewrites free text for agents: company names and symbols of the universe become their
    /// aliases, ISO dates are shifted, and four-digit years 1900…2099 move by ``yearOffset``.
    public func maskText(_ text: String) -> String {
        var result = text
        if settings.renameSymbols {
            // Longest names first, so "Bank of America" goes before "America" could ever match.
            let replacements = entries.flatMap { e in e.names.map { ($0, e.aliasName) } }.sorted { $0.0.count > $1.0.count }
            for (name, alias) in replacements { result = TextMasking.replaceWord(name, with: alias, in: result, caseInsensitive: true) }
            for e in entries.sorted(by: { $0.symbol.count > $1.symbol.count }) {
                result = TextMasking.replaceWord(e.symbol, with: e.alias, in: result, caseInsensitive: false)
            }
        }
        if settings.shiftDates && dayOffset != 0 {
            result = TextMasking.replaceISODates(in: result) { maskDay($0) }
            result = TextMasking.replaceYears(in: result, offset: yearOffset)
        }
        return result
    }

    /// A news item as agents see it, or nil when blind news is omitted.
    public func mask(_ item: NewsItem) -> NewsItem? {
        guard settings.news == .masked else { return nil }
        let symbols = item.symbols.compactMap { maskSymbol($0) }
        return NewsItem(day: maskDay(item.day), minuteOfDay: item.minuteOfDay, symbols: symbols, text: maskText(item.text), source: maskText(item.source))
    }

    public func mask(_ observation: MacroObservation) -> MacroObservation {
        var o = observation
        o.period = maskDay(o.period)
        o.published = maskDay(o.published)
        o.source = maskText(o.source)
        return o
    }
}

/// Word-level replacements that leave the rest of a text alone.
enum TextMasking {
    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    /// Replaces whole-word occurrences of `word` (not inside a longer word; a possessive `'s` after it is fine).
    static func replaceWord(_ word: String, with replacement: String, in text: String, caseInsensitive: Bool) -> String {
        guard !word.isEmpty else { return text }
        var result = ""
        var rest = text[...]
        let options: String.CompareOptions = caseInsensitive ? [.caseInsensitive] : []
        while let range = rest.range(of: word, options: options) {
            let before = range.lowerBound == rest.startIndex ? (result.last) : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            let startsWord = before.map { !isWordCharacter($0) } ?? true
            let endsWord = after.map { !isWordCharacter($0) } ?? true
            result += rest[..<range.lowerBound]
            result += startsWord && endsWord ? replacement : String(rest[range])
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// Replaces every `YYYY-MM-DD` that is a real date.
    static func replaceISODates(in text: String, _ transform: (Day) -> Day) -> String {
        let chars = Array(text)
        guard chars.count >= 10 else { return text }
        var result = ""
        var i = 0
        while i < chars.count {
            if i + 10 <= chars.count, chars[i].isNumber, (i == 0 || !chars[i - 1].isNumber),
               i + 10 == chars.count || !chars[i + 10].isNumber,
               chars[i + 4] == "-", chars[i + 7] == "-", let day = Day(String(chars[i..<(i + 10)])) {
                result += transform(day).iso
                i += 10
            } else {
                result.append(chars[i])
                i += 1
            }
        }
        return result
    }

    /// Moves standalone four-digit years 1900…2099 by `offset` (two-digit `'08`-style years are left;
    /// a year that starts an ISO date is left, since dates are shifted whole).
    static func replaceYears(in text: String, offset: Int) -> String {
        let chars = Array(text)
        var result = ""
        var i = 0
        while i < chars.count {
            if i + 4 <= chars.count, (i == 0 || !isWordCharacter(chars[i - 1])), i + 4 == chars.count || !isWordCharacter(chars[i + 4]),
               chars[i..<(i + 4)].allSatisfy(\.isNumber),
               !(i + 10 <= chars.count && Day(String(chars[i..<(i + 10)])) != nil), let year = Int(String(chars[i..<(i + 4)])), (1900...2099).contains(year) {
                result += String(year + offset)
                i += 4
            } else {
                result.append(chars[i])
                i += 1
            }
        }
        return result
    }
}

/// A small, fast, seedable generator (SplitMix64), so a mapping is the same on every machine.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

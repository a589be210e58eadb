/// A request for data the feed cannot give: from the future, about a symbol or series it does not
/// know, or with impossible parameters.
public struct FeedError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The request reaches past the simulation clock.
        case lookAhead = "look_ahead"
        case unknownSymbol = "unknown_symbol"
        /// A macro series the scenario does not have.
        case unknownSeries = "unknown_series"
        /// A parameter out of range (e.g. an indicator period of 0).
        case invalidRequest = "invalid_request"
    }
    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What an agent may learn about one instrument.
public struct InstrumentInfo: Sendable, Hashable, Codable {
    public var symbol: String
    public var name: String?
    public var sector: String?
    public var tradable: Bool
}

/// Everything an agent may ask of market data at one decision time: the agent-visible API.
///
/// Two implementations: ``PointInTimeFeed`` answers in real terms, ``BlindFeed`` in the masked terms
/// of a ``BlindMapping``. Both refuse the future: no answer contains a bar dated after ``asOf``, a
/// news item or macro value not yet public at its close, or an indicator computed from either.
public protocol MarketFeed: Sendable {
    /// The session whose close the decision follows.
    var asOf: Day { get }
    /// Symbols the feed answers for.
    var symbols: [String] { get }
    /// Sessions up to ``asOf``, warm-up included, oldest first.
    var pastSessions: [Day] { get }
    /// Names of the macro series the feed has.
    var macroSeries: [String] { get }

    func instrument(_ symbol: String) throws -> InstrumentInfo
    /// Up to `count` most recent bars, oldest first, ending at or before ``asOf``.
    func bars(_ symbol: String, last count: Int) throws -> ArraySlice<Bar>
    /// Bars dated within `from...to`; `to` after ``asOf`` is a look-ahead error.
    func bars(_ symbol: String, from: Day, to: Day) throws -> ArraySlice<Bar>
    /// The bar dated `day`, if the symbol traded that day; a day after ``asOf`` is a look-ahead error.
    func bar(_ symbol: String, on day: Day) throws -> Bar?
    func latestBar(_ symbol: String) throws -> Bar?
    func closes(_ symbol: String, last count: Int) throws -> [Double]
    /// Indicators over the symbol's bars up to ``asOf``.
    func indicators(_ symbol: String) throws -> BarIndicators
    /// News public at the close of ``asOf``, dated on or after `since`, about `symbols` (market-wide notes included).
    func news(since: Day, about symbols: [String]?) throws -> [NewsItem]
    /// Up to `count` most recent values of a macro series that are public at the close of ``asOf``, oldest first.
    func macro(_ series: String, last count: Int) throws -> [MacroObservation]
}

extension MarketFeed {
    /// All news public at the close of ``asOf`` and dated on or after `since`.
    public func news(since: Day) throws -> [NewsItem] { try news(since: since, about: nil) }

    /// The latest public value of a macro series, if any.
    public func latestMacro(_ series: String) throws -> MacroObservation? { try macro(series, last: 1).last }

    /// Instruments of every symbol the feed answers for.
    public func instruments() throws -> [InstrumentInfo] { try symbols.map(instrument) }
}

/// The only door agents have to market data: every answer is as of the close of ``asOf``.
///
/// A feed is a value bound to one decision time. Bars dated after it, and news or macro values not
/// yet public at its close, cannot be returned; asking for them explicitly throws
/// ``FeedError/Kind/lookAhead`` (which the desk journals). Nothing on this type takes a "now" from
/// outside.
public struct PointInTimeFeed: MarketFeed {
    public let asOf: Day
    let data: MarketData
    public let symbols: [String]

    public init(data: MarketData, asOf: Day, symbols: [String]? = nil) {
        self.data = data
        self.asOf = asOf
        self.symbols = symbols ?? data.series.keys.sorted()
    }

    private func series(_ symbol: String) throws -> BarSeries {
        guard symbols.contains(symbol), let series = data.series[symbol] else {
            throw FeedError(kind: .unknownSymbol, message: "no data for symbol '\(symbol)'; known: \(symbols.joined(separator: ", "))")
        }
        return series
    }

    private func refuseFuture(_ day: Day, _ what: String) throws {
        if day > asOf {
            throw FeedError(kind: .lookAhead, message: "\(what) for \(day) is after the simulation clock (\(asOf) close)")
        }
    }

    public func instrument(_ symbol: String) throws -> InstrumentInfo {
        _ = try series(symbol)
        let known = data.instruments[symbol]
        return InstrumentInfo(symbol: symbol, name: known?.name, sector: known?.sector, tradable: known?.tradable ?? true)
    }

    public func bars(_ symbol: String, last count: Int) throws -> ArraySlice<Bar> {
        let series = try series(symbol)
        guard count > 0, let end = series.lastIndex(onOrBefore: asOf) else { return [] }
        return series.bars[max(0, end - count + 1)...end]
    }

    public func bars(_ symbol: String, from: Day, to: Day) throws -> ArraySlice<Bar> {
        try refuseFuture(to, "bars of \(symbol)")
        guard from <= to else { throw FeedError(kind: .invalidRequest, message: "bars of \(symbol): from \(from) is after to \(to)") }
        return try series(symbol).bars(in: from...to)
    }

    public func bar(_ symbol: String, on day: Day) throws -> Bar? {
        try refuseFuture(day, "the bar of \(symbol)")
        return try series(symbol).bar(on: day)
    }

    public func latestBar(_ symbol: String) throws -> Bar? {
        try bars(symbol, last: 1).last
    }

    public func closes(_ symbol: String, last count: Int) throws -> [Double] {
        try bars(symbol, last: count).map(\.close)
    }

    /// Indicators over every bar of `symbol` up to ``asOf`` (warm-up included): the bars after the
    /// clock are not in the value at all, so no indicator can see them.
    public func indicators(_ symbol: String) throws -> BarIndicators {
        let series = try series(symbol)
        guard let end = series.lastIndex(onOrBefore: asOf) else { return BarIndicators(symbol: symbol, bars: []) }
        return BarIndicators(symbol: symbol, bars: Array(series.bars[...end]))
    }

    public func news(since: Day, about symbols: [String]?) throws -> [NewsItem] {
        try refuseFuture(since, "news")
        return data.news.filter { item in
            item.day >= since && item.isPublic(atCloseOf: asOf)
                && (symbols == nil || item.symbols.isEmpty || item.symbols.contains(where: { symbols!.contains($0) }))
        }
    }

    public var macroSeries: [String] { data.macroSeries }

    public func macro(_ series: String, last count: Int) throws -> [MacroObservation] {
        guard let observations = data.macro[series] else {
            throw FeedError(kind: .unknownSeries, message: "no macro series '\(series)'; known: \(data.macroSeries.joined(separator: ", "))")
        }
        guard count > 0 else { return [] }
        return Array(observations.filter { $0.isPublic(atCloseOf: asOf) }.suffix(count))
    }

    public var pastSessions: [Day] {
        (data.warmupSessions + data.sessions).filter { $0 <= asOf }
    }
}

/// A scenario's market data as agents see it in blind mode: every symbol, name, date, price,
/// volume and news text masked by a ``BlindMapping``, once for the whole run.
///
/// The real data never reaches a ``BlindFeed``: it holds only the masked copy, so no answer can
/// carry a real symbol, date or price level, and look-ahead refusals are those of an ordinary
/// ``PointInTimeFeed`` over the masked copy (in masked terms).
public struct BlindMarket: Sendable {
    public let mapping: BlindMapping
    /// Everything agents may read, in masked terms.
    public let masked: MarketData

    public init(data: MarketData, mapping: BlindMapping) {
        self.mapping = mapping
        var series: [String: BarSeries] = [:]
        for (symbol, real) in data.series {
            guard let alias = mapping.maskSymbol(symbol) else { continue }
            series[alias] = BarSeries(symbol: alias, bars: real.bars.map { mapping.mask($0, symbol: symbol) })
        }
        let instruments: [Instrument] = data.instruments.values.compactMap { instrument in
            guard let alias = mapping.maskSymbol(instrument.symbol) else { return nil }
            return Instrument(symbol: alias, name: mapping.maskedName(instrument.symbol),
                              sector: mapping.settings.hideSectors ? nil : instrument.sector, dataFile: "", tradable: instrument.tradable)
        }
        // Macro sources repeat on every value: mask each distinct one once.
        var sources: [String: String] = [:]
        let macro = data.macro.values.flatMap { $0 }.map { observation in
            var o = observation
            o.period = mapping.maskDay(o.period)
            o.published = mapping.maskDay(o.published)
            if let known = sources[o.source] {
                o.source = known
            } else {
                let maskedSource = mapping.maskText(o.source)
                sources[o.source] = maskedSource
                o.source = maskedSource
            }
            return o
        }
        masked = MarketData(series: series, sessions: data.sessions.map(mapping.maskDay), warmupSessions: data.warmupSessions.map(mapping.maskDay),
                            news: data.news.compactMap { mapping.mask($0) }, instruments: instruments, macro: macro)
    }

    /// The feed agents get for the decision after the close of the real day `day`.
    public func feed(atCloseOf day: Day, symbols: [String]? = nil) -> BlindFeed {
        BlindFeed(masked: PointInTimeFeed(data: masked, asOf: mapping.maskDay(day), symbols: symbols?.compactMap { mapping.maskSymbol($0) }.sorted()),
                  mapping: mapping)
    }
}

/// The feed of a blind-mode decision: a ``PointInTimeFeed`` over a ``BlindMarket``'s masked data.
/// Requests are taken in masked terms (aliases, shifted days) and every answer is masked; use the
/// ``mapping`` to turn agents' orders back into real symbols, prices and quantities.
public struct BlindFeed: MarketFeed {
    private let inner: PointInTimeFeed
    public let mapping: BlindMapping

    init(masked inner: PointInTimeFeed, mapping: BlindMapping) {
        self.inner = inner
        self.mapping = mapping
    }

    /// Masks a real feed's whole data set (convenient for one decision; for a run, build a
    /// ``BlindMarket`` once and take ``BlindMarket/feed(atCloseOf:symbols:)`` at each decision).
    public init(_ real: PointInTimeFeed, mapping: BlindMapping) {
        self = BlindMarket(data: real.data, mapping: mapping).feed(atCloseOf: real.asOf, symbols: real.symbols)
    }

    /// The real session this decision follows (for the desk and the journal, never for agents).
    public var realAsOf: Day { mapping.unmaskDay(inner.asOf) }

    public var asOf: Day { inner.asOf }
    public var symbols: [String] { inner.symbols }
    public var pastSessions: [Day] { inner.pastSessions }
    public var macroSeries: [String] { inner.macroSeries }
    public func instrument(_ symbol: String) throws -> InstrumentInfo { try inner.instrument(symbol) }
    public func bars(_ symbol: String, last count: Int) throws -> ArraySlice<Bar> { try inner.bars(symbol, last: count) }
    public func bars(_ symbol: String, from: Day, to: Day) throws -> ArraySlice<Bar> { try inner.bars(symbol, from: from, to: to) }
    public func bar(_ symbol: String, on day: Day) throws -> Bar? { try inner.bar(symbol, on: day) }
    public func latestBar(_ symbol: String) throws -> Bar? { try inner.latestBar(symbol) }
    public func closes(_ symbol: String, last count: Int) throws -> [Double] { try inner.closes(symbol, last: count) }
    public func indicators(_ symbol: String) throws -> BarIndicators { try inner.indicators(symbol) }
    public func news(since: Day, about symbols: [String]?) throws -> [NewsItem] { try inner.news(since: since, about: symbols) }
    public func macro(_ series: String, last count: Int) throws -> [MacroObservation] { try inner.macro(series, last: count) }
}

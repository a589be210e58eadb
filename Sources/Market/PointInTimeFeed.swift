/// A request for data the feed cannot give: from the future, or about a symbol it does not know.
public struct FeedError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The request reaches past the simulation clock.
        case lookAhead = "look_ahead"
        case unknownSymbol = "unknown_symbol"
    }
    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// The only door agents have to market data: every answer is as of the close of ``asOf``.
///
/// A feed is a value bound to one decision time. Bars dated after it, and news not yet public at
/// its close, cannot be returned; asking for them explicitly throws ``FeedError/Kind/lookAhead``
/// (which the desk journals). Nothing on this type takes a "now" from outside.
public struct PointInTimeFeed: Sendable {
    /// The session whose close the decision follows.
    public let asOf: Day
    private let data: MarketData
    /// Symbols the feed answers for.
    public let symbols: [String]
    /// The series of ``symbols``: one lookup answers both "is it visible" and "where are its bars".
    private let visible: [String: BarSeries]

    public init(data: MarketData, asOf: Day, symbols: [String]? = nil) {
        self.init(data: data, asOf: asOf, symbols: symbols ?? data.series.keys.sorted(), visible: Self.visible(data, symbols))
    }

    private init(data: MarketData, asOf: Day, symbols: [String], visible: [String: BarSeries]) {
        self.data = data
        self.asOf = asOf
        self.symbols = symbols
        self.visible = visible
    }

    private static func visible(_ data: MarketData, _ symbols: [String]?) -> [String: BarSeries] {
        guard let symbols else { return data.series }
        var visible: [String: BarSeries] = [:]
        visible.reserveCapacity(symbols.count)
        for symbol in symbols { if let series = data.series[symbol] { visible[symbol] = series } }
        return visible
    }

    /// Feeds over the same data and symbols at successive decision times, prepared once for a whole
    /// replay. Whoever holds a source can open a feed at any date, so only the simulator keeps one;
    /// agents get feeds.
    public struct Source: Sendable {
        public let data: MarketData
        public let symbols: [String]
        private let visible: [String: BarSeries]

        public init(data: MarketData, symbols: [String]? = nil) {
            self.data = data
            self.symbols = symbols ?? data.series.keys.sorted()
            self.visible = PointInTimeFeed.visible(data, symbols)
        }

        /// The feed as of the close of `day`.
        public func feed(asOf day: Day) -> PointInTimeFeed {
            PointInTimeFeed(data: data, asOf: day, symbols: symbols, visible: visible)
        }
    }

    private func series(_ symbol: String) throws -> BarSeries {
        guard let series = visible[symbol] else {
            throw FeedError(kind: .unknownSymbol, message: "no data for symbol '\(symbol)'; known: \(symbols.joined(separator: ", "))")
        }
        return series
    }

    private func refuseFuture(_ day: Day, _ what: String) throws {
        if day > asOf {
            throw FeedError(kind: .lookAhead, message: "\(what) for \(day) is after the simulation clock (\(asOf) close)")
        }
    }

    /// Up to `count` most recent bars of `symbol`, oldest first, ending at or before ``asOf``.
    public func bars(_ symbol: String, last count: Int) throws -> ArraySlice<Bar> {
        let series = try series(symbol)
        guard count > 0, let end = series.lastIndex(onOrBefore: asOf) else { return [] }
        return series.bars[max(0, end - count + 1)...end]
    }

    /// The bars of `symbol` that follow the first `count` of its history, up to ``asOf``: what is new
    /// to a reader that has already read `count` bars (for indicators updated one bar at a time). Costs
    /// in proportion to the bars returned, not to the length of the history.
    public func bars(_ symbol: String, after count: Int) throws -> ArraySlice<Bar> {
        let bars = try series(symbol).bars
        let start = min(max(count, 0), bars.count)
        var end = start
        var step = 1
        // Gallop forward to a bar after the close, then search back within the last step.
        while end < bars.count, bars[end].day <= asOf {
            end = min(end + step, bars.count)
            step *= 2
        }
        var low = max(start, end - step / 2), high = end
        while low < high {
            let mid = (low + high) / 2
            if bars[mid].day <= asOf { low = mid + 1 } else { high = mid }
        }
        return bars[start..<low]
    }

    /// Bars of `symbol` dated within `from...to`; `to` must not pass ``asOf``.
    public func bars(_ symbol: String, from: Day, to: Day) throws -> ArraySlice<Bar> {
        try refuseFuture(to, "bars of \(symbol)")
        return try series(symbol).bars(in: from...to)
    }

    /// The bar of `symbol` dated `day`, if it traded that day.
    public func bar(_ symbol: String, on day: Day) throws -> Bar? {
        try refuseFuture(day, "the bar of \(symbol)")
        return try series(symbol).bar(on: day)
    }

    /// The latest bar of `symbol` at or before ``asOf``.
    public func latestBar(_ symbol: String) throws -> Bar? {
        try bars(symbol, last: 1).last
    }

    /// Up to `count` most recent closes of `symbol`, oldest first.
    public func closes(_ symbol: String, last count: Int) throws -> [Double] {
        try bars(symbol, last: count).map(\.close)
    }

    /// News public at the close of ``asOf`` and dated on or after `since`, optionally only notes
    /// that concern one of `symbols` (market-wide notes are always included).
    public func news(since: Day, about symbols: [String]? = nil) throws -> [NewsItem] {
        try refuseFuture(since, "news")
        return data.news.filter { item in
            item.day >= since && item.isPublic(atCloseOf: asOf)
                && (symbols == nil || item.symbols.isEmpty || item.symbols.contains(where: { symbols!.contains($0) }))
        }
    }

    /// Sessions of the replay window up to ``asOf``, preceded by the warm-up sessions.
    public var pastSessions: [Day] {
        (data.warmupSessions + data.sessions).filter { $0 <= asOf }
    }
}

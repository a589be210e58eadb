import Foundation
import Market

/// A day's close and volume.
public struct PricePoint: Sendable, Hashable, Codable {
    public var day: Day
    public var close: Double
    public var volume: Double
}

/// Closes and volumes of one instrument, oldest first.
public struct PriceSeries: Sendable, Hashable, Codable {
    public var symbol: String
    public var points: [PricePoint]
}

/// `prices`: recent closes and volumes of any instrument in the scenario (tradable or not), as of
/// the decision. Either the last `sessions` bars, or the bars dated `from…to` (a `to` after the
/// simulation clock is refused as look-ahead).
public struct PricesTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var symbols: [String]
        public var sessions: Int?
        public var from: Day?
        public var to: Day?
        public init(symbols: [String], sessions: Int? = nil, from: Day? = nil, to: Day? = nil) {
            self.symbols = symbols
            self.sessions = sessions
            self.from = from
            self.to = to
        }
    }
    public struct Output: Sendable, Hashable, Codable { public var series: [PriceSeries] }

    public let name = ToolName.prices
    public let summary = "closes and volumes of instruments up to the decision (point-in-time)"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        var series: [PriceSeries] = []
        for symbol in input.symbols {
            let bars: ArraySlice<Bar>
            if let to = input.to {
                let from = input.from ?? to.advanced(by: -30)
                guard from <= to else { throw ToolCallError(kind: .failed, message: "from \(from) is after to \(to)") }
                bars = try context.feed.bars(symbol, from: from, to: to)
            } else {
                bars = try context.feed.bars(symbol, last: max(1, min(input.sessions ?? 5, 260)))
            }
            series.append(PriceSeries(symbol: symbol, points: bars.map { PricePoint(day: $0.day, close: $0.close, volume: $0.volume) }))
        }
        return Output(series: series)
    }
}

/// Daily close-to-close returns of one symbol, oldest first.
public struct ReturnSeries: Sendable, Hashable, Codable {
    public var symbol: String
    public var days: [Day]
    public var returns: [Double]
}

/// `returns`: daily close-to-close returns over the last `sessions`, as of the decision.
public struct ReturnsTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var symbols: [String]
        public var sessions: Int
        public init(symbols: [String], sessions: Int) { self.symbols = symbols; self.sessions = sessions }
    }
    public struct Output: Sendable, Hashable, Codable { public var series: [ReturnSeries] }

    public let name = ToolName.returns
    public let summary = "daily close-to-close returns up to the decision (point-in-time)"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let sessions = max(1, min(input.sessions, 1000))
        return Output(series: try input.symbols.map { symbol in
            let bars = Array(try context.feed.bars(symbol, last: sessions + 1))
            let pairs = zip(bars, bars.dropFirst())
            return ReturnSeries(symbol: symbol, days: pairs.map(\.1.day), returns: pairs.map { $0.1.close / $0.0.close - 1 })
        })
    }
}

/// An event note as the news tool returns it.
public struct NewsNote: Sendable, Hashable, Codable {
    public var day: Day
    /// HH:MM (US Eastern) when the note carries a time.
    public var time: String?
    public var symbols: [String]
    public var text: String
    public var source: String
}

/// `news`: event notes public at the decision, dated on or after `since`, newest first, about
/// the given symbols and/or the market. A note is about the market when it names no symbol or
/// only the scenario's benchmark (an index-level note such as "the S&P 500 fell 12%").
public struct NewsTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var since: Day
        /// Notes naming one of these symbols (and market-wide notes unless `scope` says otherwise); nil for all.
        public var symbols: [String]?
        public var scope: String?
        public var maxItems: Int?
        public init(since: Day, symbols: [String]? = nil, scope: RoleInput.NewsScope = .all, maxItems: Int? = nil) {
            self.since = since
            self.symbols = symbols
            self.scope = scope.rawValue
            self.maxItems = maxItems
        }
    }
    public struct Output: Sendable, Hashable, Codable {
        public var notes: [NewsNote]
        /// Notes that matched but were left out by `max_items`.
        public var omitted: Int
    }

    public let name = ToolName.news
    public let summary = "event notes public at the decision (nothing published after its close)"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        guard let scope = RoleInput.NewsScope(rawValue: input.scope ?? "all") else {
            throw ToolCallError(kind: .failed, message: "scope '\(input.scope ?? "")' is not one of all, symbols, market")
        }
        let benchmark = context.decision.scenario.benchmark
        let items = try context.feed.news(since: input.since, about: nil).filter { item in
            let marketWide = item.symbols.allSatisfy { $0 == benchmark }
            let named = input.symbols.map { wanted in item.symbols.contains { wanted.contains($0) } } ?? true
            switch scope {
            case .all: return marketWide || named
            case .symbols: return !marketWide && named
            case .market: return marketWide
            }
        }
        let newestFirst = items.reversed()
        let limit = max(0, input.maxItems ?? Int.max)
        let notes = newestFirst.prefix(limit).map { item in
            NewsNote(day: item.day, time: item.minuteOfDay.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) },
                     symbols: item.symbols, text: item.text, source: item.source)
        }
        return Output(notes: Array(notes), omitted: items.count - notes.count)
    }
}

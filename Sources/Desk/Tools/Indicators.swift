import Foundation
import Market

/// Where the indicators tool gets its figures: by default the Market module's standard set over
/// the point-in-time feed (``FeedIndicators``); another source (a different set, a blind feed's)
/// plugs in here. Any source reads only through the feed.
public protocol IndicatorSource: Sendable {
    func snapshot(_ symbol: String, feed: any MarketFeed) throws -> IndicatorSnapshot
}

/// The Market module's standard indicators of a symbol at the decision's close
/// (``BarIndicators/snapshot()``: SMA 20/50, EMA 20, Wilder RSI 14, MACD, Bollinger, ATR,
/// volatility, momentum, drawdown).
public struct FeedIndicators: IndicatorSource {
    public init() {}

    public func snapshot(_ symbol: String, feed: any MarketFeed) throws -> IndicatorSnapshot {
        try feed.indicators(symbol).snapshot()
    }
}

/// `indicators`: each symbol's indicator snapshot at the decision's close.
public struct IndicatorsTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var symbols: [String]
        public init(symbols: [String]) { self.symbols = symbols }
    }
    public struct Output: Sendable, Hashable, Codable { public var snapshots: [IndicatorSnapshot] }

    public let name = ToolName.indicators
    public let summary = "trend, momentum, RSI, MACD, volatility and drawdown per symbol at the decision's close"
    public let source: any IndicatorSource
    public init(source: any IndicatorSource = FeedIndicators()) { self.source = source }

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        Output(snapshots: try input.symbols.map { try source.snapshot($0, feed: context.feed) })
    }
}

/// A macro series' recent public values.
public struct MacroSeriesView: Sendable, Hashable, Codable {
    public var series: String
    public var observations: [MacroObservation]
}

/// `macro`: the last `count` values of macro series (rates, inflation, …) public at the decision's
/// close; all the scenario's series when none are named.
public struct MacroTool: Tool {
    public struct Input: Sendable, Hashable, Codable {
        public var series: [String]?
        public var count: Int
        public init(series: [String]? = nil, count: Int) { self.series = series; self.count = count }
    }
    public struct Output: Sendable, Hashable, Codable { public var series: [MacroSeriesView] }

    public let name = ToolName.macro
    public let summary = "recent values of macro series (rates, inflation) public at the decision"
    public init() {}

    public func run(_ input: Input, context: ToolContext) async throws -> Output {
        let names = input.series ?? context.feed.macroSeries
        let count = max(1, min(input.count, 260))
        return Output(series: try names.map { MacroSeriesView(series: $0, observations: try context.feed.macro($0, last: count)) })
    }
}

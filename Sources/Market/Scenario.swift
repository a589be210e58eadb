import Foundation
import InputFiles

/// A tradable (or reference-only) instrument of a scenario's universe.
public struct Instrument: Sendable, Hashable, Codable {
    public var symbol: String
    public var name: String?
    public var sector: String?
    /// Path of the bar file, resolved against the scenario file's folder.
    public var dataFile: String
    /// False for reference series such as an index that cannot be traded.
    public var tradable: Bool
    /// Other names of the company in news text ("JPMorgan", "J.P. Morgan"), hidden in blind mode.
    public var aliases: [String]

    public init(symbol: String, name: String? = nil, sector: String? = nil, dataFile: String, tradable: Bool = true, aliases: [String] = []) {
        self.symbol = symbol
        self.name = name
        self.sector = sector
        self.dataFile = dataFile
        self.tradable = tradable
        self.aliases = aliases
    }

    private enum CodingKeys: String, CodingKey { case symbol, name, sector, dataFile, tradable, aliases }

    /// Decodes instruments written before `aliases` existed too.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try c.decode(String.self, forKey: .symbol)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        sector = try c.decodeIfPresent(String.self, forKey: .sector)
        dataFile = try c.decode(String.self, forKey: .dataFile)
        tradable = try c.decodeIfPresent(Bool.self, forKey: .tradable) ?? true
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
    }
}

/// How trading costs are charged, as a scenario states them. The exchange turns these into models.
public struct CostSettings: Sendable, Hashable, Codable {
    public enum Commission: Sendable, Hashable, Codable {
        case none
        /// Per share traded, with a minimum per order.
        case perShare(rate: Double, minimum: Double)
        /// Basis points of traded value.
        case bps(Double)
        /// A flat amount per order that fills.
        case perOrder(Double)
    }
    public enum Slippage: Sendable, Hashable, Codable {
        case none
        /// Basis points of price, against the trader.
        case bps(Double)
        /// Square-root impact: `coefficient × sqrt(quantity / bar volume)` as a fraction of price.
        case volumeShare(coefficient: Double)
    }
    public enum FillTiming: String, Sendable, Hashable, Codable {
        case nextOpen = "next_open"
        case nextClose = "next_close"
    }

    public var commission: Commission = .none
    public var slippage: Slippage = .none
    /// Largest fraction of a bar's volume one order may take; the rest carries to the next bar.
    public var participationCap: Double?
    public var fillTiming: FillTiming = .nextOpen
    /// Annual fee on the value of short positions, in basis points.
    public var borrowBps: Double = 0

    public init(commission: Commission = .none, slippage: Slippage = .none, participationCap: Double? = nil,
                fillTiming: FillTiming = .nextOpen, borrowBps: Double = 0) {
        self.commission = commission
        self.slippage = slippage
        self.participationCap = participationCap
        self.fillTiming = fillTiming
        self.borrowBps = borrowBps
    }
}

/// Portfolio rules a scenario imposes. Risk limits in code enforce them whatever a model proposes.
public struct PortfolioConstraints: Sendable, Hashable, Codable {
    public var longOnly: Bool = true
    /// Largest weight (fraction of equity, absolute) in one symbol.
    public var maxWeight: Double = 1
    /// Largest sum of absolute weights.
    public var maxGross: Double = 1
    /// Largest absolute sum of signed weights.
    public var maxNet: Double = 1
    /// Fraction of equity kept in cash.
    public var cashBuffer: Double = 0
    /// Largest traded value per decision step, as a fraction of equity.
    public var maxTurnover: Double?
    /// Largest order, as a fraction of the symbol's last daily volume.
    public var maxOrderVolumeShare: Double?
    /// Whether cash may go negative (buying on margin).
    public var allowMargin: Bool = false

    public init(longOnly: Bool = true, maxWeight: Double = 1, maxGross: Double = 1, maxNet: Double = 1, cashBuffer: Double = 0,
                maxTurnover: Double? = nil, maxOrderVolumeShare: Double? = nil, allowMargin: Bool = false) {
        self.longOnly = longOnly
        self.maxWeight = maxWeight
        self.maxGross = maxGross
        self.maxNet = maxNet
        self.cashBuffer = cashBuffer
        self.maxTurnover = maxTurnover
        self.maxOrderVolumeShare = maxOrderVolumeShare
        self.allowMargin = allowMargin
    }
}

/// When the desk decides.
public enum Cadence: Sendable, Hashable, Codable {
    /// After every session's close.
    case daily
    /// After the last session of each ISO week.
    case weekly
    /// After the last session of each month.
    case monthly
    /// After the close of each listed day (days that are not sessions are an error).
    case dates([Day])
}

/// A historical episode to replay: universe, window, money, costs, rules, news and the desk to run.
///
/// Read from YAML by ``ScenarioFile``; see `scenarios/README.md` for the format.
public struct Scenario: Sendable, Hashable {
    public var name: String
    public var description: String
    /// The scenario file, as the user named it.
    public var file: String
    public var universe: [Instrument]
    /// First and last session of the replay (inclusive).
    public var start: Day
    public var end: Day
    /// Sessions of history before `start` that indicators may read.
    public var warmupSessions: Int
    public var benchmark: String
    public var initialCash: Double
    /// Whether share quantities may be fractional; otherwise orders are whole shares, rounded toward zero.
    public var fractionalShares: Bool
    public var costs: CostSettings
    public var constraints: PortfolioConstraints
    public var cadence: Cadence
    /// Event-note files, resolved against the scenario file's folder.
    public var newsFiles: [String]
    /// The desk to run when none is given on the command line.
    public var desk: String?
    /// Macro files (`series,period,value,unit,published,time,source`), resolved against the scenario file's folder.
    public var macroFiles: [String]
    /// Blind mode: when set, agents see the scenario through a ``BlindMapping``.
    public var blind: BlindSettings?

    public init(name: String, description: String = "", file: String = "", universe: [Instrument], start: Day, end: Day,
                warmupSessions: Int = 0, benchmark: String, initialCash: Double = 1_000_000, fractionalShares: Bool = false,
                costs: CostSettings = CostSettings(), constraints: PortfolioConstraints = PortfolioConstraints(),
                cadence: Cadence = .daily, newsFiles: [String] = [], desk: String? = nil,
                macroFiles: [String] = [], blind: BlindSettings? = nil) {
        self.name = name
        self.description = description
        self.file = file
        self.universe = universe
        self.start = start
        self.end = end
        self.warmupSessions = warmupSessions
        self.benchmark = benchmark
        self.initialCash = initialCash
        self.fractionalShares = fractionalShares
        self.costs = costs
        self.constraints = constraints
        self.cadence = cadence
        self.newsFiles = newsFiles
        self.desk = desk
        self.macroFiles = macroFiles
        self.blind = blind
    }

    public var tradableSymbols: [String] { universe.filter(\.tradable).map(\.symbol) }
}

import Exchange
import Foundation
import JournalRecords
import LanguageModel
import Market

/// Trades moving-average crossovers with a fixed stake: a baseline that needs no language model.
///
/// For each symbol, after each close: when flat and the signal crosses upward, buy `stake` shares at
/// market; when long and it crosses downward, sell the whole position at market. No new order is sent
/// for a symbol while one of its orders is still working. Only symbols with a bar on the decision
/// day are considered.
///
/// The crossover is backtrader's (`bt.ind.CrossOver`): it crosses upward at `t` when line A is above
/// line B at `t` and the last non-zero difference A − B before `t` was negative (downward mirrors it).
/// The averages are computed as backtrader does, a correctly rounded sum divided by the period, so the
/// same bars give the same signals bit for bit.
///
/// The desk reads bars only through the decision's point-in-time feed. It keeps running sums per
/// symbol between decisions as a cache: a decision on an earlier day, or of another run, rebuilds
/// them from the feed, so the answer never depends on what was decided before.
public struct SMACrossDesk: DeskPolicy {
    /// Which two lines cross.
    public enum Signal: Sendable, Hashable {
        /// The close against its simple moving average over `period` sessions.
        case closeVersusSMA(period: Int)
        /// A fast simple moving average against a slow one.
        case fastVersusSlow(fast: Int, slow: Int)

        /// Sessions needed before the first crossover can be read.
        public var warmup: Int {
            switch self {
            case let .closeVersusSMA(period): return period + 1
            case let .fastVersusSlow(_, slow): return slow + 1
            }
        }

        public var label: String {
            switch self {
            case let .closeVersusSMA(period): return "close/SMA(\(period))"
            case let .fastVersusSlow(fast, slow): return "SMA(\(fast))/SMA(\(slow))"
            }
        }
    }

    public let name: String
    public let signal: Signal
    /// Shares bought on each upward cross.
    public let stake: Double
    /// The symbols traded; nil for the scenario's tradable symbols without the benchmark.
    public let symbols: [String]?
    private let cache = CrossoverCache()

    /// A desk trading `signal` with `stake` shares. Periods must be positive (and fast < slow): check
    /// user input with ``validate(_:stake:)`` first.
    public init(signal: Signal, stake: Double, symbols: [String]? = nil, name: String = "sma-cross") {
        precondition(Self.validate(signal, stake: stake) == nil, "invalid SMA crossover settings")
        self.signal = signal
        self.stake = stake
        self.symbols = symbols
        self.name = name
    }

    /// What is wrong with these settings, or nil when they are usable.
    public static func validate(_ signal: Signal, stake: Double) -> String? {
        switch signal {
        case let .closeVersusSMA(period):
            if period < 1 { return "the SMA period must be at least 1 (got \(period))" }
        case let .fastVersusSlow(fast, slow):
            if fast < 1 || slow < 1 { return "SMA periods must be at least 1 (got fast \(fast), slow \(slow))" }
            if fast >= slow { return "the fast SMA period (\(fast)) must be shorter than the slow one (\(slow))" }
        }
        if !(stake.isFinite && stake > 0) { return "the stake must be a positive number of shares (got \(stake))" }
        return nil
    }

    public func decide(_ context: DecisionContext) async throws -> DeskProposal {
        let universe = symbols ?? RuleDesks.defaultUniverse(context.scenario)
        var working = Set<String>()
        for order in context.book.openOrders { working.insert(order.request.symbol) }
        let crosses = try cache.crosses(of: universe, signal: signal, feed: context.feed, run: context.run)

        var orders: [OrderRequest] = []
        var notes: [JSONValue] = []
        for (symbol, cross) in zip(universe, crosses) where cross != 0 && !working.contains(symbol) {
            let held = context.book.positions[symbol]?.quantity ?? 0
            if held == 0, cross > 0 {
                orders.append(OrderRequest(symbol: symbol, side: .buy, quantity: stake, tag: name))
            } else if held > 0, cross < 0 {
                orders.append(OrderRequest(symbol: symbol, side: .sell, quantity: held, tag: name))
            } else {
                continue
            }
            notes.append(.object([.init("symbol", .string(symbol)), .init("cross", .string(cross > 0 ? "up" : "down")),
                                  .init("side", .string(orders.last!.side.rawValue)), .init("quantity", .number(orders.last!.quantity))]))
        }
        guard !orders.isEmpty else { return .keepBook }
        var activity = StepActivity()
        activity.record(DecisionRecord(role: name, stage: "decision", output: .object([.init("orders", .array(notes))]),
                                       rationale: "\(signal.label) crossovers, stake \(JSONValue.format(stake)) shares"))
        return DeskProposal(orders: orders, activity: activity)
    }
}

/// Running crossover state per symbol, rebuilt from the feed whenever it cannot simply be extended.
///
/// Note for the merge: this holds its own small incremental SMA; the indicators of `Market` (built in
/// parallel) can replace `ExactMovingAverage` once they compute the same correctly rounded sums.
final class CrossoverCache: @unchecked Sendable {
    private let lock = NSLock()
    private var run: RunID?
    private var symbols: [String] = []
    private var states: [CrossoverState] = []

    /// The crossover of each symbol at the feed's close: +1 upward, −1 downward, 0 none (or no bar that day).
    func crosses(of symbols: [String], signal: SMACrossDesk.Signal, feed: PointInTimeFeed, run: RunID) throws -> [Int8] {
        lock.lock()
        defer { lock.unlock() }
        if self.run != run || self.symbols != symbols || states.first.map({ $0.signal != signal }) == true {
            self.run = run
            self.symbols = symbols
            states = symbols.map { _ in CrossoverState(signal: signal) }
        }
        var result = [Int8](repeating: 0, count: symbols.count)
        for index in symbols.indices {
            // The bars after those already pushed, starting with the last one pushed: if that is not the bar the
            // state ended on (a decision on an earlier day, other data), the state starts over from the first bar.
            let pushed = states[index].pushed
            var fresh = try feed.bars(symbols[index], after: max(pushed - 1, 0))
            if pushed > 0 {
                if fresh.first?.day == states[index].lastDay {
                    fresh = fresh.dropFirst()
                } else {
                    states[index] = CrossoverState(signal: signal)
                    fresh = try feed.bars(symbols[index], after: 0)
                }
            }
            for bar in fresh { states[index].push(bar) }
            if states[index].lastDay == feed.asOf { result[index] = states[index].cross }
        }
        return result
    }
}

/// The two lines and their crossover for one symbol, advanced one bar at a time.
struct CrossoverState: Sendable {
    let signal: SMACrossDesk.Signal
    private var fast: ExactMovingAverage?
    private var slow: ExactMovingAverage
    /// The last non-zero difference A − B, up to the previous bar (nil before B is defined).
    private var lastNonZero: Double?
    private(set) var lastDay: Day?
    /// Bars pushed so far.
    private(set) var pushed = 0
    /// +1, −1 or 0 at `lastDay`.
    private(set) var cross: Int8 = 0

    init(signal: SMACrossDesk.Signal) {
        self.signal = signal
        switch signal {
        case let .closeVersusSMA(period):
            fast = nil
            slow = ExactMovingAverage(period: period)
        case let .fastVersusSlow(f, s):
            fast = ExactMovingAverage(period: f)
            slow = ExactMovingAverage(period: s)
        }
    }

    mutating func push(_ bar: Bar) {
        lastDay = bar.day
        pushed += 1
        let b = slow.push(bar.close)
        let a: Double?
        if fast == nil { a = bar.close } else { a = fast!.push(bar.close) }
        guard let a, let b else { cross = 0; return }
        let difference = a - b
        if let before = lastNonZero {
            cross = a > b && before < 0 ? 1 : (a < b && before > 0 ? -1 : 0)
            if difference != 0 { lastNonZero = difference }
        } else {
            // The first defined difference seeds the memory, even when zero (as backtrader's NonZeroDifference does).
            cross = 0
            lastNonZero = difference
        }
    }
}

/// A simple moving average whose every value is the correctly rounded sum of the window divided by
/// the period (what Python's `math.fsum(window) / period` gives), updated in O(1) per bar.
struct ExactMovingAverage: Sendable {
    let period: Int
    private var window: [Double]
    private var next = 0
    private var count = 0
    private var sum = ExactSum()

    init(period: Int) {
        self.period = period
        window = [Double](repeating: 0, count: period)
    }

    /// Adds a value; returns the average once `period` values have been seen.
    mutating func push(_ value: Double) -> Double? {
        if count == period { sum.add(-window[next]) } else { count += 1 }
        window[next] = value
        next = next + 1 == period ? 0 : next + 1
        sum.add(value)
        return count == period ? sum.rounded / Double(period) : nil
    }
}

/// An exact running sum of doubles (Shewchuk's non-overlapping partials), read out correctly rounded.
struct ExactSum: Sendable {
    /// `partials[0..<count]`: non-zero, non-overlapping partial sums in increasing magnitude; their exact sum is the total.
    private var partials: [Double] = [0, 0, 0, 0]
    private var count = 0

    mutating func add(_ value: Double) {
        var x = value
        var kept = 0
        for j in 0..<count {
            var y = partials[j]
            if abs(x) < abs(y) { swap(&x, &y) }
            let high = x + y
            let low = y - (high - x)
            if low != 0 {
                partials[kept] = low
                kept += 1
            }
            x = high
        }
        if x != 0 {
            if kept == partials.count { partials.append(x) } else { partials[kept] = x }
            kept += 1
        }
        count = kept
    }

    /// The exact total rounded to the nearest double (ties to even).
    var rounded: Double {
        var n = count
        guard n > 0 else { return 0 }
        n -= 1
        var high = partials[n]
        var low = 0.0
        while n > 0 {
            let x = high
            n -= 1
            let y = partials[n]
            high = x + y
            low = y - (high - x)
            if low != 0 { break }
        }
        // The rounding of `high + low` may be a tie that the partials below break: round half-even across them.
        if n > 0, (low < 0 && partials[n - 1] < 0) || (low > 0 && partials[n - 1] > 0) {
            let y = low * 2
            let x = high + y
            if y == x - high { high = x }
        }
        return high
    }
}

import Analytics
import Desk
import Exchange
import DeskTesting
import Foundation
import Journal
import JournalRecords
import Market
import Testing

/// Baselines over two real weeks of 2020 (SPY, AAPL, MSFT from the bundled COVID data), checked
/// against the book worked out by hand: whole shares of 98 % of equity (2 % cash buffer) valued at
/// the decision day's close, filled at the next open plus 5 bps, $0.005 a share with a $1 minimum.
@Suite struct BaselineTests {
    static let yaml = """
        name: baseline-window
        start: 2020-02-24
        end: 2020-03-06
        warmup_sessions: 5
        benchmark: SPY
        initial_cash: 100000
        universe:
          - {symbol: SPY, file: \(Fixtures.packageRoot.path)/scenarios/data/covid-crash-2020/SPY.csv}
          - {symbol: AAPL, file: \(Fixtures.packageRoot.path)/scenarios/data/covid-crash-2020/AAPL.csv}
          - {symbol: MSFT, file: \(Fixtures.packageRoot.path)/scenarios/data/covid-crash-2020/MSFT.csv}
        costs:
          commission: {per_share: 0.005, minimum: 1.0}
          slippage: {bps: 5}
        constraints:
          long_only: true
          max_weight: 1
          cash_buffer: 0.02
        cadence: daily
        """

    /// A scenario file in a fresh folder, a journal beside it, and one run of a weekly equal-weight desk.
    static func setUp() async throws -> (folder: URL, journal: SQLiteJournal, run: RunID, data: MarketData) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baselines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("window.yaml")
        try Data(yaml.utf8).write(to: file)
        let scenario = try ScenarioFile.load(path: file.path)
        let data = try MarketData.load(scenario)
        let journal = try SQLiteJournal(path: folder.appendingPathComponent("journal.sqlite").path)
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: EqualWeightDesk(period: .weekly), journal: journal,
                                             options: ReplayOptions(seed: 7)).run()
        return (folder, journal, outcome.run, data)
    }

    /// The hand-worked book: cash and shares after buying `weights` of `equity` at `decision`'s close, filled at `fill`'s open.
    struct Book {
        var cash: Double
        var shares: [String: Double] = [:]

        mutating func rebalance(to weights: [String: Double], decision: Day, fill: Day, data: MarketData) {
            let equity = value(on: decision, data: data)
            var orders: [(String, Double)] = []
            for symbol in weights.keys.sorted() {
                let close = Self.bar(symbol, decision, data).close
                let delta = (weights[symbol]! * equity / close - (shares[symbol] ?? 0)).rounded(.towardZero)
                if delta != 0 { orders.append((symbol, delta)) }
            }
            for (symbol, delta) in orders.filter({ $0.1 < 0 }) + orders.filter({ $0.1 > 0 }) {
                let price = Self.bar(symbol, fill, data).open * (delta > 0 ? 1.0005 : 0.9995)
                cash -= delta * price + max(abs(delta) * 0.005, 1)
                shares[symbol, default: 0] += delta
            }
        }

        func value(on day: Day, data: MarketData) -> Double {
            cash + shares.reduce(0) { $0 + $1.value * Self.bar($1.key, day, data).close }
        }

        static func bar(_ symbol: String, _ day: Day, _ data: MarketData) -> Bar {
            data.series[symbol]!.bars.first { $0.day == day }!
        }
    }

    @Test func baselinesReplayTheRunsScenarioAndMatchTheBookWorkedOutByHand() async throws {
        let (folder, journal, run, data) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try await Baselines.ensure(for: run, journal: journal, codeVersion: "test")
        #expect(outcome.notes.isEmpty)
        #expect(outcome.baselines.map(\.kind) == [.benchmark, .buyAndHold, .equalWeightMonthly])
        #expect(outcome.baselines.allSatisfy { $0.run.baselineOf == run && $0.run.status == .completed })

        let days = data.sessions
        #expect(days.count == 10 && days.first == Day("2020-02-24") && days.last == Day("2020-03-06"))
        let march2 = days.firstIndex(of: Day("2020-03-02")!)!

        var benchmark = Book(cash: 100_000)
        benchmark.rebalance(to: ["SPY": 0.98], decision: days[0], fill: days[1], data: data)
        var holdUniverse = Book(cash: 100_000)
        holdUniverse.rebalance(to: ["AAPL": 0.49, "MSFT": 0.49], decision: days[0], fill: days[1], data: data)
        var monthly = holdUniverse
        #expect(benchmark.shares["SPY"] == 303)   // 98 000 / 322.42 at the 24 February close

        for (kind, expectedBook) in [(BaselineKind.benchmark, benchmark), (.buyAndHold, holdUniverse)] {
            let baseline = try #require(outcome.baselines.first { $0.kind == kind })
            let equity = try journal.equity(of: baseline.run.id)
            #expect(equity.count == days.count)
            #expect(equity[0].equity == 100_000)
            for i in 1..<days.count {
                #expect(abs(equity[i].equity - expectedBook.value(on: days[i], data: data)) < 1e-6, "\(kind) on \(days[i])")
            }
        }
        // Monthly: the same book until the first session of March, rebalanced at its close, filled on 3 March.
        let monthlyRun = try #require(outcome.baselines.first { $0.kind == .equalWeightMonthly })
        let monthlyEquity = try journal.equity(of: monthlyRun.run.id)
        for i in 1..<days.count {
            if i == march2 + 1 {
                monthly.rebalance(to: ["AAPL": 0.49, "MSFT": 0.49], decision: days[march2], fill: days[i], data: data)
            }
            #expect(abs(monthlyEquity[i].equity - monthly.value(on: days[i], data: data)) < 1e-6, "monthly on \(days[i])")
        }
        #expect(try journal.fills(of: monthlyRun.run.id).count == 4)   // two buys, then one sale and one buy in March

        // Asking again replays nothing.
        let again = try await Baselines.ensure(for: run, journal: journal, codeVersion: "test")
        #expect(again.baselines.map(\.run.id) == outcome.baselines.map(\.run.id))
        #expect(try journal.runs().count == 4)
    }

    @Test func aChangedScenarioFileLeavesTheBaselinesOutAndSaysWhy() async throws {
        let (folder, journal, run, _) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("window.yaml")
        try Data(Self.yaml.replacingOccurrences(of: "initial_cash: 100000", with: "initial_cash: 50000").utf8).write(to: file)
        let outcome = try await Baselines.ensure(for: run, journal: journal, codeVersion: "test")
        #expect(outcome.baselines.isEmpty)
        #expect(outcome.notes.count == 1 && outcome.notes[0].contains("changed"))
        #expect(try journal.runs().count == 1)
    }

    @Test func runMetricsCountCostsAndClosedTradesFromTheFills() async throws {
        let (folder, journal, run, _) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(at: folder) }
        let metrics = try RunMetrics.load(run, journal: journal)
        let fills = try journal.fills(of: run)
        #expect(metrics.trading.fills == fills.count)
        #expect(abs(metrics.trading.commission - fills.reduce(0) { $0 + $1.commission }) < 1e-9)
        #expect(metrics.trading.commission >= Double(fills.count))             // $1 minimum per order
        let sales = fills.filter { $0.side == .sell }.count
        #expect(metrics.trading.closedTrades == sales)
        #expect(metrics.trading.borrowFees == 0)
        let equity = try journal.equity(of: run)
        #expect(abs(metrics.returns.totalReturn - (equity.last!.equity / 100_000 - 1)) < 1e-12)
        #expect(metrics.usage.calls == 0)
    }
}

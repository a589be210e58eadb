import Desk
import DeskTesting
import Exchange
import Foundation
import JournalRecords
import Market
import Testing

/// Audits a journalled run against its market data: the book must balance to the cent at every step.
enum LedgerAudit {
    static let cent = 0.005

    /// Checks, for every step: cash equals the initial cash plus every cash movement so far; each
    /// movement is explained by a fill (trade and commission, matching the fill exactly) or by a
    /// borrow charge on a position that was short; positions equal the sum of their fills and are
    /// marked at the day's close (or their last close); positions × marks equal the positions value;
    /// equity is cash plus positions. Returns the number of steps checked.
    @discardableResult
    static func check(_ run: InMemoryJournal.StoredRun, data: MarketData, initialCash: Double, context: String) -> Int {
        var cash = initialCash
        var held: [String: Double] = [:]
        var shortBefore = Set<String>()
        for step in run.steps {
            let where_ = "\(context) \(step.day)"
            // Every trade movement is a fill's cash, every commission movement a fill's commission.
            var expectedTrades = step.fills.map { Movement(order: $0.orderID, symbol: $0.symbol, amount: -$0.side.sign * $0.quantity * $0.price) }
            var expectedFees = step.fills.filter { $0.commission != 0 }.map { Movement(order: $0.orderID, symbol: $0.symbol, amount: -$0.commission) }
            for movement in step.cashMovements {
                let key = Movement(order: movement.orderID, symbol: movement.symbol, amount: movement.amount)
                switch movement.kind {
                case .trade:
                    let matched = expectedTrades.remove(matching: key)
                    #expect(matched, "\(where_): trade movement \(movement) matches no fill")
                case .commission:
                    let matched = expectedFees.remove(matching: key)
                    #expect(matched, "\(where_): commission movement \(movement) matches no fill")
                case .borrowFee:
                    #expect(movement.amount < 0, "\(where_): a borrow fee is a charge")
                    let symbol = movement.symbol ?? ""
                    let shortNow = step.positions.contains { $0.symbol == symbol && $0.quantity < 0 }
                    #expect(shortNow || shortBefore.contains(symbol), "\(where_): borrow fee on \(symbol), which was not short")
                }
                cash += movement.amount
            }
            #expect(expectedTrades.isEmpty && expectedFees.isEmpty, "\(where_): fills without their cash movements")
            #expect(abs(cash - step.equity.cash) < cent, "\(where_): cash \(step.equity.cash) but movements sum to \(cash)")

            for fill in step.fills { held[fill.symbol, default: 0] += fill.side.sign * fill.quantity }
            var value = 0.0
            for position in step.positions {
                #expect(abs(position.quantity - (held[position.symbol] ?? 0)) < 1e-9, "\(where_): \(position.symbol) differs from its fills")
                if let series = data.series[position.symbol], let index = series.lastIndex(onOrBefore: step.day) {
                    #expect(position.lastPrice == series.bars[index].close, "\(where_): \(position.symbol) is not marked at its close")
                }
                value += position.quantity * position.lastPrice
            }
            #expect(Set(step.positions.map(\.symbol)) == Set(held.filter { $0.value != 0 }.keys), "\(where_): open positions differ from fills")
            #expect(abs(value - step.equity.positionsValue) < cent, "\(where_): positions × marks \(value) ≠ positions value \(step.equity.positionsValue)")
            #expect(abs(step.equity.cash + step.equity.positionsValue - step.equity.equity) < cent, "\(where_): equity is not cash + positions")
            shortBefore = Set(step.positions.filter { $0.quantity < 0 }.map(\.symbol))
        }
        return run.steps.count
    }

    struct Movement: Equatable {
        var order: OrderID?
        var symbol: String?
        var amount: Double
        static func == (a: Movement, b: Movement) -> Bool { a.order == b.order && a.symbol == b.symbol && abs(a.amount - b.amount) < 1e-9 }
    }
}

extension Array where Element: Equatable {
    /// Removes one element equal to `element`; false when there is none.
    mutating func remove(matching element: Element) -> Bool {
        guard let index = firstIndex(of: element) else { return false }
        remove(at: index)
        return true
    }
}

@Suite struct LedgerBalanceTests {
    static var bundledScenarios: [String] {
        let folder = Fixtures.packageRoot.appendingPathComponent("scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    static let deskNames = ["buy-and-hold", "equal-weight", "equal-weight-decision", "benchmark", "sma-cross"]

    @Test func thereAreBundledScenariosToCheck() {
        #expect(!Self.bundledScenarios.isEmpty)
    }

    @Test(arguments: bundledScenarios)
    func theLedgerBalancesToTheCentAtEveryStepOfEveryBundledScenario(path: String) async throws {
        let scenario = try ScenarioFile.load(path: path)
        let data = try MarketData.load(scenario)
        let journal = InMemoryJournal()
        let benchmarkTradable = scenario.tradableSymbols.contains(scenario.benchmark)
        for name in Self.deskNames where name != "benchmark" || benchmarkTradable {
            let desk = try #require(RuleDesks.named(name, scenario: scenario))
            let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
            let run = try #require(await journal.run(outcome.run))
            #expect(run.status == .completed)
            let steps = LedgerAudit.check(run, data: data, initialCash: scenario.initialCash, context: "\(scenario.name)/\(name)")
            #expect(steps == data.sessions.count)
            if name == "buy-and-hold" { #expect(outcome.summary.fills > 0, "\(scenario.name)/\(name) never traded") }
        }
    }

    @Test func shortPositionsPayBorrowAndStillBalance() async throws {
        let days = Fixtures.weekdays(from: Day("2020-03-02")!, count: 12)
        let a = Fixtures.series("A", days: days, closes: [100, 101, 103, 102, 99, 98, 97, 99, 101, 104, 103, 105])
        let b = Fixtures.series("B", days: days, closes: [50, 49, 47, 48, 45, 44, 46, 43, 42, 44, 41, 40])
        let (scenario, data) = Fixtures.scenario([a, b], cash: 100_000,
                                                 costs: CostSettings(commission: .perShare(rate: 0.01, minimum: 1), slippage: .bps(5), borrowBps: 300),
                                                 constraints: PortfolioConstraints(longOnly: false, maxWeight: 0.5, maxGross: 1.5))
        let desk = ClosureDesk(name: "long-short") { context in
            switch context.decisionIndex {
            case 0: return DeskProposal(targets: TargetWeights(["A": 0.5, "B": -0.4]))
            case 6: return DeskProposal(targets: TargetWeights(["A": -0.2, "B": 0.3]))   // flip both
            default: return .keepBook
            }
        }
        let journal = InMemoryJournal()
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        LedgerAudit.check(run, data: data, initialCash: scenario.initialCash, context: "long-short")
        let fees = run.steps.flatMap(\.cashMovements).filter { $0.kind == .borrowFee }
        #expect(Set(fees.compactMap(\.symbol)) == ["A", "B"])
        #expect(run.steps[2].positions.first { $0.symbol == "B" }.map { $0.quantity < 0 } == true)
        #expect(run.steps.last?.positions.first { $0.symbol == "A" }.map { $0.quantity < 0 } == true)
    }
}

@Suite struct OrderAPIThroughTheOrchestratorTests {
    @Test func cancelReplaceAndTicketsAreJournalledAsOrderEvents() async throws {
        let days = Fixtures.weekdays(from: Day("2020-03-02")!, count: 5)
        let (scenario, data) = Fixtures.scenario([Fixtures.series("A", days: days, closes: [100, 101, 102, 103, 104])], cash: 100_000)
        let desk = ClosureDesk(name: "trader") { context in
            switch context.decisionIndex {
            case 0:
                return DeskProposal(tickets: [
                    OrderTicket(symbol: "A", side: .buy, quantity: 10, type: .limit, limitPrice: 90, timeInForce: .gtc),
                    OrderTicket(symbol: "A", side: .buy, quantity: 10, type: .market, limitPrice: 101),
                ])
            case 1:
                let working = try #require(context.book.openOrders.first)
                return DeskProposal(replacements: [OrderReplacement(order: working.id, request: OrderRequest(
                    symbol: "A", side: .buy, quantity: 20, kind: .limit(price: 200), timeInForce: .gtc))])
            default:
                return .keepBook
            }
        }
        let journal = InMemoryJournal()
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: desk, journal: journal).run()
        let run = try #require(await journal.run(outcome.run))
        let first = run.steps[0]
        #expect(first.orderEvents.map(\.kind) == [.submitted, .accepted, .submitted, .rejected])
        #expect(first.orderEvents[3].reason?.contains("a market order takes no price") == true)
        #expect(first.orders.map(\.status) == [.accepted, .rejected])
        let second = run.steps[1]
        #expect(second.orderEvents.map(\.kind) == [.replaced, .submitted, .accepted])
        #expect(second.orders.map(\.status) == [.replaced, .accepted])
        let third = run.steps[2]
        #expect(third.fills.map(\.quantity) == [20])
        #expect(third.fills.map(\.orderID) == [OrderID(3)])
        LedgerAudit.check(run, data: data, initialCash: scenario.initialCash, context: "order-api")
    }
}

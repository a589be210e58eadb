import Desk
import DeskTesting
import Exchange
import InputFiles
import JournalRecords
import Market
import Testing

/// A desk whose execution stage sends whatever its closure says, to test the checks in code.
struct HostileExecutionDesk: DeskPolicy {
    let name = "hostile"
    let targets: TargetWeights
    let orders: @Sendable (ExecutionPlan) -> [OrderRequest]

    func decide(_ context: DecisionContext) async throws -> DeskProposal {
        context.decisionIndex == 0 ? DeskProposal(targets: targets) : .keepBook
    }

    func execute(_ context: DecisionContext, plan: ExecutionPlan) async throws -> ExecutionProposal {
        ExecutionProposal(orders: orders(plan))
    }
}

@Suite struct ExecutionChecksTests {
    @Test func ordersBeyondThePlanAreClippedOrVetoedWithReasons() async throws {
        let desk = HostileExecutionDesk(targets: TargetWeights(["A": 0.3, "B": 0.2])) { plan in
            let a = plan.orders.first { $0.symbol == "A" }!
            return [
                OrderRequest(symbol: "A", side: .buy, quantity: a.quantity * 10, kind: .limit(price: 500), tag: "trader"),
                OrderRequest(symbol: "B", side: .sell, quantity: 10, tag: "trader"),
                OrderRequest(symbol: "C", side: .buy, quantity: 10, tag: "trader"),
                OrderRequest(symbol: "A", side: .buy, quantity: 1.5, tag: "trader"),
            ]
        }
        let run = try await AgentRun.run(desk)
        let events = run.steps[0].riskEvents
        let size = try #require(events.first { $0.rule == "order_size" })
        #expect(size.action == .clip && size.role == "trader" && size.allowed * 10 == size.proposed)
        #expect(events.contains { $0.rule == "price_band" && $0.proposed == 500 && abs($0.allowed - 55) < 1e-9 })
        #expect(events.contains { $0.rule == "order_side" && $0.symbol == "B" && $0.action == .veto })
        #expect(events.contains { $0.rule == "order_scope" && $0.symbol == "C" && $0.action == .veto })
        // The second A order: whole shares first, then nothing is left of the plan.
        #expect(events.contains { $0.rule == "whole_shares" && $0.proposed == 1.5 && $0.allowed == 1 })
        #expect(events.contains { $0.rule == "order_size" && $0.action == .veto && $0.allowed == 0 })
        #expect(run.steps[0].orders.map(\.request.symbol) == ["A"])
        let bought = run.steps[1].fills.reduce(0) { $0 + $1.quantity * $1.price }
        #expect(bought <= 0.3 * 100_000 + 1e-6)
    }

    @Test func ruleDesksSendThePlanUnchanged() async throws {
        let run = try await AgentRun.run(BuyAndHoldDesk(symbols: ["A", "B"]))
        #expect(run.riskEvents.map(\.rule) == ["cash_buffer"])
        #expect(run.steps[0].orders.count == 2)
    }
}

@Suite struct RebalanceBandTests {
    let day = Day(year: 2020, month: 3, day: 2)!
    var bars: [String: Bar] {
        ["A": Bar(day: day, open: 100, high: 100, low: 100, close: 100, volume: 1e6),
         "B": Bar(day: day, open: 50, high: 50, low: 50, close: 50, volume: 1e6),
         "C": Bar(day: day, open: 10, high: 10, low: 10, close: 10, volume: 1e6)]
    }
    /// Equity 100,000: A at 20 % (200 sh), B at 10 % (200 sh), C at 0.5 % (50 sh), cash the rest.
    var book: BookView {
        BookView(cash: 69_500, equity: 100_000,
                 positions: ["A": Position(symbol: "A", quantity: 200, lastPrice: 100), "B": Position(symbol: "B", quantity: 200, lastPrice: 50),
                             "C": Position(symbol: "C", quantity: 50, lastPrice: 10)],
                 openOrders: [])
    }

    @Test func gapsInsideTheBandAreNotTradedAndExitsAlwaysAre() {
        let targets = TargetWeights(["A": 0.205, "B": 0.13, "C": 0])
        let banded = TargetExecution(fractionalShares: false, maxOrderVolumeShare: nil, rebalanceBand: 0.01)
        let (orders, _) = banded.orders(for: targets, book: book, lastBars: bars, tag: nil)
        // A's 0.5 % gap is inside the 1 % band; B's 3 % gap is traded; C's exit is traded although it is only 0.5 %.
        #expect(orders.map(\.symbol) == ["C", "B"])
        #expect(orders.map(\.quantity) == [50, 60])

        let every = TargetExecution(fractionalShares: false, maxOrderVolumeShare: nil)
        #expect(every.orders(for: targets, book: book, lastBars: bars, tag: nil).0.map(\.symbol) == ["C", "A", "B"])
    }

    @Test func aDeskFileSetsTheBandAndRejectsAnImpossibleOne() throws {
        let desk = try DeskFile.parse("name: banded\nrebalance_band: 0.02\nroles: [news_analyst, portfolio_manager]\n", file: "banded.yaml")
        #expect(desk.rebalanceBand == 0.02)
        #expect(throws: InputError.self) { try DeskFile.parse("name: banded\nrebalance_band: 2\nroles: [portfolio_manager]\n", file: "banded.yaml") }
    }
}

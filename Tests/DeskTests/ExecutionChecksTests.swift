import Desk
import DeskTesting
import Exchange
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

import Exchange
import Market
import Testing

@Suite struct MockExchangeTests {
    let d1 = Day("2020-03-02")!, d2 = Day("2020-03-03")!, d3 = Day("2020-03-04")!
    func bar(_ day: Day, open: Double, high: Double, low: Double, close: Double, volume: Double = 1_000_000) -> Bar {
        Bar(day: day, open: open, high: high, low: low, close: close, volume: volume)
    }
    func exchange(costs: CostSettings = CostSettings(), shortSelling: Bool = false, cap: Double? = nil, cash: Double = 10_000) -> MockExchange {
        MockExchange(rules: ExchangeRules(tradableSymbols: ["A"], shortSelling: shortSelling, participationCap: cap, lastSession: d3),
                     costs: costs, initialCash: cash)
    }

    @Test func marketOrderFillsAtNextOpenWithSlippageAndCommission() throws {
        var x = exchange(costs: CostSettings(commission: .perShare(rate: 0.01, minimum: 1), slippage: .bps(10)))
        let (id, events) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: d1, lastClose: 100)
        #expect(events.map(\.kind) == [.submitted, .accepted])
        let report = x.runSession(d2, bars: ["A": bar(d2, open: 101, high: 103, low: 100, close: 102)])
        let fill = try #require(report.fills.first)
        #expect(fill.orderID == id)
        #expect(fill.referencePrice == 101)
        #expect(abs(fill.price - 101 * 1.001) < 1e-12)
        #expect(fill.commission == 1)          // 10 × 0.01 = 0.10, minimum 1
        #expect(abs(x.ledger.cash - (10_000 - 10 * 101 * 1.001 - 1)) < 1e-9)
        #expect(x.ledger.equity == x.ledger.cash + 10 * 102)
        #expect(x.orders[id]?.status == .filled)
    }

    @Test func rejectionsAreEventsNotErrors() {
        var x = exchange()
        func reason(_ request: OrderRequest, on day: Day? = nil) -> String? {
            x.submit(request, on: day ?? d1, lastClose: 100).1.last.flatMap { $0.kind == .rejected ? $0.reason : nil }
        }
        #expect(reason(OrderRequest(symbol: "ZZZ", side: .buy, quantity: 1))?.contains("unknown symbol") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: 0))?.contains("positive") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: .nan))?.contains("positive") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: 1.5))?.contains("fractional") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: 1000))?.contains("insufficient cash") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .sell, quantity: 1))?.contains("short sale") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: 1), on: d3)?.contains("ends") == true)
        #expect(reason(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: -1)))?.contains("limit price") == true)
        #expect(x.openOrders.isEmpty)
    }

    @Test func limitOrdersFillAtTheOpenWhenItGapsThrough() throws {
        var x = exchange()
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 99)), on: d1, lastClose: 100)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 95)), on: d1, lastClose: 100)
        let report = x.runSession(d2, bars: ["A": bar(d2, open: 97, high: 98, low: 96, close: 97)])
        #expect(report.fills.map(\.price) == [97])          // gap below 99: fills at the open
        #expect(report.events.contains { $0.kind == .expired }) // 95 never traded: the day order expires
    }

    @Test func participationCapCarriesTheRestToTheNextSession() throws {
        var x = exchange(cap: 0.1, cash: 1_000_000)
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 150), on: d1, lastClose: 100)
        let first = x.runSession(d2, bars: ["A": bar(d2, open: 100, high: 100, low: 100, close: 100, volume: 1000)])
        #expect(first.fills.map(\.quantity) == [100])
        #expect(x.orders[id]?.status == .partiallyFilled)
        let second = x.runSession(d3, bars: ["A": bar(d3, open: 100, high: 100, low: 100, close: 100, volume: 1000)])
        #expect(second.fills.map(\.quantity) == [50])
        #expect(x.orders[id]?.status == .filled)
    }

    @Test func ledgerTracksAverageCostRealizedPnLAndExplainsEveryCashMove() throws {
        var ledger = Ledger(initialCash: 1000)
        ledger.apply(Fill(orderID: OrderID(1), day: d1, symbol: "A", side: .buy, quantity: 10, price: 10, referencePrice: 10, commission: 1, slippageCost: 0))
        ledger.apply(Fill(orderID: OrderID(2), day: d2, symbol: "A", side: .buy, quantity: 10, price: 20, referencePrice: 20, commission: 1, slippageCost: 0))
        #expect(ledger.positions["A"]?.averageCost == 15)
        ledger.apply(Fill(orderID: OrderID(3), day: d3, symbol: "A", side: .sell, quantity: 5, price: 25, referencePrice: 25, commission: 1, slippageCost: 0))
        #expect(ledger.positions["A"]?.realizedPnL == 50)
        #expect(ledger.positions["A"]?.quantity == 15)
        let moves = ledger.takeMovements()
        #expect(abs(1000 + moves.reduce(0) { $0 + $1.amount } - ledger.cash) < 1e-9)
        #expect(ledger.totalCommission == 3)
    }
}

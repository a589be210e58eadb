import Exchange
import Market
import Testing

@Suite struct LedgerTests {
    let d1 = Book.d1, d2 = Book.d2, d3 = Book.d3, d4 = Book.d4

    func fill(_ id: Int, _ day: Day, _ side: Side, _ quantity: Double, _ price: Double, commission: Double = 0) -> Fill {
        Fill(orderID: OrderID(id), day: day, symbol: "A", side: side, quantity: quantity, price: price, referencePrice: price,
             commission: commission, slippageCost: 0)
    }

    /// equity − initial cash == realised + unrealised − commissions − borrow fees.
    func expectPnLIdentity(_ ledger: Ledger) {
        let explained = ledger.realizedPnL + ledger.unrealizedPnL - ledger.totalCommission - ledger.totalBorrowFees
        #expect(abs(ledger.equity - ledger.initialCash - explained) < 1e-9)
    }

    @Test func averageCostRealizedAndUnrealizedPnLAndEveryCashMoveExplained() {
        var ledger = Ledger(initialCash: 1000)
        ledger.apply(fill(1, d1, .buy, 10, 10, commission: 1))
        ledger.apply(fill(2, d2, .buy, 10, 20, commission: 1))
        #expect(ledger.positions["A"]?.averageCost == 15)
        ledger.apply(fill(3, d3, .sell, 5, 25, commission: 1))
        #expect(ledger.positions["A"]?.realizedPnL == 50)
        #expect(ledger.positions["A"]?.quantity == 15)
        #expect(ledger.positions["A"]?.averageCost == 15)
        ledger.mark(["A": Book.bar(d3, open: 25, high: 31, low: 24, close: 30)])
        #expect(ledger.unrealizedPnL == 15 * 15)
        expectPnLIdentity(ledger)
        let moves = ledger.takeMovements()
        #expect(moves.map(\.kind) == [.trade, .commission, .trade, .commission, .trade, .commission])
        #expect(abs(1000 + moves.reduce(0) { $0 + $1.amount } - ledger.cash) < 1e-9)
        #expect(ledger.takeMovements().isEmpty)
        #expect(ledger.totalCommission == 3)
    }

    @Test func aSaleThroughZeroFlipsToAShortAtTheFillPrice() {
        var ledger = Ledger(initialCash: 1000)
        ledger.apply(fill(1, d1, .buy, 10, 10))
        ledger.apply(fill(2, d2, .sell, 15, 12))
        let position = ledger.positions["A"]!
        #expect(position.quantity == -5)
        #expect(position.averageCost == 12)
        #expect(position.realizedPnL == 20)
        ledger.apply(fill(3, d3, .buy, 5, 11))
        #expect(ledger.positions["A"] == nil)                           // flat positions leave the book…
        #expect(ledger.realizedPnL(of: "A") == 25)                      // …but not their realised P&L
        #expect(ledger.openPositions.isEmpty)
        expectPnLIdentity(ledger)
        ledger.apply(fill(4, d4, .buy, 2, 10))
        #expect(ledger.positions["A"]?.averageCost == 10)
        #expect(ledger.positions["A"]?.realizedPnL == 25)                 // the symbol's realised P&L comes back with it
        expectPnLIdentity(ledger)
    }

    @Test func shortPositionsPayABorrowFeeEachSessionOnTheirMarkedValue() {
        var x = Book.exchange(shortSelling: true, cash: 10_000, borrowBps: 252 * 100)   // 100 bps of value per session, to see it
        _ = x.submit(OrderRequest(symbol: "A", side: .sell, quantity: 10), on: d1, lastClose: 100)
        _ = x.runSession(d2, bars: ["A": Book.bar(d2, open: 100, high: 100, low: 100, close: 100)])
        #expect(x.ledger.positions["A"]?.quantity == -10)
        #expect(abs(x.ledger.totalBorrowFees - 10) < 1e-9)                   // 1 % of 1,000
        _ = x.runSession(d3, bars: ["A": Book.bar(d3, open: 100, high: 120, low: 100, close: 120)])
        #expect(abs(x.ledger.totalBorrowFees - 22) < 1e-9)                   // + 1 % of 1,200
        let moves = x.takeLedgerMovements()
        #expect(moves.filter { $0.kind == .borrowFee }.map(\.amount).map { ($0 * 100).rounded() / 100 } == [-10, -12])
        #expect(abs(10_000 + moves.reduce(0) { $0 + $1.amount } - x.ledger.cash) < 1e-9)
        #expect(abs(x.ledger.equity - (x.ledger.cash - 10 * 120)) < 1e-9)
        expectPnLIdentity(x.ledger)
    }

    @Test func noBorrowFeeIsChargedOnLongPositionsOrWhereShortsAreForbidden() {
        var x = Book.exchange(cash: 10_000, borrowBps: 1_000)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: d1, lastClose: 100)
        _ = x.runSession(d2, bars: ["A": Book.bar(d2, open: 100, high: 100, low: 100, close: 100)])
        #expect(x.ledger.totalBorrowFees == 0)
        #expect(x.takeLedgerMovements().allSatisfy { $0.kind != .borrowFee })
    }

    @Test func theBookIsMarkedAtEachClose() {
        var x = Book.exchange(cash: 10_000)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: d1, lastClose: 100)
        _ = x.runSession(d2, bars: ["A": Book.bar(d2, open: 100, high: 106, low: 99, close: 105)])
        #expect(x.ledger.positions["A"]?.lastPrice == 105)
        #expect(x.ledger.equity == 10_000 - 1_000 + 1_050)
        _ = x.runSession(d3, bars: [:])                                      // no bar: the last mark stands
        #expect(x.ledger.positions["A"]?.lastPrice == 105)
        _ = x.runSession(d4, bars: ["A": Book.bar(d4, open: 100, high: 100, low: 90, close: 95)])
        #expect(x.ledger.positionsValue == 950)
        #expect(x.ledger.unrealizedPnL == -50)
    }
}

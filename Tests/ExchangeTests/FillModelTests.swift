import Exchange
import Market
import Testing

/// Prices against one bar, through the exchange (so limits, stops and the fill model meet as in a run).
@Suite struct FillModelTests {
    typealias B = Book

    /// The fill prices of a single order of `kind` sent on d1 and matched against `bar` on d2.
    func fills(_ side: Side, _ kind: OrderKind, _ bar: Bar, fill: CostSettings.FillTiming = .nextOpen) -> [Double] {
        var x = B.exchange(shortSelling: true, cash: 1_000_000, fill: fill)
        _ = x.submit(OrderRequest(symbol: "A", side: side, quantity: 1, kind: kind), on: B.d1, lastClose: 100)
        return x.runSession(B.d2, bars: ["A": bar]).fills.map(\.price)
    }

    let up = Book.bar(Book.d2, open: 100, high: 110, low: 95, close: 108)      // closes above its open
    let down = Book.bar(Book.d2, open: 100, high: 110, low: 90, close: 92)     // closes below its open

    @Test func aGapThroughALimitFillsAtTheOpenNotAtTheLimit() {
        #expect(fills(.buy, .limit(price: 105), up) == [100])
        #expect(fills(.sell, .limit(price: 97), up) == [100])
    }

    @Test func aLimitInsideTheRangeFillsAtTheLimitAndOneOutsideItDoesNotFill() {
        #expect(fills(.buy, .limit(price: 96), up) == [96])
        #expect(fills(.buy, .limit(price: 94.99), up) == [])
        #expect(fills(.sell, .limit(price: 109), up) == [109])
        #expect(fills(.sell, .limit(price: 110.01), up) == [])
    }

    @Test func aStopGappedThroughFillsAtTheOpenAndOneTouchedFillsAtTheStop() {
        #expect(fills(.buy, .stop(trigger: 98), up) == [100])
        #expect(fills(.buy, .stop(trigger: 104), up) == [104])
        #expect(fills(.buy, .stop(trigger: 111), up) == [])
        #expect(fills(.sell, .stop(trigger: 101), up) == [100])
        #expect(fills(.sell, .stop(trigger: 96), up) == [96])
        #expect(fills(.sell, .stop(trigger: 94), up) == [])
    }

    @Test func aStopLimitTriggeredAtTheOpenWorksAsALimitFromTheOpen() {
        #expect(fills(.buy, .stopLimit(trigger: 99, limit: 101), up) == [100])     // open within the limit
        #expect(fills(.buy, .stopLimit(trigger: 99, limit: 97), up) == [97])       // then comes down to the limit
        #expect(fills(.buy, .stopLimit(trigger: 99, limit: 94), up) == [])         // never down to 94
    }

    @Test func aStopLimitTriggeredInsideTheRangeFillsAtTheStopWhenTheLimitAllowsIt() {
        #expect(fills(.buy, .stopLimit(trigger: 104, limit: 106), up) == [104])
        #expect(fills(.sell, .stopLimit(trigger: 96, limit: 95), up) == [96])
    }

    @Test func aStopLimitWithTheLimitBeyondTheStopFollowsTheDocumentedPath() {
        // Buy stop 105, limit 103. Up session (open → low → high → close): after the trigger the lowest price is the close, 108.
        #expect(fills(.buy, .stopLimit(trigger: 105, limit: 103), up) == [])
        // Down session (open → high → low → close): after the trigger it falls to the low, 90.
        #expect(fills(.buy, .stopLimit(trigger: 105, limit: 103), down) == [103])
        // Sell stop 94, limit 96. Down session: after the trigger the highest is the close, 92.
        #expect(fills(.sell, .stopLimit(trigger: 94, limit: 96), down) == [])
        // Up session: after the trigger it rises to the high, 110.
        #expect(fills(.sell, .stopLimit(trigger: 96, limit: 97), up) == [97])
    }

    @Test func aTriggeredStopLimitThatDidNotFillWorksAsALimitInLaterSessions() {
        var x = B.exchange(cash: 1_000_000)
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .stopLimit(trigger: 105, limit: 103), timeInForce: .gtc), on: B.d1, lastClose: 100)
        #expect(x.runSession(B.d2, bars: ["A": up]).fills.isEmpty)
        #expect(x.orders[id]?.triggered == true)
        // Next session opens at 104, above the limit, and trades down to 102: filled at the limit (no new trigger needed).
        let next = x.runSession(B.d3, bars: ["A": B.bar(B.d3, open: 104, high: 104.5, low: 102, close: 103.5)])
        #expect(next.fills.map(\.price) == [103])
    }

    @Test func theNextCloseModelTradesEverythingAtTheClose() {
        #expect(fills(.buy, .market, up, fill: .nextClose) == [108])
        #expect(fills(.buy, .limit(price: 108), up, fill: .nextClose) == [108])
        #expect(fills(.buy, .limit(price: 107), up, fill: .nextClose) == [])       // the low touched 107, the close did not
        #expect(fills(.buy, .stop(trigger: 105), up, fill: .nextClose) == [108])
        #expect(fills(.sell, .stop(trigger: 96), up, fill: .nextClose) == [])       // the low went through 96, the close did not
        #expect(fills(.buy, .stopLimit(trigger: 105, limit: 107), up, fill: .nextClose) == [])
    }

    @Test func aFillModelIsAPlugIn() {
        /// Fills everything at the bar's midpoint of high and low.
        struct Midpoint: FillModel {
            func match(_ order: Order, in bar: Bar) -> FillMatch { FillMatch(triggered: true, price: (bar.high + bar.low) / 2) }
        }
        var x = MockExchange(rules: ExchangeRules(tradableSymbols: ["A"], lastSession: B.d4), commission: NoCommission(), slippage: NoSlippage(),
                             fillModel: Midpoint(), initialCash: 1_000)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d1, lastClose: 100)
        #expect(x.runSession(B.d2, bars: ["A": up]).fills.map(\.price) == [102.5])
    }

    @Test func slippageNeverTakesALimitOrderPastItsLimit() {
        var x = B.exchange(costs: CostSettings(slippage: .bps(50)), cash: 1_000_000)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 100.2)), on: B.d1, lastClose: 100)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d1, lastClose: 100)
        let report = x.runSession(B.d2, bars: ["A": up])
        #expect(report.fills[0].price == 100.2)                          // 100 + 50 bps = 100.5, capped at the limit
        #expect(abs(report.fills[1].price - 100.5) < 1e-9)
        #expect(report.fills.map(\.referencePrice) == [100, 100])
        #expect(abs(report.fills[1].slippageCost - 0.5) < 1e-9)
    }

    @Test func volumeShareImpactGrowsWithTheSquareRootOfParticipation() {
        func price(_ quantity: Double) -> Double {
            var x = B.exchange(costs: CostSettings(slippage: .volumeShare(coefficient: 0.1)), cash: 1e9)
            _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: quantity), on: B.d1, lastClose: 100)
            return x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 100, high: 200, low: 50, close: 100, volume: 1_000_000)]).fills[0].price
        }
        #expect(abs(price(10_000) - 100 * (1 + 0.1 * 0.1)) < 1e-9)   // 1 % of volume: 0.1 × √0.01 = 1 %
        #expect(abs(price(40_000) - 100 * (1 + 0.1 * 0.2)) < 1e-9)   // 4 %: 2 %
    }
}

@Suite struct PartialFillTests {
    typealias B = Book
    func flat(_ day: Day, volume: Double = 1_000) -> Bar { B.bar(day, open: 100, high: 100, low: 100, close: 100, volume: volume) }

    @Test func theParticipationCapCarriesAGtcRemainderToTheNextSession() {
        var x = B.exchange(cap: 0.1, cash: 1_000_000)
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 150, timeInForce: .gtc), on: B.d1, lastClose: 100)
        let first = x.runSession(B.d2, bars: ["A": flat(B.d2)])
        #expect(first.fills.map(\.quantity) == [100])
        #expect(first.events.map(\.kind) == [.partiallyFilled])
        #expect(x.orders[id]?.status == .partiallyFilled)
        let second = x.runSession(B.d3, bars: ["A": flat(B.d3)])
        #expect(second.fills.map(\.quantity) == [50])
        #expect(second.events.map(\.kind) == [.filled])
        #expect(x.orders[id]?.status == .filled)
        #expect(x.orders[id]?.filledQuantity == 150)
    }

    @Test func aDayOrderRemainderHeldBackByTheCapExpiresAtTheClose() {
        var x = B.exchange(cap: 0.1, cash: 1_000_000)
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 150), on: B.d1, lastClose: 100)
        let report = x.runSession(B.d2, bars: ["A": flat(B.d2)])
        #expect(report.events.map(\.kind) == [.partiallyFilled, .expired])
        #expect(report.events[1].quantity == 50)
        #expect(report.events[1].reason?.contains("unfilled 50 of 150") == true)
        #expect(x.orders[id]?.status == .expired && x.orders[id]?.filledQuantity == 100)
        #expect(x.runSession(B.d3, bars: ["A": flat(B.d3)]).fills.isEmpty)
    }

    @Test func theCapIsSharedByTheOrdersInOneSymbolInSubmissionOrder() {
        var x = B.exchange(cap: 0.1, cash: 1_000_000)
        let (a, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 70, timeInForce: .gtc), on: B.d1, lastClose: 100)
        let (b, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 70, timeInForce: .gtc), on: B.d1, lastClose: 100)
        let report = x.runSession(B.d2, bars: ["A": flat(B.d2)])
        #expect(report.fills.map(\.orderID) == [a, b])
        #expect(report.fills.map(\.quantity) == [70, 30])
        #expect(x.runSession(B.d3, bars: ["A": flat(B.d3)]).fills.map(\.quantity) == [40])
    }

    @Test func aBuyIsCutToTheAffordableSharesAtTheFillAndTheRestCancelled() {
        var x = B.exchange(costs: CostSettings(commission: .perOrder(10)), cash: 1_010)
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: B.d1, lastClose: 100)   // 1,000 + 10: exactly affordable
        let report = x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 120, high: 121, low: 119, close: 120)])   // gaps up 20 %
        #expect(report.fills.map(\.quantity) == [8])                   // 8 × 120 + 10 = 970 ≤ 1,010; 9 × 120 + 10 = 1,090
        #expect(report.events.map(\.kind) == [.partiallyFilled, .cancelled])
        #expect(report.events[1].reason?.contains("insufficient cash at the fill") == true)
        #expect(x.orders[id]?.status == .cancelled)
        #expect(x.ledger.cash >= 0)
    }

    @Test func perShareCommissionChargesItsMinimumOncePerOrderAcrossPartialFills() {
        var x = B.exchange(costs: CostSettings(commission: .perShare(rate: 0.005, minimum: 1)), cap: 0.1, cash: 1_000_000)
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 150, timeInForce: .gtc), on: B.d1, lastClose: 100)
        let first = x.runSession(B.d2, bars: ["A": flat(B.d2)]).fills
        let second = x.runSession(B.d3, bars: ["A": flat(B.d3)]).fills
        #expect(first.map(\.commission) == [1])                          // 100 × 0.005 = 0.50 → the 1.00 minimum
        #expect(abs(second[0].commission - 0.25) < 1e-12)                // 50 × 0.005, no second minimum
        #expect(abs(x.ledger.totalCommission - 1.25) < 1e-12)
    }

    @Test func bpsAndPerOrderCommissions() {
        var bps = B.exchange(costs: CostSettings(commission: .bps(10)), cash: 1_000_000)
        _ = bps.submit(OrderRequest(symbol: "A", side: .buy, quantity: 30), on: B.d1, lastClose: 100)
        #expect(abs(bps.runSession(B.d2, bars: ["A": flat(B.d2)]).fills[0].commission - 3) < 1e-12)   // 3,000 × 10 bps

        var perOrder = B.exchange(costs: CostSettings(commission: .perOrder(4.95)), cap: 0.01, cash: 1_000_000)
        _ = perOrder.submit(OrderRequest(symbol: "A", side: .buy, quantity: 20, timeInForce: .gtc), on: B.d1, lastClose: 100)
        let fees = [B.d2, B.d3].flatMap { perOrder.runSession($0, bars: ["A": flat($0)]).fills.map(\.commission) }
        #expect(fees == [4.95, 0])
    }
}

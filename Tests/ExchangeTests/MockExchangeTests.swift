import Exchange
import Market
import Testing

/// Shared fixtures: one tradable symbol "A", three sessions.
enum Book {
    static let d1 = Day("2020-03-02")!, d2 = Day("2020-03-03")!, d3 = Day("2020-03-04")!, d4 = Day("2020-03-05")!

    static func bar(_ day: Day, open: Double, high: Double, low: Double, close: Double, volume: Double = 1_000_000) -> Bar {
        Bar(day: day, open: open, high: high, low: low, close: close, volume: volume)
    }

    static func exchange(costs: CostSettings = CostSettings(), shortSelling: Bool = false, margin: Bool = false, cap: Double? = nil,
                         cash: Double = 10_000, fill: CostSettings.FillTiming = .nextOpen, borrowBps: Double = 0, last: Day = d4) -> MockExchange {
        MockExchange(rules: ExchangeRules(tradableSymbols: ["A"], shortSelling: shortSelling, allowMargin: margin, fillTiming: fill,
                                          participationCap: cap, borrowBps: borrowBps, lastSession: last),
                     costs: costs, initialCash: cash)
    }
}

@Suite struct OrderLifecycleTests {
    typealias B = Book

    @Test func marketOrderFillsAtNextOpenWithSlippageAndCommission() throws {
        var x = B.exchange(costs: CostSettings(commission: .perShare(rate: 0.01, minimum: 1), slippage: .bps(10)))
        let (id, events) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: B.d1, lastClose: 100)
        #expect(events.map(\.kind) == [.submitted, .accepted])
        let report = x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 101, high: 103, low: 100, close: 102)])
        let fill = try #require(report.fills.first)
        #expect(fill.orderID == id)
        #expect(fill.referencePrice == 101)
        #expect(abs(fill.price - 101 * 1.001) < 1e-12)
        #expect(fill.commission == 1)          // 10 × 0.01 = 0.10, minimum 1
        #expect(abs(x.ledger.cash - (10_000 - 10 * 101 * 1.001 - 1)) < 1e-9)
        #expect(x.ledger.equity == x.ledger.cash + 10 * 102)
        #expect(x.orders[id]?.status == .filled)
        #expect(report.events.map(\.kind) == [.filled])
    }

    @Test func anOrderSentAfterTheCloseNeverFillsInThatSameSession() {
        var x = B.exchange()
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d2, lastClose: 100)
        let same = x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 100, high: 100, low: 100, close: 100)])
        #expect(same.fills.isEmpty && same.events.isEmpty)
        #expect(x.runSession(B.d3, bars: ["A": B.bar(B.d3, open: 100, high: 100, low: 100, close: 100)]).fills.count == 1)
    }

    @Test func aDayOrderWaitsForASessionInWhichItsSymbolTradesThenExpires() {
        var x = B.exchange()
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 90)), on: B.d1, lastClose: 100)
        #expect(x.runSession(B.d2, bars: [:]).events.isEmpty)             // A did not trade on d2: still working
        #expect(x.orders[id]?.status == .accepted)
        let report = x.runSession(B.d3, bars: ["A": B.bar(B.d3, open: 100, high: 101, low: 95, close: 99)])
        #expect(report.events.map(\.kind) == [.expired])
        #expect(report.events.first?.quantity == 1)
        #expect(x.orders[id]?.status == .expired)
        #expect(x.openOrders.isEmpty)
    }

    @Test func gtcOrdersWorkUntilFilledAndExpireWhenTheScenarioEnds() {
        var x = B.exchange(last: B.d3)
        let (filled, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 96), timeInForce: .gtc), on: B.d1, lastClose: 100)
        let (never, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: .limit(price: 50), timeInForce: .gtc), on: B.d1, lastClose: 100)
        #expect(x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 100, high: 101, low: 97, close: 99)]).events.isEmpty)
        let last = x.runSession(B.d3, bars: ["A": B.bar(B.d3, open: 98, high: 99, low: 95, close: 97)])
        #expect(last.fills.map(\.price) == [96])
        #expect(x.orders[filled]?.status == .filled)
        #expect(x.orders[never]?.status == .expired)
        #expect(last.events.last?.reason?.contains("scenario ended") == true)
    }

    @Test func cancelEndsAWorkingOrderAndIsRefusedForOneThatIsNotOpen() {
        var x = B.exchange()
        let (id, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 5, kind: .limit(price: 90), timeInForce: .gtc), on: B.d1, lastClose: 100)
        let cancelled = x.cancel(id, on: B.d1)
        #expect(cancelled.kind == .cancelled && cancelled.quantity == 5)
        #expect(x.orders[id]?.status == .cancelled)
        #expect(x.freeCash() == 10_000)
        let again = x.cancel(id, on: B.d1)
        #expect(again.kind == .rejected)
        #expect(again.reason?.contains("cancelled, not open") == true)
        #expect(x.cancel(OrderID(99), on: B.d1).reason?.contains("no order #99") == true)
    }

    @Test func replaceIsAnAtomicCancelAndNewOrderJournalledAsReplaced() throws {
        var x = B.exchange()
        let (old, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 50, kind: .limit(price: 95), timeInForce: .gtc), on: B.d1, lastClose: 100)
        // 50 × 95 reserves 4,750 of 10,000; the replacement for 90 × 105 = 9,450 fits only once the old reservation is released.
        let (new, events) = x.replace(old, with: OrderRequest(symbol: "A", side: .buy, quantity: 90, kind: .limit(price: 105), timeInForce: .gtc),
                                      on: B.d1, lastClose: 100)
        let newID = try #require(new)
        #expect(events.map(\.kind) == [.replaced, .submitted, .accepted])
        #expect(events[0].orderID == old && events[0].reason == "replaced by \(newID)")
        #expect(events[1].orderID == newID && events[1].reason == "replaces \(old)")
        #expect(x.orders[old]?.status == .replaced)
        #expect(x.openOrders.map(\.id) == [newID])
        let report = x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 104, high: 106, low: 103, close: 105)])
        #expect(report.fills.map(\.orderID) == [newID])
        #expect(report.fills.map(\.price) == [104])
    }

    @Test func aRefusedReplacementLeavesTheOriginalOrderWorking() throws {
        var x = B.exchange()
        let (old, _) = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10, kind: .limit(price: 95), timeInForce: .gtc), on: B.d1, lastClose: 100)
        let (tooBig, events) = x.replace(old, with: OrderRequest(symbol: "A", side: .buy, quantity: 1_000, kind: .limit(price: 95)), on: B.d1, lastClose: 100)
        #expect(tooBig != nil)
        #expect(events.map(\.kind) == [.submitted, .rejected])
        #expect(events[1].reason?.contains("insufficient cash") == true)
        #expect(x.orders[old]?.status == .accepted)
        #expect(x.openOrders.map(\.id) == [old])

        let (_, otherSide) = x.replace(old, with: OrderRequest(symbol: "A", side: .sell, quantity: 1, kind: .limit(price: 95)), on: B.d1, lastClose: 100)
        #expect(otherSide.last?.reason?.contains("keep the symbol and side") == true)
        #expect(x.openOrders.map(\.id) == [old])

        _ = x.cancel(old, on: B.d1)
        let (none, refused) = x.replace(old, with: OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d1, lastClose: 100)
        #expect(none == nil)
        #expect(refused.map(\.kind) == [.rejected] && refused[0].orderID == old)
    }

    @Test func theSameOrdersAndBarsGiveTheSameFillsAndEvents() {
        func run() -> [ExchangeReport] {
            var x = B.exchange(costs: CostSettings(commission: .bps(5), slippage: .volumeShare(coefficient: 0.1)), cap: 0.01, cash: 1_000_000)
            _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 15_000, timeInForce: .gtc), on: B.d1, lastClose: 50)
            _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 100, kind: .stopLimit(trigger: 51, limit: 52)), on: B.d1, lastClose: 50)
            return [B.d2, B.d3, B.d4].map { day in x.runSession(day, bars: ["A": B.bar(day, open: 50, high: 53, low: 49, close: 52)]) }
        }
        #expect(run() == run())
    }
}

@Suite struct RejectionTests {
    typealias B = Book

    /// The reason of the rejection `submit` answered with, or nil when the order was accepted.
    func reason(_ x: inout MockExchange, _ request: OrderRequest, on day: Day = Book.d1, lastClose: Double = 100) -> String? {
        let (_, events) = x.submit(request, on: day, lastClose: lastClose)
        #expect(events.first?.kind == .submitted)
        return events.last.flatMap { $0.kind == .rejected ? $0.reason : nil }
    }

    func reason(_ x: inout MockExchange, ticket: OrderTicket) -> String? {
        let (id, events) = x.submit(ticket: ticket, on: Book.d1, lastClose: 100)
        #expect(events.map(\.orderID) == [id, id])
        return events.last.flatMap { $0.kind == .rejected ? $0.reason : nil }
    }

    @Test func anUnknownSymbolIsRejected() {
        var x = B.exchange()
        #expect(reason(&x, OrderRequest(symbol: "ZZZ", side: .buy, quantity: 1))?.contains("unknown symbol ZZZ; tradable: A") == true)
    }

    @Test(arguments: [0.0, -5, .nan, .infinity, -.infinity])
    func aQuantityThatIsNotPositiveAndFiniteIsRejected(quantity: Double) {
        var x = B.exchange()
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: quantity))?.contains("not a positive finite number") == true)
        #expect(x.openOrders.isEmpty)
    }

    @Test func aFractionalQuantityIsRejectedUnlessTheScenarioAllowsIt() {
        var x = B.exchange()
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1.5))?.contains("whole shares") == true)
        var fractional = MockExchange(rules: ExchangeRules(tradableSymbols: ["A"], fractionalShares: true, lastSession: B.d4), costs: CostSettings(), initialCash: 1_000)
        #expect(reason(&fractional, OrderRequest(symbol: "A", side: .buy, quantity: 1.5)) == nil)
    }

    @Test func aPriceOnAMarketOrderIsRejected() {
        var x = B.exchange()
        let why = reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .market, limitPrice: 101))
        #expect(why?.contains("a market order takes no price") == true)
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .market, stopPrice: 99))?.contains("takes no price") == true)
        #expect(x.openOrders.isEmpty)
        #expect(x.orders.values.allSatisfy { $0.status == .rejected })
    }

    @Test func aLimitOrStopOrderWithoutItsPriceIsRejected() {
        var x = B.exchange()
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .limit))?.contains("needs a limit_price") == true)
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .sell, quantity: 1, type: .stop))?.contains("needs a stop_price") == true)
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .stopLimit, stopPrice: 101))?.contains("both") == true)
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .limit, limitPrice: 99, stopPrice: 101))?.contains("stop_limit") == true)
        // A well-formed ticket goes through the same checks as a typed request.
        #expect(reason(&x, ticket: OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .limit, limitPrice: 99, timeInForce: .gtc)) == nil)
        #expect(x.openOrders.first?.request.timeInForce == .gtc)
    }

    @Test(arguments: [OrderKind.limit(price: -1), .limit(price: .nan), .stop(trigger: 0), .stopLimit(trigger: 10, limit: .infinity)])
    func aPriceThatIsNotPositiveAndFiniteIsRejected(kind: OrderKind) {
        var x = B.exchange()
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1, kind: kind))?.contains("is not a positive finite number") == true)
    }

    @Test func aBuyBeyondTheFreeCashIsRejectedWithoutMargin() {
        var x = B.exchange(costs: CostSettings(commission: .perOrder(5)))
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 99)) == nil)      // 9,900 + 5
        // The first order reserves its cash: the next one sees only what is left.
        let why = reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1))
        #expect(why?.contains("insufficient cash") == true)
        #expect(why?.contains("100.00 is free") == true)
        var margin = B.exchange(margin: true)
        #expect(reason(&margin, OrderRequest(symbol: "A", side: .buy, quantity: 1_000)) == nil)
    }

    @Test func aShortSaleIsRejectedWhereTheScenarioForbidsIt() {
        var x = B.exchange()
        #expect(reason(&x, OrderRequest(symbol: "A", side: .sell, quantity: 1))?.contains("short sale of A is not allowed") == true)
        var shorts = B.exchange(shortSelling: true)
        #expect(reason(&shorts, OrderRequest(symbol: "A", side: .sell, quantity: 1)) == nil)
    }

    @Test func sellingMoreThanIsHeldCountsSalesAlreadyWorking() {
        var x = B.exchange()
        _ = x.submit(OrderRequest(symbol: "A", side: .buy, quantity: 10), on: B.d1, lastClose: 100)
        _ = x.runSession(B.d2, bars: ["A": B.bar(B.d2, open: 100, high: 100, low: 100, close: 100)])
        #expect(reason(&x, OrderRequest(symbol: "A", side: .sell, quantity: 6), on: B.d2) == nil)
        #expect(reason(&x, OrderRequest(symbol: "A", side: .sell, quantity: 5), on: B.d2)?.contains("already selling 6") == true)
    }

    @Test func anOrderAfterTheScenarioEndIsRejected() {
        var x = B.exchange(last: B.d3)
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d3)?.contains("the scenario ends on 2020-03-04") == true)
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d4)?.contains("no session remains") == true)
        #expect(reason(&x, OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d2) == nil)
    }

    @Test func eachRejectionRuleIsReportedWithoutSubmitting() {
        let x = B.exchange()
        #expect(x.rejection(of: OrderRequest(symbol: "ZZZ", side: .buy, quantity: 1), on: B.d1, lastClose: 1)?.rule == .unknownSymbol)
        #expect(x.rejection(of: OrderRequest(symbol: "A", side: .sell, quantity: 1), on: B.d1, lastClose: 1)?.rule == .shortSale)
        #expect(x.rejection(of: OrderRequest(symbol: "A", side: .buy, quantity: 1e6), on: B.d1, lastClose: 1)?.rule == .insufficientCash)
        #expect(x.rejection(of: OrderRequest(symbol: "A", side: .buy, quantity: 1), on: B.d4, lastClose: 1)?.rule == .afterScenarioEnd)
        #expect(OrderTicket(symbol: "A", side: .buy, quantity: 1, type: .market, limitPrice: 1).request() == .failure(OrderRejection(.malformed, "a market order takes no price (limit_price 1.0 was given); send a limit order to bound the price")))
        #expect(x.openOrders.isEmpty && x.orders.isEmpty)
    }
}

import Market

/// Holdings of one symbol.
public struct Position: Sendable, Hashable, Codable {
    public var symbol: String
    /// Shares held; negative when short.
    public var quantity: Double
    /// Average price of the shares currently held (0 when flat).
    public var averageCost: Double
    /// Profit realised by closing shares of this symbol since the start of the run (including earlier
    /// positions in it that went flat), before commissions.
    public var realizedPnL: Double
    /// The latest mark (close) used to value the position.
    public var lastPrice: Double

    public init(symbol: String, quantity: Double = 0, averageCost: Double = 0, realizedPnL: Double = 0, lastPrice: Double = 0) {
        self.symbol = symbol
        self.quantity = quantity
        self.averageCost = averageCost
        self.realizedPnL = realizedPnL
        self.lastPrice = lastPrice
    }

    public var marketValue: Double { quantity * lastPrice }
    public var unrealizedPnL: Double { quantity * (lastPrice - averageCost) }
}

/// One change to cash, with its cause. Summing them from the initial cash gives the cash balance.
public struct CashMovement: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Shares bought or sold (price × quantity, slippage included).
        case trade
        case commission
        /// Fee for borrowing shares held short.
        case borrowFee = "borrow_fee"
    }
    public var day: Day
    public var kind: Kind
    public var amount: Double
    public var symbol: String?
    public var orderID: OrderID?

    public init(day: Day, kind: Kind, amount: Double, symbol: String? = nil, orderID: OrderID? = nil) {
        self.day = day
        self.kind = kind
        self.amount = amount
        self.symbol = symbol
        self.orderID = orderID
    }
}

/// The book: cash and positions, marked to market, where every cash change has a recorded cause.
///
/// Identities that hold after every call (tests check them over whole scenarios):
/// - `cash == initialCash + Σ movements` (trades, commissions, borrow fees; nothing else moves cash);
/// - `equity == cash + Σ quantity × lastPrice`;
/// - `equity − initialCash == realizedPnL + unrealizedPnL − totalCommission − totalBorrowFees`.
public struct Ledger: Sendable, Hashable {
    public let initialCash: Double
    public private(set) var cash: Double
    /// Open positions by symbol (a position that goes flat leaves; its realised P&L is kept and comes back
    /// with the symbol's next position).
    public private(set) var positions: [String: Position] = [:]
    /// Realised P&L of symbols with no open position.
    public private(set) var realizedPnLOfClosed: [String: Double] = [:]
    /// Cash changes since the last call to ``takeMovements()``.
    public private(set) var pendingMovements: [CashMovement] = []
    /// Commission, slippage and borrow fees paid since the start.
    public private(set) var totalCommission: Double = 0
    public private(set) var totalSlippage: Double = 0
    public private(set) var totalBorrowFees: Double = 0

    public init(initialCash: Double) {
        self.initialCash = initialCash
        self.cash = initialCash
    }

    public func quantity(of symbol: String) -> Double { positions[symbol]?.quantity ?? 0 }

    /// Sum of position values at their last marks.
    public var positionsValue: Double { sortedPositions.reduce(0) { $0 + $1.marketValue } }
    /// Cash plus positions at their last marks.
    public var equity: Double { cash + positionsValue }
    /// Sum of absolute position values.
    public var grossExposure: Double { sortedPositions.reduce(0) { $0 + abs($1.marketValue) } }

    /// Positions in symbol order: sums over them are the same in every process (a dictionary's
    /// order changes from one process to the next, and floating-point sums depend on order).
    private var sortedPositions: [Position] { positions.keys.sorted().map { positions[$0]! } }

    /// Books a fill: moves cash, updates the position's quantity, average cost and realised P&L.
    public mutating func apply(_ fill: Fill) {
        var position = positions[fill.symbol]
            ?? Position(symbol: fill.symbol, realizedPnL: realizedPnLOfClosed.removeValue(forKey: fill.symbol) ?? 0, lastPrice: fill.price)
        let signed = fill.side.sign * fill.quantity
        let old = position.quantity
        let new = old + signed
        if old == 0 || (old > 0) == (signed > 0) {
            // Opening or adding: blend the average cost.
            position.averageCost = (abs(old) * position.averageCost + fill.quantity * fill.price) / abs(new)
        } else {
            // Reducing, closing or flipping.
            let closed = min(abs(signed), abs(old))
            position.realizedPnL += closed * (fill.price - position.averageCost) * (old > 0 ? 1 : -1)
            if abs(signed) > abs(old) {
                position.averageCost = fill.price
            } else if abs(new) < 1e-12 {
                position.averageCost = 0
            }
        }
        position.quantity = abs(new) < 1e-12 ? 0 : new
        if position.lastPrice == 0 { position.lastPrice = fill.price }
        if position.quantity == 0 {
            positions[fill.symbol] = nil
            realizedPnLOfClosed[fill.symbol] = position.realizedPnL
        } else {
            positions[fill.symbol] = position
        }

        let tradeCash = -signed * fill.price
        cash += tradeCash
        pendingMovements.append(CashMovement(day: fill.day, kind: .trade, amount: tradeCash, symbol: fill.symbol, orderID: fill.orderID))
        if fill.commission != 0 {
            cash -= fill.commission
            totalCommission += fill.commission
            pendingMovements.append(CashMovement(day: fill.day, kind: .commission, amount: -fill.commission, symbol: fill.symbol, orderID: fill.orderID))
        }
        totalSlippage += fill.slippageCost
    }

    /// Marks positions at the given closes (symbols without a price keep their last mark).
    public mutating func mark(closes: [String: Double]) {
        for (symbol, price) in closes where positions[symbol] != nil {
            positions[symbol]!.lastPrice = price
        }
    }

    /// Marks every position at the close of its bar in `bars` (symbols without a bar keep their last mark).
    public mutating func mark(_ bars: [String: Bar]) {
        var index = positions.startIndex
        while index != positions.endIndex {
            if let bar = bars[positions.keys[index]] { positions.values[index].lastPrice = bar.close }
            positions.formIndex(after: &index)
        }
    }

    /// Realised P&L of `symbol`, open or not, before commissions and fees.
    public func realizedPnL(of symbol: String) -> Double { positions[symbol]?.realizedPnL ?? realizedPnLOfClosed[symbol] ?? 0 }

    /// Profit realised by closing shares, over all symbols, before commissions and fees.
    public var realizedPnL: Double {
        positions.values.reduce(0) { $0 + $1.realizedPnL } + realizedPnLOfClosed.values.reduce(0, +)
    }
    /// Profit of the open positions at their last marks against their average cost.
    public var unrealizedPnL: Double { positions.values.reduce(0) { $0 + $1.unrealizedPnL } }

    /// Charges one session's borrow fee on short positions: value × bps / 10 000 / 252.
    public mutating func chargeBorrow(day: Day, annualBps: Double) {
        guard annualBps > 0 else { return }
        for position in positions.values.sorted(by: { $0.symbol < $1.symbol }) where position.quantity < 0 {
            let fee = -position.marketValue * annualBps / 10_000 / 252
            cash -= fee
            totalBorrowFees += fee
            pendingMovements.append(CashMovement(day: day, kind: .borrowFee, amount: -fee, symbol: position.symbol))
        }
    }

    /// Hands over the cash movements recorded since the last call.
    public mutating func takeMovements() -> [CashMovement] {
        defer { pendingMovements.removeAll(keepingCapacity: true) }
        return pendingMovements
    }

    /// Open positions, sorted by symbol.
    public var openPositions: [Position] {
        positions.values.sorted { $0.symbol < $1.symbol }
    }
}

/// Prices per period (oldest first), one column per symbol; `nil` where a symbol has no price (before its listing).
public struct PriceHistory: Sendable, Equatable, Codable {
    public var symbols: [String]
    /// Labels of the rows (dates), when known; used only in messages.
    public var dates: [String]?
    /// One row per period, each with one entry per symbol.
    public var rows: [[Double?]]

    public init(symbols: [String], dates: [String]? = nil, rows: [[Double?]]) {
        self.symbols = symbols
        self.dates = dates
        self.rows = rows
    }

    /// Simple returns p[t]/p[t-1] − 1, missing where either price is missing; periods where every
    /// symbol's return is missing are dropped (PyPortfolioOpt's `returns_from_prices`).
    public func returns() throws(OptimizerError) -> ReturnHistory {
        try validate()
        var result: [[Double?]] = []
        result.reserveCapacity(rows.count)
        for t in rows.indices.dropFirst() {
            let row: [Double?] = symbols.indices.map { i in
                guard let now = rows[t][i], let before = rows[t - 1][i] else { return nil }
                return now / before - 1
            }
            if row.contains(where: { $0 != nil }) { result.append(row) }
        }
        return ReturnHistory(symbols: symbols, rows: result)
    }

    func validate() throws(OptimizerError) {
        try validateSymbols(symbols)
        for (t, row) in rows.enumerated() {
            let label = dates.flatMap { t < $0.count ? $0[t] : nil } ?? "row \(t + 1)"
            guard row.count == symbols.count else {
                throw OptimizerError(kind: .invalidInput, message: "prices at \(label) have \(row.count) entries for \(symbols.count) symbols",
                                     remedy: "give one price (or null) per symbol in every row")
            }
            for (i, price) in row.enumerated() {
                if let price, !(price.isFinite && price > 0) {
                    throw OptimizerError(kind: .invalidInput, message: "the price of \(symbols[i]) at \(label) is \(price)",
                                         remedy: "prices must be positive and finite; leave the entry empty when there is no price")
                }
            }
        }
    }
}

/// Simple returns per period (oldest first), one column per symbol; `nil` where missing.
public struct ReturnHistory: Sendable, Equatable, Codable {
    public var symbols: [String]
    public var rows: [[Double?]]

    public init(symbols: [String], rows: [[Double?]]) {
        self.symbols = symbols
        self.rows = rows
    }

    public var periodCount: Int { rows.count }

    /// Column `i` with `.nan` for missing entries.
    func column(_ i: Int) -> [Double] { rows.map { $0[i] ?? .nan } }

    func validate(minimumObservations: Int = 2) throws(OptimizerError) {
        try validateSymbols(symbols)
        for (t, row) in rows.enumerated() {
            guard row.count == symbols.count else {
                throw OptimizerError(kind: .invalidInput, message: "returns in period \(t + 1) have \(row.count) entries for \(symbols.count) symbols",
                                     remedy: "give one return (or null) per symbol in every period")
            }
            for (i, value) in row.enumerated() {
                if let value, !(value.isFinite && value > -1) {
                    throw OptimizerError(kind: .invalidInput, message: "the return of \(symbols[i]) in period \(t + 1) is \(value)",
                                         remedy: "simple returns must be finite and above -100%")
                }
            }
        }
        for (i, symbol) in symbols.enumerated() {
            let count = rows.reduce(0) { $0 + ($1[i] == nil ? 0 : 1) }
            guard count >= minimumObservations else {
                throw OptimizerError(kind: .invalidInput, message: "\(symbol) has \(count) return observation\(count == 1 ? "" : "s"); at least \(minimumObservations) are needed",
                                     remedy: "give a longer price window or drop the symbol")
            }
        }
    }
}

func validateSymbols(_ symbols: [String]) throws(OptimizerError) {
    guard !symbols.isEmpty else {
        throw OptimizerError(kind: .invalidInput, message: "no symbols were given", remedy: "name at least one asset")
    }
    var seen = Set<String>()
    for symbol in symbols {
        guard !symbol.isEmpty else {
            throw OptimizerError(kind: .invalidInput, message: "a symbol is empty", remedy: "name every asset")
        }
        guard seen.insert(symbol).inserted else {
            throw OptimizerError(kind: .invalidInput, message: "the symbol \(symbol) appears twice", remedy: "name each asset once")
        }
    }
}

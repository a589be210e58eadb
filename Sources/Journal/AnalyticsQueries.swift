import GRDB
import JournalRecords

// Reads that analytics (metrics, baselines, reports) need beyond the step records.
extension SQLiteJournal {
    /// Runs computed as baselines of `run`, oldest first.
    public func baselines(of run: RunID) throws -> [RunRow] {
        try pool.read { db in
            try RunRow.fetchAll(db, sql: "SELECT * FROM runs WHERE baseline_of = ? ORDER BY id", arguments: [run.rawValue])
        }
    }

    /// Borrow fees a run paid on short positions, summed (positive).
    public func borrowFees(of run: RunID) throws -> Double {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT -COALESCE(SUM(amount), 0) FROM cash_movements WHERE run_id = ? AND kind = 'borrow_fee'",
                                arguments: [run.rawValue]) ?? 0
        }
    }

    /// Open positions at the close of each committed step: step index → (symbol, market value).
    public func positionValues(of run: RunID) throws -> [Int: [(symbol: String, value: Double)]] {
        try pool.read { db in
            var result: [Int: [(symbol: String, value: Double)]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT step, symbol, quantity * last_price AS value FROM positions WHERE run_id = ? ORDER BY step, symbol",
                                        arguments: [run.rawValue]) {
                result[row["step"], default: []].append((row["symbol"], row["value"]))
            }
            return result
        }
    }
}

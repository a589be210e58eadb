import GRDB
import GRDBSQLite

/// A cached `INSERT` executed with values bound straight through the SQLite C API: the hot path
/// of the step writer (a large step writes thousands of rows), without building an argument
/// array of boxed values per row.
///
/// Parameters are bound in order with ``int(_:)``, ``double(_:)``, ``text(_:)`` …; ``run()``
/// executes the statement and readies it for the next row.
struct RowInserter {
    private let statement: Statement
    private let handle: OpaquePointer
    private let db: Database
    private var index: Int32 = 1

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    mutating func int(_ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)); index += 1 }
    mutating func int(_ value: Int64) { sqlite3_bind_int64(handle, index, value); index += 1 }
    mutating func int(_ value: Int?) { if let value { int(value) } else { null() } }
    mutating func bool(_ value: Bool) { sqlite3_bind_int64(handle, index, value ? 1 : 0); index += 1 }
    mutating func null() { sqlite3_bind_null(handle, index); index += 1 }

    mutating func double(_ value: Double) {
        // SQLite stores NaN as NULL; a NOT NULL column then refuses the row, which is what should happen.
        sqlite3_bind_double(handle, index, value)
        index += 1
    }

    mutating func double(_ value: Double?) { if let value { double(value) } else { null() } }

    mutating func text(_ value: String) {
        var value = value
        _ = value.withUTF8 { utf8 in
            // An empty buffer may have no address, which SQLite would take for NULL.
            guard let base = utf8.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
            return sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), sqliteTransient)
        }
        index += 1
    }

    mutating func text(_ value: String?) { if let value { text(value) } else { null() } }

    /// Executes the insert with the bound values, then resets the statement for the next row.
    mutating func run() throws {
        let code = sqlite3_step(handle)
        index = 1
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension RowInserter {
    /// Inserts `items` with multi-row `INSERT … VALUES (…), (…), …` statements of `batch` rows
    /// (the rest one by one): SQLite's per-statement work is paid once per batch rather than per row.
    ///
    /// `suffix` follows the values (e.g. an `ON CONFLICT … DO UPDATE` clause).
    static func insertAll<T>(_ items: [T], db: Database, into table: String, columns: [String], suffix: String = "", batch: Int = 32,
                             bind: (inout RowInserter, Int, T) -> Void) throws {
        guard !items.isEmpty else { return }
        let tuple = "(" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
        let head = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        var start = 0
        if items.count >= batch {
            var many = try RowInserter(db, sql: head + Array(repeating: tuple, count: batch).joined(separator: ", ") + suffix)
            while start + batch <= items.count {
                for offset in start..<(start + batch) { bind(&many, offset, items[offset]) }
                try many.run()
                start += batch
            }
        }
        guard start < items.count else { return }
        var one = try RowInserter(db, sql: head + tuple + suffix)
        for offset in start..<items.count {
            bind(&one, offset, items[offset])
            try one.run()
        }
    }
}

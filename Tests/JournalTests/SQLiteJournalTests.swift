import DeskTesting
import Exchange
import Foundation
import GRDB
import Journal
import JournalRecords
import LanguageModel
import Market
import Testing

/// A journal in a temporary file, removed with its WAL files when the test is done.
final class TemporaryJournal {
    let path: String
    let journal: SQLiteJournal

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).sqlite").path
        journal = try SQLiteJournal(path: path)
    }

    deinit {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Writes the fixture run and waits for its steps to be committed.
    func writeFixtureRun(seed: UInt64 = 7, status: RunStatus = .completed) async throws -> RunID {
        let run = try await journal.beginRun(JournalFixtures.manifest(seed: seed))
        for step in JournalFixtures.steps() { try await journal.commit(step, to: run) }
        try await journal.finishRun(run, status: status, summary: RunSummary(finalEquity: 99_809.5, totalReturn: -0.0019, maxDrawdown: -0.003, sessions: 3, fills: 2,
                                                                             modelCalls: 3, failures: 1), reason: nil)
        return run
    }

    /// A second connection, for looking at the file the way `sqlite3` does.
    func inspect<T>(_ body: (Database) throws -> T) throws -> T {
        try DatabaseQueue(path: path).read(body)
    }

    /// One integer from a query on a second connection.
    func count(_ sql: String) throws -> Int? {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: sql) }
    }

    /// Statements run on a second connection (foreign keys on, as GRDB opens it).
    func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql, arguments: arguments) }
    }
}

@Suite struct SQLiteJournalTests {
    @Test func theSchemaHasTheDesignTablesIndexesAndFullTextIndexes() throws {
        let temp = try TemporaryJournal()
        let tables = Set(try temp.journal.tableNames())
        for table in ["runs", "agents", "steps", "equity", "positions", "orders", "order_updates", "order_events", "fills", "cash_movements",
                      "model_calls", "tool_calls", "decisions", "risk_events", "failures", "model_calls_fts", "decisions_fts"] {
            #expect(tables.contains(table), "\(table)")
        }
        try temp.inspect { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            let indexes = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
            for index in ["steps_by_day", "orders_by_step", "model_calls_cache", "model_calls_by_role", "model_calls_by_time",
                          "decisions_by_role", "decisions_by_step", "risk_events_by_symbol"] {
                #expect(indexes.contains(index), "\(index)")
            }
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            #expect(triggers.isSuperset(of: ["model_calls_fts_insert", "model_calls_fts_delete", "decisions_fts_insert", "decisions_fts_delete"]))
        }
    }

    @Test func aCommittedStepReadsBackEqualAndMatchesItsDigest() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let written = JournalFixtures.steps()
        let read = try temp.journal.steps(of: run)
        #expect(read == written)
        #expect(try temp.journal.stepDigests(of: run) == written.map(\.digest))
        #expect(try temp.journal.verify(run).isEmpty)
        #expect(try temp.journal.manifest(of: run) == JournalFixtures.manifest())
        // Orders keep their latest state; each step keeps the state it saw.
        #expect(try temp.journal.orders(of: run).map(\.status) == [.filled, .expired])
        #expect(read[1].orders.map(\.status) == [.filled, .partiallyFilled])
    }

    @Test func largeStepsAreWrittenInBatchesAndReadBackEqual() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.journal.beginRun(JournalFixtures.manifest())
        let days = JournalFixtures.days
        // 77 symbols: two full batches of 32 rows and 13 single rows per table.
        let symbols = (0..<77).map { "S\($0)" }
        var sent = StepRecord(index: 0, day: days[0], isDecision: true, equity: EquityRecord(day: days[0], cash: 1e6, positionsValue: 0, equity: 1e6, grossExposure: 0))
        var filled = StepRecord(index: 1, day: days[1], isDecision: false, equity: EquityRecord(day: days[1], cash: 5e5, positionsValue: 5e5, equity: 1e6, grossExposure: 5e5))
        for (i, symbol) in symbols.enumerated() {
            let request = OrderRequest(symbol: symbol, side: i % 3 == 0 ? .sell : .buy, quantity: Double(10 + i), kind: i % 5 == 0 ? .limit(price: 9.5) : .market, tag: "pm")
            let id = OrderID(i + 1)
            sent.orders.append(Order(id: id, request: request, submittedOn: days[0]))
            sent.orderEvents += [OrderEvent(orderID: id, day: days[0], kind: .submitted, quantity: request.quantity), OrderEvent(orderID: id, day: days[0], kind: .accepted)]
            let price = 10 + Double(i) / 7
            filled.fills.append(Fill(orderID: id, day: days[1], symbol: symbol, side: request.side, quantity: request.quantity, price: price,
                                     referencePrice: price - 0.01, commission: 1, slippageCost: 0.01 * request.quantity))
            filled.orderEvents.append(OrderEvent(orderID: id, day: days[1], kind: .filled, quantity: request.quantity, price: price))
            filled.orders.append(Order(id: id, request: request, submittedOn: days[0], status: .filled, filledQuantity: request.quantity, averageFillPrice: price))
            filled.cashMovements += [CashMovement(day: days[1], kind: .trade, amount: -request.side.sign * request.quantity * price, symbol: symbol, orderID: id),
                                     CashMovement(day: days[1], kind: .commission, amount: -1, symbol: symbol, orderID: id)]
            filled.positions.append(Position(symbol: symbol, quantity: request.side.sign * request.quantity, averageCost: price, lastPrice: price * 1.01))
        }
        filled.positions.sort { $0.symbol < $1.symbol }
        try await temp.journal.commit(sent, to: run)
        try await temp.journal.commit(filled, to: run)
        try await temp.journal.flush()
        #expect(try temp.journal.steps(of: run) == [sent, filled])
        #expect(try temp.journal.verify(run).isEmpty)
        let counts = try temp.journal.rowCounts(of: run)
        #expect(counts["orders"] == 77 && counts["order_updates"] == 154 && counts["order_events"] == 231)
        #expect(counts["fills"] == 77 && counts["cash_movements"] == 154 && counts["positions"] == 77)
        #expect(try temp.journal.orders(of: run).allSatisfy { $0.status == .filled })
    }

    @Test func agentsAreTheDeclaredRolesThenRolesSeenInRecords() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        let agents = try temp.journal.agents(of: run)
        // The technical analyst only timed out, but it sat at the desk too.
        #expect(agents.map(\.agent.role) == ["news_analyst", "portfolio_manager", "technical_analyst"])
        #expect(agents.map(\.declared) == [true, true, false])
        #expect(agents[0].agent.model?.digest.hasPrefix("b179c952") == true)
        #expect(agents[1].agent.tools == ["optimize"])

        let undeclared = try await temp.journal.beginRun(RunManifest(scenarioName: "s", scenarioFile: "s.yaml", scenarioDigest: "d", deskName: "x", seed: 1,
                                                                     codeVersion: "t", firstSession: JournalFixtures.days[0],
                                                                     lastSession: JournalFixtures.days[2], initialCash: 1, benchmark: "SPY"))
        try await temp.journal.commit(JournalFixtures.steps()[0], to: undeclared)
        try await temp.journal.flush()
        let seen = try temp.journal.agents(of: undeclared)
        #expect(seen.map(\.agent.role) == ["news_analyst", "portfolio_manager", "technical_analyst"])
        #expect(seen.allSatisfy { !$0.declared })
        #expect(seen.first { $0.agent.role == "portfolio_manager" }?.agent.stage == "decision")
    }

    @Test func theDigestIgnoresWallClockFieldsAndSeesEverythingDecided() {
        let step = JournalFixtures.steps()[0]
        var timed = step
        timed.modelCalls[0].startedAt += 100
        timed.modelCalls[0].finishedAt += 100
        timed.modelCalls[0].usage.totalSeconds = 9
        timed.modelCalls[0].usage.timeToFirstToken = 3
        timed.modelCalls[0].cacheHit = true
        timed.toolCalls[0].durationSeconds = 4
        #expect(timed.digest == step.digest)

        var changes: [(String, (inout StepRecord) -> Void)] = [
            ("decision output", { $0.decisions[1].output = .object([.init("targets", .object([.init("AAPL", .number(0.45))]))]) }),
            ("rationale", { $0.decisions[0].rationale = "Different" }),
            ("order quantity", { $0.orders[0].request.quantity = 101 }),
            ("risk limit", { $0.riskEvents[0].allowed = 0.4 }),
            ("equity", { $0.equity.equity += 0.01 }),
            ("completion", { $0.modelCalls[0].completion = "{}" }),
            ("tool input", { $0.toolCalls[0].input = .null }),
            ("snapshot", { $0.snapshotDigest = "other" }),
        ]
        changes.append(("order event", { $0.orderEvents.removeLast() }))
        for (name, change) in changes {
            var changed = step
            change(&changed)
            #expect(changed.digest != step.digest, "\(name)")
        }
        // Negative zero is zero (SQLite stores it so).
        var zero = step, negativeZero = step
        zero.equity.grossExposure = 0
        negativeZero.equity.grossExposure = -0.0
        #expect(zero.digest == negativeZero.digest)
    }

    @Test func aStepIsWholeOrAbsentAndAFailedStepStopsTheRun() async throws {
        let temp = try TemporaryJournal()
        let journal = temp.journal
        let run = try await journal.beginRun(JournalFixtures.manifest())
        let steps = JournalFixtures.steps()
        try await journal.commit(steps[0], to: run)
        // A price that is not a number cannot be stored (SQLite makes NaN NULL): the whole step must roll back.
        var broken = steps[1]
        broken.fills[1].price = .nan
        try await journal.commit(broken, to: run)
        await #expect(throws: (any Error).self) { try await journal.flush() }
        // Nothing is written after a failed step, and the run is not marked completed.
        await #expect(throws: (any Error).self) { try await journal.commit(steps[2], to: run) }
        await #expect(throws: (any Error).self) {
            try await journal.finishRun(run, status: .completed, summary: RunSummary(finalEquity: 1, totalReturn: 0, maxDrawdown: 0, sessions: 3, fills: 0), reason: nil)
        }
        #expect(try journal.stepCount(of: run) == 1)
        #expect(try journal.equity(of: run).count == 1)
        #expect(try journal.fills(of: run).isEmpty)
        #expect(try temp.count("SELECT COUNT(*) FROM order_events WHERE step = 1") == 0)
        #expect(try temp.count("SELECT COUNT(*) FROM positions") == 0)
        let row = try journal.run(run)
        #expect(row.status == .failed)
        #expect(row.reason?.contains("could not be committed") == true)
    }

    @Test func theCallCacheServesACompletionOfAStepStillQueued() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.journal.beginRun(JournalFixtures.manifest())
        let step = JournalFixtures.steps()[0]
        try await temp.journal.commit(step, to: run)
        let cached = try await temp.journal.cachedCompletion(forKey: step.modelCalls[0].cacheKey)
        #expect(cached?.completion.text == step.modelCalls[0].completion)
        #expect(cached?.parsedOutput == step.modelCalls[0].parsedOutput)
        #expect(cached?.completion.usage.completionTokens == 64)
        #expect(try await temp.journal.cachedCompletion(forKey: "no-such-key") == nil)
    }

    @Test func aCheckpointHoldsTheManifestAndDigestsAndOnlyUnfinishedRunsReopen() async throws {
        let temp = try TemporaryJournal()
        let completed = try await temp.writeFixtureRun()
        await #expect(throws: JournalError.self) { try await temp.journal.reopenRun(completed) }

        let stopped = try await temp.journal.beginRun(JournalFixtures.manifest(seed: 9))
        try await temp.journal.commit(JournalFixtures.steps()[0], to: stopped)
        try await temp.journal.finishRun(stopped, status: .stopped, summary: nil, reason: "SIGINT")
        let checkpoint = try await temp.journal.checkpoint(of: stopped)
        #expect(checkpoint.status == .stopped)
        #expect(checkpoint.manifest == JournalFixtures.manifest(seed: 9))
        #expect(checkpoint.stepDigests == [JournalFixtures.steps()[0].digest])
        try await temp.journal.reopenRun(stopped)
        let row = try temp.journal.run(stopped)
        #expect(row.status == .running && row.resumes == 1 && row.reason == nil)
        #expect(row.writer == WriterIdentity.current)
        await #expect(throws: JournalError.self) { try await temp.journal.checkpoint(of: RunID(99)) }
    }

    @Test func severalJournalsOnOneFileWriteConcurrentlyWithoutLosingRows() async throws {
        let temp = try TemporaryJournal()
        let path = temp.path
        let runs = try await withThrowingTaskGroup(of: RunID.self) { group in
            for seed in 0..<4 {
                group.addTask {
                    // Each task is its own connection pool, like another process.
                    let journal = try SQLiteJournal(path: path)
                    let run = try await journal.beginRun(JournalFixtures.manifest(seed: UInt64(seed)))
                    for step in JournalFixtures.steps() { try await journal.commit(step, to: run) }
                    try await journal.finishRun(run, status: .completed, summary: nil, reason: nil)
                    return run
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(runs).count == 4)
        for run in runs {
            #expect(try temp.journal.steps(of: run) == JournalFixtures.steps())
            #expect(try temp.journal.run(run).status == .completed)
        }
    }
}

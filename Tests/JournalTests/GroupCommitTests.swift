import DeskTesting
import Foundation
import GRDB
import Journal
import JournalRecords
import Testing

/// The writer commits the steps queued while it was busy in one transaction (group commit),
/// without giving up "a step is wholly in the journal or not at all".
@Suite struct GroupCommitTests {
    /// Holds the file's write lock from another connection until `release` is called, so the
    /// journal's writer stops at its next transaction and the replay's steps queue up behind it.
    final class WriteLock: @unchecked Sendable {
        private let released = DispatchSemaphore(value: 0)
        private let holding = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)

        init(path: String) {
            Thread.detachNewThread { [released, holding, done] in
                let queue = try? DatabaseQueue(path: path)
                try? queue?.inTransaction(.immediate) { _ in
                    holding.signal()
                    released.wait()
                    return .commit
                }
                done.signal()
            }
            holding.wait()
        }

        func release() {
            released.signal()
            done.wait()
        }
    }

    /// Commits the first step, lets the writer take it and stop at a write lock held by another
    /// connection, queues the other steps behind it, then releases the lock: the other steps reach
    /// the writer together.
    private func commitBehindAHeldLock(_ steps: [StepRecord], to run: RunID, in temp: TemporaryJournal) async throws {
        let lock = WriteLock(path: temp.path)
        try await temp.journal.commit(steps[0], to: run)
        try await Task.sleep(for: .milliseconds(200))
        for step in steps.dropFirst() { try await temp.journal.commit(step, to: run) }
        lock.release()
    }

    @Test func stepsQueuedWhileTheWriterIsBusyAreCommittedInOneTransactionAndReadBackEqual() async throws {
        let temp = try TemporaryJournal()
        let journal = temp.journal
        let run = try await journal.beginRun(JournalFixtures.manifest())
        let steps = JournalFixtures.steps()
        let before = journal.writerFigures.transactions
        try await commitBehindAHeldLock(steps, to: run, in: temp)
        try await journal.flush()

        #expect(journal.writerFigures.transactions - before == 2)
        #expect(try journal.steps(of: run) == steps)
        #expect(try journal.verify(run).isEmpty)
        let committed = try temp.inspect { db in try String.fetchAll(db, sql: "SELECT committed_at FROM steps WHERE run_id = ? ORDER BY idx", arguments: [run.rawValue]) }
        #expect(committed.count == 3)
        #expect(committed[1] == committed[2])
    }

    @Test func aGroupWithAFailingStepKeepsTheStepsBeforeItAndNothingAfter() async throws {
        let temp = try TemporaryJournal()
        let journal = temp.journal
        let run = try await journal.beginRun(JournalFixtures.manifest())
        let steps = JournalFixtures.steps()
        var broken = steps[2]
        // SQLite stores NaN as NULL, which the NOT NULL column refuses.
        broken.equity.cash = .nan
        try await commitBehindAHeldLock([steps[0], steps[1], broken], to: run, in: temp)
        await #expect(throws: (any Error).self) { try await journal.flush() }

        #expect(try journal.stepCount(of: run) == 2)
        #expect(try journal.steps(of: run) == Array(steps[0...1]))
        #expect(try temp.count("SELECT COUNT(*) FROM equity WHERE step = 2") == 0)
        await #expect(throws: (any Error).self) {
            try await journal.finishRun(run, status: .completed, summary: nil, reason: nil)
        }
        #expect(try journal.run(run).status == .failed)
    }

    @Test func stepsGroupedBehindAFailedStepAreNotWritten() async throws {
        let temp = try TemporaryJournal()
        let journal = temp.journal
        let run = try await journal.beginRun(JournalFixtures.manifest())
        let steps = JournalFixtures.steps()
        var broken = steps[0]
        broken.equity.cash = .nan
        try await commitBehindAHeldLock([broken, steps[1], steps[2]], to: run, in: temp)
        await #expect(throws: (any Error).self) { try await journal.flush() }

        #expect(try journal.stepCount(of: run) == 0)
        #expect(try temp.count("SELECT COUNT(*) FROM equity") == 0)
    }

    @Test func closingCopiesTheWALIntoTheFileAndLeavesItReadable() async throws {
        let temp = try TemporaryJournal()
        let run = try await temp.writeFixtureRun()
        try temp.journal.close()
        let wal = (try? FileManager.default.attributesOfItem(atPath: temp.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        #expect(try SQLiteJournal(path: temp.path).steps(of: run) == JournalFixtures.steps())
    }
}

import Foundation
import JournalRecords

/// Bounded hand-off of steps to the journal's writer: a replay queues a step and goes on with the
/// next session while the writer commits it, in queue order.
///
/// The writer takes every step queued when it gets to them — one when it keeps up with the
/// replay (an agent desk, a paced replay), up to ``capacity`` when the replay runs ahead (a rule
/// desk) — and commits them in one transaction (group commit): a step is still wholly in the
/// journal or not at all, and a transaction's fixed cost (the pages every step touches, written
/// again to the WAL at each commit; the full-text index's segment flush) is paid once per batch
/// instead of once per step.
///
/// At most ``capacity`` steps wait; a replay that gets that far ahead waits for the writer. The
/// first failed commit is kept: every later commit and the run's finish report it, and no later
/// step is written (a run's steps are a prefix of its sessions, never a sequence with a hole).
final class CommitPipeline: @unchecked Sendable {
    /// A step waiting for the writer, with its run.
    struct Queued {
        var step: StepRecord
        var run: RunID
    }

    let capacity: Int
    private let lock = NSLock()
    private var outstanding = 0
    private var queued: [Queued] = []
    private var draining = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var failure: (any Error)?

    init(capacity: Int) { self.capacity = capacity }

    private var waits = 0
    private var waitedSeconds = 0.0
    private var writerCPU = 0.0
    private var transactions = 0

    /// Waits for a free place in the queue.
    func admit() async {
        let start = ContinuousClock.now
        var waited = false
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if outstanding < capacity {
                outstanding += 1
                lock.unlock()
                continuation.resume()
            } else {
                waited = true
                waiting.append(continuation)
                lock.unlock()
            }
        }
        if waited { recordWait(ContinuousClock.now - start) }
    }

    private func recordWait(_ elapsed: Duration) {
        lock.lock()
        waits += 1
        waitedSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        lock.unlock()
    }

    /// How often, and how long in all, a replay waited for the writer, the writer's CPU time and
    /// the transactions it committed steps in.
    var figures: WriterFigures {
        lock.lock()
        defer { lock.unlock() }
        return WriterFigures(waits: waits, waitedSeconds: waitedSeconds, cpuSeconds: writerCPU, transactions: transactions)
    }

    /// Queues `step` for the writer; true when no writer is draining the queue, so the caller
    /// must start one (which then takes this step and any that follow it).
    func enqueue(_ step: StepRecord, run: RunID) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        queued.append(Queued(step: step, run: run))
        if draining { return false }
        draining = true
        return true
    }

    /// The next steps to commit together: all queued ones, oldest first, up to ``capacity``; empty
    /// when the queue is empty (the drain ends, and the next ``enqueue(_:run:)`` starts another).
    ///
    /// A step whose index is `isolating` is committed alone, so a fault injected in it finds the
    /// earlier steps committed.
    func nextBatch(isolating index: Int? = nil) -> [Queued] {
        lock.lock()
        defer { lock.unlock() }
        var count = min(queued.count, capacity)
        if let index, let at = queued.prefix(count).firstIndex(where: { $0.step.index == index }) { count = at == 0 ? 1 : at }
        if count == 0 { draining = false }
        let batch = Array(queued.prefix(count))
        queued.removeFirst(count)
        return batch
    }

    /// Records the end of a commit of `steps` queued steps, and its error if it failed.
    ///
    /// A replay that found the queue full resumes only once it is down to half, so a replay
    /// faster than its writer wakes once per `capacity / 2` steps rather than once per step.
    func complete(_ error: (any Error)?, steps: Int = 1, transactions: Int = 1, cpuSeconds: Double = 0) {
        lock.lock()
        writerCPU += cpuSeconds
        self.transactions += transactions
        if let error, failure == nil { failure = error }
        outstanding -= steps
        var resumed: [CheckedContinuation<Void, Never>] = []
        if !waiting.isEmpty, outstanding <= capacity / 2 || failure != nil {
            let room = failure != nil ? waiting.count : min(waiting.count, capacity - outstanding)
            resumed = Array(waiting.prefix(room))
            waiting.removeFirst(room)
            outstanding += room
        }
        lock.unlock()
        for continuation in resumed { continuation.resume() }
    }

    /// Throws the first commit error, if any.
    func check() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }
}

/// What the writer of a journal did for the replays writing through it.
public struct WriterFigures: Sendable, Hashable {
    /// How often a replay found the queue full and waited for the writer.
    public var waits: Int
    /// How long replays waited for the writer, in all.
    public var waitedSeconds: Double
    /// CPU time the writer spent committing steps (digests, rows, transactions) on its own thread.
    public var cpuSeconds: Double
    /// Transactions that committed steps (fewer than the steps when the writer grouped them).
    public var transactions: Int
}

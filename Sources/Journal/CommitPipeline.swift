import Foundation

/// Bounded hand-off of steps to the journal's writer: a replay queues a step and goes on with the
/// next session while the writer commits it, one transaction per step, in queue order.
///
/// At most ``capacity`` steps wait; a replay that gets that far ahead waits for the writer. The
/// first failed commit is kept: every later commit and the run's finish report it, and no later
/// step is written (a run's steps are a prefix of its sessions, never a sequence with a hole).
final class CommitPipeline: @unchecked Sendable {
    let capacity: Int
    private let lock = NSLock()
    private var outstanding = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var failure: (any Error)?

    init(capacity: Int) { self.capacity = capacity }

    private var waits = 0
    private var waitedSeconds = 0.0
    private var writerCPU = 0.0

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

    /// How often, and how long in all, a replay waited for the writer, and the writer's CPU time.
    var figures: (waits: Int, waitedSeconds: Double, cpuSeconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        return (waits, waitedSeconds, writerCPU)
    }

    /// Records the end of one queued commit, and its error if it failed.
    ///
    /// A replay that found the queue full resumes only once it is down to half, so a replay
    /// faster than its writer wakes once per `capacity / 2` steps rather than once per step.
    func complete(_ error: (any Error)?, cpuSeconds: Double = 0) {
        lock.lock()
        writerCPU += cpuSeconds
        if let error, failure == nil { failure = error }
        outstanding -= 1
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

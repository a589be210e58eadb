import CKernels
import Foundation

/// The engine's compute threads: a C pthread pool (`ck_pool`) that splits every matrix product,
/// attention and activation over all cores.
///
/// Heavy work never runs on Swift's cooperative thread pool (one thread per core: blocking it
/// stalls every other task in the process). The thread that drives a forward pass is the
/// ``ComputeExecutor``'s own thread, which works as the pool's thread 0; the pool starts the
/// other `threads - 1`. Concurrent requests of a model share its scheduler, and models share
/// ``ComputePool/shared`` (taking turns per job), so neither adds threads.
public final class ComputePool: @unchecked Sendable {
    let handle: OpaquePointer?
    /// Threads working on each job, the driving thread included.
    public let threads: Int

    /// A pool of `threads` threads (default: ``ComputePool/defaultThreads(environment:)``).
    public init(threads: Int? = nil) {
        let n = max(1, threads ?? ComputePool.defaultThreads())
        self.threads = n
        handle = n > 1 ? ck_pool_create(Int32(n)) : nil
    }

    deinit { if let handle { ck_pool_destroy(handle) } }

    /// The process's pool (``defaultThreads(environment:)`` threads), shared by every model that
    /// does not ask for its own: models used at the same time take turns per job instead of adding threads.
    public static let shared = ComputePool()

    /// `TRADINGDESK_THREADS` when set to a positive number, otherwise the cores this process may use.
    public static func defaultThreads(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let text = environment["TRADINGDESK_THREADS"], let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 {
            return min(n, 256)
        }
        return Int(ck_available_cores())
    }
}

/// A serial executor with a thread of its own: actors that use it (the batch scheduler) run their
/// heavy, blocking compute there instead of on the cooperative pool. The thread ends when the
/// executor is released.
final class ComputeExecutor: SerialExecutor, @unchecked Sendable {
    /// The queue the thread drains; shared with the thread, so the thread never refers to the executor.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [UnownedJob] = []
        var stopped = false
        var executor: UnownedSerialExecutor?
    }

    private let queue = Queue()

    init(name: String) {
        let queue = self.queue
        queue.executor = UnownedSerialExecutor(ordinary: self)
        let thread = Thread {
            while true {
                queue.condition.lock()
                while queue.jobs.isEmpty && !queue.stopped { queue.condition.wait() }
                if queue.jobs.isEmpty { queue.condition.unlock(); return }
                let batch = queue.jobs
                queue.jobs.removeAll(keepingCapacity: true)
                let executor = queue.executor!
                queue.condition.unlock()
                for job in batch { job.runSynchronously(on: executor) }
            }
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.signal()
        queue.condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

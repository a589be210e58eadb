import Dispatch

/// The serial executor a ``LocalModel`` runs on: a Dispatch queue of its own, not a thread of
/// Swift's cooperative pool. A generation computes for seconds without suspending; on the pool
/// (as many threads as cores) it would stall every other task of the process meanwhile — the
/// journal's writer, a remote model's deadlines, a test's HTTP server.
final class ModelExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

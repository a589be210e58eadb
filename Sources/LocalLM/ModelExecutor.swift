import Foundation
import Synchronization

/// The serial executor a ``LocalModel`` runs on: a thread of its own, outside both Swift's
/// cooperative pool and Dispatch's worker threads. A generation computes for seconds without
/// suspending; on a shared pool (as many threads as cores) it would stall every other task of the
/// process meanwhile — the journal's writer, a remote model's deadlines, a test's HTTP server.
/// The thread lives as long as the process (a model is loaded once and kept).
final class ModelExecutor: SerialExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let available = DispatchSemaphore(value: 0)

    init(label: String) {
        let thread = Thread { [self] in
            while true {
                available.wait()
                guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
        }
        thread.name = label
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

import JournalRecords

/// A desk that can begin its next decision's market-only analysis while the current decision is
/// still being made. Internal on purpose: only desks of this module are ever handed a later
/// decision's context, and ``AgentDesk`` uses it only for roles that read the market alone
/// (``DeskRole/readsMarketOnly``), whose results reach nothing but that later decision. A desk
/// outside the module never sees tomorrow's market before today's decision is final.
protocol AnalysisAheadDesk: DeskPolicy {
    /// The next decision's context, given before `decide` of the current one. Its book is the
    /// current book (the next one depends on this decision's fills), so only work that never
    /// reads the book may start from it.
    func scheduleAnalysis(_ next: DecisionContext) async
    /// Drops whatever was begun ahead for `run` (the replay ended or stopped).
    func discardAnalysisAhead(run: RunID) async
}

/// The analysis an ``AgentDesk`` has begun ahead: the next decision's context, until the current
/// decision's analysts are done, then one task per market-only analyst for that decision.
actor AnalysisAheadStore {
    private var scheduled: [RunID: DecisionContext] = [:]
    private var begun: [RunID: (stepIndex: Int, tasks: [Int: Task<RoleResult, any Error>])] = [:]

    func schedule(_ next: DecisionContext) { scheduled[next.run] = next }

    /// The scheduled context of a decision after `stepIndex`, handed out once.
    func next(run: RunID, after stepIndex: Int) -> DecisionContext? {
        guard let next = scheduled[run], next.stepIndex > stepIndex else { return nil }
        scheduled[run] = nil
        return next
    }

    func store(_ tasks: [Int: Task<RoleResult, any Error>], run: RunID, stepIndex: Int) {
        begun[run]?.tasks.values.forEach { $0.cancel() }
        begun[run] = (stepIndex, tasks)
    }

    /// The tasks begun for the decision at `stepIndex` (by analyst index), handed out once.
    func take(run: RunID, stepIndex: Int) -> [Int: Task<RoleResult, any Error>] {
        guard let entry = begun[run], entry.stepIndex == stepIndex else { return [:] }
        begun[run] = nil
        return entry.tasks
    }

    func discard(run: RunID) {
        begun[run]?.tasks.values.forEach { $0.cancel() }
        begun[run] = nil
        scheduled[run] = nil
    }
}

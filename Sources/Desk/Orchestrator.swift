import Crypto
import Exchange
import Foundation
import JournalRecords
import LanguageModel
import Market

/// How a replay should go, beyond the scenario and the desk.
public struct ReplayOptions: Sendable {
    public var seed: UInt64 = 0
    /// Version of the program, recorded with the run.
    public var codeVersion: String = "dev"
    /// Pause after each committed step (to watch a replay, or to interrupt it in tests).
    public var pace: Duration?
    /// Called after each committed step.
    public var progress: (@Sendable (ReplayProgress) -> Void)?
    /// Extra options recorded with the run.
    public var recordedOptions: JSONValue = .object([])
    /// Set when the run is a baseline of another.
    public var baselineOf: RunID?
    /// How model calls use the journal's call cache.
    public var cacheMode: CallCacheMode = .reuse
    /// When set and requested, the replay stops after committing the step under way (run `stopped`, resumable).
    public var stop: StopRequest?

    public init(seed: UInt64 = 0, codeVersion: String = "dev", pace: Duration? = nil, progress: (@Sendable (ReplayProgress) -> Void)? = nil,
                recordedOptions: JSONValue = .object([]), baselineOf: RunID? = nil, cacheMode: CallCacheMode = .reuse, stop: StopRequest? = nil) {
        self.cacheMode = cacheMode
        self.stop = stop
        self.seed = seed
        self.codeVersion = codeVersion
        self.pace = pace
        self.progress = progress
        self.recordedOptions = recordedOptions
        self.baselineOf = baselineOf
    }
}

/// Where a replay stands, reported after every step.
public struct ReplayProgress: Sendable {
    public var run: RunID
    public var day: Day
    public var stepIndex: Int
    public var stepCount: Int
    public var equity: Double
    public var modelCalls: Int
    public var completionTokens: Int
    public var failures: Int
}

/// What a finished replay produced.
public struct ReplayOutcome: Sendable {
    public var run: RunID
    public var summary: RunSummary
    public var status: RunStatus
    /// For a resumed run: how many steps were already committed (recomputed and verified, not written).
    public var resumedAfter: Int?
}

/// The one authority on event order in a replay.
///
/// For each session of the scenario, in order: the exchange fills what was sent after the
/// previous close, the book is marked at the close, and on decision days the desk decides on a
/// point-in-time snapshot; risk limits clip its proposal, execution turns it into orders, and the
/// step is committed to the journal in one transaction.
public actor Orchestrator {
    public let scenario: Scenario
    public let data: MarketData
    public let policy: any DeskPolicy
    public let journal: any Journaling
    public let options: ReplayOptions

    private var exchange: MockExchange
    private let limits: RiskLimits
    private let execution: TargetExecution

    public init(scenario: Scenario, data: MarketData, policy: any DeskPolicy, journal: any Journaling, options: ReplayOptions = ReplayOptions()) {
        self.scenario = scenario
        self.data = data
        self.policy = policy
        self.journal = journal
        self.options = options
        self.exchange = MockExchange(scenario: scenario)
        self.limits = RiskLimits(scenario.constraints)
        self.execution = TargetExecution(scenario: scenario)
    }

    /// Replays the whole scenario as a new run.
    public func run() async throws -> ReplayOutcome {
        let manifest = RunManifest(
            scenarioName: scenario.name, scenarioFile: Orchestrator.absolutePath(scenario.file), scenarioDigest: ScenarioDigest.of(scenario, data),
            deskName: policy.name, seed: options.seed, models: policy.models, codeVersion: options.codeVersion,
            firstSession: data.sessions.first ?? scenario.start, lastSession: data.sessions.last ?? scenario.end,
            initialCash: scenario.initialCash, benchmark: scenario.benchmark, options: options.recordedOptions, baselineOf: options.baselineOf,
            agents: policy.agents)
        let run = try await journal.beginRun(manifest)
        return try await replay(run, committed: [])
    }

    /// Resumes an unfinished run from its last committed step.
    ///
    /// The committed steps are executed again without being written — their model calls served
    /// from the journal's call cache (`cacheMode: .reuse`) — and each one's digest must equal the
    /// journalled one; then the run continues, writing from the first uncommitted step. A run whose
    /// scenario, desk or seed differ from this orchestrator's, or whose steps do not reproduce,
    /// is refused with a ``ResumeError`` and the journal is left as it was.
    public func resume(_ run: RunID) async throws -> ReplayOutcome {
        let checkpoint = try await journal.checkpoint(of: run)
        let manifest = checkpoint.manifest
        guard checkpoint.status != .completed else {
            throw ResumeError("run \(run) is completed; there is nothing to resume", remedy: "start a new run with `desk replay`")
        }
        let digest = ScenarioDigest.of(scenario, data)
        guard manifest.scenarioDigest == digest else {
            throw ResumeError("the scenario of run \(run) has changed since it began (\(manifest.scenarioFile): digest \(digest.prefix(12))…, the run recorded \(manifest.scenarioDigest.prefix(12))…)",
                              remedy: "restore the scenario file and its data as they were, or start a new run")
        }
        guard manifest.deskName == policy.name else {
            throw ResumeError("run \(run) was started with desk '\(manifest.deskName)', not '\(policy.name)'", remedy: "resume it with desk '\(manifest.deskName)'")
        }
        guard manifest.seed == options.seed else {
            throw ResumeError("run \(run) was started with seed \(manifest.seed), not \(options.seed)", remedy: "resume it with the run's seed")
        }
        guard checkpoint.committedSteps <= data.sessions.count else {
            throw ResumeError("run \(run) has \(checkpoint.committedSteps) committed steps but the scenario has only \(data.sessions.count) sessions",
                              remedy: "the journal does not belong to this scenario; start a new run")
        }
        return try await replay(run, committed: checkpoint.stepDigests)
    }

    /// The run loop: every session in order; the first `committed.count` are recomputed and
    /// checked against their journalled digests, the rest are committed one transaction each.
    private func replay(_ run: RunID, committed: [String]) async throws -> ReplayOutcome {
        let decisionDays = Set(try data.decisionDays(scenario.cadence, file: scenario.file))
        let resuming = !committed.isEmpty
        var reopened = !resuming
        var equityCurve: [Double] = []
        var equityDays: [Day] = []
        var fillCount = 0, modelCalls = 0, completionTokens = 0, failures = 0
        var decisionIndex = 0
        func summary() -> RunSummary {
            RunSummary.from(equity: equityCurve, days: equityDays, initialCash: scenario.initialCash, fills: fillCount, modelCalls: modelCalls, failures: failures)
        }
        do {
            for (index, day) in data.sessions.enumerated() {
                try Task.checkCancellation()
                let recorded = index < committed.count
                if let reason = options.stop?.reason {
                    // A resume stopped before writing anything leaves the run as it was.
                    if reopened {
                        let at = index == 0 ? "before its first step" : "after step \(index - 1) (\(data.sessions[index - 1]))"
                        try await journal.finishRun(run, status: .stopped, summary: equityCurve.isEmpty ? nil : summary(),
                                                    reason: "stopped (\(reason)) \(at); resumable")
                    }
                    throw ReplayStopped(run: run, committedSteps: reopened ? index : committed.count, reason: reason)
                }
                var step = try await runSession(run: run, index: index, day: day,
                                                isDecision: decisionDays.contains(day) && day < data.sessions.last!, decisionIndex: decisionIndex,
                                                cacheMode: recorded ? .reuse : options.cacheMode)
                if step.isDecision { decisionIndex += 1 }
                step.equity = EquityRecord(day: day, ledger: exchange.ledger)
                step.positions = exchange.ledger.openPositions
                if recorded {
                    guard step.digest == committed[index] else {
                        throw ResumeError("step \(index) (\(day)) of run \(run) does not reproduce: its recomputed digest differs from the journalled one",
                                          remedy: "the desk, the code or a model gave a different result than when the run began (code version, model file, role files); start a new run")
                    }
                } else {
                    if !reopened {
                        try await journal.reopenRun(run)
                        reopened = true
                    }
                    try await journal.commit(step, to: run)
                }

                equityCurve.append(step.equity.equity)
                equityDays.append(day)
                fillCount += step.fills.count
                modelCalls += step.modelCalls.count
                completionTokens += step.modelCalls.reduce(0) { $0 + $1.usage.completionTokens }
                failures += step.failures.count
                options.progress?(ReplayProgress(run: run, day: day, stepIndex: index, stepCount: data.sessions.count,
                                                 equity: step.equity.equity, modelCalls: modelCalls, completionTokens: completionTokens,
                                                 failures: failures))
                if !recorded, let pace = options.pace, options.stop?.isRequested != true, index + 1 < data.sessions.count {
                    if let stop = options.stop { try await stop.sleep(for: pace) } else { try await Task.sleep(for: pace) }
                }
            }
        } catch let error as ReplayStopped {
            throw error
        } catch {
            guard reopened else { throw error }
            let status: RunStatus = error is CancellationError ? .stopped : .failed
            try? await journal.finishRun(run, status: status, summary: equityCurve.isEmpty ? nil : summary(), reason: String(describing: error))
            throw error
        }
        if !reopened { try await journal.reopenRun(run) }
        let final = summary()
        try await journal.finishRun(run, status: .completed, summary: final, reason: nil)
        return ReplayOutcome(run: run, summary: final, status: .completed, resumedAfter: resuming ? committed.count : nil)
    }

    /// `path` made absolute against the working directory, so a resume from elsewhere finds the file.
    static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    private func runSession(run: RunID, index: Int, day: Day, isDecision: Bool, decisionIndex: Int, cacheMode: CallCacheMode) async throws -> StepRecord {
        var bars: [String: Bar] = [:]
        for (symbol, series) in data.series {
            if let bar = series.bar(on: day) { bars[symbol] = bar }
        }
        let report = exchange.runSession(day, bars: bars)
        var step = StepRecord(index: index, day: day, isDecision: isDecision, equity: EquityRecord(day: day, ledger: exchange.ledger))
        step.fills = report.fills
        step.orderEvents = report.events
        var touched = Set(report.events.map(\.orderID))

        if isDecision {
            let feed = PointInTimeFeed(data: data, asOf: day, symbols: scenario.universe.map(\.symbol))
            step.snapshotDigest = ScenarioDigest.snapshot(feed: feed, symbols: scenario.universe.map(\.symbol))
            let book = BookView(ledger: exchange.ledger, openOrders: exchange.openOrders)
            let context = DecisionContext(scenario: scenario, day: day, stepIndex: index, decisionIndex: decisionIndex,
                                          feed: feed, book: book, seed: options.seed, run: run, journal: journal,
                                          cacheMode: cacheMode)
            var activity = StepActivity()
            var proposal: DeskProposal
            do {
                proposal = try await policy.decide(context)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                activity.record(FailureRecord(role: policy.name, kind: "desk_error", message: String(describing: error), fallback: "keep_book"))
                proposal = .keepBook
            }
            activity.append(proposal.activity)

            for id in proposal.cancellations {
                let event = exchange.cancel(id, on: day)
                step.orderEvents.append(event)
                touched.insert(id)
            }
            var requests = proposal.orders
            if let targets = proposal.targets {
                let (allowed, riskEvents) = limits.apply(targets, book: book, tradable: Set(scenario.tradableSymbols), role: policy.name)
                for event in riskEvents { activity.record(event) }
                let lastBars = Dictionary(uniqueKeysWithValues: scenario.tradableSymbols.compactMap { symbol in
                    (try? feed.latestBar(symbol)).flatMap { $0 }.map { (symbol, $0) }
                })
                let (orders, executionEvents) = execution.orders(for: allowed, book: book, lastBars: lastBars, tag: policy.name)
                for event in executionEvents { activity.record(event) }
                requests += orders
            }
            for request in requests {
                let lastClose = (try? feed.latestBar(request.symbol))??.close
                let (id, events) = exchange.submit(request, on: day, lastClose: lastClose)
                step.orderEvents += events
                touched.insert(id)
            }
            activity.write(into: &step)
        }
        step.orders = touched.sorted().compactMap { exchange.orders[$0] }
        step.cashMovements = exchangeMovements()
        return step
    }

    private func exchangeMovements() -> [CashMovement] {
        exchange.takeLedgerMovements()
    }
}

/// Content digests that tie a run to exactly what it read.
public enum ScenarioDigest {
    /// SHA-256 over the scenario's settings and every bar and news item it loaded.
    public static func of(_ scenario: Scenario, _ data: MarketData) -> String {
        var hasher = SHA256()
        func add(_ text: String) { hasher.update(data: Data(text.utf8)); hasher.update(data: Data([0])) }
        add(scenario.name)
        add("\(scenario.start)…\(scenario.end) \(scenario.warmupSessions) \(scenario.initialCash) \(scenario.fractionalShares)")
        add(String(describing: scenario.costs))
        add(String(describing: scenario.constraints))
        add(String(describing: scenario.cadence))
        for symbol in data.series.keys.sorted() {
            add(symbol)
            for bar in data.series[symbol]!.bars {
                add("\(bar.day.daysSinceEpoch) \(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume)")
            }
        }
        for item in data.news { add("\(item.day) \(item.minuteOfDay ?? -1) \(item.symbols) \(item.text) \(item.source)") }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 over what a point-in-time feed shows at its close: the latest bar of each symbol and the public news.
    public static func snapshot(feed: PointInTimeFeed, symbols: [String]) -> String {
        var hasher = SHA256()
        func add(_ text: String) { hasher.update(data: Data(text.utf8)); hasher.update(data: Data([0])) }
        add(feed.asOf.iso)
        for symbol in symbols.sorted() {
            if let bar = (try? feed.latestBar(symbol)) ?? nil {
                add("\(symbol) \(bar.day) \(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume)")
            }
        }
        if let news = try? feed.news(since: feed.asOf.advanced(by: -30)) {
            for item in news { add("\(item.day) \(item.text)") }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

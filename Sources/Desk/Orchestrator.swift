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
    /// Limits on model calls, tokens and wall time; reaching one stops the run resumably.
    public var budget: RunBudget?

    public init(seed: UInt64 = 0, codeVersion: String = "dev", pace: Duration? = nil, progress: (@Sendable (ReplayProgress) -> Void)? = nil,
                recordedOptions: JSONValue = .object([]), baselineOf: RunID? = nil, cacheMode: CallCacheMode = .reuse, stop: StopRequest? = nil,
                budget: RunBudget? = nil) {
        self.cacheMode = cacheMode
        self.stop = stop
        self.budget = budget
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
/// step is committed to the journal whole (wholly in it or not at all).
public actor Orchestrator {
    public let scenario: Scenario
    public let data: MarketData
    public let policy: any DeskPolicy
    public let journal: any Journaling
    public let options: ReplayOptions

    private var exchange: MockExchange
    private let limits: RiskLimits
    private let execution: TargetExecution
    private let orderChecks: OrderChecks
    /// Point-in-time feeds over the universe (in scenario order), one per decision.
    private let feeds: PointInTimeFeed.Source
    /// The universe's symbols, sorted (for the snapshot digest).
    private let sortedUniverseSymbols: [String]
    /// Each session's bars, found by walking every series forward once instead of searching it each session.
    private var sessionBars: SessionBarCursor

    public init(scenario: Scenario, data: MarketData, policy: any DeskPolicy, journal: any Journaling, options: ReplayOptions = ReplayOptions()) {
        self.scenario = scenario
        self.data = data
        self.policy = policy
        self.journal = journal
        self.options = options
        self.exchange = MockExchange(scenario: scenario)
        self.limits = RiskLimits(scenario.constraints)
        self.execution = TargetExecution(scenario: scenario, rebalanceBand: policy.rebalanceBand)
        self.orderChecks = OrderChecks(fractionalShares: scenario.fractionalShares)
        self.feeds = PointInTimeFeed.Source(data: data, symbols: scenario.universe.map(\.symbol))
        self.sortedUniverseSymbols = feeds.symbols.sorted()
        self.sessionBars = SessionBarCursor(data.series)
    }

    /// Replays the whole scenario as a new run.
    public func run() async throws -> ReplayOutcome {
        let manifest = RunManifest(
            scenarioName: scenario.name, scenarioFile: Orchestrator.absolutePath(scenario.file), scenarioDigest: ScenarioDigest.of(scenario, data),
            deskName: policy.name, seed: options.seed, models: policy.models, codeVersion: options.codeVersion,
            firstSession: data.sessions.first ?? scenario.start, lastSession: data.sessions.last ?? scenario.end,
            initialCash: scenario.initialCash, benchmark: scenario.benchmark, options: options.recordedOptions, baselineOf: options.baselineOf,
            agents: policy.agentRecords)
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
    /// checked against their journalled digests, the rest are committed, each step whole.
    private func replay(_ run: RunID, committed: [String]) async throws -> ReplayOutcome {
        let decisionDays = Set(try data.decisionDays(scenario.cadence, file: scenario.file))
        let resuming = !committed.isEmpty
        var reopened = !resuming
        var equityCurve: [Double] = []
        var equityDays: [Day] = []
        var fillCount = 0, modelCalls = 0, completionTokens = 0, failures = 0
        var decisionIndex = 0
        let meter = options.budget.flatMap { $0.isUnlimited ? nil : BudgetMeter($0) }
        // Decisions are taken on the cadence's days, never after the last session (nothing could fill).
        let decisionSteps = data.sessions.indices.filter { decisionDays.contains(data.sessions[$0]) && data.sessions[$0] < data.sessions.last! }
        let isDecisionStep = Set(decisionSteps)
        // A desk that analyses ahead is told each next decision, unless a budget is metered: then
        // calls are made strictly in step order, so a limit falls between the same two calls.
        let ahead = meter == nil ? policy as? any AnalysisAheadDesk : nil
        func summary() -> RunSummary {
            RunSummary.from(equity: equityCurve, days: equityDays, initialCash: scenario.initialCash, fills: fillCount, modelCalls: modelCalls, failures: failures)
        }
        do {
            for (index, day) in data.sessions.enumerated() {
                try Task.checkCancellation()
                let recorded = index < committed.count
                if let reason = options.stop?.reason {
                    throw try await stopRun(run, before: index, written: reopened, committed: committed.count,
                                            summary: equityCurve.isEmpty ? nil : summary(), reason: reason, resumable: "resumable", cause: .request)
                }
                var step: StepRecord
                do {
                    // Recomputed steps are served from the call cache and cost nothing.
                    if !recorded { try meter?.check() }
                    let next = ahead == nil ? nil : decisionSteps.first { $0 > index }.map {
                        UpcomingDecision(index: $0, decisionIndex: decisionIndex + 1, cacheMode: $0 < committed.count ? .reuse : options.cacheMode)
                    }
                    step = try await runSession(run: run, index: index, day: day,
                                                isDecision: isDecisionStep.contains(index), decisionIndex: decisionIndex,
                                                cacheMode: recorded ? .reuse : options.cacheMode, budget: recorded ? nil : meter,
                                                ahead: ahead, next: next)
                } catch let exhausted as BudgetExhausted {
                    // The step under way is abandoned whole: nothing of it was written.
                    throw try await stopRun(run, before: index, written: reopened, committed: committed.count,
                                            summary: equityCurve.isEmpty ? nil : summary(), reason: exhausted.description,
                                            resumable: "resumable with a larger budget", cause: .budget)
                }
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
            await ahead?.discardAnalysisAhead(run: run)
            throw error
        } catch {
            await ahead?.discardAnalysisAhead(run: run)
            guard reopened else { throw error }
            let status: RunStatus = error is CancellationError ? .stopped : .failed
            try? await journal.finishRun(run, status: status, summary: equityCurve.isEmpty ? nil : summary(), reason: String(describing: error))
            throw error
        }
        await ahead?.discardAnalysisAhead(run: run)
        if !reopened { try await journal.reopenRun(run) }
        let final = summary()
        try await journal.finishRun(run, status: .completed, summary: final, reason: nil)
        return ReplayOutcome(run: run, summary: final, status: .completed, resumedAfter: resuming ? committed.count : nil)
    }

    /// Marks `run` stopped before session `index` when this replay has written to it (a resume
    /// that wrote nothing leaves the run as it was), and returns the error that ends the replay.
    private func stopRun(_ run: RunID, before index: Int, written: Bool, committed: Int, summary: RunSummary?, reason: String,
                         resumable: String, cause: ReplayStopped.Cause) async throws -> ReplayStopped {
        if written {
            let at = index == 0 ? "before its first step" : "after step \(index - 1) (\(data.sessions[index - 1]))"
            try await journal.finishRun(run, status: .stopped, summary: summary, reason: "stopped (\(reason)) \(at); \(resumable)")
        }
        return ReplayStopped(run: run, committedSteps: written ? index : committed, reason: reason, cause: cause)
    }

    /// `path` made absolute against the working directory, so a resume from elsewhere finds the file.
    static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The decision after the current one, as a desk analysing ahead is told of it.
    private struct UpcomingDecision {
        var index: Int
        var decisionIndex: Int
        var cacheMode: CallCacheMode
    }

    private func runSession(run: RunID, index: Int, day: Day, isDecision: Bool, decisionIndex: Int, cacheMode: CallCacheMode,
                            budget: BudgetMeter?, ahead: (any AnalysisAheadDesk)?, next: UpcomingDecision?) async throws -> StepRecord {
        let bars = sessionBars.bars(on: day)
        let report = exchange.runSession(day, bars: bars)
        var step = StepRecord(index: index, day: day, isDecision: isDecision, equity: EquityRecord(day: day, ledger: exchange.ledger))
        step.fills = report.fills
        step.orderEvents = report.events
        var touched = Set(report.events.map(\.orderID))

        if isDecision {
            let feed = feeds.feed(asOf: day)
            step.snapshotDigest = ScenarioDigest.snapshot(asOf: day, latestBars: sessionBars.latestBars(of: sortedUniverseSymbols),
                                                          news: (try? feed.news(since: day.advanced(by: -30))) ?? [])
            let book = BookView(ledger: exchange.ledger, openOrders: exchange.openOrders)
            let context = DecisionContext(scenario: scenario, day: day, stepIndex: index, decisionIndex: decisionIndex,
                                          feed: feed, book: book, seed: options.seed, run: run, journal: journal,
                                          cacheMode: cacheMode, budget: budget)
            if let ahead, let next {
                let nextDay = data.sessions[next.index]
                await ahead.scheduleAnalysis(DecisionContext(scenario: scenario, day: nextDay, stepIndex: next.index, decisionIndex: next.decisionIndex,
                                                             feed: feeds.feed(asOf: nextDay), book: book, seed: options.seed, run: run,
                                                             journal: journal, cacheMode: next.cacheMode, budget: nil))
            }
            var activity = StepActivity()
            var proposal: DeskProposal
            do {
                proposal = try await policy.decide(context)
            } catch is CancellationError {
                throw CancellationError()
            } catch let exhausted as BudgetExhausted {
                throw exhausted
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
            for replacement in proposal.replacements {
                let lastClose = (try? feed.latestBar(replacement.request.symbol))??.close
                let (id, events) = exchange.replace(replacement.order, with: replacement.request, on: day, lastClose: lastClose)
                step.orderEvents += events
                touched.insert(replacement.order)
                if let id { touched.insert(id) }
            }
            var requests = proposal.orders
            if let targets = proposal.targets {
                let tradable = Set(scenario.tradableSymbols)
                let (allowed, riskEvents) = limits.apply(targets, book: book, tradable: tradable, role: policy.name)
                for event in riskEvents { activity.record(event) }
                let lastBars = Dictionary(uniqueKeysWithValues: scenario.tradableSymbols.compactMap { symbol in
                    (try? feed.latestBar(symbol)).flatMap { $0 }.map { (symbol, $0) }
                })
                let (orders, executionEvents) = execution.orders(for: allowed, book: book, lastBars: lastBars, tag: policy.name)
                for event in executionEvents { activity.record(event) }
                // The desk's review and execution stages work on the plan; what they send is checked against it in code.
                let plan = ExecutionPlan(proposal: proposal, targets: allowed, orders: orders, book: book, lastBars: lastBars,
                                         limits: limits, execution: execution, tradable: tradable)
                let executed: ExecutionProposal
                do {
                    executed = try await policy.execute(context, plan: plan)
                } catch is CancellationError {
                    throw CancellationError()
                } catch let exhausted as BudgetExhausted {
                    throw exhausted
                } catch {
                    activity.record(FailureRecord(role: policy.name, kind: "desk_error", message: String(describing: error), fallback: "no_orders"))
                    executed = ExecutionProposal()
                }
                activity.append(executed.activity)
                for id in executed.cancellations {
                    step.orderEvents.append(exchange.cancel(id, on: day))
                    touched.insert(id)
                }
                let (checked, checkEvents) = orderChecks.check(executed.orders, plan: plan, role: policy.name)
                for event in checkEvents { activity.record(event) }
                requests += checked
            }
            for request in requests {
                let lastClose = (try? feed.latestBar(request.symbol))??.close
                let (id, events) = exchange.submit(request, on: day, lastClose: lastClose)
                step.orderEvents += events
                touched.insert(id)
            }
            for ticket in proposal.tickets {
                let lastClose = (try? feed.latestBar(ticket.symbol))??.close
                let (id, events) = exchange.submit(ticket: ticket, on: day, lastClose: lastClose)
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
///
/// Bars enter the digests as bytes, not text: the day as a 32-bit and each price and the volume as
/// the 64-bit IEEE pattern, little-endian (exact, and cheap enough to digest millions of bars).
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
            let bars = data.series[symbol]!.bars
            var bytes = [UInt8](repeating: 0, count: bars.count * BarBytes.size)
            bytes.withUnsafeMutableBytes { buffer in
                for (i, bar) in bars.enumerated() { BarBytes.store(bar, into: buffer, at: i * BarBytes.size) }
            }
            hasher.update(data: bytes)
        }
        for item in data.news { add("\(item.day) \(item.minuteOfDay ?? -1) \(item.symbols) \(item.text) \(item.source)") }
        for series in data.macroSeries {
            for o in data.macro[series]! {
                add("\(o.series) \(o.period) \(o.value.bitPattern) \(o.unit) \(o.published) \(o.publishedMinute ?? -1) \(o.source)")
            }
        }
        add(String(describing: scenario.blind))
        return hex(hasher.finalize())
    }

    /// SHA-256 over what a point-in-time feed shows at its close: the latest bar of each symbol (in
    /// symbol order) and the public news.
    public static func snapshot(feed: PointInTimeFeed, symbols: [String]) -> String {
        let ordered = zip(symbols, symbols.dropFirst()).allSatisfy { $0 < $1 } ? symbols : symbols.sorted()
        let latest = ordered.compactMap { symbol in ((try? feed.latestBar(symbol)) ?? nil).map { (symbol, $0) } }
        return snapshot(asOf: feed.asOf, latestBars: latest, news: (try? feed.news(since: feed.asOf.advanced(by: -30))) ?? [])
    }

    /// The snapshot digest from its parts: `latestBars` in symbol order, and the news public at the
    /// close of `asOf` from the last 30 days. The day and bars go in as one block of bytes: the day
    /// (Int32), then for each symbol its UTF-8 name, a 0 and the bar.
    static func snapshot(asOf: Day, latestBars: [(String, Bar)], news: [NewsItem]) -> String {
        var hasher = SHA256()
        let size = latestBars.reduce(4) { $0 + $1.0.utf8.count + 1 + BarBytes.size }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: asOf.daysSinceEpoch.littleEndian, toByteOffset: 0, as: Int32.self)
            var offset = 4
            for (symbol, bar) in latestBars {
                for byte in symbol.utf8 {
                    buffer[offset] = byte
                    offset += 1
                }
                offset += 1                       // the 0 after the symbol
                BarBytes.store(bar, into: buffer, at: offset)
                offset += BarBytes.size
            }
        }
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        for item in news {
            hasher.update(data: Data("\(item.day) \(item.text)".utf8))
            hasher.update(data: Data([0]))
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        String(unsafeUninitializedCapacity: 2 * SHA256.byteCount) { text in
            var i = 0
            for byte in digest {
                text[i] = hexDigits[Int(byte >> 4)]
                text[i + 1] = hexDigits[Int(byte & 15)]
                i += 2
            }
            return i
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// A bar's fields as digest bytes: day (Int32), open, high, low, close, volume (IEEE-754 bits), little-endian.
enum BarBytes {
    static let size = 4 + 5 * 8

    /// Writes `bar` at `offset` (which must leave ``size`` bytes).
    static func store(_ bar: Bar, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeBytes(of: bar.day.daysSinceEpoch.littleEndian, toByteOffset: offset, as: Int32.self)
        buffer.storeBytes(of: bar.open.bitPattern.littleEndian, toByteOffset: offset + 4, as: UInt64.self)
        buffer.storeBytes(of: bar.high.bitPattern.littleEndian, toByteOffset: offset + 12, as: UInt64.self)
        buffer.storeBytes(of: bar.low.bitPattern.littleEndian, toByteOffset: offset + 20, as: UInt64.self)
        buffer.storeBytes(of: bar.close.bitPattern.littleEndian, toByteOffset: offset + 28, as: UInt64.self)
        buffer.storeBytes(of: bar.volume.bitPattern.littleEndian, toByteOffset: offset + 36, as: UInt64.self)
    }
}

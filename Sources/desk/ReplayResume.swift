import ArgumentParser
import Desk
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

extension ReplayCommand {
    /// `desk replay --resume RUN`: re-executes the run's committed steps without writing them,
    /// checking each against its journalled digest, then writes the rest and finishes the run.
    func resumeRun(_ run: RunID) async throws {
        guard FileManager.default.fileExists(atPath: journalOptions.path) else {
            throw JournalError("no journal at \(journalOptions.path)", remedy: "pass --journal with the file the run was written to")
        }
        let journal = try journalOptions.open()
        let row = try journal.run(run)
        guard row.status != .completed else {
            throw JournalError("run \(run) is completed; there is nothing to resume", remedy: "start a new run with `desk replay \(row.scenario)`")
        }
        if row.status == .running, let writer = row.writer, writer.isAliveHere, writer.pid != getpid() {
            throw JournalError("run \(run) is being written by process \(writer.pid) right now",
                               remedy: "stop that process first (kill -INT \(writer.pid) finishes its step and marks the run stopped)")
        }
        let path: String
        do {
            path = try ScenarioLocator.resolve(self.scenario ?? row.scenarioFile)
        } catch var error as InputError where self.scenario == nil {
            error.problem = "the scenario file run \(run) was started with is gone"
            error.remedy = "name the scenario: desk replay FILE --resume \(run)"
            throw error
        }
        let scenario = try ScenarioFile.load(path: path)
        let data = try MarketData.load(scenario)
        if let desk, desk != row.desk {
            throw InputError(file: "--desk", field: "desk", problem: "run \(run) was started with desk '\(row.desk)', not '\(desk)'",
                             remedy: "leave out --desk when resuming")
        }
        let manifest = try journal.manifest(of: run)
        let policy = try await resumedPolicy(run: run, row: row, options: manifest.options, scenario: scenario)
        guard let seed = UInt64(row.seed) else {
            throw JournalError("run \(run) has a malformed seed '\(row.seed)'")
        }
        let pace = try self.pace.map { try DurationParser.parse($0) }
        let progress = Terminal.stderrIsTTY && !json ? ProgressBar.reporter(scenario.name, showsModel: policy is AgentDesk) : nil
        let options = ReplayOptions(seed: seed, codeVersion: DeskVersion.current, pace: pace, progress: progress,
                                    recordedOptions: manifest.options, baselineOf: manifest.baselineOf, cacheMode: modelRun.cache,
                                    stop: StopSignals.install(), budget: try modelRun.budget(for: policy))
        let orchestrator = Orchestrator(scenario: scenario, data: data, policy: policy, journal: journal, options: options)
        let outcome = try await StopSignals.reportingStop(journal: journal) { try await orchestrator.resume(run) }
        Terminal.clearStatus()
        Terminal.note("resumed run \(run) after \(outcome.resumedAfter ?? 0) committed steps (recomputed and verified), wrote \(outcome.summary.sessions - (outcome.resumedAfter ?? 0))")
        let equity = try journal.equity(of: run)
        let summary = ReplaySummary(scenario: scenario, deskName: policy.name, seed: seed, journalPath: journal.path,
                                    run: run, equity: equity, fills: outcome.summary.fills)
        print(json ? summary.json.compactText : summary.text)
    }

    /// The desk a run was started with: a rule desk by name, or the desk file and model the run
    /// recorded in its options (an agent desk resumes with the same roles and models).
    private func resumedPolicy(run: RunID, row: RunRow, options: JSONValue, scenario: Scenario) async throws -> any DeskPolicy {
        if let rule = RuleDesks.named(row.desk, scenario: scenario) { return rule }
        guard case .string(let file)? = options["desk_file"] else {
            throw InputError(file: "--resume", field: "desk", problem: "run \(run) used desk '\(row.desk)', which this program does not have",
                             remedy: "resume it with the program version that started it (\(row.codeVersion))")
        }
        var recordedModel: String?
        if case .string(let spec)? = options["model"] { recordedModel = spec }
        if let model, model != recordedModel {
            throw InputError(file: "--model", field: "model", problem: "run \(run) was started with model '\(recordedModel ?? "the desk file's")', not '\(model)'",
                             remedy: "leave out --model when resuming")
        }
        return try await DeskResolver.policy(file, scenario: scenario, model: recordedModel, origin: "--resume", callTimeout: try modelRun.timeout())
    }
}

/// SIGINT and SIGTERM stop a replay at the next step boundary: the step under way is finished
/// and committed, the run is marked `stopped` (resumable) and the program exits with 130 or 143.
/// A second signal exits at once (committed steps are safe; the step under way is rolled back).
enum StopSignals {
    private final class Sources: @unchecked Sendable {
        var sources: [any DispatchSourceSignal] = []
    }
    private static let installed = Sources()

    static func install() -> StopRequest {
        let stop = StopRequest()
        for (signo, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                if stop.isRequested {
                    Terminal.note("\n\(name) again: quitting now (committed steps are kept)")
                    exit(128 + signo)
                }
                stop.request(name)
                Terminal.clearStatus()
                Terminal.note("\(name): finishing the current step, then stopping (again to quit at once)")
            }
            source.resume()
            installed.sources.append(source)
        }
        return stop
    }

    /// 130 after SIGINT, 143 after SIGTERM, 75 (EX_TEMPFAIL: resume later) when the budget ran out.
    static func exitCode(for stopped: ReplayStopped) -> Int32 {
        switch stopped.cause {
        case .budget: return 75
        case .request: return stopped.reason == "SIGTERM" ? 128 + SIGTERM : 128 + SIGINT
        }
    }

    /// Runs a replay; when it stops on a signal, says how to resume and exits non-zero.
    static func reportingStop(journal: SQLiteJournal, _ body: () async throws -> ReplayOutcome) async throws -> ReplayOutcome {
        do {
            return try await body()
        } catch let stopped as ReplayStopped {
            Terminal.clearStatus()
            Terminal.note("run \(stopped.run) stopped (\(stopped.reason)) with \(stopped.committedSteps) steps committed; resume with: desk replay --resume \(stopped.run) --journal \(journal.path)")
            throw ExitCode(exitCode(for: stopped))
        }
    }
}

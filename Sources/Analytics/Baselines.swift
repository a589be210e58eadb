import Desk
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market

/// A reference strategy every run is measured against, replayed over the run's own scenario,
/// data and costs (and recorded in the journal with `baseline_of` set to the run).
public enum BaselineKind: String, Sendable, Hashable, CaseIterable {
    /// Buy the scenario's benchmark with all investable cash on the first decision and hold it.
    case benchmark
    /// Buy the universe (the benchmark left out) in equal weights on the first decision and hold it.
    case buyAndHold = "buy-and-hold"
    /// Hold the universe in equal weights, rebalanced on the first session of each month.
    case equalWeightMonthly = "equal-weight"

    /// The rule desk that plays it; its name is the baseline run's desk name.
    public var policy: any DeskPolicy {
        switch self {
        case .benchmark: return BenchmarkDesk()
        case .buyAndHold: return BuyAndHoldDesk()
        case .equalWeightMonthly: return EqualWeightDesk(period: .monthly)
        }
    }

    public var deskName: String { policy.name }

    /// How reports and tables title it.
    public var title: String {
        switch self {
        case .benchmark: return "Benchmark buy & hold"
        case .buyAndHold: return "Equal-weight buy & hold"
        case .equalWeightMonthly: return "Equal-weight monthly"
        }
    }

    /// Whether the baseline can be played in `scenario` (buying the benchmark needs it tradable).
    public func applies(to scenario: Scenario) -> Bool {
        self != .benchmark || scenario.tradableSymbols.contains(scenario.benchmark)
    }
}

/// A baseline run of the journal.
public struct BaselineRun: Sendable, Hashable {
    public var kind: BaselineKind
    public var run: RunRow
}

/// What ``Baselines/ensure(for:journal:codeVersion:)`` found or did.
public struct BaselineOutcome: Sendable {
    public var baselines: [BaselineRun]
    /// Why some or all baselines are missing (scenario file gone or changed, benchmark not tradable).
    public var notes: [String]
}

/// Finds the baselines of a run in the journal and replays those that are missing.
///
/// Baselines play the run's scenario with its costs, cash buffer and gross limit, but without a
/// per-name weight cap below 1 (so the benchmark baseline holds the benchmark, not a capped slice
/// of it). They are rule desks: a replay of a few hundred sessions takes well under a second. A
/// baseline is replayed from the scenario file the run recorded, and only when that file and its
/// data still have the digest the run recorded — otherwise it would not be the same scenario.
public enum Baselines {
    /// The baselines of `run` already in the journal, by kind.
    public static func existing(of run: RunID, journal: SQLiteJournal) throws -> [BaselineRun] {
        let rows = try journal.baselines(of: run).filter { $0.status == .completed }
        return BaselineKind.allCases.compactMap { kind in rows.last { $0.desk == kind.deskName }.map { BaselineRun(kind: kind, run: $0) } }
    }

    /// Replays the missing baselines of `run` over `scenario` and `data`, which must be the run's.
    public static func ensure(for run: RunID, scenario: Scenario, data: MarketData, journal: SQLiteJournal,
                              codeVersion: String) async throws -> BaselineOutcome {
        let manifest = try journal.manifest(of: run)
        guard manifest.baselineOf == nil else {
            return BaselineOutcome(baselines: [], notes: ["run \(run) is itself a baseline (of run \(manifest.baselineOf!))"])
        }
        var found = try existing(of: run, journal: journal)
        var notes: [String] = []
        for kind in BaselineKind.allCases where !found.contains(where: { $0.kind == kind }) {
            guard kind.applies(to: scenario) else {
                notes.append("no \(kind.title.lowercased()) baseline: benchmark \(scenario.benchmark) is not tradable in \(scenario.name)")
                continue
            }
            var recorded: [JSONValue.Member] = [.init("baseline", .string(kind.rawValue))]
            var played = scenario
            if played.constraints.maxWeight < 1 {
                // A benchmark held at the scenario's per-name cap would be mostly cash, not the benchmark.
                played.constraints.maxWeight = 1
                recorded.append(.init("max_weight", .string("\(scenario.constraints.maxWeight) relaxed to 1 for the baseline")))
            }
            let options = ReplayOptions(seed: manifest.seed, codeVersion: codeVersion, recordedOptions: .object(recorded), baselineOf: run)
            let outcome = try await Orchestrator(scenario: played, data: data, policy: kind.policy, journal: journal, options: options).run()
            found.append(BaselineRun(kind: kind, run: try journal.run(outcome.run)))
        }
        found.sort { BaselineKind.allCases.firstIndex(of: $0.kind)! < BaselineKind.allCases.firstIndex(of: $1.kind)! }
        return BaselineOutcome(baselines: found, notes: notes)
    }

    /// The baselines of `run`, replaying missing ones from the scenario file the run recorded.
    public static func ensure(for run: RunID, journal: SQLiteJournal, codeVersion: String) async throws -> BaselineOutcome {
        let manifest = try journal.manifest(of: run)
        guard manifest.baselineOf == nil else { return BaselineOutcome(baselines: [], notes: []) }
        let existing = try existing(of: run, journal: journal)
        if existing.count == BaselineKind.allCases.count { return BaselineOutcome(baselines: existing, notes: []) }
        switch ScenarioSource.load(manifest) {
        case let .failure(reason):
            return BaselineOutcome(baselines: existing, notes: ["baselines of run \(run) cannot be computed: \(reason)"])
        case let .success((scenario, data)):
            return try await ensure(for: run, scenario: scenario, data: data, journal: journal, codeVersion: codeVersion)
        }
    }
}

/// Loads the scenario a run recorded, and checks it is still the same.
public enum ScenarioSource {
    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The run's scenario and data, or why they cannot be had as they were.
    public static func load(_ manifest: RunManifest) -> Result<(Scenario, MarketData), Unavailable> {
        guard FileManager.default.fileExists(atPath: manifest.scenarioFile) else {
            return .failure(Unavailable(description: "its scenario file \(manifest.scenarioFile) is not here"))
        }
        do {
            let scenario = try ScenarioFile.load(path: manifest.scenarioFile)
            let data = try MarketData.load(scenario)
            let digest = ScenarioDigest.of(scenario, data)
            guard digest == manifest.scenarioDigest else {
                return .failure(Unavailable(description: "\(manifest.scenarioFile) or its data changed since the run (digest \(digest.prefix(12))…, the run recorded \(manifest.scenarioDigest.prefix(12))…)"))
            }
            return .success((scenario, data))
        } catch {
            return .failure(Unavailable(description: "\(error)"))
        }
    }
}

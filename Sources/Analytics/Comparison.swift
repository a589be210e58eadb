import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market

/// Runs side by side with their baselines: the same metrics for each, the best of each row, and
/// what differs between the runs' inputs.
public struct Comparison: Sendable {
    /// Runs first, each followed by the baselines it brought (a baseline identical in scenario,
    /// window and desk to one already shown is not repeated).
    public var columns: [RunMetrics]
    /// Inputs that are not the same for every run compared.
    public var differences: [Difference]
    /// Things the reader should know (missing baselines, benchmark unavailable).
    public var notes: [String]

    /// One input that differs, with its value for each run (in the order of the runs).
    public struct Difference: Sendable, Hashable {
        public var field: String
        public var values: [(run: RunID, value: String)]

        public static func == (lhs: Difference, rhs: Difference) -> Bool {
            lhs.field == rhs.field && lhs.values.map(\.run) == rhs.values.map(\.run) && lhs.values.map(\.value) == rhs.values.map(\.value)
        }
        public func hash(into hasher: inout Hasher) { hasher.combine(field) }
    }

    /// Builds the comparison, replaying missing baselines (and recording them in the journal).
    public static func build(_ runs: [RunID], journal: SQLiteJournal, riskFreeRate: Double = 0, codeVersion: String,
                             baselines: Bool = true) async throws -> Comparison {
        var columns: [RunMetrics] = []
        var notes: [String] = []
        var shownBaselines: Set<String> = []
        var benchmarks: [String: ReturnSeries?] = [:]
        for run in runs {
            let manifest = try journal.manifest(of: run)
            let benchmark: ReturnSeries?
            if let cached = benchmarks[manifest.scenarioDigest] {
                benchmark = cached
            } else {
                switch ScenarioSource.load(manifest) {
                case let .success((scenario, data)): benchmark = BenchmarkReturns.of(scenario, data: data)
                case let .failure(reason):
                    benchmark = nil
                    notes.append("run \(run): no beta or alpha, \(reason)")
                }
                benchmarks[manifest.scenarioDigest] = benchmark
            }
            // A baseline named on its own is still shown as the baseline it is.
            let kind = manifest.baselineOf == nil ? nil : BaselineKind.allCases.first { $0.deskName == manifest.deskName }
            let metrics = try RunMetrics.load(run, journal: journal, baseline: kind, benchmark: benchmark, riskFreeRate: riskFreeRate)
            columns.append(metrics)
            guard baselines, manifest.baselineOf == nil else { continue }
            let outcome = try await Baselines.ensure(for: run, journal: journal, codeVersion: codeVersion)
            notes += outcome.notes
            for baseline in outcome.baselines {
                let through = metrics.days.last
                let key = "\(manifest.scenarioDigest) \(baseline.kind.rawValue) \(through?.iso ?? "")"
                guard shownBaselines.insert(key).inserted else { continue }
                columns.append(try RunMetrics.load(baseline.run.id, journal: journal, baseline: baseline.kind, through: through,
                                                   benchmark: benchmark, riskFreeRate: riskFreeRate))
            }
        }
        return Comparison(columns: columns, differences: try differences(runs, journal: journal), notes: notes)
    }

    /// The inputs of `runs` that are not all equal: desk, models, seed, scenario, window, code version, options.
    static func differences(_ runs: [RunID], journal: SQLiteJournal) throws -> [Difference] {
        guard runs.count > 1 else { return [] }
        let manifests = try runs.map { try journal.manifest(of: $0) }
        let equity = try runs.map { try journal.equity(of: $0) }
        let fields: [(String, (Int) -> String)] = [
            ("desk", { manifests[$0].deskName }),
            ("models", { i in
                let models = manifests[i].models
                return models.isEmpty ? "none" : models.keys.sorted().map { "\($0)=\(models[$0]!.name)" }.joined(separator: ", ")
            }),
            ("seed", { String(manifests[$0].seed) }),
            ("scenario", { manifests[$0].scenarioName }),
            ("scenario data", { String(manifests[$0].scenarioDigest.prefix(12)) }),
            ("window", { i in
                let days = equity[i].map(\.day)
                return "\(days.first?.iso ?? manifests[i].firstSession.iso)…\(days.last?.iso ?? manifests[i].lastSession.iso) (\(days.count) sessions)"
            }),
            ("initial cash", { MetricRow.money(manifests[$0].initialCash) }),
            ("code version", { manifests[$0].codeVersion }),
            ("options", { manifests[$0].options.canonicalText }),
        ]
        return fields.compactMap { field, value in
            let values = runs.indices.map { (run: runs[$0], value: value($0)) }
            return Set(values.map(\.value)).count > 1 ? Difference(field: field, values: values) : nil
        }
    }

    /// The rows of the table: each metric with one value per column.
    public var rows: [(metric: MetricRow, values: [MetricRow])] {
        guard let first = columns.first else { return [] }
        let all = columns.map(\.rows)
        return first.rows.indices.map { i in (metric: first.rows[i], values: all.map { $0[i] }) }
    }

    /// Indices of the columns holding the best value of a row (none when the row has no preference
    /// or fewer than two columns have a value).
    public static func best(_ values: [MetricRow]) -> Set<Int> {
        guard let preference = values.first?.better, preference != .none else { return [] }
        let finite = values.enumerated().filter { $0.element.value.isFinite }
        guard finite.count > 1 else { return [] }
        let target = preference == .higher ? finite.map(\.element.value).max()! : finite.map(\.element.value).min()!
        // Equal to the best within rounding: a tie marks every holder, unless every column ties.
        let winners = finite.filter { abs($0.element.value - target) <= 1e-12 * max(1, abs(target)) }.map(\.offset)
        return winners.count == finite.count ? [] : Set(winners)
    }

    /// The comparison as JSON: columns (with their metrics), the best column(s) of each metric, differences, notes.
    public var json: JSONValue {
        let columnJSON = columns.map { c -> JSONValue in
            .object([
                .init("run", .number(Double(c.run.id.rawValue))),
                .init("kind", .string(c.baseline?.rawValue ?? "run")),
                .init("baseline_of", c.run.baselineOf.map { .number(Double($0.rawValue)) } ?? .null),
                .init("desk", .string(c.run.desk)),
                .init("seed", .string(c.run.seed)),
                .init("scenario", .string(c.run.scenario)),
                .init("status", .string(c.run.status.rawValue)),
                .init("first_day", c.days.first.map { .string($0.iso) } ?? .null),
                .init("last_day", c.days.last.map { .string($0.iso) } ?? .null),
                .init("sessions", .number(Double(c.days.count))),
                .init("final_value", c.equity.last.map { .number($0.equity) } ?? .null),
                .init("metrics", c.rows.json),
            ])
        }
        let best = rows.compactMap { row -> JSONValue.Member? in
            let winners = Comparison.best(row.values)
            guard !winners.isEmpty else { return nil }
            return .init(row.metric.key, .array(winners.sorted().map { .number(Double(columns[$0].run.id.rawValue)) }))
        }
        let differenceJSON = differences.map { d -> JSONValue in
            .object([.init("field", .string(d.field)),
                     .init("values", .object(d.values.map { JSONValue.Member($0.run.description, .string($0.value)) }))])
        }
        return .object([
            .init("columns", .array(columnJSON)), .init("best", .object(best)),
            .init("differences", .array(differenceJSON)), .init("notes", .array(notes.map(JSONValue.string))),
        ])
    }
}

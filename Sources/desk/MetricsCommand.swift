import Analytics
import ArgumentParser
import Foundation
import LanguageModel
import Market

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Compute performance metrics of any daily value or return series.",
        discussion: """
            FILE.csv has a date column and either a value column (equity or prices; the first row sets the starting value) \
            or a return column (simple daily returns). Conventions: 252 sessions a year, sample standard deviation, \
            the annual risk-free rate taken per session as (1 + R)^(1/252) − 1; see the README's "Metrics" section.
              desk metrics --equity equity.csv --benchmark spy.csv --risk-free 0.02 --json
            """)

    @Option(help: ArgumentHelp("Daily series to measure: columns date,value or date,return.", valueName: "file.csv"))
    var equity: String

    @Option(help: ArgumentHelp("Benchmark series for beta and alpha (same formats), aligned by date.", valueName: "file.csv"))
    var benchmark: String?

    @Option(name: .customLong("risk-free"), help: ArgumentHelp("Annual risk-free rate as a fraction (0.02 for 2 %).", valueName: "rate"))
    var riskFree: Double = 0

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            try RunSelection.check(riskFree: riskFree)
            let series = try ReturnSeriesFile.load(path: equity)
            let benchmarkSeries = try benchmark.map { try ReturnSeriesFile.load(path: $0) }
            let metrics = ReturnMetrics(series, benchmark: benchmarkSeries, riskFreeRate: riskFree)
            let rows = metrics.rows
            if json {
                var members: [JSONValue.Member] = [
                    .init("file", .string(equity)), .init("benchmark", benchmark.map(JSONValue.string) ?? .null),
                    .init("sessions", .number(Double(metrics.sessions))),
                    .init("first_day", metrics.firstDay.map { .string($0.iso) } ?? .null),
                    .init("last_day", metrics.lastDay.map { .string($0.iso) } ?? .null),
                    .init("risk_free_rate", .number(riskFree)),
                ]
                members += rows.json.objectValue ?? []
                print(JSONValue.object(members).compactText)
            } else {
                print("\(equity): \(metrics.sessions) sessions, \(metrics.firstDay?.iso ?? "–") to \(metrics.lastDay?.iso ?? "–")"
                      + (benchmark.map { ", benchmark \($0)" } ?? "") + ", risk-free \(riskFree)")
                print(Table.render(rows.filter { benchmark != nil || !["beta", "alpha"].contains($0.key) }.map { [$0.label, $0.formatted] },
                                   rightAligned: [1]))
            }
        }
    }
}

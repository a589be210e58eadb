import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

@Suite struct MetricsCommandTests {
    static let spy = "Tests/Reference/analytics/spy-2020-close.csv"

    @Test func metricsOfAPriceFileMatchEmpyricalAsJSON() async throws {
        let result = try await DeskProcess.run(["metrics", "--equity", Self.spy, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["sessions"]?.numberValue == 253)
        let sharpe = try #require(json["sharpe"]?.numberValue)
        #expect(abs(sharpe - 0.6701118378674984) <= 1e-9 * 0.6701118378674984)
        #expect(json["max_drawdown_peak"]?.stringValue == "2020-02-19")
        #expect(json["beta"] == .null)

        let withBenchmark = try JSONValue(parsing: try await DeskProcess.run(["metrics", "--equity", Self.spy, "--benchmark", Self.spy, "--json"]).stdout)
        #expect(abs((withBenchmark["beta"]?.numberValue ?? 0) - 1) < 1e-12)

        let text = try await DeskProcess.run(["metrics", "--equity", Self.spy, "--risk-free", "0.02"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Sharpe ratio") && text.stdout.contains("Drawdown trough") && text.stdout.contains("2020-03-23"))
    }

    @Test func aBadSeriesFileIsAnInputErrorNamingFileLineAndField() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("date,value\n2020-01-02,100\n2020-01-03,1o1\n".utf8).write(to: file)
        let result = try await DeskProcess.run(["metrics", "--equity", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):3:2: value:"), "\(result.stderr)")
    }
}

@testable import Analytics
import Foundation
import Market
import Testing

@Suite struct HTMLReportTests {
    @Test func textFromTheJournalIsEscapedBeforeItReachesThePage() {
        #expect(HTML.escape("</pre><script>alert('x')</script> & \"q\"")
            == "&lt;/pre&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
    }

    @Test func axisTicksAreRoundAndEncloseTheData() {
        let ticks = SVGChart.niceTicks(61.3, 105.2)
        #expect(ticks.first! <= 61.3 && ticks.last! >= 105.2)
        #expect(ticks == [60, 70, 80, 90, 100, 110])
        let drawdownTicks = SVGChart.niceTicks(-0.4168, 0)
        #expect(drawdownTicks.count == 6 && zip(drawdownTicks, [-0.5, -0.4, -0.3, -0.2, -0.1, 0]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func aReportHoldsEveryChartSessionAndBaseline() async throws {
        let (folder, journal, run, data) = try await BaselineTests.setUp()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try await HTMLReport.build([run], journal: journal, codeVersion: "test")
        let html = report.html
        #expect(report.comparison.columns.count == 4)
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 == 3)          // equity, drawdowns, weights
        #expect(html.components(separatedBy: "<details class=\"day").count - 1 == data.sessions.count)
        #expect(html.components(separatedBy: "data-points=\"\(data.sessions.count)\"").count - 1 >= 8)  // 4 equity + 4 drawdown lines
        #expect(html.contains("Equal-weight monthly") && html.contains("equal weight across 2 symbols"))
        #expect(html.components(separatedBy: "<script>").count - 1 == 1)
    }
}

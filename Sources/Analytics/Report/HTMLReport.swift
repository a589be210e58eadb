import Exchange
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market

/// One self-contained HTML page about runs and their baselines: equity curves, drawdowns,
/// weights over time, the metrics table, and a day-by-day timeline of what the desk did.
///
/// Everything is inline (CSS, SVG charts, a few lines of script for expanding the timeline), so
/// the file opens offline and prints: printing opens every day of the timeline.
public struct HTMLReport: Sendable {
    public var comparison: Comparison
    /// The runs asked for (their baselines are the comparison's other columns).
    public var runIDs: [RunID]
    /// The runs' committed steps (not the baselines'), in the order of the runs.
    public var timelines: [(run: RunMetrics, steps: [StepRecord])]
    /// Weights of each run's positions at each close: step → symbol → value / equity.
    public var weights: [RunID: [[String: Double]]]
    public var journalPath: String
    public var generatedAt: String

    /// Reads the runs (and their baselines, replaying missing ones) from the journal.
    public static func build(_ runs: [RunID], journal: SQLiteJournal, riskFreeRate: Double = 0, codeVersion: String,
                             generatedAt: Date = Date()) async throws -> HTMLReport {
        let comparison = try await Comparison.build(runs, journal: journal, riskFreeRate: riskFreeRate, codeVersion: codeVersion)
        var timelines: [(run: RunMetrics, steps: [StepRecord])] = []
        var weights: [RunID: [[String: Double]]] = [:]
        for column in comparison.columns where runs.contains(column.run.id) {
            timelines.append((column, try journal.steps(of: column.run.id)))
            let positions = try journal.positionValues(of: column.run.id)
            weights[column.run.id] = column.equity.indices.map { step in
                let equity = column.equity[step].equity
                var byName: [String: Double] = [:]
                for p in positions[step] ?? [] where equity > 0 { byName[p.symbol] = p.value / equity }
                return byName
            }
        }
        let formatter = ISO8601DateFormatter()
        return HTMLReport(comparison: comparison, runIDs: runs, timelines: timelines, weights: weights, journalPath: journal.path,
                          generatedAt: formatter.string(from: generatedAt))
    }

    /// The page.
    public var html: String {
        let runs = comparison.columns.filter { runIDs.contains($0.run.id) }
        let title = "TradingDesk report: " + runs.map { "run \($0.run.id) (\($0.run.desk))" }.joined(separator: ", ")
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            <style>\(HTMLReport.css)</style>
            </head><body>
            <header><h1>\(HTML.escape(title))</h1>
            <p class="meta">Journal \(HTML.escape(journalPath)) · generated \(HTML.escape(generatedAt)) · \
            figures use 252 sessions a year and sample standard deviations; risk-free rate \
            \(HTML.escape(String(format: "%.2f%%", (runs.first?.returns.riskFreeRate ?? 0) * 100))).</p>
            </header>
            <nav class="no-print"><a href="#summary">Summary</a> <a href="#equity">Equity</a> <a href="#drawdown">Drawdowns</a> \
            <a href="#weights">Weights</a> <a href="#metrics">Metrics</a> <a href="#timeline">Timeline</a></nav>
            <main>

            """
        out += summarySection(runs)
        out += chartsSection()
        out += weightsSection(runs)
        out += metricsSection()
        out += timelineSection()
        out += "</main>\n<script>\(HTMLReport.script)</script>\n</body></html>\n"
        return out
    }

    // MARK: Sections

    private func summarySection(_ runs: [RunMetrics]) -> String {
        var out = "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
        for run in runs {
            let r = run.run
            out += "<div class=\"card\"><h3>Run \(r.id): \(HTML.escape(r.desk))</h3><dl>"
            let facts: [(String, String)] = [
                ("Scenario", "\(r.scenario) · \(run.days.first?.iso ?? "–") to \(run.days.last?.iso ?? "–") (\(run.days.count) sessions)"),
                ("Seed · status", "\(r.seed) · \(r.status.rawValue)"),
                ("Models", r.models == "{}" ? "none (rule desk)" : modelsText(r.models)),
                ("Final value", MetricRow.money(run.equity.last?.equity ?? r.initialCash) + " from " + MetricRow.money(r.initialCash)),
                ("Total return", MetricRow("", "", run.returns.totalReturn, .fraction, .none).formatted),
                ("Max drawdown", MetricRow("", "", run.returns.maxDrawdown, .fraction, .none).formatted),
                ("Sharpe", MetricRow("", "", run.returns.sharpe, .ratio, .none).formatted),
            ]
            for (k, v) in facts { out += "<dt>\(HTML.escape(k))</dt><dd>\(HTML.escape(v))</dd>" }
            out += "</dl></div>"
        }
        out += "</div>"
        if !comparison.differences.isEmpty {
            out += "<h3>What differs between the runs</h3><ul>"
            for d in comparison.differences {
                out += "<li><b>\(HTML.escape(d.field))</b>: " + d.values.map { "run \($0.run): \(HTML.escape($0.value))" }.joined(separator: "; ") + "</li>"
            }
            out += "</ul>"
        }
        for note in comparison.notes { out += "<p class=\"note\">\(HTML.escape(note))</p>" }
        return out + "</section>\n"
    }

    private func modelsText(_ json: String) -> String {
        guard let value = try? JSONValue(parsing: json), let members = value.objectValue else { return json }
        return members.map { "\($0.key): \($0.value["name"]?.stringValue ?? "?")" }.joined(separator: ", ")
    }

    /// Every column's days, merged and sorted.
    private var allDays: [Day] { Set(comparison.columns.flatMap(\.days)).sorted() }

    private func chartSeries(_ transform: (RunMetrics) -> [Double]) -> [SVGChart.Series] {
        let days = allDays
        var runIndex = 0, baselineIndex = 0
        return comparison.columns.map { column in
            let values = transform(column)
            var byDay: [Day: Double] = [:]
            for (d, v) in zip(column.days, values) { byDay[d] = v }
            let color: String
            if let kind = column.baseline {
                color = SVGChart.baselinePalette[(BaselineKind.allCases.firstIndex(of: kind) ?? baselineIndex) % SVGChart.baselinePalette.count]
                baselineIndex += 1
            } else {
                color = SVGChart.palette[runIndex % SVGChart.palette.count]
                runIndex += 1
            }
            return SVGChart.Series(name: column.shortTitle, color: color, dashed: column.baseline != nil, values: days.map { byDay[$0] ?? .nan })
        }
    }

    private func chartsSection() -> String {
        let growth = chartSeries { c in c.equity.map { $0.equity / c.run.initialCash * 100 } }
        let drawdowns = chartSeries { c in
            var peak = c.run.initialCash
            return c.equity.map { e in
                peak = max(peak, e.equity)
                return e.equity / peak - 1
            }
        }
        let equityChart = SVGChart(title: "Equity, growth of 100", days: allDays, series: growth, format: { String(format: "%.0f", $0) })
        let drawdownChart = SVGChart(title: "Drawdown from the running peak", days: allDays, series: drawdowns,
                                     format: { String(format: "%.0f%%", $0 * 100) })
        return """
            <section id="equity"><h2>Equity</h2><p class="hint">Value of each run and baseline, starting at 100 (baselines dashed).</p>
            \(equityChart.svg)</section>
            <section id="drawdown"><h2>Drawdowns</h2><p class="hint">Fall below the highest value reached so far.</p>
            \(drawdownChart.svg)</section>

            """
    }

    private func weightsSection(_ runs: [RunMetrics]) -> String {
        var out = "<section id=\"weights\"><h2>Weights over time</h2><p class=\"hint\">Each position's value over equity at the close; the rest is cash.</p>"
        for run in runs {
            let byStep = weights[run.run.id] ?? []
            var average: [String: Double] = [:]
            for step in byStep { for (s, w) in step { average[s, default: 0] += abs(w) } }
            let ranked = average.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            let shown = Array(ranked.prefix(9))
            var series = shown.enumerated().map { i, symbol in
                SVGChart.Series(name: symbol, color: SVGChart.palette[i % SVGChart.palette.count], values: byStep.map { $0[symbol] ?? 0 })
            }
            if ranked.count > shown.count {
                let rest = Set(ranked.dropFirst(shown.count))
                series.append(SVGChart.Series(name: "other (\(rest.count))", color: "#bbbbbb",
                                              values: byStep.map { $0.filter { rest.contains($0.key) }.values.reduce(0, +) }))
            }
            out += "<h3>Run \(run.run.id): \(HTML.escape(run.run.desk))</h3>"
            if series.isEmpty {
                out += "<p class=\"empty\">No positions were held.</p>"
                continue
            }
            let gross = byStep.map { $0.values.reduce(0) { $0 + abs($1) } }.max() ?? 1
            out += SVGChart(title: "Weights of run \(run.run.id)", days: run.days, series: series, style: .stackedArea,
                            format: { String(format: "%.0f%%", $0 * 100) }, height: 240, yRange: 0...max(1, gross)).svg
        }
        return out + "</section>\n"
    }

    private func metricsSection() -> String {
        var out = "<section id=\"metrics\"><h2>Metrics</h2><div class=\"scroll\"><table class=\"metrics\"><thead><tr><th>Metric</th>"
        for c in comparison.columns {
            let sub = c.baseline == nil ? "seed \(c.run.seed)" : "baseline of run \(c.run.baselineOf?.description ?? "?")"
            out += "<th class=\"\(c.baseline == nil ? "run" : "baseline")\">\(HTML.escape(c.shortTitle))<br><small>\(HTML.escape(sub))</small></th>"
        }
        out += "</tr></thead><tbody>"
        for row in comparison.rows {
            let best = Comparison.best(row.values)
            out += "<tr><th>\(HTML.escape(row.metric.label))</th>"
            for (i, v) in row.values.enumerated() {
                out += "<td\(best.contains(i) ? " class=\"best\" title=\"best of the row\"" : "")>\(HTML.escape(v.formatted))</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div><p class=\"hint\">Highlighted: best of the row.</p></section>\n"
    }

    private func timelineSection() -> String {
        var out = "<section id=\"timeline\"><h2>Timeline</h2>"
        out += "<p class=\"no-print\"><button type=\"button\" id=\"expand\">Open every day</button> <button type=\"button\" id=\"collapse\">Close every day</button></p>"
        for (run, steps) in timelines {
            out += "<h3>Run \(run.run.id): \(HTML.escape(run.run.desk))</h3><div class=\"timeline\">"
            var previous = run.run.initialCash
            for step in steps {
                let change = previous > 0 ? step.equity.equity / previous - 1 : 0
                previous = step.equity.equity
                out += dayEntry(step, change: change)
            }
            out += "</div>"
        }
        return out + "</section>\n"
    }

    private func dayEntry(_ step: StepRecord, change: Double) -> String {
        var badges: [String] = []
        func badge(_ n: Int, _ word: String, _ cls: String = "") {
            if n > 0 { badges.append("<span class=\"badge \(cls)\">\(n) \(word)\(n == 1 ? "" : "s")</span>") }
        }
        badge(step.decisions.count, "decision")
        badge(step.toolCalls.count, "tool call")
        badge(step.orders.count, "order")
        badge(step.fills.count, "fill")
        badge(step.riskEvents.count, "risk event", "risk")
        badge(step.failures.count, "failure", "fail")
        let quiet = badges.isEmpty
        var out = "<details class=\"day\(quiet ? " quiet" : "")\"><summary><span class=\"date\">\(step.day.iso)</span>"
        out += "<span class=\"value\">\(MetricRow.money(step.equity.equity))</span>"
        out += "<span class=\"change \(change < 0 ? "down" : "up")\">\(String(format: "%+.2f%%", change * 100))</span>"
        out += badges.joined() + "</summary><div class=\"body\">"
        if quiet { out += "<p class=\"empty\">No decision or trade this session.</p>" }
        if !step.decisions.isEmpty {
            out += "<h4>Decisions</h4>"
            for d in step.decisions {
                out += "<div class=\"decision\"><b>\(HTML.escape(d.role))</b> <small>(\(HTML.escape(d.stage))\(d.isFallback ? ", fallback" : ""))</small>"
                if let rationale = d.rationale, !rationale.isEmpty { out += "<p class=\"rationale\">\(HTML.escape(rationale))</p>" }
                out += "<pre>\(HTML.escape(HTMLReport.clip(d.output.compactText)))</pre></div>"
            }
        }
        if !step.toolCalls.isEmpty {
            out += "<h4>Tool calls</h4><ul class=\"tools\">"
            for t in step.toolCalls {
                out += "<li><b>\(HTML.escape(t.role))</b> → <code>\(HTML.escape(t.tool))</code>(\(HTML.escape(HTMLReport.clip(t.input.compactText, 300))))"
                if let error = t.error { out += " <span class=\"fail\">error: \(HTML.escape(error))</span>" }
                if let output = t.output { out += "<pre>\(HTML.escape(HTMLReport.clip(output.compactText)))</pre>" }
                out += "</li>"
            }
            out += "</ul>"
        }
        if !step.modelCalls.isEmpty {
            out += "<h4>Model calls</h4><table class=\"small\"><tr><th>Role</th><th>Model</th><th>Tokens in/out</th><th>Seconds</th><th>Result</th></tr>"
            for m in step.modelCalls {
                let result = m.cacheHit ? "cache hit" : m.valid ? "valid" : "invalid" + (m.error.map { ": \($0)" } ?? "")
                out += "<tr><td>\(HTML.escape(m.role))</td><td>\(HTML.escape(m.modelName))</td><td>\(m.usage.promptTokens)/\(m.usage.completionTokens)</td>"
                out += "<td>\(String(format: "%.2f", m.usage.totalSeconds))</td><td>\(HTML.escape(result))</td></tr>"
            }
            out += "</table>"
        }
        if !step.riskEvents.isEmpty {
            out += "<h4>Risk events</h4><ul>"
            for r in step.riskEvents {
                out += "<li class=\"risk\"><b>\(HTML.escape(r.rule))</b> \(r.action.rawValue)\(r.symbol.map { " " + HTML.escape($0) } ?? ""): "
                out += "\(String(format: "%.4g", r.proposed)) → \(String(format: "%.4g", r.allowed)). \(HTML.escape(r.detail))</li>"
            }
            out += "</ul>"
        }
        if !step.orders.isEmpty {
            out += "<h4>Orders</h4><table class=\"small\"><tr><th>Order</th><th>Symbol</th><th>Side</th><th>Quantity</th><th>Type</th><th>Status</th><th>Filled</th></tr>"
            for o in step.orders {
                out += "<tr><td>\(o.id)</td><td>\(HTML.escape(o.request.symbol))</td><td>\(o.request.side.rawValue)</td>"
                out += "<td>\(HTMLReport.quantity(o.request.quantity))</td><td>\(o.request.kind.name)</td><td>\(o.status.rawValue)</td>"
                out += "<td>\(HTMLReport.quantity(o.filledQuantity))\(o.filledQuantity > 0 ? " @ " + String(format: "%.2f", o.averageFillPrice) : "")</td></tr>"
            }
            out += "</table>"
            let reasons = step.orderEvents.filter { $0.reason != nil && ($0.kind == .rejected || $0.kind == .cancelled || $0.kind == .expired) }
            for e in reasons { out += "<p class=\"fail\">\(e.orderID) \(e.kind.rawValue): \(HTML.escape(e.reason ?? ""))</p>" }
        }
        if !step.fills.isEmpty {
            out += "<h4>Fills</h4><table class=\"small\"><tr><th>Order</th><th>Symbol</th><th>Side</th><th>Quantity</th><th>Price</th><th>Commission</th><th>Slippage</th></tr>"
            for f in step.fills {
                out += "<tr><td>\(f.orderID)</td><td>\(HTML.escape(f.symbol))</td><td>\(f.side.rawValue)</td><td>\(HTMLReport.quantity(f.quantity))</td>"
                out += "<td>\(String(format: "%.2f", f.price))</td><td>\(String(format: "%.2f", f.commission))</td><td>\(String(format: "%.2f", f.slippageCost))</td></tr>"
            }
            out += "</table>"
        }
        if !step.failures.isEmpty {
            out += "<h4>Failures</h4><ul>"
            for f in step.failures {
                out += "<li class=\"fail\"><b>\(HTML.escape(f.kind))</b>\(f.role.map { " (\(HTML.escape($0)))" } ?? ""): \(HTML.escape(f.message)) → \(HTML.escape(f.fallback))</li>"
            }
            out += "</ul>"
        }
        return out + "</div></details>\n"
    }

    static func clip(_ text: String, _ limit: Int = 1500) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + " … (\(text.count - limit) more characters; see `desk logs`)"
    }

    static func quantity(_ q: Double) -> String { q == q.rounded() ? String(Int64(q)) : String(format: "%.4f", q) }

    // MARK: Style and script

    static let css = """
        :root{--fg:#1b1b1b;--muted:#666;--line:#ddd;--bg:#fff;--accent:#1f77b4;--best:#e3f4e1;--risk:#b35c00;--fail:#b00020}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:1100px;padding:16px 24px 48px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.8rem 0 .4rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
        h3{font-size:1.02rem;margin:1rem 0 .3rem}h4{font-size:.9rem;margin:.6rem 0 .2rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
        .meta,.hint{color:var(--muted);font-size:.85rem;margin:.2rem 0 .6rem}
        nav{position:sticky;top:0;background:var(--bg);padding:6px 0;border-bottom:1px solid var(--line);z-index:1}
        nav a{margin-right:14px;color:var(--accent);text-decoration:none}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
        .card{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
        .card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0;font-size:.9rem}.card dt{color:var(--muted)}.card dd{margin:0}
        svg.chart{width:100%;height:auto;display:block}
        svg .grid{stroke:#eee;stroke-width:1}svg .grid.minor{stroke:#f3f3f3}svg .axis{stroke:#999}
        svg .tick{font-size:11px;fill:#666}
        svg .line{fill:none;stroke-width:1.8}svg .line.dashed{stroke-dasharray:5 4;stroke-width:1.4}
        svg .area{fill-opacity:.75;stroke-width:.5}
        .legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.85rem;margin:4px 0 8px 64px}
        .legend i{display:inline-block;width:18px;height:4px;margin-right:6px;vertical-align:middle}
        .legend i.dashed{background-image:linear-gradient(90deg,transparent 50%,#fff 50%) !important;background-size:8px 4px}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;font-size:.88rem}
        table.metrics th,table.metrics td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
        table.metrics th:first-child{text-align:left;font-weight:normal}
        table.metrics thead th{vertical-align:bottom;text-align:right;white-space:normal;min-width:7.5em}table.metrics thead th.baseline{color:var(--muted)}
        td.best{background:var(--best);font-weight:600}
        table.small th,table.small td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
        details.day{border-bottom:1px solid #eee}
        details.day>summary{cursor:pointer;padding:4px 2px;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:baseline;list-style-position:inside}
        details.day.quiet>summary{color:var(--muted)}
        .date{font-variant-numeric:tabular-nums;font-weight:600;min-width:6.5em}.value{font-variant-numeric:tabular-nums;min-width:9em;text-align:right}
        .change{font-variant-numeric:tabular-nums;min-width:5em;text-align:right}.change.down{color:var(--fail)}.change.up{color:#2a7a2a}
        .badge{font-size:.75rem;background:#eef3f9;border-radius:10px;padding:0 8px}.badge.risk{background:#fbecd9}.badge.fail{background:#f9dede}
        .body{padding:4px 8px 12px 18px}
        .rationale{margin:.2rem 0;white-space:pre-wrap}
        pre{background:#f6f6f6;padding:6px 8px;border-radius:4px;font-size:.8rem;white-space:pre-wrap;word-break:break-word;margin:.2rem 0 .5rem}
        .risk{color:var(--risk)}.fail{color:var(--fail)}.note{color:var(--risk)}.empty{color:var(--muted);font-style:italic}
        button{font:inherit;padding:2px 10px}
        @media print{
          body{max-width:none;padding:0;font-size:10.5pt}nav,.no-print{display:none}
          section{break-inside:auto}svg.chart,.legend,table.metrics{break-inside:avoid}
          details.day{break-inside:avoid}details.day>summary{list-style:none}
          td.best{background:none;text-decoration:underline}a{color:inherit}
          .scroll{overflow:visible}table.metrics{font-size:8pt}table.metrics th,table.metrics td{padding:2px 4px}
        }
        """

    /// Opens or closes every day; opens them all for printing and restores them after.
    static let script = """
        (function(){
          var days=function(){return Array.prototype.slice.call(document.querySelectorAll('details.day'));};
          var set=function(open){days().forEach(function(d){d.open=open;});};
          var e=document.getElementById('expand'),c=document.getElementById('collapse');
          if(e){e.addEventListener('click',function(){set(true);});}
          if(c){c.addEventListener('click',function(){set(false);});}
          var before=[];
          window.addEventListener('beforeprint',function(){before=days().map(function(d){return d.open;});set(true);});
          window.addEventListener('afterprint',function(){days().forEach(function(d,i){d.open=!!before[i];});});
          document.documentElement.setAttribute('data-script','ok');
        })();
        """
}

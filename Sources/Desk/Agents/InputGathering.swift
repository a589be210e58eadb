import Exchange
import Foundation
import LanguageModel
import Market

/// Gathers a role's declared inputs by calling their tools on the role's behalf (journalled
/// through the role's toolbox) and writes each as a compact prompt section. A tool that fails
/// or is refused leaves its section saying the input is unavailable; the failure is journalled.
enum InputGatherer {
    static func sections(for inputs: [RoleInput], situation: RoleSituation, toolbox: inout RoleToolbox) async throws -> [PromptSection] {
        var sections: [PromptSection] = []
        for input in inputs {
            do {
                sections.append(try await section(for: input, situation: situation, toolbox: &toolbox))
            } catch let error as ToolCallError {
                sections.append(PromptSection(title(input), lines: ["unavailable (\(error.kind.rawValue))"]))
            }
        }
        return sections
    }

    static func title(_ input: RoleInput) -> String {
        switch input {
        case let .news(days, _, _): return "News, last \(days) days, newest first"
        case .indicators: return "Indicators"
        case let .prices(sessions): return "Closes, last \(sessions) sessions, oldest first"
        case let .returns(sessions): return "Daily returns, last \(sessions) sessions, oldest first"
        case let .series(_, sessions): return "Series, last \(sessions) values, oldest first"
        case let .macro(_, count): return "Macro series, last \(count) public values, oldest first"
        case .reports: return "Reports of the other roles"
        case .book: return "Book"
        case .exposure: return "Exposure"
        case .pnl: return "Profit and loss"
        case .plan: return "Plan: trades to reach the targets (after the risk limits)"
        case .memory: return "Your previous answer"
        }
    }

    static func section(for input: RoleInput, situation: RoleSituation, toolbox: inout RoleToolbox) async throws -> PromptSection {
        let symbols = situation.symbols
        let day = situation.context.day
        switch input {
        case let .news(days, scope, maxItems):
            let output = try await toolbox.call(NewsTool(), NewsTool.Input(since: day.advanced(by: -days), symbols: scope == .market ? nil : symbols,
                                                                           scope: scope, maxItems: maxItems))
            var lines = output.notes.map { note in
                let who = note.symbols.isEmpty ? "market" : note.symbols.joined(separator: ",")
                return "\(note.day.iso)\(note.time.map { " " + $0 } ?? "") \(who): \(PromptFormat.oneLine(note.text, limit: 220))"
            }
            let hasFacts = !lines.isEmpty
            if lines.isEmpty { lines = ["none"] }
            if output.omitted > 0 { lines.append("(\(output.omitted) older notes not shown)") }
            return PromptSection(title(input), lines: lines, hasFacts: hasFacts)

        case .indicators:
            let output = try await toolbox.call(IndicatorsTool(), IndicatorsTool.Input(symbols: symbols))
            // Whole percentages and no price column: the table is the technical analyst's whole
            // prompt, and every digit is a token for a small model's tokenizer.
            let header = "symbol mom20 vs_sma20 vs_sma50 rsi14 macd vol20 drawdown"
            let rows = output.snapshots.map { s -> String in
                func gap(_ average: Double?) -> Double? {
                    guard let close = s.close, let average, average > 0 else { return nil }
                    return close / average - 1
                }
                var macd = "n/a"
                if let line = s.macd, let signal = s.macdSignal { macd = line >= signal ? "up" : "down" }
                return [s.symbol, PromptFormat.wholePercent(s.momentum20), PromptFormat.wholePercent(gap(s.sma20)),
                        PromptFormat.wholePercent(gap(s.sma50)), s.rsi14.map { String(format: "%.0f", $0) } ?? "n/a", macd,
                        PromptFormat.wholePercent(s.volatility20), PromptFormat.wholePercent(s.drawdown)].joined(separator: " ")
            }
            return PromptSection(title(input), lines: [header] + rows, keep: 1)

        case let .prices(sessions):
            let output = try await toolbox.call(PricesTool(), PricesTool.Input(symbols: symbols, sessions: sessions))
            return PromptSection(title(input), lines: output.series.map { series in
                let closes = series.points.map { PromptFormat.price($0.close) }.joined(separator: " ")
                return "\(series.symbol) \(closes) | volume \(PromptFormat.amount(series.points.last?.volume ?? 0))"
            })

        case let .returns(sessions):
            let output = try await toolbox.call(ReturnsTool(), ReturnsTool.Input(symbols: symbols, sessions: sessions))
            return PromptSection(title(input), lines: output.series.map { series in
                "\(series.symbol) " + series.returns.map { PromptFormat.percent($0) }.joined(separator: " ")
            })

        case let .series(names, sessions):
            let output = try await toolbox.call(PricesTool(), PricesTool.Input(symbols: names, sessions: sessions))
            return PromptSection(title(input), lines: output.series.map { series in
                let values = series.points.map { PromptFormat.price($0.close) }.joined(separator: " ")
                return "\(series.symbol) \(values)\(series.points.last.map { " (as of \($0.day.iso))" } ?? "")"
            })

        case let .macro(series, count):
            let output = try await toolbox.call(MacroTool(), MacroTool.Input(series: series, count: count))
            let lines = output.series.map { view -> String in
                guard let last = view.observations.last else { return "\(view.series): none public yet" }
                let values = view.observations.map { JSONNumber.text($0.value) }.joined(separator: " ")
                return "\(view.series) (\(last.unit)): \(values) (latest for \(last.period.iso), public \(last.published.iso))"
            }
            let published = output.series.contains { !$0.observations.isEmpty }
            return PromptSection(title(input), lines: lines.isEmpty ? ["none"] : lines, hasFacts: published)

        case let .reports(roles):
            let chosen = situation.reports.filter { roles == nil || roles!.contains($0.role) }
            let lines = chosen.map { report -> String in
                guard let output = report.output else { return "\(report.role): unavailable (\(report.failure ?? "no output"))" }
                if output == RoleReport.nothingToRead { return "\(report.role): nothing to read at this decision" }
                return "\(report.role)\(report.isFallback ? " (fallback)" : ""): \(output.promptText)"
            }
            return PromptSection(title(input), lines: lines.isEmpty ? ["none"] : lines)

        case .book:
            let output = try await toolbox.call(BookTool(), BookTool.Input())
            let cashShare = output.equity > 0 ? output.cash / output.equity : 0
            var lines = ["equity \(PromptFormat.amount(output.equity)), cash \(PromptFormat.amount(output.cash)) (\(PromptFormat.percent(cashShare)))"]
            // Weights are what the deciding roles reason in; the share counts stay in the tool's journalled output.
            let held = output.positions.filter { abs($0.weight) >= 0.0005 }
            if !held.isEmpty { lines.append(held.map { "\($0.symbol) \(PromptFormat.percent($0.weight))" }.joined(separator: ", ")) }
            if held.count < output.positions.count { lines.append("\(output.positions.count - held.count) positions under 0.05% each") }
            if output.positions.isEmpty { lines.append("no positions") }
            return PromptSection(title(input), lines: lines, keep: 1)

        case .exposure:
            let e = try await toolbox.call(ExposureTool(), ExposureTool.Input())
            var line = "gross \(PromptFormat.percent(e.gross)), net \(PromptFormat.percent(e.net)), cash \(PromptFormat.percent(e.cash))"
            if let symbol = e.largestSymbol { line += ", largest \(symbol) \(PromptFormat.percent(e.largestWeight))" }
            return PromptSection(title(input), lines: [line])

        case .pnl:
            let p = try await toolbox.call(PnLTool(), PnLTool.Input())
            var lines = ["since start \(PromptFormat.percent(p.returnSinceStart)) (\(PromptFormat.amount(p.sinceStart)))"]
            lines += p.positions.map { "\($0.symbol) unrealized \(PromptFormat.amount($0.unrealized)), realized \(PromptFormat.amount($0.realized))" }
            return PromptSection(title(input), lines: lines, keep: 1)

        case .plan:
            guard let plan = situation.plan else { return PromptSection(title(input), lines: ["no plan at this stage"]) }
            var lines = plan.trades.map { t in
                var line = "\(t.symbol) \(t.side.rawValue) \(JSONNumber.text(t.quantity)) sh ~\(PromptFormat.amount(t.quantity * t.close)), "
                line += "close \(PromptFormat.price(t.close)), \(t.volume > 0 ? String(format: "%.2f%%", 100 * t.quantity / t.volume) : "n/a") of volume"
                if let cap = t.orderCap { line += ", max order \(PromptFormat.amount(cap)) sh" }
                return line
            }
            lines.append(lines.isEmpty ? "no trades" : "turnover \(PromptFormat.percent(plan.turnover)) of equity")
            return PromptSection(title(input), lines: lines)

        case .memory:
            guard let memory = situation.memory else { return PromptSection(title(input), lines: ["none yet"], hasFacts: false) }
            return PromptSection(title(input), lines: ["\(memory.day.iso): \(memory.output.compactText)"])
        }
    }
}

extension PromptFormat {
    /// Text on one line, at most `limit` characters.
    public static func oneLine(_ text: String, limit: Int) -> String {
        let flat = text.components(separatedBy: .newlines).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }
}

import Foundation
import LanguageModel

/// A model for the end-to-end replay: answers each built-in role from what its prompt shows, so
/// outputs follow the data (the technical analyst reads the indicator table, the portfolio
/// manager the reports, the trader the plan's sizes against the volume cap).
///
/// Used by the end-to-end agent replay test (which swaps in the embedded model when the build has
/// it) and by the desk benchmark, where it stands in for the model to measure everything else.
public enum ReadingModel {
    /// A new reading model (instant; every request is recorded in ``ScriptedModel/requests``).
    public static func make() -> ScriptedModel { ScriptedModel(name: "reading", respond: answer) }

    /// The reader's answer to one request (also what a test server on loopback can send back).
    @Sendable public static func answer(_ request: ModelRequest) -> ScriptedModel.Reply {
        let facts = RoleScript.facts(of: request)
        switch RoleScript.role(of: request) {
        case "news_analyst":
            let negative = facts.contains("fell") || facts.contains("halted")
            return .text(negative ? #"{"views":[],"rationale":"Market-wide selling; no single name stands out."}"# : #"{"views":[],"rationale":"Quiet."}"#)
        case "technical_analyst":
            var up: [String] = [], down: [String] = [], oversold: [String] = []
            var columns: [Substring] = []
            for line in facts.split(separator: "\n") {
                let cells = line.split(separator: " ")
                if cells.first == "symbol" { columns = cells; continue }
                guard cells.count == columns.count, let m = columns.firstIndex(of: "mom20"), let r = columns.firstIndex(of: "rsi14"),
                      let r20 = Double(cells[m].dropLast()), let rsi = Double(cells[r]) else { continue }
                if rsi < 25 { oversold.append(String(cells[0])) } else if r20 > 0 { up.append(String(cells[0])) } else if r20 < -15 { down.append(String(cells[0])) }
            }
            func list(_ s: [String]) -> String { "[" + s.prefix(5).map { "\"\($0)\"" }.joined(separator: ",") + "]" }
            return .text(#"{"uptrend":\#(list(up)),"downtrend":\#(list(down)),"oversold":\#(list(oversold)),"overbought":[],"rationale":"From 20-day momentum and RSI."}"#)
        case "portfolio_manager":
            func symbols(after key: String) -> [String] {   // the reports read "uptrend: A B; downtrend: none; …"
                guard let range = facts.range(of: "\(key): ") else { return [] }
                let rest = facts[range.upperBound...].prefix { $0 != ";" && $0 != "\n" }
                return rest.split(separator: " ").map(String.init).filter { $0 != "none" }
            }
            let over = Array((symbols(after: "uptrend") + symbols(after: "oversold")).prefix(5))
            let under = Array(symbols(after: "downtrend").prefix(5))
            func list(_ s: [String]) -> String { "[" + s.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
            let appetite = under.count > over.count ? 0.5 : 0.9
            return .text(#"{"overweight":\#(list(over)),"underweight":\#(list(under)),"confidence":0.6,"risk_appetite":\#(appetite),"rationale":"Lean with the analysts."}"#)
        case "macro_analyst":
            let easing = facts.contains("cut") || facts.contains("0.25")
            return .text(easing ? #"{"stance":"easing","regime":"risk_off","conviction":0.6,"rationale":"Emergency cuts: policy eases into a shock."}"#
                                : #"{"stance":"neutral","regime":"neutral","conviction":0.3,"rationale":"No policy change."}"#)
        case "execution_trader":
            var orders: [String] = []
            for line in facts.split(separator: "\n") where line.contains(" sh ~") {
                let symbol = line.prefix { $0 != " " }
                orders.append(#"{"symbol":"\#(symbol)","type":"market","days":\#(line.contains("max order") ? 2 : 1)}"#)
            }
            return .text(#"{"orders":[\#(orders.joined(separator: ","))],"rationale":"Market orders, big ones split."}"#)
        default:
            return .failure(LanguageModelError(.unavailable, "no script for this role"))
        }
    }
}

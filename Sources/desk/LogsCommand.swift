import ArgumentParser
import Exchange
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show what a run's agents saw, said and did: each decision step as a chain, or matching records.",
        discussion: """
            Without --kind or --search, each step with records is told as a chain: what each role saw (its prompt and \
            tool inputs, summarised), what it said (rationale and parsed output), which tools it called, what the risk \
            limits changed, which orders went out and how they filled (a rule desk keeping its book records nothing). \
            With --kind or --search, matching records are listed one per line. Filters combine (all must hold); list \
            options take several values, comma-separated or repeated.

            --search takes SQLite FTS5 syntax over prompts, completions, rationales and decision outputs: words (all must \
            match, English stemming: 'cuts' finds 'cut'), "exact phrases", OR, NOT, prefix*; text that is not valid FTS5 \
            syntax is searched word by word.

            Examples:
              desk logs 3                            run 3, step by step
              desk logs last --date 2020-03          the newest run, one month
              desk logs 3 --role risk_manager --full one role, whole prompts
              desk logs 3 --kind fill --symbol AAPL  AAPL's fills, one a line
              desk logs 3 --search '"rate cut"' --format jsonl
            """)

    @Argument(help: ArgumentHelp("The run id (see `desk runs`), or `last` for the newest run.", valueName: "run"))
    var run: String

    @Option(help: ArgumentHelp("A day (2020-03-09), a month (2020-03), a year, or a range FROM..TO (either end may be left out).", valueName: "date"))
    var date: String?

    @Option(help: ArgumentHelp("Step indexes: N or FROM..TO (0 is the first session).", valueName: "steps"))
    var step: String?

    @Option(help: ArgumentHelp("Only records of these roles (orders and fills by their tag).", valueName: "role"))
    var role: [String] = []

    @Option(help: ArgumentHelp("Only records naming these symbols.", valueName: "symbol"))
    var symbol: [String] = []

    @Option(help: ArgumentHelp("Only these kinds: \(LogKind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "kind"))
    var kind: [String] = []

    @Option(help: ArgumentHelp("Full-text search (FTS5) over prompts, completions and rationales.", valueName: "text"))
    var search: String?

    @Option(help: ArgumentHelp("Output format: text, json or jsonl.", valueName: "format"))
    var format: OutputFormat = .text

    @Flag(help: "Print whole prompts, completions and tool outputs instead of summaries.")
    var full = false

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        try await reportingErrors {
            guard FileManager.default.fileExists(atPath: journalOptions.path) else {
                throw JournalError("no journal at \(journalOptions.path)", remedy: "run `desk replay` first, or pass --journal")
            }
            let journal = try journalOptions.open()
            let runID = try RunArgument.resolve(self.run, journal: journal)
            let filter = try makeFilter()
            let listRecords = !kind.isEmpty || search != nil
            let render = LogRendering(style: format == .text ? TextStyle.forStandardOutput : TextStyle(colour: false), full: full)
            if listRecords {
                let entries = try journal.entries(of: runID, filter: filter)
                switch format {
                case .text:
                    if entries.isEmpty { Terminal.note("no records of run \(runID) match"); return }
                    for entry in entries { print(render.line(entry)) }
                case .json: print(JSONValue.array(entries.map { LogJSON.entry($0, run: runID, full: true) }).compactText)
                case .jsonl: for entry in entries { print(LogJSON.entry(entry, run: runID, full: true).compactText) }
                }
            } else {
                let chains = try journal.chains(of: runID, filter: filter)
                switch format {
                case .text:
                    print(render.header(try journal.run(runID), agents: try journal.agents(of: runID)))
                    if chains.isEmpty { Terminal.note("no decision steps of run \(runID) match"); return }
                    print(chains.map(render.chain).joined(separator: "\n\n"))
                case .json: print(JSONValue.array(chains.map(LogJSON.chain)).compactText)
                case .jsonl: for chain in chains { print(LogJSON.chain(chain).compactText) }
                }
            }
        }
    }

    func makeFilter() throws -> LogFilter {
        let split = { (values: [String]) in values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty } }
        var kinds = Set<LogKind>()
        for name in split(kind) {
            guard let k = LogKind(rawValue: name) else {
                throw InputError(file: "--kind", field: "kind", problem: "unknown kind '\(name)'",
                                 remedy: "use one of: \(LogKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kinds.insert(k)
        }
        return LogFilter(days: try date.map(DateArgument.parse), steps: try step.map(StepArgument.parse), roles: split(role),
                         symbols: split(symbol), kinds: kinds, search: search)
    }
}

/// `RUN` arguments: an id, or `last`.
enum RunArgument {
    static func resolve(_ text: String, journal: SQLiteJournal) throws -> RunID {
        if text == "last" {
            // The newest run the user started: baselines replayed for `desk compare` come later but are not it.
            let recent = try journal.runs(limit: 100)
            guard let newest = recent.first(where: { $0.baselineOf == nil }) ?? recent.first else {
                throw JournalError("no runs in \(journal.path)", remedy: "run `desk replay` first")
            }
            return newest.id
        }
        guard let id = Int64(text), id > 0 else {
            throw InputError(file: "RUN", field: "run", problem: "'\(text)' is not a run id", remedy: "give a number from `desk runs`, or `last`")
        }
        return RunID(id)
    }
}

/// `--date`: a day, a month, a year, or FROM..TO.
enum DateArgument {
    static func parse(_ text: String) throws -> ClosedRange<Day> {
        func bad() -> InputError {
            InputError(file: "--date", field: "date", problem: "'\(text)' is not a date or a date range",
                       remedy: "write 2020-03-09, 2020-03, 2020, or 2020-03-09..2020-03-20")
        }
        if let separator = text.range(of: "..") {
            let from = String(text[..<separator.lowerBound]), to = String(text[separator.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "."))
            let lower = from.isEmpty ? Day(daysSinceEpoch: Int32.min / 2) : try period(from).lowerBound
            let upper = to.isEmpty ? Day(daysSinceEpoch: Int32.max / 2) : try period(to).upperBound
            guard lower <= upper else { throw bad() }
            return lower...upper
        }
        return try period(text)

        func period(_ part: String) throws -> ClosedRange<Day> {
            if let day = Day(part) { return day...day }
            let pieces = part.split(separator: "-").map { Int($0) }
            if pieces.count == 2, let y = pieces[0], let m = pieces[1], let first = Day(year: y, month: m, day: 1) {
                let next = m == 12 ? Day(year: y + 1, month: 1, day: 1) : Day(year: y, month: m + 1, day: 1)
                return first...(next ?? first).advanced(by: -1)
            }
            if pieces.count == 1, let y = pieces[0], let first = Day(year: y, month: 1, day: 1), let last = Day(year: y, month: 12, day: 31) {
                return first...last
            }
            throw bad()
        }
    }
}

/// `--step`: N or FROM..TO.
enum StepArgument {
    static func parse(_ text: String) throws -> ClosedRange<Int> {
        let bad = InputError(file: "--step", field: "step", problem: "'\(text)' is not a step or a step range", remedy: "write 12 or 10..20")
        if let separator = text.range(of: "..") {
            let from = String(text[..<separator.lowerBound]), to = String(text[separator.upperBound...])
            let lower = from.isEmpty ? 0 : Int(from), upper = to.isEmpty ? Int(Int32.max) : Int(to)
            guard let lower, let upper, lower >= 0, lower <= upper else { throw bad }
            return lower...upper
        }
        guard let n = Int(text), n >= 0 else { throw bad }
        return n...n
    }
}

/// Text rendering of chains and records.
struct LogRendering {
    var style: TextStyle
    var full: Bool

    /// The run and its desk, above its chains.
    func header(_ run: RunRow, agents: [AgentRow]) -> String {
        var lines = [style.bold("run \(run.id) · \(run.scenario) · desk \(run.desk) · seed \(run.seed) · \(run.status.rawValue)")
                     + style.dim("  \(run.firstSession) … \(run.lastSession)")]
        let desk = agents.map { row -> String in
            let a = row.agent
            return "\(a.role) (\(a.stage)\(a.model.map { ", \($0.name) \(String($0.digest.prefix(8)))" } ?? ""))"
        }
        if !desk.isEmpty { lines.append(style.dim("agents: " + desk.joined(separator: ", "))) }
        return lines.joined(separator: "\n") + "\n"
    }

    func chain(_ chain: StepChain) -> String {
        var lines: [String] = []
        let kind = chain.isDecision ? "decision" : "session"
        lines.append(style.bold("── run \(chain.run) · step \(chain.step) · \(chain.day.iso) · \(kind)")
                     + style.dim("  equity \(Format.money(chain.equity.equity))  cash \(Format.money(chain.equity.cash))  snapshot \(chain.snapshotDigest.map { String($0.prefix(12)) } ?? "-")"))
        var lastRole: String?
        for entry in chain.activity {
            let role = entry.role ?? "desk"
            if role != lastRole {
                lines.append("  " + style.cyan(style.bold(role)))
                lastRole = role
            }
            lines += activityLines(entry).map { "    " + $0 }
        }
        if !chain.orders.isEmpty {
            lines.append("  " + style.bold("orders"))
            for trail in chain.orders { lines.append("    " + orderLine(trail)) }
        } else if chain.isDecision {
            lines.append("  " + style.dim("no orders"))
        }
        return lines.joined(separator: "\n")
    }

    private func activityLines(_ entry: LogEntry) -> [String] {
        switch entry.record {
        case let .modelCall(c):
            var head = "\(style.magenta("model")) \(c.modelName) \(style.dim(String(c.modelDigest.prefix(8)))) · \(c.usage.promptTokens)→\(c.usage.completionTokens) tokens"
            head += " · \(seconds(c.usage.totalSeconds)), first token \(seconds(c.usage.timeToFirstToken)) · \(c.cacheHit ? "cache hit" : "cache miss")"
            if !c.valid { head += " · " + style.red("invalid output") }
            var lines = [head]
            if full {
                for message in c.messages { lines.append(style.dim("saw ") + "[\(message.role.rawValue)]"); lines += indent(message.content) }
            } else {
                lines.append(style.dim("saw  ") + promptSummary(c.messages))
            }
            if let parsed = c.parsedOutput {
                lines.append(style.dim("said ") + clip(parsed.compactText, full: full))
            } else if let text = c.completion {
                lines.append(style.dim("said ") + clip(text, full: full))
            }
            if let error = c.error { lines.append(style.red("error ") + error) }
            return lines
        case let .toolCall(t):
            var line = "\(style.blue("tool")) \(t.tool) \(clip(t.input.compactText, full: full))"
            if let output = t.output { line += " → " + clip(output.compactText, full: full, limit: 160) }
            if let error = t.error { line += " → " + style.red("error: \(error)") }
            return [line + style.dim(" (\(seconds(t.durationSeconds)))")]
        case let .decision(d):
            var lines = ["\(style.green("decided")) (\(d.stage))\(d.isFallback ? " " + style.yellow("[fallback]") : "")"]
            if let rationale = d.rationale { lines.append(style.dim("why  ") + clip(rationale, full: full)) }
            lines.append(style.dim("out  ") + clip(d.output.compactText, full: full))
            return lines
        case let .riskEvent(r):
            return ["\(style.yellow("risk")) \(r.rule) \(r.action.rawValue)\(r.symbol.map { " " + $0 } ?? "") \(number(r.proposed)) → \(number(r.allowed))"
                    + style.dim(" — \(r.detail)\(r.role.map { " (\($0))" } ?? "")")]
        case let .failure(f):
            return ["\(style.red("failure")) \(f.kind): \(f.message) → fallback \(f.fallback)"]
        case let .order(trail): return [orderLine(trail)]
        case let .fill(f): return [fillText(f)]
        }
    }

    func orderLine(_ trail: OrderTrail) -> String {
        let o = trail.order, r = o.request
        var text = "\(o.id) \(r.side.rawValue) \(number(r.quantity)) \(r.symbol)"
        if let trigger = r.kind.triggerPrice { text += " stop \(number(trigger))" }
        if let limit = r.kind.limitPrice { text += " limit \(number(limit))" }
        if r.kind == .market { text += " market" }
        text += " \(r.timeInForce.rawValue)" + (r.tag.map { style.dim(" (\($0))") } ?? "")
        if trail.fills.isEmpty {
            let reason = trail.events.last(where: { $0.reason != nil })?.reason
            let status = o.status == .rejected ? style.red(o.status.rawValue) : style.yellow(o.status.rawValue)
            text += " → " + status + (reason.map { ": \($0)" } ?? "")
        } else {
            let filled = trail.fills.reduce(0) { $0 + $1.quantity }
            let value = trail.fills.reduce(0) { $0 + $1.quantity * $1.price }
            let commission = trail.fills.reduce(0) { $0 + $1.commission }
            let days = Set(trail.fills.map(\.day)).sorted().map(\.iso).joined(separator: ", ")
            text += " → " + style.green(o.status.rawValue.replacingOccurrences(of: "_", with: " "))
                + " \(number(filled)) @ \(number(value / filled)) on \(days), commission \(Format.money(commission))"
        }
        return text
    }

    func fillText(_ f: Fill) -> String {
        "\(style.green("fill")) \(f.orderID) \(f.side.rawValue) \(number(f.quantity)) \(f.symbol) @ \(number(f.price)) (ref \(number(f.referencePrice)), commission \(Format.money(f.commission)), slippage \(Format.money(f.slippageCost)))"
    }

    /// One record on one line, for `--kind` and `--search` listings.
    func line(_ entry: LogEntry) -> String {
        let head = style.dim("step \(entry.step) \(entry.day.iso)") + " " + style.bold(entry.kind.rawValue) + (entry.role.map { " " + style.cyan($0) } ?? "")
        var body: String
        switch entry.record {
        case let .modelCall(c):
            body = "\(c.modelName) \(c.usage.promptTokens)→\(c.usage.completionTokens) tokens \(seconds(c.usage.totalSeconds))"
            if entry.snippet == nil { body += " said " + clip(c.parsedOutput?.compactText ?? c.completion ?? c.error ?? "", full: full, limit: 120) }
        case let .decision(d):
            body = entry.snippet == nil ? clip(d.rationale ?? d.output.compactText, full: full, limit: 140) : "(\(d.stage))"
        default:
            body = activityLines(entry).joined(separator: " ")
        }
        if let snippet = entry.snippet { body += "  " + highlight(oneLine(snippet)) }
        return head + "  " + body
    }

    private func highlight(_ snippet: String) -> String {
        guard style.colour else { return snippet }
        return snippet.replacingOccurrences(of: "[", with: "\u{1B}[1;33m").replacingOccurrences(of: "]", with: "\u{1B}[0m")
    }

    /// What a role saw: its last user (or tool) message, clipped; the system message is its standing instruction.
    private func promptSummary(_ messages: [ChatMessage]) -> String {
        let total = messages.reduce(0) { $0 + $1.content.count }
        let input = messages.last { $0.role == .user || $0.role == .tool } ?? messages.last
        let text = input.map { "[\($0.role.rawValue)] " + oneLine($0.content) } ?? ""
        return clip(text, full: false, limit: 200) + style.dim(" (\(messages.count) messages, \(total) chars; --full prints them)")
    }

    private func clip(_ text: String, full: Bool, limit: Int = 240) -> String {
        let line = full ? text : oneLine(text)
        guard !full, line.count > limit else { return line }
        return String(line.prefix(limit)) + "…"
    }

    private func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ⏎ ")
    }

    private func indent(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 } }

    private func seconds(_ s: Double) -> String { s < 1 ? String(format: "%.0f ms", s * 1000) : String(format: "%.2f s", s) }

    private func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e12 ? String(Int64(x)) : String(format: "%.6g", x)
    }
}

import ArgumentParser
import Desk
import Exchange
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

/// `desk replay --data a.csv --data b.csv …`: a replay of raw daily-bar files with a rule desk, no scenario file.
///
/// The files are read like a scenario's data files (tidy, Yahoo or backtrader CSV), cut to
/// `--from … --to` (indicators start at `--from`, as backtrader's `fromdate` does), and replayed
/// through the same orchestrator, exchange and journal as a scenario, with daily decisions,
/// long-only, no margin.
struct ReplayDataMode: ParsableArguments {
    @Option(name: .customLong("data"), help: ArgumentHelp(
        "A daily-bar CSV file; repeat for more symbols.",
        discussion: "The symbol is the file name without its extension, or write SYMBOL=path.", valueName: "path"))
    var files: [String] = []

    @Option(help: ArgumentHelp("First session to replay (YYYY-MM-DD); default: the first bar.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Last session to replay (YYYY-MM-DD); default: the last bar.", valueName: "date"))
    var to: String?

    @Option(help: ArgumentHelp("The rule desk: \(ReplayDataMode.strategies.joined(separator: ", ")). Default: buy-and-hold.", valueName: "name"))
    var strategy: String?

    @Option(help: ArgumentHelp("sma-cross: period of the fast SMA (with --slow).", valueName: "n"))
    var fast: Int?

    @Option(help: ArgumentHelp("sma-cross: period of the slow SMA (with --fast).", valueName: "n"))
    var slow: Int?

    @Option(help: ArgumentHelp("sma-cross: trade the close against SMA(n) instead of fast/slow.", valueName: "n"))
    var period: Int?

    @Option(help: ArgumentHelp("sma-cross: shares bought on each upward cross (default 1, as backtrader's stake).", valueName: "shares"))
    var stake: Double?

    @Option(help: ArgumentHelp("Starting cash (default 10000).", valueName: "amount"))
    var cash: Double?

    @Option(name: .customLong("commission-bps"), help: ArgumentHelp("Commission in basis points of traded value.", valueName: "bps"))
    var commissionBps: Double?

    @Option(name: .customLong("commission-per-share"), help: ArgumentHelp("Commission per share traded (with --commission-minimum per order).", valueName: "amount"))
    var commissionPerShare: Double?

    @Option(name: .customLong("commission-minimum"), help: ArgumentHelp("Smallest per-share commission of an order.", valueName: "amount"))
    var commissionMinimum: Double?

    @Option(name: .customLong("commission-per-order"), help: ArgumentHelp("A flat commission per order that fills.", valueName: "amount"))
    var commissionPerOrder: Double?

    @Option(name: .customLong("slippage-bps"), help: ArgumentHelp("Slippage in basis points, against the trader.", valueName: "bps"))
    var slippageBps: Double?

    @Option(name: .customLong("participation-cap"), help: ArgumentHelp("Largest fraction of a session's volume filled per symbol.", valueName: "fraction"))
    var participationCap: Double?

    @Option(help: ArgumentHelp("Market orders fill at next_open (default) or next_close.", valueName: "timing"))
    var fill: String?

    @Flag(name: .customLong("executions"), help: "Also list every execution (with --json: an `executions` array).")
    var showExecutions = false

    static let strategies = ["sma-cross", "buy-and-hold", "equal-weight", "equal-weight-weekly", "equal-weight-quarterly", "equal-weight-decision"]

    /// Whether the command runs on bar files rather than a scenario.
    var isActive: Bool { !files.isEmpty }

    func validate() throws {
        guard !isActive else { return }
        let dataOnly: [(String, Bool)] = [
            ("--from", from != nil), ("--to", to != nil), ("--strategy", strategy != nil), ("--fast", fast != nil), ("--slow", slow != nil),
            ("--period", period != nil), ("--stake", stake != nil), ("--cash", cash != nil), ("--commission-bps", commissionBps != nil),
            ("--commission-per-share", commissionPerShare != nil), ("--commission-minimum", commissionMinimum != nil),
            ("--commission-per-order", commissionPerOrder != nil), ("--slippage-bps", slippageBps != nil),
            ("--participation-cap", participationCap != nil), ("--fill", fill != nil),
        ]
        let used = dataOnly.filter(\.1).map(\.0)
        if !used.isEmpty {
            throw ValidationError("\(used.joined(separator: ", ")) \(used.count == 1 ? "applies" : "apply") to replays of bar files: add --data FILE (a scenario file sets these in its YAML)")
        }
    }

    // MARK: Running

    /// Replays the bar files with the chosen rule desk, journals the run and prints its summary.
    func replay(_ command: ReplayCommand) async throws {
        if let scenario = command.scenario {
            throw InputError(file: scenario, problem: "a scenario file and --data were both given",
                             remedy: "replay either a scenario, or bar files with --data")
        }
        if command.desk != nil, strategy != nil {
            throw InputError(file: "--desk", problem: "--desk and --strategy were both given", remedy: "name the rule desk once, with --strategy")
        }
        let (scenario, data) = try loadMarket()
        let policy = try makePolicy(symbols: scenario.tradableSymbols, deskName: strategy ?? command.desk)
        let journal = try command.journalOptions.open()
        let pace = try command.pace.map { try DurationParser.parse($0) }
        let progress = Terminal.stderrIsTTY && !command.json ? ProgressBar.reporter(scenario.name, showsModel: false) : nil
        let options = ReplayOptions(seed: command.seed, codeVersion: DeskVersion.current, pace: pace, progress: progress,
                                    recordedOptions: recordedOptions(policy: policy))
        let outcome = try await Orchestrator(scenario: scenario, data: data, policy: policy, journal: journal, options: options).run()
        Terminal.clearStatus()
        let summary = ReplaySummary(scenario: scenario, deskName: policy.name, seed: command.seed, journalPath: journal.path,
                                    run: outcome.run, equity: try journal.equity(of: outcome.run), fills: outcome.summary.fills)
        print(try render(summary, journal: journal, json: command.json))
    }

    /// The summary as text or JSON, with the executions when `--executions` is given.
    func render(_ summary: ReplaySummary, journal: SQLiteJournal, json: Bool) throws -> String {
        guard showExecutions else { return json ? summary.json.compactText : summary.text }
        let fills = try journal.fills(of: summary.run)
        if json {
            guard case var .object(members) = summary.json else { return summary.json.compactText }
            members.append(.init("executions", .array(fills.map(Self.json))))
            return JSONValue.object(members).compactText
        }
        var rows = [["day", "symbol", "side", "quantity", "price", "commission", "order"]]
        for fill in fills {
            rows.append([fill.day.iso, fill.symbol, fill.side.rawValue, JSONValue.format(fill.quantity), String(format: "%.4f", fill.price),
                         String(format: "%.2f", fill.commission), fill.orderID.description])
        }
        return summary.text + "\n\n" + Table.render(rows, rightAligned: [3, 4, 5, 6])
    }

    static func json(_ fill: Fill) -> JSONValue {
        .object([
            .init("day", .string(fill.day.iso)), .init("symbol", .string(fill.symbol)), .init("side", .string(fill.side.rawValue)),
            .init("quantity", .number(fill.quantity)), .init("price", .number(fill.price)), .init("commission", .number(fill.commission)),
            .init("order", .number(Double(fill.orderID.rawValue))),
        ])
    }

    // MARK: Building the run

    /// The files as a scenario and its market data.
    func loadMarket() throws -> (Scenario, MarketData) {
        var sources: [BarFileSource] = []
        for argument in files {
            let source = try BarFileSource(argument)
            if let other = sources.first(where: { $0.symbol == source.symbol }) {
                throw InputError(file: argument, field: "--data", problem: "symbol \(source.symbol) is also given by \(other.path)",
                                 remedy: "name one of them with SYMBOL=path")
            }
            sources.append(source)
        }
        let window = BarWindow(from: try from.map { try Self.day($0, option: "--from") }, to: try to.map { try Self.day($0, option: "--to") })
        if let start = window.from, let end = window.to, end < start {
            throw InputError(file: "--to", problem: "\(end) is before --from \(start)", remedy: "give a --to on or after --from")
        }
        return try BarFileMarket.load(sources, window: window, initialCash: try initialCash(), costs: try costs(),
                                      name: "data:" + Self.abbreviated(sources.map(\.symbol)))
    }

    static func abbreviated(_ symbols: [String]) -> String {
        symbols.count <= 3 ? symbols.joined(separator: "+") : symbols.prefix(3).joined(separator: "+") + "+\(symbols.count - 3)"
    }

    static func day(_ text: String, option: String) throws -> Day {
        guard let day = Day(text) else { throw InputError(file: option, problem: "'\(text)' is not a date", remedy: "write it as YYYY-MM-DD") }
        return day
    }

    func initialCash() throws -> Double {
        let cash = self.cash ?? 10_000
        guard cash.isFinite, cash > 0 else { throw InputError(file: "--cash", problem: "\(cash) is not a positive amount", remedy: "give the starting cash, e.g. --cash 10000") }
        return cash
    }

    func costs() throws -> CostSettings {
        var costs = CostSettings()
        func nonNegative(_ value: Double?, _ option: String) throws -> Double? {
            guard let value else { return nil }
            guard value.isFinite, value >= 0 else { throw InputError(file: option, problem: "\(value) must be a non-negative number") }
            return value
        }
        let bps = try nonNegative(commissionBps, "--commission-bps")
        let perShare = try nonNegative(commissionPerShare, "--commission-per-share")
        let minimum = try nonNegative(commissionMinimum, "--commission-minimum")
        let perOrder = try nonNegative(commissionPerOrder, "--commission-per-order")
        let given = [bps, perShare, perOrder].compactMap { $0 }
        if given.count > 1 {
            throw InputError(file: "--commission-bps", problem: "more than one commission model was given",
                             remedy: "use one of --commission-bps, --commission-per-share (with --commission-minimum) or --commission-per-order")
        }
        if minimum != nil, perShare == nil {
            throw InputError(file: "--commission-minimum", problem: "a minimum applies to --commission-per-share only")
        }
        if let bps { costs.commission = .bps(bps) }
        if let perShare { costs.commission = .perShare(rate: perShare, minimum: minimum ?? 0) }
        if let perOrder { costs.commission = .perOrder(perOrder) }
        if let slippage = try nonNegative(slippageBps, "--slippage-bps") { costs.slippage = .bps(slippage) }
        if let cap = participationCap {
            guard cap > 0, cap <= 1 else { throw InputError(file: "--participation-cap", problem: "\(cap) is not a fraction in (0, 1]") }
            costs.participationCap = cap
        }
        if let fill {
            guard let timing = CostSettings.FillTiming(rawValue: fill) else {
                throw InputError(file: "--fill", problem: "'\(fill)' is not a fill timing", remedy: "use next_open or next_close")
            }
            costs.fillTiming = timing
        }
        return costs
    }

    /// The rule desk, trading every symbol of the files.
    func makePolicy(symbols: [String], deskName: String?) throws -> any DeskPolicy {
        let name = deskName ?? "buy-and-hold"
        let smaOptions = [("--fast", fast != nil), ("--slow", slow != nil), ("--period", period != nil), ("--stake", stake != nil)].filter(\.1).map(\.0)
        if name != "sma-cross", let option = smaOptions.first {
            throw InputError(file: option, problem: "\(option) applies to --strategy sma-cross, not \(name)")
        }
        switch name {
        case "sma-cross":
            let signal: SMACrossDesk.Signal
            switch (fast, slow, period) {
            case let (fast?, slow?, nil): signal = .fastVersusSlow(fast: fast, slow: slow)
            case let (nil, nil, period?): signal = .closeVersusSMA(period: period)
            default:
                throw InputError(file: "--strategy", field: "sma-cross", problem: "needs either --fast and --slow, or --period alone",
                                 remedy: "e.g. --fast 10 --slow 30, or --period 15 for the close against SMA(15)")
            }
            let stake = self.stake ?? 1
            if let problem = SMACrossDesk.validate(signal, stake: stake) { throw InputError(file: "--strategy", field: "sma-cross", problem: problem) }
            return SMACrossDesk(signal: signal, stake: stake, symbols: symbols)
        case "buy-and-hold": return BuyAndHoldDesk(symbols: symbols)
        case "equal-weight": return EqualWeightDesk(period: .monthly, symbols: symbols)
        case "equal-weight-weekly": return EqualWeightDesk(period: .weekly, symbols: symbols)
        case "equal-weight-quarterly": return EqualWeightDesk(period: .quarterly, symbols: symbols)
        case "equal-weight-decision": return EqualWeightDesk(period: .decision, symbols: symbols)
        default:
            throw InputError(file: "--strategy", problem: "unknown rule desk '\(name)'", remedy: "use one of: \(Self.strategies.joined(separator: ", "))")
        }
    }

    func recordedOptions(policy: any DeskPolicy) -> JSONValue {
        var members: [JSONValue.Member] = [
            .init("mode", .string("data")),
            .init("files", .array(files.map(JSONValue.string))),
            .init("strategy", .string(policy.name)),
        ]
        if let desk = policy as? SMACrossDesk {
            members.append(.init("signal", .string(desk.signal.label)))
            members.append(.init("stake", .number(desk.stake)))
        }
        return .object(members)
    }
}

/// One `--data` argument: a file and the symbol it holds.
struct BarFileSource: Sendable, Hashable {
    var symbol: String
    var path: String

    init(symbol: String, path: String) {
        self.symbol = symbol
        self.path = path
    }

    /// Parses `path` or `SYMBOL=path`.
    init(_ argument: String) throws {
        if let equals = argument.firstIndex(of: "="), !FileManager.default.fileExists(atPath: argument) {
            symbol = String(argument[..<equals])
            path = String(argument[argument.index(after: equals)...])
        } else {
            path = argument
            symbol = ((argument as NSString).lastPathComponent as NSString).deletingPathExtension
        }
        guard !symbol.isEmpty, !symbol.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" }) else {
            throw InputError(file: argument, field: "--data", problem: "'\(symbol)' is not a usable symbol", remedy: "write SYMBOL=path with a symbol of letters, digits, '.', '^' or '-'")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw InputError(file: path, field: "--data", problem: "no such file", remedy: "give the path of a daily-bar CSV file")
        }
    }
}

/// The replay window of bar files; open ends take the data's first or last bar.
struct BarWindow: Sendable, Hashable {
    var from: Day?
    var to: Day?
}

/// Builds a scenario and its market data from bar files, for data-mode replays and benchmarks.
enum BarFileMarket {
    static func load(_ sources: [BarFileSource], window: BarWindow, initialCash: Double, costs: CostSettings, name: String) throws -> (Scenario, MarketData) {
        var loaded: [BarSeries] = []
        for source in sources { loaded.append(try BarFile.load(path: source.path, symbol: source.symbol)) }
        return try make(loaded, paths: sources.map(\.path), window: window, initialCash: initialCash, costs: costs, name: name)
    }

    /// Cuts `series` to the window (so nothing before `from` is visible, as with backtrader's `fromdate`) and
    /// wraps them in a long-only, daily-decision scenario whose benchmark is the first symbol.
    static func make(_ series: [BarSeries], paths: [String], window: BarWindow, initialCash: Double, costs: CostSettings, name: String) throws -> (Scenario, MarketData) {
        precondition(!series.isEmpty && series.count == paths.count)
        let from = window.from ?? series.compactMap(\.firstDay).min() ?? Day(daysSinceEpoch: 0)
        let to = window.to ?? series.compactMap(\.lastDay).max() ?? from
        guard from <= to else {
            throw InputError(file: paths[0], field: "--data", problem: "no bars between \(from) and \(to): the files end before --from",
                             remedy: "give a --from within the files' dates")
        }
        var cut: [String: BarSeries] = [:]
        var days = Set<Day>()
        for (one, path) in zip(series, paths) {
            let bars = Array(one.bars(in: from...to))
            guard !bars.isEmpty else {
                throw InputError(file: path, field: "--data", problem: "no bars between \(from) and \(to) (the file spans \(one.firstDay.map(\.iso) ?? "nothing")…\(one.lastDay.map(\.iso) ?? ""))",
                                 remedy: "widen --from/--to, or leave them out to use the whole file")
            }
            cut[one.symbol] = BarSeries(symbol: one.symbol, bars: bars)
            for bar in bars { days.insert(bar.day) }
        }
        let sessions = days.sorted()
        let universe = zip(series, paths).map { Instrument(symbol: $0.0.symbol, dataFile: $0.1) }
        let scenario = Scenario(name: name, description: "bar files replayed without a scenario file", file: "--data", universe: universe,
                                start: sessions.first!, end: sessions.last!, benchmark: series[0].symbol, initialCash: initialCash,
                                costs: costs, cadence: .daily)
        return (scenario, MarketData(series: cut, sessions: sessions))
    }
}

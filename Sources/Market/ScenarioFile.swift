import Foundation
import InputFiles

/// Reads scenario YAML files strictly: unknown keys, wrong types and impossible values are
/// errors that name the file, line and key.
///
/// ``load(path:)`` throws the first problem; ``check(path:)`` reads on past problems and returns
/// every one it finds (what `desk scenarios validate` prints).
public enum ScenarioFile {
    public static func load(path: String) throws -> Scenario {
        let root = try YAMLValue.read(path: path)
        return try read(root, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> Scenario {
        try read(YAMLValue.parse(data, file: path), path: path)
    }

    /// Reads a scenario file and reports every problem of the file itself (syntax, keys, types,
    /// values), in line order. The scenario is what could be read (defaults in place of bad values),
    /// nil when a required key is missing or unreadable; use it only when there are no errors. Data
    /// files are not opened (see ``ScenarioCheck`` for that).
    public static func check(path: String) -> (scenario: Scenario?, diagnostics: [Diagnostic]) {
        do {
            let root = try YAMLValue.read(path: path)
            return check(root, path: path)
        } catch let error as InputError {
            return (nil, [.error(error)])
        } catch {
            return (nil, [.error(InputError(file: path, problem: "\(error)"))])
        }
    }

    /// Checks YAML bytes; `path` labels errors and resolves relative data files.
    public static func check(_ data: Data, path: String) -> (scenario: Scenario?, diagnostics: [Diagnostic]) {
        do {
            return check(try YAMLValue.parse(data, file: path), path: path)
        } catch let error as InputError {
            return (nil, [.error(error)])
        } catch {
            return (nil, [.error(InputError(file: path, problem: "\(error)"))])
        }
    }

    static func check(_ root: YAMLValue, path: String) -> (scenario: Scenario?, diagnostics: [Diagnostic]) {
        let reader = Reader()
        let scenario = reader.scenario(root, path: path)
        let diagnostics = reader.problems.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map { Diagnostic.error($0.element) }
        return (scenario, diagnostics)
    }

    static func read(_ root: YAMLValue, path: String) throws -> Scenario {
        let reader = Reader()
        let scenario = reader.scenario(root, path: path)
        if let first = reader.problems.first { throw first }
        guard let scenario else { throw InputError(file: path, problem: "the scenario could not be read") }
        return scenario
    }

    static func day(_ value: YAMLValue) throws -> Day {
        let text = try value.string()
        guard let day = Day(text) else { throw value.error("'\(text)' is not a date", remedy: "write it as YYYY-MM-DD") }
        return day
    }

    /// Reads a scenario key by key, collecting problems and carrying on with defaults where it can.
    final class Reader {
        var problems: [InputError] = []

        /// Runs `body`, recording its error (if any) and returning nil instead.
        func attempt<T>(_ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch let error as InputError {
                problems.append(error)
            } catch {
                problems.append(InputError(file: "", problem: "\(error)"))
            }
            return nil
        }

        func finish(_ mapping: YAMLMapping) { problems += mapping.unknownKeys() }

        func scenario(_ root: YAMLValue, path: String) -> Scenario? {
            let folder = (path as NSString).deletingLastPathComponent
            func resolve(_ file: String) -> String {
                file.hasPrefix("/") || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
            }
            guard var top = attempt({ try root.mapping() }) else { return nil }

            let name = attempt { try top.required("name").string() }
            let description = attempt { try top.optional("description")?.string() ?? "" } ?? ""
            let startValue = attempt { try top.required("start") }
            let start = startValue.flatMap { v in attempt { try ScenarioFile.day(v) } }
            let endValue = attempt { try top.required("end") }
            let end = endValue.flatMap { v in attempt { try ScenarioFile.day(v) } }
            if let start, let end, let endValue, start > end {
                problems.append(endValue.error("end \(end) is before start \(start)"))
            }
            let warmupValue = attempt { try top.optional("warmup_sessions") } ?? nil
            var warmup = 0
            if let warmupValue, let n = attempt({ try warmupValue.int() }) {
                if n < 0 || n > 5_000 { problems.append(warmupValue.error("warmup_sessions must be between 0 and 5000")) } else { warmup = n }
            }

            var universe: [Instrument] = []
            let universeValue = attempt { try top.required("universe") }
            if let universeValue, let items = attempt({ try universeValue.list() }) {
                for item in items {
                    guard var fields = attempt({ try item.mapping() }) else { continue }
                    let symbolValue = attempt { try fields.required("symbol") }
                    var symbol = symbolValue.flatMap { v in attempt { try v.string() } }
                    if let s = symbol, let symbolValue {
                        if s.isEmpty || s.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" }) {
                            problems.append(symbolValue.error("'\(s)' is not a usable symbol", remedy: "use letters, digits, '.', '^' or '-'"))
                            symbol = nil
                        } else if universe.contains(where: { $0.symbol == s }) {
                            problems.append(symbolValue.error("\(s) is listed twice"))
                            symbol = nil
                        }
                    }
                    let file = attempt { resolve(try fields.required("file").string()) }
                    let instrumentName = attempt { try fields.optional("name")?.string() } ?? nil
                    let sector = attempt { try fields.optional("sector")?.string() } ?? nil
                    let tradable = attempt { try fields.optional("tradable")?.bool() ?? true } ?? true
                    let aliases = attempt { try fields.optional("aliases")?.listOrSingle().map { try $0.string() } ?? [] } ?? []
                    finish(fields)
                    if let symbol, let file {
                        universe.append(Instrument(symbol: symbol, name: instrumentName, sector: sector, dataFile: file, tradable: tradable, aliases: aliases))
                    }
                }
                if items.isEmpty { problems.append(universeValue.error("the universe is empty")) }
            }

            let benchmarkValue = attempt { try top.required("benchmark") }
            let benchmark = benchmarkValue.flatMap { v in attempt { try v.string() } }
            if let benchmark, let benchmarkValue, !universe.isEmpty, !universe.contains(where: { $0.symbol == benchmark }) {
                problems.append(benchmarkValue.error("benchmark \(benchmark) is not in the universe", remedy: "add it, with tradable: false if it cannot be traded"))
            }
            if !universe.isEmpty, !universe.contains(where: \.tradable), let universeValue {
                problems.append(universeValue.error("no symbol of the universe is tradable", remedy: "mark at least one symbol tradable"))
            }
            let cashValue = attempt { try top.optional("initial_cash") } ?? nil
            var initialCash = 1_000_000.0
            if let cashValue, let x = attempt({ try cashValue.double() }) {
                if x > 0 { initialCash = x } else { problems.append(cashValue.error("initial_cash must be positive")) }
            }
            let fractional = attempt { try top.optional("fractional_shares")?.bool() ?? false } ?? false
            let costs = attempt { try top.optional("costs").map(ScenarioFile.readCosts) ?? CostSettings() } ?? CostSettings()
            let constraints = attempt { try top.optional("constraints").map(ScenarioFile.readConstraints) ?? PortfolioConstraints() } ?? PortfolioConstraints()
            let cadence = attempt { try top.optional("cadence").map(ScenarioFile.readCadence) ?? .daily } ?? .daily
            if case let .dates(days) = cadence, let start, let end, let outside = days.first(where: { $0 < start || $0 > end }) {
                if let value = attempt({ try top.optional("cadence") }) ?? nil {
                    problems.append(value.error("decision date \(outside) is outside \(start)…\(end)", remedy: "list days within the scenario window"))
                }
            }
            let news = fileList(&top, "news", resolve)
            let macro = fileList(&top, "macro", resolve)
            let desk = attempt { try top.optional("desk")?.string() } ?? nil
            let blind = attempt { try top.optional("blind").flatMap(ScenarioFile.readBlind) } ?? nil
            finish(top)

            guard let name, let start, let end, let benchmark, !universe.isEmpty else { return nil }
            return Scenario(name: name, description: description, file: path, universe: universe, start: start, end: end,
                            warmupSessions: warmup, benchmark: benchmark, initialCash: initialCash, fractionalShares: fractional,
                            costs: costs, constraints: constraints, cadence: cadence, newsFiles: news, desk: desk,
                            macroFiles: macro, blind: blind)
        }

        private func fileList(_ top: inout YAMLMapping, _ key: String, _ resolve: (String) -> String) -> [String] {
            guard let value = attempt({ try top.optional(key) }) ?? nil, let items = attempt({ try value.listOrSingle() }) else { return [] }
            return items.compactMap { item in attempt { resolve(try item.string()) } }
        }
    }

    /// `blind: true`, `blind: false`, or `blind: {seed, rename, shift_dates, scale_prices, hide_sectors, news}`.
    static func readBlind(_ value: YAMLValue) throws -> BlindSettings? {
        if let flag = try? value.bool() { return flag ? BlindSettings() : nil }
        var fields = try value.mapping()
        var settings = BlindSettings()
        if let seed = try fields.optional("seed") {
            let n = try seed.int()
            guard n >= 0 else { throw seed.error("the seed must not be negative") }
            settings.seed = UInt64(n)
        }
        if let v = try fields.optional("rename") { settings.renameSymbols = try v.bool() }
        if let v = try fields.optional("shift_dates") { settings.shiftDates = try v.bool() }
        if let v = try fields.optional("scale_prices") { settings.scalePrices = try v.bool() }
        if let v = try fields.optional("hide_sectors") { settings.hideSectors = try v.bool() }
        if let v = try fields.optional("news") {
            let text = try v.string()
            guard let policy = BlindSettings.NewsPolicy(rawValue: text) else { throw v.error("'\(text)' is not masked or omit") }
            settings.news = policy
        }
        try fields.finish()
        return settings
    }

    static func nonNegative(_ value: YAMLValue) throws -> Double {
        let x = try value.double()
        guard x >= 0 else { throw value.error("must not be negative") }
        return x
    }

    static func fraction(_ value: YAMLValue, upTo limit: Double = 1) throws -> Double {
        let x = try value.double()
        guard x >= 0, x <= limit else { throw value.error("must be between 0 and \(JSONStyle.number(limit))") }
        return x
    }

    static func readCosts(_ value: YAMLValue) throws -> CostSettings {
        var fields = try value.mapping()
        var costs = CostSettings()
        if let commission = try fields.optional("commission") {
            if (try? commission.string()) == "none" {
                costs.commission = .none
            } else {
                var c = try commission.mapping()
                if let rate = try c.optional("per_share") {
                    costs.commission = .perShare(rate: try nonNegative(rate), minimum: try c.optional("minimum").map(nonNegative) ?? 0)
                } else if let bps = try c.optional("bps") {
                    costs.commission = .bps(try nonNegative(bps))
                } else if let amount = try c.optional("per_order") {
                    costs.commission = .perOrder(try nonNegative(amount))
                } else {
                    throw commission.error("a commission needs one of per_share (with optional minimum), bps or per_order")
                }
                try c.finish()
            }
        }
        if let slippage = try fields.optional("slippage") {
            if (try? slippage.string()) == "none" {
                costs.slippage = .none
            } else {
                var s = try slippage.mapping()
                if let bps = try s.optional("bps") {
                    costs.slippage = .bps(try nonNegative(bps))
                } else if let coefficient = try s.optional("volume_share") {
                    costs.slippage = .volumeShare(coefficient: try nonNegative(coefficient))
                } else {
                    throw slippage.error("slippage needs bps or volume_share")
                }
                try s.finish()
            }
        }
        if let cap = try fields.optional("participation_cap") {
            let x = try fraction(cap)
            guard x > 0 else { throw cap.error("must be above 0") }
            costs.participationCap = x
        }
        if let fill = try fields.optional("fill") {
            let text = try fill.string()
            guard let timing = CostSettings.FillTiming(rawValue: text) else { throw fill.error("'\(text)' is not next_open or next_close") }
            costs.fillTiming = timing
        }
        if let borrow = try fields.optional("borrow_bps") { costs.borrowBps = try nonNegative(borrow) }
        try fields.finish()
        return costs
    }

    static func readConstraints(_ value: YAMLValue) throws -> PortfolioConstraints {
        var fields = try value.mapping()
        var c = PortfolioConstraints()
        if let v = try fields.optional("long_only") { c.longOnly = try v.bool() }
        if let v = try fields.optional("max_weight") { c.maxWeight = try fraction(v, upTo: 10) }
        if let v = try fields.optional("max_gross") { c.maxGross = try fraction(v, upTo: 10) }
        if let v = try fields.optional("max_net") { c.maxNet = try fraction(v, upTo: 10) }
        if let v = try fields.optional("cash_buffer") { c.cashBuffer = try fraction(v) }
        if let v = try fields.optional("max_turnover") { c.maxTurnover = try fraction(v, upTo: 20) }
        if let v = try fields.optional("max_order_volume_share") { c.maxOrderVolumeShare = try fraction(v) }
        if let v = try fields.optional("allow_margin") { c.allowMargin = try v.bool() }
        try fields.finish()
        return c
    }

    static func readCadence(_ value: YAMLValue) throws -> Cadence {
        if let items = try? value.list() {
            let days = try items.map(day)
            guard !days.isEmpty else { throw value.error("the list of decision dates is empty") }
            return .dates(days.sorted())
        }
        switch try value.string() {
        case "daily": return .daily
        case "weekly": return .weekly
        case "monthly": return .monthly
        case let other: throw value.error("'\(other)' is not a cadence", remedy: "use daily, weekly, monthly or a list of dates")
        }
    }
}

enum JSONStyle {
    static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

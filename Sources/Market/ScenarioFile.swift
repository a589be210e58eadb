import Foundation
import InputFiles

/// Reads scenario YAML files strictly: unknown keys, wrong types and impossible values are
/// errors that name the file, line and key.
public enum ScenarioFile {
    public static func load(path: String) throws -> Scenario {
        let root = try YAMLValue.read(path: path)
        return try read(root, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> Scenario {
        try read(YAMLValue.parse(data, file: path), path: path)
    }

    static func day(_ value: YAMLValue) throws -> Day {
        let text = try value.string()
        guard let day = Day(text) else { throw value.error("'\(text)' is not a date", remedy: "write it as YYYY-MM-DD") }
        return day
    }

    static func read(_ root: YAMLValue, path: String) throws -> Scenario {
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
        }

        var top = try root.mapping()
        let name = try top.required("name").string()
        let description = try top.optional("description")?.string() ?? ""
        let startValue = try top.required("start")
        let start = try day(startValue)
        let endValue = try top.required("end")
        let end = try day(endValue)
        guard start <= end else { throw endValue.error("end \(end) is before start \(start)") }
        let warmup = try top.optional("warmup_sessions")?.int() ?? 0
        guard warmup >= 0 else { throw root.error("warmup_sessions must not be negative") }

        let universeValue = try top.required("universe")
        var universe: [Instrument] = []
        for item in try universeValue.list() {
            var fields = try item.mapping()
            let symbolValue = try fields.required("symbol")
            let symbol = try symbolValue.string()
            guard !symbol.isEmpty, !symbol.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" }) else {
                throw symbolValue.error("'\(symbol)' is not a usable symbol", remedy: "use letters, digits, '.', '^' or '-'")
            }
            if universe.contains(where: { $0.symbol == symbol }) { throw symbolValue.error("\(symbol) is listed twice") }
            let file = resolve(try fields.required("file").string())
            let instrument = Instrument(symbol: symbol, name: try fields.optional("name")?.string(), sector: try fields.optional("sector")?.string(),
                                        dataFile: file, tradable: try fields.optional("tradable")?.bool() ?? true)
            try fields.finish()
            universe.append(instrument)
        }
        guard !universe.isEmpty else { throw universeValue.error("the universe is empty") }

        let benchmarkValue = try top.required("benchmark")
        let benchmark = try benchmarkValue.string()
        guard universe.contains(where: { $0.symbol == benchmark }) else {
            throw benchmarkValue.error("benchmark \(benchmark) is not in the universe", remedy: "add it, with tradable: false if it cannot be traded")
        }
        let cashValue = try top.optional("initial_cash")
        let initialCash = try cashValue?.double() ?? 1_000_000
        guard initialCash > 0 else { throw (cashValue ?? root).error("initial_cash must be positive") }
        let fractional = try top.optional("fractional_shares")?.bool() ?? false

        let costs = try top.optional("costs").map(readCosts) ?? CostSettings()
        let constraints = try top.optional("constraints").map(readConstraints) ?? PortfolioConstraints()
        let cadence = try top.optional("cadence").map(readCadence) ?? .daily
        let news = try top.optional("news")?.listOrSingle().map { resolve(try $0.string()) } ?? []
        let desk = try top.optional("desk")?.string()
        try top.finish()

        return Scenario(name: name, description: description, file: path, universe: universe, start: start, end: end,
                        warmupSessions: warmup, benchmark: benchmark, initialCash: initialCash, fractionalShares: fractional,
                        costs: costs, constraints: constraints, cadence: cadence, newsFiles: news, desk: desk)
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

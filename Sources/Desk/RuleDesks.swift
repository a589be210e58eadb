import Exchange
import InputFiles
import JournalRecords
import LanguageModel
import Market

/// Buys the universe in equal weights at the first decision and never trades again.
///
/// The universe is the scenario's tradable symbols without the benchmark (unless the benchmark
/// is the only tradable symbol).
public struct BuyAndHoldDesk: DeskPolicy {
    public let name = "buy-and-hold"
    public var symbols: [String]?

    public init(symbols: [String]? = nil) { self.symbols = symbols }

    public func decide(_ context: DecisionContext) async throws -> DeskProposal {
        guard context.decisionIndex == 0 else { return .keepBook }
        let universe = symbols ?? RuleDesks.defaultUniverse(context.scenario)
        return RuleDesks.equalWeight(universe, role: name)
    }
}

/// Holds the universe in equal weights, rebalancing at the first decision of each period.
public struct EqualWeightDesk: DeskPolicy {
    public enum Period: String, Sendable, CaseIterable { case decision, weekly, monthly, quarterly }
    public let name: String
    public var period: Period
    public var symbols: [String]?

    public init(period: Period = .monthly, symbols: [String]? = nil) {
        self.period = period
        self.symbols = symbols
        self.name = period == .monthly ? "equal-weight" : "equal-weight-\(period.rawValue)"
    }

    public func decide(_ context: DecisionContext) async throws -> DeskProposal {
        let sessions = context.feed.pastSessions.filter { $0 >= context.scenario.start }
        // Rebalance on the first session of each period (and on the first decision).
        if context.decisionIndex > 0, sessions.count >= 2 {
            let today = sessions[sessions.count - 1], yesterday = sessions[sessions.count - 2]
            let samePeriod: Bool
            switch period {
            case .decision: samePeriod = false
            case .weekly: samePeriod = today.isoWeek == yesterday.isoWeek
            case .monthly: samePeriod = today.month == yesterday.month && today.year == yesterday.year
            case .quarterly: samePeriod = (today.month - 1) / 3 == (yesterday.month - 1) / 3 && today.year == yesterday.year
            }
            if samePeriod { return .keepBook }
        }
        return RuleDesks.equalWeight(symbols ?? RuleDesks.defaultUniverse(context.scenario), role: name)
    }
}

/// The built-in rule desks, by name.
public enum RuleDesks {
    public static let names = ["buy-and-hold", "equal-weight", "equal-weight-weekly", "equal-weight-quarterly", "equal-weight-decision", "benchmark", "sma-cross"]

    /// A rule desk by name, or nil when the name is not a built-in rule desk.
    public static func named(_ name: String, scenario: Scenario) -> (any DeskPolicy)? {
        switch name {
        case "buy-and-hold": return BuyAndHoldDesk()
        case "benchmark": return BenchmarkDesk()
        case "sma-cross": return SMACrossDesk(signal: .fastVersusSlow(fast: 10, slow: 30), stake: 100)
        case "equal-weight": return EqualWeightDesk(period: .monthly)
        case "equal-weight-weekly": return EqualWeightDesk(period: .weekly)
        case "equal-weight-quarterly": return EqualWeightDesk(period: .quarterly)
        case "equal-weight-decision": return EqualWeightDesk(period: .decision)
        default: return nil
        }
    }

    static func defaultUniverse(_ scenario: Scenario) -> [String] {
        let tradable = scenario.tradableSymbols
        let withoutBenchmark = tradable.filter { $0 != scenario.benchmark }
        return withoutBenchmark.isEmpty ? tradable : withoutBenchmark
    }

    static func equalWeight(_ symbols: [String], role: String) -> DeskProposal {
        let weight = symbols.isEmpty ? 0 : 1 / Double(symbols.count)
        let targets = TargetWeights(Dictionary(uniqueKeysWithValues: symbols.map { ($0, weight) }))
        var activity = StepActivity()
        activity.record(DecisionRecord(role: role, stage: "decision", output: .object([.init("targets", targets.json)]),
                                       rationale: "equal weight across \(symbols.count) symbols"))
        return DeskProposal(targets: targets, activity: activity)
    }
}

/// Buys the scenario's benchmark with all investable cash at the first decision and holds it.
public struct BenchmarkDesk: DeskPolicy {
    public let name = "benchmark"
    public init() {}
    public func decide(_ context: DecisionContext) async throws -> DeskProposal {
        guard context.decisionIndex == 0 else { return .keepBook }
        guard context.scenario.tradableSymbols.contains(context.scenario.benchmark) else {
            throw InputError(file: context.scenario.file, field: "benchmark",
                             problem: "benchmark \(context.scenario.benchmark) is not tradable, so it cannot be bought",
                             remedy: "use another desk, or make the benchmark tradable")
        }
        return RuleDesks.equalWeight([context.scenario.benchmark], role: name)
    }
}

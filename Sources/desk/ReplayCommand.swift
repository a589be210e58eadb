import ArgumentParser
import Desk
import Foundation
import InputFiles
import Journal
import JournalRecords
import LanguageModel
import Market

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a scenario with a desk and journal every step.",
        discussion: """
            SCENARIO is a scenario file (scenarios/covid-crash-2020.yaml) or the name of a bundled one (covid-crash-2020).
            DESK is a built-in rule desk (\(RuleDesks.names.joined(separator: ", "))), the name of a desk file in \
            scenarios/desks (default, macro), or a path to one. Agent desks think with --model (default: the desk \
            file's model, else smollm2).
            Without a scenario, --data FILE (repeatable) replays daily-bar files with a rule desk, e.g.
              desk replay --data a.csv --data b.csv --strategy sma-cross --fast 10 --slow 30 --stake 100 --json
            """
    )

    @Argument(help: ArgumentHelp("Scenario file or bundled scenario name (or use --data; not needed with --resume).", valueName: "scenario"))
    var scenario: String?

    @Option(help: ArgumentHelp("The desk to run: a rule desk, a desk file name (scenarios/desks) or path.", valueName: "name"))
    var desk: String?

    @Option(help: ArgumentHelp("The model agent desks think with: smollm2, PATH.gguf or openai:URL#MODEL.", valueName: "spec"))
    var model: String?

    @Option(help: "Seed for every random choice of the run.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Pause after each step, e.g. 50ms or 1s (to watch a replay).", valueName: "duration"))
    var pace: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Resume an unfinished run of the journal from its last committed step (scenario, desk and seed come from the run).", valueName: "run"))
    var resume: Int64?

    @Flag(help: "Also replay the run's baselines now (else `desk compare` and `desk report` replay them when first needed).")
    var baselines = false

    @OptionGroup var journalOptions: JournalOptions

    @OptionGroup(title: "Model calls: cache, budgets and timeouts") var modelRun: ModelRunOptions

    @OptionGroup(title: "Replaying bar files without a scenario (--data)") var dataMode: ReplayDataMode

    func validate() throws {
        if scenario == nil && resume == nil && !dataMode.isActive { throw ValidationError("give a scenario to replay, --data FILE, or --resume RUN") }
    }

    func run() async throws {
        try await reportingErrors {
            if let resume { try await resumeRun(RunID(resume)) } else { try await replay() }
        }
    }

    private func replay() async throws {
        if dataMode.isActive { return try await dataMode.replay(self) }
        guard let scenarioName = scenario else {
            throw InputError(file: "desk replay", problem: "no scenario was given", remedy: "name a scenario file (or a bundled one such as covid-crash-2020), or replay bar files with --data FILE")
        }
        do {
            let path = try ScenarioLocator.resolve(scenarioName)
            let scenario = try ScenarioFile.load(path: path)
            let data = try MarketData.load(scenario)
            let deskName = desk ?? scenario.desk ?? "buy-and-hold"
            let policy = try await DeskResolver.policy(deskName, scenario: scenario, model: model, origin: desk == nil ? scenario.file : "--desk",
                                                       callTimeout: try modelRun.timeout())
            let budget = try modelRun.budget(for: policy)
            let isAgentDesk = policy is AgentDesk
            let pace = try self.pace.map { try DurationParser.parse($0) }
            let journal = try journalOptions.open()
            let showProgress = Terminal.stderrIsTTY && !json
            let name = scenario.name
            let progress = showProgress ? ProgressBar.reporter(name, showsModel: isAgentDesk) : nil
            var recordedMembers: [JSONValue.Member] = [.init("cadence", .string(String(describing: scenario.cadence)))]
            if let file = (policy as? AgentDesk)?.definition.file { recordedMembers.append(.init("desk_file", .string(file))) }
            if isAgentDesk, let model { recordedMembers.append(.init("model", .string(model))) }
            if isAgentDesk {
                recordedMembers.append(.init("cache", .string(modelRun.cache.rawValue)))
                if !budget.isUnlimited { recordedMembers.append(.init("budget", budget.json)) }
                if let timeout = try modelRun.timeout() { recordedMembers.append(.init("call_timeout", .string(PromptFormat.duration(timeout)))) }
            }
            let recorded = JSONValue.object(recordedMembers)
            let options = ReplayOptions(seed: seed, codeVersion: DeskVersion.current, pace: pace, progress: progress, recordedOptions: recorded,
                                        cacheMode: modelRun.cache, stop: StopSignals.install(), budget: budget)
            let orchestrator = Orchestrator(scenario: scenario, data: data, policy: policy, journal: journal, options: options)
            let started = ContinuousClock.now
            let outcome = try await StopSignals.reportingStop(journal: journal) { try await orchestrator.run() }
            let wall = ContinuousClock.now - started
            Terminal.clearStatus()
            let equity = try journal.equity(of: outcome.run)
            var summary = ReplaySummary(scenario: scenario, deskName: policy.name, seed: seed, journalPath: journal.path,
                                        run: outcome.run, equity: equity, fills: outcome.summary.fills,
                                        agents: isAgentDesk ? try journal.agentUsage(of: outcome.run) : nil,
                                        models: policy.models)
            summary.wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
            if baselines { summary.baselines = try await ReplayBaselines.compute(for: outcome, scenario: scenario, data: data, journal: journal) }
            print(try dataMode.render(summary, journal: journal, json: json))
        }
    }
}

/// Finds a scenario file from what the user typed.
enum ScenarioLocator {
    static func resolve(_ argument: String) throws -> String {
        let manager = FileManager.default
        if manager.fileExists(atPath: argument) { return argument }
        if !argument.contains("/") && !argument.hasSuffix(".yaml") {
            for folder in ["scenarios", bundledScenarios] {
                let candidate = (folder as NSString).appendingPathComponent(argument + ".yaml")
                if manager.fileExists(atPath: candidate) { return candidate }
            }
        }
        throw InputError(file: argument, problem: "no such scenario file",
                         remedy: "give a path to a .yaml file, or a bundled name such as covid-crash-2020 (run from the project folder)")
    }

    /// The `scenarios` folder next to the executable's package, for runs from another directory.
    static var bundledScenarios: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("scenarios")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) { return candidate.path }
        }
        return "scenarios"
    }
}

enum DurationParser {
    static func parse(_ text: String, option: String = "--pace") throws -> Duration {
        if let duration = DurationText.parse(text) { return duration }
        throw InputError(file: option, problem: "'\(text)' is not a duration", remedy: "write e.g. 50ms, 0.5s, 10m or 1h")
    }
}

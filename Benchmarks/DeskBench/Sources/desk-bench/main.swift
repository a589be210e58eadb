import Desk
import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Market

/// Measures what an agent desk costs besides the model, on the bundled covid-crash-2020 scenario
/// (104 sessions, 103 decisions) with the default desk and the SQLite journal:
/// - rule desk: buy-and-hold through the same orchestrator and journal (the reference);
/// - agent desk, cold: every role asked, the model replaced by an instant scripted reader, so the
///   time is tools, prompts, parsing, risk limits, order checks and journalling;
/// - agent desk, warm: every call served from the journal's call cache (no model at all), which
///   is what a re-run of a finished scenario costs whatever the model.
/// Each figure is the median of `repetitions` runs.

struct Figures {
    var seconds: Double
    var modelCalls: Int
    var cacheHits: Int
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : FileManager.default.currentDirectoryPath)
let repetitions = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 3 : 3
let scenario = try ScenarioFile.load(path: root.appendingPathComponent("scenarios/covid-crash-2020.yaml").path)
let data = try MarketData.load(scenario)
let definition = try DeskFile.load(path: root.appendingPathComponent("scenarios/desks/default.yaml").path)
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("desk-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let journal = try SQLiteJournal(path: folder.appendingPathComponent("bench.sqlite").path)

func replay(_ policy: any DeskPolicy, cache: CallCacheMode) async throws -> Figures {
    let start = ContinuousClock.now
    let outcome = try await Orchestrator(scenario: scenario, data: data, policy: policy, journal: journal,
                                         options: ReplayOptions(seed: 1, cacheMode: cache)).run()
    let elapsed = seconds(since: start)
    let usage = try journal.agentUsage(of: outcome.run)
    return Figures(seconds: elapsed, modelCalls: usage.modelCalls, cacheHits: usage.cacheHits)
}

var rule: [Double] = [], cold: [Double] = [], warm: [Double] = []
var coldFigures = Figures(seconds: 0, modelCalls: 0, cacheHits: 0), warmFigures = coldFigures
var promptCharacters: [String: [Int]] = [:]
for _ in 0..<repetitions {
    rule.append(try await replay(BuyAndHoldDesk(), cache: .off).seconds)
    let reader = ReadingModel.make()
    coldFigures = try await replay(try AgentDesk(definition: definition, models: ModelRoster(reader)), cache: .off)
    cold.append(coldFigures.seconds)
    promptCharacters = [:]
    for request in reader.requests {
        promptCharacters[RoleScript.role(of: request) ?? "?", default: []].append(request.messages.reduce(0) { $0 + $1.content.count })
    }
    // The warm run's model is the same reader (same digest, so the same cache keys); it must not be asked.
    let untouched = ReadingModel.make()
    warmFigures = try await replay(try AgentDesk(definition: definition, models: ModelRoster(untouched)), cache: .reuse)
    warm.append(warmFigures.seconds)
    precondition(untouched.requests.isEmpty && warmFigures.cacheHits == warmFigures.modelCalls, "the warm run asked the model")
}

let decisions = Double(data.sessions.count - 1)
func line(_ name: String, _ s: Double, _ calls: String) -> String {
    name.padding(toLength: 30, withPad: " ", startingAt: 0)
        + String(format: "%8.3f s  %7.1f ms/decision  %8.0f sessions/min  ", s, s / decisions * 1000, Double(data.sessions.count) / s * 60) + calls
}
print("covid-crash-2020: \(data.sessions.count) sessions, \(Int(decisions)) decisions; median of \(repetitions) runs; SQLite journal in \(folder.path)")
print(line("rule desk (buy-and-hold)", median(rule), "-"))
print(line("agent desk, cold (no model)", median(cold), "\(coldFigures.modelCalls) model calls, model time excluded"))
print(line("agent desk, warm cache", median(warm), "\(warmFigures.modelCalls) calls, all from the cache"))
print(String(format: "agent desk overhead per decision beyond the rule desk: %.1f ms cold, %.1f ms warm",
             (median(cold) - median(rule)) / decisions * 1000, (median(warm) - median(rule)) / decisions * 1000))
for role in promptCharacters.keys.sorted() {
    let sizes = promptCharacters[role]!
    print("prompt characters, " + role.padding(toLength: 18, withPad: " ", startingAt: 0)
          + String(format: " mean %5.0f  max %5d  (%d calls)", Double(sizes.reduce(0, +)) / Double(sizes.count), sizes.max() ?? 0, sizes.count))
}

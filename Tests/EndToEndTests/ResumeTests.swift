import DeskTesting
import Foundation
import Journal
import JournalRecords
import LanguageModel
import Testing

/// Killing, stopping and resuming replays of the built `desk`, and several replays on one journal.
@Suite(.serialized) struct ResumeTests {
    static let replay = ["replay", "covid-crash-2020", "--desk", "equal-weight-decision", "--seed", "3"]

    @Test func aReplayKilledMidStepResumesToTheJournalOfAnUninterruptedRun() async throws {
        let file = JournalFile()
        let reference = try await DeskProcess.run(ResumeTests.replay + ["--journal", file.path])
        #expect(reference.status == 0, "\(reference.stderr)")
        let uninterrupted = RunID(1), killed = RunID(2)

        // Killed inside step 40's transaction: its rows are written but not committed.
        let first = try DeskChild(ResumeTests.replay + ["--journal", file.path, "--pace", "10ms"], environment: ["DESK_JOURNAL_STALL_IN_COMMIT": "40"])
        try await waitUntil("the writer to stall in step 40") { first.stderr.contains("stalled inside a step's transaction") }
        first.signal(SIGKILL)
        #expect(try await first.wait().signalled)
        let journal = try file.open()
        #expect(try journal.stepCount(of: killed) == 40)
        #expect(try journal.run(killed).status == .running)
        // Nothing of step 40 is in any table.
        let counts = try journal.rowCounts(of: killed)
        #expect(counts["steps"] == 40 && counts["equity"] == 40)
        #expect(try journal.steps(of: killed, in: 40...200).isEmpty)
        #expect(try journal.verify(killed).isEmpty)

        // Resumed, then killed again at whatever point it has reached (mid-step or between steps).
        // Paced so that it is still running when the test, polling the journal, sees step 60 (4 s to spare).
        let second = try DeskChild(["replay", "--resume", "2", "--journal", file.path, "--pace", "100ms"])
        try await waitUntil("the resumed run to pass step 60") { file.steps(killed) >= 60 }
        second.signal(SIGKILL)
        #expect(try await second.wait().signalled)
        let reached = try journal.stepCount(of: killed)
        #expect(reached >= 60 && reached < 104)

        // Resumed to the end.
        let last = try await DeskProcess.run(["replay", "--resume", "2", "--journal", file.path, "--json"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(last.stderr.contains("resumed run 2 after \(reached) committed steps"))
        let row = try journal.run(killed)
        #expect(row.status == .completed && row.resumes == 2)

        // Identical in decisions, orders, fills and equity: every step's digest, and every record.
        #expect(try journal.stepDigests(of: killed) == journal.stepDigests(of: uninterrupted))
        #expect(try journal.steps(of: killed) == journal.steps(of: uninterrupted))
        #expect(try journal.orders(of: killed) == journal.orders(of: uninterrupted))
        #expect(try journal.rowCounts(of: killed) == journal.rowCounts(of: uninterrupted))
        #expect(row.summary == (try journal.run(uninterrupted)).summary)
        #expect(try journal.verify(killed).isEmpty)
        let summary = try JSONValue(parsing: last.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["final_value"]?.numberValue == row.summary?.finalEquity)
    }

    @Test func signalsFinishTheStepMarkTheRunStoppedAndItResumes() async throws {
        let file = JournalFile()
        let run = RunID(1)
        let child = try DeskChild(ResumeTests.replay + ["--journal", file.path, "--pace", "60ms"])
        try await waitUntil("ten steps") { file.steps(run) >= 10 }
        child.signal(SIGTERM)
        let ended = try await child.wait()
        #expect(!ended.signalled && ended.status == 143)
        #expect(child.stderr.contains("resume with: desk replay --resume 1"))
        let journal = try file.open()
        var row = try journal.run(run)
        #expect(row.status == .stopped)
        #expect(row.reason?.contains("SIGTERM") == true)
        let stoppedAt = try journal.stepCount(of: run)
        #expect(stoppedAt >= 10 && stoppedAt < 104)
        #expect(row.summary?.sessions == stoppedAt)
        #expect(try journal.verify(run).isEmpty)

        let resumed = try DeskChild(["replay", "--resume", "1", "--journal", file.path, "--pace", "60ms"])
        try await waitUntil("more steps") { file.steps(run) >= stoppedAt + 5 }
        resumed.signal(SIGINT)
        #expect(try await resumed.wait().status == 130)
        row = try journal.run(run)
        #expect(row.status == .stopped && row.reason?.contains("SIGINT") == true)

        let finish = try await DeskProcess.run(["replay", "--resume", "1", "--journal", file.path])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(try journal.run(run).status == .completed)
        #expect(try journal.stepCount(of: run) == 104)

        // Against a run that was never interrupted.
        let reference = try await DeskProcess.run(ResumeTests.replay + ["--journal", file.path])
        #expect(reference.status == 0)
        #expect(try journal.stepDigests(of: run) == journal.stepDigests(of: RunID(2)))
    }

    @Test func resumingACompletedOrUnknownRunIsRefusedClearly() async throws {
        let file = JournalFile()
        #expect(try await DeskProcess.run(ResumeTests.replay + ["--journal", file.path]).status == 0)
        let completed = try await DeskProcess.run(["replay", "--resume", "1", "--journal", file.path])
        #expect(completed.status != 0)
        #expect(completed.stderr.contains("run 1 is completed; there is nothing to resume"))
        #expect(completed.stderr.split(separator: "\n").count == 1)
        let unknown = try await DeskProcess.run(["replay", "--resume", "9", "--journal", file.path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no run 9"))
        let nothing = try await DeskProcess.run(["replay", "--journal", file.path])
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("--resume"))
    }

    @Test func aResumeRefusesAScenarioThatChangedAndWritesNothing() async throws {
        // A copy of the scenario and its data, which the test then edits.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manager = FileManager.default
        try manager.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try manager.copyItem(at: Fixtures.packageRoot.appendingPathComponent("scenarios/covid-crash-2020.yaml"), to: folder.appendingPathComponent("covid.yaml"))
        try manager.copyItem(at: Fixtures.packageRoot.appendingPathComponent("scenarios/data/covid-crash-2020"),
                             to: folder.appendingPathComponent("data/covid-crash-2020"))
        let file = JournalFile()
        let child = try DeskChild(["replay", folder.appendingPathComponent("covid.yaml").path, "--desk", "equal-weight", "--journal", file.path, "--pace", "60ms"])
        try await waitUntil("five steps") { file.steps(RunID(1)) >= 5 }
        child.signal(SIGINT)
        #expect(try await child.wait().status == 130)
        let journal = try file.open()
        let before = try journal.stepCount(of: RunID(1))

        // One close of one symbol, a cent higher.
        let csv = folder.appendingPathComponent("data/covid-crash-2020/AAPL.csv")
        var lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let row = try #require(lines.firstIndex { $0.hasPrefix("2020-03-02") })
        var cells = lines[row].split(separator: ",").map(String.init)
        let close = try #require(Double(cells[4]))
        cells[4] = String(format: "%.4f", close + 0.01)
        lines[row] = cells.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)

        let refused = try await DeskProcess.run(["replay", "--resume", "1", "--journal", file.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("has changed since it began"))
        #expect(try journal.stepCount(of: RunID(1)) == before)
        #expect(try journal.run(RunID(1)).status == .stopped)

        // A scenario file that is gone: the error says how to name it.
        try manager.removeItem(at: folder.appendingPathComponent("covid.yaml"))
        let gone = try await DeskProcess.run(["replay", "--resume", "1", "--journal", file.path])
        #expect(gone.status != 0)
        #expect(gone.stderr.contains("desk replay FILE --resume 1"))
    }

    @Test func fourReplaysWriteOneJournalAtOnceWhileItIsReadAndLoseNoRow() async throws {
        let desks = ["buy-and-hold", "equal-weight", "equal-weight-weekly", "equal-weight-decision"]
        // Each desk alone, for reference.
        let alone = JournalFile()
        for (seed, desk) in desks.enumerated() {
            #expect(try await DeskProcess.run(["replay", "covid-crash-2020", "--desk", desk, "--seed", String(seed), "--journal", alone.path]).status == 0)
        }
        // The four at once on a new file, paced so that they overlap, and read while they write.
        let shared = JournalFile()
        let children = try desks.enumerated().map { seed, desk in
            try DeskChild(["replay", "covid-crash-2020", "--desk", desk, "--seed", String(seed), "--journal", shared.path, "--pace", "20ms"])
        }
        var reads = 0
        while children.contains(where: { $0.process.isRunning }) {
            guard FileManager.default.fileExists(atPath: shared.path) else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            let runs = try await DeskProcess.run(["runs", "--journal", shared.path, "--format", "json"])
            #expect(runs.status == 0, "\(runs.stderr)")
            #expect((try? JSONValue(parsing: runs.stdout))?.arrayValue != nil, "\(runs.stdout)")
            let logs = try await DeskProcess.run(["logs", "last", "--journal", shared.path, "--kind", "fill", "--format", "jsonl"])
            #expect(logs.status == 0 || logs.stderr.contains("no runs in"), "\(logs.stderr)")
            for line in logs.stdout.split(separator: "\n") { #expect((try? JSONValue(parsing: String(line)))?["kind"] == .string("fill")) }
            reads += 1
        }
        for child in children {
            let ended = try await child.wait()
            #expect(ended.status == 0, "\(child.stderr)")
        }
        // Paced at 20 ms a step (about 2 s a run), the readers overlap the writers even on a loaded machine.
        #expect(reads >= 1)

        let journal = try shared.open(), reference = try alone.open()
        let runs = try journal.runs()
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { $0.status == .completed })
        for run in runs {
            let twin = try #require(try reference.runs().first { $0.desk == run.desk })
            #expect(try journal.stepCount(of: run.id) == 104)
            #expect(try journal.rowCounts(of: run.id) == reference.rowCounts(of: twin.id), "\(run.desk)")
            #expect(try journal.stepDigests(of: run.id) == reference.stepDigests(of: twin.id), "\(run.desk)")
            #expect(try journal.verify(run.id).isEmpty)
        }
    }
}

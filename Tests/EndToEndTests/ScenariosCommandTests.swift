import DeskTesting
import Foundation
import Testing

@Suite(.serialized) struct ScenariosCommandTests {
    @Test func listAndShowTheBundledScenarios() throws {
        let list = try DeskProcess.run(["scenarios", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        for name in ["covid-crash-2020", "gfc-2008", "rate-hikes-2022"] { #expect(list.stdout.contains(name)) }
        let show = try DeskProcess.run(["scenarios", "show", "gfc-2008"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("2008-09-02 … 2009-03-31, 146 sessions"))
        #expect(show.stdout.contains("American International Group"))
        #expect(show.stdout.contains("fed_funds_target_upper"))
        let missing = try DeskProcess.run(["scenarios", "show", "no-such-scenario"])
        #expect(missing.status == 2 && missing.stderr.contains("no-such-scenario"))
    }

    @Test func validateReportsEveryProblemWithFileAndLine() throws {
        let all = try DeskProcess.run(["scenarios", "validate"])
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        #expect(all.stdout.split(separator: "\n").filter { $0.hasPrefix("ok  ") }.count == 3)
        // The documented gap of the 2022 bank files is a warning, not an error.
        #expect(all.stdout.contains("JPM.csv:119: warning: JPM: no bar for the session 2022-01-27"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "date,open,high,low,close,volume\n2020-02-03,10,11,9,10,100\n2020-02-04,10,9,9.5,10,100\n2020-02-04,10,11,9,10,100\n"
            .write(to: folder.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        try "date,time,symbols,note,source\n2020-02-03,9am,A,note,test\n".write(to: folder.appendingPathComponent("n.csv"), atomically: true, encoding: .utf8)
        let yaml = "name: bad\nstart: 2020-02-03\nend: 2020-02-04\nbenchmark: A\nuniverse:\n  - {symbol: A, file: a.csv}\nnews: n.csv\ncadnce: daily\n"
        let file = folder.appendingPathComponent("bad.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bad = try DeskProcess.run(["scenarios", "validate", file.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("bad.yaml:8:1: error: cadnce: unknown key 'cadnce'"))
        #expect(bad.stdout.contains("a.csv:3:4: error: low:"))
        #expect(bad.stdout.contains("a.csv:4:1: error: date: 2020-02-04 appears twice"))
        #expect(bad.stdout.contains("n.csv:2:2: error: time:"))
        #expect(bad.stdout.contains("FAIL"))
    }

    @Test func dataImportRepairsOnlyWhenAsked() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("yahoo.csv")
        try "Date,Open,High,Low,Close,Adj Close,Volume\n3/16/2020,241.95,259.08,240,242.21,240.1,80605865\n3/16/2020,241.95,259.08,240,242.21,240.1,80605865\n3/17/2020,247.51,257.61,238.4,252.86,250.6,81013965\n"
            .write(to: input, atomically: true, encoding: .utf8)
        let strict = try DeskProcess.run(["data", "import", input.path, "--symbol", "AAPL"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("yahoo.csv:3:1: error: Date: 2020-03-16 appears twice (also on line 2)"))
        let output = folder.appendingPathComponent("AAPL.csv")
        let repaired = try DeskProcess.run(["data", "import", input.path, "--symbol", "AAPL", "--repair", "duplicates", "-o", output.path])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stderr.contains("note: Date: dropped a second row for 2020-03-16"))
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text == "date,open,high,low,close,volume\n2020-03-16,241.95,259.08,240,242.21,80605865\n2020-03-17,247.51,257.61,238.4,252.86,81013965\n")
        let badLayout = try DeskProcess.run(["data", "import", input.path, "--symbol", "AAPL", "--layout", "bloomberg"])
        #expect(badLayout.status == 2 && badLayout.stderr.contains("--layout"))
    }

    @Test func theBundledDataIsExactlyWhatTheRecipeBuilds() throws {
        let raw = Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/raw")
        let result = try DeskProcess.run(["data", "build", "--check", "--raw", raw.path])
        if FileManager.default.fileExists(atPath: raw.path) {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("every bundled file matches the recipe"))
            #expect(result.stderr.contains("rate-hikes-2022 JPM: 350 bars 2021-08-11…2022-12-30, 1 missing session(s) 2022-01-27"))
        } else {
            // Without the raw collection the command says where it looked.
            #expect(result.status == 2 && result.stderr.contains("no such raw file"))
        }
    }
}

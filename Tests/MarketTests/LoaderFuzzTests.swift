import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

/// The Market loaders fed thousands of malformed variants of real files: every one must end in
/// data or in InputErrors with a location, never in a crash or another kind of error.
@Suite struct LoaderFuzzTests {
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let tokens: [[UInt8]] = [
        [0xFF], [0xC3, 0x28], [0x00], Array("\"".utf8), Array(",".utf8), Array("\n".utf8), Array("1e400".utf8), Array("-5".utf8),
        Array("1e300".utf8), Array("99999999999999999999".utf8), Array("NaN".utf8), Array("null".utf8), Array("0001-01-01".utf8),
        Array("9999-12-31".utf8), Array("2020-02-30".utf8), Array("13/45/2020".utf8), Array(": [".utf8), Array("{}".utf8), Array("- x".utf8),
        Array("&anchor".utf8), Array("*alias".utf8), Array("blind".utf8), Array("true".utf8), Array("25:99".utf8),
    ]

    static func mutate(_ original: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = original
        for _ in 0...random.below(3) {
            switch random.below(5) {
            case 0: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
            case 1: if !bytes.isEmpty { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
            case 2: bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: random.below(bytes.count + 1))
            case 3:
                if !bytes.isEmpty {
                    let start = random.below(bytes.count)
                    bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(30)))
                }
            default:
                if let i = bytes.indices.filter({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }).randomElement(using: &random) {
                    bytes.replaceSubrange(i...i, with: tokens[random.below(tokens.count)])
                }
            }
        }
        return bytes
    }

    static func bytes(_ path: String, lines: Int) -> [UInt8] {
        let text = String(decoding: FileManager.default.contents(atPath: Fixtures.packageRoot.appendingPathComponent(path).path)!, as: UTF8.self)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(lines).joined(separator: "\n").utf8) + [0x0A]
    }

    /// Runs `body`, which must succeed or throw an InputError naming `file`.
    static func survive(_ file: String, _ body: () throws -> [Diagnostic]) -> Bool {
        do {
            let diagnostics = try body()
            for d in diagnostics { #expect(d.detail.file == file && !d.detail.problem.isEmpty) }
            return !diagnostics.hasErrors
        } catch let error as InputError {
            #expect(error.file == file || error.file.hasSuffix(".csv"), "\(error)")
            return false
        } catch {
            Issue.record("\(file): not an InputError: \(error)")
            return false
        }
    }

    @Test func barImporterSurvivesMutatedRealFiles() {
        var random = Random(state: 2008_09_15)
        let sources = [Self.bytes("scenarios/data/gfc-2008/AIG.csv", lines: 40),
                       Self.bytes("Tests/Reference/exchange/orcl-1995-2014.txt", lines: 40),
                       Self.bytes("Tests/Reference/exchange/2006-day-001.txt", lines: 40)]
        var clean = 0
        for i in 0..<1200 {
            let bytes = Self.mutate(sources[i % sources.count], &random)
            var options = BarImportOptions()
            if i % 4 == 1 { options.repairs = Set(BarRepair.allCases) }
            if i % 5 == 2 { options.splitBasis = Day("2000-01-01"); options.splits = [SplitEvent(day: Day("2010-01-01")!, ratio: 0.1)] }
            if Self.survive("bars.csv", { try BarImporter.read(CSVTable.parse(Data(bytes), file: "bars.csv"), symbol: "X", options: options).diagnostics }) { clean += 1 }
            if i % 3 == 0 {
                _ = Self.survive("bars.csv", { _ = try BarFile.parse(CSVTable.parse(Data(bytes), file: "bars.csv"), symbol: "X"); return [] })
            }
        }
        #expect(clean > 0 && clean < 1200)
    }

    @Test func newsAndMacroLoadersSurviveMutatedRealFiles() {
        var random = Random(state: 2020_03_16)
        let news = Self.bytes("scenarios/data/gfc-2008/events.csv", lines: 25)
        let macro = Self.bytes("scenarios/data/rate-hikes-2022/macro.csv", lines: 25)
        let jsonl = Array("{\"date\": \"2020-03-15\", \"time\": \"17:00\", \"text\": \"Fed cuts\", \"symbols\": [\"JPM\"]}\n{\"published\": \"2020-03-16T13:30:00Z\", \"headline\": \"halt\"}\n".utf8)
        for _ in 0..<600 {
            _ = Self.survive("news.csv", { try NewsFile.parse(Data(Self.mutate(news, &random)), file: "news.csv").diagnostics })
            _ = Self.survive("news.jsonl", { try NewsFile.parse(Data(Self.mutate(jsonl, &random)), file: "news.jsonl").diagnostics })
            _ = Self.survive("macro.csv", { try MacroFile.read(CSVTable.parse(Data(Self.mutate(macro, &random)), file: "macro.csv")).diagnostics })
        }
    }

    @Test func scenarioReaderSurvivesMutatedRealFiles() {
        var random = Random(state: 2022_06_15)
        let source = Array(String(decoding: FileManager.default.contents(atPath: BundledScenarioTests.path("gfc-2008"))!, as: UTF8.self).utf8)
            + Array("blind: {seed: 7, news: omit}\n".utf8)
        var rejected = 0
        for _ in 0..<800 {
            let bytes = Data(Self.mutate(source, &random))
            let (_, diagnostics) = ScenarioFile.check(bytes, path: "fuzz.yaml")
            for d in diagnostics { #expect(d.detail.file == "fuzz.yaml" && !d.detail.problem.isEmpty) }
            do {
                _ = try ScenarioFile.parse(bytes, path: "fuzz.yaml")
                #expect(!diagnostics.hasErrors)
            } catch let error as InputError {
                #expect(error.file == "fuzz.yaml")
                #expect(diagnostics.hasErrors)  // the strict reader fails exactly when the checker finds an error
                rejected += 1
            } catch {
                Issue.record("not an InputError: \(error)")
            }
        }
        #expect(rejected > 100)
    }

    @Test func validateReportsEveryProblemOfAFile() throws {
        let yaml = """
            name: several
            start: 2020-02-31
            end: 2020-06-30
            warmup_sessions: -3
            benchmark: QQQ
            universe:
              - {symbol: SPY, file: spy.csv, colour: red}
              - {symbol: SPY, file: spy2.csv}
            initial_cash: lots
            costs: {slippage: {bps: -1}}
            cadence: hourly
            blind: {seed: -1}
            extra: 1

            """
        let (_, diagnostics) = ScenarioFile.check(Data(yaml.utf8), path: "several.yaml")
        #expect(diagnostics.map(\.detail.line) == [2, 4, 5, 7, 8, 9, 10, 11, 12, 13])
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.description.hasPrefix("several.yaml:") })
        #expect(diagnostics.map(\.detail.field) == ["start", "warmup_sessions", "benchmark", "universe[0].colour", "universe[1].symbol",
                                                    "initial_cash", "costs.slippage.bps", "cadence", "blind.seed", "extra"])
    }
}

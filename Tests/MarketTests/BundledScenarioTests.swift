import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

/// Every bundled scenario, loaded and checked as a whole.
@Suite struct BundledScenarioTests {
    static let names = ["covid-crash-2020", "gfc-2008", "rate-hikes-2022"]

    static func path(_ name: String) -> String { Fixtures.packageRoot.appendingPathComponent("scenarios/\(name).yaml").path }

    /// Each bundled scenario read once for the whole test run.
    static let loaded: [String: Result<Scenario, InputError>] = Dictionary(uniqueKeysWithValues: names.map { name in
        (name, Result { try ScenarioFile.load(path: path(name)) }.mapError { $0 as? InputError ?? InputError(file: name, problem: "\($0)") })
    })
    static let loadedData: [String: Result<MarketData, InputError>] = loaded.mapValues { scenario in
        scenario.flatMap { s in Result { try MarketData.load(s) }.mapError { $0 as? InputError ?? InputError(file: s.file, problem: "\($0)") } }
    }

    static func load(_ name: String) throws -> (Scenario, MarketData) {
        guard let scenario = loaded[name], let data = loadedData[name] else { throw InputError(file: name, problem: "not a bundled scenario") }
        return (try scenario.get(), try data.get())
    }

    /// Sessions a symbol's source lacks, documented in scenarios/data/PROVENANCE.md.
    static let documentedGaps: [String: [String: [String]]] = [
        "rate-hikes-2022": ["JPM": ["2022-01-27"], "BAC": ["2022-01-27"], "C": ["2022-01-27"], "GS": ["2022-01-27"], "CVX": ["2022-01-27"]],
    ]

    @Test func everyBundledScenarioIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.packageRoot.appendingPathComponent("scenarios").path)
        #expect(Set(files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }) == Set(Self.names))
    }

    @Test(arguments: names) func validatesWithoutErrors(_ name: String) throws {
        let check = ScenarioCheck.run(path: Self.path(name))
        #expect(!check.hasErrors, "\(check.diagnostics.filter { $0.severity == .error }.map(\.description))")
        // The only warnings are the documented missing sessions.
        let gaps = Self.documentedGaps[name] ?? [:]
        #expect(check.diagnostics.filter { $0.severity == .warning }.count == gaps.values.map(\.count).reduce(0, +))
        #expect(check.newsCount >= 40)
        #expect(Set(check.macroSeries) == ["cpi_index", "cpi_yoy", "fed_funds_target_upper", "treasury_10y_yield"])
    }

    @Test(arguments: names) func calendarsMatchTheExchangeAndEachOther(_ name: String) throws {
        let (scenario, data) = try Self.load(name)
        let nyse = ExchangeCalendar.nyse.sessions(from: scenario.start, through: scenario.end)
        #expect(data.sessions == nyse)
        #expect(data.warmupSessions.count == scenario.warmupSessions)
        #expect(data.warmupSessions == ExchangeCalendar.nyse.sessions(scenario.warmupSessions, before: scenario.start))
        let gaps = Self.documentedGaps[name] ?? [:]
        for instrument in scenario.universe {
            let series = try #require(data.series[instrument.symbol])
            let expected = (data.warmupSessions + data.sessions).filter { !(gaps[instrument.symbol] ?? []).contains($0.iso) }
            #expect(series.bars.map(\.day) == expected, "\(name) \(instrument.symbol)")
            for bar in series.bars {
                #expect(bar.low <= min(bar.open, bar.close) && bar.high >= max(bar.open, bar.close) && bar.low > 0 && bar.volume > 0,
                        "\(name) \(instrument.symbol) \(bar.day)")
            }
        }
    }

    @Test func printedPricesAreThoseOfTheDay() throws {
        func close(_ name: String, _ symbol: String, _ day: String) throws -> Double? {
            try Self.load(name).1.series[symbol]?.bar(on: Day(day)!)?.close
        }
        // Figures quoted in shared/data/raw/PROVENANCE.md and the press of the time.
        #expect(try close("gfc-2008", "SPY", "2008-09-15") == 120.09)
        #expect(try close("gfc-2008", "SPY", "2009-03-09") == 68.11)
        #expect(try close("gfc-2008", "AIG", "2008-09-15") == 4.76)      // restored from the 1-for-20 basis
        #expect(try close("gfc-2008", "C", "2009-03-05") == 1.02)        // restored from the 1-for-10 basis
        #expect(try close("gfc-2008", "AAPL", "2008-09-12") == 148.94)
        #expect(try close("covid-crash-2020", "SPY", "2020-02-19") == 338.34)
        #expect(try close("covid-crash-2020", "SPY", "2020-03-23") == 222.95)
        #expect(try close("covid-crash-2020", "AAPL", "2020-02-19") == 323.62)  // the 4:1 split of 2020-08-31 undone
        #expect(try close("rate-hikes-2022", "SPY", "2022-01-03") == 477.71)    // un-adjusted from the total-return file
        #expect(try close("rate-hikes-2022", "SPY", "2022-10-12") == 356.56)
    }

    @Test(arguments: names) func newsIsDenseDatedAndAboutTheUniverse(_ name: String) throws {
        let (scenario, data) = try Self.load(name)
        let inWindow = data.news.filter { $0.day >= scenario.start && $0.day <= scenario.end }
        #expect(inWindow.count >= 40)
        let symbols = Set(scenario.universe.map(\.symbol))
        for item in data.news {
            #expect(item.symbols.allSatisfy(symbols.contains), "\(item.day) \(item.symbols)")
            #expect(!item.source.isEmpty && !item.text.isEmpty)
            #expect(item.text.count <= 300, "a note is one line: \(item.text.prefix(60))")
        }
        // Sorted by day and time, so the feed hands them out in the order they became public.
        #expect(zip(data.news, data.news.dropFirst()).allSatisfy { ($0.day, $0.minuteOfDay ?? 9999) <= ($1.day, $1.minuteOfDay ?? 9999) })
        // Every FOMC statement of the window is there, timed.
        let fomc = data.news.filter { $0.source.hasPrefix("FOMC statement") && $0.day >= scenario.start }
        #expect(fomc.count >= 3 && fomc.allSatisfy { $0.minuteOfDay != nil })
    }

    @Test(arguments: names) func macroValuesArePublishedAfterThePeriodTheyMeasure(_ name: String) throws {
        let (scenario, data) = try Self.load(name)
        for (series, values) in data.macro {
            for o in values {
                #expect(o.published >= o.period && o.published <= scenario.end, "\(series) \(o.period)")
                if series.hasPrefix("cpi") {
                    // A monthly value is never public in its own month.
                    #expect(o.published >= o.period.nextMonth, "\(series) \(o.period) published \(o.published)")
                }
                if series == "treasury_10y_yield" { #expect(o.published > o.period) }
            }
        }
    }
}

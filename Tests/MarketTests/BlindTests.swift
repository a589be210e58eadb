import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

@Suite struct BlindTests {
    @Test(arguments: BundledScenarioTests.names) func maskingRoundTripsAndKeepsNotionalValues(_ name: String) throws {
        let (scenario, data) = try BundledScenarioTests.load(name)
        let mapping = BlindMapping(scenario: scenario, runSeed: 11)
        #expect(mapping.dayOffset % 7 == 0 && mapping.dayOffset > 0)
        #expect(Set(mapping.entries.map(\.alias)).count == scenario.universe.count)
        for instrument in scenario.universe {
            let alias = try #require(mapping.maskSymbol(instrument.symbol))
            #expect(alias != instrument.symbol)
            #expect(mapping.unmaskSymbol(alias) == instrument.symbol)
            let scale = mapping.scale(of: instrument.symbol)
            #expect(scale >= 0.25 && scale <= 4)
            for bar in data.series[instrument.symbol]!.bars.prefix(20) {
                let masked = mapping.mask(bar, symbol: instrument.symbol)
                #expect(masked.day.weekday == bar.day.weekday)
                #expect(masked.day.year > 2090)
                let back = mapping.unmask(masked, alias: alias)
                #expect(back.day == bar.day)
                for (a, b) in [(back.open, bar.open), (back.high, bar.high), (back.low, bar.low), (back.close, bar.close), (back.volume, bar.volume)] {
                    #expect(abs(a - b) <= 1e-12 * max(1, abs(b)))
                }
                // Price × quantity is the same in both worlds, so weights, returns and cash are too.
                let shares = 137.0
                let maskedShares = mapping.maskQuantity(shares, symbol: instrument.symbol)
                #expect(abs(maskedShares * masked.close - shares * bar.close) <= 1e-9 * shares * bar.close)
                #expect(abs(mapping.unmaskQuantity(maskedShares, alias: alias) - shares) < 1e-9)
                #expect(abs(mapping.unmaskPrice(masked.close, alias: alias) - bar.close) < 1e-9 * bar.close)
            }
        }
        // The mapping is a value the journal can keep: it survives JSON exactly.
        let json = try JSONEncoder().encode(mapping)
        #expect(try JSONDecoder().decode(BlindMapping.self, from: json) == mapping)
    }

    @Test func theSameSeedGivesTheSameMappingAndAnotherSeedAnother() throws {
        let (scenario, _) = try BundledScenarioTests.load("gfc-2008")
        #expect(BlindMapping(scenario: scenario, runSeed: 5) == BlindMapping(scenario: scenario, runSeed: 5))
        let a = BlindMapping(scenario: scenario, runSeed: 5), b = BlindMapping(scenario: scenario, runSeed: 6)
        #expect(a.dayOffset != b.dayOffset || a.entries.map(\.alias) != b.entries.map(\.alias))
        var pinned = scenario
        pinned.blind = BlindSettings(seed: 42)
        #expect(BlindMapping(scenario: pinned, runSeed: 1) == BlindMapping(scenario: pinned, runSeed: 2))
    }

    @Test(arguments: BundledScenarioTests.names) func theBlindFeedShowsNoRealNameSymbolOrDate(_ name: String) throws {
        let (scenario, data) = try BundledScenarioTests.load(name)
        let mapping = BlindMapping(scenario: scenario, runSeed: 9)
        var realNames = scenario.universe.flatMap { [$0.name].compactMap { $0 } + $0.aliases }
        realNames.removeAll { $0.count < 4 }  // short aliases like "Citi" are also words inside others; checked as symbols below
        let market = BlindMarket(data: data, mapping: mapping)
        for day in LookAheadTests.probeDays(data).prefix(12) {
            let feed = market.feed(atCloseOf: day)
            #expect(feed.asOf == mapping.maskDay(day))
            let t = try LookAheadTests.transcript(feed)
            #expect(t.bars.joined().allSatisfy { $0.day.year > 2090 } && t.sessions.allSatisfy { $0.year > 2090 })
            #expect(t.news.allSatisfy { $0.day.year > 2090 } && t.macro.joined().allSatisfy { $0.period.year > 2090 && $0.published.year > 2090 })
            let text = (t.news.map { "\($0.text) \($0.source) \($0.symbols)" } + t.instruments.map { "\($0)" } + t.symbols + t.macro.joined().map(\.source))
                .joined(separator: "\n")
            for name in realNames { #expect(!text.contains(name), "\(name) leaks at \(day): \(text.split(separator: "\n").first { $0.contains(name) } ?? "")") }
            for symbol in scenario.universe.map(\.symbol) where symbol.count > 1 {
                #expect(!Self.containsWord(symbol, in: text), "\(symbol) leaks at \(day)")
            }
            for year in 1990...2030 { #expect(!text.contains("\(year)-"), "the year \(year) leaks at \(day)") }
            // Every answer comes back to the real one through the mapping.
            for alias in feed.symbols {
                let symbol = try #require(mapping.unmaskSymbol(alias))
                let real = try PointInTimeFeed(data: data, asOf: day).latestBar(symbol)
                let masked = try feed.latestBar(alias)
                #expect(masked.map { mapping.unmask($0, alias: alias).day } == real?.day)
                let rsiBlind = try feed.indicators(alias).rsi().latest, rsiReal = try PointInTimeFeed(data: data, asOf: day).indicators(symbol).rsi().latest
                #expect(rsiBlind.map { r in abs(r - rsiReal!) < 1e-6 } ?? (rsiReal == nil))
            }
        }
    }

    @Test func newsTextIsRewritten() throws {
        let universe = [
            Instrument(symbol: "C", name: "Citigroup", dataFile: "c.csv", aliases: ["Citi"]),
            Instrument(symbol: "BAC", name: "Bank of America", dataFile: "bac.csv", aliases: ["BofA"]),
            Instrument(symbol: "GS", name: "Goldman Sachs", dataFile: "gs.csv", aliases: ["Goldman"]),
        ]
        let mapping = BlindMapping(universe: universe, seed: 1)
        let c = mapping.maskedName("C")!, bac = mapping.maskedName("BAC")!, gs = mapping.maskedName("GS")!
        let text = mapping.maskText("Citi's rescue on 2008-11-23: Bank of America (BAC) and Goldman's 2008 results; C falls; Citizens Bank is another firm.")
        let day = mapping.maskDay(Day("2008-11-23")!)
        #expect(text == "\(c)'s rescue on \(day.iso): \(bac) (\(mapping.maskSymbol("BAC")!)) and \(gs)'s \(2008 + mapping.yearOffset) results; \(mapping.maskSymbol("C")!) falls; Citizens Bank is another firm.")
        let item = NewsItem(day: Day("2008-11-23")!, minuteOfDay: 23 * 60, symbols: ["C", "LEH"], text: "Citigroup rescue", source: "Reuters headline 2008-11-24 01:32")
        let masked = try #require(mapping.mask(item))
        #expect(masked.symbols == [mapping.maskSymbol("C")!])
        #expect(masked.minuteOfDay == item.minuteOfDay && masked.day == day)
        #expect(!masked.source.contains("2008"))
        var omit = BlindSettings()
        omit.news = .omit
        #expect(BlindMapping(universe: universe, settings: omit, seed: 1).mask(item) == nil)
    }

    @Test func scenarioFilesTurnBlindModeOn() throws {
        func parse(_ blind: String) throws -> Scenario {
            try ScenarioFile.parse(Data("name: t\nstart: 2020-01-02\nend: 2020-01-31\nbenchmark: A\nuniverse: [{symbol: A, file: a.csv}]\n\(blind)".utf8), path: "t.yaml")
        }
        #expect(try parse("").blind == nil)
        #expect(try parse("blind: false\n").blind == nil)
        #expect(try parse("blind: true\n").blind == BlindSettings())
        #expect(try parse("blind: {seed: 7, news: omit, hide_sectors: true}\n").blind == BlindSettings(seed: 7, hideSectors: true, news: .omit))
        let bad = #expect(throws: InputError.self) { try parse("blind: {seed: 7, rename_all: true}\n") }
        #expect(bad?.field == "blind.rename_all")
        #expect(bad?.line == 6)
    }

    static func containsWord(_ word: String, in text: String) -> Bool {
        var rest = text[...]
        while let range = rest.range(of: word) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            let isWord: (Character?) -> Bool = { c in c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
            if !isWord(before) && !isWord(after) { return true }
            rest = text[range.upperBound...]
        }
        return false
    }
}

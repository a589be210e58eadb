import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

@Suite struct ScenarioTests {
    let root = Fixtures.packageRoot

    @Test func bundledCovidScenarioLoadsWithAFullCalendar() throws {
        let scenario = try ScenarioFile.load(path: root.appendingPathComponent("scenarios/covid-crash-2020.yaml").path)
        #expect(scenario.benchmark == "SPY")
        #expect(scenario.universe.count >= 9)
        let data = try MarketData.load(scenario)
        #expect(data.sessions.first?.iso == "2020-02-03")
        #expect(data.sessions.last?.iso == "2020-06-30")
        #expect(data.sessions.count == 104)
        #expect(data.warmupSessions.count == 100)
        // Every symbol trades every session of the window (checked in the data's provenance too).
        for (symbol, series) in data.series {
            #expect(series.bars(in: scenario.start...scenario.end).count == data.sessions.count, "\(symbol)")
        }
        // Known printed closes.
        #expect(data.series["SPY"]?.bar(on: Day("2020-02-19")!)?.close == 338.34)
        #expect(data.series["SPY"]?.bar(on: Day("2020-03-23")!)?.close == 222.95)
    }

    @Test func malformedScenariosNameFileLineAndKey() throws {
        func load(_ yaml: String) throws -> Scenario { try ScenarioFile.parse(Data(yaml.utf8), path: "bad.yaml") }
        let base = """
            name: t
            start: 2020-01-02
            end: 2020-01-31
            benchmark: A
            universe:
              - {symbol: A, file: a.csv}

            """
        _ = try load(base)
        let unknown = #expect(throws: InputError.self) { try load(base + "initial_cahs: 5\n") }
        #expect(unknown?.line == 7)
        #expect(unknown?.field == "initial_cahs")
        let type = #expect(throws: InputError.self) { try load(base + "initial_cash: lots\n") }
        #expect(type?.field == "initial_cash")
        let dates = #expect(throws: InputError.self) { try load(base.replacingOccurrences(of: "end: 2020-01-31", with: "end: 2019-12-31")) }
        #expect(dates?.line == 3)
        let bench = #expect(throws: InputError.self) { try load(base.replacingOccurrences(of: "benchmark: A", with: "benchmark: SPY")) }
        #expect(bench?.field == "benchmark")
        let cadence = #expect(throws: InputError.self) { try load(base + "cadence: hourly\n") }
        #expect(cadence?.line == 7)
        let cost = #expect(throws: InputError.self) { try load(base + "costs:\n  slippage: {bps: -3}\n") }
        #expect(cost?.field == "costs.slippage.bps")
    }

    @Test func barFilesAreValidatedRowByRow() throws {
        func parse(_ csv: String) throws -> BarSeries { try BarFile.parse(CSVTable.parse(Data(csv.utf8), file: "x.csv"), symbol: "X") }
        let header = "Date,Open,High,Low,Close,Adj Close,Volume\n"
        let good = try parse(header + "2020-01-02,10,11,9,10.5,10.4,100\n1/3/2020,10.5,12,10,11,11,200\n")
        #expect(good.bars.count == 2)
        let order = #expect(throws: InputError.self) { try parse(header + "2020-01-03,10,11,9,10,10,1\n2020-01-02,10,11,9,10,10,1\n") }
        #expect(order?.line == 3)
        let dup = #expect(throws: InputError.self) { try parse(header + "2020-01-02,10,11,9,10,10,1\n2020-01-02,10,11,9,10,10,1\n") }
        #expect(dup?.problem.contains("twice") == true)
        let bracket = #expect(throws: InputError.self) { try parse(header + "2020-01-02,10,9.5,9,10,10,1\n") }
        #expect(bracket?.line == 2)
        let negative = #expect(throws: InputError.self) { try parse(header + "2020-01-02,10,11,9,10,10,-1\n") }
        #expect(negative?.field == "Volume")
        let truncated = #expect(throws: InputError.self) { try parse(header + "2020-01-02,10,11\n") }
        #expect(truncated?.line == 2)
    }
}

import DeskTesting
import Foundation
import InputFiles
import Market
import Testing

@Suite struct NewsAndMacroTests {
    /// The team's raw collection, when this checkout sits next to it (`DESK_RAW_DATA` overrides).
    static var rawFolder: URL {
        if let env = ProcessInfo.processInfo.environment["DESK_RAW_DATA"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/raw")
    }

    /// A few rows in the layout of the raw Reuters file (date, time, tz, title, tickers, url, folder_date).
    static let reutersSample = """
        date,time,tz,title,tickers,url,folder_date
        2008-09-15,11:58,EDT,Lehman files for bankruptcy, plans to sell units,LEH,http://www.reuters.com/a,20080915
        2008-09-16,21:45,EDT,Federal Reserve statement on AIG,AIG;_FED,http://www.reuters.com/b,20080916
        2008-12-16,09:37,EST,"Consumer prices post second record drop in November",,http://www.reuters.com/c,20081216

        """

    @Test func aUsersHeadlineFileIsImportedWithItsTimesInEasternTime() throws {
        let (items, diagnostics) = try NewsFile.parse(Data(Self.reutersSample.utf8), file: "reuters.csv")
        #expect(diagnostics.isEmpty)
        #expect(items.count == 3)
        #expect(items[0].day == Day("2008-09-15") && items[0].minuteOfDay == 11 * 60 + 58)
        #expect(items[1].symbols == ["AIG", "_FED"] && !items[1].isPublic(atCloseOf: Day("2008-09-16")!))
        #expect(items[2].text == "Consumer prices post second record drop in November")
        #expect(items.allSatisfy { $0.source == "reuters.csv" })
    }

    @Test func theRawReutersFileLoadsWhole() throws {
        let file = Self.rawFolder.appendingPathComponent("gh_reuters_ding2014/reuters_headlines_2007_2009.csv")
        guard FileManager.default.fileExists(atPath: file.path) else {
            // Outside the team's machine the sample above stands in for it.
            let (items, _) = try NewsFile.parse(Data(Self.reutersSample.utf8), file: "reuters.csv")
            #expect(items.count == 3)
            return
        }
        let items = try NewsFile.load(path: file.path, defaultSource: "Reuters")
        #expect(items.count == 43_241)
        #expect(items.first?.day == Day("2007-01-01") && items.last?.day.year == 2009)
        let lehman = try #require(items.first { $0.text == "Lehman files for bankruptcy, plans to sell units" })
        #expect(lehman.day == Day("2008-09-15") && lehman.minuteOfDay == 11 * 60 + 58 && lehman.symbols == ["LEH"])
        #expect(items.allSatisfy { $0.minuteOfDay != nil })
    }

    @Test func otherRawHeadlineLayoutsLoad() throws {
        let bbc = """
            title,pubDate,guid,link,description
            "Ukraine conflict: Oil price soars to highest level since 2008","Mon, 07 Mar 2022 08:15:53 GMT",https://x,https://y,"Consumers, again."

            """
        let (items, diagnostics) = try NewsFile.parse(Data(bbc.utf8), file: "bbc.csv", defaultSource: "BBC")
        #expect(diagnostics.isEmpty && items.first?.minuteOfDay == 3 * 60 + 15 && items.first?.source == "BBC")
        // CNBC's file: the timestamp is in the "Time" column and some rows are empty.
        let cnbc = "Headlines,Time,Description\nJim Cramer on stocks,\" 7:51  PM ET Fri, 17 July 2020\",text\n,,\n"
        let (c, cd) = try NewsFile.parse(Data(cnbc.utf8), file: "cnbc.csv")
        #expect(cd.isEmpty && c.count == 1 && c[0].day == Day("2020-07-17") && c[0].minuteOfDay == 19 * 60 + 51)
        // A headerless two-column file (date, headline).
        let (r, rd) = try NewsFile.parse(Data("2020-07-18,TikTok considers London\n2020-07-17,Take Five\n".utf8), file: "reuters2.csv")
        #expect(rd.isEmpty && r.map(\.day.iso) == ["2020-07-18", "2020-07-17"])
    }

    @Test func jsonLinesHeadlines() throws {
        let jsonl = """
            {"date": "2020-03-15", "time": "17:00", "text": "Fed cuts to zero", "symbols": ["JPM", "BAC"], "source": "FOMC"}
            {"published": "2020-03-16T13:30:00Z", "headline": "Stocks halted", "tickers": "SPY"}

            {"date": "2020-03-16", "text": ""}
            not json
            {"date": 20200316, "text": "a number for a date"}
            {"date": "2020-03-17", "text": "bad symbols", "symbols": [1, 2]}

            """
        let (items, diagnostics) = try NewsFile.parse(Data(jsonl.utf8), file: "h.jsonl")
        #expect(items.count == 2)
        #expect(items[0].minuteOfDay == 17 * 60 && items[0].symbols == ["JPM", "BAC"] && items[0].source == "FOMC")
        #expect(items[1].minuteOfDay == 9 * 60 + 30 && items[1].symbols == ["SPY"] && items[1].source == "h.jsonl")
        #expect(diagnostics.map(\.detail.line) == [4, 5, 6, 7])
        #expect(throws: InputError.self) { try NewsFile.load(path: "/no/such/file.jsonl") }
    }

    @Test func eventNoteProblemsNameLineAndColumn() throws {
        let csv = "date,time,symbols,note,source\n2020-03-16,25:00,SPY,halt,NYSE\nyesterday,,SPY,halt,NYSE\n2020-03-17,,,,NYSE\n2020-03-18,09:30,SPY,ok,NYSE\n"
        let (items, diagnostics) = try NewsFile.parse(Data(csv.utf8), file: "e.csv")
        #expect(items.count == 1)
        #expect(diagnostics.map(\.detail.line) == [2, 3, 4])
        #expect(diagnostics.map(\.detail.column) == [2, 1, 4])
        let noText = #expect(throws: InputError.self) { try NewsFile.parse(Data("date,words\n2020-01-01,x\n".utf8), file: "n.csv") }
        #expect(noText?.field == "text")
        // Notes round-trip through the event-note layout.
        let (again, _) = try NewsFile.parse(Data(NewsFile.csv(items).utf8), file: "e.csv")
        #expect(again == items)
    }

    @Test func macroFilesAreCheckedAndRoundTrip() throws {
        let values = [
            MacroObservation(series: "cpi_index", period: Day("2022-05-01")!, value: 292.3, unit: "index, sa", published: Day("2022-06-10")!, publishedMinute: 510, source: "FRED CPIAUCSL"),
            MacroObservation(series: "treasury_10y_yield", period: Day("2022-06-09")!, value: 3.04, unit: "percent", published: Day("2022-06-10")!, source: "FRED DGS10"),
        ]
        let text = MacroFile.csv(values)
        let (read, diagnostics) = try MacroFile.read(CSVTable.parse(Data(text.utf8), file: "m.csv"))
        #expect(diagnostics.isEmpty && read == values)
        #expect(values[0].isPublic(atCloseOf: Day("2022-06-10")!) && !values[1].isPublic(atCloseOf: Day("2022-06-10")!))
        let bad = MacroFile.header + "\ncpi,2022-05-01,x,,2022-06-10,,FRED\ncpi,2022-05-01,1,,2022-04-10,,FRED\ncpi,2022-05-01,1,,2022-06-10,8h,FRED\ncpi,2022-05-01\n"
        let (_, problems) = try MacroFile.read(CSVTable.parse(Data(bad.utf8), file: "m.csv"))
        #expect(problems.map(\.detail.line) == [2, 3, 4, 5])
        #expect(problems[1].detail.problem.contains("before the period"))
    }

    @Test func fredMonthlyValuesArePublishedOnTheirReleaseDay() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("CPI.csv")
        try "DATE,CPIAUCSL\n2022-04-01,288.6\n2022-05-01,291.5\n2022-06-01,.\n".write(to: file, atomically: true, encoding: .utf8)
        let releases: [Day: EasternTime] = [Day("2022-05-01")!: EasternTime(day: Day("2022-06-10")!, minuteOfDay: 510)]
        let values = try FREDImporter.read(path: file.path, series: "cpi", unit: "index", release: .monthly(releases: releases),
                                           range: Day("2022-01-01")!...Day("2022-12-31")!, source: "FRED")
        #expect(values.count == 2)  // "." is FRED's missing value
        #expect(values[0].published == Day("2022-05-31") && values[0].publishedMinute == nil)  // not listed: the conservative end of the next month
        #expect(values[1].published == Day("2022-06-10") && values[1].publishedMinute == 510)
    }
}

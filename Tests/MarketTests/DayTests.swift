import Market
import Testing

@Suite struct DayTests {
    @Test func civilDatesRoundTrip() throws {
        for (text, weekday) in [("1970-01-01", 4), ("2000-02-29", 2), ("2020-03-16", 1), ("2008-09-15", 1), ("1999-12-31", 5)] {
            let day = try #require(Day(text))
            #expect(day.iso == text)
            #expect(day.weekday == weekday)
        }
        #expect(Day("2021-02-29") == nil)
        #expect(Day("2020-13-01") == nil)
        #expect(Day("3/16/2020") == Day("2020-03-16"))
        #expect(Day("20200316") == Day("2020-03-16"))
        #expect(Day("16/3/20") == nil)
        let start = try #require(Day("2019-12-30"))
        #expect(start.isoWeek.year == 2020 && start.isoWeek.week == 1)
    }
}

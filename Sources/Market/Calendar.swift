/// The full-day sessions of the New York Stock Exchange, derived from its holiday rules.
///
/// Weekends, the NYSE's regular holidays (with their Saturday/Sunday observance rules) and the
/// unscheduled closures since 1990 are not sessions. Early closes (half days) are sessions.
/// The rules are checked against every session of SPY's Yahoo history 1993-01-29 … 2025-04-24
/// (`MarketTests/CalendarTests`); before 1990 they are not reliable and ``covers(_:)`` says so.
public struct ExchangeCalendar: Sendable, Hashable {
    /// A day the exchange is closed although it is a weekday.
    public struct Closure: Sendable, Hashable {
        public var day: Day
        public var reason: String
    }

    public let name: String
    /// First and last day whose sessions the rules are known to give correctly.
    public let validity: ClosedRange<Day>

    /// The New York Stock Exchange.
    public static let nyse = ExchangeCalendar(name: "NYSE", validity: Day(year: 1990, month: 1, day: 1)!...Day(year: 2030, month: 12, day: 31)!)

    /// Unscheduled full-day closures since 1990.
    static let unscheduled: [Day: String] = [
        Day(year: 1994, month: 4, day: 27)!: "national day of mourning (Richard Nixon)",
        Day(year: 2001, month: 9, day: 11)!: "September 11 attacks",
        Day(year: 2001, month: 9, day: 12)!: "September 11 attacks",
        Day(year: 2001, month: 9, day: 13)!: "September 11 attacks",
        Day(year: 2001, month: 9, day: 14)!: "September 11 attacks",
        Day(year: 2004, month: 6, day: 11)!: "national day of mourning (Ronald Reagan)",
        Day(year: 2007, month: 1, day: 2)!: "national day of mourning (Gerald Ford)",
        Day(year: 2012, month: 10, day: 29)!: "Hurricane Sandy",
        Day(year: 2012, month: 10, day: 30)!: "Hurricane Sandy",
        Day(year: 2018, month: 12, day: 5)!: "national day of mourning (George H. W. Bush)",
        Day(year: 2025, month: 1, day: 9)!: "national day of mourning (Jimmy Carter)",
    ]

    /// Whether the rules are known to be right for `day`.
    public func covers(_ day: Day) -> Bool { validity.contains(day) }

    /// Whether the exchange holds a session on `day`.
    public func isSession(_ day: Day) -> Bool {
        day.weekday <= 5 && closure(on: day) == nil
    }

    /// Why a weekday is not a session, or nil when it is one (or is a weekend day).
    public func closure(on day: Day) -> String? {
        guard day.weekday <= 5 else { return nil }
        if let reason = ExchangeCalendar.unscheduled[day] { return reason }
        return holidays(in: day.year).first { $0.day == day }?.reason
    }

    /// Why `day` is not a session ("Saturday", "Good Friday", …), or nil when it is one.
    public func reasonClosed(_ day: Day) -> String? {
        switch day.weekday {
        case 6: return "Saturday"
        case 7: return "Sunday"
        default: return closure(on: day)
        }
    }

    /// The regular holidays observed on weekdays of `year`, in date order.
    public func holidays(in year: Int) -> [Closure] {
        var result: [Closure] = []
        func add(_ day: Day?, _ reason: String) {
            if let day, day.weekday <= 5 { result.append(Closure(day: day, reason: reason)) }
        }
        /// Saturday holidays move to Friday, Sunday holidays to Monday.
        func observed(_ month: Int, _ dayOfMonth: Int) -> Day {
            let day = Day(year: year, month: month, day: dayOfMonth)!
            switch day.weekday {
            case 6: return day.advanced(by: -1)
            case 7: return day.advanced(by: 1)
            default: return day
            }
        }
        // New Year's Day: a Saturday New Year is not observed on the Friday before (NYSE rule).
        let newYear = Day(year: year, month: 1, day: 1)!
        add(newYear.weekday == 7 ? newYear.advanced(by: 1) : newYear, "New Year's Day")
        if year >= 1998 { add(nthWeekday(1, of: 1, year: year, n: 3), "Martin Luther King Jr. Day") }
        add(nthWeekday(1, of: 2, year: year, n: 3), "Washington's Birthday")
        add(ExchangeCalendar.easter(year).advanced(by: -2), "Good Friday")
        add(lastWeekday(1, of: 5, year: year), "Memorial Day")
        if year >= 2022 { add(observed(6, 19), "Juneteenth") }
        add(observed(7, 4), "Independence Day")
        add(nthWeekday(1, of: 9, year: year, n: 1), "Labor Day")
        add(nthWeekday(4, of: 11, year: year, n: 4), "Thanksgiving Day")
        add(observed(12, 25), "Christmas Day")
        return result.sorted { $0.day < $1.day }
    }

    /// Sessions from `first` through `last`, inclusive.
    public func sessions(from first: Day, through last: Day) -> [Day] {
        guard first <= last else { return [] }
        var days: [Day] = []
        var day = first
        while day <= last {
            if isSession(day) { days.append(day) }
            day = day.advanced(by: 1)
        }
        return days
    }

    /// The first session strictly after `day`.
    public func session(after day: Day) -> Day {
        var next = day.advanced(by: 1)
        while !isSession(next) { next = next.advanced(by: 1) }
        return next
    }

    /// The last session strictly before `day`.
    public func session(before day: Day) -> Day {
        var previous = day.advanced(by: -1)
        while !isSession(previous) { previous = previous.advanced(by: -1) }
        return previous
    }

    /// The `count` sessions before `day` (not including it), oldest first.
    public func sessions(_ count: Int, before day: Day) -> [Day] {
        var days: [Day] = []
        var cursor = day
        while days.count < count {
            cursor = session(before: cursor)
            days.append(cursor)
        }
        return days.reversed()
    }

    /// The `n`-th `weekday` (1 = Monday) of a month.
    private func nthWeekday(_ weekday: Int, of month: Int, year: Int, n: Int) -> Day {
        let first = Day(year: year, month: month, day: 1)!
        let offset = (weekday - first.weekday + 7) % 7
        return first.advanced(by: offset + 7 * (n - 1))
    }

    /// The last `weekday` (1 = Monday) of a month.
    private func lastWeekday(_ weekday: Int, of month: Int, year: Int) -> Day {
        let last = Day(year: year, month: month, day: Day.daysIn(month: month, year: year))!
        return last.advanced(by: -((last.weekday - weekday + 7) % 7))
    }

    /// Western Easter Sunday (the anonymous Gregorian algorithm).
    static func easter(_ year: Int) -> Day {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return Day(year: year, month: month, day: day)!
    }
}

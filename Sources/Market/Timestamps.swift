import Foundation

/// How a file writes its dates, for the cases automatic reading cannot tell apart.
public enum DateStyle: String, Sendable, Hashable, Codable {
    /// ISO `2020-03-16` (also with a time after it), `20200316`, US `3/16/2020`, `16-Mar-20`, `16 Mar 2020`.
    case automatic
    /// Day first: `16/3/2020`, `16.03.2020`.
    case dayFirst = "day_first"
}

extension Day {
    /// Parses a date in the given style; nil when it is not one.
    ///
    /// Automatic reading takes ISO dates (with or without a time after them: `2020-01-02 00:00:00-05:00`
    /// is 2020-01-02), compact `YYYYMMDD`, US `M/D/YYYY`, and day-month-name forms (`16-Dec-08`,
    /// `16 December 2008`). Two-digit years are 1970…2069.
    public static func parse(_ text: some StringProtocol, style: DateStyle = .automatic) -> Day? {
        let s = text.trimmingCharacters(in: .whitespaces)
        switch style {
        case .automatic:
            if let day = Day(s) { return day }
            if s.count > 10, let day = Day(s.prefix(10)) {
                let next = s[s.index(s.startIndex, offsetBy: 10)]
                if next == "T" || next == " " || next == "t" { return day }
            }
            return dayMonthName(s)
        case .dayFirst:
            let parts = s.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "." || $0 == "-" }
            guard parts.count == 3, parts[2].count == 4, let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]) else { return nil }
            return Day(year: y, month: m, day: d)
        }
    }

    /// `16-Dec-08`, `16-Dec-2008`, `16 Dec 2008`, `16 December 2008`.
    private static func dayMonthName(_ s: String) -> Day? {
        let parts = s.split { $0 == "-" || $0 == " " }
        guard parts.count == 3, let d = Int(parts[0]), let m = Month.number(parts[1]), let rawYear = Int(parts[2]) else { return nil }
        let year: Int
        switch parts[2].count {
        case 2: year = rawYear < 70 ? 2000 + rawYear : 1900 + rawYear
        case 4: year = rawYear
        default: return nil
        }
        return Day(year: year, month: m, day: d)
    }
}

enum Month {
    static let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// 1…12 for an English month name or its three-letter abbreviation (`Sept` too).
    static func number(_ text: some StringProtocol) -> Int? {
        let lower = text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        guard lower.count >= 3, let index = names.firstIndex(of: String(lower.prefix(3))) else { return nil }
        let full = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"][index]
        guard lower.count == 3 || full.hasPrefix(lower) else { return nil }
        return index + 1
    }
}

/// A moment read from a news file, in US Eastern time (the exchange's clock).
public struct EasternTime: Sendable, Hashable {
    public var day: Day
    /// Minutes after midnight, when the source gives a time.
    public var minuteOfDay: Int?

    public init(day: Day, minuteOfDay: Int? = nil) {
        self.day = day
        self.minuteOfDay = minuteOfDay
    }

    /// The offset of US Eastern time from UTC, in minutes, at a UTC moment (−300 standard, −240 daylight).
    ///
    /// Daylight time runs from 02:00 local on the second Sunday of March to 02:00 local on the first
    /// Sunday of November since 2007, and from the first Sunday of April to the last Sunday of October
    /// from 1987 to 2006.
    public static func offsetFromUTC(day: Day, minute: Int) -> Int {
        let year = day.year
        let start: Day, end: Day
        if year >= 2007 {
            start = nthSunday(year: year, month: 3, n: 2)
            end = nthSunday(year: year, month: 11, n: 1)
        } else {
            start = nthSunday(year: year, month: 4, n: 1)
            let lastOctober = Day(year: year, month: 10, day: 31)!
            end = lastOctober.advanced(by: -(lastOctober.weekday % 7))
        }
        // In UTC, daylight time begins at 07:00 on the start day and ends at 06:00 on the end day.
        let utc = Int(day.daysSinceEpoch) * 1440 + minute
        let begins = Int(start.daysSinceEpoch) * 1440 + 7 * 60
        let ends = Int(end.daysSinceEpoch) * 1440 + 6 * 60
        return utc >= begins && utc < ends ? -240 : -300
    }

    private static func nthSunday(year: Int, month: Int, n: Int) -> Day {
        let first = Day(year: year, month: month, day: 1)!
        return first.advanced(by: (7 - first.weekday) % 7 + 7 * (n - 1))
    }

    /// Converts a moment given with a UTC offset (in minutes, east positive) to US Eastern time.
    public static func fromOffset(day: Day, minute: Int, offsetMinutes: Int) -> EasternTime {
        let utc = Int(day.daysSinceEpoch) * 1440 + minute - offsetMinutes
        let utcDay = Day(daysSinceEpoch: Int32(floorDiv(utc, 1440)))
        let eastern = utc + offsetFromUTC(day: utcDay, minute: utc - Int(utcDay.daysSinceEpoch) * 1440)
        let easternDay = floorDiv(eastern, 1440)
        return EasternTime(day: Day(daysSinceEpoch: Int32(easternDay)), minuteOfDay: eastern - easternDay * 1440)
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Reads a timestamp as news files write it, converting to US Eastern time.
    ///
    /// `date` may hold the whole timestamp (`2022-03-07T08:15:53Z`, `Mon, 07 Mar 2022 08:15:53 GMT`,
    /// ` 7:51  PM ET Fri, 17 July 2020`) or only the date, with the time (`14:00`, `2:15 pm`) and zone
    /// (`EST`, `EDT`, `ET`, `GMT`, `UTC`, `+01:00`) in their own columns. A time without a zone is taken
    /// as US Eastern. Returns nil when no date can be found.
    public static func parse(date: String, time: String? = nil, zone: String? = nil, style: DateStyle = .automatic) -> EasternTime? {
        var tokens = tokenize(date)
        if let time { tokens += tokenize(time) }
        if let zone { tokens += tokenize(zone) }

        var day: Day?
        var minute: Int?
        var offset: Int?          // minutes east of UTC; nil = US Eastern
        var pm: Bool?
        var dayNumber: Int?, monthNumber: Int?, yearNumber: Int?
        for token in tokens {
            let lower = token.lowercased()
            if day == nil, token.count >= 8, let d = Day.parse(token, style: style) {
                day = d
                if let t = timeInISO(token) {
                    minute = t.minute
                    offset = t.offset ?? offset
                }
            } else if let t = clockWithZone(Substring(token)) {
                minute = t.minute
                if let zone = t.offset { offset = zone }
            } else if lower == "am" || lower == "a.m." {
                pm = false
            } else if lower == "pm" || lower == "p.m." {
                pm = true
            } else if ["gmt", "utc", "z", "ut"].contains(lower) {
                offset = 0
            } else if ["et", "est", "edt", "america/new_york", "eastern"].contains(lower) {
                offset = nil
            } else if let o = numericOffset(token) {
                offset = o
            } else if let m = Month.number(token), monthNumber == nil {
                monthNumber = m
            } else if let n = Int(token) {
                if token.count == 4 { yearNumber = n } else if token.count <= 2 { dayNumber = n }
            } else if let d = Day.parse(token, style: style), day == nil {
                day = d
            }
        }
        if day == nil, let dayNumber, let monthNumber, let yearNumber {
            day = Day(year: yearNumber, month: monthNumber, day: dayNumber)
        }
        guard let day else { return nil }
        if var m = minute, let pm {
            let hour = m / 60
            if pm && hour < 12 { m += 12 * 60 }
            if !pm && hour == 12 { m -= 12 * 60 }
            minute = m
        }
        guard let minute else { return EasternTime(day: day) }
        if let offset { return fromOffset(day: day, minute: minute, offsetMinutes: offset) }
        return EasternTime(day: day, minuteOfDay: minute)
    }

    private static func tokenize(_ text: String) -> [String] {
        text.split { $0 == " " || $0 == "," || $0 == "\t" }.map(String.init)
    }

    /// `H:MM` or `H:MM:SS` as minutes after midnight.
    private static func clock(_ token: String) -> Int? {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]),
              (0..<24).contains(h), (0..<60).contains(m), parts[1].count == 2 else { return nil }
        if parts.count == 3 {
            let seconds = parts[2].prefix { $0.isNumber }
            guard seconds.count == 2, parts[2].count == 2 || parts[2].dropFirst(2).first == "." else { return nil }
        }
        return h * 60 + m
    }

    /// `+0100`, `-05:00`.
    private static func numericOffset(_ token: String) -> Int? {
        guard let sign = token.first, sign == "+" || sign == "-" else { return nil }
        let digits = token.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, digits.allSatisfy(\.isNumber), let value = Int(digits) else { return nil }
        let minutes = (value / 100) * 60 + value % 100
        return sign == "-" ? -minutes : minutes
    }

    /// The time and offset inside an ISO timestamp such as `2022-03-07T08:15:53+00:00`.
    private static func timeInISO(_ token: String) -> (minute: Int, offset: Int?)? {
        guard token.count > 11 else { return nil }
        return clockWithZone(token.dropFirst(11))
    }

    /// `08:15`, `08:15:53Z`, `08:15:53.250+01:00`: minutes after midnight and the offset, if written.
    private static func clockWithZone(_ text: Substring) -> (minute: Int, offset: Int?)? {
        var rest = text
        var offset: Int?
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            offset = 0
            rest = rest.dropLast()
        } else if let signIndex = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            guard let parsed = numericOffset(String(rest[signIndex...])) else { return nil }
            offset = parsed
            rest = rest[..<signIndex]
        }
        guard let minute = clock(String(rest)) else { return nil }
        return (minute, offset)
    }
}

import Foundation

/// A calendar date with no time or zone: the unit of the simulation clock.
///
/// Stored as days since 1970-01-01 (proleptic Gregorian), so comparisons and arithmetic are
/// integer operations and no time zone can shift a session onto another day.
public struct Day: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var daysSinceEpoch: Int32

    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day with the given civil date; nil when the date does not exist (e.g. 2021-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Day.daysIn(month: month, year: year), (1...9999).contains(year) else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        daysSinceEpoch = Int32(era * 146097 + doe - 719468)
    }

    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or US `M/D/YYYY`.
    public init?(_ text: some StringProtocol) {
        let s = text.trimmingCharacters(in: .whitespaces)
        let utf8 = Array(s.utf8)
        func number(_ slice: ArraySlice<UInt8>) -> Int? {
            guard !slice.isEmpty, slice.count <= 4, slice.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return slice.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        if utf8.count == 8, let all = number(utf8[0..<4]), let m = number(utf8[4..<6]), let d = number(utf8[6..<8]) {
            self.init(year: all, month: m, day: d)
            return
        }
        let separators: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "/")]
        let parts = utf8.split(omittingEmptySubsequences: false, whereSeparator: { separators.contains($0) })
        guard parts.count == 3, let a = number(parts[0]), let b = number(parts[1]), let c = number(parts[2]) else { return nil }
        if parts[0].count == 4 {
            self.init(year: a, month: b, day: c)
        } else if parts[2].count == 4 {
            self.init(year: c, month: a, day: b)   // M/D/YYYY
        } else {
            return nil
        }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Year, month and day of month.
    public var components: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = Int(daysSinceEpoch) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public var year: Int { components.year }
    public var month: Int { components.month }

    /// 1 = Monday … 7 = Sunday (ISO 8601).
    public var weekday: Int { Int(((Int(daysSinceEpoch) % 7) + 7 + 3) % 7) + 1 }

    /// ISO 8601 week-numbering year and week, used to group sessions into weeks.
    public var isoWeek: (year: Int, week: Int) {
        let thursday = advanced(by: 4 - weekday)
        let jan1 = Day(year: thursday.year, month: 1, day: 1)!
        return (thursday.year, Int(thursday.daysSinceEpoch - jan1.daysSinceEpoch) / 7 + 1)
    }

    public func advanced(by days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + Int32(days)) }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let (y, m, d) = components
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    public var description: String { iso }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = Day(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a date (YYYY-MM-DD)"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}


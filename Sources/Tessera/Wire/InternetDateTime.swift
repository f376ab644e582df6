import Foundation

/// An RFC 3339 date-time, `2026-12-03T17:32:15Z`: what `JSONEncoder`'s `.iso8601` strategy writes and reads, without
/// the calendar it sets up. Foundation's ISO 8601 coding goes through a Gregorian `Calendar` and its `TimeZone`, which
/// on Linux are ICU's: the first date coded pages in 2–4.5 MB of ICU code and data (measured in `/proc/self/smaps`), a
/// tenth of the daemon's resident memory, for a fixed-format string. Used by the daemon's tenant registry, its
/// operator endpoint and the CLI's JSON log lines.
package enum InternetDateTime {
    /// `date` in UTC to the whole second (rounded down), `yyyy-MM-ddTHH:mm:ssZ` — byte for byte what `.iso8601` writes
    /// from 1600 on. Dates before year 1 or after 9999 (and a non-finite one) are written as the nearest of those two
    /// bounds: RFC 3339 has four-digit years, and ``parse(_:)`` reads back what this writes.
    package static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds =
            interval.isNaN ? 0 : Int(min(max(interval, earliest), latest).rounded(.down))
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let day = secondOfDay < 0 ? days - 1 : days
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        let civil = GregorianDays.civil(fromDaysSinceEpoch: day)
        var text = ""
        text.reserveCapacity(20)
        func append(_ value: Int, width: Int) {
            let digits = String(value)
            text += String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        append(civil.year, width: 4)
        text += "-"
        append(civil.month, width: 2)
        text += "-"
        append(civil.day, width: 2)
        text += "T"
        append(second / 3_600, width: 2)
        text += ":"
        append(second / 60 % 60, width: 2)
        text += ":"
        append(second % 60, width: 2)
        text += "Z"
        return text
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since 1970.
    static let earliest: Double = -62_135_596_800
    static let latest: Double = 253_402_300_799

    /// `yyyy-MM-ddTHH:mm:ss`, an optional fraction of a second, then `Z` or an offset `±HH:MM`; `nil` for anything
    /// else, or a day the month does not have.
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"), let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), day >= 1, day <= GregorianDays.daysIn(month: month, year: year), hour < 24,
            minute < 60, second <= 60
        else { return nil }
        var position = 19
        var fraction = 0.0
        if bytes[position] == UInt8(ascii: ".") {
            position += 1
            var scale = 0.1
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                fraction += Double(bytes[position] - UInt8(ascii: "0")) * scale
                scale /= 10
                position += 1
            }
            guard position > start, position < bytes.count else { return nil }
        }
        var offset = 0
        switch bytes[position] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard position + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard position + 6 == bytes.count, bytes[position + 3] == UInt8(ascii: ":"),
                let hours = number(position + 1, 2), let minutes = number(position + 4, 2), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 3_600 + minutes * 60) * (bytes[position] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds =
            GregorianDays.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60
            + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// `JSONDecoder`'s `.iso8601`, through ``parse(_:)``.
    package static var decodingStrategy: JSONDecoder.DateDecodingStrategy {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "not an RFC 3339 date-time such as 2026-12-03T17:32:15Z"
                )
            }
            return date
        }
    }

    /// `JSONEncoder`'s `.iso8601`, through ``format(_:)``.
    package static var encodingStrategy: JSONEncoder.DateEncodingStrategy {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
    }
}

/// Proleptic Gregorian dates as days since 1970-01-01 and back (Howard Hinnant's `days_from_civil` and
/// `civil_from_days`): the arithmetic of HTTP and RFC 3339 dates, without a `Calendar`.
enum GregorianDays {
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    static func civil(fromDaysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

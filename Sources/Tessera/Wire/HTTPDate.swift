import Foundation
import NIOHTTP1
import TesseraJOSE

/// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850 and asctime forms.
///
/// IMF-fixdate — the only form a server may send, and the one every token answer's `Date` header carries — is read
/// from its 29 fixed-position bytes. The obsolete forms, which a recipient must still accept, go through a
/// `DateFormatter`: that costs ICU's date-format set-up (about 10 million instructions and 5 MB of ICU data the first
/// time, measured with callgrind on `tessera run`), which no token request should pay.
enum HTTPDate {
    static func parse(_ value: String) -> Date? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let date = imfFixdate(trimmed.utf8) { return date }
        return obsoleteForm(trimmed)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`: a day name, a two-digit day, a month name, a four-digit year and the time of
    /// day, in GMT; `nil` for anything else (or a day the month does not have).
    static func imfFixdate(_ utf8: String.UTF8View) -> Date? {
        guard utf8.count == 29 else { return nil }
        let bytes = Array(utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard dayNames.contains(where: { $0.elementsEqual(bytes[0..<3]) }), bytes[3] == UInt8(ascii: ","),
            bytes[4] == 0x20, bytes[7] == 0x20, bytes[11] == 0x20, bytes[16] == 0x20, bytes[19] == UInt8(ascii: ":"),
            bytes[22] == UInt8(ascii: ":"), bytes[25] == 0x20, "GMT".utf8.elementsEqual(bytes[26..<29]),
            let day = number(5, 2), let monthIndex = monthNames.firstIndex(where: { $0.elementsEqual(bytes[8..<11]) }),
            let year = number(12, 4), let hour = number(17, 2), let minute = number(20, 2), let second = number(23, 2),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        let month = monthIndex + 1
        guard day >= 1, day <= GregorianDays.daysIn(month: month, year: year) else { return nil }
        let seconds =
            GregorianDays.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60
            + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map { Array($0.utf8) }
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ].map { Array($0.utf8) }

    /// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`), asctime (`Sun Nov  6 08:49:37 1994`), and an IMF-fixdate that
    /// names its zone otherwise than `GMT` (read as before: by the formatter's `zzz`).
    private static func obsoleteForm(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
        return nil
    }
}

import Foundation
import Testing

@testable import Tessera

@Suite("HTTP-date: IMF-fixdate read by position, the obsolete forms by a formatter, bad dates refused")
struct HTTPDateTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let value: String
        /// Seconds since 1970, `nil`: refused.
        let expected: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "RFC 9110's example", value: "Sun, 06 Nov 1994 08:49:37 GMT", expected: 784_111_777),
        Case(name: "the epoch", value: "Thu, 01 Jan 1970 00:00:00 GMT", expected: 0),
        Case(name: "a leap day", value: "Thu, 29 Feb 2024 23:59:59 GMT", expected: 1_709_251_199),
        Case(name: "2000 is a leap year", value: "Tue, 29 Feb 2000 12:00:00 GMT", expected: 951_825_600),
        Case(name: "the last day of a year", value: "Thu, 31 Dec 2026 23:59:59 GMT", expected: 1_798_761_599),
        Case(name: "a leap second", value: "Sat, 31 Dec 2016 23:59:60 GMT", expected: 1_483_228_800),
        Case(name: "surrounding blanks", value: "  Sun, 06 Nov 1994 08:49:37 GMT ", expected: 784_111_777),
        Case(name: "RFC 850 (obsolete)", value: "Sunday, 06-Nov-94 08:49:37 GMT", expected: 784_111_777),
        Case(name: "asctime (obsolete)", value: "Sun Nov  6 08:49:37 1994", expected: 784_111_777),
        Case(name: "empty", value: "", expected: nil),
        Case(name: "seconds, not a date", value: "120", expected: nil),
        Case(name: "no such month", value: "Sun, 06 Now 1994 08:49:37 GMT", expected: nil),
        Case(name: "no such day name", value: "Sum, 06 Nov 1994 08:49:37 GMT", expected: nil),
    ]

    /// Not IMF-fixdate (the formatter behind the obsolete forms may still read some of them leniently).
    static let notFixdates: [Case] = [
        Case(name: "hour 24", value: "Sun, 06 Nov 1994 24:00:00 GMT", expected: nil),
        Case(name: "minute 60", value: "Sun, 06 Nov 1994 08:60:00 GMT", expected: nil),
        Case(name: "second 61", value: "Sun, 06 Nov 1994 08:49:61 GMT", expected: nil),
        Case(name: "a sign in a number", value: "Sun, +6 Nov 1994 08:49:37 GMT", expected: nil),
        Case(name: "a comma missing", value: "Sun  06 Nov 1994 08:49:37 GMT", expected: nil),
        Case(name: "another zone", value: "Sun, 06 Nov 1994 08:49:37 UTC", expected: nil),
        Case(name: "lower-case month", value: "Sun, 06 nov 1994 08:49:37 GMT", expected: nil),
        Case(name: "February 30", value: "Mon, 30 Feb 2026 00:00:00 GMT", expected: nil),
        Case(name: "February 29 in a common year", value: "Sun, 29 Feb 2026 00:00:00 GMT", expected: nil),
        Case(name: "April 31", value: "Wed, 31 Apr 2026 00:00:00 GMT", expected: nil),
        Case(name: "day 0", value: "Sat, 00 Apr 2026 00:00:00 GMT", expected: nil),
    ]

    @Test("parses or refuses", arguments: cases)
    func parses(_ test: Case) {
        let parsed = HTTPDate.parse(test.value)
        #expect(parsed.map { Int($0.timeIntervalSince1970) } == test.expected)
    }

    @Test("refused as IMF-fixdate", arguments: notFixdates)
    func notFixdate(_ test: Case) {
        #expect(HTTPDate.imfFixdate(test.value.utf8) == nil)
    }

    @Test("the positional reading agrees with the formatter on every day of four years")
    func agreesWithFormatter() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let start = 1_704_067_200  // 2024-01-01
        for day in stride(from: 0, to: 4 * 366, by: 1) {
            let instant = Date(timeIntervalSince1970: TimeInterval(start + day * 86_400 + day * 37 % 86_400))
            let text = formatter.string(from: instant)
            let parsed = try #require(HTTPDate.imfFixdate(text.utf8), "\(text)")
            #expect(parsed == instant, "\(text)")
        }
    }
}

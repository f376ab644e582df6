import Foundation
import Testing

@testable import Tessera

@Suite("RFC 3339 date-times: what JSONEncoder's .iso8601 writes and reads, without its ICU calendar")
struct InternetDateTimeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let value: String
        /// Seconds since 1970, `nil`: refused.
        let expected: Double?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "the epoch", value: "1970-01-01T00:00:00Z", expected: 0),
        Case(name: "RFC 9110's example instant", value: "1994-11-06T08:49:37Z", expected: 784_111_777),
        Case(name: "a leap day", value: "2024-02-29T23:59:59Z", expected: 1_709_251_199),
        Case(name: "a fraction of a second", value: "2024-02-29T23:59:59.25Z", expected: 1_709_251_199.25),
        Case(name: "a positive offset", value: "1994-11-06T10:49:37+02:00", expected: 784_111_777),
        Case(name: "a negative offset", value: "1994-11-06T03:19:37-05:30", expected: 784_111_777),
        Case(name: "lower-case t and z", value: "1994-11-06t08:49:37z", expected: 784_111_777),
        Case(name: "before the epoch", value: "1969-12-31T23:59:59Z", expected: -1),
        Case(name: "a leap second", value: "2016-12-31T23:59:60Z", expected: 1_483_228_800),
        Case(name: "empty", value: "", expected: nil),
        Case(name: "a date alone", value: "1994-11-06", expected: nil),
        Case(name: "no zone", value: "1994-11-06T08:49:37", expected: nil),
        Case(name: "a space for T", value: "1994-11-06 08:49:37Z", expected: nil),
        Case(name: "no such day", value: "2023-02-29T00:00:00Z", expected: nil),
        Case(name: "month 13", value: "1994-13-06T08:49:37Z", expected: nil),
        Case(name: "hour 24", value: "1994-11-06T24:00:00Z", expected: nil),
        Case(name: "an empty fraction", value: "1994-11-06T08:49:37.Z", expected: nil),
        Case(name: "an offset without its colon", value: "1994-11-06T08:49:37+0200", expected: nil),
        Case(name: "trailing text", value: "1994-11-06T08:49:37Zx", expected: nil),
        Case(name: "a sign in a number", value: "1994-+1-06T08:49:37Z", expected: nil),
    ]

    @Test("parse", arguments: cases)
    func parse(_ testCase: Case) {
        #expect(InternetDateTime.parse(testCase.value)?.timeIntervalSince1970 == testCase.expected)
    }

    /// Instants from 1600 to 9999, whole and fractional: Foundation's own `.iso8601` coding is the oracle (before the
    /// Gregorian reform of 1582 its calendar is Julian, RFC 3339's stays proleptic Gregorian).
    static let instants: [Double] = [
        0, -1, 784_111_777, 951_825_600, 1_709_251_199.75, 1_798_761_599, 4_102_444_800, 253_402_300_799,
        -11_670_912_000, -2_208_988_800.5, 1_234_567_890,
    ]

    @Test("format writes what JSONEncoder's .iso8601 writes, and parse reads what it writes", arguments: instants)
    func agreesWithFoundation(_ seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let foundation = JSONEncoder()
        foundation.dateEncodingStrategy = .iso8601
        let ours = JSONEncoder()
        ours.dateEncodingStrategy = InternetDateTime.encodingStrategy
        let written = try ours.encode([date])
        #expect(
            String(decoding: written, as: UTF8.self) == String(decoding: try foundation.encode([date]), as: UTF8.self)
        )
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = InternetDateTime.decodingStrategy
        #expect(try decoder.decode([Date].self, from: written) == [Date(timeIntervalSince1970: seconds.rounded(.down))])
    }

    @Test(
        "a date outside years 1 to 9999, or not finite, is written as the nearest bound, and reads back",
        arguments: [
            (-1e300, "0001-01-01T00:00:00Z"), (1e300, "9999-12-31T23:59:59Z"),
            (-Double.infinity, "0001-01-01T00:00:00Z"),
            (Double.infinity, "9999-12-31T23:59:59Z"), (Double.nan, "1970-01-01T00:00:00Z"),
        ]
    )
    func clampsToFourDigitYears(_ seconds: Double, _ expected: String) {
        let written = InternetDateTime.format(Date(timeIntervalSince1970: seconds))
        #expect(written == expected)
        #expect(InternetDateTime.parse(written) != nil)
    }

    @Test("a string that is no date-time fails decoding with a DecodingError naming the form")
    func refusesInDecoding() {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = InternetDateTime.decodingStrategy
        #expect {
            try decoder.decode([Date].self, from: Data(#"["yesterday"]"#.utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription.contains("RFC 3339")
        }
    }
}

import TesseraJOSE
import Testing

@Suite("Form decoding is strict")
struct FormEncodingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let expected: [String: String]?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain fields", body: "a=1&b=two", expected: ["a": "1", "b": "two"]),
        Case(name: "plus is a space, escapes decode", body: "s=a+b%2Fc%3D", expected: ["s": "a b/c="]),
        Case(name: "UTF-8 escapes", body: "n=%C3%A9", expected: ["n": "é"]),
        Case(name: "empty value and empty pairs", body: "a=&&b", expected: ["a": "", "b": ""]),
        Case(name: "%ZZ is malformed, not empty", body: "client_secret=%ZZ", expected: nil),
        Case(name: "a truncated escape", body: "scope=abc%4", expected: nil),
        Case(name: "a bare percent", body: "scope=%", expected: nil),
        Case(name: "bytes that are not UTF-8", body: "x=%FF%FE", expected: nil),
        Case(name: "a malformed name", body: "%G1=x", expected: nil),
        Case(name: "a repeated name (RFC 6749 §3.1)", body: "scope=a&scope=b", expected: nil),
    ]

    @Test("decode", arguments: cases)
    func decode(_ testCase: Case) throws {
        if let expected = testCase.expected {
            #expect(try FormEncoding.decode(testCase.body) == expected)
        } else {
            #expect(throws: FormEncoding.DecodingError.self) { try FormEncoding.decode(testCase.body) }
        }
    }

    @Test("the error names the field and the fix, never the value")
    func errorText() {
        do {
            _ = try FormEncoding.decode("client_secret=canary%ZZ")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("'client_secret'"))
            #expect("\(error)".contains("RFC 6749"))
            #expect(!"\(error)".contains("canary"))
        }
    }
}

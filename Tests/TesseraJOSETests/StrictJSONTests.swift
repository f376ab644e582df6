import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Duplicate-rejecting JSON")
struct StrictJSONTests {
    @Test("parses protocol documents")
    func parses() throws {
        let object = try StrictJSON.parseObject(
            Array(#"{"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\n"},"n":-1.5e2,"s":"\ud83d\ude00"}"#.utf8)
        )
        #expect(object["a"]?.integerValue == 1)
        #expect(object["b"] == .array([.bool(true), .bool(false), .null]))
        #expect(object["c"]?["d"]?.stringValue == "eé\n")
        #expect(object["n"]?.doubleValue == -150)
        #expect(object["s"]?.stringValue == "😀")
    }

    @Test(
        "rejects",
        arguments: [
            ("duplicate member", #"{"alg":"RS256","alg":"none"}"#, StrictJSON.ParseError.Reason.duplicateMember),
            ("duplicate after unescaping", #"{"alg":"RS256","\u0061lg":"none"}"#, .duplicateMember),
            ("nested duplicate", #"{"a":{"k":1,"k":2}}"#, .duplicateMember),
            ("duplicate in array element", #"[{"k":1,"k":1}]"#, .duplicateMember),
            ("trailing data", #"{"a":1}x"#, .trailingData),
            ("second document", #"{"a":1}{"b":2}"#, .trailingData),
            ("trailing comma", #"{"a":1,}"#, .unexpectedCharacter),
            ("single quotes", #"{'a':1}"#, .unexpectedCharacter),
            ("leading zero", #"{"a":01}"#, .unexpectedCharacter),
            ("bare fraction", #"{"a":.5}"#, .unexpectedCharacter),
            ("lone high surrogate", #"{"a":"\ud83d"}"#, .invalidString),
            ("lone low surrogate", #"{"a":"\ude00"}"#, .invalidString),
            ("raw control character", "{\"a\":\"\u{01}\"}", .invalidString),
            ("bad escape", #"{"a":"\x"}"#, .invalidString),
            ("truncated", #"{"a":"#, .unexpectedEnd),
            ("empty", "", .unexpectedEnd),
            ("NaN", #"{"a":NaN}"#, .unexpectedCharacter),
            ("huge number", #"{"a":1e400}"#, .invalidNumber),
        ]
    )
    func rejects(name: String, text: String, reason: StrictJSON.ParseError.Reason) {
        #expect(throws: StrictJSON.ParseError.self, "\(name)") { try StrictJSON.parse(Array(text.utf8)) }
        do {
            _ = try StrictJSON.parse(Array(text.utf8))
        } catch {
            #expect(error.reason == reason, "\(name)")
        }
    }

    @Test("rejects invalid UTF-8")
    func invalidUTF8() {
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("bounds nesting depth")
    func depth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Array(deep.utf8)) }
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try StrictJSON.parse(Array(shallow.utf8)) }
    }

    @Test("a non-object is refused where an object is required")
    func notObject() {
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parseObject(Array("[1]".utf8)) }
    }
}

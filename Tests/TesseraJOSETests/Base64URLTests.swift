import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Strict base64url")
struct Base64URLTests {
    @Test("round trips every length", arguments: 0..<40)
    func roundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("="))
        #expect(Base64URL.decode(encoded) == bytes)
    }

    @Test("decodes the RFC 7515 example header")
    func rfcExample() {
        let decoded = Base64URL.decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9")
        #expect(decoded.map { String(decoding: $0, as: UTF8.self) } == "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}")
    }

    @Test(
        "rejects non-canonical input",
        arguments: [
            ("padding", "YQ=="), ("standard alphabet plus", "a+b/"), ("whitespace", "YW Jj"), ("newline", "YWJj\n"),
            ("impossible length", "YWJjZ"), ("non-zero trailing bits (2 spare)", "YR"),
            ("non-zero trailing bits (4 spare)", "YWJ"),
            ("non-ASCII", "YWJj\u{00E9}"), ("dot", "YW.j"),
        ]
    )
    func rejects(name: String, input: String) {
        #expect(Base64URL.decode(input) == nil, "\(name)")
    }
}

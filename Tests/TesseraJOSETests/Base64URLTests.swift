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

    @Test(
        "random(byteCount:) draws that many bytes, encoded canonically; two draws differ",
        arguments: [16, 24, 30, 32]
    )
    func random(byteCount: Int) throws {
        let first = Base64URL.random(byteCount: byteCount)
        let decoded = try #require(Base64URL.decode(first))
        #expect(decoded.count == byteCount)
        #expect(first.utf8.count == (byteCount * 8 + 5) / 6)
        #expect(Base64URL.random(byteCount: byteCount) != first)
        // Not a constant fill: 16+ random bytes are never all equal but with probability 2^-120.
        #expect(Set(decoded).count > 1)
    }

    @Test("random(byteCount:) of no bytes is the empty string", arguments: [0, -1])
    func randomOfNothing(byteCount: Int) {
        #expect(Base64URL.random(byteCount: byteCount) == "")
    }

    @Test("decodes from a collection that is not contiguous as from a string")
    func nonContiguous() {
        let text = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        let lazy = text.utf8.lazy.map { $0 }
        #expect(lazy.withContiguousStorageIfAvailable { _ in true } == nil, "the fallback path is the one tested")
        #expect(Base64URL.decode(utf8: lazy) == Base64URL.decode(text))
        #expect(Base64URL.decode(utf8: "YWJ".utf8.lazy.map { $0 }) == nil)
        #expect(Base64URL.decode(utf8: Array(text.utf8)[4...]) == Base64URL.decode(String(text.dropFirst(4))))
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
            ("impossible length", "YWJjZ"), ("non-zero trailing bits (4 spare)", "YR"),
            ("non-zero trailing bits (2 spare)", "YWJ"), ("only the highest of 4 spare bits set", "YY"),
            ("only the highest of 2 spare bits set", "YWK"),
            ("non-ASCII", "YWJj\u{00E9}"), ("dot", "YW.j"), ("outside the alphabet in the 3-character tail", "YWJjZA@"),
            ("outside the alphabet in the 2-character tail", "YWJj@A"),
            ("outside the alphabet in a full block", "YW@jZGVm"),
            ("outside the alphabet in the last full block", "YWJjZGV@"),
        ]
    )
    func rejects(name: String, input: String) {
        #expect(Base64URL.decode(input) == nil, "\(name)")
    }
}

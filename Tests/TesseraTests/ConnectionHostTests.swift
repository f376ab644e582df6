import Foundation
import Testing

@testable import Tessera

@Suite("The host a URL connects to: ASCII (punycode for an internationalized name), percent escapes decoded")
struct ConnectionHostTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let url: String
        let expected: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "a DNS name, as written",
            url: "https://LOGIN.microsoftonline.com/x",
            expected: "LOGIN.microsoftonline.com"
        ),
        Case(name: "IPv4", url: "http://127.0.0.1:8080/", expected: "127.0.0.1"),
        Case(name: "IPv6 keeps its brackets", url: "http://[::1]:8080/", expected: "[::1]"),
        Case(name: "an IPv6 zone, unescaped", url: "postgres://u@[fe80::1%25eth0]:5432/db", expected: "[fe80::1%eth0]"),
        Case(
            name: "an internationalized name as punycode",
            url: "https://bücher.example/",
            expected: "xn--bcher-kva.example"
        ),
        Case(name: "punycode stays punycode", url: "https://xn--bcher-kva.example/", expected: "xn--bcher-kva.example"),
        Case(name: "user info is not the host", url: "http://user:pw@proxy.example:3128", expected: "proxy.example"),
        Case(name: "no host", url: "file:///etc/hosts", expected: ""),
    ]

    @Test("connectionHost", arguments: cases)
    func connectionHost(_ testCase: Case) throws {
        let components = try #require(URLComponents(string: testCase.url))
        #expect((components.connectionHost ?? "") == (testCase.expected ?? ""))
    }
}

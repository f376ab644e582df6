import AsyncHTTPClient
import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// DNS rebinding: a loopback server answers only its own names with its port (`LoopbackHost.allowsHostHeader`, the
/// rule the emulator's and the daemon's operator endpoint's middleware apply).
@Suite("Host header: the loopback rule, and the emulator's 421 Misdirected Request")
struct HostHeaderTests {
    struct Rule: Sendable, CustomTestStringConvertible {
        let host: String?
        var port = 8443
        var defaultPort = 443
        var alsoAllowed: [String] = []
        let allowed: Bool
        var testDescription: String {
            "\(host.map { "'\($0)'" } ?? "no Host") on \(port)\(alsoAllowed.isEmpty ? "" : " +\(alsoAllowed)") → "
                + (allowed ? "allowed" : "refused")
        }
    }

    static let proxied = ["isv.example", "isv.example:443"]

    static let rules = [
        Rule(host: "localhost:8443", allowed: true),
        Rule(host: "127.0.0.1:8443", allowed: true),
        Rule(host: "[::1]:8443", allowed: true),
        Rule(host: "LocalHost:8443", allowed: true),
        Rule(host: "localhost", port: 443, allowed: true),
        Rule(host: "127.0.0.1", port: 80, defaultPort: 80, allowed: true),
        Rule(host: "localhost:8444", allowed: false),
        Rule(host: "localhost", allowed: false),
        Rule(host: "[::1]", allowed: false),
        Rule(host: "evil.example:8443", allowed: false),
        Rule(host: "evil.example", port: 443, allowed: false),
        Rule(host: "127.0.0.1.evil.example:8443", allowed: false),
        Rule(host: "localhost.evil.example:8443", allowed: false),
        Rule(host: "localhost.:8443", allowed: false),
        Rule(host: "127.0.0.2:8443", allowed: false),
        Rule(host: "::1:8443", allowed: false),
        Rule(host: "user@localhost:8443", allowed: false),
        Rule(host: "localhost :8443", allowed: false),
        Rule(host: "localhost:", allowed: false),
        Rule(host: "localhost:+8443", allowed: false),
        Rule(host: "localhost:65536", allowed: false),
        Rule(host: "", allowed: false),
        Rule(host: nil, allowed: false),
        Rule(host: "isv.example", port: 9100, defaultPort: 80, alsoAllowed: proxied, allowed: true),
        Rule(host: "ISV.example:443", port: 9100, defaultPort: 80, alsoAllowed: proxied, allowed: true),
        Rule(host: "isv.example:9100", port: 9100, defaultPort: 80, alsoAllowed: proxied, allowed: false),
        Rule(host: "isv.example.evil.example", port: 9100, defaultPort: 80, alsoAllowed: proxied, allowed: false),
        Rule(host: "localhost:9100", port: 9100, defaultPort: 80, alsoAllowed: proxied, allowed: true),
    ]

    @Test("LoopbackHost.allowsHostHeader", arguments: rules)
    func rule(_ rule: Rule) {
        #expect(
            LoopbackHost.allowsHostHeader(
                rule.host,
                boundPort: rule.port,
                defaultPort: rule.defaultPort,
                alsoAllowed: rule.alsoAllowed
            ) == rule.allowed
        )
    }

    static let forms: [(String, [String])] = [
        ("https://isv.example/onboarding/callback", ["isv.example", "isv.example:443"]),
        ("http://ISV.example:80/x", ["isv.example", "isv.example:80"]),
        ("http://127.0.0.1:9100/onboarding/callback", ["127.0.0.1:9100"]),
        ("https://isv.example:8443/cb", ["isv.example:8443"]),
        ("http://[::1]:9100/cb", ["[::1]:9100"]),
        ("ftp://isv.example/", []),
        ("not a url", []),
    ]

    @Test("LoopbackHost.hostHeaderForms: a redirect URI's Host values", arguments: forms)
    func hostForms(url: String, expected: [String]) {
        #expect(LoopbackHost.hostHeaderForms(ofURL: url) == expected)
    }

    /// `Host` headers (`{port}`: the emulator's, `{next}`: another) → status.
    static let requests: [([String], Int)] = [
        (["localhost:{port}"], 200), (["127.0.0.1:{port}"], 200), (["[::1]:{port}"], 200),
        (["LOCALHOST:{port}"], 200),
        (["localhost:{next}"], 421), (["localhost"], 421), (["evil.example:{port}"], 421), (["evil.example"], 421),
        (["127.0.0.1.evil.example:{port}"], 421), (["localhost:{port}", "evil.example:{port}"], 421),
    ]

    static let imds =
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fgraph.microsoft.com"

    @Test(
        "the emulator answers 421 unless Host names it (HTTPS, and --http's IMDS endpoint)",
        arguments: [true, false]
    )
    func emulator(https: Bool) async throws {
        try await withEmulator(model: ManagedIdentityFixture.model(), configure: { $0.https = https }) { emulator in
            let port = try #require(URLComponents(string: emulator.baseURL)?.port)
            for (hosts, status) in Self.requests {
                var request = HTTPClientRequest(url: emulator.baseURL + Self.imds)
                request.headers.add(name: "Metadata", value: "true")
                for host in hosts {
                    let value = host.replacingOccurrences(of: "{port}", with: "\(port)")
                        .replacingOccurrences(of: "{next}", with: "\(port + 1)")
                    request.headers.add(name: "Host", value: value)
                }
                let answer = try await send(emulator, request)
                let text = String(decoding: answer.body, as: UTF8.self)
                #expect(answer.status == status, "Host: \(hosts) → \(text.prefix(200))")
                if status == 421 {
                    #expect(text.contains("misdirected_request") && !text.contains("access_token"))
                }
            }
            // No Host at all (curl -H "Host:" removes it).
            guard Peers.which("curl") != nil else { return }
            var arguments = ["curl", "-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host:"]
            arguments += ["-H", "Metadata: true"]
            if let caFile = emulator.caFile { arguments += ["--cacert", caFile] }
            let code = try await Peers.runAsync("/usr/bin/env", arguments + [emulator.baseURL + Self.imds])
            #expect(code.trimmingCharacters(in: .whitespacesAndNewlines) == "421", "no Host header")
        }
    }
}

import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// Keys come only over https (or http to loopback), from a discovery document that names the expected issuer:
/// whoever answers a plain-HTTP key fetch, or serves a document for another issuer, could forge every token.
@Suite("Key sources: https or loopback only; the discovery document's issuer checked")
struct KeySourceTests {
    /// The rejection `body` throws, if it is one.
    func rejection(_ body: () async throws -> Void) async -> TokenRejection? {
        do {
            try await body()
            Issue.record("accepted")
        } catch let rejection as TokenRejection {
            return rejection
        } catch {
            Issue.record("\(error)")
        }
        return nil
    }

    /// One key URL and whether keys may be fetched from it.
    struct KeyURL: Sendable, CustomTestStringConvertible {
        let url: String
        let secure: Bool
        var testDescription: String { url }
    }

    static let keyURLs: [KeyURL] = [
        KeyURL(url: "https://login.microsoftonline.com/common/discovery/v2.0/keys", secure: true),
        KeyURL(url: "http://127.0.0.1:8080/keys", secure: true),
        KeyURL(url: "http://localhost/keys", secure: true),
        KeyURL(url: "http://[::1]:9000/keys", secure: true),
        KeyURL(url: "http://keys.example/keys", secure: false),
        KeyURL(url: "http://app.localhost/keys", secure: false),
        KeyURL(url: "http://127.0.0.1.example/keys", secure: false),
        KeyURL(url: "ftp://keys.example/keys", secure: false),
        KeyURL(url: "keys.example/keys", secure: false),
    ]

    @Test("which key URLs may be fetched", arguments: keyURLs)
    func keyURL(_ case: KeyURL) {
        #expect(SigningKeySet.isSecureKeyURL(`case`.url) == `case`.secure)
    }

    @Test("a JWKS URL over plain http to another host is refused before any connection, naming the way to allow it")
    func insecureJWKS() async throws {
        let keys = SigningKeySet(url: "http://keys.example/jwks")
        let refused = await rejection { _ = try await keys.key("k1", now: Date()) }
        #expect(refused?.reason == .keysUnavailable)
        #expect(refused?.explanation.contains("'http://keys.example/jwks' is not https") == true)
        #expect(refused?.explanation.contains("allowInsecureURL") == true)
    }

    @Test("a discovered jwks_uri over plain http to another host is refused; one naming another issuer too")
    func discovery() async throws {
        try await TestAPI().run { api in
            let discovery = api.baseURL + "/tenant/v2.0/.well-known/openid-configuration"
            let issuer = api.baseURL + "/tenant/v2.0"
            api.script(
                "/tenant/v2.0/.well-known/openid-configuration",
                .init(status: 200, body: #"{"issuer": "\#(issuer)", "jwks_uri": "http://keys.example/keys"}"#),
                .init(
                    status: 200,
                    body: #"{"issuer": "https://evil.example/v2.0", "jwks_uri": "\#(api.baseURL)/keys"}"#
                ),
                .init(status: 200, body: #"{"issuer": "\#(issuer)", "jwks_uri": "\#(api.baseURL)/keys"}"#)
            )
            api.script("/keys", .init(status: 200, body: String(decoding: TestIssuer.shared.jwks(), as: UTF8.self)))
            let plain = await rejection {
                _ = try await SigningKeySet(url: discovery, discovery: true).key("k1", now: Date())
            }
            #expect(plain?.explanation.contains("the jwks_uri of \(discovery)") == true)
            #expect(plain?.explanation.contains("'http://keys.example/keys' is not https") == true)
            #expect(api.count("/keys") == 0)
            let foreign = await rejection {
                _ = try await SigningKeySet(url: discovery, discovery: true).key("k1", now: Date())
            }
            #expect(foreign?.explanation.contains("names issuer 'https://evil.example/v2.0', not '\(issuer)'") == true)
            #expect(api.count("/keys") == 0, "no key of another issuer's document is fetched")
            let key = try await SigningKeySet(url: discovery, discovery: true).key("k1", now: Date())
            #expect(key.kid == "k1")
            #expect(api.count("/keys") == 1)
        }
    }

    @Test(
        "an explicit issuer (the policy's template) is compared byte for byte; {tenantid} stands for the URL's tenant"
    )
    func issuerMatching() {
        let url = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0"
        #expect(SigningKeySet.issuer(template, matches: nil, discoveryURL: url))
        #expect(SigningKeySet.issuer("https://login.microsoftonline.com/common/v2.0", matches: nil, discoveryURL: url))
        #expect(!SigningKeySet.issuer("https://login.microsoftonline.com/other/v2.0", matches: nil, discoveryURL: url))
        #expect(!SigningKeySet.issuer("https://evil.example/{tenantid}/v2.0", matches: nil, discoveryURL: url))
        #expect(!SigningKeySet.issuer("", matches: nil, discoveryURL: url))
        #expect(SigningKeySet.issuer(template, matches: template, discoveryURL: url))
        let exact = "https://login.microsoftonline.com/\(TestIssuer.tenant)/v2.0"
        #expect(
            !SigningKeySet.issuer(template, matches: exact, discoveryURL: url),
            "a template is not the tenant's issuer"
        )
    }
}

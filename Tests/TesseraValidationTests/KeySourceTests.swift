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
        KeyURL(url: "http://127.+0.0.1/keys", secure: false),
        KeyURL(url: "http://127.0.0.09/keys", secure: false),
        KeyURL(url: "http://127.0.0.1@evil.example/keys", secure: false),
        KeyURL(url: "HTTPS://login.microsoftonline.com/keys", secure: true),
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
                _ = try await SigningKeySet(url: discovery, discovery: true, issuer: issuer).key("k1", now: Date())
            }
            #expect(foreign?.explanation.contains("names issuer 'https://evil.example/v2.0', not '\(issuer)'") == true)
            #expect(api.count("/keys") == 0, "no key of another issuer's document is fetched")
            let key = try await SigningKeySet(url: discovery, discovery: true, issuer: issuer).key("k1", now: Date())
            #expect(key.kid == "k1")
            #expect(api.count("/keys") == 1)
        }
    }

    /// A discovery document's issuer, the policy's, and whether they agree.
    struct IssuerPair: Sendable, CustomTestStringConvertible {
        let document: String
        let policy: String?
        let agree: Bool
        var testDescription: String { "\(document) vs \(policy ?? "nothing")" }
    }

    static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    static let entra = "https://login.microsoftonline.com/"
    static let issuerPairs: [IssuerPair] = [
        IssuerPair(document: "https://evil.example/v2.0", policy: nil, agree: true),
        IssuerPair(document: entra + tenant + "/v2.0", policy: entra + tenant + "/v2.0", agree: true),
        IssuerPair(document: entra + tenant + "/v2.0/", policy: entra + tenant + "/v2.0", agree: true),
        IssuerPair(document: entra + "{tenantid}/v2.0", policy: entra + tenant + "/v2.0", agree: true),
        IssuerPair(document: entra + tenant + "/v2.0", policy: entra + "{tenantid}/v2.0", agree: true),
        IssuerPair(document: entra + "{tenantid}/v2.0", policy: entra + "{tenantid}/v2.0", agree: true),
        IssuerPair(
            document: "https://sts.windows.net/{tenantid}/",
            policy: "https://sts.windows.net/\(tenant)/",
            agree: true
        ),
        IssuerPair(document: "https://evil.example/{tenantid}/v2.0", policy: entra + "{tenantid}/v2.0", agree: false),
        IssuerPair(document: "https://{tenantid}/x/v2.0", policy: entra + "x/v2.0", agree: false),
        IssuerPair(document: entra + "/v2.0", policy: entra + "{tenantid}/v2.0", agree: false),
        IssuerPair(document: entra + "a/b/v2.0", policy: entra + "{tenantid}/v2.0", agree: false),
        IssuerPair(document: "https://sts.windows.net/\(tenant)/", policy: entra + tenant + "/v2.0", agree: false),
        IssuerPair(document: "", policy: entra + "{tenantid}/v2.0", agree: false),
    ]

    @Test(
        "a discovery document's issuer against the policy's: exact, or {tenantid} for one path segment",
        arguments: issuerPairs
    )
    func issuerMatching(_ pair: IssuerPair) {
        #expect(SigningKeySet.issuer(pair.document, matches: pair.policy) == pair.agree)
    }
}

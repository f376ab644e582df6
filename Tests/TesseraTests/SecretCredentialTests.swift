import Crypto
import Foundation
import Tessera
import TesseraTestSupport
import Testing

@Suite("Client secret over real HTTP")
struct SecretCredentialTests {
    @Test("client_secret_post: the form of BRIEF §2 and MSAL-style telemetry headers")
    func post() async throws {
        try await TestTokenServer.daemon().run { server in
            let token = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(token.token.hasPrefix("test-token-"))
            #expect(token.source == .identityProvider)
            #expect(token.lifetime == 3599)
            #expect(abs(token.expiresOn.timeIntervalSinceNow - 3599) < 30)
            #expect(token.tenant == tenantID)
            let request = try #require(server.tokenRequests.first)
            #expect(request.path == "/\(tenantID)/oauth2/v2.0/token")
            #expect(
                request.form == [
                    "grant_type": "client_credentials", "client_id": daemonClientID,
                    "scope": "https://graph.microsoft.com/.default", "client_secret": testSecret,
                ]
            )
            #expect(request.headers["authorization"] == nil)
            #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(request.headers["x-client-sku"] == "tessera.swift")
            #expect(request.headers["x-client-ver"] == TesseraVersion.version)
            #expect(request.headers["x-client-os"] != nil)
            #expect(request.headers["x-ms-lib-capability"] == "retry-after, h429")
            let correlation = try #require(request.headers["client-request-id"])
            #expect(UUID(uuidString: correlation) != nil)
            #expect(token.correlationID == correlation)
        }
    }

    @Test("client_secret_basic: RFC 6749 §2.3.1 form-encodes before base64; no secret in the body")
    func basic() async throws {
        let awkward = "s3cr3t+with/odd:chars and space%"
        try await TestTokenServer.daemon(secret: awkward).run { server in
            _ = try await withClient(server, credential: ClientSecretCredential(secret: awkward, method: .basic)) {
                client in
                try await client.identityProvider.token(scope: "api://reports/.default")
            }
            let request = try #require(server.tokenRequests.first)
            #expect(request.form["client_secret"] == nil)
            #expect(request.headers["authorization"]?.hasPrefix("Basic ") == true)
            #expect(!request.rawBody.contains("s3cr3t"))
        }
    }

    @Test("every request has a fresh client-request-id")
    func correlationIDs() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                for _ in 0..<3 {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            let ids = Set(server.tokenRequests.compactMap { $0.headers["client-request-id"] })
            #expect(ids.count == 3)
        }
    }

    @Test("a wrong secret is AADSTS7000215 with the fix and the correlation ID")
    func wrongSecret() async throws {
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: "wrong-secret-value")) {
                    client in
                    try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .invalidClient)
            #expect(error?.aadstsCode == 7_000_215)
            #expect(error?.httpStatus == 401)
            #expect(error?.message.contains("Value (not its Secret ID)") == true)
            #expect(error?.correlationID == server.tokenRequests.first?.headers["client-request-id"])
            #expect(error?.traceID == "trace-1234")
            #expect(error?.description.contains("wrong-secret-value") == false)
        }
    }

    @Test("the description of a credential and of a token never shows the secret")
    func descriptions() async throws {
        let credential = ClientSecretCredential(secret: testSecret)
        #expect(!"\(credential)".contains(testSecret))
        #expect(credential.identity.hasPrefix("secret:"))
        #expect(credential.identity == ClientSecretCredential(secret: testSecret).identity)
        #expect(credential.identity != ClientSecretCredential(secret: "other").identity)
    }

    /// The first 8 bytes of the plain SHA-256, as the fingerprint once was: checkable against guesses of the secret.
    static func plainSHA256Prefix(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    @Test("fingerprints in logs are keyed by the process; the shared-cache identity is the same everywhere")
    func keyedFingerprints() throws {
        let credential = ClientSecretCredential(secret: testSecret)
        let plain = Self.plainSHA256Prefix(testSecret)
        #expect(credential.identity != "secret:" + plain)
        #expect(!credential.sharedCacheIdentity.contains(plain))
        #expect(!credential.sharedCacheIdentity.contains(testSecret))
        #expect(credential.sharedCacheIdentity == ClientSecretCredential(secret: testSecret).sharedCacheIdentity)
        #expect(credential.sharedCacheIdentity != ClientSecretCredential(secret: "other").sharedCacheIdentity)
        let assertion = ClientAssertionCredential(assertion: "canary-assertion")
        #expect(assertion.identity != "assertion:static:" + Self.plainSHA256Prefix("canary-assertion"))
        let token = AccessToken(
            token: "canary-token",
            expiresOn: Date(timeIntervalSinceNow: 3600),
            lifetime: 3600,
            scopes: []
        )
        #expect(token.fingerprint != Self.plainSHA256Prefix("canary-token"))
        #expect(token.fingerprint.count == 16)
        let rotating = RotatingCredential([credential, assertion])
        #expect(rotating.sharedCacheIdentity == RotatingCredential([credential, assertion]).sharedCacheIdentity)
        #expect(rotating.sharedCacheIdentity.hasPrefix("rotating:"))
    }
}

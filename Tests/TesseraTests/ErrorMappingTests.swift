import Foundation
import Tessera
import TesseraTestSupport
import Testing

/// Every class of token-endpoint answer maps to the right ``IdentityError``: canned answers over real HTTP.
@Suite("Token endpoint answers → IdentityError")
struct ErrorMappingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let answer: TestTokenServer.Canned
        let code: IdentityError.Code
        var aadsts: Int? = nil
        var retryAfter: Duration? = nil
        var messageContains: String? = nil
        var testDescription: String { name }
    }

    static func entra(_ status: Int, _ error: String, _ code: Int, _ description: String = "") -> TestTokenServer.Canned
    {
        let body =
            #"{"error":"\#(error)","error_description":"AADSTS\#(code): \#(description) Trace ID: t Correlation ID: c","error_codes":[\#(code)],"timestamp":"2026-11-25 00:00:00Z","trace_id":"t","correlation_id":"c"}"#
        return .init(status: status, body: body)
    }

    static let cases: [Case] = [
        Case(
            name: "700016 app not in tenant",
            answer: entra(400, "unauthorized_client", 700016),
            code: .applicationNotFound,
            aadsts: 700016,
            messageContains: "admin consent"
        ),
        Case(
            name: "7000215 wrong secret",
            answer: entra(401, "invalid_client", 7_000_215),
            code: .invalidClient,
            aadsts: 7_000_215,
            messageContains: "Secret ID"
        ),
        Case(
            name: "7000222 expired secret",
            answer: entra(401, "invalid_client", 7_000_222),
            code: .invalidClient,
            aadsts: 7_000_222,
            messageContains: "expired"
        ),
        Case(
            name: "700027 bad signature / unknown cert",
            answer: entra(401, "invalid_client", 700027),
            code: .invalidClient,
            aadsts: 700027,
            messageContains: "certificate"
        ),
        Case(
            name: "700024 clock skew",
            answer: entra(401, "invalid_client", 700024),
            code: .invalidClient,
            aadsts: 700024,
            messageContains: "clock"
        ),
        Case(
            name: "700023 assertion audience",
            answer: entra(401, "invalid_client", 700023),
            code: .invalidClient,
            aadsts: 700023,
            messageContains: "audience"
        ),
        Case(
            name: "5002741 several audiences",
            answer: entra(401, "invalid_client", 5_002_741),
            code: .invalidClient,
            aadsts: 5_002_741
        ),
        Case(
            name: "1002012 scope without /.default",
            answer: entra(400, "invalid_scope", 1_002_012),
            code: .invalidScope,
            aadsts: 1_002_012,
            messageContains: "/.default"
        ),
        Case(
            name: "70011 invalid scope",
            answer: entra(400, "invalid_scope", 70011),
            code: .invalidScope,
            aadsts: 70011
        ),
        Case(
            name: "500011 resource not in tenant",
            answer: entra(400, "invalid_resource", 500011),
            code: .invalidResource,
            aadsts: 500011
        ),
        Case(
            name: "90002 tenant not found",
            answer: entra(400, "invalid_request", 90002),
            code: .unknownTenant,
            aadsts: 90002,
            messageContains: "cloud"
        ),
        Case(
            name: "7000112 app disabled",
            answer: entra(400, "unauthorized_client", 7_000_112),
            code: .applicationDisabled,
            aadsts: 7_000_112
        ),
        Case(
            name: "501051 app-role assignment required",
            answer: entra(400, "invalid_grant", 501051),
            code: .consentRequired,
            aadsts: 501051
        ),
        Case(
            name: "50196 loop detected",
            answer: entra(400, "invalid_request", 50196),
            code: .throttled,
            aadsts: 50196,
            messageContains: "loop"
        ),
        Case(
            name: "70021 federated credential mismatch",
            answer: entra(400, "invalid_request", 70021),
            code: .invalidClient,
            aadsts: 70021
        ),
        Case(
            name: "70003 unsupported grant",
            answer: entra(400, "unsupported_grant_type", 70003),
            code: .unauthorizedClient,
            aadsts: 70003
        ),
        Case(
            name: "unknown AADSTS falls back to the OAuth error",
            answer: entra(400, "invalid_client", 9_999_999),
            code: .invalidClient,
            aadsts: 9_999_999
        ),
        Case(
            name: "AADSTS only in the description",
            answer: .init(
                status: 400,
                body: #"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#
            ),
            code: .unknownTenant,
            aadsts: 90002
        ),
        Case(
            name: "generic OAuth invalid_client",
            answer: .init(status: 401, body: #"{"error":"invalid_client"}"#),
            code: .invalidClient
        ),
        Case(
            name: "generic unknown error value",
            answer: .init(status: 400, body: #"{"error":"weird_error"}"#),
            code: .requestRejected,
            messageContains: "weird_error"
        ),
        Case(
            name: "429 with Retry-After seconds",
            answer: .init(status: 429, headers: ["Retry-After": "17"], body: #"{"error":"temporarily_unavailable"}"#),
            code: .throttled,
            retryAfter: .seconds(17)
        ),
        Case(
            name: "429 with an HTTP-date Retry-After",
            answer: .init(status: 429, headers: ["Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT"], body: ""),
            code: .throttled,
            retryAfter: .zero
        ),
        Case(
            name: "429 Retry-After capped at an hour",
            answer: .init(status: 429, headers: ["Retry-After": "999999"], body: ""),
            code: .throttled,
            retryAfter: .seconds(3600)
        ),
        Case(
            name: "503 HTML from a gateway",
            answer: .init(
                status: 503,
                headers: ["Content-Type": "text/html", "Retry-After": "5"],
                body: "<html><body>Service Unavailable</body></html>"
            ),
            code: .serverError,
            retryAfter: .seconds(5),
            messageContains: "HTTP 503"
        ),
        Case(name: "500 empty", answer: .init(status: 500, body: ""), code: .serverError, messageContains: "HTTP 500"),
        Case(
            name: "400 HTML",
            answer: .init(
                status: 400,
                headers: ["Content-Type": "text/html"],
                body: "<!DOCTYPE html><html>nope</html>"
            ),
            code: .protocolViolation,
            messageContains: "HTTP 400"
        ),
        Case(
            name: "403 empty body (Glewlwyd)",
            answer: .init(status: 403, body: ""),
            code: .requestRejected,
            messageContains: "HTTP 403"
        ),
        Case(
            name: "401 truncated JSON",
            answer: .init(status: 401, body: #"{"error":"invalid_cli"#),
            code: .protocolViolation,
            messageContains: "truncated"
        ),
        Case(
            name: "200 truncated JSON",
            answer: .init(status: 200, body: #"{"access_token":"abc","token_type":"Bea"#),
            code: .protocolViolation
        ),
        Case(
            name: "200 not JSON",
            answer: .init(status: 200, headers: ["Content-Type": "text/plain"], body: "hello"),
            code: .protocolViolation
        ),
        Case(
            name: "200 empty",
            answer: .init(status: 200, body: ""),
            code: .protocolViolation,
            messageContains: "empty"
        ),
        Case(
            name: "200 without access_token",
            answer: .init(status: 200, body: #"{"token_type":"Bearer","expires_in":3599}"#),
            code: .protocolViolation,
            messageContains: "access_token"
        ),
        Case(
            name: "200 with a non-Bearer token_type",
            answer: .init(status: 200, body: #"{"access_token":"a","token_type":"pop","expires_in":3599}"#),
            code: .protocolViolation,
            messageContains: "Bearer"
        ),
        Case(
            name: "200 without token_type",
            answer: .init(status: 200, body: #"{"access_token":"a","expires_in":3599}"#),
            code: .protocolViolation
        ),
        Case(
            name: "200 with expires_in 0",
            answer: .init(status: 200, body: #"{"access_token":"a","token_type":"Bearer","expires_in":0}"#),
            code: .protocolViolation,
            messageContains: "expires_in"
        ),
        Case(
            name: "200 with a fractional expires_in",
            answer: .init(status: 200, body: #"{"access_token":"a","token_type":"Bearer","expires_in":1.5}"#),
            code: .protocolViolation
        ),
        Case(
            name: "200 with a non-numeric expires_in",
            answer: .init(status: 200, body: #"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#),
            code: .protocolViolation
        ),
        Case(
            name: "200 with duplicate access_token members",
            answer: .init(
                status: 200,
                body: #"{"access_token":"a","access_token":"b","token_type":"Bearer","expires_in":3599}"#
            ),
            code: .protocolViolation,
            messageContains: "duplicate"
        ),
        Case(name: "200 JSON array", answer: .init(status: 200, body: "[]"), code: .protocolViolation),
        Case(
            name: "200 larger than the bound",
            answer: .init(
                status: 200,
                body: #"{"access_token":""# + String(repeating: "a", count: 300_000)
                    + #"","token_type":"Bearer","expires_in":3599}"#
            ),
            code: .protocolViolation,
            messageContains: "larger than"
        ),
    ]

    @Test("maps", arguments: cases)
    func maps(_ testCase: Case) async throws {
        let server = TestTokenServer.daemon()
        server.enqueue(testCase.answer)
        try await server.run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                    try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == testCase.code)
            #expect(error?.aadstsCode == testCase.aadsts)
            #expect(error?.httpStatus == testCase.answer.status)
            if let retryAfter = testCase.retryAfter { #expect(error?.retryAfter == retryAfter) }
            if let text = testCase.messageContains {
                #expect(error?.description.contains(text) == true, "\(error?.description ?? "")")
            }
            #expect(error?.correlationID != nil)
            #expect(server.tokenRequests.count == 1, "one request, no retry in the core")
        }
    }

    @Test("accepted answers: case-insensitive Bearer, expires_in as a digit string, refresh_in and ext_expires_in")
    func accepted() async throws {
        let server = TestTokenServer.daemon()
        server.enqueue(
            .init(status: 200, body: #"{"access_token":"tok-1","token_type":"bearer","expires_in":"3599"}"#),
            .init(
                status: 200,
                body:
                    #"{"access_token":"tok-2","token_type":"Bearer","expires_in":3599,"ext_expires_in":7199,"refresh_in":1799}"#
            )
        )
        try await server.run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                let first = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                #expect(first.token == "tok-1")
                #expect(first.tokenType == "Bearer")
                #expect(first.lifetime == 3599)
                #expect(first.refreshOn == nil)
                let second = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                #expect(second.lifetime == 3599)
                let refreshIn = try #require(second.refreshOn).timeIntervalSince(second.expiresOn) + 3599
                #expect(abs(refreshIn - 1799) < 1)
                #expect(abs(try #require(second.extendedExpiresOn).timeIntervalSince(second.expiresOn) - 3600) < 1)
            }
        }
    }

    @Test("a secret echoed back by a server is redacted from the error")
    func redactsEcho() async throws {
        let server = TestTokenServer.daemon()
        server.enqueue(
            .init(
                status: 401,
                body: #"{"error":"invalid_client","error_description":"bad secret \#(testSecret) given"}"#
            )
        )
        try await server.run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) {
                    try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.serverDescription == "bad secret [redacted] given")
            #expect(error?.description.contains(testSecret) == false)
        }
    }
}

import AsyncHTTPClient
import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

func http(caFile: String?) -> HTTPConfiguration {
    var http = HTTPConfiguration()
    http.caFile = caFile
    return http
}

@Suite("Managed identity: IMDS and App Service endpoints (emulator), probe, cache, as a federated assertion")
struct ManagedIdentityTests {
    @Test(
        "IMDS: system-assigned, by client ID, by resource ID; Entra's token shape; an unknown identity is unavailable"
    )
    func imds() async throws {
        try await withEmulator(model: ManagedIdentityFixture.model()) { emulator in
            let endpoint = ManagedIdentityTokenSource.Endpoint.imds(emulator.baseURL)
            for (identity, expected) in [
                (ManagedIdentityTokenSource.Identity.system, ManagedIdentityFixture.system),
                (.clientID(ManagedIdentityFixture.user.clientId), ManagedIdentityFixture.user),
                (.objectID(ManagedIdentityFixture.user.objectId), ManagedIdentityFixture.user),
                (.resourceID(ManagedIdentityFixture.user.resourceId!), ManagedIdentityFixture.user),
            ] {
                let source = try ManagedIdentityTokenSource(
                    identity: identity,
                    endpoint: endpoint,
                    http: http(caFile: emulator.caFile),
                    probeTimeout: .seconds(30)
                )
                let token = try await source.token(scope: "https://graph.microsoft.com/.default")
                let claims = try claims(of: token.token)
                #expect(claims["appid"]?.stringValue == expected.clientId, "\(identity)")
                #expect(claims["oid"]?.stringValue == expected.objectId)
                #expect(claims["aud"]?.stringValue == "https://graph.microsoft.com")
                #expect(token.expiresOn.timeIntervalSinceNow > 3000)
                if expected.systemAssigned == true { #expect(claims["roles"] == .array(["User.Read.All"])) }
                if identity == .resourceID(ManagedIdentityFixture.user.resourceId!) {
                    #expect(claims["xms_mirid"]?.stringValue == expected.resourceId)
                }
                try await source.shutdown()
            }
            let unknown = try ManagedIdentityTokenSource(
                identity: .clientID("00000000-dead-4000-8000-000000000000"),
                endpoint: endpoint,
                http: http(caFile: emulator.caFile),
                probeTimeout: .seconds(30)
            )
            let error = await expectIdentityError {
                _ = try await unknown.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(error?.code == .credentialUnavailable)
            #expect(error?.message.contains("Identity not found") == true)
            try await unknown.shutdown()

            // IMDS requires the Metadata header (against SSRF).
            try await withHTTPClient(caFile: emulator.caFile) { client in
                let response = try await client.execute(
                    HTTPClientRequest(
                        url: emulator.baseURL
                            + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com"
                    ),
                    timeout: .seconds(10)
                )
                #expect(response.status.code == 400)
                #expect(
                    String(buffer: try await response.body.collect(upTo: 1 << 16)).contains(
                        "Required metadata header not specified"
                    )
                )
            }
        }
    }

    @Test("App Service: IDENTITY_ENDPOINT + IDENTITY_HEADER; a wrong header is refused")
    func appService() async throws {
        try await withEmulator(model: ManagedIdentityFixture.model()) { emulator in
            let environment = [
                "IDENTITY_ENDPOINT": emulator.baseURL + "/msi/token", "IDENTITY_HEADER": emulator.identityHeader,
            ]
            let source = try ManagedIdentityTokenSource(
                endpoint: .fromEnvironment(environment),
                http: http(caFile: emulator.caFile)
            )
            #expect("\(source.endpoint)".contains("App Service"))
            let token = try await source.token(scope: "https://graph.microsoft.com/.default")
            #expect(try claims(of: token.token)["appid"]?.stringValue == ManagedIdentityFixture.system.clientId)
            try await source.shutdown()
            let wrong = try ManagedIdentityTokenSource(
                endpoint: .appService(endpoint: emulator.baseURL + "/msi/token", header: "guess"),
                http: http(caFile: emulator.caFile)
            )
            let error = await expectIdentityError {
                _ = try await wrong.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(error?.code == .credentialUnavailable)
            #expect(error.map { "\($0)".contains(emulator.identityHeader) } == false)
            try await wrong.shutdown()
        }
    }

    @Test("the IMDS probe is bounded, and a failed probe does not poison the next attempt")
    func probe() async throws {
        // Nothing listens on the reserved port (and no other test can take it): IMDS is absent. Wall-clock bounds are not
        // asserted: on the loaded 2-core CI machine they measured the scheduler, not the probe.
        let (port, release) = try Peers.reservedPort()
        defer { release() }
        let source = try ManagedIdentityTokenSource(
            endpoint: .imds("https://localhost:\(port)"),
            probeTimeout: .seconds(1)
        )
        let absent = await expectIdentityError {
            _ = try await source.token(scope: "https://graph.microsoft.com/.default")
        }
        #expect(absent?.code == .credentialUnavailable)
        #expect(absent?.message.contains("connect bounded to 1.0 seconds") == true, "\(absent?.message ?? "")")
        try await source.shutdown()
        // The first request to a real IMDS fails (connection dropped: counts as absent), the next one succeeds.
        try await withEmulator(
            model: ManagedIdentityFixture.model(),
            configure: { $0.faults = [Fault(endpoint: "token", count: 1, dropConnection: true)] }
        ) { emulator in
            let later = try ManagedIdentityTokenSource(
                endpoint: .imds(emulator.baseURL),
                http: http(caFile: emulator.caFile),
                probeTimeout: .seconds(30)
            )
            let dropped = await expectIdentityError {
                _ = try await later.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(dropped?.code == .credentialUnavailable)
            _ = await expectIdentityError {
                _ = try await later.token(scope: "https://graph.microsoft.com/.default", tenant: "other")
            }
            let cached = later.cached()
            let first = try await cached.token(scope: "https://graph.microsoft.com/.default")
            let second = try await cached.token(scope: "https://graph.microsoft.com/.default")
            #expect(first.source == .identityProvider && second.source == .cache)
            try await later.shutdown()
        }
    }

    @Test("a managed identity's token as the federated assertion of an app (no secret, no certificate)")
    func federatedFromManagedIdentity() async throws {
        try await withEmulator(model: ManagedIdentityFixture.model()) { emulator in
            // The app trusts the user-assigned identity: issuer = this authority's v2 issuer, subject = its object ID.
            let registration = DirectoryModel.FederatedCredential(
                name: "payroll-mi",
                issuer: "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0",
                subject: ManagedIdentityFixture.user.objectId
            )
            _ = try emulator.directory.modifyApplication(EmulatorFixture.daemon) {
                $0.federatedCredentials = [registration]
            }
            let identity = try ManagedIdentityTokenSource(
                identity: .clientID(ManagedIdentityFixture.user.clientId),
                endpoint: .imds(emulator.baseURL),
                http: http(caFile: emulator.caFile),
                probeTimeout: .seconds(30)
            )
            try await withClient(
                try emulatorClient(emulator, credential: ClientAssertionCredential.managedIdentity(identity.cached()))
            ) { client in
                let token = try await client.token(scope: "api://reports/.default")
                #expect(try claims(of: token.token)["azp"]?.stringValue == EmulatorFixture.daemon)
            }
            // The system identity is not trusted: 700213 (subject).
            let other = try ManagedIdentityTokenSource(
                endpoint: .imds(emulator.baseURL),
                http: http(caFile: emulator.caFile),
                probeTimeout: .seconds(30)
            )
            try await withClient(
                try emulatorClient(emulator, credential: ClientAssertionCredential.managedIdentity(other))
            ) { client in
                let error = await expectIdentityError { _ = try await client.token(scope: "api://reports/.default") }
                #expect(error?.aadstsCode == 700_213)
            }
            try await identity.shutdown()
            try await other.shutdown()
        }
    }
}

/// Runs `body` with `chain`, then shuts down what it made (also when `body` throws).
func withChain(_ chain: ChainedTokenSource, _ body: (ChainedTokenSource) async throws -> Void) async throws {
    do {
        try await body(chain)
        try await chain.shutdown()
    } catch {
        try? await chain.shutdown()
        throw error
    }
}

@Suite("Credential chain from the environment: environment → workload identity → managed identity")
struct CredentialChainTests {
    @Test("each step is chosen when it is the one configured; AZURE_TOKEN_CREDENTIALS narrows the chain")
    func chooses() async throws {
        try await WorkloadIssuer().run { issuer in
            var model = ManagedIdentityFixture.model()
            model.applications[0].federatedCredentials = [
                .init(issuer: issuer.issuer, subject: WorkloadIdentityTests.subject)
            ]
            try await withEmulator(model: model) { emulator in
                let closedIMDS = "https://localhost:\(try Peers.freePort())"
                let base = [
                    "AZURE_TENANT_ID": EmulatorFixture.contoso, "AZURE_CLIENT_ID": EmulatorFixture.daemon,
                    "AZURE_AUTHORITY_HOST": emulator.baseURL,
                    "AZURE_POD_IDENTITY_AUTHORITY_HOST": closedIMDS,
                ]
                let file = NSTemporaryDirectory() + "tessera-chain-\(UUID().uuidString.prefix(8))"
                try (try await issuer.token(subject: WorkloadIdentityTests.subject)).write(
                    toFile: file,
                    atomically: true,
                    encoding: .utf8
                )
                defer { unlink(file) }
                let appService = [
                    "IDENTITY_ENDPOINT": emulator.baseURL + "/msi/token", "IDENTITY_HEADER": emulator.identityHeader,
                ]
                let cases: [(String, [String: String], String, String)] = [
                    (
                        "secret", base.merging(["AZURE_CLIENT_SECRET": EmulatorFixture.secret]) { $1 }, "environment",
                        EmulatorFixture.daemon
                    ),
                    (
                        "certificate",
                        base.merging(["AZURE_CLIENT_CERTIFICATE_PATH": TestPKI.shared.path("combined.pem")]) { $1 },
                        "environment", EmulatorFixture.daemon
                    ),
                    (
                        "federated token file", base.merging(["AZURE_FEDERATED_TOKEN_FILE": file]) { $1 },
                        "workload identity", EmulatorFixture.daemon
                    ),
                    (
                        "App Service managed identity", appService, "managed identity",
                        ManagedIdentityFixture.system.clientId
                    ),
                    (
                        "narrowed to managed identity",
                        base.merging(appService) { $1 }.merging([
                            "AZURE_CLIENT_SECRET": EmulatorFixture.secret,
                            "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
                            "AZURE_CLIENT_ID": ManagedIdentityFixture.user.clientId,
                        ]) { $1 }, "managed identity", ManagedIdentityFixture.user.clientId
                    ),
                ]
                for (name, environment, step, client) in cases {
                    try await withChain(
                        try ChainedTokenSource.environment(environment, http: http(caFile: emulator.caFile))
                    ) { chain in
                        let scope =
                            step == "managed identity"
                            ? "https://graph.microsoft.com/.default" : "api://reports/.default"
                        let token = try await chain.token(scope: scope)
                        let claims = try claims(of: token.token)
                        #expect((claims["azp"] ?? claims["appid"])?.stringValue == client, "\(name)")
                        #expect(chain.chosen?.hasPrefix(step) == true, "\(name): chose \(chain.chosen ?? "nothing")")
                    }
                }
            }
        }
    }

    @Test("nothing works: one error naming every step and why; a configured credential's failure stops the chain")
    func failures() async throws {
        let closedIMDS = "https://localhost:\(try Peers.freePort())"
        let chain = try ChainedTokenSource.environment(["AZURE_POD_IDENTITY_AUTHORITY_HOST": closedIMDS])
        let error = await expectIdentityError {
            _ = try await chain.token(scope: "https://graph.microsoft.com/.default")
        }
        #expect(error?.code == .credentialUnavailable)
        for text in [
            "environment (EnvironmentCredential): neither AZURE_CLIENT_SECRET",
            "workload identity (WorkloadIdentityCredential): AZURE_FEDERATED_TOKEN_FILE is not set",
            "managed identity (ManagedIdentityCredential): no managed identity: IMDS at \(closedIMDS) did not answer",
        ] {
            #expect(error?.message.contains(text) == true, "\(text) in \(error?.message ?? "")")
        }
        try await chain.shutdown()
        #expect(throws: IdentityError.self) {
            try ChainedTokenSource.environment(["AZURE_TOKEN_CREDENTIALS": "AzureCliCredential"])
        }

        try await withEmulator(model: ManagedIdentityFixture.model()) { emulator in
            try await withChain(
                try ChainedTokenSource.environment(
                    [
                        "AZURE_TENANT_ID": EmulatorFixture.contoso, "AZURE_CLIENT_ID": EmulatorFixture.daemon,
                        "AZURE_CLIENT_SECRET": "wrong",
                        "AZURE_AUTHORITY_HOST": emulator.baseURL, "IDENTITY_ENDPOINT": emulator.baseURL + "/msi/token",
                        "IDENTITY_HEADER": emulator.identityHeader,
                    ],
                    http: http(caFile: emulator.caFile)
                )
            ) { wrong in
                let refused = await expectIdentityError {
                    _ = try await wrong.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(
                    refused?.aadstsCode == 7_000_215,
                    "a wrong secret is reported, not skipped for the managed identity"
                )
                #expect(wrong.chosen == nil)
            }
        }
    }
}

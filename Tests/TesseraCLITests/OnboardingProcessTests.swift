import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite(
    "ISV onboarding (built binary): a tenant consents and the running daemon starts serving it",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct OnboardingProcessTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }
    let support = DaemonProcessTests()

    /// `Host` values → the operator endpoint's status (its redirect URI is on 127.0.0.1 with the same port).
    static func hostCases(port: Int) -> [(String, Int)] {
        [
            ("127.0.0.1:\(port)", 200), ("localhost:\(port)", 200), ("LOCALHOST:\(port)", 200), ("[::1]:\(port)", 200),
            ("127.0.0.1", 421), ("127.0.0.1:\(port + 1)", 421), ("evil.example:\(port)", 421),
            ("127.0.0.1.evil.example:\(port)", 421), ("evil.example", 421),
        ]
    }

    @Test(
        "/onboarding/start → Entra admin consent → /onboarding/callback records the tenant; the next run covers it; forged, unconsented and replayed callbacks are refused"
    )
    func onboarding() async throws {
        let port = try Peers.freePort()
        let callback = "http://127.0.0.1:\(port)/onboarding/callback"
        var model = EmulatorFixture.model(users: 2)
        model.tenants[1].users = [
            .init(id: "f1", displayName: "Fabrikam One", userPrincipalName: "one@fabrikam.example")
        ]
        model.applications[0].redirectUris.append(callback)
        try await withEmulator(model: model) { emulator in
            try await support.withFolder { folder in
                let config: [String: Any] = [
                    "AzureAd": [
                        "Instance": emulator.baseURL + "/", "TenantId": EmulatorFixture.contoso,
                        "ClientId": EmulatorFixture.daemon, "ClientSecret": EmulatorFixture.secret,
                    ],
                    "DownstreamApis": [
                        "Graph": [
                            "BaseUrl": emulator.baseURL + "/v1.0/", "Scopes": ["https://graph.microsoft.com/.default"],
                        ]
                    ],
                    "Daemon": [
                        "MetricsPort": port,
                        "Onboarding": ["RedirectUri": callback, "TenantsFile": "tenants.json"],
                        "Jobs": [
                            [
                                "Name": "users", "Api": "Graph", "RelativePath": "users", "Schedule": "every 1s",
                                "Output": folder + "/users-{tenant}.jsonl", "PerTenant": true,
                            ]
                        ],
                    ],
                ]
                let path = folder + "/daemon.json"
                try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
                let daemon = try await support.startDaemon(config: path, folder: folder, emulator: emulator)
                defer { daemon.kill() }
                #expect(
                    await support.eventually {
                        FileManager.default.fileExists(atPath: folder + "/users-\(EmulatorFixture.contoso).jsonl")
                    },
                    "stderr: \(support.text(folder + "/err"))"
                )

                var tls = TLSConfiguration.makeClientConfiguration()
                tls.additionalTrustRoots = [.file(emulator.caFile!)]
                var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
                configuration.redirectConfiguration = .disallow
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                func get(_ url: String, cookie: String? = nil) async throws -> (Int, String?, String, String?) {
                    var request = HTTPClientRequest(url: url)
                    if let cookie { request.headers.add(name: "Cookie", value: cookie) }
                    let response = try await http.execute(request, timeout: .seconds(10))
                    return (
                        Int(response.status.code), response.headers.first(name: "Location"),
                        String(buffer: try await response.body.collect(upTo: 1 << 20)),
                        response.headers.first(name: "Set-Cookie")
                    )
                }
                do {
                    // A forged callback (any tenant, a state read from /start, no browser cookie) and a tenant that never
                    // consented (no token there) are both refused.
                    let (_, forgedConsent, _, forgedCookie) = try await get("http://127.0.0.1:\(port)/onboarding/start")
                    let forgedState = try #require(
                        forgedConsent.flatMap {
                            URLComponents(string: $0)?.queryItems?.first { $0.name == "state" }?.value
                        }
                    )
                    let forged =
                        "\(callback)?admin_consent=True&tenant=\(EmulatorFixture.fabrikam)&state=\(forgedState)"
                    #expect(try await get(forged).2.contains("invalid_state"))
                    let cookie = try #require(forgedCookie?.split(separator: ";").first.map(String.init))
                    let unconsented = try await get(
                        "\(callback)?admin_consent=True&tenant=\(UUID().uuidString.lowercased())&state=\(forgedState)",
                        cookie: cookie
                    )
                    #expect(unconsented.0 == 400 && unconsented.2.contains("consent_not_confirmed"))

                    let (startStatus, consentURL, _, setCookie) = try await get(
                        "http://127.0.0.1:\(port)/onboarding/start?tenant=fabrikam.example"
                    )
                    #expect(startStatus == 302)
                    let browser = try #require(setCookie?.split(separator: ";").first.map(String.init))
                    #expect(setCookie?.contains("HttpOnly") == true)
                    let consent = try #require(consentURL)
                    #expect(
                        consent.hasPrefix(
                            emulator.baseURL + "/fabrikam.example/adminconsent?client_id=\(EmulatorFixture.daemon)"
                        )
                    )
                    // The administrator's browser: the emulator's consent page, then its Accept button.
                    let accepted = try await acceptAdminConsent(emulator, url: consent)
                    #expect(accepted.status == 302)
                    let back = try #require(accepted.location)
                    #expect(back.hasPrefix(callback))
                    let (callbackStatus, _, body, _) = try await get(back, cookie: browser)
                    #expect(callbackStatus == 200)
                    #expect(body.contains(EmulatorFixture.fabrikam) && body.contains("onboarded"))
                    let (replayStatus, _, replayBody, _) = try await get(back, cookie: browser)
                    #expect(replayStatus == 400 && replayBody.contains("invalid_state"))

                    // DNS rebinding: the operator endpoint answers only its own loopback names with its port.
                    for (host, expected) in Self.hostCases(port: port) {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
                        request.headers.replaceOrAdd(name: "Host", value: host)
                        let response = try await http.execute(request, timeout: .seconds(10))
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        #expect(Int(response.status.code) == expected, "Host: \(host) → \(text.prefix(200))")
                    }
                    try await http.shutdown()
                } catch {
                    try? await http.shutdown()
                    throw error
                }
                let fabrikamFile = folder + "/users-\(EmulatorFixture.fabrikam).jsonl"
                #expect(
                    await support.eventually { support.text(fabrikamFile).contains("one@fabrikam.example") },
                    "stderr: \(support.text(folder + "/err"))"
                )
                #expect(support.text(folder + "/tenants.json").contains(EmulatorFixture.fabrikam))
                let (code, _) = await daemon.terminate()
                #expect(code == 0)
            }
        }
    }
}

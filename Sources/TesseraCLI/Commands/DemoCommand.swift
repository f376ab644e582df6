import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Tessera
import TesseraEmulator
import TesseraJOSE

/// `tessera demo`: the whole daemon scenario, offline, on the embedded emulator.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the whole daemon scenario offline: emulator, app with a certificate, admin consent, token, Graph call.",
        discussion: """
            Starts the emulator in-process on a free loopback port (HTTPS, development CA), creates a tenant with users and
            a daemon app with a freshly generated certificate, grants admin consent for Graph's User.Read.All, gets an
            app-only token with a PS256 client assertion, lists the users through the Graph-like API following every
            page, and asks again to show the cached token.

            Examples:
              swift run tessera demo
              swift run tessera demo --multi-tenant      # the ISV flow: one app object, consent and tokens per tenant
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show the ISV flow: admin consent in two tenants, one app object, tokens and users per tenant.")
    var multiTenant = false

    static let daemon = "d0d0d0d0-1111-4222-8333-444444444444"
    static let tenants: [(id: String, domain: String, users: [String])] = [
        (
            "9188040d-6c67-4c5b-b112-36a304b66dad", "contoso.example",
            ["Adele Vance", "Alex Wilber", "Diego Siciliani", "Isaiah Langer", "Megan Bowen"]
        ),
        (
            "2a4f1c3e-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "fabrikam.example",
            ["Lidia Holloway", "Nestor Wilke", "Patti Fernandez"]
        ),
    ]

    func run() async throws {
        let report = DemoReport()
        let started = ContinuousClock.now
        let tenants = multiTenant ? Self.tenants : [Self.tenants[0]]

        // 1. The identity platform, with a tenant, users, and the daemon's registration (its certificate made now).
        let certificate = try await report.step("generate the daemon's certificate (RSA-2048, self-signed)") {
            try CertificateFactory.selfSigned(commonName: "tessera-demo-daemon", days: 30)
        }
        report.detail("thumbprint (SHA-1) \(certificate.thumbprint.sha1Hex)")
        let model = DirectoryModel(
            tenants: tenants.map { tenant in
                .init(
                    id: tenant.id,
                    domains: [tenant.domain],
                    users: tenant.users.enumerated().map { index, name in
                        .init(
                            id: String(format: "%@-%04d", String(tenant.id.prefix(8)), index + 1),
                            displayName: name,
                            userPrincipalName: name.lowercased().replacingOccurrences(of: " ", with: ".") + "@"
                                + tenant.domain
                        )
                    }
                )
            },
            applications: [
                .init(
                    clientId: Self.daemon,
                    displayName: "tessera demo daemon",
                    homeTenant: tenants[0].id,
                    multiTenant: multiTenant,
                    certificates: [.init(pem: try certificate.leaf.serializeAsPEM().pemString)],
                    redirectUris: ["https://localhost/consent-done"],
                    requiredResourceAccess: [.init(resource: "https://graph.microsoft.com", roles: ["User.Read.All"])]
                )
            ]
        )
        let emulator = try await report.step("start the emulator (in-process, HTTPS on loopback)") {
            var options = Emulator.Options()
            options.autoConsent = true  // the demo plays the administrator with a plain HTTP client: no Accept page
            return try await Emulator.start(model, options: options)
        }
        report.detail("\(emulator.baseURL)  (development CA \(emulator.caFile ?? "-"))")
        // The emulator is stopped (and awaited) on every path out of here, before the command returns.
        do {
            let http = try Self.httpClient(caFile: emulator.caFile)
            do {
                for tenant in tenants {
                    try await runTenant(
                        tenant,
                        emulator: emulator,
                        certificate: certificate,
                        http: http,
                        report: report
                    )
                }
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
        } catch {
            await emulator.stop()
            try? FileManager.default.removeItem(atPath: emulator.stateDirectory)  // its keys and secrets
            report.failure("\(error)")
            throw ExitCode(1)
        }
        await emulator.stop()
        try? FileManager.default.removeItem(atPath: emulator.stateDirectory)
        report.line("")
        report.line(
            "Done in \(Self.format(ContinuousClock.now - started)). Next: `tessera emulator` to keep one running, `tessera token --help`."
        )
    }

    func runTenant(
        _ tenant: (id: String, domain: String, users: [String]),
        emulator: Emulator,
        certificate: SigningCertificate,
        http: HTTPClient,
        report: DemoReport
    ) async throws {
        report.line("")
        report.line("Tenant \(tenant.domain) (\(tenant.id))")
        // 2. Admin consent, as a tenant administrator would give it in the browser.
        let consentURL =
            "\(emulator.baseURL)/\(tenant.id)/adminconsent?client_id=\(Self.daemon)&redirect_uri=https://localhost/consent-done&state=demo"
        let redirect = try await report.step("admin consent for Graph User.Read.All") {
            let response = try await http.execute(HTTPClientRequest(url: consentURL), timeout: .seconds(30))
            return response.headers.first(name: "Location") ?? "HTTP \(response.status.code)"
        }
        report.detail("redirected to \(redirect)")

        // 3. The daemon: a confidential client with the certificate (PS256 client assertion).
        var configuration = ConfidentialClient.Configuration(
            clientID: Self.daemon,
            authority: try .microsoft(tenant: tenant.id, cloud: .custom(emulator.baseURL)),
            credential: ClientCertificateCredential(certificate: certificate)
        )
        configuration.http.caFile = emulator.caFile
        let client = try ConfidentialClient(configuration: configuration, logger: global.makeLogger())
        do {
            let token = try await report.step("acquire an app-only token (client credentials, PS256 assertion)") {
                try await client.token(scope: "https://graph.microsoft.com/.default")
            }
            report.detail(
                "source: \(token.source), expires \(ISO8601DateFormatter().string(from: token.expiresOn)) (in \(token.lifetime) s), refresh from \(token.refreshOn.map { ISO8601DateFormatter().string(from: $0) } ?? "-")"
            )
            let claims = try StrictJSON.parseObject(Base64URL.decode(token.token.split(separator: ".")[1]) ?? [])
            let roles = claims["roles"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "(none)"
            report.detail(
                "claims: aud \(claims["aud"]?.stringValue ?? "-"), tid \(claims["tid"]?.stringValue ?? "-"), appid \(claims["appid"]?.stringValue ?? "-"), appidacr \(claims["appidacr"]?.stringValue ?? "-") (certificate), idtyp \(claims["idtyp"]?.stringValue ?? "-"), roles \(roles)"
            )

            // 4. Graph: every page of users, through the downstream caller (the cached token, paging, typed JSON).
            var graphConfiguration = DownstreamAPIClient.Configuration()
            graphConfiguration.http.caFile = emulator.caFile
            let graph = try DownstreamAPIClient(
                api: .graph(cloud: .custom(emulator.baseURL)),
                tokenSource: client,
                configuration: graphConfiguration
            )
            let users: [DemoUser]
            do {
                users = try await report.step("list users through the Graph-like API (every page)") {
                    try await graph.allPages("users?$top=2", of: DemoUser.self)
                }
                try await graph.shutdown()
            } catch {
                try? await graph.shutdown()
                throw error
            }
            for user in users { report.detail("\(user.displayName ?? "?")  <\(user.userPrincipalName ?? "?")>") }

            // 5. Again: the cache answers.
            let again = try await report.step("acquire again") {
                try await client.token(scope: "https://graph.microsoft.com/.default")
            }
            report.detail("source: \(again.source) (same token: \(again.token == token.token ? "yes" : "no"))")
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    struct DemoUser: Decodable {
        let displayName: String?
        let userPrincipalName: String?
    }

    static func httpClient(caFile: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfigurationWithSystemRoots()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.seconds * 1000
        return ms < 1 ? String(format: "%.0f µs", ms * 1000) : String(format: "%.1f ms", ms)
    }
}

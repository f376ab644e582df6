import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Tessera
import TesseraEmulator
import TesseraJOSE
import Testing
import X509
import _CryptoExtras

/// A directory with two tenants, a multi-tenant daemon (secret + the test certificate), and an API with an app role.
package enum EmulatorFixture {
    package static let contoso = "11111111-2222-3333-4444-555555555555"
    package static let fabrikam = "66666666-7777-8888-9999-000000000000"
    package static let daemon = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    package static let api = "99999999-8888-7777-6666-555555555555"
    package static let secret = "emulator~secret-value-canary"
    package static let expiredSecret = "emulator~expired-secret"
    package static let redirect = "https://localhost/consent-done"

    package static var model: DirectoryModel {
        DirectoryModel(
            tenants: [
                .init(
                    id: contoso,
                    domains: ["contoso.example"],
                    users: [.init(id: "u1", displayName: "Adele Vance", userPrincipalName: "adele@contoso.example")]
                ),
                .init(id: fabrikam, domains: ["fabrikam.example"]),
            ],
            applications: [
                .init(
                    clientId: daemon,
                    displayName: "daemon",
                    homeTenant: contoso,
                    multiTenant: true,
                    secrets: [
                        .init(value: secret, expires: Date().addingTimeInterval(86_400)),
                        .init(value: expiredSecret, expires: Date().addingTimeInterval(-60)),
                    ],
                    certificates: [.init(pem: TestPKI.shared.text("cert.pem"))],
                    redirectUris: [redirect],
                    requiredResourceAccess: [
                        .init(resource: "https://graph.microsoft.com", roles: ["User.Read.All"]),
                        .init(resource: "api://reports", roles: ["Reports.Read.All"]),
                    ]
                ),
                .init(
                    clientId: api,
                    displayName: "reports api",
                    homeTenant: contoso,
                    identifierUris: ["api://reports"],
                    appRoles: [.init(value: "Reports.Read.All"), .init(value: "Reports.Write.All")]
                ),
            ],
            grants: [
                .init(tenant: contoso, client: daemon, resource: "api://reports", roles: ["Reports.Read.All"]),
                .init(tenant: contoso, client: daemon, resource: Directory.graphClientID, roles: ["User.Read.All"]),
            ]
        )
    }
}

package func withEmulator<R: Sendable>(https: Bool = true, _ body: (Emulator) async throws -> R) async throws -> R {
    try await withEmulator(model: EmulatorFixture.model, configure: { $0.https = https }, body)
}

/// Runs `body` with an emulator serving `model`, then stops it (also when `body` throws).
package func withEmulator<R: Sendable>(
    model: DirectoryModel,
    configure: (inout Emulator.Options) -> Void = { _ in },
    _ body: (Emulator) async throws -> R
) async throws -> R {
    var options = Emulator.Options()
    configure(&options)
    let emulator = try await EmulatorKeys.start(model, options: options)
    do {
        let result = try await body(emulator)
        await emulator.stop()
        return result
    } catch {
        await emulator.stop()
        throw error
    }
}

extension EmulatorFixture {
    /// The fixture with `count` users in contoso (u1…).
    package static func model(users count: Int) -> DirectoryModel {
        var model = model
        model.tenants[0].users = (1...count).map {
            .init(id: "u\($0)", displayName: "User \($0)", userPrincipalName: "user\($0)@contoso.example")
        }
        return model
    }
}

package func emulatorClient(
    _ emulator: Emulator,
    credential: any ClientCredential,
    tenant: String = EmulatorFixture.contoso,
    clientID: String = EmulatorFixture.daemon
) throws -> ConfidentialClient.Configuration {
    var configuration = ConfidentialClient.Configuration(
        clientID: clientID,
        authority: try .microsoft(tenant: tenant, cloud: .custom(emulator.baseURL)),
        credential: credential
    )
    configuration.http.caFile = emulator.caFile
    return configuration
}

package func claims(of token: String) throws -> [String: JSONValue] {
    try StrictJSON.parseObject(try #require(Base64URL.decode(token.split(separator: ".")[1])))
}

package struct RawAnswer: Sendable {
    package let status: Int
    package let location: String?
    package let body: [UInt8]
}

package func get(_ emulator: Emulator, path: String) async throws -> RawAnswer {
    try await send(emulator, HTTPClientRequest(url: emulator.baseURL + path))
}

/// A raw request to the emulator (trusting its CA, not following redirects).
package func send(_ emulator: Emulator, _ request: HTTPClientRequest) async throws -> RawAnswer {
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile = emulator.caFile { tls.additionalTrustRoots = [.file(caFile)] }
    var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
    configuration.redirectConfiguration = .disallow
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        try await client.shutdown()
        return RawAnswer(
            status: Int(response.status.code),
            location: response.headers.first(name: "Location"),
            body: Array(buffer: body)
        )
    } catch {
        try? await client.shutdown()
        throw error
    }
}

package func fetchJSON(_ emulator: Emulator, path: String) async throws -> [String: JSONValue] {
    try StrictJSON.parseObject(try await get(emulator, path: path).body)
}

package func post(
    _ emulator: Emulator,
    path: String,
    json: String? = nil,
    form: [String: String]? = nil,
    adminKey: String? = nil
) async throws -> RawAnswer {
    var request = HTTPClientRequest(url: emulator.baseURL + path)
    request.method = .POST
    if let adminKey { request.headers.add(name: "Authorization", value: "Bearer \(adminKey)") }
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    if let form {
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let encoded = form.map {
            "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: encoded))
    }
    return try await send(emulator, request)
}

/// The admin-consent page's Accept form: where it POSTs (`action`, a path) and its fields (hidden inputs, unescaped).
package struct ConsentForm: Sendable {
    package let action: String
    package var fields: [String: String]

    /// The form of an admin-consent page, or `nil` when `page` has none.
    package init?(page: String) {
        // Byte by byte: an entity followed by a combining mark is not a whole Character of the text.
        func unescape(_ text: Substring) -> String {
            let entities = [("&quot;", "\""), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]
            let bytes = Array(text.utf8)
            var out: [UInt8] = []
            var index = 0
            next: while index < bytes.count {
                for (entity, plain) in entities where bytes[index...].starts(with: entity.utf8) {
                    out += plain.utf8
                    index += entity.utf8.count
                    continue next
                }
                out.append(bytes[index])
                index += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
        guard let form = page.range(of: "<form method=\"post\" action=\""),
            let end = page[form.upperBound...].firstIndex(of: "\"")
        else { return nil }
        action = unescape(page[form.upperBound..<end])
        var fields: [String: String] = [:]
        for input in page.components(separatedBy: "<input type=\"hidden\" name=\"").dropFirst() {
            guard let nameEnd = input.range(of: "\" value=\""), let valueEnd = input.range(of: "\">") else { continue }
            fields[String(input[..<nameEnd.lowerBound])] = unescape(input[nameEnd.upperBound..<valueEnd.lowerBound])
        }
        self.fields = fields
    }
}

/// Admin consent as an administrator's browser gives it: GET the consent page at `url`, then POST its Accept form.
/// The answer is the POST's (302 to the redirect URI with `admin_consent=True` once granted).
package func acceptAdminConsent(_ emulator: Emulator, url: String) async throws -> RawAnswer {
    let page = try await send(emulator, HTTPClientRequest(url: url))
    let text = String(decoding: page.body, as: UTF8.self)
    guard page.status == 200, let form = ConsentForm(page: text) else {
        Issue.record("no consent page at \(url): HTTP \(page.status) \(text.prefix(300))")
        return page
    }
    return try await post(emulator, path: form.action, form: form.fields)
}

/// The directory a provisioning daemon works against (the Graph tests): contoso with users (a disabled one, a guest
/// whose UPN has `#EXT#`) and groups (one nested in another), the daemon granted the Graph roles a test needs, and a
/// second, read-only app for the refusals.
extension EmulatorFixture {
    /// The Graph roles a provisioning daemon needs: write users, groups and their members.
    package static let provisioningRoles = [
        "User.ReadWrite.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All",
    ]
    /// A read-only app of contoso (`User.Read.All`, `Group.Read.All` on Graph).
    package static let reader = "cccccccc-dddd-eeee-ffff-000000000001"
    package static let readerSecret = "emulator~reader-secret-value"
    /// The guest's UPN, as Entra spells an invited user's.
    package static let guestUPN = "lidia_fabrikam.example#EXT#@contoso.example"

    /// contoso's seeded users: Adele, Alex, Megan (disabled), Lidia (a guest), Diego.
    package static let directoryUsers: [DirectoryModel.User] = [
        .init(
            id: "u1",
            displayName: "Adele Vance",
            userPrincipalName: "adele@contoso.example",
            accountEnabled: true,
            givenName: "Adele",
            surname: "Vance",
            mail: "adele@contoso.example",
            jobTitle: "Engineer",
            department: "Engineering"
        ),
        .init(
            id: "u2",
            displayName: "Alex Wilber",
            userPrincipalName: "alex@contoso.example",
            accountEnabled: true,
            jobTitle: "Sales Lead",
            department: "Sales"
        ),
        .init(
            id: "u3",
            displayName: "Megan Bowen",
            userPrincipalName: "megan@contoso.example",
            accountEnabled: false,
            department: "Sales"
        ),
        .init(id: "u4", displayName: "Lidia Holloway", userPrincipalName: guestUPN, accountEnabled: true),
        .init(
            id: "u5",
            displayName: "Diego Siciliani",
            userPrincipalName: "diego@contoso.example",
            accountEnabled: true,
            department: "Engineering"
        ),
    ]

    /// contoso's seeded groups: Engineering (Adele, Diego) and Everyone (Adele, Alex, Megan and Engineering).
    package static let directoryGroups: [DirectoryModel.Group] = [
        .init(id: "g1", displayName: "Engineering", mailNickname: "engineering", members: ["u1", "u5"]),
        .init(id: "g2", displayName: "Everyone", mailNickname: "everyone", members: ["u1", "u2", "u3", "g1"]),
    ]

    /// The fixture with ``directoryUsers`` (then `extraUsers` more, `User 01`… as `x01`…) and ``directoryGroups`` in
    /// contoso, the daemon granted `roles` on Graph instead of `User.Read.All` (none: no Graph grant), and ``reader``.
    package static func directoryModel(roles: [String] = provisioningRoles, extraUsers: Int = 0) -> DirectoryModel {
        var model = model
        let extra = (0..<max(extraUsers, 0)).map { offset -> DirectoryModel.User in
            let number = offset < 9 ? "0\(offset + 1)" : "\(offset + 1)"
            return DirectoryModel.User(
                id: "x\(number)",
                displayName: "User \(number)",
                userPrincipalName: "user\(number)@contoso.example"
            )
        }
        model.tenants[0].users = directoryUsers + extra
        model.tenants[0].groups = directoryGroups
        model.grants.removeAll { $0.client == daemon && $0.resource == Directory.graphClientID }
        if !roles.isEmpty {
            model.grants.append(.init(tenant: contoso, client: daemon, resource: Directory.graphClientID, roles: roles))
        }
        model.applications.append(
            .init(
                clientId: reader,
                displayName: "directory reader",
                homeTenant: contoso,
                secrets: [.init(value: readerSecret, expires: Date().addingTimeInterval(86_400))]
            )
        )
        model.grants.append(
            .init(
                tenant: contoso,
                client: reader,
                resource: Directory.graphClientID,
                roles: ["User.Read.All", "Group.Read.All"]
            )
        )
        return model
    }

    /// An app-only Graph token for `clientID` (default the daemon) from `emulator`.
    package static func graphToken(
        _ emulator: Emulator,
        clientID: String = daemon,
        secret: String = EmulatorFixture.secret
    ) async throws -> String {
        try await withClient(
            try emulatorClient(emulator, credential: ClientSecretCredential(secret: secret), clientID: clientID)
        ) {
            try await $0.token(scope: "https://graph.microsoft.com/.default").token
        }
    }
}

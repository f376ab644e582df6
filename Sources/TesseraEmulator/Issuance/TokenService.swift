import Crypto
import Foundation
import Synchronization
import TesseraJOSE

/// The client-credentials token endpoint: authenticates the client as Entra does, checks scope and consent, and mints
/// an app-only access token in Entra's v2 (or v1, for v1 resources such as Graph) shape.
struct TokenService: Sendable {
    let directory: Directory
    let keys: SigningKeys
    let base: BaseURLs
    let tokenLifetime: Int
    let lifetimeJitter: Int
    /// Present when replayed assertions are rejected.
    let replays: ReplayCache?
    let now: @Sendable () -> Date
    /// Keys of the issuers apps trust for workload identity federation.
    let federation: FederatedIssuers

    struct Request {
        let tenant: String
        let form: [String: String]
        let authorization: String?
        /// v1 (`/oauth2/token` with `resource=`) or v2.
        let version: Int
    }

    /// A token endpoint's success answer. Encoded through `JSONEncoder` (FoundationEssentials), not
    /// `JSONSerialization`: on Linux the latter writes a string through `NSString`'s UTF-16 characters, and the
    /// kilobyte token made that 10% of the emulator's CPU per token (perf, under load).
    struct Answer: Encodable, Sendable {
        let tokenType = "Bearer"
        let expiresIn: Int
        let extExpiresIn: Int
        let accessToken: String

        enum CodingKeys: String, CodingKey {
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case extExpiresIn = "ext_expires_in"
            case accessToken = "access_token"
        }
    }

    func issue(_ request: Request) async throws(EntraError) -> Answer {
        let form = request.form
        let grant = form["grant_type"] ?? ""
        guard grant == "client_credentials" else { throw .unsupportedGrant(grant) }
        guard let tenant = directory.tenant(request.tenant) else { throw .tenantNotFound(request.tenant) }

        var clientID = form["client_id"]
        var secret = form["client_secret"]
        if let basic = Self.basicCredentials(request.authorization) {
            guard secret == nil, form["client_assertion"] == nil else { throw .bothCredentials }
            clientID = basic.user
            secret = basic.password
        }
        guard let clientID, let application = directory.application(clientID),
            directory.hasServicePrincipal(client: application, tenant: tenant)
        else { throw .applicationNotFound(clientID ?? "", tenant: tenant.id) }

        let authenticationLevel: String
        switch (secret, form["client_assertion"]) {
        case (.some, .some): throw .bothCredentials
        case (.some(let secret), nil):
            try checkSecret(secret, application: application)
            authenticationLevel = "1"
        case (nil, .some(let assertion)):
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                throw .assertionType
            }
            if FederatedAssertionCheck.externalIssuer(assertion, clientID: application.model.clientId) != nil {
                // Workload identity federation: a token of a trusted external issuer (Kubernetes, GitHub, a managed
                // identity), which may be presented many times while it is valid (as Entra allows).
                _ = try await FederatedAssertionCheck(application: application, issuers: federation, now: now()).verify(
                    assertion
                )
            } else {
                let check = ClientAssertionCheck(
                    application: application,
                    acceptedAudiences: acceptedAudiences(tenant: tenant, version: request.version),
                    now: now()
                )
                let claims = try await check.verify(assertion)
                if let replays, !replays.firstUse(claims: claims, now: now()) {
                    throw .assertionSignature("The client assertion's jti was already used (replay protection is on).")
                }
            }
            authenticationLevel = "2"
        case (nil, nil): throw .noCredential
        }

        let resourceName: String
        if request.version == 1, let resource = form["resource"] {
            resourceName = resource
        } else {
            let scope = (form["scope"] ?? "").trimmingCharacters(in: .whitespaces)
            guard scope.hasSuffix("/.default"), !scope.contains(" ") else { throw .scopeWithoutDefault(scope) }
            resourceName = String(scope.dropLast("/.default".count))
        }
        guard
            let resource = directory.resource(resourceName) ?? directory.resource(resourceName + "/")
                ?? trimmedResource(resourceName)
        else {
            throw .resourceNotFound(resourceName, tenant: tenant.id)
        }
        let roles = directory.grantedRoles(client: application.model.clientId, resource: resource, tenant: tenant.id)
        if resource.appRoleAssignmentRequired && roles.isEmpty { throw .roleAssignmentRequired }

        let lifetime = tokenLifetime - (lifetimeJitter > 0 ? Int.random(in: 0...lifetimeJitter) : 0)
        let token = try await mint(
            tenant: tenant.id,
            client: application.model.clientId,
            resource: resource,
            roles: roles,
            level: authenticationLevel,
            lifetime: lifetime,
            extra: Self.capabilities(form["claims"]),
            notBefore: Self.requestedNotBefore(form["claims"])
        )
        return Answer(expiresIn: lifetime, extExpiresIn: lifetime, accessToken: token)
    }

    private func trimmedResource(_ name: String) -> Directory.Resource? {
        name.hasSuffix("/") ? directory.resource(String(name.dropLast())) : nil
    }

    private func checkSecret(_ secret: String, application: Directory.Application) throws(EntraError) {
        // The directory refuses empty secrets; an empty presented one never matches.
        guard !secret.isEmpty else { throw .invalidSecret }
        let matching = application.model.secrets.filter { ConstantTime.equals(secret, $0.value) }
        guard let match = matching.first else { throw .invalidSecret }
        if let expires = match.expires, expires < now() { throw .expiredSecret }
    }

    /// Token endpoints this tenant's assertions may name: every base URL × tenant GUID and domains × v1/v2 path.
    func acceptedAudiences(tenant: DirectoryModel.Tenant, version: Int) -> Set<String> {
        let names = [tenant.id] + tenant.domains
        // The aud must be the endpoint the request is POSTed to: v1 and v2 are different endpoints.
        let path = version == 1 ? "/oauth2/token" : "/oauth2/v2.0/token"
        return Set(base.all.flatMap { base in names.map { "\(base)/\($0)\(path)" } })
    }

    func issuer(tenant: String, version: Int) -> String {
        version == 1 ? "\(base.primary)/\(tenant)/" : "\(base.primary)/\(tenant)/v2.0"
    }

    /// `xms_cc` for a client that declared capabilities (`claims={"access_token":{"xms_cc":{"values":["cp1"]}}}`): its
    /// tokens may then be challenged (CAE) instead of expiring early.
    static func capabilities(_ claims: String?) -> [String: JSONValue] {
        guard let claims, let object = try? StrictJSON.parseObject(Array(claims.utf8)),
            let values = object["access_token"]?["xms_cc"]?["values"]?.arrayValue?.compactMap(\.stringValue),
            !values.isEmpty
        else { return [:] }
        return ["xms_cc": .array(values.prefix(8).map { .string(String($0.prefix(32))) })]
    }

    /// The `nbf` a claims challenge asks for (CAE: the revocation time); the token is then dated after it.
    static func requestedNotBefore(_ claims: String?) -> Int64? {
        guard let claims, let object = try? StrictJSON.parseObject(Array(claims.utf8)) else { return nil }
        let value = object["access_token"]?["nbf"]?["value"]
        return value?.stringValue.flatMap { Int64($0) } ?? value?.integerValue
    }

    /// A managed identity's token for `resource` (IMDS and App Service): the identity's own object ID, roles granted to
    /// its client ID, `xms_mirid` when it has a resource ID.
    func issue(
        managedIdentity identity: DirectoryModel.ManagedIdentity,
        resource name: String
    ) async throws(EntraError) -> (token: String, lifetime: Int, resource: String) {
        let trimmed = name.hasSuffix("/.default") ? String(name.dropLast("/.default".count)) : name
        guard let resource = directory.resource(trimmed) ?? trimmedResource(trimmed) else {
            throw .resourceNotFound(trimmed, tenant: identity.tenant)
        }
        let roles = directory.grantedRoles(client: identity.clientId, resource: resource, tenant: identity.tenant)
        let token = try await mint(
            tenant: identity.tenant,
            client: identity.clientId,
            resource: resource,
            roles: roles,
            level: "2",
            lifetime: tokenLifetime,
            objectID: identity.objectId,
            extra: identity.resourceId.map { ["xms_mirid": .string($0)] } ?? [:]
        )
        return (token, tokenLifetime, trimmed)
    }

    private func mint(
        tenant: String,
        client: String,
        resource: Directory.Resource,
        roles: [String],
        level: String,
        lifetime: Int,
        objectID: String? = nil,
        extra: [String: JSONValue] = [:],
        notBefore: Int64? = nil
    ) async throws(EntraError) -> String {
        var issuedAt = Int64(now().timeIntervalSince1970)
        if let notBefore, notBefore >= issuedAt, notBefore < issuedAt + 5 { issuedAt = notBefore + 1 }
        let servicePrincipal = objectID ?? Self.objectID(tenant: tenant, client: client)
        var claims: [String: JSONValue] = [
            "aud": .string(resource.audience),
            "iss": .string(issuer(tenant: tenant, version: resource.accessTokenVersion)),
            "iat": .number(Double(issuedAt)), "nbf": .number(Double(issuedAt)),
            "exp": .number(Double(issuedAt + Int64(lifetime))),
            "aio": .string(Base64URL.random(byteCount: 24)),
            "idtyp": "app", "oid": .string(servicePrincipal), "sub": .string(servicePrincipal), "tid": .string(tenant),
            "uti": .string(Base64URL.random(byteCount: 16)),
        ]
        if resource.accessTokenVersion == 1 {
            claims["appid"] = .string(client)
            claims["appidacr"] = .string(level)
            claims["ver"] = "1.0"
        } else {
            claims["azp"] = .string(client)
            claims["azpacr"] = .string(level)
            claims["ver"] = "2.0"
        }
        if !roles.isEmpty { claims["roles"] = .array(roles.map { .string($0) }) }
        claims.merge(extra) { _, new in new }
        let key = keys.current
        var header = JWSHeader()
        header.keyID = key.kid
        do {
            return try await key.signer.sign(claims: claims, header: header)
        } catch {
            throw EntraError(status: 500, error: "server_error", code: 50000, description: "Signing failed.")
        }
    }

    /// A stable service-principal object ID per (tenant, app): a name-based UUID.
    static func objectID(tenant: String, client: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("\(tenant.lowercased())|\(client.lowercased())".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
        return uuid.uuidString.lowercased()
    }

    static func basicCredentials(_ header: String?) -> (user: String, password: String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
        else { return nil }
        // RFC 6749 §2.3.1: both halves form-encoded; a malformed escape is no credential at all.
        guard let user = FormEncoding.component(decoding: decoded[..<colon]),
            let password = FormEncoding.component(decoding: decoded[decoded.index(after: colon)...])
        else { return nil }
        return (user, password)
    }
}

import Foundation
import Synchronization
import TesseraJOSE
import X509
import _CryptoExtras

/// The emulator's live directory: tenants, applications (with their registered certificates parsed once), resources
/// (the built-in Graph-like API included) and admin-consent grants. Thread-safe; admin consent adds grants.
public final class Directory: Sendable {
    /// Microsoft Graph's well-known application ID and identifier, present in every tenant.
    public static let graphClientID = "00000003-0000-0000-c000-000000000000"
    /// Microsoft Graph's identifier URI (the resource of `https://graph.microsoft.com/.default`).
    public static let graphIdentifier = "https://graph.microsoft.com"
    /// Entra's token-exchange resource: what a managed identity's token must be for to serve as a federated assertion.
    public static let tokenExchangeIdentifier = "api://AzureADTokenExchange"
    static let tokenExchangeClientID = "fb60f99c-7a34-4190-8149-302f77469936"
    /// The application permissions Graph defines that can be granted here: those the Graph-like API checks
    /// (``GraphPermission``), and `Mail.Send`.
    static let graphRoles = [
        "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All",
        "Group.ReadWrite.All", "Group.Create", "GroupMember.Read.All", "GroupMember.ReadWrite.All", "Mail.Send",
    ]

    struct RegisteredCertificate: Sendable {
        let der: [UInt8]
        let thumbprint: Thumbprint
        let pem: String
        /// Its RSA public key, made once when the certificate is registered (not per client assertion); `nil` for
        /// another kind of key, whose assertions are refused.
        let publicKey: _RSA.Signing.PublicKey?
        /// The certificate's validity: a client assertion signed with its key is refused outside it (AADSTS700027).
        let notValidBefore: Date
        let notValidAfter: Date
    }

    struct Application: Sendable {
        let model: DirectoryModel.Application
        let certificates: [RegisteredCertificate]
    }

    /// A resource (API) tokens can be issued for.
    struct Resource: Sendable {
        let clientId: String
        let identifierUris: [String]
        let roles: [String]
        let accessTokenVersion: Int
        let appRoleAssignmentRequired: Bool

        /// The `aud` of its tokens: the client ID for v2, the first identifier URI for v1 (as Graph's tokens carry).
        var audience: String { accessTokenVersion == 1 ? (identifierUris.first ?? clientId) : clientId }
    }

    private struct State {
        var tenants: [DirectoryModel.Tenant]
        var applications: [String: Application]
        var grants: [DirectoryModel.Grant]
        var managedIdentities: [DirectoryModel.ManagedIdentity]
        /// Continuous access evaluation: per client ID, tokens issued before this time are challenged by the Graph API.
        var revocations: [String: Date] = [:]
    }

    private let state: Mutex<State>

    /// The directory `model` describes; throws if an application's registered certificate is not valid PEM, if it
    /// registers an empty client secret, or if a group lists a member the tenant does not have (``EmulatorError``,
    /// naming the application or group and the fix).
    public init(_ model: DirectoryModel) throws {
        for tenant in model.tenants { try tenant.checkMembers(of: tenant.groups) }
        var applications: [String: Application] = [:]
        for app in model.applications {
            applications[app.clientId.lowercased()] = try Self.parse(app)
        }
        state = Mutex(
            State(
                tenants: model.tenants,
                applications: applications,
                grants: model.grants,
                managedIdentities: model.managedIdentities
            )
        )
    }

    static func parse(_ app: DirectoryModel.Application) throws -> Application {
        let blank = app.secrets.firstIndex { $0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if let index = blank {
            // An empty secret would let anyone who sends an empty client_secret authenticate as the app.
            throw EmulatorError(
                "application '\(app.clientId)' (\(app.displayName)) has an empty client secret (secrets[\(index)]): "
                    + "give it a value, or remove it and let the admin API generate one "
                    + "(POST /admin/applications/\(app.clientId)/secrets with {})"
            )
        }
        var certificates: [RegisteredCertificate] = []
        for reference in app.certificates {
            guard let pem = reference.pem else { continue }
            let certificate = try Certificate(pemEncoded: pem)
            let der = try certificate.serializeAsPEM().derBytes
            certificates.append(
                RegisteredCertificate(
                    der: der,
                    thumbprint: Thumbprint(der: der),
                    pem: pem,
                    publicKey: _RSA.Signing.PublicKey(certificate.publicKey),
                    notValidBefore: certificate.notValidBefore,
                    notValidAfter: certificate.notValidAfter
                )
            )
        }
        return Application(model: app, certificates: certificates)
    }

    /// The whole directory as its configuration model (what `GET /admin/directory` returns and the state folder keeps).
    public func snapshot() -> DirectoryModel {
        state.withLock { state in
            DirectoryModel(
                tenants: state.tenants,
                applications: state.applications.values.map(\.model).sorted { $0.clientId < $1.clientId },
                grants: state.grants,
                managedIdentities: state.managedIdentities
            )
        }
    }

    /// Records a critical event for `client` (CAE: its sessions revoked now); Graph challenges its older tokens.
    public func revokeSessions(client: String, at time: Date) {
        state.withLock { $0.revocations[client.lowercased()] = time }
    }

    /// When `client`'s sessions were last revoked.
    func revocation(client: String) -> Date? {
        state.withLock { $0.revocations[client.lowercased()] }
    }

    /// The managed identity a request names (by client ID, object ID or resource ID), or the system-assigned one.
    func managedIdentity(clientID: String?, objectID: String?, resourceID: String?) -> DirectoryModel.ManagedIdentity? {
        state.withLock { state in
            if let clientID {
                return state.managedIdentities.first { $0.clientId.lowercased() == clientID.lowercased() }
            }
            if let objectID {
                return state.managedIdentities.first { $0.objectId.lowercased() == objectID.lowercased() }
            }
            if let resourceID {
                return state.managedIdentities.first { $0.resourceId?.lowercased() == resourceID.lowercased() }
            }
            return state.managedIdentities.first { $0.systemAssigned == true }
        }
    }

    /// Adds or replaces an application (its certificates are parsed and its secrets checked first; a bad one, or an
    /// empty secret, changes nothing and throws naming the application).
    public func upsert(application: DirectoryModel.Application) throws {
        let parsed = try Self.parse(application)
        state.withLock { $0.applications[application.clientId.lowercased()] = parsed }
    }

    /// Changes an application in place; returns `false` when it does not exist.
    public func modifyApplication(
        _ clientId: String,
        _ change: (inout DirectoryModel.Application) -> Void
    ) throws -> Bool {
        guard var model = application(clientId)?.model else { return false }
        change(&model)
        try upsert(application: model)
        return true
    }

    /// Adds a grant (admin consent with explicit roles).
    public func add(grant: DirectoryModel.Grant) {
        state.withLock { $0.grants.append(grant) }
    }

    /// The tenant named by GUID or verified domain.
    func tenant(_ name: String) -> DirectoryModel.Tenant? {
        let name = name.lowercased()
        return state.withLock { state in
            state.tenants.first { $0.id.lowercased() == name || $0.domains.contains { $0.lowercased() == name } }
        }
    }

    func application(_ clientId: String) -> Application? {
        state.withLock { $0.applications[clientId.lowercased()] }
    }

    /// A resource by identifier URI or client ID (Graph is built in).
    func resource(_ identifier: String) -> Resource? {
        let lowered = identifier.lowercased()
        if lowered == Self.tokenExchangeClientID || lowered == Self.tokenExchangeIdentifier.lowercased() {
            return Resource(
                clientId: Self.tokenExchangeClientID,
                identifierUris: [Self.tokenExchangeIdentifier],
                roles: [],
                accessTokenVersion: 2,
                appRoleAssignmentRequired: false
            )
        }
        if lowered == Self.graphClientID || lowered == Self.graphIdentifier || lowered == Self.graphIdentifier + "/" {
            return Resource(
                clientId: Self.graphClientID,
                identifierUris: [Self.graphIdentifier],
                roles: Self.graphRoles,
                accessTokenVersion: 1,
                appRoleAssignmentRequired: false
            )
        }
        return state.withLock { state in
            state.applications.values.first { app in
                app.model.clientId.lowercased() == lowered
                    || app.model.identifierUris.contains { $0.lowercased() == lowered }
            }.map { app in
                Resource(
                    clientId: app.model.clientId,
                    identifierUris: app.model.identifierUris,
                    roles: app.model.appRoles.map(\.value),
                    accessTokenVersion: app.model.accessTokenVersion,
                    appRoleAssignmentRequired: app.model.appRoleAssignmentRequired
                )
            }
        }
    }

    private func grantMatches(_ grant: DirectoryModel.Grant, tenant: String, client: String) -> Bool {
        grant.tenant.lowercased() == tenant.lowercased() && grant.client.lowercased() == client.lowercased()
    }

    /// Whether the app has a service principal in the tenant: its home tenant, or any admin consent there.
    func hasServicePrincipal(client: Application, tenant: DirectoryModel.Tenant) -> Bool {
        if client.model.homeTenant.lowercased() == tenant.id.lowercased() { return true }
        guard client.model.multiTenant else { return false }
        return state.withLock { state in
            state.grants.contains { grantMatches($0, tenant: tenant.id, client: client.model.clientId) }
        }
    }

    /// The app roles granted to `client` on `resource` in `tenant`.
    func grantedRoles(client: String, resource: Resource, tenant: String) -> [String] {
        state.withLock { state in
            let roles = state.grants.filter { grant in
                grantMatches(grant, tenant: tenant, client: client)
                    && (grant.resource.lowercased() == resource.clientId.lowercased()
                        || resource.identifierUris.contains { $0.lowercased() == grant.resource.lowercased() })
            }.flatMap(\.roles)
            var seen = Set<String>()
            return roles.filter { resource.roles.contains($0) && seen.insert($0).inserted }
        }
    }

    /// Admin consent: grants the roles of the app's `requiredResourceAccess` in the tenant.
    func consent(client: Application, tenant: DirectoryModel.Tenant) {
        let grants = client.model.requiredResourceAccess.map {
            DirectoryModel.Grant(
                tenant: tenant.id,
                client: client.model.clientId,
                resource: $0.resource,
                roles: $0.roles
            )
        }
        let marker = DirectoryModel.Grant(tenant: tenant.id, client: client.model.clientId, resource: "", roles: [])
        state.withLock { $0.grants += grants.isEmpty ? [marker] : grants }
    }

    /// Users of a tenant (the demo Graph-like API).
    public func users(tenant: String) -> [DirectoryModel.User] {
        self.tenant(tenant)?.users ?? []
    }

    /// Adds or replaces a tenant / application at run time.
    public func upsert(tenant: DirectoryModel.Tenant) throws {
        // What the next start would refuse is refused now (a group listing an unknown member, itself, or one twice).
        try tenant.checkMembers(of: tenant.groups)
        state.withLock { state in
            state.tenants.removeAll { $0.id.lowercased() == tenant.id.lowercased() }
            state.tenants.append(tenant)
        }
    }

    /// Changes the tenant named by GUID or verified domain under the directory's lock, so that a check and the change
    /// it allows are one step (a UPN taken meanwhile cannot slip in). `change` works on a copy: when it throws, the
    /// tenant is left as it was and the error is rethrown. Returns `change`'s result, or `nil` when there is no such
    /// tenant. `change` must not call the directory.
    func changeTenant<Answer: Sendable>(
        _ name: String,
        _ change: (inout DirectoryModel.Tenant) throws -> Answer
    ) throws -> Answer? {
        let name = name.lowercased()
        return try state.withLock { state in
            guard
                let index = state.tenants.firstIndex(where: {
                    $0.id.lowercased() == name || $0.domains.contains { $0.lowercased() == name }
                })
            else { return nil }
            var tenant = state.tenants[index]
            let result = try change(&tenant)
            state.tenants[index] = tenant
            return result
        }
    }
}

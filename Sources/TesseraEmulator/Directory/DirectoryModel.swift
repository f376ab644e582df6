import Foundation

/// The emulator's directory as its JSON configuration file describes it (README, "The emulator"). Field names follow
/// Entra's app manifest. Unknown fields are ignored; optional fields, and fields that have a default, may be left out.
public struct DirectoryModel: Codable, Sendable {
    /// The tenants (directories) tokens can be requested in.
    public var tenants: [Tenant] = []
    /// The app registrations, as clients and as resources (APIs).
    public var applications: [Application] = []
    /// The admin-consent grants: app roles granted to a client on a resource in a tenant.
    public var grants: [Grant] = []
    /// Managed identities the IMDS and App Service endpoints serve (`GET /metadata/identity/oauth2/token`,
    /// `/msi/token`).
    public var managedIdentities: [ManagedIdentity] = []

    /// A directory of these tenants, applications, grants and managed identities (each default: none).
    public init(
        tenants: [Tenant] = [],
        applications: [Application] = [],
        grants: [Grant] = [],
        managedIdentities: [ManagedIdentity] = []
    ) {
        self.tenants = tenants
        self.applications = applications
        self.grants = grants
        self.managedIdentities = managedIdentities
    }

    /// A managed identity: system-assigned (the default when a request names none) or user-assigned, chosen by
    /// `client_id`, `object_id`/`principal_id` or `msi_res_id`/`mi_res_id`. Grants name it by `clientId`.
    public struct ManagedIdentity: Codable, Sendable {
        /// The identity's client (application) ID; grants and `client_id` name it by this.
        public var clientId: String
        /// The identity's service-principal object ID: its tokens' `oid` and `sub`, and what `object_id` names.
        public var objectId: String
        /// The identity's Azure resource ID, named by `msi_res_id`/`mi_res_id`; its tokens carry it as `xms_mirid`.
        public var resourceId: String?
        /// The tenant (GUID) the identity belongs to: its tokens' `tid`, where its grants are looked up.
        public var tenant: String
        /// Whether this is the system-assigned identity, served when a request names none.
        public var systemAssigned: Bool?

        /// A managed identity; user-assigned unless `systemAssigned` is `true`.
        public init(
            clientId: String,
            objectId: String,
            resourceId: String? = nil,
            tenant: String,
            systemAssigned: Bool? = nil
        ) {
            self.clientId = clientId
            self.objectId = objectId
            self.resourceId = resourceId
            self.tenant = tenant
            self.systemAssigned = systemAssigned
        }
    }

    /// A federated identity credential on an app: tokens from `issuer` with this `subject` and one of `audiences`
    /// (default `api://AzureADTokenExchange`) are accepted as the app's client assertion.
    public struct FederatedCredential: Codable, Sendable {
        /// The credential's name, a label only.
        public var name: String?
        /// The `iss` an accepted token must have, compared exactly.
        public var issuer: String
        /// The `sub` an accepted token must have, compared exactly.
        public var subject: String
        /// The `aud` values accepted; `nil` or empty means `api://AzureADTokenExchange`.
        public var audiences: [String]?

        /// A credential trusting `issuer` and `subject` for `audiences` (default `api://AzureADTokenExchange`).
        public init(name: String? = nil, issuer: String, subject: String, audiences: [String]? = nil) {
            self.name = name
            self.issuer = issuer
            self.subject = subject
            self.audiences = audiences
        }

        /// ``audiences``, or `api://AzureADTokenExchange` when it is `nil` or empty.
        public var acceptedAudiences: [String] {
            audiences.flatMap { $0.isEmpty ? nil : $0 } ?? ["api://AzureADTokenExchange"]
        }
    }

    /// Decodes a directory; a missing list is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tenants = try container.decodeIfPresent([Tenant].self, forKey: .tenants) ?? []
        applications = try container.decodeIfPresent([Application].self, forKey: .applications) ?? []
        grants = try container.decodeIfPresent([Grant].self, forKey: .grants) ?? []
        managedIdentities = try container.decodeIfPresent([ManagedIdentity].self, forKey: .managedIdentities) ?? []
    }

    /// A tenant: an organisation's directory, named in URLs by its ID or one of its domains.
    public struct Tenant: Codable, Sendable {
        /// The tenant ID, a GUID (the `tid` of its tokens).
        public var id: String
        /// The tenant's verified domains (e.g. `contoso.onmicrosoft.com`), accepted in place of its ID; a user the
        /// Graph-like API creates must have a `userPrincipalName` in one of them (any, when there are none).
        public var domains: [String]
        /// The tenant's users, served and changed by the Graph-like API (`/v1.0/users`).
        public var users: [User]
        /// The tenant's groups and their members, served and changed by the Graph-like API (`/v1.0/groups`).
        public var groups: [Group]

        /// A tenant with these domains, users and groups (default: none).
        public init(id: String, domains: [String] = [], users: [User] = [], groups: [Group] = []) {
            self.id = id
            self.domains = domains
            self.users = users
            self.groups = groups
        }

        /// Decodes a tenant; missing `domains`, `users` and `groups` are empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            domains = try container.decodeIfPresent([String].self, forKey: .domains) ?? []
            users = try container.decodeIfPresent([User].self, forKey: .users) ?? []
            groups = try container.decodeIfPresent([Group].self, forKey: .groups) ?? []
        }
    }

    /// A client secret (password credential) registered on an app.
    public struct Secret: Codable, Sendable {
        /// The secret's value, which a client sends as `client_secret` or as the HTTP Basic password.
        public var value: String
        /// When the secret expires; `nil` means never. An expired secret is refused.
        public var expires: Date?
        /// A secret with this value, expiring at `expires` (default: never).
        public init(value: String, expires: Date? = nil) {
            self.value = value
            self.expires = expires
        }
    }

    /// A certificate (key credential) registered on an app, given inline or by file.
    public struct CertificateReference: Codable, Sendable {
        /// The certificate as PEM text.
        public var pem: String?
        /// Or a path to a PEM file, relative to the configuration file.
        public var path: String?
        /// A certificate given as PEM text or by the path of a PEM file.
        public init(pem: String? = nil, path: String? = nil) {
            self.pem = pem
            self.path = path
        }
    }

    /// An entry of an app's `requiredResourceAccess`: app roles it needs on a resource, granted by admin consent.
    public struct ResourceAccess: Codable, Sendable {
        /// The resource (API), by client ID or identifier URI.
        public var resource: String
        /// The app roles needed on it, by value (e.g. `User.Read.All`).
        public var roles: [String]
        /// Access to `roles` on `resource`.
        public init(resource: String, roles: [String]) {
            self.resource = resource
            self.roles = roles
        }
    }

    /// An app role an app defines as a resource; grants give it to clients, and tokens carry it in `roles`.
    public struct AppRole: Codable, Sendable {
        /// The role's value, as it appears in `roles` (e.g. `Reports.Read.All`).
        public var value: String
        /// A role with this value.
        public init(value: String) { self.value = value }
    }

    /// An app registration: a client that gets tokens, and a resource (API) tokens can be for.
    public struct Application: Codable, Sendable {
        /// The application (client) ID, a GUID.
        public var clientId: String
        /// The app's display name.
        public var displayName: String
        /// The tenant (GUID) the app is registered in; it has a service principal there without consent.
        public var homeTenant: String
        /// Whether the app can get tokens in other tenants once an administrator there has consented. Default `false`.
        public var multiTenant: Bool
        /// The client secrets it may authenticate with.
        public var secrets: [Secret]
        /// The certificates whose keys may sign its client assertions.
        public var certificates: [CertificateReference]
        /// The redirect URIs admin consent may send the administrator back to.
        public var redirectUris: [String]
        /// The app roles it needs on other resources; admin consent grants them.
        public var requiredResourceAccess: [ResourceAccess]
        /// Its identifier URIs as a resource (e.g. `api://reports`), usable in `scope` as `<uri>/.default`.
        public var identifierUris: [String]
        /// The app roles it defines as a resource.
        public var appRoles: [AppRole]
        /// Whether a client without a granted role on it is refused a token (AADSTS501051). Default `false`.
        public var appRoleAssignmentRequired: Bool
        /// The version (1 or 2) of the tokens issued for it as a resource. Default 2. A v1 token's `aud` is its first
        /// identifier URI.
        public var accessTokenVersion: Int
        /// The federated identity credentials whose external tokens it accepts as client assertions.
        public var federatedCredentials: [FederatedCredential]

        /// An app registration: single-tenant, v2 tokens, no role assignment required, and no credentials, redirect
        /// URIs, required access, identifier URIs or roles unless given.
        public init(
            clientId: String,
            displayName: String,
            homeTenant: String,
            multiTenant: Bool = false,
            secrets: [Secret] = [],
            certificates: [CertificateReference] = [],
            redirectUris: [String] = [],
            requiredResourceAccess: [ResourceAccess] = [],
            identifierUris: [String] = [],
            appRoles: [AppRole] = [],
            appRoleAssignmentRequired: Bool = false,
            accessTokenVersion: Int = 2,
            federatedCredentials: [FederatedCredential] = []
        ) {
            self.federatedCredentials = federatedCredentials
            self.clientId = clientId
            self.displayName = displayName
            self.homeTenant = homeTenant
            self.multiTenant = multiTenant
            self.secrets = secrets
            self.certificates = certificates
            self.redirectUris = redirectUris
            self.requiredResourceAccess = requiredResourceAccess
            self.identifierUris = identifierUris
            self.appRoles = appRoles
            self.appRoleAssignmentRequired = appRoleAssignmentRequired
            self.accessTokenVersion = accessTokenVersion
        }

        /// Decodes an app registration; missing fields take the initialiser's defaults, `displayName` the client ID.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            clientId = try c.decode(String.self, forKey: .clientId)
            displayName = try c.decodeIfPresent(String.self, forKey: .displayName) ?? clientId
            homeTenant = try c.decode(String.self, forKey: .homeTenant)
            multiTenant = try c.decodeIfPresent(Bool.self, forKey: .multiTenant) ?? false
            secrets = try c.decodeIfPresent([Secret].self, forKey: .secrets) ?? []
            certificates = try c.decodeIfPresent([CertificateReference].self, forKey: .certificates) ?? []
            redirectUris = try c.decodeIfPresent([String].self, forKey: .redirectUris) ?? []
            requiredResourceAccess = try c.decodeIfPresent([ResourceAccess].self, forKey: .requiredResourceAccess) ?? []
            identifierUris = try c.decodeIfPresent([String].self, forKey: .identifierUris) ?? []
            appRoles = try c.decodeIfPresent([AppRole].self, forKey: .appRoles) ?? []
            appRoleAssignmentRequired = try c.decodeIfPresent(Bool.self, forKey: .appRoleAssignmentRequired) ?? false
            accessTokenVersion = try c.decodeIfPresent(Int.self, forKey: .accessTokenVersion) ?? 2
            federatedCredentials =
                try c.decodeIfPresent([FederatedCredential].self, forKey: .federatedCredentials) ?? []
        }
    }

    /// An admin-consent grant (app role assignments): `roles` on `resource` given to `client` in `tenant`.
    public struct Grant: Codable, Sendable {
        /// The tenant (GUID) the consent was given in.
        public var tenant: String
        /// The client ID of the app (or managed identity) granted the roles.
        public var client: String
        /// The resource (API) the roles are on, by client ID or identifier URI.
        public var resource: String
        /// The granted app roles' values; tokens carry only those the resource defines.
        public var roles: [String]
        /// A grant of `roles` on `resource` to `client` in `tenant`.
        public init(tenant: String, client: String, resource: String, roles: [String]) {
            self.tenant = tenant
            self.client = client
            self.resource = resource
            self.roles = roles
        }
    }

    /// Loads a configuration file; certificate paths are resolved against its folder.
    public static func load(path: String) throws -> DirectoryModel {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var model = try decoder.decode(DirectoryModel.self, from: data)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        for a in model.applications.indices {
            for c in model.applications[a].certificates.indices {
                if let relative = model.applications[a].certificates[c].path,
                    model.applications[a].certificates[c].pem == nil
                {
                    let url =
                        relative.hasPrefix("/")
                        ? URL(fileURLWithPath: relative) : folder.appendingPathComponent(relative)
                    model.applications[a].certificates[c].pem = try String(contentsOf: url, encoding: .utf8)
                }
            }
        }
        return model
    }
}

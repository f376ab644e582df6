import Foundation

/// The emulator's directory as its JSON configuration file describes it (README, "The emulator"). Field names follow
/// Entra's app manifest. Unknown fields are ignored; every field but the identifiers is optional.
public struct DirectoryModel: Codable, Sendable {
    public var tenants: [Tenant] = []
    public var applications: [Application] = []
    public var grants: [Grant] = []
    /// Managed identities the IMDS and App Service endpoints serve (`GET /metadata/identity/oauth2/token`, `/msi/token`).
    public var managedIdentities: [ManagedIdentity] = []

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
        public var clientId: String
        public var objectId: String
        public var resourceId: String?
        public var tenant: String
        public var systemAssigned: Bool?

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
        public var name: String?
        public var issuer: String
        public var subject: String
        public var audiences: [String]?

        public init(name: String? = nil, issuer: String, subject: String, audiences: [String]? = nil) {
            self.name = name
            self.issuer = issuer
            self.subject = subject
            self.audiences = audiences
        }

        public var acceptedAudiences: [String] {
            audiences.flatMap { $0.isEmpty ? nil : $0 } ?? ["api://AzureADTokenExchange"]
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tenants = try container.decodeIfPresent([Tenant].self, forKey: .tenants) ?? []
        applications = try container.decodeIfPresent([Application].self, forKey: .applications) ?? []
        grants = try container.decodeIfPresent([Grant].self, forKey: .grants) ?? []
        managedIdentities = try container.decodeIfPresent([ManagedIdentity].self, forKey: .managedIdentities) ?? []
    }

    public struct Tenant: Codable, Sendable {
        public var id: String
        public var domains: [String]
        public var users: [User]

        public init(id: String, domains: [String] = [], users: [User] = []) {
            self.id = id
            self.domains = domains
            self.users = users
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            domains = try container.decodeIfPresent([String].self, forKey: .domains) ?? []
            users = try container.decodeIfPresent([User].self, forKey: .users) ?? []
        }
    }

    public struct User: Codable, Sendable {
        public var id: String
        public var displayName: String
        public var userPrincipalName: String

        public init(id: String, displayName: String, userPrincipalName: String) {
            self.id = id
            self.displayName = displayName
            self.userPrincipalName = userPrincipalName
        }
    }

    public struct Secret: Codable, Sendable {
        public var value: String
        public var expires: Date?
        public init(value: String, expires: Date? = nil) {
            self.value = value
            self.expires = expires
        }
    }

    public struct CertificateReference: Codable, Sendable {
        /// The certificate as PEM text.
        public var pem: String?
        /// Or a path to a PEM file, relative to the configuration file.
        public var path: String?
        public init(pem: String? = nil, path: String? = nil) {
            self.pem = pem
            self.path = path
        }
    }

    public struct ResourceAccess: Codable, Sendable {
        public var resource: String
        public var roles: [String]
        public init(resource: String, roles: [String]) {
            self.resource = resource
            self.roles = roles
        }
    }

    public struct AppRole: Codable, Sendable {
        public var value: String
        public init(value: String) { self.value = value }
    }

    public struct Application: Codable, Sendable {
        public var clientId: String
        public var displayName: String
        public var homeTenant: String
        public var multiTenant: Bool
        public var secrets: [Secret]
        public var certificates: [CertificateReference]
        public var redirectUris: [String]
        public var requiredResourceAccess: [ResourceAccess]
        public var identifierUris: [String]
        public var appRoles: [AppRole]
        public var appRoleAssignmentRequired: Bool
        public var accessTokenVersion: Int
        public var federatedCredentials: [FederatedCredential]

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

    public struct Grant: Codable, Sendable {
        public var tenant: String
        public var client: String
        public var resource: String
        public var roles: [String]
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

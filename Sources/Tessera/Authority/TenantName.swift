import Foundation

/// Tenant names: GUIDs or domains, never a path, and never a multi-tenant alias for a token request.
enum TenantName {
    static let aliases: Set<String> = ["common", "organizations", "consumers"]

    static func checkSyntax(_ tenant: String) throws(IdentityError) {
        // ASCII letters, digits, '-' and '.', by byte (Foundation's CharacterSet would page in CoreFoundation's
        // Unicode tables: a megabyte of the daemon's resident memory, for a check of ASCII).
        guard !tenant.isEmpty, tenant.utf8.count <= 253,
            tenant.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    true
                default: false
                }
            }),
            !tenant.hasPrefix("."), !tenant.contains("..")
        else {
            throw IdentityError(
                .invalidConfiguration,
                "the tenant '\(tenant.prefix(64))' is not a tenant ID (GUID) or domain; expected e.g. "
                    + "72f988bf-86f1-41af-91ab-2d7cd011db47 or contoso.onmicrosoft.com"
            )
        }
    }

    /// The tenant a token request will use: checked, and never `common`/`organizations`/`consumers`.
    static func forTokenRequest(_ tenant: String) throws(IdentityError) -> String {
        try checkSyntax(tenant)
        guard !aliases.contains(tenant.lowercased()) else {
            throw IdentityError(
                .tenantRequired,
                "a client-credentials token request cannot go to '\(tenant)': an app-only token is issued by one specific "
                    + "tenant. Name the tenant (its GUID or a verified domain such as contoso.onmicrosoft.com) in the "
                    + "authority, or pass it per request (tenant:) when one app object serves many tenants."
            )
        }
        return tenant
    }
}

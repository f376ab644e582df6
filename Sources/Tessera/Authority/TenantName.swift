import Foundation

/// Tenant names: GUIDs or domains, never a path, and never a multi-tenant alias for a token request.
enum TenantName {
    static let aliases: Set<String> = ["common", "organizations", "consumers"]

    static func checkSyntax(_ tenant: String) throws(IdentityError) {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-."))
        guard !tenant.isEmpty, tenant.count <= 253,
            tenant.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
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

import Foundation
import TesseraJOSE

/// What token is wanted.
public struct TokenRequest: Sendable, Hashable {
    /// The scopes; for Microsoft exactly one `{resource}/.default`.
    public var scopes: [String]
    /// The tenant for this request, overriding the authority's (one multi-tenant app object serving many tenants).
    public var tenant: String?
    /// A claims request (JSON), e.g. a claims challenge from an API. Sent as the `claims` form field.
    public var claims: String?
    /// Skip any cache and ask the identity provider.
    public var forceRefresh: Bool

    /// A request for `scopes`; by default for the authority's tenant, with no claims request, cache allowed.
    public init(scopes: [String], tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.scopes = scopes
        self.tenant = tenant
        self.claims = claims
        self.forceRefresh = forceRefresh
    }

    /// A request for one scope (`{resource}/.default` for Microsoft).
    public init(scope: String, tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.init(scopes: [scope], tenant: tenant, claims: claims, forceRefresh: forceRefresh)
    }
}

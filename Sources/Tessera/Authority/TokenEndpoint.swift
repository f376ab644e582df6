import AsyncHTTPClient
import Foundation
import Synchronization
import TesseraJOSE

/// The token endpoint and issuer one request uses: what a credential signs its assertion for.
public struct TokenEndpoint: Sendable, Hashable {
    /// The URL the token request is POSTed to (a client assertion's `aud`).
    public let url: String
    /// The issuer (the `aud` of an RFC 7523bis assertion).
    public let issuer: String
    /// The tenant of the request (Microsoft only).
    public let tenant: String?
    /// Whether the endpoint belongs to the Microsoft identity platform.
    public var isMicrosoft: Bool { tenant != nil }

    /// An endpoint at `url` for `issuer`; `tenant` is `nil` off the Microsoft identity platform.
    public init(url: String, issuer: String, tenant: String?) {
        self.url = url
        self.issuer = issuer
        self.tenant = tenant
    }
}

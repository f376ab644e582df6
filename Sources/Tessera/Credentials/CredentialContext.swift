import Foundation

/// What a credential is asked to authenticate: the client, the endpoint the request goes to, and the time.
public struct CredentialContext: Sendable {
    /// The application (client) ID.
    public let clientID: String
    /// The token endpoint (and issuer) of this request: a client assertion's audience.
    public let endpoint: TokenEndpoint
    /// The current time (from the client's clock).
    public let now: Date

    /// The context of one token request by `clientID` to `endpoint` at `now`.
    public init(clientID: String, endpoint: TokenEndpoint, now: Date) {
        self.clientID = clientID
        self.endpoint = endpoint
        self.now = now
    }
}

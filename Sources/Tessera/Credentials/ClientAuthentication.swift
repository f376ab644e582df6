import Foundation

/// How one token request is authenticated: form fields and/or an HTTP Basic header.
public struct ClientAuthentication: Sendable {
    /// Fields added to the token request's form body.
    public var formFields: [(name: String, value: String)]
    /// `client_secret_basic`: user and password before form-encoding (RFC 6749 §2.3.1).
    public var basic: (user: String, password: String)?
    /// Values that must never appear in logs or errors (secrets, assertions): server text echoing them is redacted.
    public var sensitiveValues: [String]
    /// The identity of the credential that made this authentication, set by a credential holding several (a
    /// ``RotatingCredential``) so that ``ClientCredential/rejected(_:)`` knows which one was refused. Default none.
    public var credentialIdentity: String?

    /// An authentication of these parts; each defaults to none.
    public init(
        formFields: [(name: String, value: String)] = [],
        basic: (user: String, password: String)? = nil,
        sensitiveValues: [String] = [],
        credentialIdentity: String? = nil
    ) {
        self.credentialIdentity = credentialIdentity
        self.formFields = formFields
        self.basic = basic
        self.sensitiveValues = sensitiveValues
    }
}

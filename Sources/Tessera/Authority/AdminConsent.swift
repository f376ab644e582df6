import Foundation
import TesseraJOSE

/// The admin-consent flow of a multi-tenant daemon (ISV): the URL a customer's administrator opens, and the redirect
/// Entra sends back (`tenant`, `state`, `admin_consent=True`, or `error` + `error_description`).
public enum AdminConsent {
    /// The outcome of a consent redirect.
    public enum Outcome: Sendable, Hashable {
        /// Consent was granted in `tenant`.
        case granted(tenant: String, state: String?)
        /// The administrator declined, or Entra refused (`error` such as `access_denied`).
        case denied(error: String, description: String?, state: String?)
    }

    /// `https://{host}/{tenant}/adminconsent?client_id=…&redirect_uri=…&state=…` (`tenant` may be `organizations`
    /// to let any administrator pick their tenant).
    public static func url(
        tenant: String,
        clientID: String,
        redirectURI: String,
        state: String? = nil,
        cloud: AzureCloud = .public
    ) throws(IdentityError) -> String {
        try TenantName.checkSyntax(tenant)
        guard let redirect = URLComponents(string: redirectURI), redirect.scheme != nil, redirect.encodedHost != nil
        else {
            throw IdentityError(
                .invalidConfiguration,
                "the redirect URI '\(redirectURI.prefix(200))' is not an absolute URL; use one registered on the app, e.g. https://localhost/consent-done"
            )
        }
        var components = URLComponents(string: "\(cloud.baseURL)/\(tenant)/adminconsent")!
        components.queryItems =
            [
                URLQueryItem(name: "client_id", value: clientID),
                URLQueryItem(name: "redirect_uri", value: redirectURI),
            ] + (state.map { [URLQueryItem(name: "state", value: $0)] } ?? [])
        // URLComponents leaves ':' and '/' in query values; encode them as Entra's own links do.
        components.percentEncodedQuery = components.percentEncodedQuery?
            .replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: "/", with: "%2F")
        return components.string!
    }

    /// Reads the redirect Entra sent back to `redirect_uri`. `expectedState` (when given) must match.
    public static func parse(redirect: String, expectedState: String? = nil) throws(IdentityError) -> Outcome {
        guard let components = URLComponents(string: redirect) else {
            throw IdentityError(.protocolViolation, "the consent redirect is not a URL")
        }
        // Entra form-encodes the query (a space is '+').
        let query: [String: String]
        do {
            query = try FormEncoding.decode(components.percentEncodedQuery ?? "")
        } catch {
            throw IdentityError(.protocolViolation, "the consent redirect's query cannot be read: \(error)")
        }
        let state = query["state"]
        if let expectedState, state != expectedState {
            throw IdentityError(
                .protocolViolation,
                "the consent redirect's state does not match the one sent: ignore it (possible forgery)"
            )
        }
        if let error = query["error"] {
            return .denied(error: error, description: query["error_description"], state: state)
        }
        guard query["admin_consent"]?.lowercased() == "true", let tenant = query["tenant"],
            UUID(uuidString: tenant) != nil
        else {
            throw IdentityError(
                .protocolViolation,
                "the consent redirect has neither admin_consent=True with a tenant GUID nor an error"
            )
        }
        return .granted(tenant: tenant.lowercased(), state: state)
    }
}

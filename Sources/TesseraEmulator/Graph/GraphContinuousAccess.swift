import Foundation
import HTTPTypes
import TesseraJOSE
import TesseraValidation

/// Continuous access evaluation on the Graph-like API: a token of a client whose sessions were revoked after it was
/// issued is refused; a client that declared `cp1` gets a claims challenge (`nbf` = the revocation time) it can answer
/// with a fresh token, others a plain 401.
struct GraphContinuousAccess: Sendable {
    let directory: Directory
    let base: BaseURLs

    /// The 401 for `token`, or `nil` when its client's sessions were not revoked since it was issued.
    func challenge(for token: ValidatedToken) -> GraphError? {
        guard let client = token.callerApplication, let revoked = directory.revocation(client: client),
            let issuedAt = token.claims["iat"]?.doubleValue, issuedAt <= revoked.timeIntervalSince1970.rounded(.down)
        else { return nil }
        let capable = token.claims["xms_cc"]?.arrayValue?.contains(.string("cp1")) == true
        var challenge =
            "Bearer realm=\"\", authorization_uri=\"\(base.primary)/common/oauth2/authorize\", client_id=\"\(Directory.graphClientID)\""
        if capable {
            let claims =
                #"{"access_token":{"nbf":{"essential":true,"value":""# + "\(Int64(revoked.timeIntervalSince1970))"
                + #""}}}"#
            challenge += ", error=\"insufficient_claims\", claims=\"\(Data(claims.utf8).base64EncodedString())\""
        } else {
            challenge += ", error=\"invalid_token\""
        }
        return GraphError(
            .unauthorized,
            "InvalidAuthenticationToken",
            capable
                ? "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
                : "Lifetime validation failed, the token is expired.",
            headers: [.wwwAuthenticate: challenge]
        )
    }
}

import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import TesseraJOSE

extension ClientAssertionCredential {
    /// A managed identity's token for `api://AzureADTokenExchange` as the client assertion: an app with a federated
    /// credential trusting the identity (issuer `https://login.microsoftonline.com/{tenant}/v2.0`, subject its object
    /// ID) authenticates without a secret or certificate (Microsoft.Identity.Web's
    /// `SignedAssertionFromManagedIdentity`).
    public static func managedIdentity(
        _ identity: any TokenSource,
        audience: String = "api://AzureADTokenExchange"
    ) -> ClientAssertionCredential {
        ClientAssertionCredential(name: "managed-identity") { _ in
            try await identity.token(scope: audience + "/.default").token
        }
    }
}

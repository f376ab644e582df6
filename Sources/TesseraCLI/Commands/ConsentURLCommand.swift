import ArgumentParser
import Foundation
import NIOSSL
import Tessera
import TesseraJOSE

/// `tessera consent-url`: the admin-consent link for a customer's administrator.
struct ConsentURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent-url",
        abstract: "Print the admin-consent URL a tenant administrator opens to grant the daemon's app permissions.",
        discussion: """
            After consent, Entra redirects to the redirect URI with tenant=…&admin_consent=True&state=…
            (or error=…&error_description=…); the daemon can then get tokens for that tenant.
            Examples:
              tessera consent-url --tenant organizations --client-id <app-id> --redirect-uri https://contoso.example/consent-done
              tessera consent-url --tenant fabrikam.onmicrosoft.com --client-id <app-id> --redirect-uri https://localhost/consent-done --state 42
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The customer's tenant (GUID or domain), or organizations to let the administrator choose.")
    var tenant: String

    @Option(help: "The app's client ID.")
    var clientId: String

    @Option(help: "A redirect URI registered on the app.")
    var redirectUri: String

    @Option(help: "An opaque value echoed back (to match the answer to the request).")
    var state: String?

    @Option(help: "Cloud: public, usgovernment, china, or a host URL (the emulator's).")
    var cloud = "public"

    func run() throws {
        do {
            print(
                try AdminConsent.url(
                    tenant: tenant,
                    clientID: clientId,
                    redirectURI: redirectUri,
                    state: state,
                    cloud: try AzureCloud.named(cloud)
                )
            )
        } catch {
            throw ValidationError(error.message)
        }
    }
}

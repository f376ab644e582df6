import ArgumentParser
import Foundation
import Logging
import TesseraEmulator
import TesseraJOSE

/// The demo directory `tessera emulator` serves without `--config`.
enum DemoDirectory {
    static let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
    static let daemon = "5e5d4a3b-2c1d-4e0f-9a8b-7c6d5e4f3a2b"

    static func model(secret: String) -> DirectoryModel {
        DirectoryModel(
            tenants: [
                .init(
                    id: tenant,
                    domains: ["contoso.example"],
                    users: [
                        .init(
                            id: "0d6c8b0e-1a2b-4c3d-9e8f-000000000001",
                            displayName: "Adele Vance",
                            userPrincipalName: "adele@contoso.example"
                        ),
                        .init(
                            id: "0d6c8b0e-1a2b-4c3d-9e8f-000000000002",
                            displayName: "Alex Wilber",
                            userPrincipalName: "alex@contoso.example"
                        ),
                    ]
                )
            ],
            applications: [
                .init(
                    clientId: daemon,
                    displayName: "demo daemon",
                    homeTenant: tenant,
                    multiTenant: true,
                    secrets: [.init(value: secret, expires: Date().addingTimeInterval(365 * 86_400))],
                    redirectUris: ["https://localhost/consent-done"],
                    requiredResourceAccess: [.init(resource: "https://graph.microsoft.com", roles: ["User.Read.All"])]
                )
            ],
            grants: [
                .init(tenant: tenant, client: daemon, resource: "https://graph.microsoft.com", roles: ["User.Read.All"])
            ]
        )
    }
}

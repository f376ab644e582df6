import AsyncHTTPClient
import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import Testing

package enum ManagedIdentityFixture {
    package static let system = DirectoryModel.ManagedIdentity(
        clientId: "5a5a5a5a-0000-4000-8000-000000000001",
        objectId: "0b0b0b0b-0000-4000-8000-000000000001",
        tenant: EmulatorFixture.contoso,
        systemAssigned: true
    )
    package static let user = DirectoryModel.ManagedIdentity(
        clientId: "5a5a5a5a-0000-4000-8000-000000000002",
        objectId: "0b0b0b0b-0000-4000-8000-000000000002",
        resourceId:
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payroll",
        tenant: EmulatorFixture.contoso
    )

    /// The fixture plus both identities; the system one may read Graph users; the daemon app trusts the user-assigned one.
    package static func model(baseURL: String? = nil) -> DirectoryModel {
        var model = EmulatorFixture.model
        model.managedIdentities = [system, user]
        model.grants.append(
            .init(
                tenant: EmulatorFixture.contoso,
                client: system.clientId,
                resource: Directory.graphClientID,
                roles: ["User.Read.All"]
            )
        )
        return model
    }
}

import ArgumentParser
import Foundation
import Logging
import TesseraEmulator
import TesseraJOSE

/// `<state-dir>/connection.json` (0600): where the emulator is and ready-to-use settings for each client library.
enum ConnectionFile {
    static func write(emulator: Emulator, model: DirectoryModel, demoSecret: String?) throws -> String {
        let path = emulator.stateDirectory + "/connection.json"
        let tenant = model.tenants.first?.id ?? ""
        let client = model.applications.first?.clientId ?? ""
        var object: [String: Any] = [
            "baseURL": emulator.baseURL,
            "adminKey": emulator.adminKey,
            "adminAPI": "\(emulator.baseURL)/admin (Authorization: Bearer <adminKey>)",
            "tenants": model.tenants.map { ["id": $0.id, "domains": $0.domains] },
            "applications": model.applications.map { ["clientId": $0.clientId, "displayName": $0.displayName] },
            "azureIdentity": [
                "AZURE_AUTHORITY_HOST": emulator.baseURL, "AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": client,
                "note": "pass disable_instance_discovery=True (and connection_verify=<caFile>) in code",
            ],
            "msal": ["authority": "\(emulator.baseURL)/\(tenant)", "client_id": client, "instance_discovery": false],
            "tessera": ["AZURE_AUTHORITY_HOST": emulator.baseURL, "TESSERA_CA_FILE": emulator.caFile ?? ""],
            "managedIdentity": [
                "IDENTITY_ENDPOINT": "\(emulator.baseURL)/msi/token", "IDENTITY_HEADER": emulator.identityHeader,
                "AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.baseURL,
            ],
        ]
        if let caFile = emulator.caFile {
            object["caFile"] = caFile
            object["azureIdentity"] = (object["azureIdentity"] as! [String: Any]).merging(["REQUESTS_CA_BUNDLE": caFile]
            ) { $1 }
        }
        if let demoSecret {
            object["demo"] = [
                "tenantId": tenant, "clientId": client, "clientSecret": demoSecret,
                "scope": "https://graph.microsoft.com/.default",
            ]
        }
        let data = try JSONSerialization.data(
            withJSONObject: object,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        )
        try SecretFile.write(Array(data), to: path)
        return path
    }
}

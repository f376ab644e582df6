import ArgumentParser
import Foundation
import Logging
import Tessera

/// `tessera token`: one app-only token from the `AZURE_*` environment, like `az account get-access-token`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Get an app-only access token and print it.",
        discussion: """
            Reads AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH
            (+ AZURE_CLIENT_CERTIFICATE_PASSWORD) or AZURE_FEDERATED_TOKEN_FILE; AZURE_AUTHORITY_HOST picks the cloud.

            Examples:
              tessera token --scope https://graph.microsoft.com/.default
              tessera token --scope api://my-api/.default --json
              AZURE_AUTHORITY_HOST=https://localhost:8443 tessera token --ca-file ~/.tessera/ca.pem
            """)

    @Option(help: "The scope, '{resource}/.default'.")
    var scope = "https://graph.microsoft.com/.default"

    @Option(help: "The tenant (GUID or domain); overrides AZURE_TENANT_ID.")
    var tenant: String?


    @Flag(help: "Print expiry and metadata as JSON instead of the bare token.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = global.makeLogger()
        let client: ConfidentialClient
        do {
            var configuration = try EnvironmentConfiguration.clientConfiguration(environment, tenant: tenant)
            configuration.http.caFile = global.resolvedCAFile
            client = try ConfidentialClient(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            let token = try await client.token(scope: scope)
            try? await client.shutdown()
            if json {
                let formatter = ISO8601DateFormatter()
                let object: [String: Any] = [
                    "accessToken": token.token, "tokenType": token.tokenType,
                    "expiresOn": formatter.string(from: token.expiresOn), "expiresIn": token.lifetime,
                    "tenant": token.tenant ?? NSNull(), "correlationId": token.correlationID ?? NSNull(),
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(token.token)
            }
        } catch {
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The `AZURE_*` environment, as azure-identity's `EnvironmentCredential` reads it.
enum EnvironmentConfiguration {
    static func clientConfiguration(_ environment: [String: String], tenant: String?) throws -> ConfidentialClient.Configuration {
        func require(_ name: String, example: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw ValidationError("\(name) is not set; set it in the environment, e.g. \(name)=\(example)")
            }
            return value
        }
        let tenantID = try tenant ?? require("AZURE_TENANT_ID", example: "contoso.onmicrosoft.com")
        let clientID = try require("AZURE_CLIENT_ID", example: "00000000-0000-0000-0000-000000000000")
        let cloud = try environment["AZURE_AUTHORITY_HOST"].map { try AzureCloud.named($0) } ?? .public
        let credential: any ClientCredential
        if let secret = environment["AZURE_CLIENT_SECRET"], !secret.isEmpty {
            credential = ClientSecretCredential(secret: secret)
        } else if let path = environment["AZURE_CLIENT_CERTIFICATE_PATH"], !path.isEmpty {
            var options = ClientCertificateCredential.AssertionOptions()
            options.sendCertificateChain = ["1", "true"].contains(environment["AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"]?.lowercased() ?? "")
            credential = try ClientCertificateCredential.load(
                path: path, password: environment["AZURE_CLIENT_CERTIFICATE_PASSWORD"], options: options)
        } else if let file = environment["AZURE_FEDERATED_TOKEN_FILE"], !file.isEmpty {
            credential = ClientAssertionCredential(file: file)
        } else {
            throw ValidationError(
                "no credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (a PEM or PFX file) or AZURE_FEDERATED_TOKEN_FILE")
        }
        return ConfidentialClient.Configuration(
            clientID: clientID, authority: try .microsoft(tenant: tenantID, cloud: cloud), credential: credential)
    }
}

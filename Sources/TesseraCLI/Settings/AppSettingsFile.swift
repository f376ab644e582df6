import Configuration
import Foundation
import Tessera
import TesseraJOSE

/// Reads `appsettings.json` (Microsoft.Identity.Web) or the low-level sample form into the canonical keys, with .NET's
/// case-insensitive keys. In `ClientCredentials` the first credential that loads wins.
enum AppSettingsFile {
    static func settings(path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientSettings.SettingError("cannot read the configuration file '\(path)'")
        }
        let root: [String: JSONValue]
        do {
            root = try StrictJSON.parseObject(Array(data))
        } catch {
            throw ClientSettings.SettingError("the configuration file '\(path)' is not a JSON object: \(error)")
        }
        var settings: [String: String] = [:]
        let azureAd = lookup(root, "AzureAd")?.objectValue
        let section = azureAd ?? root
        if let instance = lookup(section, "Instance")?.stringValue {
            // "https://login.microsoftonline.com/" or the sample's "https://login.microsoftonline.com/{0}".
            settings[ClientSettings.authorityHost] = instance.replacingOccurrences(of: "{0}", with: "")
        }
        if let tenant = (lookup(section, "TenantId") ?? lookup(section, "Tenant"))?.stringValue {
            settings[ClientSettings.tenant] = tenant
        }
        if let client = lookup(section, "ClientId")?.stringValue { settings[ClientSettings.client] = client }
        if let region = lookup(section, "AzureRegion")?.stringValue { settings[ClientSettings.region] = region }
        if let secret = lookup(section, "ClientSecret")?.stringValue { settings[ClientSettings.secret] = secret }
        if let certificate = lookup(section, "CertificatePath")?.stringValue {
            settings[ClientSettings.certificatePath] = certificate
        }
        if let password = lookup(section, "CertificatePassword")?.stringValue {
            settings[ClientSettings.certificatePassword] = password
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        for credential in lookup(section, "ClientCredentials")?.arrayValue ?? [] {
            guard let object = credential.objectValue,
                let source = lookup(object, "SourceType")?.stringValue?.lowercased()
            else { continue }
            func string(_ name: String) -> String? { lookup(object, name)?.stringValue }
            func resolve(_ file: String) -> String {
                file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path
            }
            switch source {
            case "clientsecret":
                guard let secret = string("ClientSecret") else { continue }
                settings[ClientSettings.secret] = secret
            case "path":
                guard let directory = string("CertificateDiskPath") else { continue }
                let file = string("CertificateFileName").map { resolve(directory) + "/" + $0 } ?? resolve(directory)
                guard FileManager.default.isReadableFile(atPath: file) else { continue }
                settings[ClientSettings.certificatePath] = file
                if let password = string("CertificatePassword") {
                    settings[ClientSettings.certificatePassword] = password
                }
            case "base64encoded":
                guard let value = string("Base64EncodedValue") else { continue }
                settings[ClientSettings.certificateBase64] = value
                if let password = string("CertificatePassword") {
                    settings[ClientSettings.certificatePassword] = password
                }
            case "signedassertionfrommanagedidentity":
                settings[ClientSettings.managedIdentityAssertion] = string("ManagedIdentityClientId") ?? "system"
            case "signedassertionfilepath":
                guard let file = string("SignedAssertionFileDiskPath").map(resolve),
                    FileManager.default.isReadableFile(atPath: file)
                else { continue }
                settings[ClientSettings.tokenFile] = file
            default:
                continue
            }
            break  // the first credential that loads wins
        }
        return settings
    }

    /// One `DownstreamApis` entry: where the API is and which app token it takes.
    struct DownstreamAPI: Equatable {
        let baseURL: String
        let relativePath: String
        let scopes: [String]
    }

    /// `DownstreamApis { <name>: { BaseUrl, RelativePath, Scopes, RequestAppToken } }` (names case-insensitive).
    static func downstreamAPI(named name: String, path: String) throws -> DownstreamAPI {
        guard let data = FileManager.default.contents(atPath: path), let root = try? StrictJSON.parseObject(Array(data))
        else {
            throw ClientSettings.SettingError("cannot read the configuration file '\(path)'")
        }
        guard let apis = lookup(root, "DownstreamApis")?.objectValue, let api = lookup(apis, name)?.objectValue else {
            throw ClientSettings.SettingError(
                "DownstreamApis.\(name) is not in \(path); e.g. \"DownstreamApis\": {\"\(name)\": {\"BaseUrl\": \"https://graph.microsoft.com/v1.0/\", \"RelativePath\": \"users\", \"Scopes\": [\"https://graph.microsoft.com/.default\"], \"RequestAppToken\": true}}"
            )
        }
        guard let baseURL = lookup(api, "BaseUrl")?.stringValue else {
            throw ClientSettings.SettingError(
                "DownstreamApis.\(name).BaseUrl is not set in \(path); e.g. https://graph.microsoft.com/v1.0/"
            )
        }
        let scopes: [String]
        switch lookup(api, "Scopes") {
        case .array(let values): scopes = values.compactMap(\.stringValue)
        case .string(let value): scopes = value.split(separator: " ").map(String.init)
        default: scopes = []
        }
        return DownstreamAPI(
            baseURL: baseURL,
            relativePath: lookup(api, "RelativePath")?.stringValue ?? "",
            scopes: scopes
        )
    }

    /// A member by case-insensitive name, as .NET configuration reads JSON.
    static func lookup(_ object: [String: JSONValue], _ name: String) -> JSONValue? {
        object[name] ?? object.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

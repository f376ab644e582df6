import Configuration
import Foundation
import TesseraJOSE

/// Microsoft.Identity.Web's `appsettings.json` (the `AzureAd` section with `ClientCredentials`, and `DownstreamApis`)
/// or the low-level sample form (`Instance` with `{0}`, `Tenant`, `ClientId`, `ClientSecret`, `CertificatePath`), as
/// a swift-configuration provider of the keys ``ConfidentialClient/Configuration/init(configReader:places:http:managedIdentityEndpoint:)``
/// and ``DownstreamAPI/init(configReader:name:places:)`` read. Keys are case-insensitive, as .NET reads JSON; in
/// `ClientCredentials` the first credential that loads wins (a `Path` or `SignedAssertionFilePath` whose file is not
/// readable is skipped). Relative paths are resolved against the file's folder.
public enum AppSettingsFile {
    /// The file at `path` as an in-memory provider named after it (read once; secrets marked as such).
    /// - Throws: ``IdentityError/Code/invalidConfiguration`` when the file cannot be read or is not a JSON object.
    public static func provider(path: String) throws(IdentityError) -> InMemoryProvider {
        let root = try object(path: path)
        var settings = credentialSettings(root, folder: URL(fileURLWithPath: path).deletingLastPathComponent())
        settings.merge(downstreamAPISettings(root)) { $1 }
        let secrets = Set(SettingKey.all.filter(\.isSecret).map(\.name))
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, content) in settings {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(
                content,
                isSecret: secrets.contains(key)
            )
        }
        return InMemoryProvider(name: path, values: values)
    }

    /// The file at `path` as a JSON object.
    package static func object(path: String) throws(IdentityError) -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityError(
                .invalidConfiguration,
                "cannot read the configuration file '\(path)': check the path (--config / TESSERA_CONFIG) and permissions"
            )
        }
        do {
            return try StrictJSON.parseObject(Array(data))
        } catch {
            throw IdentityError(
                .invalidConfiguration,
                "the configuration file '\(path)' is not a JSON object: \(error)"
            )
        }
    }

    /// A member by case-insensitive name, as .NET configuration reads JSON.
    package static func member(_ object: [String: JSONValue], _ name: String) -> JSONValue? {
        object[name] ?? object.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The `AzureAd` section (or the sample form's top level) as setting keys.
    static func credentialSettings(_ root: [String: JSONValue], folder: URL) -> [String: ConfigContent] {
        var settings: [String: ConfigContent] = [:]
        let section = member(root, "AzureAd")?.objectValue ?? root
        func set(_ key: SettingKey, _ value: String?) {
            if let value { settings[key.name] = .string(value) }
        }
        // "https://login.microsoftonline.com/" or the sample's "https://login.microsoftonline.com/{0}".
        set(.authorityHost, member(section, "Instance")?.stringValue?.replacingOccurrences(of: "{0}", with: ""))
        set(.tenant, (member(section, "TenantId") ?? member(section, "Tenant"))?.stringValue)
        set(.client, member(section, "ClientId")?.stringValue)
        set(.region, member(section, "AzureRegion")?.stringValue)
        set(.secret, member(section, "ClientSecret")?.stringValue)
        set(.certificatePath, member(section, "CertificatePath")?.stringValue)
        set(.certificatePassword, member(section, "CertificatePassword")?.stringValue)
        func resolve(_ file: String) -> String { file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path }
        for entry in member(section, "ClientCredentials")?.arrayValue ?? [] {
            guard let credential = entry.objectValue,
                let source = member(credential, "SourceType")?.stringValue?.lowercased()
            else { continue }
            func string(_ name: String) -> String? { member(credential, name)?.stringValue }
            switch source {
            case "clientsecret":
                guard let secret = string("ClientSecret") else { continue }
                set(.secret, secret)
            case "path":
                guard let directory = string("CertificateDiskPath") else { continue }
                let file = string("CertificateFileName").map { resolve(directory) + "/" + $0 } ?? resolve(directory)
                guard FileManager.default.isReadableFile(atPath: file) else { continue }
                set(.certificatePath, file)
                set(.certificatePassword, string("CertificatePassword"))
            case "base64encoded":
                guard let value = string("Base64EncodedValue") else { continue }
                set(.certificateBase64, value)
                set(.certificatePassword, string("CertificatePassword"))
            case "signedassertionfrommanagedidentity":
                set(.managedIdentityAssertion, string("ManagedIdentityClientId") ?? "system")
            case "signedassertionfilepath":
                guard let file = string("SignedAssertionFileDiskPath").map(resolve),
                    FileManager.default.isReadableFile(atPath: file)
                else { continue }
                set(.federatedTokenFile, file)
            default:
                continue
            }
            break  // the first credential that loads wins
        }
        return settings
    }

    /// `DownstreamApis { <name>: { BaseUrl, RelativePath, Scopes } }` as `downstreamApis.<name, lower-cased>.…` keys.
    /// Names are compared case-insensitively (the first in sorted order wins a clash); a name that is empty or holds
    /// a `.` cannot be a key and is skipped.
    static func downstreamAPISettings(_ root: [String: JSONValue]) -> [String: ConfigContent] {
        var settings: [String: ConfigContent] = [:]
        var seen: Set<String> = []
        let entries = (member(root, "DownstreamApis")?.objectValue ?? [:]).sorted { $0.key < $1.key }
        for (name, value) in entries {
            guard let api = value.objectValue, !name.isEmpty, !name.contains("."),
                seen.insert(name.lowercased()).inserted
            else { continue }
            let prefix = DownstreamAPI.configKeyPrefix(name)
            if let baseURL = member(api, "BaseUrl")?.stringValue { settings[prefix + ".baseUrl"] = .string(baseURL) }
            if let path = member(api, "RelativePath")?.stringValue {
                settings[prefix + ".relativePath"] = .string(path)
            }
            switch member(api, "Scopes") {
            case .array(let values): settings[prefix + ".scopes"] = .stringArray(values.compactMap(\.stringValue))
            case .string(let value):
                settings[prefix + ".scopes"] = .stringArray(value.split(separator: " ").map(String.init))
            default: break
            }
        }
        return settings
    }
}

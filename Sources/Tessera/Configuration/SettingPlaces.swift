/// How an application names the places its settings come from, so that a missing or wrong setting's error names
/// every place it was looked for: the command-line flag of a key (a CLI's own spelling) and the configuration file.
public struct SettingPlaces: Sendable {
    /// The command-line flag that sets a key, by key (e.g. `["azure.tenantId": "--tenant"]`). Default none.
    public var flags: [String: String]
    /// The configuration file the reader includes (its path), or why there is none. Default
    /// `appsettings.json (if the reader has one)`.
    public var file: String

    /// Places with these names; by default no flags and `appsettings.json`.
    public init(flags: [String: String] = [:], file: String = "appsettings.json (if the reader has one)") {
        self.flags = flags
        self.file = file
    }

    /// "--tenant, AZURE_TENANT_ID and appsettings.json (AzureAd.TenantId or Tenant)" for `key`.
    func describe(_ key: SettingKey) -> String {
        "\(flag(key))\(key.environment) and \(file) (\(key.file))"
    }

    /// "--tenant, " when the key has a flag.
    func flag(_ key: SettingKey) -> String { flags[key.name].map { $0 + ", " } ?? "" }

    /// The error for a setting that is required and set nowhere.
    func missing(_ key: SettingKey) -> IdentityError {
        IdentityError(
            .invalidConfiguration,
            "\(key.name) is not set: looked in \(describe(key)); e.g. \(key.example)"
        )
    }

    /// The error for a setting whose value is wrong.
    func invalid(_ key: SettingKey, _ reason: String) -> IdentityError {
        IdentityError(
            .invalidConfiguration,
            "\(key.name) is not valid (looked in \(describe(key))): \(reason); e.g. \(key.example)"
        )
    }
}

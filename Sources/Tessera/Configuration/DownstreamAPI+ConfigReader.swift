import Configuration

extension DownstreamAPI {
    /// Microsoft.Identity.Web's `DownstreamApis` entry `name` (case-insensitive) from `configReader`: keys
    /// `downstreamApis.<name>.baseUrl` (required), `.relativePath` and `.scopes` (``AppSettingsFile`` provides them
    /// from `appsettings.json`).
    /// - Throws: ``IdentityError/Code/invalidConfiguration`` naming the entry, where it was looked for and an example.
    public init(
        configReader: ConfigReader,
        name: String,
        places: SettingPlaces = SettingPlaces()
    ) throws(IdentityError) {
        let prefix = Self.configKeyPrefix(name).split(separator: ".").map(String.init)
        let baseURL = configReader.string(forKey: ConfigKey(prefix + ["baseUrl"])).flatMap { $0.isEmpty ? nil : $0 }
        let relativePath = configReader.string(forKey: ConfigKey(prefix + ["relativePath"]))
        let scopes = configReader.stringArray(forKey: ConfigKey(prefix + ["scopes"]))
        guard let baseURL else {
            let example =
                "e.g. \"DownstreamApis\": {\"\(name)\": {\"BaseUrl\": \"https://graph.microsoft.com/v1.0/\", "
                + "\"RelativePath\": \"users\", \"Scopes\": [\"https://graph.microsoft.com/.default\"], \"RequestAppToken\": true}}"
            let what =
                relativePath == nil && scopes == nil
                ? "DownstreamApis.\(name) is not in \(places.file)"
                : "DownstreamApis.\(name).BaseUrl is not set in \(places.file)"
            throw IdentityError(.invalidConfiguration, "\(what); \(example)")
        }
        self.init(
            baseURL: baseURL,
            scopes: scopes ?? [],
            relativePath: relativePath ?? ""
        )
    }

    /// `downstreamApis.<name, lower-cased>`: entry names compare case-insensitively, as .NET configuration does.
    static func configKeyPrefix(_ name: String) -> String { "downstreamApis." + name.lowercased() }
}

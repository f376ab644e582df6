import Configuration
import Foundation
import Tessera
import TesseraDaemon
import TesseraJOSE

/// The `Daemon` section of `tessera run`'s configuration file (keys case-insensitive, as .NET reads JSON).
struct DaemonSettings {
    struct Job {
        let name: String
        var api: DownstreamAPI
        let schedule: DaemonJob.Schedule
        let output: String
        let paged: Bool
        /// Run once per tenant: the configured one and every onboarded one (`{tenant}` in Output names the file).
        let perTenant: Bool
    }

    /// `Daemon.Onboarding`: the admin-consent callback's public URL and where onboarded tenants are kept.
    struct OnboardingSettings {
        let redirectURI: String
        let tenantsFile: String
    }

    let jobs: [Job]
    let onboarding: OnboardingSettings?
    let metricsPort: Int?
    let shutdownTimeoutSeconds: Int

    static let example =
        #""Daemon": {"Jobs": [{"Name": "users", "Api": "Graph", "RelativePath": "users", "Schedule": "every 5m", "Output": "users.jsonl"}]}"#

    init(path: String) throws {
        let root = try AppSettingsFile.object(path: path)
        let file = ConfigReader(provider: try AppSettingsFile.provider(path: path))
        func fail(_ what: String) -> SettingError {
            SettingError("\(path): \(what); e.g. \(Self.example)")
        }
        guard let daemon = AppSettingsFile.member(root, "Daemon")?.objectValue else { throw fail("no Daemon section") }
        guard let jobs = AppSettingsFile.member(daemon, "Jobs")?.arrayValue, !jobs.isEmpty else {
            throw fail("Daemon.Jobs is missing or empty")
        }
        metricsPort = try AppSettingsFile.member(daemon, "MetricsPort").map { value in
            guard let port = value.integerValue.map(Int.init), (0...65535).contains(port) else {
                throw fail("Daemon.MetricsPort must be a port number 0…65535")
            }
            return port
        }
        shutdownTimeoutSeconds =
            try AppSettingsFile.member(daemon, "ShutdownTimeoutSeconds").map { value in
                guard let seconds = value.integerValue.map(Int.init), (0...3600).contains(seconds) else {
                    throw fail("Daemon.ShutdownTimeoutSeconds must be 0…3600")
                }
                return seconds
            } ?? 10
        if let onboarding = AppSettingsFile.member(daemon, "Onboarding")?.objectValue {
            guard let redirect = AppSettingsFile.member(onboarding, "RedirectUri")?.stringValue,
                let tenants = AppSettingsFile.member(onboarding, "TenantsFile")?.stringValue
            else {
                throw fail(
                    "Daemon.Onboarding needs RedirectUri (the /onboarding/callback URL registered on the app) and TenantsFile"
                )
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            self.onboarding = OnboardingSettings(
                redirectURI: redirect,
                tenantsFile: tenants.hasPrefix("/") ? tenants : folder.appendingPathComponent(tenants).path
            )
        } else {
            self.onboarding = nil
        }
        var names: Set<String> = []
        self.jobs = try jobs.enumerated().map { index, value in
            guard let job = value.objectValue else { throw fail("Daemon.Jobs[\(index)] is not an object") }
            func string(_ key: String) -> String? { AppSettingsFile.member(job, key)?.stringValue }
            let name = string("Name") ?? "job\(index + 1)"
            guard name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }),
                names.insert(name).inserted
            else {
                throw fail(
                    "Daemon.Jobs[\(index)].Name '\(name.prefix(64))' must be unique, letters, digits, '-', '_' or '.'"
                )
            }
            var api: DownstreamAPI
            if let reference = string("Api") {
                api = try DownstreamAPI(configReader: file, name: reference, places: SettingPlaces(file: path))
            } else if let url = string("Url") {
                api = DownstreamAPI(baseURL: url, scopes: [])
            } else {
                throw fail("Daemon.Jobs[\(index)] (\(name)) names neither Api (a DownstreamApis entry) nor Url")
            }
            if let relative = string("RelativePath") { api.relativePath = relative }
            switch AppSettingsFile.member(job, "Scopes") {
            case .array(let values): api.scopes = values.compactMap(\.stringValue)
            case .string(let value): api.scopes = value.split(separator: " ").map(String.init)
            default: break
            }
            if let tenant = string("Tenant") { api.tenant = tenant }
            guard let schedule = Self.schedule(string("Schedule") ?? "once") else {
                throw fail(
                    "Daemon.Jobs[\(index)].Schedule '\(string("Schedule") ?? "")' is not 'once' or 'every <n>s|m|h' (e.g. 'every 5m')"
                )
            }
            let paged = AppSettingsFile.member(job, "Paged")?.boolValue ?? true
            let perTenant = AppSettingsFile.member(job, "PerTenant")?.boolValue ?? false
            let output = string("Output") ?? "-"
            if perTenant, output != "-", !output.contains("{tenant}") {
                throw fail(
                    "Daemon.Jobs[\(index)] (\(name)) runs per tenant: its Output must contain {tenant}, e.g. users-{tenant}.jsonl"
                )
            }
            return Job(name: name, api: api, schedule: schedule, output: output, paged: paged, perTenant: perTenant)
        }
    }

    /// `once`, or `every 30s` / `every 5m` / `every 1h` / `every 300` (seconds); at least one second.
    static func schedule(_ text: String) -> DaemonJob.Schedule? {
        let words = text.lowercased().split(separator: " ")
        if words == ["once"] { return .once }
        guard words.count == 2, words[0] == "every", var amount = words.last.map(String.init) else { return nil }
        var unit: Int64 = 1
        switch amount.last {
        case "s": amount.removeLast()
        case "m":
            unit = 60
            amount.removeLast()
        case "h":
            unit = 3600
            amount.removeLast()
        default: break
        }
        guard let value = Int64(amount), value >= 1, value <= 7 * 86400 / unit else { return nil }
        return .every(.seconds(value * unit))
    }
}

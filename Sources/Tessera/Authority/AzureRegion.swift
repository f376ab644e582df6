import Foundation
import Synchronization

/// An Azure region whose regional token service (ESTS-R) serves the daemon's token requests: lower latency, and
/// independence from the global endpoint. Requests that fail there (network, TLS, timeout, 5xx) go to the global
/// endpoint at once, which is then used for 5 minutes before the region is tried again.
public struct AzureRegion: Sendable, Hashable, CustomStringConvertible {
    /// The region's name, e.g. `westus2`.
    public let name: String
    let explicitBaseURL: String?

    /// A region by name (letters and digits, as Azure names them), e.g. `westus2`.
    public static func named(_ name: String) throws(IdentityError) -> AzureRegion {
        let trimmed = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty, trimmed.count <= 40, trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            throw IdentityError(
                .invalidConfiguration,
                "'\(name.prefix(64))' is not an Azure region name (letters and digits, e.g. westus2); set the region or REGION_NAME"
            )
        }
        return AzureRegion(name: trimmed, explicitBaseURL: nil)
    }

    /// The region from `REGION_NAME` (set on Azure hosts; what MSAL's auto-detection reads), if set.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(IdentityError) -> AzureRegion? {
        guard let name = environment["REGION_NAME"], !name.isEmpty else { return nil }
        return try named(name)
    }

    /// A regional endpoint at an explicit base URL (private deployments, tests).
    public static func custom(name: String, baseURL: String) throws(IdentityError) -> AzureRegion {
        AzureRegion(name: name, explicitBaseURL: try EndpointURL(baseURL, what: "regional endpoint").string)
    }

    /// The regional base URL in `cloud`: `https://{region}.login.microsoft.com` (public),
    /// `{region}.login.microsoftonline.us` (US Government), `{region}.login.chinacloudapi.cn` (China); none for a
    /// custom cloud unless given explicitly.
    public func baseURL(in cloud: AzureCloud) -> String? {
        if let explicitBaseURL { return explicitBaseURL }
        switch cloud {
        case .public: return "https://\(name).login.microsoft.com"
        case .usGovernment: return "https://\(name).login.microsoftonline.us"
        case .china: return "https://\(name).login.chinacloudapi.cn"
        default: return nil
        }
    }

    /// The region's name, followed by the explicit base URL in parentheses for a custom region.
    public var description: String { explicitBaseURL.map { "\(name) (\($0))" } ?? name }
}

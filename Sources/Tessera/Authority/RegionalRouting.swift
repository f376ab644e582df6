import Foundation
import Synchronization

/// The regional endpoint's health: after a failure the global endpoint is used for a while.
final class RegionalRouting: Sendable {
    let region: AzureRegion
    let cloud: AzureCloud
    let suspension: TimeInterval = 300
    private let suspendedUntil = Mutex<Date?>(nil)

    init(region: AzureRegion, cloud: AzureCloud) {
        self.region = region
        self.cloud = cloud
    }

    /// The regional version of a global endpoint, unless the region is suspended.
    func endpoint(for global: TokenEndpoint, now: Date) -> TokenEndpoint? {
        guard let base = region.baseURL(in: cloud), suspendedUntil.withLock({ ($0 ?? .distantPast) <= now }) else {
            return nil
        }
        guard global.url.hasPrefix(cloud.baseURL) else { return nil }
        return TokenEndpoint(
            url: base + global.url.dropFirst(cloud.baseURL.count),
            issuer: global.issuer,
            tenant: global.tenant
        )
    }

    func suspend(now: Date) {
        suspendedUntil.withLock { $0 = now.addingTimeInterval(suspension) }
    }
}

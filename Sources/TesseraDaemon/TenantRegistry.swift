import Foundation
import Synchronization
import Tessera
import TesseraJOSE

/// The customer tenants a multi-tenant daemon (ISV) serves, learnt from admin-consent redirects while it runs and kept
/// in a JSON file (`{"tenants":[{"id":…,"onboardedAt":…}]}`, written atomically, mode 0600) across restarts.
public final class TenantRegistry: Sendable {
    /// An onboarded tenant.
    public struct Entry: Codable, Sendable, Hashable {
        /// The tenant ID (a GUID).
        public let id: String
        /// When the tenant was onboarded.
        public let onboardedAt: Date
    }

    /// A registry that cannot be read or written, or a tenant that is not a GUID.
    public struct RegistryError: Error, CustomStringConvertible {
        /// What went wrong, and what to do about it.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    struct File: Codable {
        var tenants: [Entry]
    }

    /// Where the registry is kept; `nil` keeps it in memory only.
    public let path: String?
    private let entries: Mutex<[Entry]>

    /// Loads `path` when it exists.
    public init(path: String?) throws {
        self.path = path
        var loaded: [Entry] = []
        if let path, FileManager.default.fileExists(atPath: path) {
            // An existing registry that cannot be read must not start empty: the next onboarding would overwrite it.
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RegistryError("the tenant registry '\(path)' exists but cannot be read: check its permissions")
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = InternetDateTime.decodingStrategy  // .iso8601 without ICU
            do {
                loaded = try decoder.decode(File.self, from: data).tenants
            } catch {
                throw RegistryError(
                    "the tenant registry '\(path)' is not {\"tenants\":[{\"id\":…,\"onboardedAt\":…}]}: fix or remove it"
                )
            }
        }
        entries = Mutex(loaded)
    }

    /// The onboarded tenants' IDs, in onboarding order.
    public var tenants: [String] { entries.withLock { $0.map(\.id) } }

    /// Records `tenant` (a GUID); returns `false` when it was already known. Persists before returning.
    @discardableResult
    public func add(_ tenant: String, at date: Date = Date()) throws -> Bool {
        guard let id = UUID(uuidString: tenant)?.uuidString.lowercased() else {
            throw RegistryError("'\(tenant.prefix(64))' is not a tenant ID (a GUID)")
        }
        // Written under the lock: concurrent callbacks persist in order, and a failed write adds nothing.
        return try entries.withLock { entries in
            guard !entries.contains(where: { $0.id == id }) else { return false }
            let updated = entries + [Entry(id: id, onboardedAt: date)]
            try persist(updated)
            entries = updated
            return true
        }
    }

    private func persist(_ snapshot: [Entry]) throws {
        guard let path else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = InternetDateTime.encodingStrategy
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(File(tenants: snapshot))
        do {
            try SecretFile.write(Array(data), to: path)
        } catch {
            throw RegistryError("cannot write the tenant registry \(error)")
        }
    }
}

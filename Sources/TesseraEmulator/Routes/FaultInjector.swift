import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Applies the configured faults in front of the routes.
final class FaultInjector: Sendable {
    private let faults: Mutex<[Fault]>

    init(_ faults: [Fault]) { self.faults = Mutex(faults) }

    func set(_ new: [Fault]) { faults.withLock { $0 = new } }
    func add(_ fault: Fault) { faults.withLock { $0.append(fault) } }
    var current: [Fault] { faults.withLock { $0 } }

    static func endpoint(of path: String) -> String {
        if path.hasPrefix("/admin") { return "admin" }
        if path.hasSuffix("/token") { return "token" }
        if path.hasSuffix("/openid-configuration") { return "discovery" }
        if path.hasSuffix("/keys") { return "keys" }
        if path.hasSuffix("/discovery/instance") { return "instance" }
        if path.hasSuffix("/adminconsent") { return "consent" }
        return "api"
    }

    /// The fault to apply to this request, consuming one of a counted fault.
    func take(path: String) -> Fault? {
        let endpoint = Self.endpoint(of: path)
        guard endpoint != "admin" else { return nil }
        return faults.withLock { faults in
            guard let index = faults.firstIndex(where: { $0.endpoint == endpoint || $0.endpoint == "any" }) else {
                return nil
            }
            let fault = faults[index]
            if let count = fault.count {
                if count <= 1 { faults.remove(at: index) } else { faults[index].count = count - 1 }
                return fault
            }
            if let fraction = fault.fraction { return Double.random(in: 0..<1) < fraction ? fault : nil }
            return fault
        }
    }
}

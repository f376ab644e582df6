import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A unix datagram socket standing in for systemd's `NOTIFY_SOCKET`: collects every notification sent to it.
public final class NotifySocket: Sendable {
    public let path: String
    private let fd: Int32
    private let received = Mutex<[String]>([])

    public init(path: String) throws {
        unlink(path)
        self.path = path
        #if canImport(Darwin)
        fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw Peers.PeerError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Peers.PeerError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw Peers.PeerError("bind \(path): errno \(errno)") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Every message received so far (reads what is pending first).
    public var messages: [String] {
        drain()
        return received.withLock { $0 }
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            received.withLock { $0.append(message) }
        }
    }

    /// Waits until a message containing `text` arrives; whether it did within `timeout`.
    public func waitFor(_ text: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if messages.contains(where: { $0.contains(text) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return messages.contains { $0.contains(text) }
    }
}

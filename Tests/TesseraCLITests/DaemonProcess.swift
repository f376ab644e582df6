import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// A spawned daemon: SIGTERM and wait, or kill when a test ends early.
final class DaemonProcess: @unchecked Sendable {
    let pid: pid_t
    let socket: NotifySocket
    private var exited = false

    init(pid: pid_t, socket: NotifySocket) {
        self.pid = pid
        self.socket = socket
    }

    /// SIGTERM, then the exit status (nil if it did not exit within 20 s) and how long that took.
    func terminate() async -> (Int32?, Duration) {
        let started = ContinuousClock.now
        Foundation.kill(pid, SIGTERM)
        let code = await Peers.waitForExit(pid, timeout: .seconds(20))
        exited = code != nil
        return (code, ContinuousClock.now - started)
    }

    func kill() {
        if !exited { Peers.stop(pid) }
    }
}

import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import TesseraEmulator
import TesseraTestSupport
import Testing

/// The emulator as a ServiceLifecycle `Service`: a `ServiceGroup` owns it and a graceful shutdown stops it.
@Suite("Emulator as a Service", .timeLimit(.minutes(2)))
struct EmulatorServiceTests {
    static let plainHTTP = {
        var options = Emulator.Options()
        options.https = false
        return options
    }()

    /// Whether anything accepts TCP connections on the emulator's port (a stopped server refuses at once).
    func listening(_ emulator: Emulator) -> Bool {
        guard let port = URLComponents(string: emulator.baseURL)?.port else { return false }
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether the server stopped within 5 s: its port refuses connections (the event loop closes the listening socket
    /// just after the server's run returns; under load that takes a moment), or whatever now accepts on it refuses this
    /// emulator's admin key — a server of a test running in parallel that the kernel gave the freed port (each emulator
    /// draws its own random admin key).
    func stopsListening(_ emulator: Emulator) async -> Bool {
        for _ in 0..<100 {
            if !listening(emulator) { return true }
            if let itself = await answersAsItself(emulator), !itself { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether the server on the emulator's port takes its admin key (`GET /admin/directory`); nil if none answers.
    func answersAsItself(_ emulator: Emulator) async -> Bool? {
        var request = HTTPClientRequest(url: emulator.baseURL + "/admin/directory")
        request.headers.add(name: "Authorization", value: "Bearer \(emulator.adminKey)")
        request.headers.add(name: "Connection", value: "close")
        do {
            return try await HTTPClient.shared.execute(request, timeout: .seconds(2)).status == .ok
        } catch {
            return nil
        }
    }

    /// Whether the emulator answers its discovery document.
    func answers(_ emulator: Emulator) async -> Bool {
        let url = emulator.baseURL + "/" + EmulatorFixture.contoso + "/v2.0/.well-known/openid-configuration"
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Connection", value: "close")  // a new connection each time: no stale reuse
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
            return response.status == .ok
        } catch {
            return false
        }
    }

    @Test("graceful shutdown of its ServiceGroup stops the server, and run() returns without an error")
    func gracefulShutdown() async throws {
        let emulator = try await EmulatorKeys.start(EmulatorFixture.model, options: Self.plainHTTP)
        #expect(await answers(emulator))
        #expect(await answersAsItself(emulator) == true)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: emulator)],
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await answers(emulator))  // serving under the group
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()  // run() returned, no error
        }
        #expect(await stopsListening(emulator), "the server stopped: its port refuses connections")
        await emulator.stop()  // idempotent: already stopped
    }

    @Test("cancelling run() stops the server and run() throws CancellationError")
    func cancellation() async throws {
        let emulator = try await EmulatorKeys.start(EmulatorFixture.model, options: Self.plainHTTP)
        let run = Task { try await emulator.run() }
        #expect(await answers(emulator))
        #expect(await answersAsItself(emulator) == true)
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(await stopsListening(emulator), "the server stopped: its port refuses connections")
        await emulator.stop()  // idempotent: already stopped
    }
}

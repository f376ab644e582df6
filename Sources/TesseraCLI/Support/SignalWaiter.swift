import ArgumentParser
import Foundation
import Logging
import TesseraEmulator
import TesseraJOSE

/// Runs `body` until SIGINT or SIGTERM, then cancels it.
enum SignalWaiter {
    static func runUntilSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task { try await body() }
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            sources.append(source)
        }
        _ = await task.result
        for source in sources { source.cancel() }
    }
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Tessera
import TesseraEmulator
import TesseraJOSE

/// Prints the demo's steps with their timings.
final class DemoReport: Sendable {
    func step<T>(_ title: String, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let value = try await body()
            line("  ✔ \(title)  [\(DemoCommand.format(ContinuousClock.now - started))]")
            return value
        } catch {
            line("  ✘ \(title)")
            throw error
        }
    }

    func detail(_ text: String) { line("      \(text)") }
    func failure(_ text: String) { FileHandle.standardError.write(Data("demo failed: \(text)\n".utf8)) }
    func line(_ text: String) {
        print(text)
        fflush(nil)
    }
}

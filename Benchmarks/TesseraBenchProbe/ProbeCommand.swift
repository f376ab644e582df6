// The side-by-side probe: each subcommand prints one JSON object on stdout, read by Scripts/bench-peers.sh. Figures are
// per operation, in nanoseconds (or milliseconds where named), from batches timed with `ContinuousClock`.
import ArgumentParser
import Foundation

@main
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TesseraBenchProbe",
        abstract: "Hot-path figures for Scripts/bench-peers.sh, one JSON object per run.",
        subcommands: [HitLatency.self, ValidationLatency.self, ColdAcquisition.self, ProtectedRoute.self]
    )
}

/// Writes `object` to standard output as one line of JSON with sorted keys (unbuffered: a reader waits for it).
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Keeps `value` alive as a result the optimizer cannot drop (package-benchmark's `blackHole`; the probe does not link
/// package-benchmark, whose malloc interposer would slow every allocation and stop valgrind from loading it).
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

/// Per-operation samples: each the mean of one timed batch.
struct Samples {
    private(set) var values: [Double] = []

    /// Times `batches` batches of `batchSize` calls of `body` and records the mean of each, in nanoseconds.
    mutating func measure(batches: Int, batchSize: Int, _ body: () async throws -> Void) async rethrows {
        let clock = ContinuousClock()
        values.reserveCapacity(values.count + batches)
        for _ in 0..<batches {
            let started = clock.now
            for _ in 0..<batchSize { try await body() }
            let elapsed = started.duration(to: clock.now)
            values.append(
                Double(elapsed.components.attoseconds) / 1e9 / Double(batchSize)
                    + Double(elapsed.components.seconds) * 1e9 / Double(batchSize)
            )
        }
    }

    /// The `fraction` percentile (nearest rank).
    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
        return (sorted[rank] * 10).rounded() / 10
    }
}

/// A fixed pseudo-random order (xorshift), the same for every contender, so no one gets a cache-friendly walk.
func shuffledIndices(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [Int] {
    var indices = Array(0..<count)
    var state = seed
    for index in stride(from: count - 1, to: 0, by: -1) {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        indices.swapAt(index, Int(state % UInt64(index + 1)))
    }
    return indices
}

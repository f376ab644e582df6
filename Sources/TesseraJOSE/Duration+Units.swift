import Foundation

extension Duration {
    /// The duration in seconds, with its fraction.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in whole nanoseconds (truncated).
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in whole milliseconds (truncated).
    package var milliseconds: Int64 { nanoseconds / 1_000_000 }
}

extension Date {
    /// This date moved by `duration`.
    package func adding(_ duration: Duration) -> Date { addingTimeInterval(duration.seconds) }
}

import Foundation
import NIOHTTP1
import TesseraJOSE

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), capped at one hour.
public enum RetryAfter {
    public static let cap: Duration = .seconds(3600)

    public static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isNumber), let seconds = Int64(value.prefix(12)) {
            return min(.seconds(seconds), cap)
        }
        guard let date = HTTPDate.parse(value) else { return nil }
        let seconds = max(0, date.timeIntervalSince(now))
        return min(.milliseconds(Int64(seconds * 1000)), cap)
    }
}

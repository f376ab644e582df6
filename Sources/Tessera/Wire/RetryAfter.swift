import Foundation
import NIOHTTP1
import TesseraJOSE

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), capped at one hour.
public enum RetryAfter {
    /// The longest delay ever returned: one hour.
    public static let cap: Duration = .seconds(3600)

    /// The delay `value` asks for (its seconds, or the time from `now` to its date, at least zero), capped at ``cap``;
    /// `nil` when it is absent, empty or neither form.
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

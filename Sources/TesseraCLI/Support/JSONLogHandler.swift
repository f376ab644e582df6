import ArgumentParser
import Foundation
import Logging
import Tessera

/// One JSON object per line on standard error: time, level, label, message, metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // Every field is a string: JSONEncoder writes them (JSONSerialization is the larger, CoreFoundation-backed
        // writer), and the time is RFC 3339 without Foundation's ICU calendar.
        var fields: [String: String] = [
            "time": InternetDateTime.format(Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = value.description
        }
        if let data = try? Self.encoder.encode(fields) {
            FileHandle.standardError.write(data + Data("\n".utf8))
        }
    }

    private static let encoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

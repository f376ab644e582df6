import ArgumentParser
import Foundation
import Logging

/// Options every command takes: logging (to stderr) and extra trust roots.
struct GlobalOptions: ParsableArguments {
    @Option(
        help:
            "Log level: trace, debug, info, notice, warning, error, critical. Also TESSERA_LOG_LEVEL. Default warning."
    )
    var logLevel: String?

    @Option(help: "Log format: text or json. Also TESSERA_LOG_FORMAT.")
    var logFormat: String?

    @Option(help: "Extra trust roots (PEM), e.g. the emulator's development CA. Also TESSERA_CA_FILE.")
    var caFile: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var resolvedCAFile: String? { caFile ?? environment["TESSERA_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        if let level = logLevel ?? environment["TESSERA_LOG_LEVEL"], Logger.Level(rawValue: level.lowercased()) == nil {
            throw ValidationError(
                "--log-level / TESSERA_LOG_LEVEL '\(level)' is not a level; use trace, debug, info, notice, warning, error or critical"
            )
        }
        if let format = logFormat ?? environment["TESSERA_LOG_FORMAT"], !["text", "json"].contains(format.lowercased())
        {
            throw ValidationError("--log-format / TESSERA_LOG_FORMAT '\(format)' must be text or json")
        }
    }

    /// A logger writing to standard error at the chosen level and format. (The executable does not bootstrap the
    /// global LoggingSystem per command: each command builds its logger here and hands it to the libraries.)
    func makeLogger(label: String = "tessera", defaultLevel: Logger.Level = .warning) -> Logger {
        let level =
            Logger.Level(rawValue: (logLevel ?? environment["TESSERA_LOG_LEVEL"] ?? defaultLevel.rawValue).lowercased())
            ?? defaultLevel
        let json = (logFormat ?? environment["TESSERA_LOG_FORMAT"])?.lowercased() == "json"
        var logger = Logger(label: label) { label in
            json ? JSONLogHandler(label: label) as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level
        return logger
    }
}

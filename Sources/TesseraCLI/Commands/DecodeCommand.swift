import ArgumentParser
import Foundation
import NIOSSL
import Tessera
import TesseraJOSE

/// `tessera decode`: a token's header and claims, times as dates, and warnings.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Show a token's header and claims (times as dates) with warnings. Does not validate the signature.",
        discussion: """
            Examples:
              tessera decode eyJ0eXAiOi...
              tessera token --scope api://reports/.default | tessera decode -
            To validate instead, use `tessera validate`.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(
        help:
            "The token, or - to read it from standard input (prefer -: a token on the command line is visible to other users in ps)."
    )
    var token: String

    func run() throws {
        let text =
            (token == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : token)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let claimBytes = Base64URL.decode(parts[1]),
            let header = try? StrictJSON.parseObject(headerBytes), let claims = try? StrictJSON.parseObject(claimBytes)
        else {
            throw ValidationError("not a JWT: expected three base64url segments with JSON header and claims")
        }
        print("Header:")
        print(Self.render(header))
        print("Claims:")
        print(Self.render(claims, dates: ["exp", "nbf", "iat"]))
        let warnings = Self.warnings(claims)
        if !warnings.isEmpty {
            print("Warnings:")
            for warning in warnings { print("  - \(warning)") }
        }
    }

    static func render(_ object: [String: JSONValue], dates: Set<String> = []) -> String {
        object.keys.sorted().map { key in
            let value = object[key]!
            var line = "  \(key): \(describe(value))"
            if dates.contains(key), let seconds = value.doubleValue {
                line += "  (\(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))))"
            }
            return line
        }.joined(separator: "\n")
    }

    static func describe(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "?"
    }

    static func warnings(_ claims: [String: JSONValue], now: Date = Date()) -> [String] {
        var warnings: [String] = []
        if let exp = claims["exp"]?.doubleValue, exp < now.timeIntervalSince1970 { warnings.append("expired") }
        if claims["scp"] != nil { warnings.append("a user (delegated) token: it has scp; daemons get app-only tokens") }
        if claims["roles"] == nil, claims["scp"] == nil {
            warnings.append("no roles: no application permission was granted (admin consent?)")
        }
        let audience = claims["aud"]?.stringValue ?? ""
        if audience.hasPrefix("https://graph.microsoft.com") || audience == "00000003-0000-0000-c000-000000000000" {
            warnings.append(
                "a Microsoft Graph token: it is meant for Graph only and is not meant to be validated by third parties"
            )
        }
        return warnings
    }
}

import Foundation

/// What one `<name>.entry` file of a ``FileTokenCache`` holds, sealed as a whole under the first token-cache key
/// (AES-GCM, additional data = entry name ‖ key version, as the fleet cache's rows): the token, its refresh point, the
/// lease's end and generation, and a shared failure. A file that does not open — another key, a tampered or swapped
/// file, a truncated one — is an unreadable entry: a miss, replaced by the next claim.
struct FileTokenCacheRecord: Codable, Sendable {
    /// A failure shared with the other processes until `until`.
    struct Failure: Codable, Sendable {
        var until: Double
        var code: String
        var message: String
        var httpStatus: Int?
        var aadstsCode: Int?
    }

    var payload: TokenCachePayload?
    var refreshAt: Double?
    var leaseUntil: Double?
    var generation: Int64
    var failure: Failure?

    /// An entry with no token, lease or failure yet.
    init(generation: Int64) { self.generation = generation }

    /// The first line of every entry file, before the sealed bytes: format and key version.
    static func header(version: String) -> [UInt8] { Array("tessera-token-cache 1 \(version)\n".utf8) }

    /// The file's bytes for `name`, sealed with the first of `keys`.
    func sealed(name: String, keys: TokenCacheKeys) throws -> [UInt8] {
        let sealed = try keys.seal(Array(try JSONEncoder().encode(self)), name: name)
        return Self.header(version: sealed.version) + sealed.sealed
    }

    /// The record in `bytes` (an entry file named `name`), or `nil` when no key opens it.
    static func open(_ bytes: [UInt8], name: String, keys: TokenCacheKeys) -> FileTokenCacheRecord? {
        guard let newline = bytes.firstIndex(of: 0x0A), newline < 64 else { return nil }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 3, header[0] == "tessera-token-cache", header[1] == "1",
            let plaintext = keys.open(Array(bytes[(newline + 1)...]), version: String(header[2]), name: name)
        else { return nil }
        return try? JSONDecoder().decode(FileTokenCacheRecord.self, from: Data(plaintext))
    }

    /// The shared failure as the protocol reports it, while in force at `now`.
    func failure(at now: Date) -> SharedTokenCacheFailure? {
        guard let failure, failure.until > now.timeIntervalSince1970 else { return nil }
        return SharedTokenCacheFailure(
            remaining: .seconds(failure.until - now.timeIntervalSince1970),
            code: failure.code,
            message: failure.message,
            httpStatus: failure.httpStatus,
            aadstsCode: failure.aadstsCode
        )
    }
}

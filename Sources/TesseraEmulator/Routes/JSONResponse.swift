import Foundation
import HTTPTypes
import Hummingbird
import TesseraJOSE

func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
    let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys]))
        ?? Data("{}".utf8)
    return jsonResponse(data, status: status)
}

/// A JSON answer's bytes with its headers.
private func jsonResponse(_ data: Data, status: HTTPResponse.Status) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(data: data))
    )
}

/// `value` as a JSON answer, encoded through `Codable` (sorted keys, ISO 8601 dates): what the admin API answers.
func encodedJSON(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return jsonResponse((try? encoder.encode(value)) ?? Data("{}".utf8), status: status)
}

import Foundation
import HTTPTypes
import Hummingbird
import TesseraJOSE

func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
    let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys]))
        ?? Data("{}".utf8)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(data: data))
    )
}

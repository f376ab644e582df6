import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TesseraJOSE

/// A Graph-style collection page.
struct GraphPage<Item: Decodable>: Decodable {
    let value: [Item]
    let nextLink: String?

    enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
    }
}

import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import Tessera
import TesseraDaemon
import TesseraJOSE

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

@_spi(TesseraInternal) import TesseraJOSE
import Testing

@Suite("LRUMap: second-chance eviction at the edges")
struct LRUMapTests {
    /// One scenario: a capacity, then steps; each step's expectation is checked after it runs.
    struct Scenario: CustomTestStringConvertible, Sendable {
        let name: String
        let capacity: Int
        let steps: [Step]
        let keysByRecency: [String]
        let evictions: Int
        var testDescription: String { name }
    }

    enum Step: Sendable {
        /// Inserts; expects this key evicted (or none).
        case set(String, Int, evicts: String?)
        /// Looks up; expects this value (or none).
        case get(String, Int?)
        case remove(String)
    }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "capacity 1: each new key evicts the one before, used or not",
            capacity: 1,
            steps: [
                .set("a", 1, evicts: nil), .get("a", 1), .set("b", 2, evicts: "a"), .get("a", nil),
                .set("b", 3, evicts: nil), .get("b", 3),
            ],
            keysByRecency: ["b"],
            evictions: 1
        ),
        Scenario(
            name: "all used: one pass clears the marks and evicts the oldest",
            capacity: 3,
            steps: [
                .set("a", 1, evicts: nil), .set("b", 2, evicts: nil), .set("c", 3, evicts: nil),
                .get("a", 1), .get("b", 2), .get("c", 3), .set("d", 4, evicts: "a"),
            ],
            keysByRecency: ["d", "c", "b"],
            evictions: 1
        ),
        Scenario(
            name: "a freed slot is reused: no eviction while below the bound",
            capacity: 2,
            steps: [
                .set("a", 1, evicts: nil), .set("b", 2, evicts: nil), .remove("a"), .set("c", 3, evicts: nil),
                .get("b", 2), .get("c", 3), .get("a", nil),
            ],
            keysByRecency: ["c", "b"],
            evictions: 0
        ),
        Scenario(
            name: "a capacity below 1 is taken as 1",
            capacity: 0,
            steps: [.set("a", 1, evicts: nil), .set("b", 2, evicts: "a")],
            keysByRecency: ["b"],
            evictions: 1
        ),
        Scenario(
            name: "a replaced key is one entry, starting unmarked: a used older key outlives it",
            capacity: 2,
            steps: [
                .set("a", 1, evicts: nil), .set("b", 2, evicts: nil), .get("b", 2), .set("a", 5, evicts: nil),
                .set("c", 3, evicts: "a"),
            ],
            keysByRecency: ["c", "b"],
            evictions: 1
        ),
    ]

    @Test("edges", arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        var map = LRUMap<String, Int>(capacity: scenario.capacity)
        for (index, step) in scenario.steps.enumerated() {
            switch step {
            case .set(let key, let value, let evicts):
                #expect(map.set(key, value) == evicts, "step \(index): set \(key)")
            case .get(let key, let value):
                #expect(map.get(key) == value, "step \(index): get \(key)")
            case .remove(let key):
                map.remove(key)
            }
        }
        #expect(map.keysByRecency == scenario.keysByRecency)
        #expect(map.evictions == scenario.evictions)
        #expect(map.count == scenario.keysByRecency.count)
    }
}

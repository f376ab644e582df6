/// A bounded map that evicts the least recently used entry: a dictionary of slots plus an intrusive doubly-linked list
/// in arrays, so lookups, updates and evictions are O(1) and reuse storage.
package struct LRUMap<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value
        var previous: Int
        var next: Int
    }

    private var index: [Key: Int] = [:]
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var head = -1  // most recent
    private var tail = -1  // least recent
    package let capacity: Int
    package private(set) var evictions = 0

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    package var count: Int { index.count }

    /// The value for `key`, marking it most recently used.
    package mutating func get(_ key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Reads without touching recency.
    package func peek(_ key: Key) -> Value? {
        index[key].map { nodes[$0].value }
    }

    /// Updates in place when present (recency unchanged); returns whether it was.
    package mutating func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        guard let slot = index[key] else { return false }
        body(&nodes[slot].value)
        return true
    }

    /// Inserts or replaces; returns the evicted key, if the bound was hit.
    @discardableResult
    package mutating func set(_ key: Key, _ value: Value) -> Key? {
        if let slot = index[key] {
            nodes[slot].value = value
            moveToFront(slot)
            return nil
        }
        var evicted: Key?
        if index.count >= capacity, tail >= 0 {
            let victim = tail
            evicted = nodes[victim].key
            unlink(victim)
            index[nodes[victim].key] = nil
            free.append(victim)
            evictions += 1
        }
        let node = Node(key: key, value: value, previous: -1, next: head)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
        index[key] = slot
        return evicted
    }

    package mutating func remove(_ key: Key) {
        guard let slot = index.removeValue(forKey: key) else { return }
        unlink(slot)
        free.append(slot)
    }

    /// Empties the map (evictions are not counted).
    package mutating func removeAll() {
        index.removeAll()
        nodes.removeAll()
        free.removeAll()
        head = -1
        tail = -1
    }

    /// Keys from most to least recently used.
    package var keysByRecency: [Key] {
        var keys: [Key] = []
        var slot = head
        while slot >= 0 {
            keys.append(nodes[slot].key)
            slot = nodes[slot].next
        }
        return keys
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}

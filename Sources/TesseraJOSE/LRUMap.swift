/// A bounded map that evicts an entry not used lately — the CLOCK (second chance) approximation of least recently used:
/// a dictionary holding each value with its mark and its slot, plus an intrusive doubly-linked list of slots in an
/// array. A look-up reads and marks the value where the dictionary holds it and touches nothing else (no node, no
/// neighbour: at 100,000 entries a hit costs the cache lines of the dictionary's bucket and nothing more); an
/// eviction takes the oldest entry not marked since it last came round, moving marked ones to the front with their
/// mark cleared. Look-ups, updates and evictions are O(1) (amortized) and reuse storage.
///
/// SPI and `@inlinable` so that each module's use is specialized for its key and value (a `package` declaration's
/// inlinable body is not specialized across modules by Swift 6.3: every look-up went through generic witnesses).
@_spi(TesseraInternal) public struct LRUMap<Key: Hashable, Value> {
    /// What the dictionary holds for a key: the value, its mark and its place in the recency list.
    @usableFromInline
    struct Item {
        @usableFromInline
        var value: Value
        /// Used since it was inserted or last given its second chance.
        @usableFromInline
        var used = false
        @usableFromInline
        let slot: Int

        @inlinable
        init(value: Value, slot: Int) {
            self.value = value
            self.slot = slot
        }
    }

    /// A place in the recency list: read only when the list changes (an insertion, an eviction, a removal).
    @usableFromInline
    struct Node {
        @usableFromInline
        var key: Key
        @usableFromInline
        var previous: Int
        @usableFromInline
        var next: Int

        @inlinable
        init(key: Key, previous: Int, next: Int) {
            self.key = key
            self.previous = previous
            self.next = next
        }
    }

    @usableFromInline
    var index: [Key: Item] = [:]
    @usableFromInline
    var nodes: [Node] = []
    @usableFromInline
    var free: [Int] = []
    @usableFromInline
    var head = -1  // most recent
    @usableFromInline
    var tail = -1  // least recent
    /// The most entries held (at least 1).
    @_spi(TesseraInternal) public let capacity: Int
    /// Entries evicted by the bound so far (the map's owner only reads it).
    @_spi(TesseraInternal) public var evictions: Int { evictionCount }
    @usableFromInline
    var evictionCount = 0

    /// An empty map of at most `capacity` entries (at least 1).
    @inlinable
    @_spi(TesseraInternal) public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Entries held.
    @inlinable
    @_spi(TesseraInternal) public var count: Int { index.count }

    /// The value for `key`, marking it used.
    @inlinable
    @_spi(TesseraInternal) public mutating func get(_ key: Key) -> Value? {
        access(key) { $0 }
    }

    /// `body` on the value for `key` in place (no copy of the value), marking it used; `nil` when absent.
    @inlinable
    @_spi(TesseraInternal) public mutating func access<Result>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        guard let position = index.index(forKey: key) else { return nil }
        return Self.mark(&index.values[position], then: body)
    }

    /// Marks `item` used and runs `body` on its value — all through one in-place access of the dictionary's storage
    /// (reading a field of `index.values[position]` would copy the whole item, value and all).
    @inlinable
    static func mark<Result>(_ item: inout Item, then body: (inout Value) -> Result) -> Result {
        if !item.used { item.used = true }
        return body(&item.value)
    }

    /// Clears `item`'s mark and returns whether it had one.
    @inlinable
    static func clearMark(_ item: inout Item) -> Bool {
        defer { item.used = false }
        return item.used
    }

    /// Reads without touching recency.
    @inlinable
    @_spi(TesseraInternal) public func peek(_ key: Key) -> Value? {
        guard let position = index.index(forKey: key) else { return nil }
        return index.values[position].value
    }

    /// Updates in place when present (recency unchanged); returns whether it was.
    @inlinable
    @_spi(TesseraInternal) public mutating func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        guard let position = index.index(forKey: key) else { return false }
        body(&index.values[position].value)
        return true
    }

    /// Inserts or replaces; returns the evicted key, if the bound was hit.
    @inlinable @discardableResult
    @_spi(TesseraInternal) public mutating func set(_ key: Key, _ value: Value) -> Key? {
        if let position = index.index(forKey: key) {
            let slot = Self.replace(&index.values[position], with: value)
            moveToFront(slot)
            return nil
        }
        var evicted: Key?
        if index.count >= capacity, tail >= 0 {
            // Second chance: a used entry goes to the front unmarked; at most one pass over the list.
            while let position = index.index(forKey: nodes[tail].key), Self.clearMark(&index.values[position]) {
                moveToFront(tail)
            }
            let victim = tail
            evicted = nodes[victim].key
            unlink(victim)
            index[nodes[victim].key] = nil
            free.append(victim)
            evictionCount += 1
        }
        let node = Node(key: key, previous: -1, next: head)
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
        index[key] = Item(value: value, slot: slot)
        return evicted
    }

    /// Replaces `item`'s value, unmarked, in place; returns its slot.
    @inlinable
    static func replace(_ item: inout Item, with value: Value) -> Int {
        item.value = value
        item.used = false
        return item.slot
    }

    /// Removes `key`'s entry, when present (not counted as an eviction); its slot is reused.
    @inlinable
    @_spi(TesseraInternal) public mutating func remove(_ key: Key) {
        guard let item = index.removeValue(forKey: key) else { return }
        unlink(item.slot)
        free.append(item.slot)
    }

    /// Empties the map (evictions are not counted).
    @inlinable
    @_spi(TesseraInternal) public mutating func removeAll() {
        index.removeAll()
        nodes.removeAll()
        free.removeAll()
        head = -1
        tail = -1
    }

    /// Keys from the front (newest, or given a second chance) to the back (the next to be considered for eviction).
    @inlinable
    @_spi(TesseraInternal) public var keysByRecency: [Key] {
        var keys: [Key] = []
        var slot = head
        while slot >= 0 {
            keys.append(nodes[slot].key)
            slot = nodes[slot].next
        }
        return keys
    }

    @inlinable
    mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    @inlinable
    mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}

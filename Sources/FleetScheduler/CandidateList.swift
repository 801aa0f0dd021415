/// A sorted list of hosts kept in blocks of 8 to 63 keys. Insert and remove
/// cost a binary search plus a shift inside one block, and a search passes
/// over any block whose summary shows no key can meet the guest's need. A
/// heap would have to pop and re-push every misfit it passes; one flat
/// sorted array would shift thousands of keys on every placement.
struct CandidateList<Key: CandidateKey>: Sendable {
    private static var targetBlockSize: Int { 32 }

    private var blocks: [[Key]] = []
    /// The last key of each block, for the binary search over blocks.
    private var lasts: [Key] = []
    private var summaries: [BlockSummary] = []

    init() {}

    init(sorted keys: [Key]) {
        var start = 0
        while start < keys.count {
            let end = min(start + Self.targetBlockSize, keys.count)
            appendBlock(Array(keys[start..<end]))
            start = end
        }
    }

    var first: Key? { blocks.first?.first }

    mutating func insert(_ key: Key) {
        guard !blocks.isEmpty else {
            appendBlock([key])
            return
        }
        let b = min(blockIndex(for: key), blocks.count - 1)
        blocks[b].insert(key, at: Self.position(of: key, in: blocks[b]))
        lasts[b] = blocks[b][blocks[b].count - 1]
        summaries[b].include(key)
        if blocks[b].count >= 2 * Self.targetBlockSize { split(b) }
    }

    mutating func remove(_ key: Key) {
        let b = blockIndex(for: key)
        guard b < blocks.count else {
            assertionFailure("candidate list: removing a key that is not listed")
            return
        }
        let i = Self.position(of: key, in: blocks[b])
        guard i < blocks[b].count, blocks[b][i] == key else {
            assertionFailure("candidate list: removing a key that is not listed")
            return
        }
        blocks[b].remove(at: i)
        if blocks[b].isEmpty {
            removeBlock(b)
            return
        }
        lasts[b] = blocks[b][blocks[b].count - 1]
        if summaries[b].isAttained(by: key) { summaries[b] = BlockSummary(blocks[b]) }
        // Without merging, churn could leave many tiny blocks and turn block
        // skipping back into a scan of every host.
        if blocks[b].count < Self.targetBlockSize / 4, blocks.count > 1 { merge(b) }
    }

    /// Visits keys in order from `start` (the beginning when nil) that meet
    /// `need`, until `visit` returns true for one (the result). `prune(key,
    /// maxSize)` says no key from `key` to the end of its block can do better
    /// than what was found, given that no key in the block is larger than
    /// `maxSize`: the search moves to the next block. `stop(key)` says no key
    /// from `key` on can: the search ends. Both must stay true once true.
    func scan(
        from start: Key?, need: ResourceNeed,
        stop: (Key) -> Bool, prune: (Key, UInt64) -> Bool, visit: (Key) -> Bool
    ) -> Key? {
        var b = 0
        var i = 0
        if let start {
            b = blockIndex(for: start)
            guard b < blocks.count else { return nil }
            i = Self.position(of: start, in: blocks[b])
        }
        while b < blocks.count {
            let items = blocks[b]
            let summary = summaries[b]
            if summary.mayMeet(need) {
                while i < items.count {
                    let key = items[i]
                    if stop(key) { return nil }
                    if prune(key, summary.maxSize) { break }
                    if need.isMet(by: key), visit(key) { return key }
                    i += 1
                }
            } else if stop(items[i]) {
                return nil
            }
            b += 1
            i = 0
        }
        return nil
    }

    /// The first block whose last key is not below `key`; `blocks.count` if none.
    private func blockIndex(for key: Key) -> Int {
        var low = 0
        var high = lasts.count
        while low < high {
            let mid = (low + high) / 2
            if lasts[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The first index in `items` whose key is not below `key`.
    private static func position(of key: Key, in items: [Key]) -> Int {
        var low = 0
        var high = items.count
        while low < high {
            let mid = (low + high) / 2
            if items[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func appendBlock(_ items: [Key]) {
        blocks.append(items)
        lasts.append(items[items.count - 1])
        summaries.append(BlockSummary(items))
    }

    private mutating func removeBlock(_ b: Int) {
        blocks.remove(at: b)
        lasts.remove(at: b)
        summaries.remove(at: b)
    }

    private mutating func split(_ b: Int) {
        let half = blocks[b].count / 2
        let tail = Array(blocks[b][half...])
        blocks[b].removeSubrange(half...)
        lasts[b] = blocks[b][half - 1]
        summaries[b] = BlockSummary(blocks[b])
        blocks.insert(tail, at: b + 1)
        lasts.insert(tail[tail.count - 1], at: b + 1)
        summaries.insert(BlockSummary(tail), at: b + 1)
    }

    private mutating func merge(_ b: Int) {
        let left = b + 1 < blocks.count ? b : b - 1
        blocks[left].append(contentsOf: blocks[left + 1])
        removeBlock(left + 1)
        lasts[left] = blocks[left][blocks[left].count - 1]
        summaries[left] = BlockSummary(blocks[left])
        if blocks[left].count >= 2 * Self.targetBlockSize { split(left) }
    }
}

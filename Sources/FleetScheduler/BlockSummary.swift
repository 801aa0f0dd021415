/// The most of each resource any key in one block of a `CandidateList` has.
struct BlockSummary: Sendable {
    var maxFreeMemory: UInt64 = 0
    var maxFreeCpu = Int.min
    var maxFreeDisk: UInt64 = 0
    var maxSize: UInt64 = 0

    init<Key: CandidateKey>(_ keys: [Key]) {
        for key in keys { include(key) }
    }

    mutating func include<Key: CandidateKey>(_ key: Key) {
        maxFreeMemory = max(maxFreeMemory, key.freeMemory)
        maxFreeCpu = max(maxFreeCpu, key.freeCpu)
        maxFreeDisk = max(maxFreeDisk, key.freeDisk)
        maxSize = max(maxSize, key.size)
    }

    /// Whether one of the maxima is the key's own, so that removing the key
    /// may lower it.
    func isAttained<Key: CandidateKey>(by key: Key) -> Bool {
        key.freeMemory >= maxFreeMemory || key.freeCpu >= maxFreeCpu || key.freeDisk >= maxFreeDisk || key.size >= maxSize
    }

    /// Whether some key in the block might meet the need.
    func mayMeet(_ need: ResourceNeed) -> Bool {
        maxFreeMemory >= need.memory && maxFreeCpu >= need.cpu && maxFreeDisk >= need.disk
    }
}

/// Binpack order: least free memory first, then name. A search starts at the
/// first host with as much free memory as the guest needs.
struct BinpackKey: CandidateKey {
    var freeMemory: UInt64
    var host: Int32
    var freeCpu: Int
    var freeDisk: UInt64
    var size: UInt64 { 0 }

    init(_ state: HostState) {
        freeMemory = state.freeMemory
        host = state.rank
        freeCpu = state.freeCpu
        freeDisk = state.freeDisk
    }

    /// The position before every host with at least `freeMemory` free.
    init(lowerBound freeMemory: UInt64) {
        self.freeMemory = freeMemory
        host = Int32.min
        freeCpu = 0
        freeDisk = 0
    }

    // Free CPU and disk are payload, not identity (see SpreadKey).
    static func == (a: BinpackKey, b: BinpackKey) -> Bool {
        a.freeMemory == b.freeMemory && a.host == b.host
    }

    static func < (a: BinpackKey, b: BinpackKey) -> Bool {
        a.freeMemory != b.freeMemory ? a.freeMemory < b.freeMemory : a.host < b.host
    }
}

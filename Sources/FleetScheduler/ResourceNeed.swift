/// What a guest needs free on a host, as a candidate search filters by it.
struct ResourceNeed: Sendable {
    var memory: UInt64
    var cpu: Int
    /// The guest's own disk; a missing template adds to it, which only the
    /// full rule check knows, so this is a lower bound.
    var disk: UInt64

    init(_ guest: GuestDemand) {
        self.init(memory: guest.memoryBytes, cpu: guest.cpuNeed, disk: guest.diskBytes)
    }

    init(memory: UInt64, cpu: Int, disk: UInt64) {
        self.memory = memory
        self.cpu = cpu
        self.disk = disk
    }

    func isMet<Key: CandidateKey>(by key: Key) -> Bool {
        key.freeMemory >= memory && key.freeCpu >= cpu && key.freeDisk >= disk
    }
}

/// Spread order inside one list of equally sized hosts: most free memory
/// first (for equal sizes that is the largest free fraction after placing
/// any guest), then fewer guests, then name.
struct SpreadKey: CandidateKey {
    var freeMemory: UInt64
    var guests: Int
    var host: Int32
    var freeCpu: Int
    var freeDisk: UInt64

    init(_ state: HostState) {
        freeMemory = state.freeMemory
        guests = state.guests
        host = state.rank
        freeCpu = state.freeCpu
        freeDisk = state.freeDisk
    }

    // Free CPU and disk are payload, not identity: a key is found again by
    // the fields that order it.
    static func == (a: SpreadKey, b: SpreadKey) -> Bool {
        a.freeMemory == b.freeMemory && a.guests == b.guests && a.host == b.host
    }

    static func < (a: SpreadKey, b: SpreadKey) -> Bool {
        if a.freeMemory != b.freeMemory { return a.freeMemory > b.freeMemory }
        if a.guests != b.guests { return a.guests < b.guests }
        return a.host < b.host
    }
}

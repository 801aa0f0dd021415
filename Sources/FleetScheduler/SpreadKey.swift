/// Spread order inside one memory band: largest free fraction first; on
/// equal fractions the larger host (placing a guest takes a smaller share of
/// it), then fewer guests, then name. So among equally sized hosts the first
/// that fits is the best.
struct SpreadKey: CandidateKey {
    var freeMemory: UInt64
    var size: UInt64
    var guests: Int
    var host: Int32
    var freeCpu: Int
    var freeDisk: UInt64

    init(_ state: HostState) {
        freeMemory = state.freeMemory
        size = state.usableMemory
        guests = state.guests
        host = state.rank
        freeCpu = state.freeCpu
        freeDisk = state.freeDisk
    }

    var fraction: FreeFraction { FreeFraction(free: freeMemory, size: size) }

    // Free CPU and disk are payload, not identity: a key is found again by
    // the fields that order it.
    static func == (a: SpreadKey, b: SpreadKey) -> Bool {
        a.freeMemory == b.freeMemory && a.size == b.size && a.guests == b.guests && a.host == b.host
    }

    static func < (a: SpreadKey, b: SpreadKey) -> Bool {
        let (fa, fb) = (a.fraction, b.fraction)
        if fa != fb { return fa > fb }
        if a.size != b.size { return a.size > b.size }
        if a.guests != b.guests { return a.guests < b.guests }
        return a.host < b.host
    }
}

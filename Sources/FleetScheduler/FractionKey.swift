/// Spread order for guests that need no memory: placing one leaves every
/// host's free fraction as it is, so the best host is simply the one with
/// the largest fraction now, then fewer guests, then name, whatever its size.
struct FractionKey: CandidateKey {
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

    // Free CPU and disk are payload, not identity (see SpreadKey).
    static func == (a: FractionKey, b: FractionKey) -> Bool {
        a.freeMemory == b.freeMemory && a.size == b.size && a.guests == b.guests && a.host == b.host
    }

    static func < (a: FractionKey, b: FractionKey) -> Bool {
        let (fa, fb) = (a.fraction, b.fraction)
        if fa != fb { return fa > fb }
        if a.guests != b.guests { return a.guests < b.guests }
        return a.host < b.host
    }
}

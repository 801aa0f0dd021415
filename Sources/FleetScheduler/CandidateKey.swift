/// An entry of a `CandidateList`: ordered by the policy's preference, and
/// carrying the host's free resources so blocks of hosts that cannot take a
/// guest are passed over without looking at each.
protocol CandidateKey: Comparable, Sendable {
    var host: Int32 { get }
    var freeMemory: UInt64 { get }
    var freeCpu: Int { get }
    var freeDisk: UInt64 { get }
    /// Usable memory, for bounds that depend on it (0 where none do).
    var size: UInt64 { get }
}

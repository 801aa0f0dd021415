/// An entry of a `CandidateList`: ordered by the policy's preference, and
/// carrying the host's free CPU and disk so whole blocks of hosts that cannot
/// take a guest are skipped without looking at each.
protocol CandidateKey: Comparable, Sendable {
    var host: Int32 { get }
    var freeCpu: Int { get }
    var freeDisk: UInt64 { get }
}

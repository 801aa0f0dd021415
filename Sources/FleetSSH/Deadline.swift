/// A point on the monotonic clock by which a blocking call must give up.
/// Wall-clock jumps (NTP, suspend) must not stretch or cut timeouts.
struct Deadline {
    private let end: ContinuousClock.Instant

    /// The largest timeout accepted: what fits libssh's millisecond `int`.
    static let maximumSeconds = Double(Int32.max / 1000)

    init(seconds: Double) {
        end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    }

    /// Validates a caller-supplied timeout and starts the deadline.
    init(validating seconds: Double, for operation: String) throws(SSHError) {
        guard seconds.isFinite, seconds >= 0, seconds <= Self.maximumSeconds else {
            throw SSHError(
                kind: .invalidArgument,
                message: "\(operation): timeout \(seconds) is not a number of seconds from 0 to \(Int(Self.maximumSeconds))")
        }
        self.init(seconds: seconds)
    }

    var isExpired: Bool { ContinuousClock.now >= end }

    /// Milliseconds left, at most `cap`, never negative: the length of the
    /// next bounded wait.
    func slice(cappedAt cap: Int32) -> Int32 {
        let left = end - ContinuousClock.now
        guard left > .zero else { return 0 }
        let millis = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: min(Int64(cap), max(millis, 1)))
    }
}

/// When `vfleet serve` tries an orphaned operation again after an attempt
/// that did not end it (a host still unreachable: rollback_pending, or a
/// failure): the first retry after `initial` seconds, each next one twice as
/// late, at most `maximum` apart, so that a host down for hours costs one
/// attempt (and one event) every few minutes, not one per loop.
public struct ResumeBackoff: Sendable {
    public let initial: Double
    public let maximum: Double
    private var next: [Int64: (at: Double, delay: Double)] = [:]

    public init(initial: Double, maximum: Double = 300) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Whether operation `id` may be tried at time `now`.
    public func due(_ id: Int64, now: Double) -> Bool {
        guard let entry = next[id] else { return true }
        return now >= entry.at
    }

    /// An attempt at `now` left the operation in flight.
    public mutating func failed(_ id: Int64, now: Double) {
        let delay = min(maximum, (next[id]?.delay).map { $0 * 2 } ?? initial)
        next[id] = (now + delay, delay)
    }

    /// Whether an attempt left operation `id` in flight before.
    public func triedBefore(_ id: Int64) -> Bool { next[id] != nil }

    /// The operation ended (or is no longer in flight): forget it.
    public mutating func ended(_ id: Int64) {
        next[id] = nil
    }

    /// Forgets operations that are no longer in flight.
    public mutating func keepOnly(_ ids: Set<Int64>) {
        next = next.filter { ids.contains($0.key) }
    }
}

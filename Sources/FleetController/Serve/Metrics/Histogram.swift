/// A Prometheus histogram: counts of observations at or below each upper
/// bound (kept per bucket, made cumulative when written), their sum and
/// their count. The `+Inf` bucket is implied: it is the count.
public struct Histogram: Sendable, Equatable {
    public let bounds: [Double]
    /// Observations in (bounds[i-1], bounds[i]]; one more slot for above the last.
    public private(set) var perBucket: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    public init(bounds: [Double]) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram bounds must increase")
        self.bounds = bounds
        perBucket = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(_ value: Double) {
        let i = bounds.firstIndex { value <= $0 } ?? bounds.count
        perBucket[i] += 1
        sum += value
        count += 1
    }

    /// Adds counts made elsewhere (e.g. counted by SQL) for the same bounds.
    public mutating func add(perBucket counts: [UInt64], sum: Double) {
        precondition(counts.count == perBucket.count, "bucket counts must match the bounds")
        for i in counts.indices { perBucket[i] += counts[i] }
        self.sum += sum
        count += counts.reduce(0, +)
    }

    /// (upper bound, observations at or below it) for every bound, cumulative.
    public var cumulative: [(Double, UInt64)] {
        var running: UInt64 = 0
        return bounds.enumerated().map { i, b in
            running += perBucket[i]
            return (b, running)
        }
    }

    /// Seconds from 1 ms to 10 s: an agent's answer.
    public static let requestSeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Seconds from 0.5 ms to 1 s: one write transaction of the store.
    public static let storeWriteSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
    /// Seconds from 0.5 s to an hour: an operation (a move, an evacuation step).
    public static let operationSeconds: [Double] = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
}

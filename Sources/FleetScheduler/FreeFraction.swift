/// free ÷ size, compared exactly by cross-multiplying in 128 bits, so equal
/// fractions tie (and fall to the tie-breakers) instead of depending on
/// floating-point rounding.
struct FreeFraction: Comparable, Sendable {
    var free: UInt64
    /// Never zero: a host with no usable memory counts as size 1, where any
    /// fraction is 0.
    var size: UInt64

    init(free: UInt64, size: UInt64) {
        self.free = free
        self.size = max(size, 1)
    }

    var estimate: Double { Double(free) / Double(size) }

    static func == (a: FreeFraction, b: FreeFraction) -> Bool {
        let left = a.free.multipliedFullWidth(by: b.size)
        let right = b.free.multipliedFullWidth(by: a.size)
        return left.high == right.high && left.low == right.low
    }

    static func < (a: FreeFraction, b: FreeFraction) -> Bool {
        let left = a.free.multipliedFullWidth(by: b.size)
        let right = b.free.multipliedFullWidth(by: a.size)
        return (left.high, left.low) < (right.high, right.low)
    }
}

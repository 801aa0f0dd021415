import Glibc

/// The order of paths by their raw bytes, compared unsigned as `memcmp`
/// does and a prefix first: the order of every scan, manifest and digest
/// (`Array.lexicographicallyPrecedes` gives the same order one element at a
/// time; sorting and merging 50,000 paths of a delta's scan spent its time
/// there while the guest was down).
package enum PathOrder {
    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    @inline(__always)
    package static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                let common = min(left.count, right.count)
                if common > 0 {
                    let order = memcmp(left.baseAddress!, right.baseAddress!, common)
                    if order != 0 { return Int(order) }
                }
                return left.count - right.count
            }
        }
    }

    @inline(__always)
    package static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool { compare(a, b) < 0 }
}

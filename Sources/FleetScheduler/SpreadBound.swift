/// Whether hosts later in a spread list can still beat the best host found,
/// for a guest that needs some memory (`need` > 0).
///
/// A key at or after `key` in a list region whose sizes are at most
/// `maxSize` has a free fraction of at most key.fraction, so after placing
/// `need` it keeps at most key.fraction − need ÷ maxSize. When `maxSize` is
/// the key's own size that bound is exact, (free − need) ÷ size, and ties
/// are settled as the list order settles them. Otherwise the bound mixes two
/// denominators and is compared in floating point with a margin far above
/// rounding error, so it only ever lets more hosts through, never fewer.
enum SpreadBound {
    static let margin = 1e-9

    static func cannotBeat(_ best: SpreadChoice?, from key: SpreadKey, maxSize: UInt64, need: UInt64) -> Bool {
        guard let best else { return false }
        if maxSize <= key.size {
            guard key.freeMemory >= need else { return true }
            let bound = FreeFraction(free: key.freeMemory - need, size: key.size)
            if bound != best.fraction { return bound < best.fraction }
            // Equal: a later key with the same fraction either is smaller,
            // so keeps less after placing `need`, or is as large and comes
            // later in (guests, name) order.
            return (key.guests, key.host) >= (best.guests, best.host)
        }
        let bound = key.fraction.estimate - Double(need) / Double(maxSize)
        return bound < best.estimate - margin
    }
}

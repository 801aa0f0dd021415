/// Groups usable memory sizes that agree in their 9 leading bits (within
/// 1/256 of each other). Hosts of one model report slightly different totals
/// (firmware and kernel reservations), so a list per exact size could mean a
/// list per host; bands keep the lists few (at most 256 per doubling of size,
/// usually a handful) and narrow enough that a band's best is found in a few
/// steps.
enum MemoryBand {
    static let significantBits = 9

    static func of(_ size: UInt64) -> UInt64 {
        let shift = max(64 - size.leadingZeroBitCount - significantBits, 0)
        return UInt64(shift) << 32 | size >> shift
    }
}

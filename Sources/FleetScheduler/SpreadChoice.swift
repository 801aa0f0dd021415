/// A host spread could choose, with what decides between two of them.
struct SpreadChoice: Sendable {
    /// Free memory ÷ usable memory, after placing the guest.
    var fraction: FreeFraction
    var guests: Int
    /// Name order.
    var host: Int32
    /// `fraction` in floating point, for bounds that are not exact.
    var estimate: Double

    init(fraction: FreeFraction, guests: Int, host: Int32) {
        self.fraction = fraction
        self.guests = guests
        self.host = host
        self.estimate = fraction.estimate
    }

    /// Larger free fraction; on a tie fewer guests, then name.
    func isBetter(than other: SpreadChoice) -> Bool {
        if fraction != other.fraction { return fraction > other.fraction }
        return (guests, host) < (other.guests, other.host)
    }
}

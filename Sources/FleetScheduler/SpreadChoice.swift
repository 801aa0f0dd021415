/// A host spread could choose, with what decides between two of them.
struct SpreadChoice: Sendable {
    /// Free memory ÷ usable memory, after placing the guest.
    var fraction: FreeFraction
    var guests: Int
    /// Name order.
    var host: Int32

    /// Larger free fraction; on a tie fewer guests, then name.
    func isBetter(than other: SpreadChoice) -> Bool {
        if fraction != other.fraction { return fraction > other.fraction }
        return (guests, host) < (other.guests, other.host)
    }
}

/// A guest the scheduler accounts for, and where.
struct GuestRecord: Sendable {
    var demand: GuestDemand
    var hostName: String
    /// Index into the scheduler's hosts; nil for a guest placed on a host
    /// that is not enrolled (it holds no capacity the scheduler knows of).
    var host: Int?
}

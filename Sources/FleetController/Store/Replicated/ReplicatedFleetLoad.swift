/// What `vfleet db migrate --to replicated` did.
public struct ReplicatedFleetLoad: Sendable, Codable, Equatable {
    public let fleet: String
    public let prefix: String
    public let snapshotBytes: Int
    public let database: String
}

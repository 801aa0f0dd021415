/// What one round of `vfleet serve`'s observation saw: the inventory (the
/// same report `vfleet inventory` makes), how long each host's hello took,
/// the journal's tallies and the store write of the round.
public struct FleetSnapshot: Sendable {
    public var report: InventoryReport
    /// Seconds of each host's hello, answered or not (host name → seconds).
    public var helloSeconds: [String: Double]
    public var operations: [OperationTally]
    /// Bytes the ended copy steps of operations sent, by transport (direct, relay).
    public var movedBytes: [String: UInt64]
    /// The round's write of the hosts' facts; nil when it failed.
    public var storeWriteSeconds: Double?
    /// With the replicated store: how far this controller's replica was
    /// behind the log when the round began; nil for a standalone store.
    public var replicaLag: StoreReplicaLag?
    /// Wall-clock time the round ended (seconds since 1970).
    public var at: Double
    /// How long the round took.
    public var seconds: Double

    public init(report: InventoryReport, helloSeconds: [String: Double], operations: [OperationTally],
                storeWriteSeconds: Double?, at: Double, seconds: Double, movedBytes: [String: UInt64] = [:],
                replicaLag: StoreReplicaLag? = nil) {
        self.replicaLag = replicaLag
        self.movedBytes = movedBytes
        self.report = report
        self.helloSeconds = helloSeconds
        self.operations = operations
        self.storeWriteSeconds = storeWriteSeconds
        self.at = at
        self.seconds = seconds
    }
}

/// What a move reports while it runs.
public struct MoveProgress: Sendable {
    public var guest: String
    public var step: String
    /// Bytes of the guest's layer relayed in the current copy step.
    public var bytes: UInt64
    /// The layer's size, when known.
    public var totalBytes: UInt64?
    public var seconds: Double
}

/// The outcome of a move.
public struct MoveResult: Codable, Sendable {
    public var operation: Int64
    public var guest: String
    public var source: String
    public var destination: String
    public var precopyBytes: UInt64
    public var deltaBytes: UInt64
    public var templateSent: Bool
    /// Bytes of the template sent to the destination (nil: none sent).
    public var templateBytes: UInt64?
    /// From stopped at the source to running at the destination.
    public var downtimeSeconds: Double?
    public var seconds: Double
    public var keptSource: Bool
    /// What the move chose to throw away or keep on its way (`ops resume
    /// --prefer destination`, a source that ran again after the switch).
    public var notes: [String]?
    /// How each copy went, "precopy: direct", "delta: relay (direct failed: …)".
    public var transports: [String]?
    /// The guest's replica, when the move put the guest on its standby
    /// host and the replica had to go elsewhere (or could not).
    public var replica: Controller.ReplicaRetarget?
}

/// A move's parameters, kept in the journal so that `ops resume` can finish it.
struct MoveParams: Codable, Sendable {
    var guest: String
    var source: String
    var destination: String
    var keepSource: Bool
    /// Whether the guest ran at the source when the move began.
    var wasRunning: Bool
    /// Set once the source's layer digest after stop is known.
    var digest: String?
    var origin: String?
    /// The source's start count (GuestStatus.generation) once it is
    /// stopped: a later step that finds another one knows the source ran
    /// since, and its copy at the destination is out of date.
    var sourceGeneration: Int?
    /// Set by `ops resume --prefer destination` once it has thrown away
    /// the source's changes since the stop: later steps do not refuse again.
    var sourceChangesDiscarded: Bool?
    /// `--transport`: direct, relay or auto (nil: a move journaled before
    /// direct transfers, which relayed).
    var transport: String?
}

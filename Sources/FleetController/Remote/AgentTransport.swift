import FleetProtocol

/// The one seam between the controller's operations and its agents: typed
/// calls, and the bulk streams (template archives, guest layers). The SSH
/// transport (SSHTransport) and the connection keeper (KeeperTransport) are
/// its implementations; the move engine's unit tests use a fake of two
/// agents in memory. Operations never see an SSH channel, a request line or
/// a method name.
public protocol AgentTransport: Sendable {
    /// One call; agent errors come back as the agent's FleetError with the
    /// host's name in front. `timeout` nil: the configured call timeout.
    func call<M: AgentMethod>(_ method: M, on host: StoredHost, timeout: Double?) throws(FleetError) -> M.Result

    /// Hello to every host at once (at most `maxParallel`), in the input's
    /// order; a host reached just now answers with its connection's hello.
    func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double) -> [Result<HelloResult, FleetError>]

    /// Streams a template's archive to a host, which verifies its digest.
    func sendTemplate(_ template: StoredTemplate, to host: StoredHost) throws(FleetError)

    /// Sends a template straight from `sender`'s agent to `destination`'s
    /// (a direct transfer; none of its bytes through this controller).
    func copyTemplateDirectly(_ template: StoredTemplate, from sender: StoredHost, to destination: StoredHost) throws(FleetError) -> DirectTemplateOutcome

    /// Opens the pair of bulk streams one move copies a guest's layer over
    /// (source export, destination import); kept for the whole move.
    func openLayerCopy(from source: StoredHost, to destination: StoredHost) throws(FleetError) -> any LayerCopy

    /// The same, with the transport the layer takes: straight from the
    /// source's agent to the destination's, through this controller, or
    /// direct with the relay when direct cannot connect.
    func openLayerCopy(from source: StoredHost, to destination: StoredHost, mode: LayerTransportMode) throws(FleetError) -> any LayerCopy

    /// One sync of guest `guest`'s replica carried through this controller
    /// (ReplicaRelay): what the source reports and the point the standby committed.
    func relayReplicaSync(_ guest: String, transfer: String, from source: StoredHost, to standby: StoredHost,
                          timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint)
}

extension AgentTransport {
    /// Transports without direct transfers send templates from this controller.
    public func copyTemplateDirectly(_ template: StoredTemplate, from sender: StoredHost, to destination: StoredHost) throws(FleetError) -> DirectTemplateOutcome {
        .unreachable("this controller's transport has no direct transfers")
    }

    /// Transports without direct transfers relay whatever is asked.
    public func openLayerCopy(from source: StoredHost, to destination: StoredHost, mode: LayerTransportMode) throws(FleetError) -> any LayerCopy {
        try openLayerCopy(from: source, to: destination)
    }

    /// Transports without bulk channels cannot relay a sync.
    public func relayReplicaSync(_ guest: String, transfer: String, from source: StoredHost, to standby: StoredHost,
                                 timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint) {
        throw FleetError(.unreachable, "this controller's transport cannot relay a sync of guest \(guest)'s replica")
    }

    public func call<M: AgentMethod>(_ method: M, on host: StoredHost) throws(FleetError) -> M.Result {
        try call(method, on: host, timeout: nil)
    }
}

/// How a move's layer travels (`--transport`; docs/ARCHITECTURE.md, direct transfers).
public enum LayerTransportMode: String, Sendable, CaseIterable {
    /// Source agent to destination agent, TLS with pinned per-transfer keys.
    case direct
    /// Through this controller's two SSH channels.
    case relay
    /// Direct, and the relay when the source cannot reach the destination.
    case auto
}

/// What a layer copy sends: the whole layer, what differs from a manifest
/// the destination holds, or what changed since this pair's last whole copy.
public enum LayerBase: Sendable, Equatable {
    case whole
    case manifest(String)
    case lastExport
}

public struct LayerCopyStats: Sendable, Equatable {
    /// Bytes of file data relayed.
    public var bytes: UInt64
    /// Both ends hashed what they carried into their digest caches.
    public var hashed: Bool
    /// How the bytes went: "direct", "relay", or "relay (direct failed: …)".
    public var transport: String
    /// The source layer's digest from the delta's own scan, when asked for.
    public var sourceDigest: LayerDigest?
    /// The source's agent gives a delta's digest when asked (older ones
    /// refuse the request).
    public var sourceDigestsDeltas: Bool

    public init(bytes: UInt64, hashed: Bool, transport: String = "relay", sourceDigest: LayerDigest? = nil,
                sourceDigestsDeltas: Bool = false) {
        self.bytes = bytes
        self.hashed = hashed
        self.transport = transport
        self.sourceDigest = sourceDigest
        self.sourceDigestsDeltas = sourceDigestsDeltas
    }
}

/// One move's two bulk streams. The source's agent remembers what it sent
/// on them, so a delta after `.whole` may use `.lastExport`.
public protocol LayerCopy: AnyObject, Sendable {
    /// Relays `guest`'s layer (or its delta) from source to destination's
    /// staging area; `progress` gets the bytes relayed so far. With
    /// `digest`, a delta's source (stopped) also gives its layer's digest
    /// from the delta's scan (``LayerCopyStats/sourceDigest``): only for an
    /// agent that said it can (``LayerCopyStats/sourceDigestsDeltas``).
    func copy(_ guest: String, base: LayerBase, digest: Bool, progress: (UInt64) -> Void) throws(FleetError) -> LayerCopyStats
    func close()
}

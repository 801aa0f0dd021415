/// Messages of a relayed sync (docs/PROTOCOL.md, replicas): after the
/// request line, each of the two bulk channels carries the sync's
/// conversation (ReplicaWire, as on a direct transfer's connection) in
/// chunks, [u32 big-endian length][bytes], a zero length ending that
/// direction; the response line follows the agent's end chunk once it has
/// read the other side's.

/// replica.relay-send (source): sync guest `name`; `standbyAddress` is
/// recorded in the guest's replicated mark, as replica.send records its
/// destination.
public struct ReplicaRelaySendParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "standbyAddress"]
    /// 32 lowercase hex digits, as a direct transfer's id: names the
    /// standby's next point while it is built.
    public var transfer: String
    public var name: String
    public var standbyAddress: String
    public init(transfer: String, name: String, standbyAddress: String) {
        self.transfer = transfer
        self.name = name
        self.standbyAddress = standbyAddress
    }
}

/// replica.relay-receive (standby): the conversation becomes guest
/// `name`'s next point, committed only when complete and its digest is
/// the source's frozen layer's.
public struct ReplicaRelayReceiveParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name"]
    public var transfer: String
    public var name: String
    public init(transfer: String, name: String) {
        self.transfer = transfer
        self.name = name
    }
}

/// The replica methods (docs/PROTOCOL.md, replicas). A sync is a direct
/// transfer: transfer.key at the source, replica.listen at the standby,
/// replica.send at the source, replica.wait at the standby.
extension RPC {
    public struct ReplicaListen: AgentMethod {
        public static let name = "replica.listen"
        public typealias Result = TransferListening
        public var params: ReplicaListenParams
        public init(_ params: ReplicaListenParams) { self.params = params }
    }

    public struct ReplicaSend: AgentMethod {
        public static let name = "replica.send"
        public typealias Result = ReplicaSyncResult
        public var params: ReplicaSendParams
        public init(_ params: ReplicaSendParams) { self.params = params }
    }

    public struct ReplicaWait: AgentMethod {
        public static let name = "replica.wait"
        public typealias Result = ReplicaPoint
        public var params: TransferWaitParams
        public init(transfer: String, cancel: Bool? = nil) { params = TransferWaitParams(transfer: transfer, cancel: cancel) }
    }

    public struct ReplicaShow: AgentMethod {
        public static let name = "replica.show"
        public typealias Result = ReplicaState
        public var params: ReplicaShowParams
        public init(name: String, verify: Bool? = nil) { params = ReplicaShowParams(name: name, verify: verify) }
    }

    public struct ReplicaDrop: AgentMethod {
        public static let name = "replica.drop"
        public typealias Result = EmptyResult
        public var params: NameParams
        public init(name: String) { params = NameParams(name: name) }
    }

    /// A failover's: the standby's complete point becomes the guest.
    public struct ReplicaPromote: AgentMethod {
        public static let name = "replica.promote"
        public typealias Result = ReplicaPromotion
        public var params: ReplicaPromoteParams
        public init(name: String, spec: GuestSpec) { params = ReplicaPromoteParams(name: name, spec: spec) }
    }
}

/// A sync relayed through the controller (when the standby's transfer port
/// cannot be reached from the source): the same conversation as a direct
/// sync's, carried over the two hosts' bulk channels instead of a TLS
/// connection between them (docs/PROTOCOL.md, replicas).
extension RPC {
    /// Source: sync guest `name`, the conversation on this channel.
    public struct ReplicaRelaySend: AgentMethod {
        public static let name = "replica.relay-send"
        public static let isBulk = true
        public typealias Result = ReplicaSyncResult
        public var params: ReplicaRelaySendParams
        public init(_ params: ReplicaRelaySendParams) { self.params = params }
    }

    /// Standby: receive one sync of guest `name` from this channel.
    public struct ReplicaRelayReceive: AgentMethod {
        public static let name = "replica.relay-receive"
        public static let isBulk = true
        public typealias Result = ReplicaPoint
        public var params: ReplicaRelayReceiveParams
        public init(_ params: ReplicaRelayReceiveParams) { self.params = params }
    }
}

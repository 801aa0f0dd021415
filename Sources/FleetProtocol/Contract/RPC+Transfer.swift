/// The methods of a direct transfer (docs/PROTOCOL.md, direct transfers).
/// They are sent on a move's two bulk channels: the key and the listener
/// live in the agent process serving that channel, and nowhere else.
extension RPC {
    public struct TransferKeyMethod: AgentMethod {
        public static let name = "transfer.key"
        public typealias Result = TransferKey
        public var params: TransferKeyParams
        public init(transfer: String) { params = TransferKeyParams(transfer: transfer) }
    }

    public struct TransferListen: AgentMethod {
        public static let name = "transfer.listen"
        public typealias Result = TransferListening
        public var params: TransferListenParams
        public init(_ params: TransferListenParams) { self.params = params }
    }

    public struct TransferSend: AgentMethod {
        public static let name = "transfer.send"
        public typealias Result = LayerStreamStats
        public var params: TransferSendParams
        public init(_ params: TransferSendParams) { self.params = params }
    }

    public struct TransferWait: AgentMethod {
        public static let name = "transfer.wait"
        public typealias Result = LayerStreamStats
        public var params: TransferWaitParams
        public init(transfer: String, cancel: Bool? = nil) { params = TransferWaitParams(transfer: transfer, cancel: cancel) }
    }
}

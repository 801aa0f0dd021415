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

    /// The bytes received so far, at once: the controller asks about once a
    /// second while the source's transfer.send runs, for progress lines.
    public struct TransferProgressMethod: AgentMethod {
        public static let name = "transfer.progress"
        public typealias Result = TransferProgress
        public var params: TransferProgressParams
        public init(transfer: String) { params = TransferProgressParams(transfer: transfer) }
    }
}

/// A template as the payload of a direct transfer: the key is transfer.key's,
/// the destination installs the tree as a template (digest checked) instead
/// of staging a guest's layer.
extension RPC {
    public struct TransferListenTemplate: AgentMethod {
        public static let name = "transfer.listen-template"
        public typealias Result = TransferListening
        public var params: TransferListenTemplateParams
        public init(_ params: TransferListenTemplateParams) { self.params = params }
    }

    public struct TransferSendTemplate: AgentMethod {
        public static let name = "transfer.send-template"
        public typealias Result = LayerStreamStats
        public var params: TransferSendTemplateParams
        public init(_ params: TransferSendTemplateParams) { self.params = params }
    }

    /// The destination's answer: the template as installed, or the error.
    public struct TransferWaitTemplate: AgentMethod {
        public static let name = "transfer.wait-template"
        public typealias Result = TemplateInfo
        public var params: TransferWaitParams
        public init(transfer: String, cancel: Bool? = nil) { params = TransferWaitParams(transfer: transfer, cancel: cancel) }
    }
}

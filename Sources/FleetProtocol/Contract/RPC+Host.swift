extension RPC {
    /// The handshake; must come first on every channel.
    public struct Hello: AgentMethod {
        public static let name = "hello"
        public typealias Result = HelloResult
        public var params: HelloParams
        public init(_ params: HelloParams = HelloParams(client: "vfleet-controller")) { self.params = params }
    }

    /// The host's kernel report (`vfleet-agent check`).
    public struct Check: AgentMethod {
        public static let name = "check"
        public typealias Result = KernelCheckReport
        public var params = EmptyParams()
        public init() {}
    }
}

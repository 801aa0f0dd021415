extension RPC {
    /// replica.list (any host): the guests this host keeps a replica
    /// directory for, complete point or not. `host reclaim` deletes those
    /// the controller's store no longer points at.
    public struct ReplicaList: AgentMethod {
        public static let name = "replica.list"
        public typealias Result = [String]
        public var params = EmptyParams()
        public init() {}
    }
}

/// What `vfleet dev-cluster up` made, kept in DIR/cluster.json so that
/// `status` and `down` find every piece again.
public struct DevClusterState: Codable, Sendable, Equatable {
    public struct Host: Codable, Sendable, Equatable {
        public var name: String
        /// The network namespace that is this host.
        public var namespace: String
        public var address: String
        public var port: Int
        /// Its /var/lib/vfleet, bound in its own mount namespace.
        public var stateDirectory: String
        public var cgroupParent: String
        /// The first context id its agent hands out (agent.json): distinct
        /// per host so guests of different hosts get distinct host uids.
        /// Absent in clusters brought up before it existed.
        public var firstContextId: Int?
        public var sshdPid: Int32
        /// What the controller uses to reach it.
        public var identityFile: String
        public var knownHostsFile: String
        /// A loop-mounted file system holding the state directory, when the
        /// host was made with a small disk (to test a full destination).
        public var loopImage: String?
    }

    public var directory: String
    public var bridge: String
    public var subnet: String
    public var bridgeAddress: String
    public var agentBinary: String
    public var identityFile: String
    /// An administrator's key with a plain shell on every test host (no
    /// forced command): for provisioning tools such as Ansible, and debugging.
    public var adminIdentityFile: String
    public var knownHostsFile: String
    public var hosts: [Host]

    /// An etcd member of a cluster brought up with controllers (`--controllers M`).
    public struct EtcdMember: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var address: String
        public var clientPort: Int
        public var peerPort: Int
        public var dataDirectory: String
        public var pid: Int32
    }

    /// A controller machine of a cluster with a replicated store: what to
    /// set (`environment`) and where to run (`namespace`, e.g. with
    /// `nsenter --net=/run/netns/NAMESPACE`) to be that controller.
    public struct Controller: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var address: String
        public var stateDirectory: String
        public var environment: [String: String]
    }

    /// Absent (nil) in clusters without controllers, and in cluster.json
    /// files written before they existed.
    public var etcd: [EtcdMember]?
    public var controllers: [Controller]?
}

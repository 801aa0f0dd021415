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
}

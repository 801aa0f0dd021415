extension Controller {
    /// What `host evacuate` planned or did, for one host or several drained together.
    public struct EvacuationReport: Codable, Sendable {
        public struct Move: Codable, Sendable {
            public var guest: String
            /// The host the guest leaves (nil in a restore's report, which names its host once).
            public var source: String?
            public var destination: String
            public var error: String?
            public var downtimeSeconds: Double?
        }
        public struct Unplaceable: Codable, Sendable {
            public var guest: String
            public var source: String
            public var reason: String
            /// With --allow-partial it is stopped in place.
            public var stopped: Bool
        }
        public struct Host: Codable, Sendable {
            public var name: String
            /// active, evacuating or evacuated: before the moves in a plan, after them in a result.
            public var state: String
        }
        /// The hosts being emptied, in the order the operator named them.
        public var hosts: [Host]
        public var dryRun: Bool
        public var moves: [Move]
        public var unplaceable: [Unplaceable]
        /// Replicas of other guests the hosts held, moved to other
        /// standbys after the moves (nil in a plan).
        public var replicas: [ReplicaRetarget]?

        /// The state of `host`, if it is one of the report's.
        public func state(of host: String) -> String? { hosts.first { $0.name == host }?.state }
    }

    public enum EvacuationAction: String, Codable, Sendable { case migrate, stop }
}

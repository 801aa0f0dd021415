/// Messages of the replica methods (docs/PROTOCOL.md, replicas): a standby
/// host keeps, per guest, the last complete point of its layer, made by a
/// sync from the running guest over a direct transfer (the key comes from
/// transfer.key, as a move's does).

/// replica.listen (standby): accept exactly one connection for this sync,
/// from `sourceAddress` with the certificate `sourceFingerprint`, within
/// `deadlineSeconds`; the stream becomes guest `name`'s next point.
public struct ReplicaListenParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "address", "sourceAddress", "sourceFingerprint", "deadlineSeconds"]
    public var transfer: String
    public var name: String
    /// This host's fleet address, to listen on.
    public var address: String
    public var sourceAddress: String
    public var sourceFingerprint: String
    public var deadlineSeconds: Double
    public init(transfer: String, name: String, address: String, sourceAddress: String, sourceFingerprint: String, deadlineSeconds: Double) {
        self.transfer = transfer
        self.name = name
        self.address = address
        self.sourceAddress = sourceAddress
        self.sourceFingerprint = sourceFingerprint
        self.deadlineSeconds = deadlineSeconds
    }
}

/// replica.send (source): connect to the standby and sync guest `name`
/// (what changed since the standby's point while it runs, then the rest
/// with its cgroup frozen).
public struct ReplicaSendParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "address", "destinationAddress", "destinationPort",
                                             "destinationFingerprint", "connectSeconds"]
    public var transfer: String
    public var name: String
    public var address: String
    public var destinationAddress: String
    public var destinationPort: Int
    public var destinationFingerprint: String
    public var connectSeconds: Double?
    public init(transfer: String, name: String, address: String, destinationAddress: String, destinationPort: Int,
                destinationFingerprint: String, connectSeconds: Double? = nil) {
        self.transfer = transfer
        self.name = name
        self.address = address
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.destinationFingerprint = destinationFingerprint
        self.connectSeconds = connectSeconds
    }
}

/// replica.show (standby): the guest's point; with `verify`, the point's
/// tree is digested again and compared with the digest it was made with.
public struct ReplicaShowParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "verify"]
    public var name: String
    public var verify: Bool?
    public init(name: String, verify: Bool? = nil) {
        self.name = name
        self.verify = verify
    }
}

/// One complete point of a guest's replica, as the standby holds it.
public struct ReplicaPoint: Codable, Sendable, Equatable {
    public var guest: String
    /// 1 for the first sync to this standby, then one more per sync.
    public var point: Int
    /// When the guest was frozen for it (seconds since the epoch): the
    /// data is the guest's as of this moment.
    public var takenAt: Double
    /// The layer's tree digest as of the frozen state (TreeDigester).
    public var digest: String
    public var fileCount: Int
    public var totalBytes: UInt64
    /// How long the guest stayed frozen for it.
    public var frozenSeconds: Double
    /// The guest's spec at the source when the point was taken.
    public var spec: GuestSpec
    public init(guest: String, point: Int, takenAt: Double, digest: String, fileCount: Int, totalBytes: UInt64, frozenSeconds: Double, spec: GuestSpec) {
        self.guest = guest
        self.point = point
        self.takenAt = takenAt
        self.digest = digest
        self.fileCount = fileCount
        self.totalBytes = totalBytes
        self.frozenSeconds = frozenSeconds
        self.spec = spec
    }
}

/// replica.show's answer: no point (none complete), or the point and, with
/// `verify`, the digest its tree has now.
public struct ReplicaState: Codable, Sendable, Equatable {
    public var point: ReplicaPoint?
    public var digestNow: String?
    public init(point: ReplicaPoint?, digestNow: String? = nil) {
        self.point = point
        self.digestNow = digestNow
    }
}

/// replica.send's answer, from the source: the point as the standby
/// committed it, and what the sync carried.
public struct ReplicaSyncResult: Codable, Sendable, Equatable {
    public var point: ReplicaPoint
    /// File data sent while the guest ran.
    public var precopyBytes: UInt64
    /// File data sent while it was frozen.
    public var deltaBytes: UInt64
    public var seconds: Double
    public init(point: ReplicaPoint, precopyBytes: UInt64, deltaBytes: UInt64, seconds: Double) {
        self.point = point
        self.precopyBytes = precopyBytes
        self.deltaBytes = deltaBytes
        self.seconds = seconds
    }
}

/// replica.promote (standby): the complete point becomes guest `name`
/// (not started), its record from `spec`. Sent fenced by a failover.
public struct ReplicaPromoteParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "spec"]
    public var name: String
    public var spec: GuestSpec
    public init(name: String, spec: GuestSpec) {
        self.name = name
        self.spec = spec
    }
}

/// replica.promote's answer: the point the guest was made from (its
/// `takenAt` is the recovery point), the guest, and whether an earlier
/// promote had done it already (a failover run again).
public struct ReplicaPromotion: Codable, Sendable, Equatable {
    public var point: ReplicaPoint
    public var guest: GuestStatus
    public var already: Bool
    public init(point: ReplicaPoint, guest: GuestStatus, already: Bool) {
        self.point = point
        self.guest = guest
        self.already = already
    }
}

import FleetProtocol
import FleetTree
import FleetTreeStream

/// What one layer stream (a move's export or import) moved, and how many
/// file digests the layer's digest cache holds after it: nil when the stream
/// did not hash what it carried (a delta).
public struct LayerTransfer: Sendable {
    public var stats: TreeStreamStats
    public var cachedDigests: Int?
    /// A whole export's scan (see ``TreeStreamWriter``); empty for a delta.
    public var scanned: [TreeManifestEntry] = []
    /// An export's xattr digests, for the next delta of the layer by this
    /// process to reuse (``XattrReuse``).
    package var reusable: XattrReuse?
    /// The layer's digest cache as a whole export, or a delta with the
    /// digest, saved it: for a later delta's digest by this process (not
    /// read from its file again while the guest is down).
    package var digestCache: DigestCache?
    /// A delta's digest of the layer, from its scan, when asked for.
    public var digest: TreeDigest?
    /// A direct template transfer's payload, as installed at the destination.
    public var template: TemplateInfo?
    /// A replica sync's payload: the point the standby committed.
    public var replica: ReplicaPoint?
}

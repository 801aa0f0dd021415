/// The methods a move uses on a guest's own layer (docs/PROTOCOL.md, migration).
extension RPC {
    /// Bulk: the chunked layer stream follows the request; the response
    /// line follows the stream's end chunk.
    public struct GuestExport: AgentMethod {
        public static let name = "guest.export"
        public static let isBulk = true
        public typealias Result = LayerStreamStats
        public var params: GuestExportParams
        public init(name: String, since: String? = nil, sinceExported: Bool? = nil, digest: Bool? = nil) {
            params = GuestExportParams(name: name, since: since, sinceExported: sinceExported, digest: digest)
        }
    }

    /// One part of the receiver's manifest for a delta (see
    /// `GuestReceiverManifestParams`); a `guest.export` or `transfer.send`
    /// with `sinceExported` on the same channel then sends what differs.
    public struct GuestReceiverManifest: AgentMethod {
        public static let name = "guest.receiver-manifest"
        public typealias Result = ReceiverManifestState
        public var params: GuestReceiverManifestParams
        public init(name: String, part: String, last: Bool) { params = GuestReceiverManifestParams(name: name, part: part, last: last) }
    }

    /// Bulk: the chunked layer stream follows the request line.
    public struct GuestImport: AgentMethod {
        public static let name = "guest.import"
        public static let isBulk = true
        public typealias Result = LayerStreamStats
        public var params: GuestImportParams
        public init(name: String) { params = GuestImportParams(name: name) }
    }

    public struct GuestManifest: AgentMethod {
        public static let name = "guest.manifest"
        public typealias Result = LayerManifest
        public var params: GuestLayerParams
        public init(name: String, staging: Bool, summary: Bool? = nil) { params = GuestLayerParams(name: name, staging: staging, summary: summary) }
    }

    public struct GuestDigest: AgentMethod {
        public static let name = "guest.digest"
        public typealias Result = LayerDigest
        public var params: GuestLayerParams
        public init(name: String, staging: Bool) { params = GuestLayerParams(name: name, staging: staging) }
    }

    /// Fills the layer's digest cache while the guest may still run, so
    /// that the digest after the stop hashes only what changed.
    public struct GuestPrehash: AgentMethod {
        public static let name = "guest.prehash"
        public typealias Result = LayerPrehash
        public var params: GuestLayerParams
        public init(name: String, staging: Bool) { params = GuestLayerParams(name: name, staging: staging) }
    }

    public struct GuestAdopt: AgentMethod {
        public static let name = "guest.adopt"
        public typealias Result = GuestOperationResult
        public var params: GuestAdoptParams
        public init(spec: GuestSpec, digest: String) { params = GuestAdoptParams(spec: spec, digest: digest) }
    }

    /// A guest made with --disk: its staging area gets a disk of that size
    /// before the first guest.import, so the layer arrives inside its limit
    /// (one that does not fit is refused there, before anything changes).
    public struct GuestStage: AgentMethod {
        public static let name = "guest.stage"
        public typealias Result = EmptyResult
        public var params: GuestStageParams
        public init(name: String, diskBytes: UInt64) { params = GuestStageParams(name: name, diskBytes: diskBytes) }
    }

    public struct GuestDiscardStaging: AgentMethod {
        public static let name = "guest.discard-staging"
        public typealias Result = EmptyResult
        public var params: NameParams
        public init(name: String) { params = NameParams(name: name) }
    }
}

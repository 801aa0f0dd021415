/// Messages of the migration methods. A layer manifest is carried as one
/// string of JSON: the controller passes the destination's manifest to the
/// source without parsing it (a tree of thousands of values would cost more
/// than the delta itself).

/// guest.export (bulk): after the request line the agent writes the layer as
/// a chunked stream ([u32 big-endian length][bytes]…, a zero length ends
/// it), then a response line with `LayerStreamStats`.
public struct GuestExportParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "since", "sinceExported", "digest"]
    public var name: String
    /// The receiver's manifest (`LayerManifest.encoded` of guest.manifest): send only what differs.
    public var since: String?
    /// Send only what differs from this channel's last full export of the
    /// guest (the pre-copy): the receiver's manifest need not travel.
    public var sinceExported: Bool?
    /// With a delta (`since` or `sinceExported`) of a stopped guest: also
    /// answer the layer's digest (guest.digest's) from the delta's own scan,
    /// taken after the stream's end chunk (LayerStreamStats.digest).
    public var digest: Bool?
    public init(name: String, since: String? = nil, sinceExported: Bool? = nil, digest: Bool? = nil) {
        self.name = name
        self.since = since
        self.sinceExported = sinceExported
        self.digest = digest
    }
}

/// guest.receiver-manifest: the receiver's layer manifest (the JSON text of
/// guest.manifest's `encoded`), sent to the source's channel in parts of at
/// most ``maximumPartBytes``: a whole one can pass the agent's request line
/// cap (a 30,000-entry layer's is about 5 MB). On the last part the agent
/// decodes it and keeps it as this channel's "what the receiver has", which
/// `sinceExported` then uses, as after a pre-copy.
public struct GuestReceiverManifestParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "part", "last"]
    /// Well below the agent's default request line cap (4 MiB), JSON escaping included.
    public static let maximumPartBytes = 1 << 20
    public var name: String
    public var part: String
    public var last: Bool
    public init(name: String, part: String, last: Bool) {
        self.name = name
        self.part = part
        self.last = last
    }

    /// `manifest` cut into parts of at most `maximumPartBytes` UTF-8 bytes,
    /// each ending on a character boundary (every part is valid text).
    public static func parts(of manifest: String, maximumBytes: Int = maximumPartBytes) -> [String] {
        let utf8 = manifest.utf8
        var parts: [String] = []
        var start = utf8.startIndex
        while start != utf8.endIndex {
            var end = utf8.index(start, offsetBy: maximumBytes, limitedBy: utf8.endIndex) ?? utf8.endIndex
            while end != utf8.endIndex && end > start && UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
            if end == start {
                // One character longer than the limit: it goes whole.
                end = utf8.index(after: start)
                while end != utf8.endIndex && UTF8.isContinuation(utf8[end]) { end = utf8.index(after: end) }
            }
            parts.append(String(manifest[start..<end]))
            start = end
        }
        return parts.isEmpty ? [""] : parts
    }
}

/// What guest.receiver-manifest holds so far; `entries` once the last part came.
public struct ReceiverManifestState: Codable, Sendable, Equatable {
    public var bytes: Int
    public var entries: Int?
    public init(bytes: Int, entries: Int? = nil) {
        self.bytes = bytes
        self.entries = entries
    }
}

/// guest.import (bulk): the request line is followed by a chunked stream;
/// the agent applies it into the guest's staging area and answers with
/// `LayerStreamStats` once the end chunk arrived.
public struct GuestImportParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name"]
    public var name: String
    public init(name: String) { self.name = name }
}

/// guest.stage: the size of the staging area's disk (the guest's --disk).
public struct GuestStageParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "diskBytes"]
    public var name: String
    public var diskBytes: UInt64
    public init(name: String, diskBytes: UInt64) {
        self.name = name
        self.diskBytes = diskBytes
    }
}

/// guest.manifest and guest.digest: of the guest's layer, or of its staging area.
public struct GuestLayerParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "staging", "summary"]
    public var name: String
    public var staging: Bool
    /// guest.manifest only: `entries` and `totalBytes` without the manifest
    /// itself (`encoded` is empty). A move's progress needs the total; the
    /// manifest of a layer of 50,000 files is 15 MB of JSON.
    public var summary: Bool?
    public init(name: String, staging: Bool, summary: Bool? = nil) {
        self.name = name
        self.staging = staging
        self.summary = summary
    }
}

/// guest.adopt: the staged layer becomes the guest `spec`, if its digest is `digest`.
public struct GuestAdoptParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["spec", "digest"]
    public var spec: GuestSpec
    public var digest: String
    public init(spec: GuestSpec, digest: String) {
        self.spec = spec
        self.digest = digest
    }
}

/// guest.manifest: the layer's manifest as JSON text, and its totals.
public struct LayerManifest: Codable, Sendable, Equatable {
    /// JSON array of entries: path, kind, mode, uid, gid, size, mtime, link target, device numbers, xattr digest.
    public var encoded: String
    public var entries: Int
    public var totalBytes: UInt64
    public init(encoded: String, entries: Int, totalBytes: UInt64) {
        self.encoded = encoded
        self.entries = entries
        self.totalBytes = totalBytes
    }
}

public struct LayerStreamStats: Codable, Sendable, Equatable {
    public var entries: Int
    public var fileBytes: UInt64
    public var deleted: Int
    /// File digests in the layer's digest cache after a stream that hashed
    /// what it carried: a whole export, and every import (an import that
    /// changed nothing leaves the cache file alone and gives 0). Absent
    /// otherwise and from older agents. When both ends of a pre-copy give
    /// it, the move needs no `guest.prehash`.
    public var cachedDigests: Int?
    /// The layer's digest, as guest.digest would give it, from the scan of
    /// a delta asked for with `digest` (a move's source, stopped: one walk
    /// for both). Absent otherwise and from older agents.
    public var digest: LayerDigest?
    /// In a source's answer (guest.export, transfer.send): this agent gives
    /// a delta's digest when asked. Absent from older agents, which refuse
    /// the `digest` parameter: a move asks for it only after a pre-copy
    /// whose answer said so.
    public var deltaDigests: Bool?
    public init(entries: Int, fileBytes: UInt64, deleted: Int, cachedDigests: Int? = nil, digest: LayerDigest? = nil,
                deltaDigests: Bool? = nil) {
        self.entries = entries
        self.fileBytes = fileBytes
        self.deleted = deleted
        self.cachedDigests = cachedDigests
        self.digest = digest
        self.deltaDigests = deltaDigests
    }
}

public struct LayerDigest: Codable, Sendable, Equatable {
    public var digest: String
    public var fileCount: Int
    public var totalBytes: UInt64
    public init(digest: String, fileCount: Int, totalBytes: UInt64) {
        self.digest = digest
        self.fileCount = fileCount
        self.totalBytes = totalBytes
    }
}

/// guest.prehash: how many files' digests the layer's cache now holds.
public struct LayerPrehash: Codable, Sendable, Equatable {
    public var cachedFiles: Int
    public init(cachedFiles: Int) { self.cachedFiles = cachedFiles }
}

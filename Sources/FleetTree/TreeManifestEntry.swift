/// The state of one entry below a tree root as a streaming receiver would
/// reproduce it; ``TreeStreamWriter`` compares these to decide what a delta
/// must send. Built by ``TreeManifest/build(root:)``.
///
/// Unlike ``TreeEntry`` there is no content digest: a file counts as
/// unchanged when its size, modification time (to the nanosecond) and the
/// other fields match, as with `rsync`'s default check.
public struct TreeManifestEntry: Codable, Sendable, Equatable {
    /// Path relative to the root, components joined by "/", no leading "/".
    ///
    /// When the path's bytes are not valid UTF-8 it is stored as a NUL
    /// character followed by the lowercase hex of the bytes. A real path can
    /// never contain NUL, so the form is unambiguous and the exact bytes
    /// survive a round trip through JSON (a lossy decoding would let two
    /// different names look alike and a delta miss one of them).
    public var path: String
    public var kind: TreeEntryKind
    /// Permission bits including setuid/setgid/sticky (`st_mode & 0o7777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Content length for regular files; 0 for every other kind.
    public var size: UInt64
    /// Modification time (`st_mtim`), for every kind including directories and symlinks.
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: Int32
    /// Target of a symlink exactly as stored (encoded like `path` when not UTF-8); nil for other kinds.
    public var linkTarget: String?
    /// Device numbers of character and block devices; nil for other kinds.
    public var deviceMajor: UInt32?
    public var deviceMinor: UInt32?
    /// SHA-256 hex over sorted (name, value) pairs; nil when none.
    ///
    /// Precisely: the extended attributes are sorted by name bytes and each
    /// contributes `name bytes, 0x00, value length as UInt32 little-endian,
    /// value bytes` to the hash.
    public var xattrDigest: String?

    public init(
        path: String, kind: TreeEntryKind, mode: UInt32, uid: UInt32, gid: UInt32, size: UInt64 = 0,
        mtimeSeconds: Int64, mtimeNanoseconds: Int32, linkTarget: String? = nil,
        deviceMajor: UInt32? = nil, deviceMinor: UInt32? = nil, xattrDigest: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
        self.linkTarget = linkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrDigest = xattrDigest
    }
}

/// The exact-bytes text form used for manifest paths and symlink targets
/// (documented on ``TreeManifestEntry/path``).
package enum ManifestText {
    package static func encode(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if !bytes.contains(0) && text.utf8.elementsEqual(bytes) { return text }
        return "\u{0}" + SHA256Hasher.hex(bytes)
    }

    /// The bytes `text` stands for; nil when it is a malformed escaped form.
    package static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.first == 0 else { return utf8 }
        let digits = utf8.dropFirst()
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for digit in digits {
            let value: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}

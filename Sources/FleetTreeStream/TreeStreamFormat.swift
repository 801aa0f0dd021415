import FleetTree

/// The tree stream format ("VFTS1"), written by ``TreeStreamWriter`` and
/// applied by ``TreeStreamReader``.
///
/// It carries one directory tree (an overlay upper directory) from one host
/// to another, either whole or as a delta against the receiver's
/// ``TreeManifest``. It keeps file types, numeric owners, permission bits
/// (with setuid/setgid/sticky), modification times to the nanosecond, hard
/// links, symlinks, FIFOs, overlay whiteouts (character devices 0:0),
/// extended attributes of every namespace (`trusted.overlay.*`,
/// `security.capability`, `user.*`, POSIX ACLs as `system.posix_acl_*`)
/// and holes in sparse files. Access times, sockets and other device nodes
/// are not carried.
///
/// ## Layout
///
/// All integers are little-endian. `bytes16`/`bytes32` are a `UInt16`/`UInt32`
/// length followed by that many bytes.
///
///     stream  := "VFTS1" record* end
///     record  := kind:UInt8 body
///
///     'F' file      := header size:UInt64 extent* 0:UInt32
///                      extent := length:UInt32 (> 0) offset:UInt64 data[length]
///     'D' directory := header
///     'L' symlink   := header target:bytes32
///     'H' hard link := path:bytes32 target:bytes32
///     'C' char dev  := header major:UInt32 minor:UInt32
///     'B' block dev := header major:UInt32 minor:UInt32
///     'P' FIFO      := header
///     'X' delete    := path:bytes32
///     'E' end       := entries:UInt64 deleted:UInt64 fileBytes:UInt64
///
///     header := path:bytes32 mode:UInt32 uid:UInt32 gid:UInt32
///               mtimeSeconds:Int64 mtimeNanoseconds:UInt32
///               xattrCount:UInt32 (name:bytes16 value:bytes32){xattrCount}
///
/// - Paths are relative to the tree root, components separated by the byte
///   "/" (0x2F), raw bytes (not necessarily UTF-8), never "", ".", "..",
///   absolute, or containing NUL. At most 4096 bytes; a component at most 255.
/// - `mode` is `st_mode & 0o7777`. Symlinks carry 0o777, which is ignored.
/// - A file's data comes as extents in ascending, non-overlapping order, each
///   inside `[0, size)`; everything between them is a hole. The receiver
///   sizes the file with `ftruncate` first, so holes stay holes. A sender
///   writes one extent per read, with the length of what it actually read, so
///   a file that changes or shrinks while being read still yields a
///   well-formed record (its content is then fixed by the later delta).
/// - A hard link names a regular file sent earlier in the same stream, or
///   (in a delta) one that already exists at the receiver.
/// - Delete removes the path and, for a directory, everything below it; a
///   path that is already gone is fine. A sender lists only the topmost path
///   of a removed subtree, and sends deletions before all other records.
/// - A directory record creates the directory, or updates the metadata of an
///   existing one without touching its content. Directory owners, modes and
///   times are applied after the end record, deepest first.
/// - Entry records other than directories replace whatever has the name
///   (a directory in the way is removed with its content).
/// - The end record repeats the counts of entry records (everything except
///   deletions and the end), delete records, and file data bytes; a
///   mismatch means a corrupt stream. The receiver reads nothing past it.
///
/// Records appear in the byte order of their paths, so a directory comes
/// before its content, and within a hard-link group the first name (a file
/// record) before the others (hard-link records).
///
/// ## Receiver limits
///
/// Paths and symlink targets up to 4096 bytes, attribute names 1...255 bytes,
/// values up to 64 KiB, at most 10000 attributes and 16 MiB of attribute data
/// per entry. Character devices other than 0:0 and all block devices are
/// refused, as are hard links to anything but a regular file inside the root,
/// and any path that would pass through a symlink or a non-directory.
enum TreeStreamFormat {
    static let magic: [UInt8] = Array("VFTS1".utf8)

    enum RecordKind: UInt8 {
        case file = 0x46  // F
        case directory = 0x44  // D
        case symlink = 0x4C  // L
        case hardLink = 0x48  // H
        case characterDevice = 0x43  // C
        case blockDevice = 0x42  // B
        case fifo = 0x50  // P
        case delete = 0x58  // X
        case end = 0x45  // E
    }

    static let maximumPathLength = 4096
    static let maximumComponentLength = 255
    static let maximumLinkTargetLength = 4096
    static let maximumXattrNameLength = 255
    static let maximumXattrValueLength = 65536
    static let maximumXattrCount = 10000
    static let maximumXattrBytes = 16 << 20
}

/// What one stream carried: sent by the writer, applied by the reader.
public struct TreeStreamStats: Codable, Sendable, Equatable {
    /// Entry records: files, directories, symlinks, hard links, FIFOs, whiteouts.
    public var entries: Int
    /// Bytes of file data (holes excluded).
    public var fileBytes: UInt64
    /// Delete records.
    public var deleted: Int

    public init(entries: Int = 0, fileBytes: UInt64 = 0, deleted: Int = 0) {
        self.entries = entries
        self.fileBytes = fileBytes
        self.deleted = deleted
    }
}

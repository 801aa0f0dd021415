import FleetTree
import Glibc

/// One archive member with pax and GNU long-name overrides already applied.
struct TarMember {
    /// The name exactly as the archive gives it (not yet checked or normalised).
    var path: String
    var type: TarMemberType
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    /// Bytes of data that follow the header (regular files only).
    var size: UInt64
    var modified: timespec
    /// Target of a symlink or hard link, exactly as the archive gives it.
    var linkTarget: String?
}

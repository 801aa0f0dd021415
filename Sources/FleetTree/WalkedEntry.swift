import Glibc

/// One object met by ``TreeWalker``, valid only during the visit callback
/// (the parent descriptor is closed once its directory is done).
struct WalkedEntry {
    /// Open descriptor of the directory holding the entry.
    let parentFD: Int32
    /// The entry's own name inside that directory.
    let name: [UInt8]
    /// Path relative to the walk root, components joined by "/".
    let path: [UInt8]
    /// `lstat` of the entry.
    let status: stat

    var displayPath: String { Posix.display(path) }
}

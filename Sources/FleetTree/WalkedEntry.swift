import Glibc

/// One object met by ``TreeWalker``, valid only during the visit callback
/// (the parent descriptor is closed once its directory is done).
package struct WalkedEntry {
    /// Open descriptor of the directory holding the entry.
    package let parentFD: Int32
    /// The entry's own name inside that directory.
    package let name: [UInt8]
    /// Path relative to the walk root, components joined by "/".
    package let path: [UInt8]
    /// `lstat` of the entry.
    package let status: stat

    package var displayPath: String { Posix.display(path) }
}

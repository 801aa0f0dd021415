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
    /// For a directory met by ``ParallelTreeWalk``, its own open descriptor
    /// (checked to be the object `status` describes); else -1.
    package var directoryFD: Int32 = -1

    package init(parentFD: Int32, name: [UInt8], path: [UInt8], status: stat, directoryFD: Int32 = -1) {
        self.parentFD = parentFD
        self.name = name
        self.path = path
        self.status = status
        self.directoryFD = directoryFD
    }

    package var displayPath: String { Posix.display(path) }
}

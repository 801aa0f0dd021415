import Glibc

/// A file's identity: its device and inode. The names of one hard-linked
/// file share it, which is how a copy, a clone and a stream find them.
package struct InodeKey: Hashable, Sendable {
    package let device: UInt64
    package let inode: UInt64

    package init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    package init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}

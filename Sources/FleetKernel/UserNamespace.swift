import CFleetShim
import Glibc

/// A guest's user namespace: guest ids 0..<count are host ids
/// hostBase..<hostBase+count, so guest root is an unprivileged host user.
public struct UserNamespace: Sendable, Equatable {
    public var hostBase: UInt32
    public var count: UInt32

    public init(hostBase: UInt32, count: UInt32 = UserNamespace.idsPerGuest) {
        self.hostBase = hostBase
        self.count = count
    }

    /// Every guest gets the 16-bit id space a distribution expects
    /// (nobody is 65534).
    public static let idsPerGuest: UInt32 = 65536

    public func contains(hostID: UInt32) -> Bool { hostID >= hostBase && hostID - hostBase < count }

    /// Writes the uid and gid maps of the namespace `pid` lives in.
    func writeMaps(pid: pid_t) throws(KernelError) {
        let r = vf_write_id_maps(pid, hostBase, count)
        if r != 0 {
            throw KernelError("map ids 0-\(count - 1) to host ids \(hostBase)-\(hostBase + count - 1) for", "pid \(pid)",
                              errno: -r, hint: "another guest's range, or a kernel without user namespaces (user.max_user_namespaces)?")
        }
    }

    /// True when `pid` lives in another user namespace than ours.
    public static func isSeparate(pid: pid_t) -> Bool {
        !sameNamespace("/proc/\(pid)/ns/user", "/proc/self/ns/user")
    }

    /// Two /proc/PID/ns/KIND links name the same namespace (false if either is unreadable).
    static func sameNamespace(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_ino == y.st_ino && x.st_dev == y.st_dev
    }

    /// A detached, idmapped copy of the mount at `path`, for `pid`'s user
    /// namespace: the template keeps its host ids and reads as the guest's.
    func idmappedTree(_ path: String, for pid: pid_t) throws(KernelError) -> Int32 {
        let fd = vf_idmapped_tree(path, pid)
        if fd < 0 {
            throw KernelError("make an idmapped mount of", path, errno: -fd,
                              hint: "idmapped mounts need Linux 5.12+ and a file system that supports them (ext4, xfs, btrfs, tmpfs 6.3+)")
        }
        return fd
    }
}

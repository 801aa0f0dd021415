import FleetSystem
import Foundation
import Glibc

/// A guest's writable layer on a file system of its own: a sparse ext4
/// image, attached to a loop device and mounted nodev,nosuid. The kernel
/// then refuses a write past the image's size inside the guest (ENOSPC),
/// and the host's state file system grows by at most the image's size.
/// (Project quotas would need the state file system mounted with prjquota,
/// which most hosts do not have.)
public enum LayerDisk {
    /// The smallest image: ext4's metadata and journal take about 2M of it.
    public static let minimumBytes: UInt64 = 16 << 20

    /// Makes the image: sparse (it takes on the host only what the guest
    /// writes, plus under 1M of metadata), with a journal (a host crash
    /// leaves a layer that mounts without an fsck the agent does not run),
    /// no blocks reserved for root (the guest's root is the only user).
    /// Neither the journal nor the inode tables are zeroed, by mkfs or
    /// later by the kernel (noinit_itable at mount): in a new sparse file
    /// they are holes, which read as zeros. Zeroing them took 33M of the
    /// host's disk and 30 ms more for a 1G image, before the guest wrote a byte.
    /// `contents`: a directory whose tree the new file system starts with
    /// (mkfs copies it: no mount needed to fill it).
    public static func make(image: String, bytes: UInt64, contents: String) throws(KernelError) {
        let fd = open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw KernelError.current("create disk image", image) }
        let sized = ftruncate(fd, off_t(bytes)) == 0
        let err = errno
        close(fd)
        guard sized else { unlink(image); throw KernelError("size disk image", image, errno: err) }
        do {
            try run(["mkfs.ext4", "-q", "-F", "-m", "0", "-L", "vfleet-layer", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", "-d", contents, image], "make a file system on", image,
                    hint: "is e2fsprogs installed? see scripts/install-deps")
        } catch {
            unlink(image)
            throw error
        }
    }

    /// Mounts the image at `mountPoint` (nodev, nosuid). mount(8) reuses a
    /// loop device that already serves this image (a guest's namespace may
    /// still hold it), so one image never has two superblocks at once; a
    /// loop device it makes is freed by the kernel at the last unmount.
    public static func mount(image: String, at mountPoint: String) throws(KernelError) {
        try run(["mount", "-t", "ext4", "-o", "loop,nodev,nosuid,noinit_itable", image, mountPoint], "mount disk image", image)
        if let device = device(at: mountPoint) { setDirectIO(device) }
    }

    /// The loop device reads and writes the image with O_DIRECT: without it
    /// every block sits in the page cache twice (the guest's file system's
    /// and the image file's), and a 256M write with fsync ran at 40% of
    /// the speed it has on the state file system; with it, at the same.
    /// Best effort: a state file system without O_DIRECT (tmpfs) keeps the
    /// cached mode, which is only slower.
    static func setDirectIO(_ device: String) {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = ioctl(fd, 0x4C08 /* LOOP_SET_DIRECT_IO */, 1)
        close(fd)
    }

    /// The device mounted at `mountPoint` (e.g. /dev/loop3), from mountinfo.
    static func device(at mountPoint: String) -> String? {
        guard let text = try? SysFile.read("/proc/self/mountinfo") else { return nil }
        var found: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, CgroupLayout.unescape(String(fields[4])) == mountPoint,
                  let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            found = CgroupLayout.unescape(String(fields[dash + 2]))   // the last one mounted there is on top
        }
        return found?.hasPrefix("/dev/loop") == true ? found : nil
    }

    /// Detaches the mount at once (lazily: a host process still inside
    /// keeps it alive, never the guest's next start).
    public static func unmount(_ mountPoint: String) throws(KernelError) {
        guard umount2(mountPoint, Int32(MNT_DETACH)) == 0 else { throw KernelError.current("unmount disk", mountPoint) }
    }

    /// Whether a file system is mounted at `path` in this mount namespace.
    public static func isMounted(_ path: String, mountinfo: String = "/proc/self/mountinfo") -> Bool {
        mountPoints(mountinfo: mountinfo).contains(path)
    }

    /// Every mount point of this mount namespace.
    public static func mountPoints(mountinfo: String = "/proc/self/mountinfo") -> [String] {
        guard let text = try? SysFile.read(mountinfo) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            return fields.count > 4 ? CgroupLayout.unescape(String(fields[4])) : nil
        }
    }

    /// What the file system at `path` holds and can hold: (used, size) bytes.
    public static func usage(_ path: String) -> (used: UInt64, size: UInt64)? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let size = UInt64(s.f_blocks) * UInt64(s.f_frsize)
        return (size - UInt64(s.f_bfree) * UInt64(s.f_frsize), size)
    }

    private static func run(_ argv: [String], _ what: String, _ object: String, hint: String? = nil) throws(KernelError) {
        let out: SubprocessOutput
        do { out = try Subprocess.run(argv, mergeStandardError: true, timeout: .seconds(60)) } catch {
            throw KernelError(what, object, errno: 0, hint: ["cannot run \(argv[0]): \(error)", hint].compactMap { $0 }.joined(separator: "; "))
        }
        guard out.succeeded else {
            let said = out.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw KernelError(what, object, errno: 0, hint: [said.isEmpty ? "\(argv[0]) failed (status \(out.status))" : said, hint].compactMap { $0 }.joined(separator: "; "))
        }
    }
}

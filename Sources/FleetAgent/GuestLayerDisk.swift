import FleetKernel
import FleetProtocol
import FleetTree
import Foundation
import Glibc

/// The writable layer of a guest made with --disk: DIR/disk.img, an ext4
/// image of the guest's size, mounted at DIR/layer, holding upper/ and
/// work/ (overlayfs wants both on one mount). DIR is the guest's directory
/// or a move's staging area. Mounted by the agent when something needs the
/// layer (start, export, import, digest) and unmounted at stop, destroy and
/// adopt: a stopped guest holds no loop device and no mount, and a host's
/// reboot leaves nothing behind that the next start does not redo.
struct GuestLayerDisk {
    let directory: String
    /// What to call it in errors: "guest web1", "the incoming copy of guest web1".
    let what: String
    let lockFile: String

    var image: String { directory + "/disk.img" }
    var mountPoint: String { directory + "/layer" }
    var upper: String { mountPoint + "/upper" }
    var work: String { mountPoint + "/work" }
    var exists: Bool { access(image, F_OK) == 0 }
    var isMounted: Bool { LayerDisk.isMounted(mountPoint) }

    /// Makes the image with an empty upper/ (the guest's "/": 0755) and
    /// work/ (0700) in it, copied in by mkfs from a skeleton next to it.
    func make(bytes: UInt64) throws(FleetError) {
        let skeleton = directory + "/.layer-skeleton"
        defer { try? TreeRemover.remove(skeleton) }
        do {
            if mkdir(mountPoint, StatePermissions.privateDirectory) != 0 && errno != EEXIST {
                throw KernelError.current("create directory", mountPoint)
            }
            try? TreeRemover.remove(skeleton)
            try StatePermissions.makeDirectory(skeleton)
            try StatePermissions.makeDirectory(skeleton + "/upper", mode: 0o755)
            try StatePermissions.makeDirectory(skeleton + "/work")
            try LayerDisk.make(image: image, bytes: bytes, contents: skeleton)
        } catch {
            throw .failed("cannot make the disk of \(what): \(error)")
        }
    }

    /// Mounts the image unless it is already (idempotent, and one agent
    /// process at a time: two mounts stacked on one point would outlive
    /// one unmount).
    func mount() throws(FleetError) {
        let lock = try AgentLock(path: lockFile)
        defer { withExtendedLifetime(lock) {} }
        if isMounted { return }
        guard exists else { throw .failed("cannot mount the disk of \(what): its image \(image) is missing") }
        do { try LayerDisk.mount(image: image, at: mountPoint) } catch {
            throw .failed("cannot mount the disk of \(what): \(error)")
        }
        // Search only: the directory above says who may pass (StatePermissions).
        StatePermissions.set(mountPoint, mode: StatePermissions.searchableDirectory)
    }

    /// Best effort: a lazy unmount only fails when nothing is mounted.
    func unmount() {
        guard let lock = try? AgentLock(path: lockFile) else { return }
        defer { withExtendedLifetime(lock) {} }
        while isMounted {
            guard (try? LayerDisk.unmount(mountPoint)) != nil else { return }
        }
    }
}

import FleetKernel
import FleetProtocol
import FleetTree
import Foundation
import Glibc

extension Agent {
    /// The guest's init style: its own, else its template's.
    func initStyle(of spec: GuestSpec) -> InitStyle {
        spec.initStyle ?? (try? templates.info(spec.template).initStyle) ?? .plain
    }

    /// Every guest gets a user namespace of its own unless told otherwise
    /// (--no-userns): its root is then an unprivileged host user, so what
    /// the kernel checks against the host's user namespace (capable(), the
    /// per-user tables and key rings, files of the host's root) stays out of
    /// reach whatever else fails, as in Incus and LXD. systemd cannot run
    /// without one (it needs CAP_SYS_ADMIN).
    func usesUserNamespace(_ spec: GuestSpec) -> Bool {
        spec.userNamespace ?? true
    }

    /// Host ids contextId*65536 ... +65535: unique on this host for the
    /// guest's life, and above any ordinary user (context ids start at 100).
    func userNamespace(of record: GuestRecord) -> UserNamespace? {
        guard usesUserNamespace(record.spec) else { return nil }
        return UserNamespace(hostBase: UInt32(record.contextId) * UserNamespace.idsPerGuest)
    }

    /// Makes the guest's own layer belong to the ids its root will have.
    /// Its root directory is given to the range once the layer is in it, so
    /// a root owned otherwise means a layer that arrived from elsewhere (a
    /// move: another context id, so another range) or a guest switched to
    /// or from --userns: the layer is rebased once, here.
    func prepareOwnership(_ record: GuestRecord, userNamespace userNS: UserNamespace?) throws(FleetError) {
        let name = record.spec.name
        let newBase = userNS?.hostBase ?? 0
        let (upper, work) = try layerDirectories(of: record)
        var st = stat()
        guard lstat(upper, &st) == 0 else { throw .failed("cannot start guest \(name): its layer \(upper) is missing (\(String(cString: strerror(errno))))") }
        // Each directory on its own: a moved layer arrives in its range
        // already (Agent+OwnerMap) while adopt made the overlay's work
        // directory anew, owned by host root.
        var workStatus = stat()
        let workDone = lstat(work, &workStatus) == 0 && workStatus.st_uid == newBase && workStatus.st_gid == newBase
        do {
            // The root directory last: it marks the layer as done.
            if !workDone || st.st_uid != newBase || st.st_gid != newBase { _ = try TreeOwnershipShifter.rebase(root: work, to: newBase) }
            if st.st_uid != newBase || st.st_gid != newBase { _ = try TreeOwnershipShifter.rebase(root: upper, to: newBase) }
        } catch {
            throw .failed("cannot start guest \(name): \(error)")
        }
        // What the copy planned has served (adopt's check of a resumed move
        // is for a guest not started since).
        unlink(ownerMapFile(name, staging: false))
        unlink(paths.guest(name) + "/planned-context")
        // The guest's root reaches its layers by path from inside its user
        // namespace: the directories above them must let it pass, and only it.
        setGuestDirectoryAccess(record)
        let guestDir = paths.guest(name)
        var st2 = stat()
        let wanted = userNS == nil ? StatePermissions.privateDirectory : StatePermissions.userNamespaceGuestDirectory
        guard lstat(guestDir, &st2) == 0, st2.st_mode & 0o7777 == wanted, st2.st_gid == (userNS?.hostBase ?? 0) else {
            throw .failed("cannot start guest \(name): cannot set the owner and mode of \(guestDir) (\(String(format: "%o", wanted))): \(String(cString: strerror(errno)))")
        }
    }

    /// Capabilities a user namespace guest keeps besides VServer's secure
    /// set: what systemd and distribution services use. They act only on
    /// what the guest's user namespace owns (its mounts, its processes, its
    /// network namespace when private), never on the host's.
    public static let userNamespaceExtras = [
        "SYS_ADMIN", "SYS_BOOT", "SYS_RESOURCE", "SETPCAP", "MKNOD", "IPC_OWNER", "IPC_LOCK", "SYS_NICE",
        "NET_BROADCAST", "AUDIT_CONTROL", "LINUX_IMMUTABLE",
    ]
}

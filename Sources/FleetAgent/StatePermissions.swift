import FleetKernel
import FleetProtocol
import Foundation
import Glibc

/// Who may reach the agent's state. A guest's layer holds files its root
/// made: without a user namespace a setuid-root program there is setuid
/// root on the host too, so any host user who can reach it by path gains
/// euid 0. Hence every directory the agent makes is 0700, root's, with one
/// exception, for user namespace guests, each stated where it is made:
///
/// - the state root and guests/ are 0711 while such a guest exists: its
///   root (host uid contextId*65536) mounts its overlay from inside its user
///   namespace by path (guests/NAME/upper and work), so it must pass them.
///   Search only: it cannot list them, and no other guest's name is shown.
/// - guests/NAME of such a guest is 0710, group its host gid: it alone passes.
///
/// Nothing else opens up: templates/, staging areas (.incoming-*), the trash
/// (.trash-*), locks/ and every guest's work/ and rootfs/ stay 0700. The
/// upper layer's own mode is the guest's "/" and is its business; its
/// parent keeps it out of reach.
enum StatePermissions {
    static let privateDirectory: mode_t = 0o700
    /// The state root and guests/ while a user namespace guest exists.
    static let searchableDirectory: mode_t = 0o711
    /// guests/NAME of a user namespace guest (group: its host gid).
    static let userNamespaceGuestDirectory: mode_t = 0o710

    /// mkdir then chmod: the mode is exactly `mode`, whatever the umask.
    static func makeDirectory(_ path: String, mode: mode_t = privateDirectory) throws(KernelError) {
        guard mkdir(path, mode) == 0 else { throw .current("create directory", path) }
        guard chmod(path, mode) == 0 else { throw .current("set the mode of", path) }
    }

    /// Sets `path`'s owner and mode if they differ (never following a link).
    static func set(_ path: String, mode: mode_t, uid: uid_t = 0, gid: gid_t = 0) {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
        if st.st_uid != uid || st.st_gid != gid { _ = lchown(path, uid, gid) }
        if st.st_mode & 0o7777 != mode { _ = chmod(path, mode) }
    }
}

extension Agent {
    /// guests/NAME as the record says: open to the guest's own user namespace
    /// (see StatePermissions) or to nobody.
    func setGuestDirectoryAccess(_ record: GuestRecord) {
        let dir = paths.guest(record.spec.name)
        if let userNS = userNamespace(of: record) {
            for parent in [paths.root, paths.guests] { StatePermissions.set(parent, mode: StatePermissions.searchableDirectory) }
            StatePermissions.set(dir, mode: StatePermissions.userNamespaceGuestDirectory, gid: userNS.hostBase)
        } else {
            StatePermissions.set(dir, mode: StatePermissions.privateDirectory)
        }
    }

    /// Brings an existing state root to these modes (run at every agent
    /// start): an older agent left 0755 directories, and an umask may have
    /// widened others. Best effort: what cannot be changed stays as it was.
    func tightenStatePermissions() {
        var st = stat()
        guard lstat(paths.root, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
        let records = guests.all()
        let searchable = records.contains { usesUserNamespace($0.spec) }
        let outer = searchable ? StatePermissions.searchableDirectory : StatePermissions.privateDirectory
        StatePermissions.set(paths.root, mode: outer)
        StatePermissions.set(paths.guests, mode: outer)
        StatePermissions.set(paths.templates, mode: StatePermissions.privateDirectory)
        StatePermissions.set(paths.locks, mode: StatePermissions.privateDirectory)
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: paths.templates)) ?? [] {
            StatePermissions.set(paths.templates + "/" + name, mode: StatePermissions.privateDirectory)
        }
        let known = Dictionary(records.map { ($0.spec.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in (try? fm.contentsOfDirectory(atPath: paths.guests)) ?? [] {
            let dir = paths.guests + "/" + name
            if let record = known[name] {
                setGuestDirectoryAccess(record)
                // The guest's root under work/ and rootfs/ belongs to its
                // user namespace's root when it has one: only the mode changes.
                for sub in [paths.guestWork(name), paths.guestRootfs(name)] {
                    var s = stat()
                    guard lstat(sub, &s) == 0 else { continue }
                    StatePermissions.set(sub, mode: StatePermissions.privateDirectory, uid: s.st_uid, gid: s.st_gid)
                }
            } else {
                // A staging area, the trash, or a half-made guest.
                StatePermissions.set(dir, mode: StatePermissions.privateDirectory)
            }
        }
    }
}

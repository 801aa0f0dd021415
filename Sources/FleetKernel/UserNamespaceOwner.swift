import CFleetShim
import Glibc

/// Makes a guest's own host uid the owner of the user namespace the calling
/// thread creates next (see fleet_nsowner.h): the kernel then charges the
/// guest's per-user limits (inotify instances, user namespaces, …) at the
/// host's level to that uid, not to root. Used around the clone of a user
/// namespace guest's init; its effect lasts until `restore()`, on this
/// thread only.
struct UserNamespaceOwner {
    private let dumpable: Int32?

    /// Takes `uid` as this thread's effective uid; nil: changes nothing.
    init(becoming uid: UInt32?) throws(KernelError) {
        guard let uid else {
            dumpable = nil
            return
        }
        let result = vf_thread_set_euid(uid_t(uid))
        guard result >= 0 else {
            throw KernelError("take host uid \(uid) as owner of the guest's user namespace", "", errno: -result)
        }
        dumpable = result
    }

    /// Effective uid 0 again, errno unchanged. Cannot fail for a thread
    /// whose real and saved uids are 0; if it does, the agent must not go
    /// on with this thread as another user.
    func restore() {
        guard let dumpable else { return }
        if vf_thread_restore_root(dumpable) != 0 {
            fatalError("cannot return to effective uid 0 after cloning a user namespace guest")
        }
    }
}

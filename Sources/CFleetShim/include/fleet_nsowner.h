// The owner of a guest's user namespace. The kernel charges per-user
// limits (inotify instances and watches, user namespaces, …: the ucounts)
// at every level of the user namespace tree, and at the level of the host
// to the uid that owns the guest's namespace: the effective uid of the
// process that created it. Created by the agent (root), every user namespace
// guest would draw on host root's limits; created with the guest's own
// host uid as effective uid, each guest draws on its own.
#ifndef FLEET_NSOWNER_H
#define FLEET_NSOWNER_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sets the effective uid of the calling thread only (a raw setresuid:
/// glibc's setresuid would change every thread of the process). The real
/// and saved uids stay 0, so vf_thread_restore_root() can always go back.
/// Returns the process's dumpable flag from before (to restore), or -errno.
int vf_thread_set_euid(uid_t euid);

/// Back to effective uid 0 (capabilities return with it) and the dumpable
/// flag `dumpable` from vf_thread_set_euid: changing the effective uid made
/// the process non-dumpable. errno is preserved. 0 or -errno.
int vf_thread_restore_root(int dumpable);

#ifdef __cplusplus
}
#endif

#endif

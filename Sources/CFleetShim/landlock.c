// See fleet_landlock.h. Runs between fork and exec: raw system calls only,
// no malloc, no stdio, nothing that takes a lock.
#define _GNU_SOURCE
#include "fleet_landlock.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// From <linux/landlock.h> and <asm/unistd.h>; Debian 12's headers predate
// the scoped field (Linux 6.12), so the parts used are spelled out here.
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#define VF_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define VF_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)

struct vf_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

int vf_landlock_abi(void) {
    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, VF_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi >= 0) return (int)abi;
    // ENOSYS: not built; EOPNOTSUPP: built but not in the active LSMs.
    if (errno == ENOSYS || errno == EOPNOTSUPP) return 0;
    return -errno;
}

int vf_landlock_scope_abstract_unix(void) {
    int abi = vf_landlock_abi();
    if (abi < 0) return abi;
    if (abi < VF_LANDLOCK_SCOPE_ABI) return 1;
    // Only the scope is handled: no file system or network access right is
    // restricted, so the guest's files and ports are exactly as before.
    struct vf_landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.scoped = VF_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
    long fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (fd < 0) return -errno;          // errno stays set for the caller
    long rc = syscall(__NR_landlock_restrict_self, (int)fd, 0);
    int err = errno;
    close((int)fd);
    if (rc == 0) return 0;
    errno = err;            // for the shim's error record
    return -err;
}

// NS_GET_NSTYPE from <linux/nsfs.h> (Linux 4.11), and CLONE_NEWNET.
#define VF_NS_GET_NSTYPE _IO(0xb7, 0x3)
#define VF_CLONE_NEWNET 0x40000000

int vf_landlock_scope_entered(const int *ns_fds, int count) {
    for (int i = 0; i < count; i++)
        if (syscall(SYS_ioctl, ns_fds[i], VF_NS_GET_NSTYPE) == VF_CLONE_NEWNET) return 1;
    return vf_landlock_scope_abstract_unix();
}

// See fleet_nsowner.h.
#define _GNU_SOURCE
#include "fleet_nsowner.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int vf_thread_set_euid(uid_t euid) {
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (dumpable < 0) return -errno;
    if (syscall(SYS_setresuid, (uid_t)-1, euid, (uid_t)-1) != 0) return -errno;
    return dumpable;
}

int vf_thread_restore_root(int dumpable) {
    int saved = errno;
    int rc = 0;
    if (syscall(SYS_setresuid, (uid_t)-1, (uid_t)0, (uid_t)-1) != 0) rc = -errno;
    else if (dumpable >= 0 && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) != 0) rc = -errno;
    errno = saved;
    return rc;
}

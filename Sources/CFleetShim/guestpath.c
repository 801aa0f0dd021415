// See fleet_guestpath.h.
#define _GNU_SOURCE
#include "fleet_guestpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(VF_O_PATH == O_PATH, "VF_O_PATH is O_PATH");

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct vf_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

#define VF_RESOLVE_NO_XDEV 0x01
#define VF_RESOLVE_NO_MAGICLINKS 0x02
#define VF_RESOLVE_IN_ROOT 0x10

// Component by component: every directory opened O_NOFOLLOW, so a symbolic
// link anywhere fails; ".." is refused outright; each step must stay on the
// root's device.
int vf_open_in_root_walk(int root_fd, const char *path, int flags) {
    char copy[PATH_MAX];
    if (strlen(path) >= sizeof copy) { errno = ENAMETOOLONG; return -1; }
    strcpy(copy, path);
    struct stat root_st;
    if (fstat(root_fd, &root_st) != 0) return -1;
    int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (dir < 0) return -1;
    char *save = NULL;
    char *part = strtok_r(copy, "/", &save);
    if (!part) {
        int fd = openat(dir, ".", flags);
        int e = errno;
        close(dir);
        errno = e;
        return fd;
    }
    while (part) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(part, "..") == 0) { close(dir); errno = EXDEV; return -1; }
        if (strcmp(part, ".") == 0 && next) { part = next; continue; }
        int fd = next ? openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : openat(dir, part, flags | O_NOFOLLOW);
        int e = errno;
        close(dir);
        if (fd < 0) { errno = (e == ENOTDIR && next) ? ELOOP : e; return -1; }
        struct stat st;
        if (fstat(fd, &st) != 0 || st.st_dev != root_st.st_dev) { close(fd); errno = EXDEV; return -1; }
        if (!next) return fd;
        dir = fd;
        part = next;
    }
    errno = ENOENT;
    return -1;
}

int vf_open_in_root(int root_fd, const char *path, int flags) {
    struct vf_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned)flags;
    how.resolve = VF_RESOLVE_IN_ROOT | VF_RESOLVE_NO_MAGICLINKS | VF_RESOLVE_NO_XDEV;
    long fd;
    do { fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how); } while (fd < 0 && errno == EINTR);
    if (fd >= 0 || errno != ENOSYS) return (int)fd;
    return vf_open_in_root_walk(root_fd, path, flags);
}

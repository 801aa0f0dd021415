// Opening paths inside a guest's tree from the host without being led out of
// it. A guest's root controls its tree: symbolic links (absolute ones point
// into the host's tree when resolved from here), ".." entries, its own mounts
// (a FUSE file or /proc/kmsg bound over /etc/passwd), FIFOs and devices.
#ifndef FLEET_GUESTPATH_H
#define FLEET_GUESTPATH_H

// Opens `path` (absolute or relative, taken relative to `root_fd`) with
// open(2) `flags`, resolving every component inside the tree of `root_fd`:
// symbolic links and ".." stay in it, magic links (/proc/PID/...) are refused
// and so is every crossing of a mount point. Uses openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV); on a kernel without openat2 (before
// 5.6) it walks component by component and refuses every symbolic link and
// "..". Returns a descriptor, or -1 with errno set (ELOOP: a refused link,
// EXDEV: a mount crossed or ".." out of the tree).
int vf_open_in_root(int root_fd, const char *path, int flags);

// The component walk alone (what vf_open_in_root falls back to), for tests on
// kernels that have openat2.
int vf_open_in_root_walk(int root_fd, const char *path, int flags);

// O_PATH, which Glibc shows Swift only with _GNU_SOURCE.
#define VF_O_PATH 010000000

#endif

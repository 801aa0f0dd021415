// See fleet_shim.h. Everything that runs in a child here is async-signal-safe:
// raw system calls and our own string helpers, no malloc, no stdio, no locks.
#define _GNU_SOURCE
#include "fleet_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <poll.h>
#include <linux/capability.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
// struct mount_attr of linux/mount.h, which this libc may not have.
struct vf_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

// ---- async-signal-safe helpers -------------------------------------------

static size_t vf_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

// Appends src to dst (capacity cap); always terminates. Returns 0, or -1 if cut.
static int vf_append(char *dst, size_t cap, const char *src) {
    size_t n = vf_strlen(dst);
    size_t i = 0;
    while (src[i] && n + 1 < cap) dst[n++] = src[i++];
    dst[n] = 0;
    return src[i] ? -1 : 0;
}

static void vf_join(char *dst, size_t cap, const char *a, const char *b) {
    dst[0] = 0;
    vf_append(dst, cap, a);
    vf_append(dst, cap, b);
}

// Reports a failed step to the parent and ends the child.
static void vf_fail(int err_fd, const char *step, const char *object) __attribute__((noreturn));
static void vf_fail(int err_fd, const char *step, const char *object) {
    vf_child_error rec;
    rec.err = errno;
    rec.what[0] = 0;
    vf_append(rec.what, sizeof rec.what, step);
    if (object) {
        vf_append(rec.what, sizeof rec.what, " ");
        vf_append(rec.what, sizeof rec.what, object);
    }
    ssize_t unused = write(err_fd, &rec, sizeof rec);
    (void)unused;
    _exit(127);
}

static void vf_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static pid_t vf_raw_fork(unsigned long flags) {
    // A fork-like clone: no new stack, the child continues here. glibc's
    // fork() would run atfork handlers registered by the Swift runtime.
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

static void vf_drop_bounding(uint64_t keep, int cap_last, int err_fd) {
    for (int cap = 0; cap <= cap_last && cap < 64; cap++) {
        if (keep & ((uint64_t)1 << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            vf_fail(err_fd, "drop capability from the bounding set", NULL);
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static void vf_mark_fds_cloexec(void) {
    // Whatever the agent had open must not leak into a guest.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 1024; fd++) {
            int fl = fcntl(fd, F_GETFD);
            if (fl >= 0) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        }
    }
}

// ---- guest init ----------------------------------------------------------

static void vf_mkdir_in(const char *root, const char *rel, mode_t mode, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (mkdir(p, mode) != 0 && errno != EEXIST) vf_fail(err_fd, "create directory", p);
}

static void vf_mount_in(const char *root, const char *rel, const char *src, const char *fstype,
                        unsigned long flags, const char *data, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (mount(src, p, fstype, flags, data) != 0) {
        char step[64] = "mount ";
        vf_append(step, sizeof step, fstype ? fstype : "bind");
        vf_append(step, sizeof step, " on");
        vf_fail(err_fd, step, p);
    }
}

static void vf_mknod_in(const char *root, const char *rel, unsigned maj, unsigned min, int userns, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (userns) {
        // No mknod in a user namespace: the host's node is bound instead
        // (rel names the same node on the host, which this mount
        // namespace still sees before pivot_root).
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) vf_fail(err_fd, "create", p);
        close(fd);
        if (mount(rel, p, NULL, MS_BIND, NULL) != 0) vf_fail(err_fd, "bind the host's device node onto", p);
        return;
    }
    if (mknod(p, S_IFCHR | 0666, makedev(maj, min)) != 0) vf_fail(err_fd, "create device node", p);
    // mknod honours the umask; the nodes must be world-usable like on a host.
    if (chmod(p, 0666) != 0) vf_fail(err_fd, "chmod device node", p);
}

static void vf_symlink_in(const char *root, const char *target, const char *rel, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (symlink(target, p) != 0 && errno != EEXIST) vf_fail(err_fd, "create symlink", p);
}

static void vf_setup_dev(const char *root, const char *console, int userns, int err_fd) {
    vf_mkdir_in(root, "/dev", 0755, err_fd);
    vf_mount_in(root, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err_fd);
    vf_mknod_in(root, "/dev/null", 1, 3, userns, err_fd);
    vf_mknod_in(root, "/dev/zero", 1, 5, userns, err_fd);
    vf_mknod_in(root, "/dev/full", 1, 7, userns, err_fd);
    vf_mknod_in(root, "/dev/random", 1, 8, userns, err_fd);
    vf_mknod_in(root, "/dev/urandom", 1, 9, userns, err_fd);
    vf_mknod_in(root, "/dev/tty", 5, 0, userns, err_fd);
    vf_mkdir_in(root, "/dev/pts", 0755, err_fd);
    vf_mount_in(root, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620", err_fd);
    vf_symlink_in(root, "pts/ptmx", "/dev/ptmx", err_fd);
    vf_mkdir_in(root, "/dev/shm", 01777, err_fd);
    vf_mount_in(root, "/dev/shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k", err_fd);
    vf_mkdir_in(root, "/dev/mqueue", 0755, err_fd);
    vf_symlink_in(root, "/proc/self/fd", "/dev/fd", err_fd);
    vf_symlink_in(root, "/proc/self/fd/0", "/dev/stdin", err_fd);
    vf_symlink_in(root, "/proc/self/fd/1", "/dev/stdout", err_fd);
    vf_symlink_in(root, "/proc/self/fd/2", "/dev/stderr", err_fd);
    if (console) {
        // The console is the guest's log file: what init writes to
        // /dev/console is kept, and nothing reaches the host's console.
        char p[PATH_MAX];
        vf_join(p, sizeof p, root, "/dev/console");
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) vf_fail(err_fd, "create", p);
        close(fd);
        if (mount(console, p, NULL, MS_BIND, NULL) != 0) vf_fail(err_fd, "bind console log onto", p);
    }
}

static void vf_proc_restrict(const char *root, const char *const *ro, const char *const *masked, int err_fd) {
    char p[PATH_MAX], devnull[PATH_MAX];
    vf_join(devnull, sizeof devnull, root, "/dev/null");
    for (int i = 0; ro && ro[i]; i++) {
        vf_join(p, sizeof p, root, ro[i]);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) != 0) {
            if (errno == ENOENT) continue;
            vf_fail(err_fd, "bind read-only", p);
        }
        if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
            vf_fail(err_fd, "remount read-only", p);
    }
    for (int i = 0; masked && masked[i]; i++) {
        vf_join(p, sizeof p, root, masked[i]);
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") != 0) vf_fail(err_fd, "mask", p);
        } else if (mount(devnull, p, NULL, MS_BIND, NULL) != 0) {
            vf_fail(err_fd, "mask", p);
        }
    }
}

// Reads the go byte, and with it the descriptor the parent may pass.
// Returns the byte (1 = go), or -1 when the parent gave up.
static int vf_recv_go(int go_r, int *passed) {
    char go = 0;
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = &go, .iov_len = 1 };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do { n = recvmsg(go_r, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n != 1) return -1;
    *passed = -1;
    struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
    if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
        memcpy(passed, CMSG_DATA(h), sizeof(int));
    return go;
}

// In a new user namespace the child still has the host's ids; once the
// parent has written the maps it becomes the namespace's root. Raw system
// calls: glibc's set*id would signal threads that only existed in the parent.
static void vf_become_userns_root(int err_w) {
    if (syscall(SYS_setresgid, 0, 0, 0) != 0) vf_fail(err_w, "become root (gid 0) of the guest's user namespace", NULL);
    if (syscall(SYS_setgroups, 0, NULL) != 0) vf_fail(err_w, "drop the host's supplementary groups", NULL);
    if (syscall(SYS_setresuid, 0, 0, 0) != 0) vf_fail(err_w, "become root (uid 0) of the guest's user namespace", NULL);
}

// The guest's /sys. A user namespace may mount a fresh sysfs only over a
// network namespace it owns; with the host's network the host's /sys is
// bound instead, read-only throughout (its files belong to ids the guest
// cannot act for, so it could not write them anyway).
static void vf_setup_sys(const vf_guest_config *c, const char *root, int err_w) {
    vf_mkdir_in(root, "/sys", 0555, err_w);
    if (!c->new_user_ns || c->new_net) {
        vf_mount_in(root, "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err_w);
    } else {
        char p[PATH_MAX];
        vf_join(p, sizeof p, root, "/sys");
        if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) != 0) vf_fail(err_w, "bind the host's /sys onto", p);
        struct vf_mount_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        if (syscall(SYS_mount_setattr, AT_FDCWD, p, AT_RECURSIVE, &attr, sizeof attr) != 0)
            vf_fail(err_w, "make read-only", p);
    }
    if (c->mount_cgroup2) {
        // Inside its own cgroup namespace the guest's cgroup is the root.
        // Without a user namespace it stays read-only: root of the host's
        // user namespace could otherwise raise its own limits.
        unsigned long ro = c->new_user_ns ? 0 : MS_RDONLY;
        vf_mount_in(root, "/sys/fs/cgroup", "cgroup2", "cgroup2", ro | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err_w);
    }
}

static void vf_setup_run(const char *root, int err_w) {
    vf_mkdir_in(root, "/run", 0755, err_w);
    vf_mount_in(root, "/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=65536k", err_w);
    vf_mkdir_in(root, "/run/lock", 01777, err_w);
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, "/run/lock");
    if (chmod(p, 01777) != 0) vf_fail(err_w, "chmod", p);
}

static void vf_mount_root(const vf_guest_config *c, int passed_fd, int err_w) {
    const char *root = c->rootfs;
    if (c->new_user_ns) {
        // The template, idmapped by the parent, is stacked on the mount
        // point and the overlay mounted from inside the user namespace.
        if (passed_fd < 0) { errno = EBADF; vf_fail(err_w, "receive the idmapped template for", root); }
        if (syscall(SYS_move_mount, passed_fd, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) != 0)
            vf_fail(err_w, "attach the idmapped template on", root);
        close(passed_fd);
        if (mount("overlay", root, "overlay", MS_NODEV, c->overlay_userns_options) != 0)
            vf_fail(err_w, "mount overlay on", root);
    } else if (c->overlay_options) {
        if (mount("overlay", root, "overlay", MS_NODEV, c->overlay_options) != 0)
            vf_fail(err_w, "mount overlay on", root);
    } else if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) {
        vf_fail(err_w, "bind guest root", root);
    }
}

static void vf_guest_child(const vf_guest_config *c, int go_r, int err_w) __attribute__((noreturn));
static void vf_guest_child(const vf_guest_config *c, int go_r, int err_w) {
    vf_reset_signals();
    int passed_fd = -1;
    if (vf_recv_go(go_r, &passed_fd) != 1) _exit(126); // the parent gave up on us
    close(go_r);

    if (c->new_user_ns) vf_become_userns_root(err_w);
    if (setsid() < 0) vf_fail(err_w, "setsid", NULL);
    // The parent has moved us into the guest's cgroups: only now does a new
    // cgroup namespace get the right root.
    if (c->new_cgroup_ns && unshare(CLONE_NEWCGROUP) != 0) vf_fail(err_w, "unshare cgroup namespace", NULL);
    // Nothing we mount may propagate back to the host.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) vf_fail(err_w, "make mounts private", NULL);

    const char *root = c->rootfs;
    vf_mount_root(c, passed_fd, err_w);

    vf_mkdir_in(root, "/proc", 0555, err_w);
    vf_mount_in(root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err_w);
    vf_setup_sys(c, root, err_w);
    vf_setup_dev(root, c->console_path, c->new_user_ns, err_w);
    vf_proc_restrict(root, c->proc_readonly, c->proc_masked, err_w);
    vf_mkdir_in(root, "/tmp", 01777, err_w);
    if (c->run_tmpfs) vf_setup_run(root, err_w);

    if (c->hostname && sethostname(c->hostname, vf_strlen(c->hostname)) != 0)
        vf_fail(err_w, "set hostname", c->hostname);

    // pivot_root, not chroot: the old root is detached entirely, so no ".."
    // or open directory leads back to the host's tree.
    if (chdir(root) != 0) vf_fail(err_w, "chdir", root);
    if (syscall(SYS_pivot_root, ".", ".") != 0) vf_fail(err_w, "pivot_root into", root);
    if (umount2(".", MNT_DETACH) != 0) vf_fail(err_w, "detach the old root", NULL);
    if (chdir("/") != 0) vf_fail(err_w, "chdir /", NULL);

    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) vf_fail(err_w, "open /dev/null", NULL);
    if (dup2(null_fd, 0) < 0) vf_fail(err_w, "dup2 stdin", NULL);
    if (c->log_fd >= 0) {
        if (dup2(c->log_fd, 1) < 0 || dup2(c->log_fd, 2) < 0) vf_fail(err_w, "dup2 console log", NULL);
    }
    vf_mark_fds_cloexec();
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) vf_fail(err_w, "make init not dumpable until its exec", NULL);
    // Last, before the bound drops CAP_SYS_ADMIN: the filter would refuse
    // the mount calls above.
    int sr = vf_seccomp_install(c->seccomp);
    if (sr != 0) { errno = -sr; vf_fail(err_w, "install the guest's seccomp filter", NULL); }
    vf_drop_bounding(c->keep_caps, c->cap_last, err_w);
    if (!c->new_net && vf_landlock_scope_abstract_unix() < 0) vf_fail(err_w, "confine the guest's abstract unix sockets (Landlock)", NULL);

    execve(c->argv[0], (char *const *)c->argv, (char *const *)c->envp);
    vf_fail(err_w, "exec init", c->argv[0]);
}

pid_t vf_guest_clone(const vf_guest_config *config, int *go_fd, int *err_fd) {
    // The go channel is a socket: it can carry a descriptor with the byte.
    int go[2], er[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) return -1;
    if (pipe2(er, O_CLOEXEC) != 0) {
        int e = errno; close(go[0]); close(go[1]); errno = e;
        return -1;
    }
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
    if (config->new_net) flags |= CLONE_NEWNET;
    if (config->new_user_ns) flags |= CLONE_NEWUSER;

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = vf_raw_fork(flags);
    if (pid == 0) {
        close(go[1]);
        close(er[0]);
        vf_guest_child(config, go[0], er[1]);
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(go[0]);
    close(er[1]);
    if (pid < 0) {
        close(go[1]); close(er[0]);
        errno = e;
        return -1;
    }
    *go_fd = go[1];
    *err_fd = er[0];
    return pid;
}

static int vf_read_error(int err_fd, vf_child_error *error) {
    vf_child_error rec;
    size_t got = 0;
    while (got < sizeof rec) {
        ssize_t n = read(err_fd, (char *)&rec + got, sizeof rec - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(err_fd);
    if (got == 0) return 0;
    if (error) {
        if (got == sizeof rec) *error = rec;
        else { error->err = EIO; strcpy(error->what, "read the child's error report"); }
    }
    return -1;
}

int vf_child_release(int go_fd, int err_fd, vf_child_error *error) {
    return vf_child_release_passing(go_fd, -1, err_fd, error);
}

int vf_child_release_passing(int go_fd, int pass_fd, int err_fd, vf_child_error *error) {
    char go = 1;
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = { .iov_base = &go, .iov_len = 1 };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (pass_fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
    }
    ssize_t n;
    do { n = sendmsg(go_fd, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    close(go_fd);
    return vf_read_error(err_fd, error);
}

static int vf_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    if (n != (ssize_t)len) return n < 0 ? -e : -EIO;
    return 0;
}

int vf_write_id_maps(pid_t pid, unsigned host_base, unsigned count) {
    char path[64], map[64];
    snprintf(map, sizeof map, "0 %u %u\n", host_base, count);
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    int r = vf_write_file(path, map);
    if (r != 0) return r;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    return vf_write_file(path, map);
}

int vf_idmapped_tree(const char *path, pid_t pid) {
    char ns_path[64];
    snprintf(ns_path, sizeof ns_path, "/proc/%d/ns/user", (int)pid);
    int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return -errno;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC);
    if (tree < 0) { int e = errno; close(ns); return -e; }
    struct vf_mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = (uint64_t)ns;
    int r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
    int e = errno;
    close(ns);
    if (r != 0) { close(tree); return -e; }
    return tree;
}

void vf_child_abort(pid_t pid, int go_fd, int err_fd) {
    kill(pid, SIGKILL);
    close(go_fd);
    close(err_fd);
    vf_wait_status(pid);
}

// ---- exec inside a running guest ----------------------------------------

// Lowers this process's effective, permitted and inheritable sets to `keep`
// (the bounding set only limits what a later execve may gain).
static void vf_limit_caps(uint64_t keep, int err_fd) {
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) != 0) vf_fail(err_fd, "read capabilities", NULL);
    for (int i = 0; i < 2; i++) {
        uint32_t k = (uint32_t)(keep >> (32 * i));
        data[i].effective &= k;
        data[i].permitted &= k;
        data[i].inheritable &= k;
    }
    if (syscall(SYS_capset, &hdr, data) != 0) vf_fail(err_fd, "lower capabilities to the guest's bound", NULL);
}

static void vf_exec_command(const vf_exec_config *c, int err_w) __attribute__((noreturn));
static void vf_exec_command(const vf_exec_config *c, int err_w) {
    // If the helper is killed (an RPC timeout), the command goes with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (c->new_session && setsid() < 0) vf_fail(err_w, "setsid", NULL);
    if (c->controlling_tty && ioctl(0, TIOCSCTTY, 0) != 0) vf_fail(err_w, "make the terminal the command's controlling terminal", NULL);

    const char *file = c->argv[0];
    int has_slash = 0;
    for (const char *q = file; *q; q++) if (*q == '/') has_slash = 1;
    if (has_slash || !c->search_path) {
        execve(file, (char *const *)c->argv, (char *const *)c->envp);
        vf_fail(err_w, "exec", file);
    }
    // PATH search inside the guest, like execvp but without malloc.
    int saw_eacces = 0;
    const char *p = c->search_path;
    while (*p) {
        char cand[PATH_MAX];
        size_t n = 0;
        while (p[n] && p[n] != ':') n++;
        if (n > 0 && n + vf_strlen(file) + 2 < sizeof cand) {
            memcpy(cand, p, n);
            cand[n] = 0;
            vf_append(cand, sizeof cand, "/");
            vf_append(cand, sizeof cand, file);
            execve(cand, (char *const *)c->argv, (char *const *)c->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) vf_fail(err_w, "exec", cand);
        }
        p += n;
        if (*p == ':') p++;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    vf_fail(err_w, "find command in the guest's PATH:", file);
}

// The helper becomes a guest process in every respect but its pid
// namespace (setns(pid) applies only to children) *before* it forks the
// command: a process appears in the guest's pid namespace already in the
// guest's cgroups, mount namespace and root, with the guest's bound and
// capabilities, its seccomp filter, not dumpable, and holding no
// descriptor of the host's but the command's stdio and the error pipe.
// Nothing the guest's root can ptrace or read through /proc ever holds
// more than the guest itself.
static void vf_exec_helper(const vf_exec_config *c, int err_w) __attribute__((noreturn));
static void vf_exec_helper(const vf_exec_config *c, int err_w) {
    // A command entered from outside goes before the guest's own processes
    // when the guest runs out of memory (init and its services inherit a
    // lower value); raising needs no privilege. Best effort, and here: once
    // in the guest's mount namespace, /proc is the guest's, where this
    // process (outside its pid namespace) has no /proc/self.
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        ssize_t unused = write(oom, "500", 3);
        (void)unused;
        close(oom);
    }
    for (int i = 0; i < c->ns_count; i++) {
        if (setns(c->ns_fds[i], 0) != 0) vf_fail(err_w, "join a namespace of the guest", NULL);
    }
    if (c->become_userns_root) vf_become_userns_root(err_w);
    // The command is born in the guest's cgroups; its limits (pids among
    // them) count it from its first instant.
    for (int i = 0; i < c->cgroup_count; i++) {
        if (write(c->cgroup_fds[i], "0", 1) != 1) vf_fail(err_w, "join the guest's cgroup", NULL);
    }
    // A guest on the host's network gets its init's Landlock scope for
    // abstract unix sockets (the namespace fds tell which; still open here,
    // and CAP_SYS_ADMIN still held).
    if (vf_landlock_scope_entered(c->ns_fds, c->ns_count) < 0) vf_fail(err_w, "confine the command's abstract unix sockets (Landlock)", NULL);
    // Keep only the command's stdio (0-2) and the error pipe (3).
    int e = fcntl(err_w, F_DUPFD_CLOEXEC, 10);
    if (e < 0) vf_fail(err_w, "keep the error pipe", NULL);
    err_w = e;
    if (c->stdin_fd >= 0 && dup2(c->stdin_fd, 0) < 0) vf_fail(err_w, "dup2 stdin", NULL);
    if (c->stdout_fd >= 0 && dup2(c->stdout_fd, 1) < 0) vf_fail(err_w, "dup2 stdout", NULL);
    if (c->stderr_fd >= 0 && dup2(c->stderr_fd, 2) < 0) vf_fail(err_w, "dup2 stderr", NULL);
    if (dup3(err_w, 3, O_CLOEXEC) < 0) vf_fail(err_w, "keep the error pipe", NULL);
    err_w = 3;
    if (syscall(SYS_close_range, 4U, ~0U, 0) != 0) {
        for (int fd = 4; fd < 1024; fd++) close(fd);
    }
    for (int fd = 0; fd <= 2; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    if (chdir(c->cwd ? c->cwd : "/") != 0 && chdir("/") != 0) vf_fail(err_w, "chdir", c->cwd);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) vf_fail(err_w, "make the command not dumpable", NULL);
    // Installing a filter without no_new_privs needs CAP_SYS_ADMIN: before the drop.
    int sr = vf_seccomp_install(c->seccomp);
    if (sr != 0) { errno = -sr; vf_fail(err_w, "install the guest's seccomp filter", NULL); }
    vf_drop_bounding(c->keep_caps, c->cap_last, err_w);
    vf_limit_caps(c->keep_caps, err_w);

    pid_t cmd = vf_raw_fork(0);
    if (cmd < 0) {
        if (errno == EAGAIN) vf_fail(err_w, "fork inside the guest (its pids limit is reached)", NULL);
        vf_fail(err_w, "fork inside the guest", NULL);
    }
    if (cmd == 0) vf_exec_command(c, err_w);
    // The helper only waits: holding the command's stdio (an RPC exec's
    // pipes) would keep the agent from seeing its output end.
    for (int fd = 0; fd <= 3; fd++) close(fd);
    int status = vf_wait_status(cmd);
    _exit(status < 0 ? 127 : status);
}

pid_t vf_exec_spawn(const vf_exec_config *config, int *err_fd) {
    int er[2];
    if (pipe2(er, O_CLOEXEC) != 0) return -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = vf_raw_fork(0);
    if (pid == 0) {
        close(er[0]);
        vf_reset_signals();
        // The helper outlives a ^C meant for the command and relays its status.
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        vf_exec_helper(config, er[1]);
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(er[1]);
    if (pid < 0) { close(er[0]); errno = e; return -1; }
    *err_fd = er[0];
    return pid;
}

int vf_exec_wait_started(int err_fd, vf_child_error *error) {
    return vf_read_error(err_fd, error);
}

// ---- small helpers -------------------------------------------------------

int vf_wait_status(pid_t pid) {
    int status = 0;
    pid_t r;
    do { r = waitpid(pid, &status, 0); } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

int vf_try_wait(pid_t pid, int *status) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (status) {
        if (WIFEXITED(st)) *status = WEXITSTATUS(st);
        else if (WIFSIGNALED(st)) *status = 128 + WTERMSIG(st);
        else *status = -1;
    }
    return 1;
}

int vf_pty_open(char *path, size_t path_cap, int *slave_fd, long long owner) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, path, path_cap) != 0) {
        int e = errno; close(m); return -e;
    }
    int s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) { int e = errno; close(m); return -e; }
    if (owner >= 0 && fchown(s, (uid_t)owner, (gid_t)owner) != 0) {
        int e = errno; close(s); close(m); return -e;
    }
    *slave_fd = s;
    return m;
}

int vf_console_open(char *path, size_t path_cap, int *slave_fd, long long owner) {
    int m = vf_pty_open(path, path_cap, slave_fd, owner);
    if (m < 0) return m;
    // Raw: no echo, no line editing; what the guest writes is what is logged.
    struct termios tio;
    if (tcgetattr(m, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(m, TCSANOW, &tio);
    }
    return m;
}

// The log's cap (see vf_console_logger). Set once in the logger process.
static const char *vf_log_path;
static long long vf_log_max;
static int vf_log_keep;
static long long vf_log_size;

// PATH.N, or PATH itself for n == 0.
static void vf_log_name(char *out, size_t cap, int n) {
    out[0] = 0;
    vf_append(out, cap, vf_log_path);
    if (n <= 0) return;
    char digits[12];
    int i = (int)sizeof digits - 1;
    digits[i] = 0;
    do { digits[--i] = (char)('0' + n % 10); n /= 10; } while (n > 0 && i > 0);
    vf_append(out, cap, ".");
    vf_append(out, cap, digits + i);
}

// The log reached its cap: PATH.1 … PATH.keep are the older parts (the
// oldest is dropped), PATH starts empty. With keep 0 the log is emptied.
static void vf_log_rotate(void) {
    if (vf_log_keep > 0 && vf_log_path) {
        char from[PATH_MAX], to[PATH_MAX];
        for (int n = vf_log_keep; n >= 1; n--) {
            vf_log_name(from, sizeof from, n - 1);
            vf_log_name(to, sizeof to, n);
            rename(from, to);
        }
        int fd = open(vf_log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
    } else if (ftruncate(1, 0) != 0) {
        return;
    }
    vf_log_size = 0;
}

// Writes what was read, without the \r a terminal puts before \n. A full
// disk loses log lines; it never blocks the guest. Never more than the cap
// per file: what a guest prints cannot fill the host's disk.
static void vf_log_console(const char *in, ssize_t n) {
    char out[65536];
    size_t m = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n') continue;
        out[m++] = in[i];
    }
    size_t done = 0;
    while (done < m) {
        if (vf_log_max > 0 && vf_log_size >= vf_log_max) vf_log_rotate();
        size_t chunk = m - done;
        if (vf_log_max > 0 && (long long)chunk > vf_log_max - vf_log_size) chunk = (size_t)(vf_log_max - vf_log_size);
        ssize_t w = write(1, out + done, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        done += (size_t)w;
        vf_log_size += w;
    }
}

// fd 0: the pty master; fd 1: the log; fd 3: the slave, held so that the
// console never hangs up while processes close and reopen it (an init
// does); fd 4: a pidfd of the guest's init. Runs until init is gone, then
// copies what is left.
static void vf_copy_console(int have_pidfd) __attribute__((noreturn));
static void vf_copy_console(int have_pidfd) {
    char in[65536];
    struct stat st;
    vf_log_size = fstat(1, &st) == 0 ? (long long)st.st_size : 0;
    for (;;) {
        struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = 4, .events = POLLIN } };
        int r = poll(fds, have_pidfd ? 2 : 1, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) _exit(1);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(0, in, sizeof in);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) _exit(0);        // EIO: nobody holds the guest's side any more
            vf_log_console(in, n);
            continue;
        }
        if (have_pidfd && (fds[1].revents & POLLIN)) {
            fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
            for (;;) {
                ssize_t n = read(0, in, sizeof in);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) _exit(0);
                vf_log_console(in, n);
            }
        }
    }
}

pid_t vf_console_logger(int master_fd, int slave_fd, int log_fd, pid_t init_pid,
                        const char *log_path, long long max_bytes, int keep_files) {
    // Opened here: the grandchild is not init's parent, but a pidfd works for any process.
    int pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { int e = errno; if (pidfd >= 0) close(pidfd); return -e; }
    pid_t child = fork();
    if (child < 0) { int e = errno; if (pidfd >= 0) close(pidfd); close(report[0]); close(report[1]); return -e; }
    if (child == 0) {
        if (setsid() < 0) _exit(127);
        pid_t grandchild = fork();
        if (grandchild != 0) {
            // Tell the caller who the logger is, so that stop can wait for its last lines.
            ssize_t unused = write(report[1], &grandchild, sizeof grandchild);
            (void)unused;
            _exit(grandchild < 0 ? 127 : 0);
        }
        prctl(PR_SET_NAME, "vfleet-console", 0, 0, 0);
        vf_log_path = log_path;           // the caller's memory, copied with the process
        vf_log_max = max_bytes;
        vf_log_keep = keep_files < 0 ? 0 : keep_files;
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd < 0) _exit(127);
        // Move everything above 4 first so the dup2s below cannot clobber it.
        int m = fcntl(master_fd, F_DUPFD, 10), l = fcntl(log_fd, F_DUPFD, 10), s = fcntl(slave_fd, F_DUPFD, 10);
        int p = pidfd >= 0 ? fcntl(pidfd, F_DUPFD, 10) : -1;
        int n = fcntl(null_fd, F_DUPFD, 10);
        if (m < 0 || l < 0 || s < 0 || n < 0) _exit(127);
        if (dup2(m, 0) < 0 || dup2(l, 1) < 0 || dup2(n, 2) < 0 || dup2(s, 3) < 0) _exit(127);
        if (p >= 0 && dup2(p, 4) < 0) _exit(127);
        syscall(SYS_close_range, p >= 0 ? 5U : 4U, ~0U, 0);
        for (int fd = 0; fd <= 4; fd++) fcntl(fd, F_SETFD, 0);
        vf_reset_signals();
        // Without a pidfd (Linux before 5.3) the slave is not held: the
        // logger ends at the first moment nobody has the console open.
        if (p < 0) close(3);
        vf_copy_console(p >= 0);
    }
    if (pidfd >= 0) close(pidfd);
    close(report[1]);
    pid_t logger = -1;
    ssize_t got;
    do { got = read(report[0], &logger, sizeof logger); } while (got < 0 && errno == EINTR);
    close(report[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || got != sizeof logger || logger <= 0) return -ECHILD;
    return logger;
}

int vf_syncfs(int fd) {
    return syncfs(fd) == 0 ? 0 : -errno;
}

int vf_set_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int vf_clone_flag(const char *name) {
    if (!strcmp(name, "pid")) return CLONE_NEWPID;
    if (!strcmp(name, "mnt")) return CLONE_NEWNS;
    if (!strcmp(name, "uts")) return CLONE_NEWUTS;
    if (!strcmp(name, "ipc")) return CLONE_NEWIPC;
    if (!strcmp(name, "net")) return CLONE_NEWNET;
    if (!strcmp(name, "cgroup")) return CLONE_NEWCGROUP;
    if (!strcmp(name, "user")) return CLONE_NEWUSER;
    if (!strcmp(name, "time")) return CLONE_NEWTIME;
    return 0;
}

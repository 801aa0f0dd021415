// See fleet_shim.h. Everything that runs in a child here is async-signal-safe:
// raw system calls and our own string helpers, no malloc, no stdio, no locks.
#define _GNU_SOURCE
#include "fleet_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <limits.h>

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

static void vf_mknod_in(const char *root, const char *rel, unsigned maj, unsigned min, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (mknod(p, S_IFCHR | 0666, makedev(maj, min)) != 0) vf_fail(err_fd, "create device node", p);
    // mknod honours the umask; the nodes must be world-usable like on a host.
    if (chmod(p, 0666) != 0) vf_fail(err_fd, "chmod device node", p);
}

static void vf_symlink_in(const char *root, const char *target, const char *rel, int err_fd) {
    char p[PATH_MAX];
    vf_join(p, sizeof p, root, rel);
    if (symlink(target, p) != 0 && errno != EEXIST) vf_fail(err_fd, "create symlink", p);
}

static void vf_setup_dev(const char *root, const char *console, int err_fd) {
    vf_mkdir_in(root, "/dev", 0755, err_fd);
    vf_mount_in(root, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err_fd);
    vf_mknod_in(root, "/dev/null", 1, 3, err_fd);
    vf_mknod_in(root, "/dev/zero", 1, 5, err_fd);
    vf_mknod_in(root, "/dev/full", 1, 7, err_fd);
    vf_mknod_in(root, "/dev/random", 1, 8, err_fd);
    vf_mknod_in(root, "/dev/urandom", 1, 9, err_fd);
    vf_mknod_in(root, "/dev/tty", 5, 0, err_fd);
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

static void vf_guest_child(const vf_guest_config *c, int go_r, int err_w) __attribute__((noreturn));
static void vf_guest_child(const vf_guest_config *c, int go_r, int err_w) {
    vf_reset_signals();
    char go = 0;
    ssize_t n;
    do { n = read(go_r, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(126); // the parent gave up on us
    close(go_r);

    if (setsid() < 0) vf_fail(err_w, "setsid", NULL);
    // The parent has moved us into the guest's cgroups: only now does a new
    // cgroup namespace get the right root.
    if (c->new_cgroup_ns && unshare(CLONE_NEWCGROUP) != 0) vf_fail(err_w, "unshare cgroup namespace", NULL);
    // Nothing we mount may propagate back to the host.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) vf_fail(err_w, "make mounts private", NULL);

    const char *root = c->rootfs;
    if (c->overlay_options) {
        if (mount("overlay", root, "overlay", MS_NODEV, c->overlay_options) != 0)
            vf_fail(err_w, "mount overlay on", root);
    } else if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) {
        vf_fail(err_w, "bind guest root", root);
    }

    vf_mkdir_in(root, "/proc", 0555, err_w);
    vf_mount_in(root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err_w);
    vf_mkdir_in(root, "/sys", 0555, err_w);
    vf_mount_in(root, "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err_w);
    vf_setup_dev(root, c->console_path, err_w);
    vf_proc_restrict(root, c->proc_readonly, c->proc_masked, err_w);
    vf_mkdir_in(root, "/tmp", 01777, err_w);

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
    vf_drop_bounding(c->keep_caps, c->cap_last, err_w);

    execve(c->argv[0], (char *const *)c->argv, (char *const *)c->envp);
    vf_fail(err_w, "exec init", c->argv[0]);
}

pid_t vf_guest_clone(const vf_guest_config *config, int *go_fd, int *err_fd) {
    int go[2], er[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    if (pipe2(er, O_CLOEXEC) != 0) {
        int e = errno; close(go[0]); close(go[1]); errno = e;
        return -1;
    }
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
    if (config->new_net) flags |= CLONE_NEWNET;

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
    char go = 1;
    ssize_t n;
    do { n = write(go_fd, &go, 1); } while (n < 0 && errno == EINTR);
    close(go_fd);
    return vf_read_error(err_fd, error);
}

void vf_child_abort(pid_t pid, int go_fd, int err_fd) {
    kill(pid, SIGKILL);
    close(go_fd);
    close(err_fd);
    vf_wait_status(pid);
}

// ---- exec inside a running guest ----------------------------------------

static void vf_exec_grandchild(const vf_exec_config *c, int err_w) __attribute__((noreturn));
static void vf_exec_grandchild(const vf_exec_config *c, int err_w) {
    // If the helper is killed (an RPC timeout), the command goes with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Join the guest's cgroups here, not in the helper: only the command
    // counts as a process of the guest.
    for (int i = 0; i < c->cgroup_count; i++) {
        if (write(c->cgroup_fds[i], "0", 1) != 1) vf_fail(err_w, "join the guest's cgroup", NULL);
    }
    if (c->new_session && setsid() < 0) vf_fail(err_w, "setsid", NULL);
    if (c->stdin_fd >= 0 && dup2(c->stdin_fd, 0) < 0) vf_fail(err_w, "dup2 stdin", NULL);
    if (c->stdout_fd >= 0 && dup2(c->stdout_fd, 1) < 0) vf_fail(err_w, "dup2 stdout", NULL);
    if (c->stderr_fd >= 0 && dup2(c->stderr_fd, 2) < 0) vf_fail(err_w, "dup2 stderr", NULL);
    if (chdir(c->cwd ? c->cwd : "/") != 0 && chdir("/") != 0) vf_fail(err_w, "chdir", c->cwd);
    vf_mark_fds_cloexec();
    vf_drop_bounding(c->keep_caps, c->cap_last, err_w);

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
        for (int i = 0; i < config->ns_count; i++) {
            if (setns(config->ns_fds[i], 0) != 0) vf_fail(er[1], "join a namespace of the guest", NULL);
        }
        // setns(pid) only applies to children: the command is forked now.
        pid_t cmd = vf_raw_fork(0);
        if (cmd < 0) vf_fail(er[1], "fork inside the guest", NULL);
        if (cmd == 0) {
            signal(SIGINT, SIG_DFL);
            signal(SIGQUIT, SIG_DFL);
            vf_exec_grandchild(config, er[1]);
        }
        close(er[1]);
        // The helper only waits: holding the agent's descriptors (an RPC
        // exec's stdin pipe among them) would keep the command from seeing EOF.
        if (syscall(SYS_close_range, 3U, ~0U, 0) != 0) {
            for (int fd = 3; fd < 1024; fd++) close(fd);
        }
        int status = vf_wait_status(cmd);
        _exit(status < 0 ? 127 : status);
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

int vf_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int vf_spawn_detached(const char *path, char *const argv[]) {
    pid_t child = fork();
    if (child < 0) return -errno;
    if (child == 0) {
        // A session of its own, then a grandchild that belongs to nobody:
        // it outlives us and never holds a descriptor of ours (Foundation's
        // Process waits for its monitoring socket to close, for example).
        if (setsid() < 0) _exit(127);
        pid_t grandchild = fork();
        if (grandchild != 0) _exit(grandchild < 0 ? 127 : 0);
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd < 0) _exit(127);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        syscall(SYS_close_range, 3U, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(path, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -ECHILD;
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

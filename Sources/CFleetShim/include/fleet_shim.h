// The C half of vfleet's kernel layer.
//
// Swift is multi-threaded: after fork()/clone() only async-signal-safe C may
// run in the child. Everything that happens between the clone and the execve
// of a guest's init (or of a command entered into a guest) is here, and
// nothing else is. Errors from the child come back through a close-on-exec
// pipe as a fixed-size record; EOF on that pipe means execve succeeded.
#ifndef FLEET_SHIM_H
#define FLEET_SHIM_H

#include <stdint.h>
#include <sys/types.h>

// The socket filters of isolated guests; included here too so that a build
// that cached this module before that header existed sees it.
#include "fleet_sockfilter.h"
#include "fleet_seccomp.h"
#include "fleet_guestpath.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VF_MAX_NS 8
#define VF_MAX_CGROUPS 24
#define VF_ERR_TEXT 240

/// What failed in a child, sent over the error pipe.
typedef struct vf_child_error {
    int err;                      // errno of the failed call
    char what[VF_ERR_TEXT];       // the step, e.g. "mount overlay on /var/lib/vfleet/guests/web1/rootfs"
} vf_child_error;

/// Everything a new guest init needs. All strings are host paths unless
/// said otherwise; all pointers must stay valid until vf_guest_clone returns.
typedef struct vf_guest_config {
    const char *rootfs;            // mount point of the guest root (host path)
    const char *overlay_options;   // "lowerdir=…,upperdir=…,workdir=…"; NULL: bind rootfs onto itself
    const char *hostname;          // UTS name inside
    const char *console_path;      // host path bound onto /dev/console (the slave of the guest's console pty)
    int log_fd;                    // init's stdout and stderr (that pty's slave)
    int new_net;                   // 1: new network namespace (loopback only)
    int new_cgroup_ns;             // 1: unshare the cgroup namespace after joining the cgroups
    const char *const *argv;       // init argv; argv[0] is an absolute path inside the guest
    const char *const *envp;
    uint64_t keep_caps;            // bit n set: capability n stays in the bounding set
    int cap_last;                  // highest capability number of this kernel
    const char *const *proc_readonly; // paths under the guest's /proc made read-only (NULL-terminated)
    const char *const *proc_masked;   // paths under the guest's /proc hidden by /dev/null (NULL-terminated)
    // A user namespace of its own. The parent writes the id maps and sends
    // the template as an idmapped mount with the go byte; the child stacks
    // it on rootfs and mounts the overlay from inside the namespace with
    // overlay_userns_options ("lowerdir=ROOTFS,upperdir=…,workdir=…,userxattr").
    int new_user_ns;
    const char *overlay_userns_options;
    int run_tmpfs;                 // 1: tmpfs on /run with /run/lock (what an init expects)
    int mount_cgroup2;             // 1: the guest's own cgroup2 view on /sys/fs/cgroup
    const vf_seccomp_filter *seccomp; // installed just before init's execve; NULL: none
} vf_guest_config;

/// Clones the future init into new pid, mount, uts, ipc (and optionally
/// net) namespaces. The child waits until vf_guest_release; meanwhile the
/// caller moves it into its cgroups. Returns the child's pid (host view) or
/// -1 with errno set. On success *go_fd and *err_fd belong to the caller.
pid_t vf_guest_clone(const vf_guest_config *config, int *go_fd, int *err_fd);

/// Lets the cloned child continue and waits until it has exec'd init (0) or
/// failed (-1, *error filled). Closes both descriptors.
int vf_child_release(int go_fd, int err_fd, vf_child_error *error);

/// vf_child_release that also hands the child a descriptor (a user
/// namespace guest's idmapped template); pass_fd is not closed.
int vf_child_release_passing(int go_fd, int pass_fd, int err_fd, vf_child_error *error);

/// Writes "0 host_base count" to the uid and gid maps of pid's user namespace. 0 or -errno.
int vf_write_id_maps(pid_t pid, unsigned host_base, unsigned count);

/// A detached copy of the tree at path, idmapped through the user namespace
/// of pid (open_tree + mount_setattr). Returns the mount fd or -errno.
int vf_idmapped_tree(const char *path, pid_t pid);

/// Ends a cloned child that has not been released: SIGKILL, reap, close.
void vf_child_abort(pid_t pid, int go_fd, int err_fd);

/// A command to run inside a running guest.
typedef struct vf_exec_config {
    int ns_fds[VF_MAX_NS];         // namespace fds to join, in order (mnt last)
    int ns_count;
    int cgroup_fds[VF_MAX_CGROUPS];// open cgroup.procs files of the guest's cgroups
    int cgroup_count;
    const char *cwd;               // inside the guest
    const char *const *argv;       // argv[0] absolute, or searched in search_path
    const char *const *envp;
    const char *search_path;       // colon-separated dirs for a bare argv[0]
    uint64_t keep_caps;
    int cap_last;
    int stdin_fd, stdout_fd, stderr_fd; // -1: inherit
    int new_session;               // 1: setsid() (no controlling terminal)
    int controlling_tty;           // 1: after setsid, stdin (a pty slave) becomes the controlling terminal
    int become_userns_root;        // 1: the first fd is a user namespace; act as its root (uid/gid 0)
    const vf_seccomp_filter *seccomp; // the guest's filter; NULL: none
} vf_exec_config;

/// Forks a helper that joins the guest's namespaces and cgroups, keeps only
/// the command's stdio, becomes non-dumpable, installs the guest's seccomp
/// filter and drops to the guest's capabilities, and only then forks the
/// command inside the guest's pid namespace; the helper exits with the
/// command's status (exit code, or 128+signal). Returns the helper's pid, or -1.
/// *err_fd reports a failure before exec, as for vf_child_release.
pid_t vf_exec_spawn(const vf_exec_config *config, int *err_fd);

/// Reads the error pipe of vf_exec_spawn until EOF: 0 when the command was
/// exec'd, -1 with *error filled otherwise. Closes err_fd.
int vf_exec_wait_started(int err_fd, vf_child_error *error);

/// waitpid with EINTR retry. Returns the exit code, 128+signal, or -1.
int vf_wait_status(pid_t pid);

/// Non-blocking: 1 if pid has exited (status stored), 0 if running, -1 error.
int vf_try_wait(pid_t pid, int *status);

/// Opens a pseudo-terminal pair in raw mode for a guest's console: returns
/// the master (or -errno), with the slave opened in *slave_fd and its path
/// (/dev/pts/N) in path. With owner >= 0 the slave is chowned to it (a user
/// namespace guest's root). Both descriptors are close-on-exec.
int vf_console_open(char *path, size_t path_cap, int *slave_fd, long long owner);

/// vf_console_open without raw mode: a terminal for an interactive command.
int vf_pty_open(char *path, size_t path_cap, int *slave_fd, long long owner);

/// Starts the guest's console logger, detached (double fork, its own
/// session, no descriptor of ours but these): it copies what the guest
/// writes to its console (the pty master) to `log_fd` (opened O_APPEND on
/// `log_path`), dropping the \r a terminal puts before \n. It holds the
/// slave too, so the console never hangs up while an init closes and
/// reopens it, and ends when the guest's init (`init_pid`) has. With
/// `max_bytes` > 0 the log never grows past it: it is renamed to
/// log_path.1 (older parts to .2 … .keep_files, the oldest dropped) and
/// started anew, or with keep_files 0 emptied. Returns the logger's pid, or -errno.
pid_t vf_console_logger(int master_fd, int slave_fd, int log_fd, pid_t init_pid,
                        const char *log_path, long long max_bytes, int keep_files);

/// syncfs(2), which Glibc's Swift module does not export. 0 or -errno.
int vf_syncfs(int fd);

/// Makes this process a child subreaper (orphans of its children come to it).
int vf_set_subreaper(void);

/// Namespace clone flags that Glibc's Swift module does not export.
int vf_clone_flag(const char *name);

#ifdef __cplusplus
}
#endif

#endif

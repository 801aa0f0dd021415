// The default system call filter of a guest (seccomp, classic BPF).
//
// Modelled on the container runtimes' well-known defaults, but as a short
// deny list: everything is allowed except interfaces that reach the host
// kernel's shared state or that a guest has no business using (key rings,
// file handles, kexec, modules, bpf, perf, userfaultfd, io_uring, the new
// mount API, swap, accounting, the kernel log, the clock) and the creation
// of user namespaces (clone/unshare with CLONE_NEWUSER; clone3 answers
// ENOSYS so that libcs fall back to clone, whose flags a filter can read).
//
// The filter is built in the agent (ordinary code) and only installed in a
// child between fork and exec (one system call, async-signal-safe).
#ifndef FLEET_SECCOMP_H
#define FLEET_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VF_SECCOMP_MAX_INSNS 256

/// One classic BPF instruction (struct sock_filter's layout).
typedef struct vf_sock_filter {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
} vf_sock_filter;

/// A built filter; len 0 means "no filter".
typedef struct vf_seccomp_filter {
    unsigned short len;
    vf_sock_filter insns[VF_SECCOMP_MAX_INSNS];
} vf_seccomp_filter;

/// The pseudo rule for user namespace creation (clone/unshare with
/// CLONE_NEWUSER), allowed back by name like a system call.
#define VF_SECCOMP_NEWUSER "userns"

/// How many rules the default filter has (system calls, plus "userns").
int vf_seccomp_rule_count(void);

/// Rule i: its name (the system call's, or "userns"), its number on this
/// architecture (-1 for "userns"), the errno a guest gets (EPERM, or
/// ENOSYS where a libc or a program should fall back) and whether it
/// applies only to a guest in the host's user namespace (a per-user
/// kernel table it would share with host root; a user namespace guest is
/// charged as its own host user and keeps the call). 0 or -EINVAL.
int vf_seccomp_rule(int i, const char **name, long *nr, int *err, int *host_users_only);

/// Builds the default filter less the rules named in `allow`
/// (NULL-terminated, may be NULL). Unknown names: -EINVAL with the name
/// copied to `unknown`. Returns 0.
int vf_seccomp_build(vf_seccomp_filter *out, const char *const *allow, char *unknown, size_t unknown_cap);

/// Installs `filter` on the calling thread (seccomp(SECCOMP_SET_MODE_FILTER)),
/// for a child between fork and exec: needs CAP_SYS_ADMIN in its user
/// namespace (no_new_privs is not set, so set-uid programs keep working in
/// the guest). 0 or -errno. A NULL or empty filter installs nothing.
int vf_seccomp_install(const vf_seccomp_filter *filter);

/// 1 if this kernel filters system calls (CONFIG_SECCOMP_FILTER), else 0.
int vf_seccomp_available(void);

#ifdef __cplusplus
}
#endif

#endif

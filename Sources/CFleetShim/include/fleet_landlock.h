// Landlock scoping for guests: a guest's processes may not connect to
// abstract unix sockets made outside their own Landlock domain, that is by
// the host's processes (abstract sockets belong to a network namespace, and
// isolated and host-mode guests share the host's).
#ifndef FLEET_LANDLOCK_H
#define FLEET_LANDLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/// Puts the calling process (and every process it starts afterwards) in a
/// new Landlock domain scoped for abstract unix sockets
/// (LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, Landlock ABI 6, Linux 6.12).
/// Async-signal-safe (raw system calls only): for a child between fork and
/// exec. Needs CAP_SYS_ADMIN in the current user namespace (or
/// no_new_privs). Returns 0 when the process is confined, 1 when the kernel
/// cannot (Landlock missing, disabled, or older than ABI 6: nothing
/// changed), -errno when a step failed (errno is set too).
int vf_landlock_scope_abstract_unix(void);

/// For a command entered into a guest, after it joined the guest's
/// namespaces (`ns_fds`): vf_landlock_scope_abstract_unix, unless one of
/// them is a network namespace. A guest with a network namespace of its own
/// (private, none) has abstract socket names of its own, and neither its
/// init nor what enters it is scoped: a Landlock domain also forbids ptrace
/// and /proc/PID/{environ,fd,…} across domains, and the domains of init's
/// tree and of each entered command are siblings. Returns 1 when not scoped.
int vf_landlock_scope_entered(const int *ns_fds, int count);

/// The kernel's Landlock ABI version: 0 when Landlock is not built or not
/// enabled (not in the active LSMs), else 1, 2, … (6 scopes abstract unix
/// sockets). -errno on an unexpected failure.
int vf_landlock_abi(void);

/// The ABI that vf_landlock_scope_abstract_unix needs.
#define VF_LANDLOCK_SCOPE_ABI 6

#ifdef __cplusplus
}
#endif

#endif

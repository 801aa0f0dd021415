// Network isolation of a guest on the host's own network stack, the way
// Linux-VServer confined a context to its addresses: eight small cgroup BPF
// programs (cgroup/bind4, connect4, sendmsg4, bind6, connect6, sendmsg6,
// sock_create and cgroup_skb/ingress) attached to the guest's cgroup v2
// directory. They apply to every socket of every process in that cgroup and
// its descendants. Seven run only at socket(), bind(), connect() and
// unconnected UDP sendmsg() (sock_create refuses ICMP "ping" sockets, whose
// bind and send no hook sees); the ingress program runs for each packet a guest's socket
// receives and drops what is not addressed to the guest (a socket the
// kernel bound to the wildcard behind the hooks' back: listen() or a UDP
// send without bind()).
//
// The programs are assembled here by hand (no libbpf, no clang) because the
// only variable part is the address list, which is unrolled into compares
// when the program is generated.
//
// All functions return 0 (or a count) on success and -errno on failure; on
// failure `what` (if not NULL) names the step, e.g.
// "attach cgroup/bind4 to /sys/fs/cgroup/unified/vfleet/web1".
#ifndef FLEET_SOCKFILTER_H
#define FLEET_SOCKFILTER_H

#include <stddef.h>
#include <stdint.h>

// Also the module's other new headers, for builds that cached the module.
#include "fleet_landlock.h"
#include "fleet_nsowner.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Most addresses one guest may have.
#define VF_SOCKFILTER_MAX_ADDRS 16
/// Programs attached per guest (bind, connect, sendmsg for IPv4 and IPv6,
/// ingress and sock_create).
#define VF_SOCKFILTER_PROGRAMS 8

/// Loads the eight programs for `addrs` (IPv4, network byte order, 1 to
/// VF_SOCKFILTER_MAX_ADDRS, addrs[0] is the primary address) and attaches
/// them to the cgroup v2 directory `cgroup_fd` without BPF_F_ALLOW_OVERRIDE
/// or BPF_F_ALLOW_MULTI, so that no cgroup below can replace or add to them.
/// `path` is used only in error texts. When loading fails the verifier's
/// log goes to `log` (capacity `log_cap`, may be NULL/0). On failure every
/// program this call attached is detached again.
/// With VF_SOCKFILTER_BIND_SERVICE in `flags`, an allowed bind to a port
/// below 1024 needs no CAP_NET_BIND_SERVICE in the host's user namespace:
/// the guest has it in its own (a user namespace guest).
int vf_sockfilter_attach(int cgroup_fd, const char *path,
                         const uint32_t *addrs, int count, int flags,
                         char *what, size_t what_cap,
                         char *log, size_t log_cap);

#define VF_SOCKFILTER_BIND_SERVICE 1

/// Whether this kernel loads the eight programs (for `vfleet-agent check`):
/// each is loaded for an example address and freed at once, nothing is
/// attached. 0, or -errno with the step in `what` and the verifier's log.
int vf_sockfilter_probe(char *what, size_t what_cap, char *log, size_t log_cap);

/// For a user namespace guest on the host's network without a filter:
/// cgroup/bind4 and bind6 programs that allow every bind and waive the
/// CAP_NET_BIND_SERVICE check of the host's namespace for ports below 1024.
int vf_bind_service_attach(int cgroup_fd, const char *path, char *what, size_t what_cap, char *log, size_t log_cap);

/// Detaches every program attached directly to `cgroup_fd` on the eight
/// attach types above (whoever attached it). Returns how many it detached.
int vf_sockfilter_detach(int cgroup_fd, const char *path,
                         char *what, size_t what_cap);

/// How many programs are attached directly to `cgroup_fd` on the eight attach
/// types (BPF_PROG_QUERY; inherited programs are not counted).
int vf_sockfilter_count(int cgroup_fd, const char *path,
                        char *what, size_t what_cap);

#ifdef __cplusplus
}
#endif

#endif

// See fleet_seccomp.h. vf_seccomp_build runs in the agent; only
// vf_seccomp_install runs between fork and exec, and it is one system call.
#define _GNU_SOURCE
#include "fleet_seccomp.h"

#include <asm/unistd.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

#if defined(__x86_64__)
#define VF_AUDIT_ARCH AUDIT_ARCH_X86_64
#define VF_X32_BIT 0x40000000U
#elif defined(__aarch64__)
#define VF_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "vfleet's seccomp filter knows x86_64 and aarch64"
#endif

// The first flag argument of clone and unshare, as seccomp_data holds it.
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define VF_ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define VF_ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

typedef struct vf_rule {
    const char *name;
    long nr;       // -1: the user namespace rule
    int err;
    int host_users_only;  // see vf_seccomp_rule
} vf_rule;

// Numbers from the kernel's own headers (asm/unistd.h): libc's SYS_ list
// lags behind new system calls.
static const vf_rule vf_rules[] = {
#ifdef __NR_keyctl
    { "keyctl", __NR_keyctl, EPERM },
#endif
#ifdef __NR_add_key
    { "add_key", __NR_add_key, EPERM },
#endif
#ifdef __NR_request_key
    { "request_key", __NR_request_key, EPERM },
#endif
#ifdef __NR_open_by_handle_at
    { "open_by_handle_at", __NR_open_by_handle_at, EPERM },
#endif
#ifdef __NR_kexec_load
    { "kexec_load", __NR_kexec_load, EPERM },
#endif
#ifdef __NR_kexec_file_load
    { "kexec_file_load", __NR_kexec_file_load, EPERM },
#endif
#ifdef __NR_bpf
    { "bpf", __NR_bpf, EPERM },
#endif
#ifdef __NR_perf_event_open
    { "perf_event_open", __NR_perf_event_open, EPERM },
#endif
#ifdef __NR_userfaultfd
    { "userfaultfd", __NR_userfaultfd, EPERM },
#endif
#ifdef __NR_init_module
    { "init_module", __NR_init_module, EPERM },
#endif
#ifdef __NR_finit_module
    { "finit_module", __NR_finit_module, EPERM },
#endif
#ifdef __NR_delete_module
    { "delete_module", __NR_delete_module, EPERM },
#endif
#ifdef __NR_acct
    { "acct", __NR_acct, EPERM },
#endif
#ifdef __NR_swapon
    { "swapon", __NR_swapon, EPERM },
#endif
#ifdef __NR_swapoff
    { "swapoff", __NR_swapoff, EPERM },
#endif
#ifdef __NR_iopl
    { "iopl", __NR_iopl, EPERM },
#endif
#ifdef __NR_ioperm
    { "ioperm", __NR_ioperm, EPERM },
#endif
#ifdef __NR_lookup_dcookie
    { "lookup_dcookie", __NR_lookup_dcookie, EPERM },
#endif
#ifdef __NR_quotactl
    { "quotactl", __NR_quotactl, EPERM },
#endif
#ifdef __NR_quotactl_fd
    { "quotactl_fd", __NR_quotactl_fd, EPERM },
#endif
#ifdef __NR_nfsservctl
    { "nfsservctl", __NR_nfsservctl, EPERM },
#endif
#ifdef __NR_uselib
    { "uselib", __NR_uselib, EPERM },
#endif
#ifdef __NR__sysctl
    { "_sysctl", __NR__sysctl, EPERM },
#endif
#ifdef __NR_settimeofday
    { "settimeofday", __NR_settimeofday, EPERM },
#endif
#ifdef __NR_clock_settime
    { "clock_settime", __NR_clock_settime, EPERM },
#endif
#ifdef __NR_syslog
    { "syslog", __NR_syslog, EPERM },
#endif
#ifdef __NR_io_uring_setup
    { "io_uring_setup", __NR_io_uring_setup, EPERM },
#endif
#ifdef __NR_io_uring_enter
    { "io_uring_enter", __NR_io_uring_enter, EPERM },
#endif
#ifdef __NR_io_uring_register
    { "io_uring_register", __NR_io_uring_register, EPERM },
#endif
#ifdef __NR_clone3
    { "clone3", __NR_clone3, ENOSYS },
#endif
#ifdef __NR_fsopen
    { "fsopen", __NR_fsopen, ENOSYS },
#endif
#ifdef __NR_fsconfig
    { "fsconfig", __NR_fsconfig, ENOSYS },
#endif
#ifdef __NR_fsmount
    { "fsmount", __NR_fsmount, ENOSYS },
#endif
#ifdef __NR_fspick
    { "fspick", __NR_fspick, ENOSYS },
#endif
#ifdef __NR_move_mount
    { "move_mount", __NR_move_mount, ENOSYS },
#endif
#ifdef __NR_open_tree
    { "open_tree", __NR_open_tree, ENOSYS },
#endif
#ifdef __NR_mount_setattr
    { "mount_setattr", __NR_mount_setattr, ENOSYS },
#endif
    // inotify instances and watches are counted per (user namespace, uid):
    // without a user namespace a guest's root draws on host root's 128
    // instances, and no cgroup counts them. ENOSYS: tail, systemd's tools
    // and file watchers fall back to polling.
#ifdef __NR_inotify_init
    { "inotify_init", __NR_inotify_init, ENOSYS, 1 },
#endif
#ifdef __NR_inotify_init1
    { "inotify_init1", __NR_inotify_init1, ENOSYS, 1 },
#endif
    { VF_SECCOMP_NEWUSER, -1, EPERM },
};

#define VF_RULES ((int)(sizeof vf_rules / sizeof vf_rules[0]))

int vf_seccomp_rule_count(void) { return VF_RULES; }

int vf_seccomp_rule(int i, const char **name, long *nr, int *err, int *host_users_only) {
    if (i < 0 || i >= VF_RULES) return -EINVAL;
    if (name) *name = vf_rules[i].name;
    if (nr) *nr = vf_rules[i].nr;
    if (err) *err = vf_rules[i].err;
    if (host_users_only) *host_users_only = vf_rules[i].host_users_only;
    return 0;
}

static void put(vf_seccomp_filter *f, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
    if (f->len >= VF_SECCOMP_MAX_INSNS) { f->len = VF_SECCOMP_MAX_INSNS + 1; return; }
    vf_sock_filter *i = &f->insns[f->len++];
    i->code = code;
    i->jt = jt;
    i->jf = jf;
    i->k = k;
}

static uint32_t errno_ret(int err) { return SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA); }

static int allowed_by_name(const char *name, const char *const *allow) {
    if (!allow) return 0;
    for (const char *const *a = allow; *a; a++) if (strcmp(*a, name) == 0) return 1;
    return 0;
}

int vf_seccomp_build(vf_seccomp_filter *out, const char *const *allow, char *unknown, size_t unknown_cap) {
    memset(out, 0, sizeof *out);
    for (const char *const *a = allow; a && *a; a++) {
        int known = 0;
        for (int i = 0; i < VF_RULES; i++) if (strcmp(vf_rules[i].name, *a) == 0) known = 1;
        if (!known) {
            if (unknown && unknown_cap) {
                strncpy(unknown, *a, unknown_cap - 1);
                unknown[unknown_cap - 1] = 0;
            }
            return -EINVAL;
        }
    }
    // Another ABI (i386 or x32 binaries on x86_64) has other numbers: none of
    // its calls are let through rather than a second list kept in step.
    put(out, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    put(out, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, VF_AUDIT_ARCH);
    put(out, BPF_RET | BPF_K, 0, 0, errno_ret(ENOSYS));
    put(out, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
#ifdef VF_X32_BIT
    put(out, BPF_JMP | BPF_JGE | BPF_K, 0, 1, VF_X32_BIT);
    put(out, BPF_RET | BPF_K, 0, 0, errno_ret(ENOSYS));
#endif
    // Below the lowest number the filter refuses, every call is let
    // through at once: read, write, close, poll, mmap and most of what a
    // busy service makes never walk the list.
    long lowest = -1;
    for (int i = 0; i < VF_RULES; i++) {
        if (allowed_by_name(vf_rules[i].name, allow)) continue;
        long nr = vf_rules[i].nr < 0 ? (__NR_clone < __NR_unshare ? __NR_clone : __NR_unshare) : vf_rules[i].nr;
        if (lowest < 0 || nr < lowest) lowest = nr;
    }
    if (lowest > 0) {
        put(out, BPF_JMP | BPF_JGE | BPF_K, 1, 0, (uint32_t)lowest);
        put(out, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    }
    int deny_newuser = 0;
    for (int i = 0; i < VF_RULES; i++) {
        if (allowed_by_name(vf_rules[i].name, allow)) continue;
        if (vf_rules[i].nr < 0) { deny_newuser = 1; continue; }
        put(out, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)vf_rules[i].nr);
        put(out, BPF_RET | BPF_K, 0, 0, errno_ret(vf_rules[i].err));
    }
    if (deny_newuser) {
        // clone and unshare both take their flags first; the accumulator
        // holds the number until the argument is loaded, so each test
        // ends in a return.
        const long calls[] = { __NR_clone, __NR_unshare };
        for (int c = 0; c < 2; c++) {
            put(out, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (uint32_t)calls[c]);
            put(out, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)VF_ARG0_LOW);
            put(out, BPF_JMP | BPF_JSET | BPF_K, 0, 1, CLONE_NEWUSER);
            put(out, BPF_RET | BPF_K, 0, 0, errno_ret(EPERM));
            put(out, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
        }
    }
    put(out, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    if (out->len > VF_SECCOMP_MAX_INSNS) { out->len = 0; return -E2BIG; }
    return 0;
}

int vf_seccomp_install(const vf_seccomp_filter *filter) {
    if (!filter || filter->len == 0) return 0;
    _Static_assert(sizeof(vf_sock_filter) == sizeof(struct sock_filter), "vf_sock_filter must be struct sock_filter");
    struct sock_fprog prog = { .len = filter->len, .filter = (struct sock_filter *)(void *)filter->insns };
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return -errno;
    return 0;
}

int vf_seccomp_available(void) {
    // EFAULT for a NULL program means the kernel would have taken a filter.
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) == 0) return 1;
    return errno == EFAULT ? 1 : 0;
}

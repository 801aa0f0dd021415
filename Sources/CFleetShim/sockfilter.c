// See fleet_sockfilter.h. This file runs in the agent's own (multi-threaded)
// process, never between fork and exec, so stdio's snprintf is fine here.
#define _GNU_SOURCE
#include "fleet_sockfilter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// ---- a tiny eBPF assembler -------------------------------------------------
//
// Only what the programs need: 32-bit context loads and stores, stores of
// immediates to the stack, 32-bit compares with forward jumps to labels,
// helper calls and exit. Jumps name a label; offsets are patched at the end.

#define VF_MAX_INSNS 160
#define VF_MAX_LABELS 8
#define VF_MAX_FIXUPS 64

typedef struct vf_prog {
    struct bpf_insn insn[VF_MAX_INSNS];
    int len;
    int broken;                         // too long, or a label misused
    int label_at[VF_MAX_LABELS];        // instruction index of each label, -1: not placed
    int fix_insn[VF_MAX_FIXUPS];        // jumps waiting for their label
    int fix_label[VF_MAX_FIXUPS];
    int fixups;
} vf_prog;

static void prog_init(vf_prog *p) {
    memset(p, 0, sizeof *p);
    for (int i = 0; i < VF_MAX_LABELS; i++) p->label_at[i] = -1;
}

static void emit(vf_prog *p, int code, int dst, int src, int16_t off, int32_t imm) {
    if (p->len >= VF_MAX_INSNS || dst < 0 || dst > 10 || src < 0 || src > 10) {
        p->broken = 1;
        return;
    }
    struct bpf_insn *i = &p->insn[p->len++];
    memset(i, 0, sizeof *i);
    i->code = (uint8_t)code;
    i->dst_reg = (uint8_t)(dst & 0x0f);
    i->src_reg = (uint8_t)(src & 0x0f);
    i->off = off;
    i->imm = imm;
}

// Addresses and masks are u32 bit patterns in network byte order; BPF
// immediates are s32. The cast keeps the bits (JMP32/ALU32 use only 32 bits,
// so no sign extension can change a compare).
static int32_t bits(uint32_t v) {
    int32_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}

// dst = src (64-bit; used to keep the context pointer in callee-saved r6)
static void mov64_reg(vf_prog *p, int dst, int src) { emit(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
// dst = imm (64-bit, sign-extended; only for small values such as lengths)
static void mov64_imm(vf_prog *p, int dst, int32_t imm) { emit(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
// dst = (u32)imm, upper half zeroed: an address stays an unsigned 32-bit value
static void mov32_imm(vf_prog *p, int dst, uint32_t imm) { emit(p, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, bits(imm)); }
static void mov32_reg(vf_prog *p, int dst, int src) { emit(p, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
static void and32_imm(vf_prog *p, int dst, uint32_t imm) { emit(p, BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, bits(imm)); }
static void add64_imm(vf_prog *p, int dst, int32_t imm) { emit(p, BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm); }
// dst = *(u32 *)(src + off)
static void ldx_w(vf_prog *p, int dst, int src, size_t off) { emit(p, BPF_LDX | BPF_MEM | BPF_W, dst, src, (int16_t)off, 0); }
// dst = *(u64 *)(src + off): a pointer field of the context
static void ldx_dw(vf_prog *p, int dst, int src, size_t off) { emit(p, BPF_LDX | BPF_MEM | BPF_DW, dst, src, (int16_t)off, 0); }
// *(u32 *)(dst + off) = src. Context fields are written from a register:
// verifiers before Linux 6.3 refuse BPF_ST (store immediate) into the
// context ("BPF_ST stores into R6 ctx is not allowed"); Debian 12 ships 6.1.
static void stx_w(vf_prog *p, int dst, size_t off, int src) { emit(p, BPF_STX | BPF_MEM | BPF_W, dst, src, (int16_t)off, 0); }
// *(u32 *)(dst + off) = imm; used for the stack only
static void st_w(vf_prog *p, int dst, int16_t off, uint32_t imm) { emit(p, BPF_ST | BPF_MEM | BPF_W, dst, 0, off, bits(imm)); }
static void call(vf_prog *p, int32_t helper) { emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
static void exit_insn(vf_prog *p) { emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

static void fixup(vf_prog *p, int label) {
    if (label < 0 || label >= VF_MAX_LABELS || p->fixups >= VF_MAX_FIXUPS || p->len == 0) {
        p->broken = 1;
        return;
    }
    p->fix_insn[p->fixups] = p->len - 1;
    p->fix_label[p->fixups] = label;
    p->fixups++;
}

// if ((u32)dst <op> (u32)imm) goto label
static void jmp32_imm(vf_prog *p, int op, int dst, uint32_t imm, int label) {
    emit(p, BPF_JMP32 | op | BPF_K, dst, 0, 0, bits(imm));
    fixup(p, label);
}

static void ja(vf_prog *p, int label) {
    emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
    fixup(p, label);
}

static void place(vf_prog *p, int label) {
    if (label < 0 || label >= VF_MAX_LABELS || p->label_at[label] >= 0) {
        p->broken = 1;
        return;
    }
    p->label_at[label] = p->len;
}

// Patches jump offsets (relative to the next instruction). Returns 0, or -1.
static int finish(vf_prog *p) {
    for (int f = 0; f < p->fixups && !p->broken; f++) {
        int target = p->label_at[p->fix_label[f]];
        if (target < 0) p->broken = 1;
        else p->insn[p->fix_insn[f]].off = (int16_t)(target - (p->fix_insn[f] + 1));
    }
    return p->broken ? -1 : 0;
}

// ---- the programs ------------------------------------------------------------

enum { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
enum { L_ALLOW, L_DENY, L_REWRITE, L_MAPPED, L_BIND, L_SOURCE };

#define CTX_IP4 offsetof(struct bpf_sock_addr, user_ip4)
#define CTX_SRC4 offsetof(struct bpf_sock_addr, msg_src_ip4)
#define CTX_SK offsetof(struct bpf_sock_addr, sk)
#define SK_SRC4 offsetof(struct bpf_sock, src_ip4)
#define CTX_IP6(word) (offsetof(struct bpf_sock_addr, user_ip6) + (word) * sizeof(uint32_t))

typedef struct vf_addrs {
    const uint32_t *a;      // network byte order
    int n;
    int bind_allow;         // what an allowed bind returns: 1, or 3 to waive CAP_NET_BIND_SERVICE
} vf_addrs;

// 127.0.0.0/8 as (mask, value) in network byte order.
static uint32_t lo_mask(void) { return htonl(0xff000000u); }
static uint32_t lo_net(void) { return htonl(0x7f000000u); }
// Word 2 of a v4-mapped IPv6 address ::ffff:a.b.c.d, and word 3 of ::1.
static uint32_t mapped_word(void) { return htonl(0x0000ffffu); }
static uint32_t one_word(void) { return htonl(1u); }

// if reg is one of the guest's addresses goto label (unrolled).
static void jump_if_allowed(vf_prog *p, int reg, vf_addrs A, int label) {
    for (int i = 0; i < A.n; i++) jmp32_imm(p, BPF_JEQ, reg, A.a[i], label);
}

// if reg (an IPv4 address) is in 127.0.0.0/8 goto label; clobbers scratch.
static void jump_if_loopback(vf_prog *p, int reg, int scratch, int label) {
    mov32_reg(p, scratch, reg);
    and32_imm(p, scratch, lo_mask());
    jmp32_imm(p, BPF_JEQ, scratch, lo_net(), label);
}

static void allow_and_deny_tails_returning(vf_prog *p, int with_deny, int allow) {
    place(p, L_ALLOW);
    mov64_imm(p, R0, allow);
    exit_insn(p);
    if (with_deny) {
        place(p, L_DENY);
        mov64_imm(p, R0, 0);
        exit_insn(p);
    }
}

// Fall-through denies; L_ALLOW and L_DENY both placed.
static void allow_and_deny_tails_then_deny(vf_prog *p) {
    place(p, L_DENY);
    mov64_imm(p, R0, 0);
    exit_insn(p);
    place(p, L_ALLOW);
    mov64_imm(p, R0, 1);
    exit_insn(p);
}

static void allow_and_deny_tails(vf_prog *p, int with_deny) {
    allow_and_deny_tails_returning(p, with_deny, 1);
}

// Calls bpf_bind(ctx, sa, len) with the socket address `sa` copied onto the
// stack word by word (the helper may only read initialised stack memory).
// ctx must be in r6. The helper's result is ignored: it fails harmlessly
// when the socket is already bound, and bind4/bind6 have already limited
// what it may be bound to.
static void call_bind(vf_prog *p, const void *sa, size_t len) {
    uint32_t words[8];
    size_t n = (len + 3) / 4;
    if (len > sizeof words) {
        p->broken = 1;
        return;
    }
    memset(words, 0, sizeof words);
    memcpy(words, sa, len);
    int16_t base = (int16_t)-(int16_t)(n * 4);
    for (size_t i = 0; i < n; i++) st_w(p, R10, (int16_t)(base + (int16_t)(i * 4)), words[i]);
    mov64_reg(p, R1, R6);
    mov64_reg(p, R2, R10);
    add64_imm(p, R2, base);
    mov64_imm(p, R3, (int32_t)len);
    call(p, BPF_FUNC_bind);
}

// After call_bind: a socket still bound to the wildcard was bound before,
// without the bind hook: a UDP socket the kernel autobound when it sent a
// datagram unconnected (inet_autobind binds a port, no address). bpf_bind
// cannot rebind it, and connect() would take the route's source, an address
// of the host's; refuse the connect instead (EPERM). Every socket the guest
// binds itself went through bind4/bind6 and holds one of its addresses.
// For IPv6 sockets src_ip4 is the IPv4 part of a v4-mapped bound address,
// 0 for ::.
static void deny_if_bound_to_wildcard(vf_prog *p) {
    ldx_dw(p, R2, R6, CTX_SK);
    ldx_w(p, R2, R2, SK_SRC4);
    jmp32_imm(p, BPF_JEQ, R2, 0, L_DENY);
}

// cgroup/bind4: wildcard or loopback becomes the primary address; one of the
// guest's addresses is kept; anything else is refused (bind fails EPERM).
static void gen_bind4(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    ldx_w(p, R2, R6, CTX_IP4);
    jmp32_imm(p, BPF_JEQ, R2, 0, L_REWRITE);
    jump_if_loopback(p, R2, R3, L_REWRITE);
    jump_if_allowed(p, R2, A, L_ALLOW);
    ja(p, L_DENY);
    place(p, L_REWRITE);
    mov32_imm(p, R2, A.a[0]);
    stx_w(p, R6, CTX_IP4, R2);
    allow_and_deny_tails_returning(p, 1, A.bind_allow);
}

// cgroup/connect4: the guest's loopback is its primary address (as in
// VServer); the source is the primary address unless already bound.
static void gen_connect4(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    ldx_w(p, R2, R6, CTX_IP4);
    jump_if_loopback(p, R2, R3, L_REWRITE);
    ja(p, L_BIND);
    place(p, L_REWRITE);
    mov32_imm(p, R2, A.a[0]);
    stx_w(p, R6, CTX_IP4, R2);
    place(p, L_BIND);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = 0;               // port 0: the kernel picks it at connect()
    sin.sin_addr.s_addr = A.a[0];
    call_bind(p, &sin, sizeof sin);
    deny_if_bound_to_wildcard(p);
    allow_and_deny_tails(p, 1);
}

// cgroup/sendmsg4 (unconnected UDP/ICMP sends): loopback destinations become
// the primary address; a source that is not the guest's becomes the primary.
static void gen_sendmsg4(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    ldx_w(p, R2, R6, CTX_IP4);
    jump_if_loopback(p, R2, R3, L_REWRITE);
    ja(p, L_SOURCE);
    place(p, L_REWRITE);
    mov32_imm(p, R2, A.a[0]);
    stx_w(p, R6, CTX_IP4, R2);
    place(p, L_SOURCE);
    ldx_w(p, R2, R6, CTX_SRC4);
    jump_if_allowed(p, R2, A, L_ALLOW);     // 0 (no source yet) is never in A
    mov32_imm(p, R2, A.a[0]);
    stx_w(p, R6, CTX_SRC4, R2);
    allow_and_deny_tails(p, 0);
}

// Loads user_ip6 and sorts it: words 0 and 1 not zero → L_DENY; a v4-mapped
// address → L_MAPPED with its IPv4 part in r4; else (::X) falls through with
// word 3 in r4.
static void classify_ip6(vf_prog *p) {
    ldx_w(p, R2, R6, CTX_IP6(0));
    jmp32_imm(p, BPF_JNE, R2, 0, L_DENY);
    ldx_w(p, R2, R6, CTX_IP6(1));
    jmp32_imm(p, BPF_JNE, R2, 0, L_DENY);
    ldx_w(p, R4, R6, CTX_IP6(3));
    ldx_w(p, R2, R6, CTX_IP6(2));
    jmp32_imm(p, BPF_JEQ, R2, mapped_word(), L_MAPPED);
    jmp32_imm(p, BPF_JNE, R2, 0, L_DENY);
}

// user_ip6 = ::ffff:P. Words 0 and 1 are known to be zero already.
static void rewrite_ip6_to_mapped_primary(vf_prog *p, vf_addrs A) {
    mov32_imm(p, R2, mapped_word());
    stx_w(p, R6, CTX_IP6(2), R2);
    mov32_imm(p, R2, A.a[0]);
    stx_w(p, R6, CTX_IP6(3), R2);
}

// cgroup/bind6: the guest has IPv4 addresses only. :: and ::1 become
// ::ffff:P; ::ffff:X is treated like bind4 treats X; all else is refused.
static void gen_bind6(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    classify_ip6(p);
    jmp32_imm(p, BPF_JEQ, R4, 0, L_REWRITE);             // ::
    jmp32_imm(p, BPF_JEQ, R4, one_word(), L_REWRITE);    // ::1
    ja(p, L_DENY);
    place(p, L_MAPPED);
    jump_if_allowed(p, R4, A, L_ALLOW);
    jmp32_imm(p, BPF_JEQ, R4, 0, L_REWRITE);             // ::ffff:0.0.0.0
    jump_if_loopback(p, R4, R3, L_REWRITE);              // ::ffff:127.x.y.z
    ja(p, L_DENY);
    place(p, L_REWRITE);
    rewrite_ip6_to_mapped_primary(p, A);
    allow_and_deny_tails_returning(p, 1, A.bind_allow);
}

// cgroup/connect6: ::1 (and ::ffff:127.x.y.z) become ::ffff:P; v4-mapped
// destinations get the source ::ffff:P; real IPv6 destinations are refused.
static void gen_connect6(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    classify_ip6(p);
    jmp32_imm(p, BPF_JNE, R4, one_word(), L_DENY);       // :: and other ::X
    ja(p, L_REWRITE);
    place(p, L_MAPPED);
    jump_if_loopback(p, R4, R3, L_REWRITE);
    ja(p, L_BIND);
    place(p, L_REWRITE);
    rewrite_ip6_to_mapped_primary(p, A);
    place(p, L_BIND);
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = 0;
    uint32_t mapped[4] = {0, 0, mapped_word(), A.a[0]};
    memcpy(&sin6.sin6_addr, mapped, sizeof mapped);
    call_bind(p, &sin6, sizeof sin6);
    deny_if_bound_to_wildcard(p);
    allow_and_deny_tails(p, 1);
}

// cgroup/sendmsg6: v4-mapped destinations pass (the kernel hands them to
// udp_sendmsg, where sendmsg4 runs); ::1 is refused (see below); every other
// IPv6 destination is refused.
//
// Why ::1 is not rewritten to ::ffff:P: udpv6_sendmsg checks the address
// after this hook and fails a v4-mapped rewrite with ENOTSUPP (524), an
// errno no program expects; EPERM says plainly that the send is not allowed.
static void gen_sendmsg6(vf_prog *p, vf_addrs A) {
    (void)A;
    mov64_reg(p, R6, R1);
    classify_ip6(p);
    ja(p, L_DENY);
    place(p, L_MAPPED);
    allow_and_deny_tails(p, 1);
}

// cgroup_skb/ingress: a packet for one of the guest's sockets passes only
// when it is IPv4 and addressed to one of the guest's addresses. Sockets the
// guest binds hold its address, so for them this changes nothing; it stops
// the sockets the kernel bound to the wildcard without any hook seeing it:
// a TCP socket that listen()s unbound (inet_autobind at listen) and a UDP
// socket that sent unconnected (autobind at sendmsg) would otherwise take
// packets for every address of the host. The one per-packet cost of the
// filter, paid only by packets a guest's socket receives.
static void gen_ingress(vf_prog *p, vf_addrs A) {
    mov64_reg(p, R6, R1);
    ldx_w(p, R2, R6, offsetof(struct __sk_buff, protocol));
    jmp32_imm(p, BPF_JNE, R2, htons(ETH_P_IP), L_DENY);     // an isolated guest has no IPv6 address
    // bpf_skb_load_bytes(skb, 16, fp - 4, 4): the destination address; the
    // packet starts at its IP header here.
    mov64_reg(p, R1, R6);
    mov64_imm(p, R2, 16);
    mov64_reg(p, R3, R10);
    add64_imm(p, R3, -4);
    mov64_imm(p, R4, 4);
    call(p, BPF_FUNC_skb_load_bytes);
    jmp32_imm(p, BPF_JNE, R0, 0, L_DENY);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, R2, R10, -4, 0);
    jump_if_allowed(p, R2, A, L_ALLOW);
    allow_and_deny_tails_then_deny(p);
}

// cgroup/sock_create: ICMP datagram ("ping") sockets are refused (EPERM).
// A ping socket's bind() and unconnected sendmsg() run none of the hooks
// above (ping_bind checks only that the address is the host's), so one
// would send echo requests from any address of the host. Hosts allow them
// to the groups in net.ipv4.ping_group_range (systemd opens it to all);
// raw ICMP sockets need NET_RAW, which an isolated guest never has.
static void gen_sock_create(vf_prog *p, vf_addrs A) {
    (void)A;
    ldx_w(p, R2, R1, offsetof(struct bpf_sock, protocol));
    jmp32_imm(p, BPF_JEQ, R2, IPPROTO_ICMP, L_DENY);
    jmp32_imm(p, BPF_JEQ, R2, IPPROTO_ICMPV6, L_DENY);
    allow_and_deny_tails(p, 1);
}

// ---- loading and attaching --------------------------------------------------

typedef struct vf_hook {
    const char *name;                   // as in SEC("cgroup/…") and error texts
    const char *prog_name;              // kernel-visible name (≤ 15 chars), for bpftool
    enum bpf_attach_type type;
    void (*gen)(vf_prog *, vf_addrs);
    enum bpf_prog_type prog_type;
} vf_hook;

static const vf_hook hooks[VF_SOCKFILTER_PROGRAMS] = {
    {"bind4", "vf_bind4", BPF_CGROUP_INET4_BIND, gen_bind4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"connect4", "vf_connect4", BPF_CGROUP_INET4_CONNECT, gen_connect4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"sendmsg4", "vf_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, gen_sendmsg4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"bind6", "vf_bind6", BPF_CGROUP_INET6_BIND, gen_bind6, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"connect6", "vf_connect6", BPF_CGROUP_INET6_CONNECT, gen_connect6, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"sendmsg6", "vf_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, gen_sendmsg6, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"ingress", "vf_ingress", BPF_CGROUP_INET_INGRESS, gen_ingress, BPF_PROG_TYPE_CGROUP_SKB},
    {"sock_create", "vf_sockcreate", BPF_CGROUP_INET_SOCK_CREATE, gen_sock_create, BPF_PROG_TYPE_CGROUP_SOCK},
};

static long sys_bpf(int cmd, union bpf_attr *attr) {
    return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

// Fills `what` and returns -err.
static int fail(int err, char *what, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(int err, char *what, size_t cap, const char *fmt, ...) {
    if (what && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, cap, fmt, ap);
        va_end(ap);
    }
    return -err;
}

// Loads one program; returns its fd or -errno. The verifier log is fetched
// only after a failure (a second load with logging), as a successful load
// would otherwise fill the buffer for nothing.
static int load(const vf_hook *h, const vf_prog *p, char *log, size_t log_cap) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = h->prog_type;
    attr.expected_attach_type = h->type;     // required for this program type
    attr.insns = ptr(p->insn);
    attr.insn_cnt = (uint32_t)p->len;
    attr.license = ptr("GPL");               // the helper used is not GPL-only; GPL keeps every helper open to these programs
    strncpy(attr.prog_name, h->prog_name, sizeof attr.prog_name - 1);
    int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return fd;
    int err = errno;
    // The kernel wants at least 128 bytes of log buffer, and a u32 size.
    if (log && log_cap >= 128) {
        log[0] = 0;
        attr.log_level = 1;
        attr.log_buf = ptr(log);
        attr.log_size = (uint32_t)(log_cap > (1u << 24) ? (1u << 24) : log_cap);
        fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0) return fd;              // passed the second time: take it
        log[log_cap - 1] = 0;
    }
    return -err;
}

static int detach_prog(int cgroup_fd, int prog_fd, enum bpf_attach_type type) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = type;
    return sys_bpf(BPF_PROG_DETACH, &attr) == 0 ? 0 : -errno;
}

// Loads and attaches `count` programs from `list`; on failure detaches
// what it attached. Every program fd stays open until all are attached, so
// that a failure can detach exactly the programs this call attached.
static int attach_hooks(int cgroup_fd, const char *path, const vf_hook *list, int count, vf_addrs A,
                        char *what, size_t what_cap, char *log, size_t log_cap) {
    int fds[VF_SOCKFILTER_PROGRAMS];
    int attached = 0;
    int result = 0;
    for (int i = 0; i < VF_SOCKFILTER_PROGRAMS; i++) fds[i] = -1;

    for (int i = 0; i < count; i++) {
        vf_prog local;
        prog_init(&local);
        list[i].gen(&local, A);
        if (finish(&local) != 0) {
            result = fail(E2BIG, what, what_cap, "assemble cgroup/%s program", list[i].name);
            break;
        }
        int fd = load(&list[i], &local, log, log_cap);
        if (fd < 0) {
            result = fail(-fd, what, what_cap, "load cgroup/%s program", list[i].name);
            break;
        }
        fds[i] = fd;
        union bpf_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)fd;
        attr.attach_type = list[i].type;
        attr.attach_flags = 0;               // no override, no multi: sealed for descendants
        if (sys_bpf(BPF_PROG_ATTACH, &attr) != 0) {
            result = fail(errno, what, what_cap, "attach cgroup/%s to %s", list[i].name, path ? path : "cgroup");
            break;
        }
        attached = i + 1;
    }
    if (result != 0)
        for (int i = 0; i < attached; i++) detach_prog(cgroup_fd, fds[i], list[i].type);
    // The cgroup holds its own reference to each attached program.
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    return result;
}

int vf_sockfilter_attach(int cgroup_fd, const char *path,
                         const uint32_t *addrs, int count, int flags,
                         char *what, size_t what_cap,
                         char *log, size_t log_cap) {
    if (what && what_cap) what[0] = 0;
    if (log && log_cap) log[0] = 0;
    if (!addrs || count < 1 || count > VF_SOCKFILTER_MAX_ADDRS)
        return fail(EINVAL, what, what_cap, "check the address list (1 to %d addresses)", VF_SOCKFILTER_MAX_ADDRS);
    for (int i = 0; i < count; i++)
        if (addrs[i] == 0)
            return fail(EINVAL, what, what_cap, "check the address list (0.0.0.0 is not an address)");
    vf_addrs A = {addrs, count, (flags & VF_SOCKFILTER_BIND_SERVICE) ? 3 : 1};
    return attach_hooks(cgroup_fd, path, hooks, VF_SOCKFILTER_PROGRAMS, A, what, what_cap, log, log_cap);
}

int vf_sockfilter_probe(char *what, size_t what_cap, char *log, size_t log_cap) {
    if (what && what_cap) what[0] = 0;
    if (log && log_cap) log[0] = 0;
    uint32_t example = htonl(0xc0000201u);     // 192.0.2.1: only compiled into the programs
    vf_addrs A = {&example, 1, 1};
    for (int i = 0; i < VF_SOCKFILTER_PROGRAMS; i++) {
        vf_prog local;
        prog_init(&local);
        hooks[i].gen(&local, A);
        if (finish(&local) != 0) return fail(E2BIG, what, what_cap, "assemble cgroup/%s program", hooks[i].name);
        int fd = load(&hooks[i], &local, log, log_cap);
        if (fd < 0) return fail(-fd, what, what_cap, "load cgroup/%s program", hooks[i].name);
        close(fd);
    }
    return 0;
}

// cgroup/bind4 and bind6 of an unfiltered guest: every bind allowed, and
// ports below 1024 without CAP_NET_BIND_SERVICE in the host's namespace.
static void gen_bind_service(vf_prog *p, vf_addrs A) {
    (void)A;
    mov64_imm(p, R0, 3);
    exit_insn(p);
}

static const vf_hook bind_service_hooks[2] = {
    {"bind4", "vf_bindsvc4", BPF_CGROUP_INET4_BIND, gen_bind_service, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
    {"bind6", "vf_bindsvc6", BPF_CGROUP_INET6_BIND, gen_bind_service, BPF_PROG_TYPE_CGROUP_SOCK_ADDR},
};

int vf_bind_service_attach(int cgroup_fd, const char *path, char *what, size_t what_cap, char *log, size_t log_cap) {
    if (what && what_cap) what[0] = 0;
    if (log && log_cap) log[0] = 0;
    vf_addrs none = {NULL, 0, 3};
    return attach_hooks(cgroup_fd, path, bind_service_hooks, 2, none, what, what_cap, log, log_cap);
}

// Program ids attached directly to the cgroup for one attach type, or -errno.
#define VF_QUERY_MAX 64                      // BPF_CGROUP_MAX_PROGS
static int query(int cgroup_fd, enum bpf_attach_type type, uint32_t *ids, uint32_t cap) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = type;
    attr.query.prog_ids = ptr(ids);
    attr.query.prog_cnt = cap;
    if (sys_bpf(BPF_PROG_QUERY, &attr) != 0) return -errno;
    return (int)attr.query.prog_cnt;
}

int vf_sockfilter_count(int cgroup_fd, const char *path, char *what, size_t what_cap) {
    int total = 0;
    uint32_t ids[VF_QUERY_MAX];
    for (int i = 0; i < VF_SOCKFILTER_PROGRAMS; i++) {
        int n = query(cgroup_fd, hooks[i].type, ids, VF_QUERY_MAX);
        if (n < 0) return fail(-n, what, what_cap, "query cgroup/%s programs of %s", hooks[i].name, path ? path : "cgroup");
        total += n;
    }
    return total;
}

int vf_sockfilter_detach(int cgroup_fd, const char *path, char *what, size_t what_cap) {
    int detached = 0;
    uint32_t ids[VF_QUERY_MAX];
    const char *where = path ? path : "cgroup";
    for (int i = 0; i < VF_SOCKFILTER_PROGRAMS; i++) {
        int n = query(cgroup_fd, hooks[i].type, ids, VF_QUERY_MAX);
        if (n < 0) return fail(-n, what, what_cap, "query cgroup/%s programs of %s", hooks[i].name, where);
        for (int k = 0; k < n && k < VF_QUERY_MAX; k++) {
            union bpf_attr attr;
            memset(&attr, 0, sizeof attr);
            attr.prog_id = ids[k];
            int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
            if (fd < 0) {
                if (errno == ENOENT) continue;   // detached and freed meanwhile
                return fail(errno, what, what_cap, "open attached cgroup/%s program of %s", hooks[i].name, where);
            }
            int rc = detach_prog(cgroup_fd, fd, hooks[i].type);
            close(fd);
            if (rc == -ENOENT) continue;         // someone else detached it first
            if (rc < 0) return fail(-rc, what, what_cap, "detach cgroup/%s from %s", hooks[i].name, where);
            detached++;
        }
    }
    return detached;
}

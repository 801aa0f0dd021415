#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fleet_system.h"

int fleet_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int fleet_start_writeback(int fd) {
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int fleet_noatime_flag(void) {
    return O_NOATIME;
}

int fleet_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

int fleet_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int fleet_spawn_detached(const char *path, char *const argv[]) {
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

#ifndef FLEET_SYSTEM_H
#define FLEET_SYSTEM_H

#include <spawn.h>

// GNU calls FleetSystem's subprocess runner needs that Swift's
// Glibc module does not show (they want _GNU_SOURCE).

// pipe2(fds, O_CLOEXEC): no other thread's child inherits the pipe.
int fleet_pipe_cloexec(int fds[2]);

// accept4(fd, NULL, NULL, SOCK_CLOEXEC): no child inherits the connection.
int fleet_accept_cloexec(int fd);

// posix_spawn_file_actions_addclosefrom_np(actions, from).
int fleet_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

// Starts argv as a process that belongs to nobody: own session, stdio on
// /dev/null, no inherited descriptor, not the caller's child (double fork).
// 0, or -errno.
int fleet_spawn_detached(const char *path, char *const argv[]);

// sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): starts writing back
// the file's dirty pages without waiting. 0, or -1 with errno set.
int fleet_start_writeback(int fd);

// O_NOATIME, for open(2): reads through the descriptor leave the file's
// access time alone.
int fleet_noatime_flag(void);

#endif

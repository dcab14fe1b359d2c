/* SPDX-License-Identifier: MIT */
/* The remote address of another process's socket. */
#ifndef AUTHTRACE_PEER_H
#define AUTHTRACE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PEER_MAX 64   /* "[ffff:...:ffff]:65535" fits */

/*
 * Write "ip:port" ("[v6]:port" for IPv6) of pid's socket fd into out.
 * Uses pidfd_getfd(2) and getpeername(2); false when pid or fd is gone or
 * the socket is not a connected inet socket.
 */
bool peer_of_fd(pid_t pid, int fd, char out[PEER_MAX]);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Traced processes: the COMMAND authtrace starts, the -p processes, and the
 * children they start.  A traced process that execs or forks is stopped by
 * the kernel side until its uprobes are in; these functions attach them and
 * let it go.
 */
#ifndef AUTHTRACE_TARGETS_H
#define AUTHTRACE_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tracer;

/* Start COMMAND; it execs only once it is traced. Returns 0 or an exit status. */
int targets_spawn(struct tracer *t, char *const argv[]);

/* Attach to the -p processes. Returns 0 or an exit status. */
int targets_attach_pids(struct tracer *t);

/* --all: attach to every TLS file any process has mapped. Returns 0 or an exit status. */
int targets_attach_all(struct tracer *t);

void targets_on_exec(struct tracer *t, pid_t pid, bool stopped);
void targets_on_fork(struct tracer *t, pid_t child, pid_t parent, bool stopped);
void targets_on_exit(struct tracer *t, pid_t pid);
void targets_on_mmap(struct tracer *t, pid_t pid, int fd, uint64_t ino, bool stopped);

#endif

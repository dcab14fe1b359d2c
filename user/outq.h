/* SPDX-License-Identifier: MIT */
/*
 * The output queue: events are appended to a bounded in-memory queue and a
 * writer thread puts them on the file descriptor, so a slow reader (a
 * pipe, a stalled disk) never stalls tracing.  When the queue is full an
 * event is dropped and counted; the caller reports the count as a `lost`
 * event once there is room.  The writer thread also rotates -o files by
 * size (--rotate) and reopens them on request (SIGHUP, logrotate).
 */
#ifndef AUTHTRACE_OUTQ_H
#define AUTHTRACE_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTQ_BYTES (4u << 20)

struct outq;

/*
 * Open an output file: created 0600 (an existing one made 0600), never
 * through a symbolic link (O_NOFOLLOW: a link planted by another user
 * can't redirect root's output); appended to or truncated.  -1 and errno.
 */
int outq_open_file(const char *path, bool append);

/*
 * path: the -o file (NULL for stdout, fd 1); rotate_bytes 0 = never rotate.
 * Returns NULL and sets errno if the file can't be opened (the caller has
 * validated it already, so that is rare).
 */
struct outq *outq_new(int fd, const char *path, uint64_t rotate_bytes, unsigned rotate_count);

/* Queue one event's bytes whole; false (and counted) if there is no room. */
bool outq_push(struct outq *q, const char *s, size_t n);

/* Events dropped since the last call (the queue was full). */
uint64_t outq_take_dropped(struct outq *q);

/* The first write error (errno value), 0 if none. */
int outq_error(struct outq *q);

/* Reopen the file at its path (SIGHUP): takes effect before the next write. */
void outq_reopen(struct outq *q);

/* Write out everything queued (blocks), stop the writer, close, free. */
int outq_finish(struct outq *q);

#endif

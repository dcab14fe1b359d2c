// SPDX-License-Identifier: MIT
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The writer waits this long for a batch smaller than OUTQ_BATCH_BYTES. */
#define OUTQ_BATCH_US    1000
#define OUTQ_BATCH_BYTES (64u << 10)

struct outq {
	pthread_mutex_t lock;
	pthread_cond_t more;
	char *ring;
	size_t head, len;        /* bytes queued start at head, wrap at OUTQ_BYTES */
	bool stopping, reopen;
	uint64_t dropped;
	int error;

	int fd;
	char *path;              /* NULL: stdout, never rotated or reopened */
	uint64_t rotate_bytes, written;
	unsigned rotate_count;
	pthread_t thread;
};

int outq_open_file(const char *path, bool append)
{
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_NOFOLLOW |
				  O_CLOEXEC | O_NOCTTY, 0600);
	struct stat st;

	/* an existing regular file keeps its mode on open: make it 0600 too */
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		fchmod(fd, 0600);
	return fd;
}

/* events.ndjson -> events.ndjson.1 -> ... -> .COUNT (dropped) */
static void rotate_files(struct outq *q)
{
	size_t n = strlen(q->path) + 16;
	char *from = malloc(n), *to = malloc(n);

	if (from && to) {
		for (unsigned i = q->rotate_count; i > 0; i--) {
			snprintf(to, n, "%s.%u", q->path, i);
			if (i == 1)
				snprintf(from, n, "%s", q->path);
			else
				snprintf(from, n, "%s.%u", q->path, i - 1);
			rename(from, to);
		}
	}
	free(from);
	free(to);
}

/* Writer thread: switch files if asked or full, outside the lock. */
static void maybe_switch_file(struct outq *q, bool reopen)
{
	/* after SIGHUP the full file was moved away already: start a new one, don't rotate */
	bool rotate = !reopen && q->rotate_bytes && q->written >= q->rotate_bytes;
	int fd;

	if (!q->path || (!reopen && !rotate))
		return;
	if (rotate)
		rotate_files(q);
	fd = outq_open_file(q->path, true);
	if (fd < 0) {
		if (!q->error)
			q->error = errno;
		return;
	}
	close(q->fd);
	q->fd = fd;
	q->written = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *writer(void *arg)
{
	struct outq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		size_t n;
		bool reopen;
		int err;

		while (q->len == 0 && !q->stopping && !q->reopen)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->len == 0 && q->stopping)
			break;
		/* let a batch build: one write(2) per batch, not one per line */
		if (!q->stopping && !q->reopen && q->len < OUTQ_BATCH_BYTES) {
			pthread_mutex_unlock(&q->lock);
			usleep(OUTQ_BATCH_US);
			pthread_mutex_lock(&q->lock);
		}
		reopen = q->reopen;
		q->reopen = false;
		/* the contiguous part; the rest on the next turn */
		n = q->len < OUTQ_BYTES - q->head ? q->len : OUTQ_BYTES - q->head;
		pthread_mutex_unlock(&q->lock);

		maybe_switch_file(q, reopen);
		err = n ? write_all(q->fd, q->ring + q->head, n) : 0;

		pthread_mutex_lock(&q->lock);
		if (err && !q->error)
			q->error = err;
		q->written += n;
		q->head = (q->head + n) % OUTQ_BYTES;
		q->len -= n;
		/* start over at the front: a steady flow keeps touching the same few
		 * pages, and only a burst makes more of the queue resident */
		if (q->len == 0)
			q->head = 0;
		if (q->error)
			q->len = 0;   /* nowhere to write: don't keep queueing */
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct outq *outq_new(int fd, const char *path, uint64_t rotate_bytes, unsigned rotate_count)
{
	struct outq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->ring = malloc(OUTQ_BYTES);
	q->path = path ? strdup(path) : NULL;
	if (!q->ring || (path && !q->path)) {
		free(q->ring);
		free(q->path);
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->fd = fd;
	q->rotate_bytes = rotate_bytes;
	q->rotate_count = rotate_count;
	if (path) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			q->written = (uint64_t)st.st_size;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	if (pthread_create(&q->thread, NULL, writer, q) != 0) {
		free(q->ring);
		free(q->path);
		free(q);
		return NULL;
	}
	return q;
}

bool outq_push(struct outq *q, const char *s, size_t n)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = !q->error && n <= OUTQ_BYTES - q->len;
	if (ok) {
		size_t tail = (q->head + q->len) % OUTQ_BYTES;
		size_t first = n < OUTQ_BYTES - tail ? n : OUTQ_BYTES - tail;

		memcpy(q->ring + tail, s, first);
		memcpy(q->ring, s + first, n - first);
		/* the writer only sleeps on an empty queue: wake it only then */
		if (q->len == 0)
			pthread_cond_signal(&q->more);
		q->len += n;
	} else if (!q->error) {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

uint64_t outq_take_dropped(struct outq *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	q->dropped = 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

int outq_error(struct outq *q)
{
	int e;

	pthread_mutex_lock(&q->lock);
	e = q->error;
	pthread_mutex_unlock(&q->lock);
	return e;
}

void outq_reopen(struct outq *q)
{
	pthread_mutex_lock(&q->lock);
	q->reopen = true;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

int outq_finish(struct outq *q)
{
	int err;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	err = q->error;
	if (q->path)
		close(q->fd);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->more);
	free(q->ring);
	free(q->path);
	free(q);
	return err;
}

/* SPDX-License-Identifier: MIT */
/*
 * Connections: per (process, SSL* or fd, direction) byte-stream state, and
 * reassembly of request heads that span several writes.  Data arrives as
 * chunks positioned by their absolute offset in the connection's stream, so
 * gaps (lost records, skipped bodies) are detected, never guessed.
 */
#ifndef AUTHTRACE_CONN_H
#define AUTHTRACE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errtext.h"
#include "peer.h"
#include "request.h"

/* A head may be at most this long (capture limit plus slack for a split head). */
#define CONN_HEAD_MAX (160 * 1024)

/* One chunk of plaintext as decoded from the ring buffer. */
struct conn_chunk {
	pid_t pid, tid;
	uint64_t ts_ns;
	uint64_t conn;         /* SSL* or fd */
	uint64_t stream_off;   /* offset of the write in the stream */
	uint32_t len;          /* true length of the write */
	uint32_t chunk_off;    /* offset of data within the write */
	uint32_t data_len;
	uint16_t hook;         /* enum at_hook */
	uint8_t dir;           /* enum at_dir */
	bool last_chunk;       /* no more chunks of this write follow */
	bool truncated;        /* the write was longer than what was copied */
	const char *comm;      /* NUL-terminated, at most 16 bytes */
	uint32_t uid;
	uint64_t cgroup_id;
	const uint8_t *data;
};

/* A response head joined to the request it answers. */
struct response {
	pid_t pid;
	uint64_t ts_ns;
	uint64_t conn_id;
	uint64_t request_seq;     /* 0: no request seen on this connection (attached late) */
	const char *protocol;
	int64_t stream;           /* h2 stream id, -1 for none */
	bool tls;
	int status;
	char error[ERRTEXT_MAX];  /* 4xx/5xx: short text from the body, "" if none */
};

struct conn_callbacks {
	/* a complete request head was parsed; returns the seq it was reported as */
	uint64_t (*request)(void *ctx, struct request *req);
	/* a response head (and, for errors, the start of its body) was parsed */
	void (*response)(void *ctx, const struct response *resp);
	/* hint: nothing before stream offset off of this request stream is needed */
	void (*skip_until)(void *ctx, pid_t pid, uint64_t conn, uint64_t off);
	/* hint: skip this connection's reads while its request stream is at or before off */
	void (*response_done)(void *ctx, pid_t pid, uint64_t conn, uint64_t out_off);
	/* the peer address of a cleartext connection's socket (may be NULL) */
	bool (*peer_lookup)(void *ctx, pid_t pid, int fd, char out[PEER_MAX]);
	void *hint_ctx;  /* ctx of skip_until, response_done, peer_lookup; NULL: ctx */
	void *ctx;
	const char *const *extra_cred_headers; /* from --rules; may be NULL */
};

struct conn_stats {
	uint64_t conns_opened;
	uint64_t conns_evicted;      /* dropped to stay within the table size */
	uint64_t heads_lost;         /* a head in progress hit a gap in the data */
	uint64_t heads_truncated;    /* a head longer than the capture limit */
	uint64_t heads_invalid;      /* bytes at a head position that were not HTTP/1 */
	uint64_t gaps;               /* data missing between two chunks */
	uint64_t retries_dropped;    /* a write repeated after SSL_write failed */
	uint64_t responses;
	uint64_t unanswered;         /* requests whose connection ended without a response */
};

struct conn_table;

struct conn_table *conn_table_new(const struct conn_callbacks *cb, size_t max_conns);
void conn_table_free(struct conn_table *t);

/* Feed one chunk; completed heads are reported through cb->request. */
void conn_feed(struct conn_table *t, const struct conn_chunk *c);

/* Forget every connection of pid (it exited or exec'd). */
void conn_drop_pid(struct conn_table *t, pid_t pid);

/* The connection (SSL* or AT_CONN_FD|fd) ended: forget both directions. */
void conn_close(struct conn_table *t, pid_t pid, uint64_t handle);

/* The connection's peer address, learned from its socket (TLS handshake). */
void conn_set_peer(struct conn_table *t, pid_t pid, uint64_t handle, const char *peer);
bool conn_has_peer(const struct conn_table *t, pid_t pid, uint64_t handle);

/* End of run: report deferred responses, count unanswered requests. */
void conn_table_flush(struct conn_table *t);

const struct conn_stats *conn_table_stats(const struct conn_table *t);
size_t conn_table_count(const struct conn_table *t);

#endif

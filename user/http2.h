/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 for one connection: frame parsing in both directions and header
 * blocks decoded with libnghttp2's HPACK inflater (one per direction, so
 * dynamic-table references in later requests decode correctly).
 *
 * The caller (conn.c) detects the client connection preface and from then
 * on feeds every byte of the connection, per direction, in stream order.
 * Completed request header blocks become request records (through the same
 * request_builder as HTTP/1); response header blocks give a status.
 */
#ifndef AUTHTRACE_HTTP2_H
#define AUTHTRACE_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

struct h2_conn;

struct h2_callbacks {
	/*
	 * A request's header block is complete.  req has method, authority,
	 * path, header names, credentials and companions filled (request_finish
	 * already called), stream set, protocol "h2", and incomplete/hpack state
	 * noted; the caller fills the event metadata (pid, ts, comm, conn...)
	 * before calling this through its own code.  Returns the request's seq.
	 */
	uint64_t (*request)(void *ctx, struct request *req);
	/* A response's :status for a stream (request_seq is what request() returned, 0 if none). */
	void (*response)(void *ctx, uint32_t stream, int status, uint64_t request_seq);
	void *ctx;
	const char *const *extra_cred_headers;
};

/*
 * mid_stream: attached to an existing connection (no preface seen): the
 * HPACK dynamic tables are unknown; decode what is decodable, never invent
 * values, and mark requests with hpack_partial.
 */
struct h2_conn *h2_conn_new(const struct h2_callbacks *cb, bool mid_stream);
void h2_conn_free(struct h2_conn *c);

/*
 * Feed bytes of one direction (out = client to server).  The first bytes
 * fed in the out direction of a connection created with mid_stream=false
 * must be the preface.  req is scratch space the parser fills and hands to
 * cb->request.  Returns false when the connection is beyond repair (the
 * caller stops feeding it); never reads outside data[0..len).
 */
bool h2_feed(struct h2_conn *c, bool out, const uint8_t *data, size_t len, struct request *req);

/* The caller lost bytes of one direction: resynchronise or give up on it. */
void h2_gap(struct h2_conn *c, bool out);

/* True when data (at least 1 byte) starts like the client preface. */
bool h2_looks_like_preface(const uint8_t *data, size_t len);

#endif

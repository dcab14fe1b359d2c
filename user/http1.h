/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x head parsers.  Pure functions over a byte buffer: no allocation,
 * no global state, every read bounded by the length given.  The caller owns
 * reassembly across writes (see conn.c); these functions only answer "is
 * there a complete head in these bytes, and what does it say".
 *
 * Header values are handed to the visitor and never stored here: the
 * visitor decides what to keep (names, non-secret values) and what to pass
 * to the credential classifier and then forget.
 */
#ifndef AUTHTRACE_HTTP1_H
#define AUTHTRACE_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum h1_result {
	H1_INCOMPLETE = 0, /* looks like a head so far; need more bytes */
	H1_COMPLETE,       /* a full head ends within the buffer */
	H1_INVALID,        /* not an HTTP/1.x head (binary, h2, garbage) */
};

enum h1_body_framing {
	H1_BODY_NONE = 0,      /* no body (Content-Length: 0 or absent on request) */
	H1_BODY_LENGTH,        /* Content-Length: n */
	H1_BODY_CHUNKED,       /* Transfer-Encoding: chunked */
	H1_BODY_UNTIL_CLOSE,   /* responses only: read until the connection ends */
};

struct h1_head_info {
	size_t head_len;            /* bytes up to and including the blank line */
	enum h1_body_framing framing;
	uint64_t content_length;    /* valid when framing == H1_BODY_LENGTH */
	unsigned header_count;      /* header fields seen (obs-fold lines merged) */
	int status;                 /* response parser only: 100..999 */
	bool http10;                /* HTTP/1.0 version token */
};

/*
 * Called for every header field in wire order.  name is not NUL-terminated
 * and keeps its wire case; value is trimmed of surrounding whitespace.
 * Return false to stop parsing (the parse then returns H1_INVALID).
 */
struct h1_visitor {
	void (*request_line)(void *ctx, const char *method, size_t method_len,
			     const char *target, size_t target_len);
	void (*status_line)(void *ctx, int status, const char *reason,
			    size_t reason_len);
	bool (*header)(void *ctx, const char *name, size_t name_len,
		       const char *value, size_t value_len);
};

/*
 * True when buf starts like an HTTP/1.x request line: a known method token
 * followed by a space.  Used to resynchronise at write boundaries.  Needs at
 * most H1_METHOD_PROBE_LEN bytes; with fewer bytes it answers on what it has.
 */
#define H1_METHOD_PROBE_LEN 8
bool h1_looks_like_request(const uint8_t *buf, size_t len);
bool h1_looks_like_response(const uint8_t *buf, size_t len);

/*
 * Parse a request head at the start of buf[0..len).  The visitor (may be
 * NULL) is only called when the result is H1_COMPLETE, so a caller can call
 * this again on a longer buffer without seeing duplicates.
 * max_head bounds the search: a head longer than that yields H1_INVALID.
 */
enum h1_result h1_parse_request(const uint8_t *buf, size_t len, size_t max_head,
				const struct h1_visitor *v, void *ctx,
				struct h1_head_info *info);

/* Same for a response head ("HTTP/1.1 401 Unauthorized"). */
enum h1_result h1_parse_response(const uint8_t *buf, size_t len, size_t max_head,
				 const struct h1_visitor *v, void *ctx,
				 struct h1_head_info *info);

#endif

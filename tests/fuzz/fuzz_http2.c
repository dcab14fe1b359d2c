/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP/2 decoder (user/http2.c).
 *
 * Input: one mode byte, then a script of operations, each a control byte
 * followed by its bytes:
 *   mode bit 0   attach mid-stream
 *        bit 1   start the client side with the preface + an empty SETTINGS
 *   control      bit 0: direction (1 = client to server)
 *                bits 1-2: 3 = the caller lost bytes (h2_gap), else a feed
 *                bits 3-7: feed length 0..30; 31 = two more bytes, little endian
 * Feeds are copied to exact-size heap buffers so ASan sees over-reads.
 *
 * Checked on every run:
 *  - reported requests: bounded, NUL-terminated strings, no pseudo-header
 *    in the name list, odd and increasing streams, event metadata kept;
 *  - responses: a final status, an odd stream, request_seq 0 or the seq of
 *    a request on that same stream, each seq joined at most once;
 *  - once h2_feed returns false it keeps returning false.
 * Without mid-stream attach and gaps, framing does not depend on feed
 * boundaries, so the script is replayed with consecutive same-direction
 * feeds merged (and, for short inputs, one byte at a time) and must report
 * exactly the same thing.
 */
#include "http2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define MAX_OPS 4096
#define MAX_SEQS 4096
#define BYTEWISE_MAX 2048
#define SEQ_BASE 100

struct op {
	const uint8_t *p;
	size_t n;
	bool out;
	bool gap;
};

struct script {
	bool mid_stream;
	bool preface;
	struct op ops[MAX_OPS];
	unsigned n_ops;
	bool has_gap;
};

/* What one run reported, folded into a digest. */
struct observed {
	uint64_t digest;
	unsigned requests, responses;
	int64_t last_stream;
	uint32_t seq_stream[MAX_SEQS];   /* stream of the request given seq SEQ_BASE + i */
	bool seq_joined[MAX_SEQS];
};

static uint64_t mix_str(uint64_t h, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	CHECK(n < cap);
	return fuzz_mix(h, s, n + 1);
}

static void check_names(const struct request *r)
{
	CHECK(r->n_headers <= REQ_MAX_HEADERS);
	CHECK(r->names_used <= REQ_NAMES_POOL);
	for (unsigned i = 0; i < r->n_headers; i++) {
		const char *name = request_header_name(r, i);

		CHECK(r->name_off[i] < r->names_used);
		CHECK(strnlen(name, r->names_used - r->name_off[i]) < r->names_used - r->name_off[i]);
		CHECK(name[0] != ':');
	}
}

static uint64_t on_request(void *ctx, struct request *r)
{
	struct observed *o = ctx;
	uint64_t h = o->digest;
	unsigned i = o->requests++;

	CHECK(r->protocol && strcmp(r->protocol, "h2") == 0);
	CHECK(r->stream > 0 && r->stream <= 0x7fffffff && (r->stream & 1));
	CHECK(r->stream > o->last_stream);
	CHECK(r->pid == 77 && r->conn_id == 9 && r->tls);
	o->last_stream = r->stream;
	check_names(r);
	CHECK(r->n_creds <= REQ_MAX_CREDS);

	h = mix_str(h, r->method, sizeof(r->method));
	h = mix_str(h, r->authority, sizeof(r->authority));
	h = mix_str(h, r->path, sizeof(r->path));
	h = fuzz_mix(h, r->names, r->names_used);
	h = fuzz_mix(h, &r->n_headers, sizeof(r->n_headers));
	for (unsigned k = 0; k < r->n_creds; k++) {
		const struct credential *cr = &r->creds[k];

		h = mix_str(h, cr->header, sizeof(cr->header));
		h = mix_str(h, cr->fingerprint, sizeof(cr->fingerprint));
		h = fuzz_mix(h, &cr->kind, sizeof(cr->kind));
		h = fuzz_mix(h, &cr->length, sizeof(cr->length));
	}
	h = mix_str(h, r->comp.anthropic_version, sizeof(r->comp.anthropic_version));
	h = mix_str(h, r->comp.user_agent, sizeof(r->comp.user_agent));
	h = fuzz_mix(h, &r->stream, sizeof(r->stream));
	h = fuzz_mix(h, &r->hpack_partial, sizeof(r->hpack_partial));
	h = fuzz_mix(h, &r->incomplete, sizeof(r->incomplete));
	h = fuzz_mix(h, &r->path_truncated, sizeof(r->path_truncated));
	h = fuzz_mix(h, &r->api, sizeof(r->api));
	o->digest = h;
	if (i < MAX_SEQS)
		o->seq_stream[i] = (uint32_t)r->stream;
	return SEQ_BASE + i;
}

static void on_response(void *ctx, uint32_t stream, int status, uint64_t seq)
{
	struct observed *o = ctx;
	uint64_t h = o->digest;

	o->responses++;
	CHECK(status >= 200 && status <= 999);
	CHECK(stream & 1);
	if (seq) {
		uint64_t i = seq - SEQ_BASE;

		CHECK(seq >= SEQ_BASE && i < o->requests);
		if (i < MAX_SEQS) {
			CHECK(o->seq_stream[i] == stream);
			CHECK(!o->seq_joined[i]);
			o->seq_joined[i] = true;
		}
	}
	h = fuzz_mix(h, &stream, sizeof(stream));
	h = fuzz_mix(h, &status, sizeof(status));
	o->digest = fuzz_mix(h, &seq, sizeof(seq));
}

static bool parse_script(const uint8_t *data, size_t size, struct script *s)
{
	size_t i = 1;

	if (size < 1)
		return false;
	s->mid_stream = data[0] & 1;
	s->preface = data[0] & 2;
	s->n_ops = 0;
	s->has_gap = false;
	while (i < size && s->n_ops < MAX_OPS) {
		uint8_t c = data[i++];
		struct op *op = &s->ops[s->n_ops++];
		size_t n = c >> 3;

		op->out = c & 1;
		op->gap = ((c >> 1) & 3) == 3;
		op->p = NULL;
		op->n = 0;
		if (op->gap) {
			s->has_gap = true;
			continue;
		}
		if (n == 31) {
			n = 0;
			if (i < size)
				n = data[i++];
			if (i < size)
				n |= (size_t)data[i++] << 8;
		}
		if (n > size - i)
			n = size - i;
		op->p = data + i;
		op->n = n;
		i += n;
	}
	return true;
}

static bool feed_copy(struct h2_conn *c, bool out, const uint8_t *p, size_t n, struct request *req)
{
	uint8_t *copy = malloc(n ? n : 1);
	bool ok;

	CHECK(copy);
	if (n)
		memcpy(copy, p, n);
	ok = h2_feed(c, out, copy, n, req);
	free(copy);
	return ok;
}

static void request_metadata(struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->pid = 77;
	req->conn_id = 9;
	req->tls = true;
	req->source = "SSL_write";
}

/*
 * Replay the script.  merge: consecutive feeds in one direction become one
 * feed; bytewise: every byte is its own feed.  Returns whether the
 * connection is still alive.
 */
static bool run(const struct script *s, bool merge, bool bytewise, struct observed *o)
{
	static const uint8_t preface_settings[] = H2_PREFACE "\0\0\0\x04\0\0\0\0\0";
	struct h2_callbacks cb = { .request = on_request, .response = on_response, .ctx = o };
	static struct request req;
	struct h2_conn *c;
	bool alive = true;
	uint8_t *buf = NULL;
	size_t buf_n = 0;
	int buf_dir = -1;

	memset(o, 0, sizeof(*o));
	request_metadata(&req);
	c = h2_conn_new(&cb, s->mid_stream);
	CHECK(c);
	if (s->preface)
		alive = feed_copy(c, true, preface_settings, sizeof(preface_settings) - 1, &req);

	for (unsigned i = 0; i <= s->n_ops; i++) {
		const struct op *op = i < s->n_ops ? &s->ops[i] : NULL;
		bool flush = !op || op->gap || !merge || (buf_dir >= 0 && buf_dir != op->out);

		if (flush && buf_dir >= 0) {
			bool ok = feed_copy(c, buf_dir, buf, buf_n, &req);

			CHECK(alive || !ok);
			alive = alive && ok;
			buf_n = 0;
			buf_dir = -1;
		}
		if (!op)
			break;
		if (op->gap) {
			h2_gap(c, op->out);
			continue;
		}
		if (bytewise) {
			for (size_t k = 0; k < op->n; k++) {
				bool ok = feed_copy(c, op->out, op->p + k, 1, &req);

				CHECK(alive || !ok);
				alive = alive && ok;
			}
			continue;
		}
		buf = realloc(buf, buf_n + op->n + 1);
		CHECK(buf);
		memcpy(buf + buf_n, op->p, op->n);
		buf_n += op->n;
		buf_dir = op->out;
	}
	free(buf);
	h2_conn_free(c);
	return alive;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct script s;
	static struct observed a, b;
	bool alive_a, alive_b;

	if (!parse_script(data, size, &s))
		return 0;
	alive_a = run(&s, false, false, &a);
	if (s.mid_stream || s.has_gap)
		return 0;

	alive_b = run(&s, true, false, &b);
	CHECK(alive_a == alive_b);
	CHECK(a.digest == b.digest && a.requests == b.requests && a.responses == b.responses);
	if (size <= BYTEWISE_MAX) {
		alive_b = run(&s, false, true, &b);
		CHECK(alive_a == alive_b);
		CHECK(a.digest == b.digest && a.requests == b.requests &&
		      a.responses == b.responses);
	}
	return 0;
}

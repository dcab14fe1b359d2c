/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP/1.x head parsers.  The input is parsed as a
 * request and as a response, and the answers are checked against each
 * other and against the contract in http1.h:
 *  - the visitor only runs on COMPLETE, with names and values inside the
 *    head and shaped as promised (token name, trimmed value, no CR/LF/NUL);
 *  - a second parse gives the same answer (no hidden state);
 *  - a prefix (cut at a point derived from the data) is consistent with
 *    the whole: COMPLETE on the prefix means the same head in the whole,
 *    INVALID on the prefix means INVALID on the whole;
 *  - a smaller max_head only turns answers into INVALID;
 *  - a visitor returning false stops the parse with INVALID.
 * Prefixes are copied to an exact-size heap buffer so ASan sees over-reads.
 */
#include "http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define MAX_HEAD 8192

typedef enum h1_result (*parse_fn)(const uint8_t *, size_t, size_t,
				   const struct h1_visitor *, void *,
				   struct h1_head_info *);

/* What the visitor saw, folded into a digest so two parses can be compared. */
struct observed {
	const uint8_t *buf;
	size_t len;
	unsigned start_lines, headers;
	unsigned stop_after; /* header callback returns false on this call (0: never) */
	uint64_t digest;
};

static uint64_t mix_span(uint64_t h, const char *p, size_t n)
{
	h = fuzz_mix(h, &n, sizeof(n));
	return n ? fuzz_mix(h, p, n) : h;
}

static bool inside(const struct observed *o, const char *p, size_t n)
{
	const uint8_t *q = (const uint8_t *)p;

	return q >= o->buf && q <= o->buf + o->len &&
	       n <= (size_t)(o->buf + o->len - q);
}

static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static bool no_nul_cr_lf(const char *p, size_t n)
{
	return !memchr(p, '\0', n) && !memchr(p, '\r', n) && !memchr(p, '\n', n);
}

static void on_request_line(void *ctx, const char *method, size_t method_len,
			    const char *target, size_t target_len)
{
	struct observed *o = ctx;

	CHECK(o->start_lines == 0 && o->headers == 0);
	CHECK(method_len >= 1 && method_len <= 32 && inside(o, method, method_len));
	CHECK(target_len >= 1 && inside(o, target, target_len));
	for (size_t i = 0; i < method_len; i++)
		CHECK(is_tchar((uint8_t)method[i]));
	for (size_t i = 0; i < target_len; i++)
		CHECK(target[i] > 0x20 && target[i] < 0x7f);
	o->start_lines++;
	o->digest = mix_span(mix_span(o->digest, method, method_len), target,
			     target_len);
}

static void on_status_line(void *ctx, int status, const char *reason,
			   size_t reason_len)
{
	struct observed *o = ctx;

	CHECK(o->start_lines == 0 && o->headers == 0);
	CHECK(status >= 100 && status <= 999);
	CHECK(inside(o, reason, reason_len) && no_nul_cr_lf(reason, reason_len));
	o->start_lines++;
	o->digest = mix_span(fuzz_mix(o->digest, &status, sizeof(status)), reason,
			     reason_len);
}

static bool on_header(void *ctx, const char *name, size_t name_len,
		      const char *value, size_t value_len)
{
	struct observed *o = ctx;

	CHECK(o->start_lines == 1);
	CHECK(name_len > 0 && inside(o, name, name_len));
	CHECK(inside(o, value, value_len) && no_nul_cr_lf(value, value_len));
	for (size_t i = 0; i < name_len; i++)
		CHECK(is_tchar((uint8_t)name[i]));
	if (value_len > 0) {
		CHECK(value[0] != ' ' && value[0] != '\t');
		CHECK(value[value_len - 1] != ' ' && value[value_len - 1] != '\t');
	}
	o->headers++;
	o->digest = mix_span(mix_span(o->digest, name, name_len), value,
			     value_len);
	return o->headers != o->stop_after;
}

static const struct h1_visitor checker = {
	.request_line = on_request_line,
	.status_line = on_status_line,
	.header = on_header,
};

struct outcome {
	enum h1_result r;
	struct h1_head_info info;
	struct observed seen;
};

static void parse(parse_fn fn, const uint8_t *buf, size_t len, size_t max_head,
		  unsigned stop_after, struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->seen.buf = buf;
	out->seen.len = len;
	out->seen.stop_after = stop_after;
	out->r = fn(buf, len, max_head, &checker, &out->seen, &out->info);
}

static bool same_info(const struct h1_head_info *a, const struct h1_head_info *b)
{
	return a->head_len == b->head_len && a->framing == b->framing &&
	       a->content_length == b->content_length &&
	       a->header_count == b->header_count && a->status == b->status &&
	       a->http10 == b->http10;
}

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
	return a->r == b->r && same_info(&a->info, &b->info) &&
	       a->seen.start_lines == b->seen.start_lines &&
	       a->seen.headers == b->seen.headers &&
	       a->seen.digest == b->seen.digest;
}

/* The contract of one parse on its own. */
static void check_outcome(const struct outcome *o, const uint8_t *buf,
			  size_t len, size_t max_head)
{
	const struct h1_head_info *info = &o->info;
	size_t hl = info->head_len;

	if (o->r != H1_COMPLETE) {
		CHECK(o->seen.start_lines == 0 && o->seen.headers == 0);
		CHECK(hl == 0 && info->header_count == 0);
		return;
	}
	CHECK(hl >= 4 && hl <= len && hl <= max_head);
	CHECK(buf[hl - 1] == '\n' &&
	      (buf[hl - 2] == '\n' || (buf[hl - 2] == '\r' && buf[hl - 3] == '\n')));
	CHECK(o->seen.start_lines == 1 && o->seen.headers == info->header_count);
	CHECK((info->framing == H1_BODY_LENGTH) == (info->content_length > 0));
	CHECK(info->content_length <= (UINT64_C(1) << 53));
}

/* Data-derived parameters, so the fuzzer can steer them. */
static uint64_t input_hash(const uint8_t *data, size_t size)
{
	return fuzz_mix(UINT64_C(0xcbf29ce484222325), data, size);
}

static void check_prefix_consistency(parse_fn fn, const uint8_t *data,
				     size_t size, size_t cut,
				     const struct outcome *whole)
{
	uint8_t *copy = malloc(cut ? cut : 1);
	struct outcome pre;

	CHECK(copy != NULL);
	if (cut)
		memcpy(copy, data, cut);
	parse(fn, copy, cut, MAX_HEAD, 0, &pre);
	check_outcome(&pre, copy, cut, MAX_HEAD);
	free(copy);

	if (pre.r == H1_COMPLETE) {
		CHECK(pre.info.head_len <= cut);
		CHECK(whole->r == H1_COMPLETE &&
		      same_info(&pre.info, &whole->info) &&
		      pre.seen.digest == whole->seen.digest);
	}
	if (pre.r == H1_INVALID)
		CHECK(whole->r == H1_INVALID);
	if (whole->r == H1_COMPLETE && cut < whole->info.head_len)
		CHECK(pre.r == H1_INCOMPLETE);
	if (whole->r == H1_INCOMPLETE)
		CHECK(pre.r == H1_INCOMPLETE);
}

/* A smaller max_head can only cut a head off, never change it otherwise. */
static void check_smaller_max_head(parse_fn fn, const uint8_t *data,
				   size_t size, size_t max_head,
				   const struct outcome *whole)
{
	struct outcome o;

	parse(fn, data, size, max_head, 0, &o);
	check_outcome(&o, data, size, max_head);
	if (whole->r == H1_COMPLETE && whole->info.head_len <= max_head)
		CHECK(same_outcome(&o, whole));
	else if (whole->r == H1_INCOMPLETE && size < max_head)
		CHECK(o.r == H1_INCOMPLETE);
	else
		CHECK(o.r == H1_INVALID);
}

static void check_visitor_stop(parse_fn fn, const uint8_t *data, size_t size,
			       unsigned stop_after, const struct outcome *whole)
{
	struct outcome o;

	parse(fn, data, size, MAX_HEAD, stop_after, &o);
	if (whole->r == H1_COMPLETE && stop_after <= whole->info.header_count) {
		CHECK(o.r == H1_INVALID && o.seen.headers == stop_after);
	} else {
		CHECK(o.r == whole->r);
	}
}

static void check_parser(parse_fn fn, const uint8_t *data, size_t size,
			 uint64_t h, struct outcome *whole)
{
	/* max_head in [0, min(size + 1, MAX_HEAD)] */
	size_t smaller_bound = size < MAX_HEAD ? size + 1 : MAX_HEAD;
	struct outcome again;

	parse(fn, data, size, MAX_HEAD, 0, whole);
	check_outcome(whole, data, size, MAX_HEAD);
	parse(fn, data, size, MAX_HEAD, 0, &again);
	CHECK(same_outcome(whole, &again));

	check_prefix_consistency(fn, data, size, (size_t)(h % (size + 1)), whole);
	check_smaller_max_head(fn, data, size,
			       (size_t)((h >> 20) % (smaller_bound + 1)), whole);
	check_visitor_stop(fn, data, size, 1 + (unsigned)((h >> 40) % 8), whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = input_hash(data, size);
	struct outcome req, resp;

	check_parser(h1_parse_request, data, size, h, &req);
	check_parser(h1_parse_response, data, size, h, &resp);

	/* A method cannot contain '/', so no input is both. */
	CHECK(!(req.r == H1_COMPLETE && resp.r == H1_COMPLETE));
	if (resp.r == H1_COMPLETE)
		CHECK(h1_looks_like_response(data, size) &&
		      !h1_looks_like_request(data, size));
	if (req.r == H1_COMPLETE)
		CHECK(!h1_looks_like_response(data, size));
	return 0;
}

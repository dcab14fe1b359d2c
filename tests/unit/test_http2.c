/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for HTTP/2 framing and HPACK decoding (user/http2.c).
 * Header blocks come from RFC 7541 Appendix C or from libnghttp2's own
 * deflater; frames are built here.  Every secret is fake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "http2.h"

#define KEPT_REQUESTS 8
#define MAX_EVENTS 512
#define SEQ_BASE 1000

enum { DATA = 0x0, HEADERS = 0x1, PRIORITY = 0x2, RST_STREAM = 0x3, SETTINGS = 0x4,
       PUSH_PROMISE = 0x5, PING = 0x6, GOAWAY = 0x7, WINDOW_UPDATE = 0x8, CONTINUATION = 0x9 };
enum { END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIO = 0x20 };

/* ------------------------------------------------------------------------ */
/* What the callbacks were told                                             */
/* ------------------------------------------------------------------------ */

struct response_event {
	uint32_t stream;
	int status;
	uint64_t seq;
};

struct recorder {
	struct request kept[KEPT_REQUESTS];   /* the first requests, whole */
	unsigned n_req;
	int64_t stream[MAX_EVENTS];           /* every request's stream */
	bool partial[MAX_EVENTS];
	struct response_event resp[MAX_EVENTS];
	unsigned n_resp;
};

static struct recorder rec;
static struct request scratch;

static uint64_t on_request(void *ctx, struct request *req)
{
	struct recorder *r = ctx;
	unsigned i = r->n_req++;

	assert_string_equal(req->protocol, "h2");
	if (i < KEPT_REQUESTS)
		r->kept[i] = *req;
	if (i < MAX_EVENTS) {
		r->stream[i] = req->stream;
		r->partial[i] = req->hpack_partial;
	}
	return SEQ_BASE + i;
}

static void on_response(void *ctx, uint32_t stream, int status, uint64_t request_seq)
{
	struct recorder *r = ctx;

	if (r->n_resp < MAX_EVENTS)
		r->resp[r->n_resp] = (struct response_event){ stream, status, request_seq };
	r->n_resp++;
}

static const struct h2_callbacks callbacks = {
	.request = on_request,
	.response = on_response,
	.ctx = &rec,
};

/* A connection with fresh records; the scratch request carries event metadata. */
static struct h2_conn *new_conn(bool mid_stream)
{
	struct h2_conn *c = h2_conn_new(&callbacks, mid_stream);

	assert_non_null(c);
	memset(&rec, 0, sizeof(rec));
	memset(&scratch, 0, sizeof(scratch));
	scratch.pid = 4242;
	scratch.conn_id = 7;
	strcpy(scratch.comm, "client");
	scratch.source = "SSL_write";
	scratch.tls = true;
	return c;
}

/* Feed a copy of exactly n bytes on the heap, so ASan sees reads past the end. */
static bool feed(struct h2_conn *c, bool out, const void *data, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	bool ok;

	assert_non_null(copy);
	if (n)
		memcpy(copy, data, n);
	ok = h2_feed(c, out, copy, n, &scratch);
	free(copy);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* Building bytes                                                           */
/* ------------------------------------------------------------------------ */

struct bytes {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_u8(struct bytes *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u32(struct bytes *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 4);
}

static void put_frame_hd(struct bytes *b, uint32_t len, uint8_t type, uint8_t flags,
			 uint32_t stream)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
			 (uint8_t)stream };

	put(b, h, sizeof(h));
}

static void put_frame(struct bytes *b, uint8_t type, uint8_t flags, uint32_t stream,
		      const void *payload, size_t len)
{
	put_frame_hd(b, (uint32_t)len, type, flags, stream);
	put(b, payload, len);
}

static void put_settings(struct bytes *b, unsigned n, const uint32_t pairs[]);

/* The client connection preface: the magic string and a SETTINGS frame. */
static void put_preface(struct bytes *b)
{
	put(b, H2_PREFACE, H2_PREFACE_LEN);
	put_settings(b, 0, NULL);
}

/* SETTINGS with up to 4 (id, value) pairs; n = 0 for an empty one. */
static void put_settings(struct bytes *b, unsigned n, const uint32_t pairs[])
{
	put_frame_hd(b, n * 6, SETTINGS, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		uint8_t id[2] = { (uint8_t)(pairs[2 * i] >> 8), (uint8_t)pairs[2 * i] };

		put(b, id, 2);
		put_u32(b, pairs[2 * i + 1]);
	}
}

static void put_headers(struct bytes *b, uint32_t stream, const struct bytes *block)
{
	put_frame(b, HEADERS, END_HEADERS, stream, block->p, block->n);
}

static struct bytes hex(const char *s)
{
	struct bytes b = { 0 };
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			put_u8(&b, (uint8_t)(hi << 4 | v));
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return b;
}

static void bytes_free(struct bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

#define NV(n, v)                                                                         \
	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

static struct bytes deflate(nghttp2_hd_deflater *def, const nghttp2_nv *nv, size_t n)
{
	struct bytes b = { 0 };
	size_t bound = nghttp2_hd_deflate_bound(def, nv, n);
	ssize_t len;

	b.p = malloc(bound);
	assert_non_null(b.p);
	b.cap = bound;
	len = nghttp2_hd_deflate_hd(def, b.p, bound, nv, n);
	assert_true(len >= 0);
	b.n = (size_t)len;
	return b;
}

static nghttp2_hd_deflater *new_deflater(size_t table_size)
{
	nghttp2_hd_deflater *def = NULL;

	assert_int_equal(nghttp2_hd_deflate_new(&def, table_size), 0);
	return def;
}

/* A fake Anthropic API key: the right shape, a made-up body. */
static const char *fake_key(unsigned seed)
{
	static char buf[128];
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t x = seed * 2654435761u + 1;
	size_t n = strlen("sk-ant-api03-");

	memcpy(buf, "sk-ant-api03-", n);
	buf[n++] = 'Q';
	for (int i = 0; i < 92; i++) {
		x = x * 1664525u + 1013904223u;
		buf[n++] = alphabet[(x >> 24) % 64];
	}
	memcpy(buf + n, "AA", 3);
	return buf;
}

/* An Anthropic Messages request as an SDK sends it over h2. */
static struct bytes anthropic_block(nghttp2_hd_deflater *def, const char *key)
{
	nghttp2_nv nv[] = {
		NV(":method", "POST"),
		NV(":scheme", "https"),
		NV(":authority", "api.anthropic.com"),
		NV(":path", "/v1/messages?beta=true"),
		NV("x-api-key", ""),
		NV("anthropic-version", "2023-06-01"),
		NV("content-type", "application/json"),
		NV("user-agent", "Anthropic/JS 0.50.0"),
	};

	nv[4].value = (uint8_t *)key;
	nv[4].valuelen = strlen(key);
	return deflate(def, nv, sizeof(nv) / sizeof(nv[0]));
}

/* A request whose block needs no dynamic table (deflater with table size 0). */
static struct bytes literal_block(const char *path)
{
	nghttp2_hd_deflater *def = new_deflater(0);
	nghttp2_nv nv[] = {
		NV(":method", "GET"),
		NV(":scheme", "https"),
		NV(":authority", "api.openai.com"),
		NV(":path", ""),
		NV("authorization", "Bearer sk-proj-Zx8Kq2Lm7Nw4Pr6Ty1Uv3Ws5Xa9Bc0De"),
	};
	struct bytes b;

	nv[3].value = (uint8_t *)path;
	nv[3].valuelen = strlen(path);
	b = deflate(def, nv, sizeof(nv) / sizeof(nv[0]));
	nghttp2_hd_deflate_del(def);
	return b;
}

/* :status as a literal field that is not indexed. */
static struct bytes status_block(int status)
{
	char v[4];
	struct bytes b = { 0 };

	snprintf(v, sizeof(v), "%03d", status);
	put_u8(&b, 0x08);
	put_u8(&b, 3);
	put(&b, v, 3);
	return b;
}

static void assert_request(const struct request *r, const char *method, const char *authority,
			   const char *path)
{
	assert_string_equal(r->method, method);
	assert_string_equal(r->authority, authority);
	assert_string_equal(r->path, path);
}

static void assert_names(const struct request *r, unsigned n, const char *const names[])
{
	assert_int_equal(r->n_headers, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(request_header_name(r, i), names[i]);
}

/* ------------------------------------------------------------------------ */
/* RFC 7541 Appendix C                                                      */
/* ------------------------------------------------------------------------ */

static const char *const c3_requests[3] = {
	"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
	"8286 84be 5808 6e6f 2d63 6163 6865",
	"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
};

static const char *const c4_requests[3] = {
	"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
	"8286 84be 5886 a8eb 1064 9cbf",
	"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
};

/* C.5.1 and C.6.1 are prefixed with a size update to 256 ("3fe101"), see below. */
static const char *const c5_responses[3] = {
	"3fe101"
	"4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a"
	"3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
	"4803 3330 37c1 c0bf",
	"88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04"
	"677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49"
	"553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
};

static const char *const c6_responses[3] = {
	"3fe101"
	"4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e"
	"919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
	"4883 640e ffc1 c0bf",
	"88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7"
	"821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed"
	"4ee5 b106 3d50 07",
};

/* The fields RFC 7541 C.5 / C.6 decode to, "name: value" per field. */
static const char *const c5_fields[3][7] = {
	{ ":status: 302", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	  "location: https://www.example.com" },
	{ ":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	  "location: https://www.example.com" },
	{ ":status: 200", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:22 GMT",
	  "location: https://www.example.com", "content-encoding: gzip",
	  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1" },
};

/*
 * The fixtures themselves, checked with a bare inflater: the RFC examples
 * assume a 256-byte table from the start, which over HTTP/2 is a SETTINGS
 * change followed by the encoder's size update.
 */
static void check_response_fixtures(const char *const blocks[3])
{
	nghttp2_hd_inflater *inf = NULL;

	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	assert_int_equal(nghttp2_hd_inflate_change_table_size(inf, 256), 0);
	for (int i = 0; i < 3; i++) {
		struct bytes b = hex(blocks[i]);
		const uint8_t *p = b.p;
		size_t n = b.n;
		unsigned field = 0;

		for (;;) {
			nghttp2_nv nv;
			int flags = 0;
			ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &flags, p, n, 1);
			char got[256];

			assert_true(rv >= 0);
			p += rv;
			n -= (size_t)rv;
			if (flags & NGHTTP2_HD_INFLATE_EMIT) {
				snprintf(got, sizeof(got), "%.*s: %.*s", (int)nv.namelen, nv.name,
					 (int)nv.valuelen, nv.value);
				assert_non_null(c5_fields[i][field]);
				assert_string_equal(got, c5_fields[i][field]);
				field++;
			}
			if (flags & NGHTTP2_HD_INFLATE_FINAL)
				break;
		}
		assert_null(c5_fields[i][field]);
		nghttp2_hd_inflate_end_headers(inf);
		bytes_free(&b);
	}
	nghttp2_hd_inflate_del(inf);
}

static void run_rfc_requests(const char *const blocks[3])
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };
	static const char *const cache_control[] = { "cache-control" };
	static const char *const custom_key[] = { "custom-key" };

	put_preface(&out);
	put_settings(&out, 0, NULL);
	for (int i = 0; i < 3; i++) {
		struct bytes b = hex(blocks[i]);

		put_headers(&out, 1 + 2 * (uint32_t)i, &b);
		bytes_free(&b);
	}
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 3);
	assert_request(&rec.kept[0], "GET", "www.example.com", "/");
	assert_request(&rec.kept[1], "GET", "www.example.com", "/");
	assert_request(&rec.kept[2], "GET", "www.example.com", "/index.html");
	assert_names(&rec.kept[0], 0, NULL);
	assert_names(&rec.kept[1], 1, cache_control);
	assert_names(&rec.kept[2], 1, custom_key);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rec.kept[i].stream, 1 + 2 * i);
		assert_false(rec.kept[i].hpack_partial);
		assert_false(rec.kept[i].incomplete);
		/* request_reset keeps the event metadata the caller filled */
		assert_int_equal(rec.kept[i].pid, 4242);
		assert_string_equal(rec.kept[i].comm, "client");
	}
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_rfc7541_c3_requests_without_huffman(void **state)
{
	run_rfc_requests(c3_requests);
}

static void test_rfc7541_c4_requests_with_huffman(void **state)
{
	run_rfc_requests(c4_requests);
}

/* Requests (C.3), then C.5/C.6 responses under a 256-byte table the client set. */
static void run_rfc_responses(const char *const blocks[3])
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 };
	static const uint32_t table_256[] = { 0x1, 256 };
	static const int status[3] = { 302, 307, 200 };

	check_response_fixtures(blocks);
	put_preface(&out);
	put_settings(&out, 1, table_256);
	for (int i = 0; i < 3; i++) {
		struct bytes b = hex(c3_requests[i]);

		put_headers(&out, 1 + 2 * (uint32_t)i, &b);
		bytes_free(&b);
	}
	put_settings(&in, 0, NULL);
	put_frame(&in, SETTINGS, ACK, 0, NULL, 0);
	for (int i = 0; i < 3; i++) {
		struct bytes b = hex(blocks[i]);

		put_headers(&in, 1 + 2 * (uint32_t)i, &b);
		bytes_free(&b);
	}
	assert_true(feed(c, true, out.p, out.n));
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rec.resp[i].stream, 1 + 2 * i);
		assert_int_equal(rec.resp[i].status, status[i]);
		assert_int_equal(rec.resp[i].seq, SEQ_BASE + i);
	}
	bytes_free(&out);
	bytes_free(&in);
	h2_conn_free(c);
}

static void test_rfc7541_c5_responses_under_table_size_setting(void **state)
{
	run_rfc_responses(c5_responses);
}

static void test_rfc7541_c6_responses_with_huffman(void **state)
{
	run_rfc_responses(c6_responses);
}

/* ------------------------------------------------------------------------ */
/* Realistic requests                                                       */
/* ------------------------------------------------------------------------ */

static void test_deflated_requests_share_the_dynamic_table(void **state)
{
	struct h2_conn *c = new_conn(false);
	nghttp2_hd_deflater *def = new_deflater(4096);
	struct bytes out = { 0 }, blk[3];
	static const char *const names[] = { "x-api-key", "anthropic-version", "content-type",
					     "user-agent" };
	char key[128];

	strcpy(key, fake_key(1));
	put_preface(&out);
	put_settings(&out, 0, NULL);
	for (int i = 0; i < 3; i++) {
		blk[i] = anthropic_block(def, key);
		put_headers(&out, 1 + 2 * (uint32_t)i, &blk[i]);
	}
	/* the later blocks are mostly dynamic-table references */
	assert_true(blk[1].n < blk[0].n / 4);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 3);
	for (int i = 0; i < 3; i++) {
		const struct request *r = &rec.kept[i];

		assert_request(r, "POST", "api.anthropic.com", "/v1/messages?beta=true");
		assert_names(r, 4, names);
		assert_int_equal(r->api, API_ANTHROPIC);
		assert_int_equal(r->n_creds, 1);
		assert_int_equal(r->creds[0].kind, CRED_ANTHROPIC_API_KEY);
		assert_string_equal(r->creds[0].header, "x-api-key");
		assert_string_equal(r->creds[0].fingerprint, rec.kept[0].creds[0].fingerprint);
		assert_string_equal(r->comp.anthropic_version, "2023-06-01");
		assert_string_equal(r->comp.user_agent, "Anthropic/JS 0.50.0");
		assert_int_equal(r->stream, 1 + 2 * i);
		assert_false(r->hpack_partial);
		assert_false(r->has_authorization);
	}
	for (int i = 0; i < 3; i++)
		bytes_free(&blk[i]);
	bytes_free(&out);
	nghttp2_hd_deflate_del(def);
	h2_conn_free(c);
}

/* The record keeps names, kinds and fingerprints: no piece of the key. */
static void test_request_record_holds_no_secret(void **state)
{
	struct h2_conn *c = new_conn(false);
	nghttp2_hd_deflater *def = new_deflater(4096);
	struct bytes out = { 0 }, blk;
	const char *key = fake_key(2);
	const char *body = key + strlen("sk-ant-api03-") + 10;

	put_preface(&out);
	blk = anthropic_block(def, key);
	put_headers(&out, 1, &blk);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_null(memmem(&rec.kept[0], sizeof(rec.kept[0]), body, 12));
	assert_null(memmem(&scratch, sizeof(scratch), body, 12));
	bytes_free(&blk);
	bytes_free(&out);
	nghttp2_hd_deflate_del(def);
	h2_conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* Framing across feeds                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A client stream with every framing feature: SETTINGS, three requests (one
 * plain, one split into HEADERS + 2 CONTINUATION, one PADDED + PRIORITY),
 * DATA, WINDOW_UPDATE, PING, an unknown extension frame.
 */
static struct bytes client_stream(void)
{
	nghttp2_hd_deflater *def = new_deflater(4096);
	struct bytes out = { 0 }, blk;
	uint8_t body[300], wu[4] = { 0, 0, 0x10, 0 }, ping[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint32_t settings[] = { 0x2, 0, 0x4, 65535 };
	size_t third;

	memset(body, '{', sizeof(body));
	put_preface(&out);
	put_settings(&out, 2, settings);
	put_frame(&out, WINDOW_UPDATE, 0, 0, wu, sizeof(wu));

	blk = anthropic_block(def, fake_key(3));
	put_headers(&out, 1, &blk);
	bytes_free(&blk);
	put_frame(&out, DATA, END_STREAM, 1, body, sizeof(body));

	blk = anthropic_block(def, fake_key(4));
	third = blk.n / 3;
	put_frame(&out, HEADERS, 0, 3, blk.p, third);
	put_frame(&out, CONTINUATION, 0, 3, blk.p + third, third);
	put_frame(&out, CONTINUATION, END_HEADERS, 3, blk.p + 2 * third, blk.n - 2 * third);
	bytes_free(&blk);
	put_frame(&out, PING, 0, 0, ping, sizeof(ping));
	put_frame(&out, 0x10 /* PRIORITY_UPDATE */, 0, 0, ping, 6);

	blk = anthropic_block(def, fake_key(3));
	put_frame_hd(&out, (uint32_t)(1 + 5 + blk.n + 7), HEADERS, END_HEADERS | PADDED | PRIO, 5);
	put_u8(&out, 7);
	put(&out, "\x80\x00\x00\x03\x0f", 5);
	put(&out, blk.p, blk.n);
	put(&out, "\0\0\0\0\0\0\0", 7);
	bytes_free(&blk);
	put_frame(&out, DATA, END_STREAM, 5, body, 10);
	nghttp2_hd_deflate_del(def);
	return out;
}

/* A digest of what a run reported, to compare runs. */
static void assert_client_stream_requests(void)
{
	assert_int_equal(rec.n_req, 3);
	for (int i = 0; i < 3; i++) {
		assert_request(&rec.kept[i], "POST", "api.anthropic.com", "/v1/messages?beta=true");
		assert_int_equal(rec.kept[i].stream, 1 + 2 * i);
		assert_int_equal(rec.kept[i].n_creds, 1);
		assert_int_equal(rec.kept[i].creds[0].kind, CRED_ANTHROPIC_API_KEY);
		assert_int_equal(rec.kept[i].n_headers, 4);
		assert_false(rec.kept[i].hpack_partial);
	}
	assert_string_equal(rec.kept[0].creds[0].fingerprint, rec.kept[2].creds[0].fingerprint);
	assert_string_not_equal(rec.kept[0].creds[0].fingerprint, rec.kept[1].creds[0].fingerprint);
}

static void test_many_frames_in_one_feed(void **state)
{
	struct bytes out = client_stream();
	struct h2_conn *c = new_conn(false);

	assert_true(feed(c, true, out.p, out.n));
	assert_client_stream_requests();
	h2_conn_free(c);
	bytes_free(&out);
}

static void test_split_at_every_byte_gives_the_same_requests(void **state)
{
	struct bytes out = client_stream();

	for (size_t cut = 0; cut <= out.n; cut++) {
		struct h2_conn *c = new_conn(false);

		assert_true(feed(c, true, out.p, cut));
		assert_true(feed(c, true, out.p + cut, out.n - cut));
		assert_client_stream_requests();
		h2_conn_free(c);
	}
	bytes_free(&out);
}

static void test_one_byte_feeds(void **state)
{
	struct bytes out = client_stream();
	struct h2_conn *c = new_conn(false);

	for (size_t i = 0; i < out.n; i++)
		assert_true(feed(c, true, out.p + i, 1));
	assert_client_stream_requests();
	h2_conn_free(c);
	bytes_free(&out);
}

static void test_split_responses_at_every_byte(void **state)
{
	struct bytes in = { 0 }, b;

	put_settings(&in, 0, NULL);
	b = status_block(100);
	put_headers(&in, 1, &b);
	bytes_free(&b);
	b = status_block(401);
	put_frame_hd(&in, (uint32_t)(1 + b.n + 3), HEADERS, PADDED, 1);
	put_u8(&in, 3);
	put(&in, b.p, b.n);
	put(&in, "\0\0\0", 3);
	put_frame(&in, CONTINUATION, END_HEADERS, 1, NULL, 0);
	bytes_free(&b);
	b = status_block(200);
	put_headers(&in, 3, &b);
	bytes_free(&b);

	for (size_t cut = 0; cut <= in.n; cut++) {
		struct h2_conn *c = new_conn(false);

		assert_true(feed(c, false, in.p, cut));
		assert_true(feed(c, false, in.p + cut, in.n - cut));
		assert_int_equal(rec.n_resp, 2);
		assert_int_equal(rec.resp[0].stream, 1);
		assert_int_equal(rec.resp[0].status, 401);
		assert_int_equal(rec.resp[1].stream, 3);
		assert_int_equal(rec.resp[1].status, 200);
		h2_conn_free(c);
	}
	bytes_free(&in);
}

static void test_continuation_must_follow_headers(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, blk = literal_block("/v1/models");
	uint8_t ping[8] = { 0 };

	put_preface(&out);
	put_frame(&out, HEADERS, 0, 1, blk.p, 4);
	put_frame(&out, PING, 0, 0, ping, sizeof(ping));
	assert_false(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 0);
	assert_false(feed(c, true, blk.p, blk.n));
	h2_conn_free(c);

	/* CONTINUATION on another stream */
	c = new_conn(false);
	out.n = 0;
	put_preface(&out);
	put_frame(&out, HEADERS, 0, 1, blk.p, 4);
	put_frame(&out, CONTINUATION, END_HEADERS, 3, blk.p + 4, blk.n - 4);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);

	/* a stray CONTINUATION */
	c = new_conn(false);
	out.n = 0;
	put_preface(&out);
	put_frame(&out, CONTINUATION, END_HEADERS, 1, blk.p, blk.n);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);
	bytes_free(&blk);
	bytes_free(&out);
}

static void test_bad_padding_is_fatal(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };

	put_preface(&out);
	put_frame(&out, HEADERS, END_HEADERS | PADDED, 1, "\x05\x82\x84", 3);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);

	/* padding plus priority fields longer than the payload, across feeds */
	c = new_conn(false);
	out.n = 0;
	put_preface(&out);
	put_frame(&out, HEADERS, END_HEADERS | PADDED | PRIO, 1, "\x01\0\0\0\0\0", 6);
	assert_true(feed(c, true, out.p, out.n - 1));
	assert_false(feed(c, true, out.p + out.n - 1, 1));
	assert_int_equal(rec.n_req, 0);
	h2_conn_free(c);
	bytes_free(&out);
}

static void test_header_frames_on_stream_zero_or_empty_padded_are_fatal(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };

	put_preface(&out);
	put_frame(&out, HEADERS, END_HEADERS, 0, "\x82", 1);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);

	c = new_conn(false);
	out.n = 0;
	put_preface(&out);
	put_frame(&out, HEADERS, PADDED, 1, NULL, 0);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);
	bytes_free(&out);
}

static void test_data_frames_are_skipped_across_feeds(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/one"), b = literal_block("/two");
	static const uint32_t big_frames[] = { 0x5, 1 << 20 };
	size_t body_len = 200000;
	uint8_t *body = malloc(body_len);

	/* the body is full of bytes that look like HEADERS frames */
	assert_non_null(body);
	memset(body, 0, body_len);
	for (size_t i = 0; i + 9 + a.n <= body_len; i += 9 + a.n) {
		memcpy(body + i, "\0\0\0\x01\x04\0\0\0\x07", 9);
		body[i + 2] = (uint8_t)a.n;
		memcpy(body + i + 9, a.p, a.n);
	}
	put_settings(&in, 1, big_frames);
	assert_true(feed(c, false, in.p, in.n));

	put_preface(&out);
	put_headers(&out, 1, &a);
	put_frame(&out, DATA, END_STREAM, 1, body, body_len);
	put_headers(&out, 3, &b);
	for (size_t off = 0; off < out.n; off += 4096)
		assert_true(feed(c, true, out.p + off, out.n - off < 4096 ? out.n - off : 4096));
	assert_int_equal(rec.n_req, 2);
	assert_string_equal(rec.kept[0].path, "/one");
	assert_string_equal(rec.kept[1].path, "/two");
	assert_int_equal(rec.kept[1].stream, 3);
	free(body);
	bytes_free(&a);
	bytes_free(&b);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* SETTINGS                                                                 */
/* ------------------------------------------------------------------------ */

static void test_settings_header_table_size_allows_a_larger_table(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 };
	static const uint32_t table_8192[] = { 0x1, 8192 };
	/* size update to 8192, then ":status: 401" with incremental indexing */
	struct bytes first = hex("3fe13f 4803 343031"), again = hex("be");

	put_preface(&out);
	put_settings(&out, 1, table_8192);
	assert_true(feed(c, true, out.p, out.n));
	put_settings(&in, 0, NULL);
	put_frame(&in, SETTINGS, ACK, 0, NULL, 0);
	put_headers(&in, 1, &first);
	put_headers(&in, 3, &again);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 2);
	assert_int_equal(rec.resp[0].status, 401);
	assert_int_equal(rec.resp[1].status, 401);
	h2_conn_free(c);

	/* without the client's SETTINGS the size update is an HPACK error */
	c = new_conn(false);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 0);
	h2_conn_free(c);
	bytes_free(&first);
	bytes_free(&again);
	bytes_free(&in);
	bytes_free(&out);
}

static void test_settings_header_table_size_zero_empties_the_table(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 };
	static const uint32_t table_0[] = { 0x1, 0 };
	struct bytes first = hex("20 4803 343031"), again = hex("be"), plain = status_block(429);

	put_preface(&out);
	put_settings(&out, 1, table_0);
	assert_true(feed(c, true, out.p, out.n));
	put_headers(&in, 1, &first);
	put_headers(&in, 3, &again); /* nothing was stored: index 62 does not exist */
	put_headers(&in, 5, &plain);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 2);
	assert_int_equal(rec.resp[0].stream, 1);
	assert_int_equal(rec.resp[0].status, 401);
	assert_int_equal(rec.resp[1].stream, 5);
	assert_int_equal(rec.resp[1].status, 429);
	bytes_free(&first);
	bytes_free(&again);
	bytes_free(&plain);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

/*
 * An untrusted table cannot know whether the encoder already sent the size
 * update a lower setting calls for, so settings only ever raise its limit.
 */
static void test_settings_on_an_untrusted_table_only_raise_the_limit(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 }, in = { 0 };
	static const uint32_t table_0[] = { 0x1, 0 }, table_200k[] = { 0x1, 200000 };
	struct bytes ok = hex("88"), big_update = hex("3fe1ff07 88");

	put_headers(&in, 1, &ok);
	assert_true(feed(c, false, in.p, in.n));
	put_settings(&out, 1, table_0);
	assert_true(feed(c, true, out.p, out.n));
	assert_true(feed(c, false, in.p, in.n)); /* no size update needed */
	assert_int_equal(rec.n_resp, 2);

	in.n = 0;
	put_headers(&in, 3, &big_update);         /* 131072: over the default limit */
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 2);
	out.n = 0;
	put_settings(&out, 1, table_200k);
	assert_true(feed(c, true, out.p, out.n));
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 3);
	bytes_free(&ok);
	bytes_free(&big_update);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_oversize_frame_is_fatal(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 };

	/* the server's SETTINGS leave its limit at the default 16384 */
	put_settings(&in, 0, NULL);
	assert_true(feed(c, false, in.p, in.n));
	put_preface(&out);
	put_frame_hd(&out, 16385, DATA, 0, 1);
	assert_false(feed(c, true, out.p, out.n));
	assert_false(feed(c, true, "\0", 1));
	h2_conn_free(c);

	/* the largest length a frame header can carry, before any SETTINGS */
	c = new_conn(false);
	out.n = 0;
	put_settings(&out, 0, NULL);
	assert_true(feed(c, true, H2_PREFACE, H2_PREFACE_LEN));
	assert_true(feed(c, true, out.p, out.n));
	in.n = 0;
	put_frame_hd(&in, 0xffffff, HEADERS, END_HEADERS, 1);
	assert_false(feed(c, false, in.p, in.n));
	h2_conn_free(c);
	bytes_free(&in);
	bytes_free(&out);
}

static void test_frame_size_follows_settings(void **state)
{
	struct bytes out = { 0 }, in = { 0 }, blk = literal_block("/after-big-data");
	static const uint32_t frame_32k[] = { 0x5, 32768 };
	uint8_t *body = calloc(1, 20000);
	struct h2_conn *c;

	assert_non_null(body);
	put_preface(&out);
	put_frame(&out, DATA, 0, 1, body, 20000);
	put_headers(&out, 3, &blk);

	/* the server allowed 32768 */
	c = new_conn(false);
	put_settings(&in, 1, frame_32k);
	assert_true(feed(c, false, in.p, in.n));
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	h2_conn_free(c);

	/* no server SETTINGS seen (reads not captured): no limit is enforced */
	c = new_conn(false);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	h2_conn_free(c);

	/* a SETTINGS frame split across reads only counts once it is whole */
	c = new_conn(false);
	assert_true(feed(c, false, in.p, 10));
	assert_true(feed(c, true, out.p, out.n));
	assert_true(feed(c, false, in.p + 10, in.n - 10));
	assert_int_equal(rec.n_req, 1);
	h2_conn_free(c);
	free(body);
	bytes_free(&blk);
	bytes_free(&in);
	bytes_free(&out);
}

static void test_malformed_settings_are_fatal(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };

	put_preface(&out);
	put_frame(&out, SETTINGS, 0, 0, "\0\x01\0\0", 4); /* not a multiple of 6 */
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);

	c = new_conn(false);
	out.n = 0;
	put_preface(&out);
	put_frame(&out, SETTINGS, 0, 1, NULL, 0); /* on a stream */
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);
	bytes_free(&out);
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

static void test_response_status_joins_its_stream(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/a"), b = literal_block("/b");
	struct bytes s401 = status_block(401), s200 = hex("88");

	put_preface(&out);
	put_headers(&out, 1, &a);
	put_headers(&out, 3, &b);
	assert_true(feed(c, true, out.p, out.n));
	put_settings(&in, 0, NULL);
	put_headers(&in, 3, &s401);   /* answers out of order */
	put_headers(&in, 1, &s200);
	put_headers(&in, 9, &s200);   /* a stream we never saw */
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 3);
	assert_int_equal(rec.resp[0].stream, 3);
	assert_int_equal(rec.resp[0].status, 401);
	assert_int_equal(rec.resp[0].seq, SEQ_BASE + 1);
	assert_int_equal(rec.resp[1].stream, 1);
	assert_int_equal(rec.resp[1].status, 200);
	assert_int_equal(rec.resp[1].seq, SEQ_BASE);
	assert_int_equal(rec.resp[2].stream, 9);
	assert_int_equal(rec.resp[2].seq, 0);
	bytes_free(&a);
	bytes_free(&b);
	bytes_free(&s401);
	bytes_free(&s200);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_informational_status_and_trailers_are_not_reported(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/a");
	struct bytes s100 = status_block(100), s200 = hex("88");
	struct bytes trailers = hex("40 0b 677270632d737461747573 01 30"); /* grpc-status: 0 */

	put_preface(&out);
	put_headers(&out, 1, &a);
	assert_true(feed(c, true, out.p, out.n));
	put_headers(&in, 1, &s100);
	put_headers(&in, 1, &s200);
	put_frame(&in, DATA, 0, 1, "{}", 2);
	put_frame(&in, HEADERS, END_HEADERS | END_STREAM, 1, trailers.p, trailers.n);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 1);
	assert_int_equal(rec.resp[0].status, 200);
	assert_int_equal(rec.resp[0].seq, SEQ_BASE);
	bytes_free(&a);
	bytes_free(&s100);
	bytes_free(&s200);
	bytes_free(&trailers);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_client_trailers_are_not_requests(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, a = literal_block("/a");
	struct bytes trailers = hex("40 0a 782d636865636b73756d 01 31"); /* x-checksum: 1 */

	put_preface(&out);
	put_frame(&out, HEADERS, END_HEADERS, 1, a.p, a.n);
	put_frame(&out, DATA, 0, 1, "{}", 2);
	put_frame(&out, HEADERS, END_HEADERS | END_STREAM, 1, trailers.p, trailers.n);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	bytes_free(&a);
	bytes_free(&trailers);
	bytes_free(&out);
	h2_conn_free(c);
}

/* RFC 9113 8.3.1: no :method, no request (an empty block, or :path alone). */
/*
 * HPACK carries any bytes in a name (found by fuzz_conn): an empty name is
 * not a field and is left out; a NUL inside a name is shown as '?' so the
 * name keeps its length and the record never holds an empty name.
 */
static void test_empty_and_nul_header_names_never_reach_the_record(void **state)
{
	struct h2_conn *c = new_conn(false);
	/* :method GET, :scheme https, :path /, then two literals without indexing:
	 * "" = "x" and "x-a\0" = "v" */
	struct bytes out = { 0 }, blk = hex("82 87 84 00 00 01 78 00 04 78 2d 61 00 01 76");

	(void)state;
	put_preface(&out);
	put_headers(&out, 1, &blk);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_int_equal(rec.kept[0].n_headers, 1);
	assert_string_equal(request_header_name(&rec.kept[0], 0), "x-a?");
	h2_conn_free(c);
	bytes_free(&blk);
	bytes_free(&out);
}

static void test_header_block_without_method_is_not_a_request(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, only_path = hex("84"), a = literal_block("/a");

	put_preface(&out);
	put_frame(&out, HEADERS, END_HEADERS | END_STREAM, 1, NULL, 0);
	put_headers(&out, 3, &only_path);
	put_headers(&out, 5, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_int_equal(rec.kept[0].stream, 5);
	h2_conn_free(c);

	/* the same mid-stream, where the frame also has to start the feed */
	c = new_conn(true);
	out.n = 0;
	put_frame(&out, HEADERS, END_HEADERS | END_STREAM, 0x01010101, NULL, 0);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 0);
	h2_conn_free(c);
	bytes_free(&only_path);
	bytes_free(&a);
	bytes_free(&out);
}

/* :method present but empty, cut to nothing by a NUL, or overwritten empty */
static void test_empty_method_is_no_method(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };
	struct bytes empty = hex("02 00 87 84"), nul_first = hex("02 04 00 47 45 54 87 84");
	struct bytes overwritten = hex("82 02 00 87 84"), good = hex("82 87 84");

	(void)state;
	put_preface(&out);
	put_headers(&out, 1, &empty);
	put_headers(&out, 3, &nul_first);
	put_headers(&out, 5, &overwritten);
	put_headers(&out, 7, &good);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_int_equal(rec.kept[0].stream, 7);
	assert_string_equal(rec.kept[0].method, "GET");
	h2_conn_free(c);
	bytes_free(&empty);
	bytes_free(&nul_first);
	bytes_free(&overwritten);
	bytes_free(&good);
	bytes_free(&out);
}

static void test_push_promise_keeps_the_table_in_step(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes in = { 0 }, ref = hex("be");
	/* a promised request that stores ":status: 429" (index 62) on the way */
	struct bytes promised = hex("82 87 4803 343239");

	put_frame_hd(&in, (uint32_t)(1 + 4 + promised.n + 2), PUSH_PROMISE, END_HEADERS | PADDED, 1);
	put_u8(&in, 2);
	put_u32(&in, 2);
	put(&in, promised.p, promised.n);
	put(&in, "\0\0", 2);
	put_headers(&in, 1, &ref);
	put_headers(&in, 2, &ref); /* the pushed response: no request of ours */
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 1);
	assert_int_equal(rec.resp[0].stream, 1);
	assert_int_equal(rec.resp[0].status, 429);
	bytes_free(&in);
	bytes_free(&ref);
	bytes_free(&promised);
	h2_conn_free(c);
}

static void test_rst_stream_forgets_the_request(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/a"), s = status_block(401);

	put_preface(&out);
	put_headers(&out, 1, &a);
	put_frame(&out, RST_STREAM, 0, 1, "\0\0\0\x08", 4);
	assert_true(feed(c, true, out.p, out.n));
	put_headers(&in, 1, &s);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 1);
	assert_int_equal(rec.resp[0].seq, 0);
	bytes_free(&a);
	bytes_free(&s);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_open_streams_are_bounded_oldest_evicted(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/a"), s = status_block(500);

	put_preface(&out);
	for (uint32_t i = 0; i < 300; i++)
		put_headers(&out, 1 + 2 * i, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 300);
	put_headers(&in, 1, &s);         /* evicted */
	put_headers(&in, 599, &s);       /* the newest */
	put_headers(&in, 89, &s);        /* the oldest still kept: request 44 */
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 3);
	assert_int_equal(rec.resp[0].seq, 0);
	assert_int_equal(rec.resp[1].seq, SEQ_BASE + 299);
	assert_int_equal(rec.resp[2].seq, SEQ_BASE + 44);
	bytes_free(&a);
	bytes_free(&s);
	bytes_free(&in);
	bytes_free(&out);
	h2_conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* Lost state: mid-stream attach, gaps, errors                              */
/* ------------------------------------------------------------------------ */

static void test_mid_stream_unknown_dynamic_entry_gives_partial_request(void **state)
{
	struct h2_conn *c = new_conn(true);
	nghttp2_hd_deflater *old = new_deflater(4096), *fresh = new_deflater(4096);
	struct bytes blk[3], out = { 0 }, a, b;

	for (int i = 0; i < 3; i++)
		blk[i] = anthropic_block(old, fake_key(5));
	/* attached after the first request: its table entries are unknown */
	for (int i = 1; i < 3; i++) {
		out.n = 0;
		put_headers(&out, 1 + 2 * (uint32_t)i, &blk[i]);
		assert_true(feed(c, true, out.p, out.n));
	}
	assert_int_equal(rec.n_req, 2);
	for (int i = 0; i < 2; i++) {
		const struct request *r = &rec.kept[i];

		assert_true(r->hpack_partial);
		assert_int_equal(r->stream, 3 + 2 * i);
		/*
		 * :method and :scheme come from the static table, :path is a
		 * literal; :authority and the headers refer to the unseen request
		 */
		assert_string_equal(r->method, "POST");
		assert_string_equal(r->path, "/v1/messages?beta=true");
		assert_string_equal(r->authority, "");
		assert_int_equal(r->n_headers, 0);
		assert_int_equal(r->n_creds, 0);
	}

	/* blocks the fresh inflater can follow decode exactly, table included */
	a = anthropic_block(fresh, fake_key(6));
	b = anthropic_block(fresh, fake_key(6));
	out.n = 0;
	put_headers(&out, 7, &a);
	assert_true(feed(c, true, out.p, out.n));
	out.n = 0;
	put_headers(&out, 9, &b);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 4);
	for (int i = 2; i < 4; i++) {
		const struct request *r = &rec.kept[i];

		assert_false(r->hpack_partial);
		assert_request(r, "POST", "api.anthropic.com", "/v1/messages?beta=true");
		assert_int_equal(r->creds[0].kind, CRED_ANTHROPIC_API_KEY);
	}
	for (int i = 0; i < 3; i++)
		bytes_free(&blk[i]);
	bytes_free(&a);
	bytes_free(&b);
	bytes_free(&out);
	nghttp2_hd_deflate_del(old);
	nghttp2_hd_deflate_del(fresh);
	h2_conn_free(c);
}

static void test_mid_stream_skips_feeds_that_do_not_start_a_frame(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 }, a = literal_block("/v1/chat/completions");
	static const char body_tail[] = "\"model\":\"gpt-4o\",\"messages\":[]}";

	assert_true(feed(c, true, body_tail, sizeof(body_tail) - 1));
	assert_true(feed(c, true, "\0\0", 2));
	put_headers(&out, 41, &a);
	/* the tail of this frame, then the whole frame */
	assert_true(feed(c, true, out.p + 5, out.n - 5));
	assert_int_equal(rec.n_req, 0);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_false(rec.kept[0].hpack_partial);
	assert_request(&rec.kept[0], "GET", "api.openai.com", "/v1/chat/completions");
	assert_int_equal(rec.kept[0].creds[0].kind, CRED_OPENAI_API_KEY);
	assert_int_equal(rec.kept[0].stream, 41);
	bytes_free(&a);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_mid_stream_framing_error_resyncs_instead_of_failing(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 }, a = literal_block("/x");

	/* plausible start, then a stray CONTINUATION: misaligned, not fatal */
	put_frame(&out, WINDOW_UPDATE, 0, 0, "\0\0\x10\0", 4);
	put_frame(&out, CONTINUATION, END_HEADERS, 1, "\x82", 1);
	assert_true(feed(c, true, out.p, out.n));
	out.n = 0;
	put_headers(&out, 5, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	bytes_free(&a);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_mid_stream_response_skips_unseen_entries(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes in = { 0 }, s = hex("be 88"); /* an unseen entry, then :status 200 */

	put_headers(&in, 11, &s);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 1);
	assert_int_equal(rec.resp[0].stream, 11);
	assert_int_equal(rec.resp[0].status, 200);
	assert_int_equal(rec.resp[0].seq, 0);

	/* an index past any table fails the block; the status before it counts */
	in.n = 0;
	bytes_free(&s);
	s = hex("88 ff ff 0f");
	put_headers(&in, 13, &s);
	assert_true(feed(c, false, in.p, in.n));
	assert_int_equal(rec.n_resp, 2);
	assert_int_equal(rec.resp[1].status, 200);
	bytes_free(&s);
	bytes_free(&in);
	h2_conn_free(c);
}

/*
 * Attached to a long-lived connection: the request refers to entries we
 * never saw, but fields sent as literals after them still decode, such as
 * an Authorization that the client never indexes.
 */
static void test_mid_stream_literals_after_unseen_entries_decode(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 };
	/* :method POST, 3 unseen entries, :path literal, authorization never indexed */
	struct bytes blk = hex("83 be c4 c0 04 0c 2f76312f6d65737361676573"
			       "1f 08 38 42656172657220736b2d616e742d6f617430312d"
			       "5a7138586b324c6d374e7734507236547931557633577335"
			       "586139426330446566476831");

	put_headers(&out, 21, &blk);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_true(rec.kept[0].hpack_partial);
	assert_string_equal(rec.kept[0].method, "POST");
	assert_string_equal(rec.kept[0].path, "/v1/messages");
	assert_true(rec.kept[0].has_authorization);
	assert_int_equal(rec.kept[0].n_creds, 1);
	assert_int_equal(rec.kept[0].creds[0].kind, CRED_ANTHROPIC_OAUTH_TOKEN);
	assert_string_equal(rec.kept[0].creds[0].scheme, "Bearer");
	bytes_free(&blk);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_mid_stream_trailers_are_not_requests(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 }, a = literal_block("/after");
	struct bytes trailers = hex("40 0a 782d636865636b73756d 01 31"); /* x-checksum: 1 */

	/* the end of a stream opened before we attached */
	put_frame(&out, HEADERS, END_HEADERS | END_STREAM, 1, trailers.p, trailers.n);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 0);
	out.n = 0;
	put_headers(&out, 3, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_int_equal(rec.kept[0].stream, 3);
	bytes_free(&a);
	bytes_free(&trailers);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_mid_stream_feed_starting_with_the_preface(void **state)
{
	struct h2_conn *c = new_conn(true);
	struct bytes out = { 0 }, a = literal_block("/fresh");

	put_preface(&out);
	put_headers(&out, 1, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	assert_string_equal(rec.kept[0].path, "/fresh");
	bytes_free(&a);
	bytes_free(&out);
	h2_conn_free(c);
}

/* Resynchronising takes a feed only when it starts like a real frame. */
static void test_resync_checks_frame_shapes(void **state)
{
	struct bytes a = literal_block("/r");
	static const struct {
		uint32_t len;
		uint8_t type, flags;
		uint32_t stream;
		bool plausible;
	} starts[] = {
		{ 8, PING, 0, 0, true },
		{ 7, PING, 0, 0, false },
		{ 8, PING, 0, 1, false },
		{ 5, PRIORITY, 0, 1, true },
		{ 4, PRIORITY, 0, 1, false },
		{ 8, GOAWAY, 0, 0, true },
		{ 4, GOAWAY, 0, 0, false },
		{ 4, RST_STREAM, 0, 1, true },
		{ 4, WINDOW_UPDATE, 0, 0, true },
		{ 4, WINDOW_UPDATE, 0, 3, true },
		{ 6, SETTINGS, 0, 0, true },
		{ 5, SETTINGS, 0, 0, false },
		{ 0, SETTINGS, ACK, 0, true },
		{ 0, DATA, 0, 0, false },
		{ 0, DATA, 0x40, 1, false },
		{ 0, CONTINUATION, END_HEADERS, 1, false },
		{ 0, 0x0a, 0, 0, false },
		{ 0, DATA, END_STREAM, 0x80000001u, false },
	};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		struct h2_conn *c = new_conn(true);
		struct bytes out = { 0 };
		uint8_t zero[16] = { 0 };

		put_frame(&out, starts[i].type, starts[i].flags, starts[i].stream, zero,
			  starts[i].len);
		put_headers(&out, 5, &a);
		assert_true(feed(c, true, out.p, out.n));
		if (rec.n_req != (starts[i].plausible ? 1u : 0u))
			fail_msg("start %zu: %u requests", i, rec.n_req);
		h2_conn_free(c);
		bytes_free(&out);
	}
	bytes_free(&a);
}

static void test_gap_resynchronises_and_marks_partial(void **state)
{
	struct h2_conn *c = new_conn(false);
	nghttp2_hd_deflater *def = new_deflater(4096);
	struct bytes out = { 0 }, blk[3];

	for (int i = 0; i < 3; i++)
		blk[i] = anthropic_block(def, fake_key(7));
	put_preface(&out);
	put_headers(&out, 1, &blk[0]);
	put_headers(&out, 3, &blk[1]);
	/* the second request's frame is cut by lost bytes */
	assert_true(feed(c, true, out.p, out.n - 3));
	assert_int_equal(rec.n_req, 1);
	h2_gap(c, true);
	assert_true(feed(c, true, out.p + out.n - 2, 2)); /* not a frame start: skipped */
	out.n = 0;
	put_headers(&out, 5, &blk[2]);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 2);
	assert_int_equal(rec.kept[1].stream, 5);
	assert_true(rec.kept[1].hpack_partial);
	assert_string_equal(rec.kept[1].method, "POST");
	for (int i = 0; i < 3; i++)
		bytes_free(&blk[i]);
	bytes_free(&out);
	nghttp2_hd_deflate_del(def);
	h2_conn_free(c);
}

static void test_hpack_error_reports_partial_and_recovers(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, bad = hex("83 80"), good = literal_block("/ok");

	/* index 0 is invalid HPACK: a framed, partial request; decoding goes on */
	put_preface(&out);
	put_headers(&out, 1, &bad);
	put_headers(&out, 3, &good);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 2);
	assert_true(rec.kept[0].hpack_partial);
	assert_string_equal(rec.kept[0].method, "POST");
	assert_false(rec.kept[1].hpack_partial);
	assert_string_equal(rec.kept[1].path, "/ok");
	bytes_free(&bad);
	bytes_free(&good);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_header_block_over_the_cap_is_cut(void **state)
{
	struct h2_conn *c = new_conn(false);
	nghttp2_hd_deflater *def = new_deflater(4096);
	struct bytes out = { 0 }, blk, next = literal_block("/next");
	nghttp2_nv nv[16];
	char big[30000];
	size_t n = 0, off = 0;
	const char *key = fake_key(8);

	memset(big, 'v', sizeof(big));
	nv[n++] = (nghttp2_nv)NV(":method", "POST");
	nv[n++] = (nghttp2_nv)NV(":path", "/v1/messages");
	nv[n++] = (nghttp2_nv){ (uint8_t *)"x-api-key", (uint8_t *)key, 9, strlen(key), 0 };
	while (n < 16)
		nv[n++] = (nghttp2_nv){ (uint8_t *)"x-big", (uint8_t *)big, 5, sizeof(big), 0 };
	blk = deflate(def, nv, n);
	assert_true(blk.n > 256 * 1024);

	put_preface(&out);
	while (off < blk.n) {
		size_t len = blk.n - off < 16384 ? blk.n - off : 16384;
		uint8_t type = off ? CONTINUATION : HEADERS;

		put_frame(&out, type, off + len == blk.n ? END_HEADERS : 0, 1, blk.p + off, len);
		off += len;
	}
	put_headers(&out, 3, &next);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 2);
	assert_true(rec.kept[0].incomplete);
	assert_string_equal(rec.kept[0].method, "POST");
	assert_int_equal(rec.kept[0].n_creds, 1);
	assert_int_equal(rec.kept[0].creds[0].kind, CRED_ANTHROPIC_API_KEY);
	assert_true(rec.kept[0].n_headers >= 2 && rec.kept[0].n_headers < 14);
	assert_false(rec.kept[1].incomplete);
	assert_string_equal(rec.kept[1].path, "/next");
	bytes_free(&blk);
	bytes_free(&next);
	bytes_free(&out);
	nghttp2_hd_deflate_del(def);
	h2_conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* Preface and robustness                                                   */
/* ------------------------------------------------------------------------ */

static void test_looks_like_preface(void **state)
{
	const uint8_t *p = (const uint8_t *)H2_PREFACE;

	assert_true(h2_looks_like_preface(p, H2_PREFACE_LEN));
	assert_true(h2_looks_like_preface(p, 1));
	assert_true(h2_looks_like_preface(p, 10));
	assert_true(h2_looks_like_preface((const uint8_t *)H2_PREFACE "\0\0\0\x04", 28));
	assert_false(h2_looks_like_preface(p, 0));
	assert_false(h2_looks_like_preface((const uint8_t *)"POST / HTTP/1.1\r\n", 17));
	assert_false(h2_looks_like_preface((const uint8_t *)"PRI * HTTP/1.1\r\n", 16));
}

static void test_preface_across_feeds(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 }, a = literal_block("/p");

	for (int i = 0; i < H2_PREFACE_LEN; i++)
		assert_true(feed(c, true, &H2_PREFACE[i], 1));
	put_settings(&out, 0, NULL);
	put_headers(&out, 1, &a);
	assert_true(feed(c, true, out.p, out.n));
	assert_int_equal(rec.n_req, 1);
	bytes_free(&a);
	bytes_free(&out);
	h2_conn_free(c);
}

static void test_garbage_after_preface_is_fatal(void **state)
{
	struct h2_conn *c = new_conn(false);
	struct bytes out = { 0 };
	static const char h1[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

	put(&out, H2_PREFACE, H2_PREFACE_LEN);
	put(&out, h1, sizeof(h1) - 1);
	assert_false(feed(c, true, out.p, out.n));
	assert_false(feed(c, true, out.p, out.n));
	assert_false(feed(c, false, "\0\0\0\x04\0\0\0\0\0", 9));
	h2_gap(c, true);
	assert_int_equal(rec.n_req, 0);
	h2_conn_free(c);

	/* not the preface at all */
	c = new_conn(false);
	assert_false(feed(c, true, "PRI * HTTP/1.1\r\n", 16));
	h2_conn_free(c);

	/* a well-formed frame, but not the SETTINGS the preface ends with */
	c = new_conn(false);
	out.n = 0;
	put(&out, H2_PREFACE, H2_PREFACE_LEN);
	put_frame(&out, PING, 0, 0, "\0\0\0\0\0\0\0\0", 8);
	assert_false(feed(c, true, out.p, out.n));
	h2_conn_free(c);
	bytes_free(&out);
}

static void test_null_callbacks_and_request_are_safe(void **state)
{
	struct h2_conn *c = h2_conn_new(NULL, false);
	struct bytes out = { 0 }, in = { 0 }, a = literal_block("/n"), s = hex("88");

	assert_non_null(c);
	put_preface(&out);
	put_headers(&out, 1, &a);
	put_headers(&in, 1, &s);
	assert_true(h2_feed(c, true, out.p, out.n, &scratch));
	assert_true(h2_feed(c, false, in.p, in.n, NULL));
	assert_true(h2_feed(c, true, NULL, 0, NULL));
	h2_gap(c, false);
	h2_conn_free(c);
	h2_conn_free(NULL);
	assert_false(h2_feed(NULL, true, out.p, out.n, &scratch));
	h2_gap(NULL, true);
	bytes_free(&a);
	bytes_free(&s);
	bytes_free(&in);
	bytes_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7541_c3_requests_without_huffman),
		cmocka_unit_test(test_rfc7541_c4_requests_with_huffman),
		cmocka_unit_test(test_rfc7541_c5_responses_under_table_size_setting),
		cmocka_unit_test(test_rfc7541_c6_responses_with_huffman),
		cmocka_unit_test(test_deflated_requests_share_the_dynamic_table),
		cmocka_unit_test(test_request_record_holds_no_secret),
		cmocka_unit_test(test_many_frames_in_one_feed),
		cmocka_unit_test(test_split_at_every_byte_gives_the_same_requests),
		cmocka_unit_test(test_one_byte_feeds),
		cmocka_unit_test(test_split_responses_at_every_byte),
		cmocka_unit_test(test_continuation_must_follow_headers),
		cmocka_unit_test(test_bad_padding_is_fatal),
		cmocka_unit_test(test_header_frames_on_stream_zero_or_empty_padded_are_fatal),
		cmocka_unit_test(test_data_frames_are_skipped_across_feeds),
		cmocka_unit_test(test_settings_header_table_size_allows_a_larger_table),
		cmocka_unit_test(test_settings_header_table_size_zero_empties_the_table),
		cmocka_unit_test(test_settings_on_an_untrusted_table_only_raise_the_limit),
		cmocka_unit_test(test_oversize_frame_is_fatal),
		cmocka_unit_test(test_frame_size_follows_settings),
		cmocka_unit_test(test_malformed_settings_are_fatal),
		cmocka_unit_test(test_response_status_joins_its_stream),
		cmocka_unit_test(test_informational_status_and_trailers_are_not_reported),
		cmocka_unit_test(test_client_trailers_are_not_requests),
		cmocka_unit_test(test_empty_and_nul_header_names_never_reach_the_record),
		cmocka_unit_test(test_header_block_without_method_is_not_a_request),
		cmocka_unit_test(test_empty_method_is_no_method),
		cmocka_unit_test(test_push_promise_keeps_the_table_in_step),
		cmocka_unit_test(test_rst_stream_forgets_the_request),
		cmocka_unit_test(test_open_streams_are_bounded_oldest_evicted),
		cmocka_unit_test(test_mid_stream_unknown_dynamic_entry_gives_partial_request),
		cmocka_unit_test(test_mid_stream_skips_feeds_that_do_not_start_a_frame),
		cmocka_unit_test(test_mid_stream_framing_error_resyncs_instead_of_failing),
		cmocka_unit_test(test_mid_stream_response_skips_unseen_entries),
		cmocka_unit_test(test_mid_stream_literals_after_unseen_entries_decode),
		cmocka_unit_test(test_mid_stream_trailers_are_not_requests),
		cmocka_unit_test(test_mid_stream_feed_starting_with_the_preface),
		cmocka_unit_test(test_resync_checks_frame_shapes),
		cmocka_unit_test(test_gap_resynchronises_and_marks_partial),
		cmocka_unit_test(test_hpack_error_reports_partial_and_recovers),
		cmocka_unit_test(test_header_block_over_the_cap_is_cut),
		cmocka_unit_test(test_looks_like_preface),
		cmocka_unit_test(test_preface_across_feeds),
		cmocka_unit_test(test_garbage_after_preface_is_fatal),
		cmocka_unit_test(test_null_callbacks_and_request_are_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

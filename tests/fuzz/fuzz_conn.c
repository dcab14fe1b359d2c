/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the collector's data path: ring-buffer records
 * (struct at_event_hdr + bytes, built as bpf/authtrace.bpf.c builds them)
 * through event_decode() into conn_feed(), with a model of the kernel side
 * (stream offsets, AT_CHUNK chunks, the capture limit, the collector's
 * skip hints) in between.  The first input byte picks a mode:
 *
 *  even: hostile sequences.  The rest of the input is a list of operations
 *        on 2 processes x 3 connections (two SSL*, one cleartext fd):
 *        writes and reads of pieces of canned HTTP messages or raw bytes
 *        (so heads are split anywhere and connections interleave), lost
 *        chunks, gaps, rewound offsets, retried writes, truncated and
 *        unreadable records, records with arbitrary header fields, process
 *        exits, connection closes, peer addresses.  Callbacks check what
 *        conn.h promises: strings NUL-terminated within their arrays,
 *        header names non-empty lowercase and printable, credentials
 *        classified and their values never in the record, responses
 *        joined at most once, in order per connection, to a request of
 *        that connection, hints only for the chunk's own connection and
 *        never behind it; stats never decrease; the table stays within its
 *        size; at the end every request was answered or counted unanswered.
 *
 *  odd:  differential.  The input describes 1..6 valid requests (method,
 *        path, headers, optional credential, optional Content-Length body);
 *        they are sent one write each, then split at input-chosen points
 *        (heads cut anywhere), then all in one write (pipelined): all three
 *        must report the same requests.
 *
 * Checks of bugs already reported (see the unit tests marked BUG) are on by
 * default; build with -DFUZZ_SKIP_KNOWN_BUGS to explore past them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authtrace.h"
#include "conn.h"
#include "events.h"
#include "http1.h"
#include "fuzz_common.h"

#define N_PIDS   2
#define N_CONNS  3
#define MAX_SEQ  4096
#define MAX_CONNS_IN_TABLE 4

static const pid_t pids[N_PIDS] = { 4100, 4200 };
static const uint64_t handles[N_CONNS] = { 0x55d0c0ffee00ULL, 0x55d0c0ffef00ULL, AT_CONN_FD | 5 };

/* The fake secret planted in canned requests: it must never reach a record. */
#define FAKE_KEY_BODY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FAKE_KEY "sk-ant-api03-" FAKE_KEY_BODY "AA"
#define FAKE_OAUTH "sk-ant-oat01-Zk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0KpZk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0Kp"

/* ------------------------------------------------------------------------ */
/* Input reader                                                              */
/* ------------------------------------------------------------------------ */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static size_t take(struct in *in, size_t want, const uint8_t **out)
{
	size_t n = want < in->n ? want : in->n;

	*out = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

/* ------------------------------------------------------------------------ */
/* Canned messages                                                           */
/* ------------------------------------------------------------------------ */

static const char *const out_msgs[] = {
	"POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.anthropic.com\r\nconnection: keep-alive\r\n"
	"x-stainless-lang: js\r\nanthropic-version: 2023-06-01\r\nx-api-key: " FAKE_KEY "\r\n"
	"user-agent: claude-cli/2.0.77 (external, cli)\r\ncontent-type: application/json\r\n"
	"anthropic-beta: claude-code-20250219,interleaved-thinking-2025-05-14\r\n"
	"content-length: 62\r\n\r\n"
	"{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}",
	"GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\nAuthorization: Bearer " FAKE_OAUTH "\r\n"
	"anthropic-beta: oauth-2025-04-20\r\n\r\n",
	"POST /model/anthropic.claude-x/invoke HTTP/1.1\r\nHost: bedrock-runtime.us-east-1.amazonaws.com\r\n"
	"X-Amz-Date: 20251123T082420Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
	"20251123/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, "
	"Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
	"Content-Length: 5\r\n\r\n{\"a\":",
	"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:4000\r\nTransfer-Encoding: chunked\r\n"
	"Authorization: Bearer sk-proj-Zk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0Kp\r\n\r\n"
	"1a\r\n{\"model\":\"gpt-x\",\"a\":1,\"b\"}\r\n0\r\n\r\n",
	"HEAD /v1/models HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST /v1/files HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nabcd",
	"GET / HTTP/1.0\nHost: bare-lf.example\nx-api-key: placeholder\n\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
	"GET /v1/realtime HTTP/1.1\r\nHost: api.openai.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
};

static const char *const in_msgs[] = {
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 83\r\n\r\n",
	"{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}",
	"HTTP/1.1 401 Unauthorized\r\nContent-Length: 60\r\n\r\n{\"error\":{\"message\":\"Incorrect API key provided: " FAKE_KEY "\"}}",
	"HTTP/1.1 100 Continue\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 45\r\n\r\n{\"Message\":\"Authorization header is missing\"}",
	"HTTP/1.1 204 No Content\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
	"19\r\nevent: message_start\r\n\r\n\r\n",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
	"HTTP/1.0 500 Internal Server Error\r\n\r\nupstream failed: key " FAKE_KEY "\r\n",
	"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n14\r\nUnauthorized: no key\r\n0\r\n\r\n",
};

#define N_OUT_MSGS (sizeof(out_msgs) / sizeof(out_msgs[0]))
#define N_IN_MSGS  (sizeof(in_msgs) / sizeof(in_msgs[0]))

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

struct kstate {
	uint64_t off;
	bool has_resume, has_until;
	uint64_t resume, until;
	/* the canned message being written piece by piece */
	const char *msg;
	size_t msg_len, cursor;
	/* the last write, for retries (captured the same way again) */
	uint8_t *last;
	size_t last_len;
	uint8_t last_variant;
	bool last_io_was_write;   /* nothing read since: a retry is immediate */
};

struct seqinfo {
	uint64_t conn_id;
	int64_t stream;
	pid_t pid;
	bool answered, h2;
};

struct fz {
	struct conn_table *t;
	bool hints;
	struct kstate k[N_PIDS][N_CONNS][2];
	uint64_t ts;
	char comm[AT_COMM_LEN];
	const struct conn_chunk *cur;   /* the chunk conn_feed is working on */
	bool in_feed;

	uint64_t next_seq;
	struct seqinfo seqs[MAX_SEQ + 1];
	uint64_t last_joined[64];       /* per conn_id (mod 64): last request_seq joined */
	uint64_t requests, responses, joined, requests_h1, joined_h1;
	struct conn_stats prev;

	/* differential mode: what was reported */
	bool record;
	struct request *recorded;
	size_t n_recorded, max_recorded;
};

static struct fz F;

/* The input being run: a "secret" run the input spells out itself is not a leak. */
static const uint8_t *g_input;
static size_t g_input_size;

static bool leaked(const void *hay, size_t n, const char *run, size_t run_len)
{
	return memmem(hay, n, run, run_len) && !memmem(g_input, g_input_size, run, run_len);
}

/* ------------------------------------------------------------------------ */
/* Callback checks                                                           */
/* ------------------------------------------------------------------------ */

static bool terminated_within(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool is_source(const char *s)
{
	static const char *const names[] = { "SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex",
					     "write", "writev", "sendto", "read", "recvfrom", "unknown" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s && strcmp(s, names[i]) == 0)
			return true;
	return false;
}


static bool is_h2(const char *protocol)
{
	return protocol && strcmp(protocol, "h2") == 0;
}

static void check_request(const struct request *r)
{
	bool h2 = is_h2(r->protocol);

	CHECK(terminated_within(r->method, REQ_METHOD_MAX));
	CHECK(terminated_within(r->authority, REQ_AUTHORITY_MAX));
	CHECK(terminated_within(r->path, REQ_PATH_MAX));
	CHECK(terminated_within(r->comm, REQ_COMM_MAX + 1));
	CHECK(terminated_within(r->peer, PEER_MAX));
	if (!h2) {
		CHECK(r->method[0] != '\0');
		CHECK(r->path[0] != '\0' || r->path_truncated);
	}
	if (h2 && !r->hpack_partial && !r->incomplete)
		CHECK(r->method[0] != '\0');
	CHECK(printable(r->method) && printable(r->path) && printable(r->authority));
#ifndef FUZZ_SKIP_KNOWN_BUGS
	/* BUG (test_request_comm_control_bytes_are_made_printable) */
	CHECK(printable(r->comm));
#endif
	CHECK(r->n_headers <= REQ_MAX_HEADERS);
	CHECK(r->names_used <= REQ_NAMES_POOL);
	for (unsigned i = 0; i < r->n_headers; i++) {
		const char *name = request_header_name(r, i);

		CHECK(r->name_off[i] < r->names_used);
		CHECK(terminated_within(name, r->names_used - r->name_off[i]));
		CHECK(name[0] != '\0');
		CHECK(printable(name));
		for (const char *c = name; *c; c++)
			CHECK(!(*c >= 'A' && *c <= 'Z'));
	}
	CHECK(r->n_creds <= REQ_MAX_CREDS);
	for (unsigned i = 0; i < r->n_creds; i++) {
		const struct credential *c = &r->creds[i];

		CHECK(terminated_within(c->header, CRED_HEADER_MAX) && c->header[0]);
		CHECK(terminated_within(c->scheme, CRED_SCHEME_MAX));
		CHECK(terminated_within(c->fingerprint, FP_HEX_LEN + 1));
		CHECK(c->kind < CRED_KIND_COUNT);
		for (const char *h = c->fingerprint; *h; h++)
			CHECK((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f'));
	}
	CHECK(r->n_findings <= REQ_MAX_FINDINGS);
	CHECK(r->api < API_FAMILY_COUNT);
	CHECK(is_source(r->source));
	CHECK(r->protocol && (h2 || strcmp(r->protocol, "http/1.1") == 0));
	CHECK(h2 ? r->stream > 0 && r->stream <= INT32_MAX : r->stream == -1);
	CHECK(r->conn_id > 0);
#ifndef FUZZ_SKIP_KNOWN_BUGS
	/* BUG (test_records_with_pid_zero_or_negative_are_invalid): raw records may carry pid 0 */
	CHECK(r->pid > 0);
#endif
	/*
	 * Never the value: no run of the planted secrets anywhere in the record.
	 * The request line and Host are the input's own choice (and reported as
	 * sent), so they are left out.
	 */
	{
		static struct request copy;

		copy = *r;
		memset(copy.path, 0, sizeof(copy.path));
		memset(copy.authority, 0, sizeof(copy.authority));
		memset(copy.method, 0, sizeof(copy.method));
		CHECK(!leaked(&copy, sizeof(copy), FAKE_KEY_BODY, 24));
		CHECK(!leaked(&copy, sizeof(copy), "Zk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1", 24));
	}
}

static uint64_t on_request(void *ctx, struct request *req)
{
	struct fz *f = ctx;
	uint64_t seq;

	CHECK(f->in_feed && f->cur);
	CHECK(f->cur->dir == AT_DIR_OUT);
	CHECK(req->pid == f->cur->pid);
	check_request(req);
	f->requests++;
	f->requests_h1 += !is_h2(req->protocol);
	if (f->record && f->n_recorded < f->max_recorded)
		f->recorded[f->n_recorded++] = *req;
	if (f->next_seq >= MAX_SEQ)
		return 0;   /* not tracked: joins to it are not checked */
	seq = ++f->next_seq;
	f->seqs[seq] = (struct seqinfo){ .conn_id = req->conn_id, .pid = req->pid,
					 .stream = req->stream, .h2 = is_h2(req->protocol) };
	return seq;
}

static void on_response(void *ctx, const struct response *r)
{
	struct fz *f = ctx;

	f->responses++;
	CHECK(r->status >= 100 && r->status <= 999);
	CHECK(terminated_within(r->error, ERRTEXT_MAX));
	CHECK(printable(r->error));
	/* an echoed key never survives with its prefix */
	CHECK(!leaked(r->error, strlen(r->error), "sk-ant-api03-AAAAAAAA", 21));
	CHECK(r->protocol && (is_h2(r->protocol) || strcmp(r->protocol, "http/1.1") == 0));
	CHECK(is_h2(r->protocol) ? r->stream > 0 : r->stream == -1);
	CHECK(r->conn_id > 0);
	if (r->request_seq) {
		struct seqinfo *s;

		CHECK(r->request_seq <= f->next_seq);
		s = &f->seqs[r->request_seq];
		CHECK(!s->answered);             /* joined at most once */
		CHECK(s->conn_id == r->conn_id); /* to a request of its own connection */
		CHECK(s->pid == r->pid);
		CHECK(s->h2 == is_h2(r->protocol));
		if (s->h2) {
			/* h2: by stream */
			CHECK(s->stream == r->stream);
		} else {
			/* HTTP/1.1: in order per connection */
			CHECK(r->request_seq > f->last_joined[r->conn_id % 64] ||
			      f->seqs[f->last_joined[r->conn_id % 64]].conn_id != r->conn_id);
			f->last_joined[r->conn_id % 64] = r->request_seq;
			f->joined_h1++;
		}
		s->answered = true;
		f->joined++;
	}
}

static void on_skip_until(void *ctx, pid_t pid, uint64_t conn, uint64_t off)
{
	struct fz *f = ctx;

	CHECK(f->in_feed && f->cur);
	CHECK(f->cur->dir == AT_DIR_OUT && f->cur->pid == pid && f->cur->conn == conn);
	CHECK(off > f->cur->stream_off + f->cur->chunk_off);
	for (int i = 0; i < N_PIDS; i++)
		for (int c = 0; c < N_CONNS; c++)
			if (pids[i] == pid && handles[c] == conn && f->hints) {
				f->k[i][c][AT_DIR_OUT].has_resume = true;
				f->k[i][c][AT_DIR_OUT].resume = off;
			}
}

static void on_response_done(void *ctx, pid_t pid, uint64_t conn, uint64_t out_off)
{
	struct fz *f = ctx;

	CHECK(f->in_feed && f->cur);
	CHECK(f->cur->dir == AT_DIR_IN && f->cur->pid == pid && f->cur->conn == conn);
	for (int i = 0; i < N_PIDS; i++)
		for (int c = 0; c < N_CONNS; c++)
			if (pids[i] == pid && handles[c] == conn && f->hints) {
				f->k[i][c][AT_DIR_IN].has_until = true;
				f->k[i][c][AT_DIR_IN].until = out_off;
			}
}

static bool on_peer_lookup(void *ctx, pid_t pid, int fd, char out[PEER_MAX])
{
	CHECK(fd >= 0);
	snprintf(out, PEER_MAX, "127.0.0.1:%d", 4000 + fd);
	return true;
}

static void check_stats(struct fz *f)
{
	const struct conn_stats *s = conn_table_stats(f->t);

	CHECK(s->conns_opened >= f->prev.conns_opened);
	CHECK(s->conns_evicted >= f->prev.conns_evicted);
	CHECK(s->heads_lost >= f->prev.heads_lost);
	CHECK(s->heads_truncated >= f->prev.heads_truncated);
	CHECK(s->heads_invalid >= f->prev.heads_invalid);
	CHECK(s->gaps >= f->prev.gaps);
	CHECK(s->retries_dropped >= f->prev.retries_dropped);
	CHECK(s->responses >= f->prev.responses);
	CHECK(s->unanswered >= f->prev.unanswered);
	CHECK(s->responses == f->responses);
	f->prev = *s;
	CHECK(conn_table_count(f->t) <= MAX_CONNS_IN_TABLE);
}

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

/* One record in an exact-size heap block, through the decoder into the table. */
static void deliver(struct fz *f, const struct at_event_hdr *h, const uint8_t *payload, size_t n,
		    size_t record_size)
{
	uint8_t *rec;
	struct decoded_event ev;
	enum decoded_kind k;

	if (record_size < sizeof(*h))
		record_size = sizeof(*h);
	rec = calloc(1, record_size);
	CHECK(rec);
	memcpy(rec, h, sizeof(*h));
	if (n > record_size - sizeof(*h))
		n = record_size - sizeof(*h);
	if (n)
		memcpy(rec + sizeof(*h), payload, n);
	k = event_decode(rec, record_size, &ev);
	switch (k) {
	case DEC_DATA:
		/* everything the chunk points at is inside the record */
		CHECK(ev.chunk.data == rec + sizeof(*h));
		CHECK(ev.chunk.data_len >= 1 && ev.chunk.data_len <= record_size - sizeof(*h));
		CHECK(ev.chunk.data_len <= AT_CHUNK);
		CHECK((uint64_t)ev.chunk.chunk_off + ev.chunk.data_len <= ev.chunk.len);
		CHECK(ev.chunk.dir <= AT_DIR_IN);
		CHECK(strlen(ev.chunk.comm) <= AT_COMM_LEN);
		f->cur = &ev.chunk;
		f->in_feed = true;
		conn_feed(f->t, &ev.chunk);
		f->in_feed = false;
		f->cur = NULL;
		break;
	case DEC_EXIT:
		conn_drop_pid(f->t, (pid_t)ev.hdr->pid);
		break;
	case DEC_CLOSE:
		conn_close(f->t, (pid_t)ev.hdr->pid, ev.hdr->conn);
		break;
	default:
		break;
	}
	free(rec);
	check_stats(f);
}

/*
 * The size of a write's records.  The kernel cuts AT_CHUNK bytes; the
 * model also cuts finer, to split heads inside a write anywhere.
 */
static uint64_t chunk_size(uint8_t variant, size_t len)
{
	if ((variant & 3) == 1)
		return len <= 512 ? 1 + (variant >> 5) : 64;   /* tiny chunks */
	if ((variant & 3) == 2)
		return AT_CHUNK_SMALL;
	return AT_CHUNK;
}

/* What capture() does with one SSL_write/SSL_read (or write/read) of len bytes. */
static void kio(struct fz *f, int pi, int ci, uint8_t dir, const uint8_t *data, size_t len,
		uint8_t variant)
{
	struct kstate *k = &f->k[pi][ci][dir];
	uint64_t off = k->off, start = 0, end = len, cap = dir ? AT_CAPTURE_MAX_IN : AT_CAPTURE_MAX;
	uint64_t chunk = chunk_size(variant, len);
	unsigned drop = (variant >> 2) & 7, idx = 0;
	bool truncated = false, cleartext = handles[ci] & AT_CONN_FD;
	struct at_event_hdr h;

	if (!len)
		return;
	k->off += len;
	if (dir == AT_DIR_IN && k->has_until) {
		if (f->k[pi][ci][AT_DIR_OUT].off <= k->until)
			return;
		k->has_until = false;
	}
	if (k->has_resume && k->resume > off)
		start = k->resume - off;
	if (start >= len)
		return;
	if (end - start > cap) {
		end = start + cap;
		truncated = true;
	}
	if (variant & 0x20) {
		end = start + (end - start) / 2 + 1;   /* a smaller capture limit */
		truncated = end < len;
	}
	memset(&h, 0, sizeof(h));
	h.kind = AT_EV_DATA;
	h.pid = (uint32_t)pids[pi];
	h.tid = (uint32_t)pids[pi] + 1;
	h.conn = handles[ci];
	h.stream_off = off;
	h.len = (uint32_t)len;
	h.hook = cleartext ? (dir ? AT_HOOK_READ : AT_HOOK_WRITE)
			   : (dir ? AT_HOOK_SSL_READ_EX : AT_HOOK_SSL_WRITE);
	h.dir = dir;
	memcpy(h.comm, f->comm, AT_COMM_LEN);
	for (uint64_t pos = start; pos < end; pos += chunk, idx++) {
		uint64_t n = end - pos < chunk ? end - pos : chunk;

		h.ts_ns = ++f->ts;
		h.chunk_off = (uint32_t)pos;
		h.data_len = (uint32_t)n;
		h.flags = (pos + n >= end ? AT_F_LAST_CHUNK : 0) | (truncated ? AT_F_TRUNCATED : 0);
		if (drop && idx == drop - 1 && (variant & 0x80))
			continue;                       /* the ring buffer lost this one */
		if (drop && idx == drop - 1 && (variant & 0x40))
			h.flags |= AT_F_READ_FAILED;    /* unreadable user memory */
		deliver(f, &h, data + pos, (size_t)n,
			sizeof(h) + (n <= AT_CHUNK_SMALL ? AT_CHUNK_SMALL : AT_CHUNK));
	}
}

static void remember_write(struct kstate *k, const uint8_t *data, size_t len)
{
	free(k->last);
	k->last = malloc(len ? len : 1);
	CHECK(k->last);
	memcpy(k->last, data, len);
	k->last_len = len;
}

/* ------------------------------------------------------------------------ */
/* Mode: hostile sequences                                                   */
/* ------------------------------------------------------------------------ */

static void op_write(struct fz *f, struct in *in, int pi, int ci, uint8_t dir, uint8_t variant)
{
	struct kstate *k = &f->k[pi][ci][dir];
	uint8_t src = u8(in);
	size_t want = 1 + u16(in) % 2048;
	uint8_t buf[4096];
	size_t n;

	if (src < 0x30) {
		const uint8_t *p;

		n = take(in, want, &p);
		memcpy(buf, p, n);
	} else {
		/* the next piece of a canned message; a new one when the last is done */
		if (!k->msg || k->cursor >= k->msg_len) {
			k->msg = dir ? in_msgs[src % N_IN_MSGS] : out_msgs[src % N_OUT_MSGS];
			k->msg_len = strlen(k->msg);
			if (k->msg == out_msgs[7])
				k->msg_len = 33;           /* the h2 preface holds NULs */
			k->cursor = 0;
		}
		n = k->msg_len - k->cursor;
		if (src & 0x40 && n > 1)
			n = 1 + want % n;                  /* a piece: heads split anywhere */
		memcpy(buf, k->msg + k->cursor, n);
		k->cursor += n;
		/* a mutated byte now and then */
		if ((src & 0x0f) == 0x0f && n) {
			uint8_t at = u8(in);

			buf[at % n] = u8(in);
		}
	}
	if (!n)
		return;
	if (!dir) {
		remember_write(k, buf, n);
		k->last_variant = variant;
		k->last_io_was_write = true;
	} else {
		f->k[pi][ci][AT_DIR_OUT].last_io_was_write = false;
	}
	kio(f, pi, ci, dir, buf, n, variant);
}

/* A record whose header fields all come from the input. */
static void op_raw_record(struct fz *f, struct in *in)
{
	struct at_event_hdr h;
	const uint8_t *p;
	size_t n, record_size;
	uint8_t sel = u8(in);

	memset(&h, 0, sizeof(h));
	h.kind = u8(in) % 9;
	h.pid = sel & 1 ? (uint32_t)pids[sel >> 1 & 1] : (uint32_t)u16(in) << 8;
	h.tid = h.pid;
	h.ts_ns = ++f->ts;
	h.conn = sel & 2 ? handles[u8(in) % N_CONNS] : (uint64_t)u16(in) << (sel & 0x3c);
	/* offsets stay far from 2^64: the kernel's count bytes */
	h.stream_off = sel & 4 ? f->k[sel >> 1 & 1][(sel >> 3) % N_CONNS][sel >> 7].off + u8(in)
			       : (uint64_t)u16(in) << (u8(in) % 46);
	h.len = sel & 8 ? u16(in) : (uint32_t)u16(in) << (u8(in) % 17);
	h.chunk_off = sel & 16 ? 0 : (uint32_t)u16(in) << (u8(in) % 17);
	h.data_len = u16(in);
	h.hook = u8(in) % (AT_HOOK_COUNT + 1);
	h.dir = u8(in) % 3;
	h.flags = u8(in);
	for (int i = 0; i < AT_COMM_LEN; i++)
		h.comm[i] = (char)u8(in);
	n = take(in, h.data_len % 600, &p);
	record_size = sizeof(h) + (sel & 32 ? n : (size_t)(u8(in) % 8) * 100);
	deliver(f, &h, p, n, record_size);
}

static void op_lifecycle(struct fz *f, struct in *in, int pi, int ci)
{
	struct at_event_hdr h;

	memset(&h, 0, sizeof(h));
	h.pid = (uint32_t)pids[pi];
	h.conn = handles[ci];
	switch (u8(in) % 6) {
	case 0:
		/* the process exited or exec'd: the kernel forgets its offsets too */
		h.kind = AT_EV_EXIT;
		deliver(f, &h, NULL, 0, sizeof(h));
		for (int c = 0; c < N_CONNS; c++)
			for (int d = 0; d < 2; d++) {
				free(f->k[pi][c][d].last);
				memset(&f->k[pi][c][d], 0, sizeof(f->k[pi][c][d]));
			}
		break;
	case 1:
		h.kind = AT_EV_CLOSE;
		deliver(f, &h, NULL, 0, sizeof(h));
		for (int d = 0; d < 2; d++) {
			free(f->k[pi][ci][d].last);
			memset(&f->k[pi][ci][d], 0, sizeof(f->k[pi][ci][d]));
		}
		break;
	case 2:
		conn_set_peer(f->t, pids[pi], handles[ci], "[2001:db8::1]:443");
		CHECK(conn_has_peer(f->t, pids[pi], handles[ci]));
		check_stats(f);
		break;
	case 3:
		/* the close was lost: the handle is reused, offsets start over */
		for (int d = 0; d < 2; d++) {
			f->k[pi][ci][d].off = 0;
			f->k[pi][ci][d].has_resume = f->k[pi][ci][d].has_until = false;
		}
		break;
	case 4:
		/* lost records: the stream moves on unseen */
		f->k[pi][ci][u8(in) & 1].off += 1 + u16(in);
		break;
	default:
		f->hints = !f->hints;
		break;
	}
}

static void run_hostile(struct fz *f, struct in *in)
{
	unsigned ops = 0;

	while (in->n && ops++ < 400) {
		uint8_t op = u8(in), sel = u8(in);
		int pi = sel & 1, ci = (sel >> 1) % N_CONNS;
		uint8_t variant = u8(in);

		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			op_write(f, in, pi, ci, AT_DIR_OUT, variant);
			break;
		case 3:
		case 4:
			op_write(f, in, pi, ci, AT_DIR_IN, variant);
			break;
		case 5: {
			/* a retried write: the last one again, at the next offset */
			struct kstate *k = &f->k[pi][ci][AT_DIR_OUT];

			/* SSL_write is retried at once: never after reading a response */
			if (!k->last || !k->last_io_was_write)
				break;
			/*
			 * A retry is recognised by the write's first record, which
			 * in the kernel holds min(len, AT_CHUNK) bytes: a write the
			 * model cut finer than that is not retried.
			 */
			if (chunk_size(k->last_variant, k->last_len) < k->last_len &&
			    chunk_size(k->last_variant, k->last_len) < AT_CHUNK)
				break;
#ifdef FUZZ_SKIP_KNOWN_BUGS
			/* BUG (test_retried_mid_head_write_never_puts_a_credential_in_the_record):
			 * a retried mid-head write glues lines; only retry request starts */
			if (k->last_len < 16 || !h1_looks_like_request(k->last, k->last_len))
				break;
#endif
			/* the kernel captures a retried write as it captured the first try,
			 * save what the ring buffer loses this time */
			kio(f, pi, ci, AT_DIR_OUT, k->last, k->last_len,
			    (uint8_t)((k->last_variant & 0x3f) | (variant & 0xc0)));
			break;
		}
		case 6:
			op_raw_record(f, in);
			break;
		default:
			op_lifecycle(f, in, pi, ci);
			break;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Mode: differential                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_MSGS 6
#define MSG_CAP  3000

struct msgs {
	uint8_t buf[MAX_MSGS * MSG_CAP];
	size_t off[MAX_MSGS + 1];
	size_t n;
};

static void put(uint8_t *b, size_t *n, const void *s, size_t len)
{
	CHECK(*n + len <= MSG_CAP);
	memcpy(b + *n, s, len);
	*n += len;
}

static void puts_(uint8_t *b, size_t *n, const char *s)
{
	put(b, n, s, strlen(s));
}

/* Build one valid request from the input into b; returns its length. */
static size_t gen_request(struct in *in, unsigned idx, uint8_t *b)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
	static const char *const cred_hdrs[] = { "x-api-key", "Authorization", "api-key",
						 "Proxy-Authorization", "x-goog-api-key" };
	size_t n = 0, plen = 1 + u8(in) % 60;
	unsigned nh = u8(in) % 8;
	uint8_t flags = u8(in);
	char tmp[128];

	puts_(b, &n, methods[u8(in) % 6]);
	puts_(b, &n, " /");
	for (size_t i = 0; i < plen; i++)
		b[n++] = (uint8_t)(0x21 + u8(in) % 94);   /* vchar */
	puts_(b, &n, " HTTP/1.1\r\n");
	snprintf(tmp, sizeof(tmp), "x-n: %u\r\n", idx);   /* requests never identical */
	puts_(b, &n, tmp);
	if (flags & 1) {
		puts_(b, &n, "Host: ");
		for (size_t i = 0, l = 1 + u8(in) % 40; i < l; i++)
			b[n++] = (uint8_t)(0x21 + u8(in) % 94);
		puts_(b, &n, "\r\n");
	}
	for (unsigned i = 0; i < nh; i++) {
		size_t vl = u8(in) % 80;

		puts_(b, &n, "X-");
		for (size_t j = 0, l = 1 + u8(in) % 12; j < l; j++)
			b[n++] = (uint8_t)('a' + u8(in) % 26);
		puts_(b, &n, ": ");
		for (size_t j = 0; j < vl; j++) {
			uint8_t c = u8(in);

			b[n++] = c == '\r' || c == '\n' || c == 0 ? ' ' : c;   /* obs-text allowed */
		}
		puts_(b, &n, "\r\n");
	}
	if (flags & 2) {
		puts_(b, &n, cred_hdrs[u8(in) % 5]);
		puts_(b, &n, flags & 4 ? ": Bearer " FAKE_KEY "\r\n" : ": " FAKE_KEY "\r\n");
	}
	if (flags & 8) {
		size_t bl = 1 + u16(in) % 1500;

		snprintf(tmp, sizeof(tmp), "Content-Length: %zu\r\n\r\n", bl);
		puts_(b, &n, tmp);
		for (size_t i = 0; i < bl; i++)
			b[n++] = u8(in);               /* any bytes, even request-like text */
	} else {
		puts_(b, &n, "\r\n");
	}
	return n;
}

static bool same_request(const struct request *a, const struct request *b)
{
	if (strcmp(a->method, b->method) || strcmp(a->path, b->path) ||
	    strcmp(a->authority, b->authority) || a->n_headers != b->n_headers ||
	    a->n_creds != b->n_creds || a->incomplete != b->incomplete || a->api != b->api ||
	    a->has_authorization != b->has_authorization)
		return false;
	for (unsigned i = 0; i < a->n_headers; i++)
		if (strcmp(request_header_name(a, i), request_header_name(b, i)))
			return false;
	for (unsigned i = 0; i < a->n_creds; i++)
		if (strcmp(a->creds[i].fingerprint, b->creds[i].fingerprint) ||
		    a->creds[i].kind != b->creds[i].kind || a->creds[i].length != b->creds[i].length ||
		    strcmp(a->creds[i].header, b->creds[i].header))
			return false;
	return true;
}

static void fz_reset(struct fz *f);
static void fz_finish(struct fz *f);

/* Feed writes (cut points) of the concatenated stream; collect the requests. */
static size_t feed_stream(struct fz *f, const struct msgs *m, const size_t *cuts, size_t ncuts,
			  bool hints, struct request *out, size_t max)
{
	size_t total = m->off[m->n], prev = 0, got, starts[80], lens[80], np = 0;

	/* the pieces; an identical adjacent piece would be taken for a retry: merge it */
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : total;

		if (end <= prev)
			continue;
		if (np && lens[np - 1] == end - prev &&
		    memcmp(m->buf + starts[np - 1], m->buf + prev, end - prev) == 0) {
			lens[np - 1] += end - prev;
		} else {
			CHECK(np < 80);
			starts[np] = prev;
			lens[np++] = end - prev;
		}
		prev = end;
		/* a merge can make the last two identical in turn */
		while (np >= 2 && lens[np - 1] == lens[np - 2] &&
		       memcmp(m->buf + starts[np - 2], m->buf + starts[np - 1], lens[np - 1]) == 0)
			lens[np-- - 2] *= 2;
	}
	fz_reset(f);
	f->hints = hints;
	f->record = true;
	f->recorded = out;
	f->max_recorded = max;
	for (size_t i = 0; i < np; i++)
		kio(f, 0, 0, AT_DIR_OUT, m->buf + starts[i], lens[i], 0);
	got = f->n_recorded;
	f->record = false;
	fz_finish(f);
	return got;
}

static void run_differential(struct fz *f, struct in *in)
{
	static struct msgs m;
	static struct request a[MAX_MSGS + 2], b[MAX_MSGS + 2], c[MAX_MSGS + 2];
	size_t cuts[64], ncuts = 0, each[MAX_MSGS], na, nb, nc;
	bool hints = u8(in) & 1;

	m.n = 1 + u8(in) % MAX_MSGS;
	m.off[0] = 0;
	for (size_t i = 0; i < m.n; i++) {
		size_t len = gen_request(in, (unsigned)i, m.buf + m.off[i]);
		struct h1_head_info info;

		/* the generator makes valid heads only */
		CHECK(h1_parse_request(m.buf + m.off[i], len, CONN_HEAD_MAX, NULL, NULL, &info) ==
		      H1_COMPLETE);
		m.off[i + 1] = m.off[i] + len;
		each[i] = m.off[i + 1];
	}
	/* (a) one write per request */
	na = feed_stream(f, &m, each, m.n - 1, hints, a, MAX_MSGS + 2);
	CHECK(na == m.n);
	/* (b) cut where the input says */
	while (in->n && ncuts < 64) {
		size_t at = (u16(in) | (size_t)u8(in) << 16) % (m.off[m.n] + 1);
		size_t j = ncuts++;

		while (j > 0 && cuts[j - 1] > at) {
			cuts[j] = cuts[j - 1];
			j--;
		}
		cuts[j] = at;
	}
	nb = feed_stream(f, &m, cuts, ncuts, hints, b, MAX_MSGS + 2);
	/* (c) all in one write: pipelined */
	nc = feed_stream(f, &m, NULL, 0, hints, c, MAX_MSGS + 2);
	CHECK(nb == na);
	CHECK(nc == na);
	for (size_t i = 0; i < na; i++) {
		CHECK(!a[i].incomplete);
		CHECK(same_request(&a[i], &b[i]));
		CHECK(same_request(&a[i], &c[i]));
	}
}

/* ------------------------------------------------------------------------ */

static void fz_reset(struct fz *f)
{
	struct conn_callbacks cb = {
		.request = on_request,
		.response = on_response,
		.skip_until = on_skip_until,
		.response_done = on_response_done,
		.peer_lookup = on_peer_lookup,
		.ctx = f,
		.extra_cred_headers = NULL,
	};

	memset(f, 0, sizeof(*f));
	f->t = conn_table_new(&cb, MAX_CONNS_IN_TABLE);
	CHECK(f->t);
	f->hints = true;
	memcpy(f->comm, "node", 5);
}

static void fz_finish(struct fz *f)
{
	conn_table_flush(f->t);
	check_stats(f);
	/* every request was answered once or counted unanswered */
	if (f->next_seq < MAX_SEQ) {
		uint64_t unanswered = conn_table_stats(f->t)->unanswered;

		CHECK(f->requests == f->joined + unanswered);
	}
	conn_table_free(f->t);
	for (int i = 0; i < N_PIDS; i++)
		for (int c = 0; c < N_CONNS; c++)
			for (int d = 0; d < 2; d++)
				free(f->k[i][c][d].last);
	f->t = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint8_t mode = u8(&in);

	g_input = data;
	g_input_size = size;
	if (mode & 1) {
		run_differential(&F, &in);
		return 0;
	}
	fz_reset(&F);
	for (int i = 0; i < AT_COMM_LEN && (mode & 2); i++)
		F.comm[i] = (char)u8(&in);   /* a comm the traced process chose */
	run_hostile(&F, &in);
	fz_finish(&F);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Connection table, HTTP/1 head reassembly, and request/response joining.
 *
 * Each connection direction is a byte stream; every chunk says where in
 * that stream it sits.  A state machine walks each stream:
 *
 *   HEAD  expecting or accumulating a head (request out, response in)
 *   BODY  inside a body of known length (ends at body_end)
 *   SKIP  inside something we can't or needn't frame (a chunked or
 *         streaming body, not HTTP/1): wait for a write boundary that
 *         starts like a head
 *
 * A head that completes inside one chunk is parsed in place; only heads
 * split across writes are copied into the connection's buffer.  Requests
 * waiting for their response are kept per connection, in order (HTTP/1.1
 * answers in order).
 *
 * A connection that starts with the HTTP/2 client preface (or, first seen
 * mid-connection, with bytes shaped like an h2 frame) is handed whole to
 * an h2 session (http2.c), kept on its request side and fed both
 * directions; h2 joins responses by stream.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authtrace.h"
#include "digest.h"
#include "http1.h"
#include "http2.h"

enum conn_state { ST_HEAD = 0, ST_BODY, ST_SKIP };

struct conn_table;
struct conn;

/* What an h2 session's callbacks need to report for its connection. */
struct h2_link {
	struct conn_table *t;
	struct conn *out;       /* the connection's request side, which owns the session */
	uint64_t requests;      /* reported on this connection... */
	uint64_t answered;      /* ...and joined to a response */
};

/* Requests in flight on one connection; more than this are pipelined deep. */
#define PENDING_MAX 32
/* A write shorter than this is hashed whole for retry detection. */
#define RETRY_HASH_BYTES 4096
/* A retried request write holds at least a request line ("GET / HTTP/1.1\r\n"). */
#define RETRY_MIN_BYTES 16

struct conn {
	/* key */
	pid_t pid;
	uint64_t handle;
	uint8_t dir;

	uint64_t id;          /* shared by both directions of a connection */
	enum conn_state state;
	uint64_t next_off;    /* stream offset just past what we have consumed */
	uint64_t body_end;    /* ST_BODY: stream offset where the body ends */
	bool started;         /* at least one chunk seen */
	char peer[PEER_MAX];  /* "" until known */

	/* head spanning writes */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	uint64_t head_ts;
	pid_t head_tid;

	/* request side: the last write, to recognise a retried SSL_write */
	uint32_t last_write_len;
	uint64_t last_write_hash;
	uint64_t last_write_reads;   /* reads_seen when it was written */
	uint64_t reads_seen;         /* read records seen on this connection */
	uint64_t dup_until;          /* skip the rest of a retried write */
	uint64_t pending[PENDING_MAX];
	unsigned pending_head, pending_count;

	/* response side: an error head whose body text has not arrived yet */
	bool awaiting_error_body;
	bool error_chunked;          /* its body is chunked: skip the first size line */
	struct response deferred;

	/* request side of an HTTP/2 connection */
	struct h2_conn *h2;
	struct h2_link h2_link;

	struct conn *hash_next;
	struct conn *lru_prev, *lru_next;
};

struct conn_table {
	struct conn_callbacks cb;
	struct conn **buckets;
	size_t n_buckets;       /* power of two */
	size_t count, max;
	struct conn *lru_head, *lru_tail;  /* head = most recently used */
	uint64_t next_id;
	struct conn_stats stats;
	struct request req;     /* scratch record, reused for every head */
	const struct conn_chunk *chunk;  /* the chunk being fed (for h2 callbacks) */
};

/* --- table ----------------------------------------------------------------- */

static void *hint_ctx(const struct conn_table *t)
{
	return t->cb.hint_ctx ? t->cb.hint_ctx : t->cb.ctx;
}

static size_t hash_key(pid_t pid, uint64_t handle, uint8_t dir)
{
	uint64_t h = handle * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)(uint32_t)pid << 1 | dir) * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29));
}

struct conn_table *conn_table_new(const struct conn_callbacks *cb, size_t max_conns)
{
	struct conn_table *t = calloc(1, sizeof(*t));
	size_t nb = 16;

	if (!t)
		return NULL;
	while (nb < max_conns * 2)
		nb *= 2;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->n_buckets = nb;
	t->max = max_conns ? max_conns : 1;
	t->cb = *cb;
	return t;
}

static void lru_unlink(struct conn_table *t, struct conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push_front(struct conn_table *t, struct conn *c)
{
	c->lru_prev = NULL;
	c->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = c;
	t->lru_head = c;
	if (!t->lru_tail)
		t->lru_tail = c;
}

static struct conn *conn_find(const struct conn_table *t, pid_t pid, uint64_t handle, uint8_t dir)
{
	struct conn *c = t->buckets[hash_key(pid, handle, dir) & (t->n_buckets - 1)];

	while (c && !(c->handle == handle && c->pid == pid && c->dir == dir))
		c = c->hash_next;
	return c;
}

static void emit_response(struct conn_table *t, const struct response *r)
{
	t->stats.responses++;
	if (t->cb.response)
		t->cb.response(t->cb.ctx, r);
}

/* Drop an h2 session: the requests it left waiting never get their response. */
static void end_h2(struct conn_table *t, struct conn *out)
{
	t->stats.unanswered += out->h2_link.requests - out->h2_link.answered;
	out->h2_link.requests = out->h2_link.answered = 0;
	h2_conn_free(out->h2);
	out->h2 = NULL;
}

static void conn_remove(struct conn_table *t, struct conn *c)
{
	struct conn **pp = &t->buckets[hash_key(c->pid, c->handle, c->dir) & (t->n_buckets - 1)];

	while (*pp && *pp != c)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = c->hash_next;
	lru_unlink(t, c);
	if (c->awaiting_error_body)
		emit_response(t, &c->deferred);
	t->stats.unanswered += c->pending_count;
	end_h2(t, c);
	free(c->buf);
	free(c);
	t->count--;
}

void conn_table_free(struct conn_table *t)
{
	if (!t)
		return;
	while (t->lru_head) {
		/* nobody listens any more: don't report */
		t->lru_head->awaiting_error_body = false;
		conn_remove(t, t->lru_head);
	}
	free(t->buckets);
	free(t);
}

static struct conn *conn_get(struct conn_table *t, pid_t pid, uint64_t handle, uint8_t dir)
{
	struct conn *c = conn_find(t, pid, handle, dir), *sibling;
	size_t b;

	if (c) {
		if (t->lru_head != c) {
			lru_unlink(t, c);
			lru_push_front(t, c);
		}
		return c;
	}
	if (t->count >= t->max) {
		conn_remove(t, t->lru_tail);
		t->stats.conns_evicted++;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pid = pid;
	c->handle = handle;
	c->dir = dir;
	sibling = conn_find(t, pid, handle, !dir);
	c->id = sibling ? sibling->id : ++t->next_id;
	if (sibling)
		memcpy(c->peer, sibling->peer, sizeof(c->peer));
	else if ((handle & AT_CONN_FD) && t->cb.peer_lookup)
		t->cb.peer_lookup(hint_ctx(t), pid, (int)(uint32_t)handle, c->peer);
	b = hash_key(pid, handle, dir) & (t->n_buckets - 1);
	c->hash_next = t->buckets[b];
	t->buckets[b] = c;
	lru_push_front(t, c);
	t->count++;
	if (!sibling)
		t->stats.conns_opened++;
	return c;
}

void conn_drop_pid(struct conn_table *t, pid_t pid)
{
	struct conn *c = t->lru_head;

	while (c) {
		struct conn *next = c->lru_next;

		if (c->pid == pid)
			conn_remove(t, c);
		c = next;
	}
}

void conn_close(struct conn_table *t, pid_t pid, uint64_t handle)
{
	struct conn *c;

	for (uint8_t dir = AT_DIR_OUT; dir <= AT_DIR_IN; dir++)
		if ((c = conn_find(t, pid, handle, dir)))
			conn_remove(t, c);
}

void conn_set_peer(struct conn_table *t, pid_t pid, uint64_t handle, const char *peer)
{
	/* usually the first thing known of a connection: create it */
	struct conn *c = conn_get(t, pid, handle, AT_DIR_OUT), *in;

	if (!c)
		return;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	in = conn_find(t, pid, handle, AT_DIR_IN);
	if (in)
		memcpy(in->peer, c->peer, sizeof(in->peer));
}

bool conn_has_peer(const struct conn_table *t, pid_t pid, uint64_t handle)
{
	const struct conn *c = conn_find(t, pid, handle, AT_DIR_OUT);

	return c && c->peer[0];
}

void conn_table_flush(struct conn_table *t)
{
	for (struct conn *c = t->lru_head; c; c = c->lru_next) {
		if (c->awaiting_error_body) {
			c->awaiting_error_body = false;
			emit_response(t, &c->deferred);
		}
		t->stats.unanswered += c->pending_count;
		c->pending_count = 0;
		if (c->h2) {
			t->stats.unanswered += c->h2_link.requests - c->h2_link.answered;
			c->h2_link.answered = c->h2_link.requests;
		}
	}
}

const struct conn_stats *conn_table_stats(const struct conn_table *t)
{
	return &t->stats;
}

size_t conn_table_count(const struct conn_table *t)
{
	return t->count;
}

/* --- buffers and pending requests ------------------------------------------ */

static void buf_clear(struct conn *c)
{
	c->buf_len = 0;
	/* a huge head is rare: give its memory back */
	if (c->buf_cap > 16 * 1024) {
		free(c->buf);
		c->buf = NULL;
		c->buf_cap = 0;
	}
}

static bool buf_append(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->buf_len + n > CONN_HEAD_MAX)
		return false;
	if (c->buf_len + n > c->buf_cap) {
		size_t cap = c->buf_cap ? c->buf_cap : 4096;
		uint8_t *nb;

		while (cap < c->buf_len + n)
			cap *= 2;
		if (cap > CONN_HEAD_MAX)
			cap = CONN_HEAD_MAX;
		nb = realloc(c->buf, cap);
		if (!nb)
			return false;
		c->buf = nb;
		c->buf_cap = cap;
	}
	memcpy(c->buf + c->buf_len, p, n);
	c->buf_len += n;
	return true;
}

static void pending_push(struct conn_table *t, struct conn *c, uint64_t seq)
{
	if (c->pending_count == PENDING_MAX) {
		/* the oldest will never be matched now */
		c->pending_head = (c->pending_head + 1) % PENDING_MAX;
		c->pending_count--;
		t->stats.unanswered++;
	}
	c->pending[(c->pending_head + c->pending_count) % PENDING_MAX] = seq;
	c->pending_count++;
}

static uint64_t pending_pop(struct conn *c)
{
	uint64_t seq;

	if (!c || c->pending_count == 0)
		return 0;
	seq = c->pending[c->pending_head];
	c->pending_head = (c->pending_head + 1) % PENDING_MAX;
	c->pending_count--;
	return seq;
}

/* Where the request stream stands, as far as the collector knows. */
static uint64_t request_stream_end(const struct conn *out)
{
	return out->state == ST_BODY && out->body_end > out->next_off ? out->body_end : out->next_off;
}

/* --- parsing --------------------------------------------------------------- */

struct visit_ctx {
	struct request_builder b;
	int status;
};

static void visit_request_line(void *ctx, const char *m, size_t ml, const char *t, size_t tl)
{
	struct visit_ctx *v = ctx;

	request_set_line(v->b.req, m, ml, t, tl);
}

static bool visit_request_header(void *ctx, const char *n, size_t nl, const char *val, size_t vl)
{
	struct visit_ctx *v = ctx;

	request_add_header(&v->b, n, nl, val, vl);
	return true;
}

static const struct h1_visitor request_visitor = {
	.request_line = visit_request_line,
	.header = visit_request_header,
};

static const char *hook_name(uint16_t hook)
{
	switch (hook) {
	case AT_HOOK_SSL_WRITE:
		return "SSL_write";
	case AT_HOOK_SSL_WRITE_EX:
		return "SSL_write_ex";
	case AT_HOOK_SSL_READ:
		return "SSL_read";
	case AT_HOOK_SSL_READ_EX:
		return "SSL_read_ex";
	case AT_HOOK_WRITE:
		return "write";
	case AT_HOOK_WRITEV:
		return "writev";
	case AT_HOOK_SENDTO:
		return "sendto";
	case AT_HOOK_READ:
		return "read";
	case AT_HOOK_RECVFROM:
		return "recvfrom";
	default:
		return "unknown";
	}
}

static bool hook_is_tls(uint16_t hook)
{
	return hook >= AT_HOOK_SSL_WRITE && hook <= AT_HOOK_SSL_READ_EX;
}

/* Fill the event metadata of the scratch request and start a new record. */
static struct request *begin_request(struct conn_table *t, const struct conn *c,
				     const struct conn_chunk *ch)
{
	struct request *req = &t->req;

	request_reset(req);
	req->ts_ns = c->buf_len ? c->head_ts : ch->ts_ns;
	req->pid = ch->pid;
	req->tid = c->buf_len ? c->head_tid : ch->tid;
	req->uid = ch->uid;
	req->cgroup_id = ch->cgroup_id;
	/* comm is at most 16 bytes, often fewer; the traced process chose it: make it printable */
	{
		size_t cl = ch->comm ? strnlen(ch->comm, REQ_COMM_MAX) : 0;

		memcpy(req->comm, ch->comm, cl);
		req->comm[cl] = '\0';
		for (char *s = req->comm; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = '?';
	}
	req->conn_id = c->id;
	req->source = hook_name(ch->hook);
	req->tls = hook_is_tls(ch->hook);
	req->protocol = "http/1.1";
	memcpy(req->peer, c->peer, sizeof(req->peer));
	return req;
}

/*
 * Parse a request head from p[0..n), which starts at stream offset
 * head_start.  On COMPLETE the request is reported, queued for its
 * response, and the connection moves past the head.
 */
static enum h1_result parse_request(struct conn_table *t, struct conn *c,
				    const struct conn_chunk *ch, const uint8_t *p, size_t n,
				    uint64_t head_start)
{
	struct visit_ctx v = { .b = { .extra_cred_headers = t->cb.extra_cred_headers } };
	struct h1_head_info info;
	enum h1_result r;
	uint64_t seq = 0;

	v.b.req = begin_request(t, c, ch);
	r = h1_parse_request(p, n, CONN_HEAD_MAX, &request_visitor, &v, &info);
	if (r != H1_COMPLETE)
		return r;

	request_finish(v.b.req);
	if (t->cb.request)
		seq = t->cb.request(t->cb.ctx, v.b.req);
	pending_push(t, c, seq);

	c->next_off = head_start + info.head_len;
	if (info.framing == H1_BODY_LENGTH && info.content_length > 0) {
		uint64_t write_end = ch->stream_off + ch->len;

		c->state = ST_BODY;
		c->body_end = c->next_off + info.content_length;
		/* the body runs past this write: tell the kernel side to stop copying it */
		if (c->body_end > write_end && t->cb.skip_until)
			t->cb.skip_until(hint_ctx(t), c->pid, c->handle, c->body_end);
	} else if (info.framing == H1_BODY_CHUNKED) {
		c->state = ST_SKIP;
	} else {
		c->state = ST_HEAD;
	}
	return r;
}

static void visit_status_line(void *ctx, int status, const char *reason, size_t len)
{
	struct visit_ctx *v = ctx;

	v->status = status;
}

static const struct h1_visitor response_visitor = {
	.status_line = visit_status_line,
};

/* The response is complete enough to report: do so and stop capturing the rest. */
static void finish_response(struct conn_table *t, struct conn *c, struct response *r)
{
	struct conn *out = conn_find(t, c->pid, c->handle, AT_DIR_OUT);

	emit_response(t, r);
	c->awaiting_error_body = false;
	c->state = ST_SKIP;
	/* more requests in flight (pipelined): their answers follow on this stream */
	if (t->cb.response_done && !(out && out->pending_count))
		t->cb.response_done(hint_ctx(t), c->pid, c->handle, out ? request_stream_end(out) : 0);
}

/* The error text at the start of a body (after a chunked body's first size line). */
static void error_text(const struct conn *c, const uint8_t *p, size_t n, char *out)
{
	if (c->error_chunked) {
		size_t i = 0;

		while (i < n && i < 16 && ((p[i] >= '0' && p[i] <= '9') ||
					   ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')))
			i++;
		if (i > 0) {
			const uint8_t *nl = memchr(p + i, '\n', n - i < 256 ? n - i : 256);

			if (nl) {
				n -= (size_t)(nl + 1 - p);
				p = nl + 1;
			}
		}
	}
	errtext_extract(p, n, out);
}

/* Parse a response head; on COMPLETE report it (or defer it for its error body). */
static enum h1_result parse_response(struct conn_table *t, struct conn *c,
				     const struct conn_chunk *ch, const uint8_t *p, size_t n,
				     uint64_t head_start)
{
	struct visit_ctx v = { .status = 0 };
	struct h1_head_info info;
	struct response *r = &c->deferred;
	enum h1_result res;

	res = h1_parse_response(p, n, CONN_HEAD_MAX, &response_visitor, &v, &info);
	if (res != H1_COMPLETE)
		return res;
	c->next_off = head_start + info.head_len;
	c->state = ST_SKIP;
	if (info.status < 200 && info.status != 101)
		return res;  /* 100 Continue and friends: the real answer follows (101 is final) */

	memset(r, 0, sizeof(*r));
	r->pid = c->pid;
	r->ts_ns = c->buf_len ? c->head_ts : ch->ts_ns;
	r->conn_id = c->id;
	r->request_seq = pending_pop(conn_find(t, c->pid, c->handle, AT_DIR_OUT));
	r->protocol = "http/1.1";
	r->stream = -1;
	r->tls = hook_is_tls(ch->hook);
	r->status = info.status;
	if (info.status < 400 || info.framing == H1_BODY_NONE) {
		finish_response(t, c, r);
		return res;
	}
	/* an error: its text is at the start of the body */
	c->awaiting_error_body = true;
	c->error_chunked = info.framing == H1_BODY_CHUNKED;
	if (n > info.head_len) {
		error_text(c, p + info.head_len, n - info.head_len, r->error);
		finish_response(t, c, r);
	}
	return res;
}

static enum h1_result parse_head(struct conn_table *t, struct conn *c, const struct conn_chunk *ch,
				 const uint8_t *p, size_t n, uint64_t head_start)
{
	return c->dir == AT_DIR_OUT ? parse_request(t, c, ch, p, n, head_start)
				    : parse_response(t, c, ch, p, n, head_start);
}

static bool looks_like_head(const struct conn *c, const uint8_t *p, size_t n)
{
	return c->dir == AT_DIR_OUT ? h1_looks_like_request(p, n) : h1_looks_like_response(p, n);
}

/*
 * A request head that will never complete (its bytes were lost, or it is
 * longer than the capture limit): report what arrived, marked incomplete,
 * rather than nothing or "no credentials".  The buffer is cut after its
 * last complete line and closed with a blank line, so the one parser
 * handles it; a head whose request line never arrived is only counted.
 */
static void report_incomplete_head(struct conn_table *t, struct conn *c,
				   const struct conn_chunk *ch)
{
	struct visit_ctx v = { .b = { .extra_cred_headers = t->cb.extra_cred_headers } };
	struct h1_head_info info;
	const uint8_t *last_nl;
	uint64_t seq = 0;

	if (c->dir != AT_DIR_OUT || c->buf_len == 0)
		return;
	last_nl = memrchr(c->buf, '\n', c->buf_len);
	if (!last_nl)
		return;
	c->buf_len = (size_t)(last_nl - c->buf) + 1;
	if (!buf_append(c, (const uint8_t *)"\r\n", 2))
		return;
	v.b.req = begin_request(t, c, ch);
	if (h1_parse_request(c->buf, c->buf_len, CONN_HEAD_MAX + 2, &request_visitor, &v, &info) !=
	    H1_COMPLETE)
		return;
	v.b.req->incomplete = true;
	request_finish(v.b.req);
	if (t->cb.request)
		seq = t->cb.request(t->cb.ctx, v.b.req);
	pending_push(t, c, seq);
}

/*
 * A gap: bytes between next_off and pos never reached us.  Inside a body
 * we asked the kernel to skip, or on the response side once a response is
 * done, that is expected; anywhere else data was lost.
 */
static void handle_gap(struct conn_table *t, struct conn *c, const struct conn_chunk *ch,
		       uint64_t pos)
{
	if (c->state == ST_BODY && pos <= c->body_end)
		return;
	if (c->dir == AT_DIR_IN && c->state == ST_SKIP && !c->buf_len)
		return;
	t->stats.gaps++;
	if (c->buf_len) {
		t->stats.heads_lost++;
		report_incomplete_head(t, c, ch);
		buf_clear(c);
	}
	c->state = ST_SKIP;
}

static void give_up_head(struct conn_table *t, struct conn *c)
{
	t->stats.heads_invalid++;
	buf_clear(c);
	c->state = ST_SKIP;
}

/* Process the bytes of one chunk, starting at stream offset pos. */
static void walk_stream(struct conn_table *t, struct conn *c, const struct conn_chunk *ch,
			const uint8_t *p, size_t n, uint64_t pos, bool boundary)
{
	while (n > 0) {
		enum h1_result r;
		size_t take;

		switch (c->state) {
		case ST_BODY:
			take = c->body_end - pos < n ? (size_t)(c->body_end - pos) : n;
			p += take;
			pos += take;
			n -= take;
			if (pos >= c->body_end) {
				c->state = ST_HEAD;
				boundary = true;
			}
			break;

		case ST_SKIP:
			if (!boundary || !looks_like_head(c, p, n)) {
				pos += n;
				n = 0;
				break;
			}
			c->state = ST_HEAD;
			break;

		case ST_HEAD:
			if (c->buf_len == 0) {
				if (!looks_like_head(c, p, n)) {
					t->stats.heads_invalid++;
					c->state = ST_SKIP;
					boundary = false;
					break;
				}
				r = parse_head(t, c, ch, p, n, pos);
				if (r == H1_COMPLETE) {
					take = (size_t)(c->next_off - pos);
					p += take;
					pos += take;
					n -= take;
					boundary = true;
					break;
				}
				if (r == H1_INVALID || !buf_append(c, p, n)) {
					give_up_head(t, c);
					boundary = false;
					break;
				}
				c->head_ts = ch->ts_ns;
				c->head_tid = ch->tid;
				pos += n;
				n = 0;
				break;
			}
			/* continuing a head split across writes */
			{
				uint64_t head_start = pos - c->buf_len;
				size_t before = c->buf_len;

				if (!buf_append(c, p, n)) {
					/* longer than any head we keep: report what we have */
					report_incomplete_head(t, c, ch);
					give_up_head(t, c);
					boundary = false;
					break;
				}
				r = parse_head(t, c, ch, c->buf, c->buf_len, head_start);
				if (r == H1_INCOMPLETE) {
					pos += n;
					n = 0;
					break;
				}
				buf_clear(c);
				if (r == H1_INVALID) {
					give_up_head(t, c);
					boundary = false;
					break;
				}
				/* the head ended inside the bytes just appended */
				take = (size_t)(c->next_off - head_start) - before;
				p += take;
				pos += take;
				n -= take;
				boundary = true;
			}
			break;
		}
	}
	c->next_off = pos;
}

/*
 * OpenSSL requires a failed SSL_write (WANT_READ/WANT_WRITE, e.g. during
 * the handshake) to be retried with the same buffer; an entry probe sees
 * each attempt.  A write that starts a request and is identical to the
 * previous one on this connection, with no read in between, is such a
 * retry.  (Only request starts: identical small writes inside a
 * head, one byte at a time, are not.)
 */
static bool is_retried_write(struct conn *c, const struct conn_chunk *ch)
{
	size_t hashed = ch->data_len < RETRY_HASH_BYTES ? ch->data_len : RETRY_HASH_BYTES;
	uint64_t h = digest_bytes(ch->data, hashed);
	/* a repeat of the write that is the tail of the head being reassembled */
	bool head_tail = c->buf_len >= ch->len && ch->data_len <= ch->len &&
			 memcmp(c->buf + c->buf_len - ch->len, ch->data, ch->data_len) == 0;
	bool retry = c->started && ch->len == c->last_write_len && h == c->last_write_hash &&
		     c->reads_seen == c->last_write_reads && ch->data_len >= RETRY_MIN_BYTES &&
		     (h1_looks_like_request(ch->data, ch->data_len) || head_tail);

	c->last_write_len = ch->len;
	c->last_write_hash = h;
	c->last_write_reads = c->reads_seen;
	return retry;
}

/* --- HTTP/2 --------------------------------------------------------------- */

static uint64_t h2_on_request(void *ctx, struct request *req)
{
	struct h2_link *l = ctx;
	uint64_t seq = l->t->cb.request ? l->t->cb.request(l->t->cb.ctx, req) : 0;

	if (seq)
		l->requests++;
	return seq;
}

static void h2_on_response(void *ctx, uint32_t stream, int status, uint64_t request_seq)
{
	struct h2_link *l = ctx;
	const struct conn_chunk *ch = l->t->chunk;
	struct response r = {
		.pid = l->out->pid,
		.ts_ns = ch ? ch->ts_ns : 0,
		.conn_id = l->out->id,
		.request_seq = request_seq,
		.protocol = "h2",
		.stream = stream,
		.tls = ch && hook_is_tls(ch->hook),
		.status = status,
	};

	if (request_seq)
		l->answered++;
	emit_response(l->t, &r);
}

/*
 * Bytes shaped like an HTTP/2 frame header: a known type, the reserved bit
 * clear, a length within the largest frame size.  Only consulted for a
 * connection first seen mid-stream, at a write boundary (clients write
 * whole frames).
 */
static bool looks_like_h2_frame(const uint8_t *p, size_t n)
{
	uint32_t len;

	if (n < 9)
		return false;
	len = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	return p[3] <= 0x9 && !(p[5] & 0x80) && len <= (1u << 24) - 1 && len + 9 <= n + 16384;
}

static bool start_h2(struct conn_table *t, struct conn *out, bool mid_stream)
{
	struct h2_callbacks cb = {
		.request = h2_on_request,
		.response = h2_on_response,
		.ctx = &out->h2_link,
		.extra_cred_headers = t->cb.extra_cred_headers,
	};

	out->h2_link = (struct h2_link){ .t = t, .out = out };
	out->h2 = h2_conn_new(&cb, mid_stream);
	return out->h2 != NULL;
}

/*
 * The h2 session this chunk belongs to, starting one when the bytes say so.
 * out is the connection's request side (c itself for a write), if known.
 */
static struct h2_conn *h2_session(struct conn_table *t, struct conn *c, struct conn *out,
				  const struct conn_chunk *ch, bool first_sight)
{
	if (!out)
		return NULL;
	if (out->h2 || c->dir != AT_DIR_OUT || ch->chunk_off != 0 || c->buf_len ||
	    c->state == ST_BODY)
		return out->h2;
	if (ch->data_len >= H2_PREFACE_LEN && h2_looks_like_preface(ch->data, ch->data_len))
		start_h2(t, out, false);
	else if (first_sight && !h1_looks_like_request(ch->data, ch->data_len) &&
		 looks_like_h2_frame(ch->data, ch->data_len))
		start_h2(t, out, true);
	return out->h2;
}

static void feed_h2(struct conn_table *t, struct conn *c, struct conn *out, struct h2_conn *h2,
		    const struct conn_chunk *ch, bool gap)
{
	struct request *req = begin_request(t, c, ch);

	req->protocol = "h2";
	if (gap)
		h2_gap(h2, c->dir == AT_DIR_OUT);
	t->chunk = ch;
	if (!h2_feed(h2, c->dir == AT_DIR_OUT, ch->data, ch->data_len, req) && out) {
		/* beyond repair (or it was never h2): back to HTTP/1 resynchronisation */
		end_h2(t, out);
		out->state = ST_SKIP;
	}
	t->chunk = NULL;
	c->next_off = ch->stream_off + ch->chunk_off + ch->data_len;
}

void conn_feed(struct conn_table *t, const struct conn_chunk *ch)
{
	struct h2_conn *h2;
	struct conn *c, *out;
	uint64_t pos;
	bool boundary, first_sight, gap, contiguous = true;

	if (ch->data_len == 0 || !ch->data)
		return;
	c = conn_get(t, ch->pid, ch->conn, ch->dir);
	if (!c)
		return;
	pos = ch->stream_off + ch->chunk_off;

	if (ch->dir == AT_DIR_OUT) {
		/* a stream that starts over (handle reused) leaves no retry window behind */
		if (c->started && ch->chunk_off == 0 && pos < c->next_off)
			c->dup_until = 0;
		if (ch->chunk_off == 0 && is_retried_write(c, ch)) {
			t->stats.retries_dropped++;
			c->dup_until = ch->stream_off + ch->len;
		}
		if (pos < c->dup_until) {
			c->next_off = pos + ch->data_len;
			return;
		}
	}

	out = ch->dir == AT_DIR_OUT ? c : conn_find(t, c->pid, c->handle, AT_DIR_OUT);
	/*
	 * A read: a write after it is no retry of one before.  Counted on the
	 * request side, which holds the retry state: the response side's own
	 * offsets start over if the table evicts it.
	 */
	if (ch->dir == AT_DIR_IN && out)
		out->reads_seen++;

	first_sight = !c->started;
	h2 = h2_session(t, c, out, ch, first_sight);
	if (h2) {
		gap = c->started && pos != c->next_off;
		c->started = true;
		feed_h2(t, c, out, h2, ch, gap);
		return;
	}
	if (!c->started) {
		/* first sight (maybe attached mid-connection): start at a write boundary */
		c->started = true;
		c->next_off = pos;
		c->state = ch->chunk_off == 0 ? ST_HEAD : ST_SKIP;
	} else if (pos < c->next_off) {
		/* stream restarted (a new connection reusing the handle): start over */
		buf_clear(c);
		c->state = ST_HEAD;
	} else if (pos > c->next_off) {
		contiguous = false;
		handle_gap(t, c, ch, pos);
	}
	c->next_off = pos;
	boundary = ch->chunk_off == 0 || (c->state == ST_BODY && pos == c->body_end);

	/* an error response whose head came alone: its body starts here */
	if (c->awaiting_error_body) {
		/* no body came (the answer to HEAD): this is already the next response */
		bool next_head = ch->chunk_off == 0 && h1_looks_like_response(ch->data, ch->data_len) &&
				 h1_parse_response(ch->data, ch->data_len, CONN_HEAD_MAX, NULL, NULL,
						   NULL) != H1_INVALID;

		/* text only from the start of the body, never from after a gap */
		if (!next_head && contiguous)
			error_text(c, ch->data, ch->data_len, c->deferred.error);
		finish_response(t, c, &c->deferred);
		if (!next_head) {
			c->next_off = pos + ch->data_len;
			return;
		}
	}

	walk_stream(t, c, ch, ch->data, ch->data_len, pos, boundary);

	/* the write was cut by the capture limit with its head still open */
	if (ch->truncated && ch->last_chunk && c->buf_len) {
		t->stats.heads_truncated++;
		report_incomplete_head(t, c, ch);
		buf_clear(c);
		c->state = ST_SKIP;
	}
}

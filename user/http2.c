/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 for one connection (see http2.h): RFC 9113 framing in both
 * directions, header blocks decoded by libnghttp2's HPACK inflater.
 *
 * Each direction is a byte stream cut into frames.  A frame header may span
 * feeds (9 bytes kept); DATA and other payloads we do not read are counted
 * down, never buffered.  A header block (HEADERS or PUSH_PROMISE, then
 * CONTINUATION until END_HEADERS) is decoded in place when one feed holds
 * it whole, the common case; otherwise it is assembled in a per-direction
 * buffer that grows once, is reused, and is wiped after every block since
 * it holds encoded header values.  The whole block is inflated within one
 * h2_feed call because the caller's request record is scratch space shared
 * with other connections.
 *
 * HPACK state.  Every header block must reach the inflater or its dynamic
 * table goes out of step, PUSH_PROMISE and trailers included.  When the
 * table can no longer be trusted (attached mid-connection, bytes lost, a
 * block that failed or was cut short) the inflater is replaced by a fresh
 * one.  Everything the fresh table learns was added after everything it
 * lacks, and dynamic indices count from the newest entry, so an index
 * within what it learnt names the same field as on the wire.  The fresh
 * table starts with UNSEEN_ENTRIES placeholder entries, older than
 * anything it will learn: an index past the learnt entries lands on a
 * placeholder (or past the table: an inflater error) instead of on a
 * wrong field.  Fields named by a placeholder are skipped, so decoding
 * goes on past them to the literal fields after, and nothing is ever
 * invented.  A request with skipped fields, or whose block failed
 * part-way (then with the fields before the failure), is reported with
 * hpack_partial.
 *
 * Framing we can only guess (mid-stream, after a gap) resynchronises at
 * feed boundaries: a client writes whole frames per SSL_write, so a feed
 * that starts with a plausible frame header is taken as aligned.  Framing
 * errors are fatal on a direction that has been aligned since the start,
 * and send a guessed direction back to resynchronising.
 */
#include "http2.h"

#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"

#define FRAME_HEADER_LEN        9
#define FRAME_SIZE_DEFAULT      16384u     /* SETTINGS_MAX_FRAME_SIZE initial value */
#define FRAME_SIZE_MAX          0xffffffu  /* largest SETTINGS_MAX_FRAME_SIZE, 2^24-1 */
#define BLOCK_CAP               (256u * 1024) /* header block bytes kept; the rest is cut */
#define BLOCK_KEEP              (64u * 1024)  /* buffer capacity kept between blocks */
#define BLOCK_MIN_ALLOC         4096u
#define TABLE_SIZE_DEFAULT      4096u      /* SETTINGS_HEADER_TABLE_SIZE initial value */
#define TABLE_SIZE_RESYNC       65536u     /* allowed when the setting may have been missed */
#define TABLE_SIZE_CAP          (1u << 20) /* memory bound per inflater; larger is clamped */
#define STREAMS_MAX             256        /* requests waiting for a response */
/* a 4096-byte table (every common client's) holds at most 4096/32 entries */
#define UNSEEN_ENTRIES          128
#define UNSEEN_NAME             "\x7f"     /* not a valid field name: never a real header */
#define UNSEEN_BLOCK_MAX        2048
#define STREAM_ID_MASK          0x7fffffffu

enum frame_type {
	FT_DATA = 0x0,
	FT_HEADERS = 0x1,
	FT_PRIORITY = 0x2,
	FT_RST_STREAM = 0x3,
	FT_SETTINGS = 0x4,
	FT_PUSH_PROMISE = 0x5,
	FT_PING = 0x6,
	FT_GOAWAY = 0x7,
	FT_WINDOW_UPDATE = 0x8,
	FT_CONTINUATION = 0x9,
};

enum frame_flag {
	FL_END_STREAM = 0x01,
	FL_ACK = 0x01,
	FL_END_HEADERS = 0x04,
	FL_PADDED = 0x08,
	FL_PRIORITY = 0x20,
};

enum settings_id {
	SETTINGS_HEADER_TABLE_SIZE = 0x1,
	SETTINGS_MAX_FRAME_SIZE = 0x5,
};

#define SETTINGS_ENTRY_LEN 6
#define PRIORITY_FIELDS_LEN 5 /* exclusive bit + stream dependency, weight */
#define PROMISED_ID_LEN 4

struct frame_hd {
	uint32_t length;
	uint32_t stream;
	uint8_t type;
	uint8_t flags;
	bool reserved_bit;
};

/* A header block being assembled from its frames' fragments. */
struct block {
	uint8_t *buf;
	size_t len, cap;
	uint32_t stream;
	uint8_t type;          /* FT_HEADERS or FT_PUSH_PROMISE */
	bool active;           /* END_HEADERS not seen yet: CONTINUATION must follow */
	bool truncated;        /* did not fit BLOCK_CAP: the tail was dropped */
};

/* A complete header block's fragment bytes and where they came from. */
struct block_view {
	const uint8_t *p;
	size_t n;
	uint32_t stream;
	uint8_t type;
	bool truncated;
};

/* One direction: what its sender sends, decoded with its sender's table. */
struct h2_dir {
	nghttp2_hd_inflater *inflater;   /* NULL: make an untrusted one when needed */
	uint32_t table_size;             /* SETTINGS_HEADER_TABLE_SIZE the receiver granted */
	uint32_t max_frame;              /* frames longer than this are framing errors */

	uint8_t preface_left;            /* client preface bytes still expected (out) */
	bool expect_settings;            /* out: the preface's SETTINGS frame must come next */
	uint8_t hd[FRAME_HEADER_LEN];    /* a frame header spanning feeds */
	uint8_t hd_have;
	bool in_payload;
	struct frame_hd fr;              /* the frame whose payload is being read */
	uint32_t payload_left;
	size_t frame_start;              /* header-block frames: where fr's payload starts in blk */
	size_t frame_stored;             /* ... and how much of it was kept */
	uint8_t setting[SETTINGS_ENTRY_LEN];
	uint8_t setting_have;
	struct block blk;

	bool resync;                     /* framing unknown: wait for a feed that starts a frame */
	bool guessed;                    /* framing was found by guessing */
	bool table_unknown;              /* the inflater may lack entries the encoder has */
	bool settings_seen;              /* this direction's sender has sent SETTINGS */
	bool frame_size_given;           /* the SETTINGS being read set SETTINGS_MAX_FRAME_SIZE */
	uint32_t last_request_stream;    /* out: highest stream that carried a request */
};

struct stream_seq {
	uint32_t stream;
	uint64_t seq;
	uint64_t age;
};

struct h2_conn {
	struct h2_callbacks cb;
	struct h2_dir dir[2];            /* indexed by out: [0] server to client, [1] client to server */
	struct stream_seq streams[STREAMS_MAX];
	unsigned n_streams;
	uint64_t next_age;
	bool dead;
};

static const uint8_t empty_input[1];

enum inflate_result { INFLATE_OK, INFLATE_CUT, INFLATE_ERROR };

typedef void (*field_fn)(void *ctx, const nghttp2_nv *nv);

/* ------------------------------------------------------------------------ */
/* Requests waiting for their response                                      */
/* ------------------------------------------------------------------------ */

static struct stream_seq *stream_find(struct h2_conn *c, uint32_t stream)
{
	for (unsigned i = 0; i < c->n_streams; i++)
		if (c->streams[i].stream == stream)
			return &c->streams[i];
	return NULL;
}

static struct stream_seq *stream_oldest(struct h2_conn *c)
{
	struct stream_seq *oldest = &c->streams[0];

	for (unsigned i = 1; i < c->n_streams; i++)
		if (c->streams[i].age < oldest->age)
			oldest = &c->streams[i];
	return oldest;
}

static void stream_remember(struct h2_conn *c, uint32_t stream, uint64_t seq)
{
	struct stream_seq *s = stream_find(c, stream);

	if (!s)
		s = c->n_streams < STREAMS_MAX ? &c->streams[c->n_streams++] : stream_oldest(c);
	s->stream = stream;
	s->seq = seq;
	s->age = c->next_age++;
}

static void stream_forget(struct h2_conn *c, struct stream_seq *s)
{
	*s = c->streams[--c->n_streams];
}

/* The stream was cancelled: no response will come. */
static void stream_reset(struct h2_conn *c, uint32_t stream)
{
	struct stream_seq *s = stream_find(c, stream);

	if (s)
		stream_forget(c, s);
}

/* The seq of the request on stream, 0 if unknown; the stream is answered. */
static uint64_t stream_take(struct h2_conn *c, uint32_t stream)
{
	struct stream_seq *s = stream_find(c, stream);
	uint64_t seq;

	if (!s)
		return 0;
	seq = s->seq;
	stream_forget(c, s);
	return seq;
}

/* ------------------------------------------------------------------------ */
/* Inflaters                                                                */
/* ------------------------------------------------------------------------ */

static uint32_t table_size_clamped(uint32_t v)
{
	return v < TABLE_SIZE_CAP ? v : TABLE_SIZE_CAP;
}

/*
 * The limit handed to the inflater.  While the table is untrusted the
 * setting may have been missed, so allow at least TABLE_SIZE_RESYNC; a
 * larger limit than the encoder's keeps decoding exact (see the top).
 */
static uint32_t inflater_limit(const struct h2_dir *d)
{
	if (d->table_unknown && d->table_size < TABLE_SIZE_RESYNC)
		return TABLE_SIZE_RESYNC;
	return d->table_size;
}

/*
 * Run one header block through the inflater, field by field.  final: the
 * block is whole; otherwise it was cut and whatever decodes is reported.
 */
static enum inflate_result inflate_block(nghttp2_hd_inflater *inf, const struct block_view *b,
					 field_fn on_field, void *ctx)
{
	const uint8_t *p = b->n ? b->p : empty_input;
	size_t n = b->n;
	int final = !b->truncated;

	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &flags, p, n, final);

		if (rv < 0 || (size_t)rv > n)
			return INFLATE_ERROR;
		p += rv;
		n -= (size_t)rv;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			on_field(ctx, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			return INFLATE_OK;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && n == 0)
			return final ? INFLATE_ERROR : INFLATE_CUT;
	}
}

/*
 * The header block that fills a fresh table with placeholders: a size
 * update to TABLE_SIZE_RESYNC (room for them and a full 4096-byte table),
 * then UNSEEN_ENTRIES distinct UNSEEN_NAME fields, made by nghttp2's own
 * deflater once per process.
 */
static uint8_t unseen_block[UNSEEN_BLOCK_MAX];
static size_t unseen_block_len;
static pthread_once_t unseen_block_once = PTHREAD_ONCE_INIT;

static void unseen_block_build(void)
{
	char values[UNSEEN_ENTRIES][4];
	nghttp2_nv nv[UNSEEN_ENTRIES];
	nghttp2_hd_deflater *def;
	ssize_t n;

	if (nghttp2_hd_deflate_new(&def, TABLE_SIZE_RESYNC) != 0)
		return;
	nghttp2_hd_deflate_change_table_size(def, TABLE_SIZE_RESYNC);
	for (unsigned i = 0; i < UNSEEN_ENTRIES; i++) {
		snprintf(values[i], sizeof(values[i]), "%u", i);
		nv[i] = (nghttp2_nv){ (uint8_t *)UNSEEN_NAME, (uint8_t *)values[i],
				      sizeof(UNSEEN_NAME) - 1, strlen(values[i]),
				      NGHTTP2_NV_FLAG_NONE };
	}
	n = nghttp2_hd_deflate_hd(def, unseen_block, sizeof(unseen_block), nv, UNSEEN_ENTRIES);
	unseen_block_len = n > 0 ? (size_t)n : 0;
	nghttp2_hd_deflate_del(def);
}

static bool is_unseen(const nghttp2_nv *nv)
{
	return nv->namelen == sizeof(UNSEEN_NAME) - 1 &&
	       memcmp(nv->name, UNSEEN_NAME, sizeof(UNSEEN_NAME) - 1) == 0;
}

static void on_ignored_field(void *ctx, const nghttp2_nv *nv)
{
	(void)ctx;
	(void)nv;
}

/* A fresh inflater for an untrusted table: placeholders first (see the top). */
static nghttp2_hd_inflater *inflater_new_untrusted(uint32_t limit)
{
	nghttp2_hd_inflater *inf;
	struct block_view v;

	if (nghttp2_hd_inflate_new(&inf) != 0)
		return NULL;
	nghttp2_hd_inflate_change_table_size(inf, limit);
	pthread_once(&unseen_block_once, unseen_block_build);
	v = (struct block_view){ .p = unseen_block, .n = unseen_block_len };
	if (unseen_block_len && inflate_block(inf, &v, on_ignored_field, NULL) != INFLATE_OK) {
		/* cannot happen with nghttp2's own output; start bare rather than stuck */
		nghttp2_hd_inflate_del(inf);
		if (nghttp2_hd_inflate_new(&inf) != 0)
			return NULL;
		nghttp2_hd_inflate_change_table_size(inf, limit);
	}
	return inf;
}

/*
 * Drop the inflater: its table is no longer trusted.  The fresh one is
 * made when the next header block comes, so idle connections cost nothing.
 */
static void inflater_reset(struct h2_dir *d)
{
	if (d->inflater)
		nghttp2_hd_inflate_del(d->inflater);
	d->inflater = NULL;
	d->table_unknown = true;
}

/*
 * The receiver's SETTINGS_HEADER_TABLE_SIZE bounds this direction's encoder.
 * A trusted table follows it exactly, lowering included (the encoder then
 * must open its next block with a size update).  An untrusted one only
 * ever grows its limit, since it cannot know whether that update was sent.
 */
static void apply_table_size(struct h2_dir *d, uint32_t v)
{
	uint32_t before = inflater_limit(d);

	d->table_size = table_size_clamped(v);
	if (!d->inflater)
		return;
	if (d->table_unknown && inflater_limit(d) <= before)
		return;
	nghttp2_hd_inflate_change_table_size(d->inflater, inflater_limit(d));
}

/* ------------------------------------------------------------------------ */
/* Directions                                                               */
/* ------------------------------------------------------------------------ */

static void block_wipe(struct block *b)
{
	cred_wipe(b->buf, b->len);
	b->len = 0;
	b->active = false;
	b->truncated = false;
	if (b->cap > BLOCK_KEEP) {
		free(b->buf);
		b->buf = NULL;
		b->cap = 0;
	}
}

static void framing_reset(struct h2_dir *d)
{
	d->preface_left = 0;
	d->expect_settings = false;
	d->hd_have = 0;
	d->in_payload = false;
	d->payload_left = 0;
	d->setting_have = 0;
	block_wipe(&d->blk);
}

/* From the next feed on, look for a frame start; the table is untrusted. */
static void dir_enter_resync(struct h2_dir *d)
{
	framing_reset(d);
	d->resync = true;
	inflater_reset(d);
}

static void dir_init(struct h2_dir *d, bool out, bool mid_stream)
{
	memset(d, 0, sizeof(*d));
	d->table_size = TABLE_SIZE_DEFAULT;
	/* the receiver's limit only counts once its SETTINGS were seen */
	d->max_frame = FRAME_SIZE_MAX;
	d->preface_left = out && !mid_stream ? H2_PREFACE_LEN : 0;
	d->expect_settings = out && !mid_stream;
	d->resync = mid_stream;
	/* mid-stream, the inflater is made untrusted on first use */
	d->table_unknown = mid_stream;
	if (!mid_stream && nghttp2_hd_inflate_new(&d->inflater) != 0)
		d->inflater = NULL;
}

static void dir_free(struct h2_dir *d)
{
	cred_wipe(d->blk.buf, d->blk.len);
	free(d->blk.buf);
	if (d->inflater)
		nghttp2_hd_inflate_del(d->inflater);
}

struct h2_conn *h2_conn_new(const struct h2_callbacks *cb, bool mid_stream)
{
	struct h2_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (cb)
		c->cb = *cb;
	dir_init(&c->dir[0], false, mid_stream);
	dir_init(&c->dir[1], true, mid_stream);
	if (!mid_stream && (!c->dir[0].inflater || !c->dir[1].inflater)) {
		h2_conn_free(c);
		return NULL;
	}
	return c;
}

void h2_conn_free(struct h2_conn *c)
{
	if (!c)
		return;
	dir_free(&c->dir[0]);
	dir_free(&c->dir[1]);
	free(c);
}

bool h2_looks_like_preface(const uint8_t *data, size_t len)
{
	if (!data || len == 0)
		return false;
	return memcmp(data, H2_PREFACE, len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN) == 0;
}

/* ------------------------------------------------------------------------ */
/* Header blocks                                                            */
/* ------------------------------------------------------------------------ */

static bool is_pseudo(const nghttp2_nv *nv)
{
	return nv->namelen > 0 && nv->name[0] == ':';
}

static bool name_is(const nghttp2_nv *nv, const char *lit, size_t lit_len)
{
	return nv->namelen == lit_len && memcmp(nv->name, lit, lit_len) == 0;
}

#define NAME_IS(nv, lit) name_is((nv), lit, sizeof(lit) - 1)

struct request_fields {
	struct request_builder b;
	unsigned fields;
	unsigned unseen;        /* fields named by a placeholder: skipped */
	bool trailers;          /* the first field is a regular one: not a request */
};

/* request_set_line sets method and path together; keep the one not given. */
static void set_method(struct request *req, const char *m, size_t n)
{
	char path[REQ_PATH_MAX];
	size_t plen = strlen(req->path);
	bool truncated = req->path_truncated;

	memcpy(path, req->path, plen);
	request_set_line(req, m, n, path, plen);
	req->path_truncated = truncated;
}

static void set_path(struct request *req, const char *p, size_t n)
{
	char method[REQ_METHOD_MAX];
	size_t mlen = strlen(req->method);

	memcpy(method, req->method, mlen);
	request_set_line(req, method, mlen, p, n);
}

static void on_request_field(void *ctx, const nghttp2_nv *nv)
{
	struct request_fields *rf = ctx;
	struct request *req = rf->b.req;
	const char *name = (const char *)nv->name, *value = (const char *)nv->value;

	if (is_unseen(nv)) {
		rf->unseen++;
		return;
	}
	if (rf->fields++ == 0 && !is_pseudo(nv))
		rf->trailers = true;
	if (!is_pseudo(nv)) {
		request_add_header(&rf->b, name, nv->namelen, value, nv->valuelen);
		return;
	}
	if (NAME_IS(nv, ":method")) {
		set_method(req, value, nv->valuelen);
	} else if (NAME_IS(nv, ":path")) {
		set_path(req, value, nv->valuelen);
	} else if (NAME_IS(nv, ":authority")) {
		request_set_authority(req, value, nv->valuelen);
	}
	/* :scheme, :protocol: nothing in the record */
}

static void on_response_field(void *ctx, const nghttp2_nv *nv)
{
	int *status = ctx;
	const uint8_t *v = nv->value;

	if (*status || !NAME_IS(nv, ":status") || nv->valuelen != 3)
		return;
	for (int i = 0; i < 3; i++)
		if (v[i] < '0' || v[i] > '9')
			return;
	*status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

/* A client HEADERS block opens a request only on a new client stream. */
static bool opens_request(const struct h2_dir *d, const struct block_view *b)
{
	return b->type == FT_HEADERS && (b->stream & 1) && b->stream > d->last_request_stream;
}

/*
 * Whether a decoded block was a request.  Trailers start with a regular
 * field.  A block decoded whole without a usable :method is no request
 * either (malformed, RFC 9113 8.3.1): an empty value, or one a NUL cut
 * short, counts as none, as does a later empty :method overwriting a good
 * one.  A block with fields lost may have lost its :method.
 */
static bool is_request(const struct request_fields *rf, enum inflate_result r,
		       const struct block_view *b)
{
	bool whole = r == INFLATE_OK && !b->truncated && rf->unseen == 0;

	return !rf->trailers && (rf->b.req->method[0] != '\0' || !whole);
}

static enum inflate_result decode_request(struct h2_conn *c, struct h2_dir *d,
					  const struct block_view *b, struct request *req)
{
	struct request_fields rf = {
		.b = { .req = req, .extra_cred_headers = c->cb.extra_cred_headers },
	};
	enum inflate_result r;
	uint64_t seq = 0;

	request_reset(req);
	r = inflate_block(d->inflater, b, on_request_field, &rf);
	if (!is_request(&rf, r, b))
		return r;
	req->hpack_partial = r == INFLATE_ERROR || rf.unseen > 0;
	req->incomplete = b->truncated;
	request_finish(req);
	req->stream = b->stream;
	req->protocol = "h2";
	if (c->cb.request)
		seq = c->cb.request(c->cb.ctx, req);
	d->last_request_stream = b->stream;
	stream_remember(c, b->stream, seq);
	return r;
}

static enum inflate_result decode_response(struct h2_conn *c, struct h2_dir *d,
					   const struct block_view *b)
{
	int status = 0;
	enum inflate_result r = inflate_block(d->inflater, b, on_response_field, &status);
	uint64_t seq;

	/*
	 * 1xx is informational (the final status follows), no :status means
	 * trailers, and an even stream was pushed: no request of ours.
	 */
	if (status < 200 || !(b->stream & 1))
		return r;
	seq = stream_take(c, b->stream);
	if (c->cb.response)
		c->cb.response(c->cb.ctx, b->stream, status, seq);
	return r;
}

static void decode_block(struct h2_conn *c, bool out, const struct block_view *b,
			 struct request *req)
{
	struct h2_dir *d = &c->dir[out];
	enum inflate_result r;

	if (!d->inflater) {
		d->table_unknown = true;
		d->inflater = inflater_new_untrusted(inflater_limit(d));
		if (!d->inflater)
			return;
	}
	if (out && req && opens_request(d, b))
		r = decode_request(c, d, b, req);
	else if (!out && b->type == FT_HEADERS)
		r = decode_response(c, d, b);
	else
		r = inflate_block(d->inflater, b, on_ignored_field, NULL);
	if (r != INFLATE_OK)
		inflater_reset(d);
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */
/* ------------------------------------------------------------------------ */

static struct frame_hd frame_hd_parse(const uint8_t *p)
{
	struct frame_hd f = {
		.length = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2],
		.type = p[3],
		.flags = p[4],
		.stream = ((uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8]) &
			  STREAM_ID_MASK,
		.reserved_bit = (p[5] & 0x80) != 0,
	};
	return f;
}

static bool carries_block(uint8_t type)
{
	return type == FT_HEADERS || type == FT_PUSH_PROMISE || type == FT_CONTINUATION;
}

/* Bytes before the header block fragment: pad length, priority, promised id. */
static uint32_t fragment_prefix_len(const struct frame_hd *f)
{
	uint32_t n = (f->flags & FL_PADDED) && f->type != FT_CONTINUATION ? 1 : 0;

	if (f->type == FT_HEADERS && (f->flags & FL_PRIORITY))
		n += PRIORITY_FIELDS_LEN;
	if (f->type == FT_PUSH_PROMISE)
		n += PROMISED_ID_LEN;
	return n;
}

/*
 * Where the fragment sits in a header-block frame's payload, given its
 * first byte (the pad length when PADDED).  False: padding and prefix do
 * not fit the payload (a PROTOCOL_ERROR).
 */
static bool fragment_span(const struct frame_hd *f, uint8_t first, uint32_t *off, uint32_t *len)
{
	uint32_t prefix = fragment_prefix_len(f);
	uint32_t pad = (f->flags & FL_PADDED) && f->type != FT_CONTINUATION ? first : 0;

	if ((uint64_t)prefix + pad > f->length)
		return false;
	*off = prefix;
	*len = f->length - prefix - pad;
	return true;
}

/* Checks that hold for any frame we may be fed; failing one is a framing error. */
static bool frame_acceptable(const struct h2_dir *d, const struct frame_hd *f)
{
	if (f->length > d->max_frame)
		return false;
	/* the client preface is the magic string and a SETTINGS frame */
	if (d->expect_settings && (f->type != FT_SETTINGS || (f->flags & FL_ACK)))
		return false;
	if (d->blk.active)
		return f->type == FT_CONTINUATION && f->stream == d->blk.stream;
	if (f->type == FT_CONTINUATION)
		return false;
	if ((f->type == FT_HEADERS || f->type == FT_PUSH_PROMISE) && f->stream == 0)
		return false;
	if (f->type == FT_SETTINGS)
		return f->stream == 0 && (f->flags & FL_ACK ? f->length == 0
							   : f->length % SETTINGS_ENTRY_LEN == 0);
	return true;
}

/*
 * Resynchronising: does a frame plausibly start here?  Stricter than
 * frame_acceptable (known types, their flags, their stream-0 rules and
 * fixed lengths) so that a feed starting mid-frame is rarely mistaken for
 * one starting a frame.
 */
static bool frame_plausible(const struct h2_dir *d, const struct frame_hd *f)
{
	static const uint8_t known_flags[] = {
		[FT_DATA] = FL_END_STREAM | FL_PADDED,
		[FT_HEADERS] = FL_END_STREAM | FL_END_HEADERS | FL_PADDED | FL_PRIORITY,
		[FT_PRIORITY] = 0,
		[FT_RST_STREAM] = 0,
		[FT_SETTINGS] = FL_ACK,
		[FT_PUSH_PROMISE] = FL_END_HEADERS | FL_PADDED,
		[FT_PING] = FL_ACK,
		[FT_GOAWAY] = 0,
		[FT_WINDOW_UPDATE] = 0,
	};
	bool on_connection = f->type == FT_SETTINGS || f->type == FT_PING || f->type == FT_GOAWAY;

	if (f->reserved_bit || f->type >= FT_CONTINUATION || (f->flags & ~known_flags[f->type]))
		return false;
	if (on_connection != (f->stream == 0) && f->type != FT_WINDOW_UPDATE)
		return false;
	switch (f->type) {
	case FT_PRIORITY:
		return f->length == 5;
	case FT_RST_STREAM:
	case FT_WINDOW_UPDATE:
		return f->length == 4;
	case FT_PING:
		return f->length == 8;
	case FT_GOAWAY:
		return f->length >= 8;
	default:
		return frame_acceptable(d, f);
	}
}

/* One SETTINGS parameter sent by direction d's sender: limits for the peer. */
static void apply_setting(struct h2_conn *c, bool out, uint16_t id, uint32_t value)
{
	struct h2_dir *peer = &c->dir[!out];

	if (id == SETTINGS_HEADER_TABLE_SIZE)
		apply_table_size(peer, value);
	else if (id == SETTINGS_MAX_FRAME_SIZE && value >= FRAME_SIZE_DEFAULT &&
		 value <= FRAME_SIZE_MAX) {
		peer->max_frame = value;
		c->dir[out].frame_size_given = true;
	}
}

static void settings_bytes(struct h2_conn *c, bool out, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &c->dir[out];

	for (size_t i = 0; i < n; i++) {
		d->setting[d->setting_have++] = p[i];
		if (d->setting_have < SETTINGS_ENTRY_LEN)
			continue;
		d->setting_have = 0;
		apply_setting(c, out, (uint16_t)(d->setting[0] << 8 | d->setting[1]),
			      (uint32_t)d->setting[2] << 24 | (uint32_t)d->setting[3] << 16 |
				      (uint32_t)d->setting[4] << 8 | d->setting[5]);
	}
}

static void settings_begin(struct h2_dir *d)
{
	d->expect_settings = false;
	d->setting_have = 0;
	d->frame_size_given = false;
}

/*
 * The peer's frame-size limit is only known from the first SETTINGS its
 * sender was seen to send (default 16384 unless that frame says otherwise):
 * before it, and where SETTINGS may have been missed, nothing is enforced,
 * so a capture without one direction never makes the other fail.
 */
static void settings_end(struct h2_conn *c, bool out)
{
	struct h2_dir *d = &c->dir[out];

	if (!d->settings_seen && !d->guessed && !d->frame_size_given)
		c->dir[!out].max_frame = FRAME_SIZE_DEFAULT;
	d->settings_seen = true;
}

static bool is_settings(const struct frame_hd *f)
{
	return f->type == FT_SETTINGS && !(f->flags & FL_ACK);
}

static bool block_reserve(struct block *b, size_t need)
{
	size_t cap = b->cap ? b->cap : BLOCK_MIN_ALLOC;
	uint8_t *nb;

	if (need <= b->cap)
		return true;
	while (cap < need)
		cap *= 2;
	if (cap > BLOCK_CAP)
		cap = BLOCK_CAP;
	/* no realloc: the old buffer holds encoded values and must be wiped */
	nb = malloc(cap);
	if (!nb)
		return false;
	if (b->buf) {
		memcpy(nb, b->buf, b->len);
		cred_wipe(b->buf, b->len);
		free(b->buf);
	}
	b->buf = nb;
	b->cap = cap;
	return true;
}

/* Keep payload bytes of a header-block frame, up to BLOCK_CAP in all. */
static void block_append(struct h2_dir *d, const uint8_t *p, size_t n)
{
	struct block *b = &d->blk;
	size_t room = BLOCK_CAP - b->len;
	size_t keep = n < room ? n : room;

	if (keep && !block_reserve(b, b->len + keep))
		keep = 0;
	if (keep < n)
		b->truncated = true;
	if (keep) {
		memcpy(b->buf + b->len, p, keep);
		b->len += keep;
		d->frame_stored += keep;
	}
}

static void block_start(struct h2_dir *d, const struct frame_hd *f)
{
	if (f->type != FT_CONTINUATION) {
		d->blk.len = 0;
		d->blk.truncated = false;
		d->blk.stream = f->stream;
		d->blk.type = f->type;
		d->blk.active = true;
	}
	d->frame_start = d->blk.len;
	d->frame_stored = 0;
}

static void block_complete(struct h2_conn *c, bool out, struct request *req)
{
	struct h2_dir *d = &c->dir[out];
	struct block_view v = {
		.p = d->blk.buf,
		.n = d->blk.len,
		.stream = d->blk.stream,
		.type = d->blk.type,
		.truncated = d->blk.truncated,
	};

	decode_block(c, out, &v, req);
	block_wipe(&d->blk);
}

/*
 * A header-block frame's payload is all in: keep only its fragment
 * (drop pad length, priority, promised id and padding).  False on bad
 * padding.
 */
static bool block_frame_end(struct h2_conn *c, bool out, struct request *req)
{
	struct h2_dir *d = &c->dir[out];
	uint8_t *raw = d->blk.buf ? d->blk.buf + d->frame_start : NULL;
	uint32_t off, len;
	size_t keep;

	if (!fragment_span(&d->fr, d->frame_stored ? raw[0] : 0, &off, &len))
		return false;
	keep = d->frame_stored > off ? d->frame_stored - off : 0;
	if (keep > len)
		keep = len;
	if (keep)
		memmove(raw, raw + off, keep);
	/* what was dropped is prefix or padding */
	if (d->frame_stored > keep)
		cred_wipe(raw + keep, d->frame_stored - keep);
	d->blk.len = d->frame_start + keep;
	if (d->fr.flags & FL_END_HEADERS)
		block_complete(c, out, req);
	return true;
}

/* A whole header block in one frame inside the feed: decode it in place. */
static bool block_in_place(struct h2_conn *c, bool out, const struct frame_hd *f,
			   const uint8_t *payload, struct request *req)
{
	uint32_t off, len;
	struct block_view v = { .stream = f->stream, .type = f->type };

	if (!fragment_span(f, f->length ? payload[0] : 0, &off, &len))
		return false;
	v.p = payload + off;
	v.n = len;
	decode_block(c, out, &v, req);
	return true;
}

static bool can_decode_in_place(const struct h2_dir *d, const struct frame_hd *f, size_t avail)
{
	return (f->type == FT_HEADERS || f->type == FT_PUSH_PROMISE) &&
	       (f->flags & FL_END_HEADERS) && !d->blk.active && f->length <= avail &&
	       f->length <= BLOCK_CAP;
}

static void frame_begin(struct h2_conn *c, bool out, const struct frame_hd *f)
{
	struct h2_dir *d = &c->dir[out];

	d->fr = *f;
	d->payload_left = f->length;
	d->in_payload = true;
	if (carries_block(f->type))
		block_start(d, f);
	else if (is_settings(f))
		settings_begin(d);
	else if (f->type == FT_RST_STREAM)
		stream_reset(c, f->stream);
}

static void frame_payload(struct h2_conn *c, bool out, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &c->dir[out];

	if (carries_block(d->fr.type))
		block_append(d, p, n);
	else if (is_settings(&d->fr))
		settings_bytes(c, out, p, n);
}

static bool frame_end(struct h2_conn *c, bool out, struct request *req)
{
	struct h2_dir *d = &c->dir[out];

	d->in_payload = false;
	if (carries_block(d->fr.type))
		return block_frame_end(c, out, req);
	if (is_settings(&d->fr))
		settings_end(c, out);
	return true;
}

/* ------------------------------------------------------------------------ */
/* Feeding                                                                  */
/* ------------------------------------------------------------------------ */

/* A framing error: fatal where framing was known, a resync where guessed. */
static bool framing_error(struct h2_conn *c, bool out)
{
	struct h2_dir *d = &c->dir[out];

	if (!d->guessed) {
		c->dead = true;
		return false;
	}
	dir_enter_resync(d);
	return true;
}

/* Returns bytes consumed, or -1 when they are not the preface. */
static ssize_t consume_preface(struct h2_dir *d, const uint8_t *p, size_t n)
{
	size_t done = H2_PREFACE_LEN - d->preface_left;
	size_t take = n < d->preface_left ? n : d->preface_left;

	if (memcmp(p, &H2_PREFACE[done], take) != 0)
		return -1;
	d->preface_left -= (uint8_t)take;
	return (ssize_t)take;
}

/*
 * Resynchronising: take this feed as aligned if it starts with a plausible
 * frame (or, client side, with the preface); otherwise skip it.
 */
static bool resync_at_feed(struct h2_dir *d, bool out, const uint8_t *p, size_t n)
{
	struct frame_hd f;

	if (out && n >= H2_PREFACE_LEN && memcmp(p, H2_PREFACE, H2_PREFACE_LEN) == 0) {
		d->preface_left = H2_PREFACE_LEN;
		d->expect_settings = true;
	} else {
		if (n < FRAME_HEADER_LEN)
			return false;
		f = frame_hd_parse(p);
		if (!frame_plausible(d, &f))
			return false;
	}
	d->resync = false;
	d->guessed = true;
	return true;
}

/* Collect a frame header at p; returns bytes used, sets *f once whole. */
static size_t take_frame_header(struct h2_dir *d, const uint8_t *p, size_t n, bool *whole,
				struct frame_hd *f)
{
	size_t take;

	if (d->hd_have == 0 && n >= FRAME_HEADER_LEN) {
		*f = frame_hd_parse(p);
		*whole = true;
		return FRAME_HEADER_LEN;
	}
	take = FRAME_HEADER_LEN - d->hd_have;
	if (take > n)
		take = n;
	memcpy(d->hd + d->hd_have, p, take);
	d->hd_have += (uint8_t)take;
	*whole = d->hd_have == FRAME_HEADER_LEN;
	if (*whole) {
		*f = frame_hd_parse(d->hd);
		d->hd_have = 0;
	}
	return take;
}

bool h2_feed(struct h2_conn *c, bool out, const uint8_t *data, size_t len, struct request *req)
{
	struct h2_dir *d;
	const uint8_t *p = data, *end;

	if (!c || c->dead)
		return false;
	if (!data || len == 0)
		return true;
	out = !!out;
	d = &c->dir[out];
	end = data + len;
	if (d->resync && !resync_at_feed(d, out, data, len))
		return true;

	while (p < end) {
		size_t avail = (size_t)(end - p);

		if (d->preface_left) {
			ssize_t used = consume_preface(d, p, avail);

			if (used < 0)
				return framing_error(c, out);
			p += used;
			continue;
		}
		if (!d->in_payload) {
			struct frame_hd f;
			bool whole;

			p += take_frame_header(d, p, avail, &whole, &f);
			if (!whole)
				break;
			if (!frame_acceptable(d, &f))
				return framing_error(c, out);
			avail = (size_t)(end - p);
			if (can_decode_in_place(d, &f, avail)) {
				if (!block_in_place(c, out, &f, p, req))
					return framing_error(c, out);
				p += f.length;
				continue;
			}
			frame_begin(c, out, &f);
			if (d->payload_left == 0 && !frame_end(c, out, req))
				return framing_error(c, out);
			continue;
		}

		size_t n = avail < d->payload_left ? avail : d->payload_left;

		frame_payload(c, out, p, n);
		p += n;
		d->payload_left -= (uint32_t)n;
		if (d->payload_left == 0 && !frame_end(c, out, req))
			return framing_error(c, out);
	}
	return true;
}

void h2_gap(struct h2_conn *c, bool out)
{
	struct h2_dir *d;

	if (!c || c->dead)
		return;
	d = &c->dir[!!out];
	dir_enter_resync(d);
	/* this direction's SETTINGS may be among the lost bytes */
	c->dir[!out].max_frame = FRAME_SIZE_MAX;
}

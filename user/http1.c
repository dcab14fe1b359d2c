/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x head parsers (see http1.h).
 *
 * A parse walks the head line by line and validates each line as it goes
 * (field lines in one pass, eight bytes at a time), so garbage is rejected
 * at its first bad byte instead of after max_head bytes.  The visitor runs only once the walk has proven the
 * whole head valid, so a caller that re-parses a growing buffer never sees
 * callbacks for a head that later turns out INVALID.  The walk keeps the
 * start line's parts and where the first FIELDS_KEPT fields are; the
 * visitor is handed those without a second walk, and a longer head is
 * walked again for the rest.
 *
 * Choices where RFC 9112 leaves room:
 *  - A bare LF ends a line like CRLF does (§2.2).  A CR anywhere else, or a
 *    NUL anywhere, is INVALID.
 *  - obs-fold (a field line starting with SP or HTAB) is INVALID, as §5.2
 *    allows.  Values are reported in place, so merging would hand the
 *    visitor a value with CRLF inside it; no current client sends obs-fold,
 *    and it is a request-smuggling vector.
 *  - Empty lines before the request line (§2.2 "SHOULD ignore") are
 *    INVALID: at a capture boundary they mean we lost framing.
 *  - A request whose last transfer coding is not chunked has no knowable
 *    length (§6.3: a server answers 400).  It is still COMPLETE, since its
 *    credentials did go out, and framed by Content-Length if it has one.
 */
#include "http1.h"

#include <string.h>

#include "bytescan.h"

#define METHOD_MAX         32
#define VERSION_LEN        8 /* "HTTP/1.1" */
#define STATUS_CODE_END    (VERSION_LEN + 1 + 3) /* "HTTP/1.1 200" */
#define CONTENT_LENGTH_MAX (UINT64_C(1) << 53)

/* RFC 9110 §5.6.2 tchar: the bytes of a method or a field name. */
static const bool tchar[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true,
	['\''] = true, ['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true,
	['^'] = true, ['_'] = true, ['`'] = true, ['|'] = true, ['~'] = true,
};

enum msg_kind { MSG_REQUEST, MSG_RESPONSE };

/* One line of the head without its line ending. */
struct line {
	const uint8_t *p;
	size_t n;
};

struct request_line {
	const uint8_t *method, *target;
	size_t method_len, target_len;
	bool http10;
};

struct status_line {
	const uint8_t *reason;
	size_t reason_len;
	int status;
	bool http10;
};

struct field {
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

/* Fields located by the validating walk, for the visitor (all real heads fit). */
#define FIELDS_KEPT 48

struct kept_fields {
	struct request_line request;   /* the start line, as check_start_line() parsed it */
	struct status_line status;
	struct field f[FIELDS_KEPT];
	unsigned n, cap;   /* cap 0: the visitor wants no fields, keep none */
};

/* What a walk over the head learns; turned into h1_head_info at the end. */
struct head_scan {
	size_t head_len;
	uint64_t content_length;
	unsigned header_count;
	int status;
	bool http10;
	bool has_length;
	bool has_te;
	bool te_chunked; /* the last transfer coding seen is "chunked" */
};

static inline bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t span_tchar(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && tchar[p[i]])
		i++;
	return i;
}

static void trim_ows(const uint8_t **p, size_t *n)
{
	while (*n > 0 && is_ows((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* lit must be lowercase. */
static bool equals_nocase(const uint8_t *p, size_t n, const char *lit,
			  size_t lit_len)
{
	if (n != lit_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower(p[i]) != (uint8_t)lit[i])
			return false;
	}
	return true;
}

#define EQUALS_NOCASE(p, n, lit) equals_nocase(p, n, lit, sizeof(lit) - 1)

static bool starts_with_prefix_of(const uint8_t *buf, size_t len,
				  const char *lit, size_t lit_len)
{
	return len > 0 && memcmp(buf, lit, min_size(len, lit_len)) == 0;
}

/*
 * The line parsers below return H1_COMPLETE when p[0..n) is a whole valid
 * line, H1_INCOMPLETE when it is a valid prefix of one, H1_INVALID when no
 * continuation could make it valid.
 */

/* "HTTP/1.0" or "HTTP/1.1" at the start of p; bytes after it are the caller's. */
static enum h1_result match_version(const uint8_t *p, size_t n, bool *http10)
{
	static const char name[] = "HTTP/1.";
	const size_t name_len = sizeof(name) - 1;

	if (memcmp(p, name, min_size(n, name_len)) != 0)
		return H1_INVALID;
	if (n < VERSION_LEN)
		return H1_INCOMPLETE;
	if (p[name_len] != '0' && p[name_len] != '1')
		return H1_INVALID;
	*http10 = p[name_len] == '0';
	return H1_COMPLETE;
}

/* method SP request-target SP HTTP-version */
static enum h1_result parse_request_line(const uint8_t *p, size_t n,
					 struct request_line *rl)
{
	size_t method_len = span_tchar(p, min_size(n, METHOD_MAX + 1));
	size_t target, end;
	enum h1_result r;

	if (method_len > METHOD_MAX)
		return H1_INVALID;
	if (method_len == n)
		return H1_INCOMPLETE;
	if (method_len == 0 || p[method_len] != ' ')
		return H1_INVALID;

	target = method_len + 1;
	end = target + bytescan_vchar(p + target, n - target);
	if (end == n)
		return H1_INCOMPLETE;
	if (end == target || p[end] != ' ')
		return H1_INVALID;

	r = match_version(p + end + 1, n - end - 1, &rl->http10);
	if (r != H1_COMPLETE)
		return r;
	if (n - end - 1 != VERSION_LEN)
		return H1_INVALID;

	rl->method = p;
	rl->method_len = method_len;
	rl->target = p + target;
	rl->target_len = end - target;
	return H1_COMPLETE;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] */
static enum h1_result parse_status_line(const uint8_t *p, size_t n,
					struct status_line *sl)
{
	enum h1_result r = match_version(p, n, &sl->http10);
	int status = 0;

	if (r != H1_COMPLETE)
		return r;
	if (n == VERSION_LEN)
		return H1_INCOMPLETE;
	if (p[VERSION_LEN] != ' ')
		return H1_INVALID;
	for (size_t i = VERSION_LEN + 1; i < STATUS_CODE_END; i++) {
		if (i == n)
			return H1_INCOMPLETE;
		if (!is_digit(p[i]))
			return H1_INVALID;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100)
		return H1_INVALID;

	sl->status = status;
	sl->reason = p + n;
	sl->reason_len = 0;
	if (n > STATUS_CODE_END) {
		if (p[STATUS_CODE_END] != ' ')
			return H1_INVALID;
		sl->reason = p + STATUS_CODE_END + 1;
		sl->reason_len = n - STATUS_CODE_END - 1;
	}
	return memchr(sl->reason, '\r', sl->reason_len) ? H1_INVALID
							      : H1_COMPLETE;
}

/*
 * The length of the field name at p[0..n): its run of tchar.  Names are
 * mostly letters, digits and '-' (bytescan_name); the first other byte
 * (usually the ':') is left to the table.
 */
static size_t span_field_name(const uint8_t *p, size_t n)
{
	size_t i = bytescan_name(p, n);

	if (i < n && p[i] == ':')
		return i;
	return i + span_tchar(p + i, n - i);
}

/*
 * field-name ":" OWS field-value OWS, then LF or CRLF: one field line at
 * p[0..n), found and validated in the same pass.  H1_COMPLETE sets *f and
 * *line_len (with its line ending); H1_INCOMPLETE means p[0..n) is a valid
 * beginning of a field line.  A CR must end the line and a NUL is never
 * valid (the status line's reason is the only other place one could hide).
 */
static enum h1_result scan_field_line(const uint8_t *p, size_t n, struct field *f,
				      size_t *line_len)
{
	size_t name_len = span_field_name(p, n);
	size_t v, end, vend;

	if (name_len == n)
		return H1_INCOMPLETE;
	/* Also catches obs-fold (SP/HTAB first) and whitespace before ':'. */
	if (name_len == 0 || p[name_len] != ':')
		return H1_INVALID;

	for (v = name_len + 1; v < n && is_ows(p[v]); v++)
		;
	end = v + bytescan_value(p + v, n - v);   /* values are most of a head's bytes */
	if (end == n)
		return H1_INCOMPLETE;
	if (p[end] == '\0')
		return H1_INVALID;
	if (p[end] == '\r') {
		if (end + 1 == n)
			return H1_INCOMPLETE; /* the first half of CRLF */
		if (p[end + 1] != '\n')
			return H1_INVALID;
		*line_len = end + 2;
	} else {
		*line_len = end + 1;
	}
	for (vend = end; vend > v && is_ows(p[vend - 1]); vend--)
		;

	f->name = p;
	f->name_len = name_len;
	f->value = p + v;
	f->value_len = vend - v;
	return H1_COMPLETE;
}

/* 1*DIGIT, at most 2^53 (larger is a hostile or broken peer). */
static bool parse_content_length(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > CONTENT_LENGTH_MAX)
			return false;
	}
	*out = v;
	return true;
}

/* The last non-empty element of a comma-separated list, OWS-trimmed. */
static bool last_list_element(const uint8_t *p, size_t n,
			      const uint8_t **el, size_t *el_len)
{
	size_t end = n, start;

	while (end > 0 && (p[end - 1] == ',' || is_ows(p[end - 1])))
		end--;
	if (end == 0)
		return false;
	start = end;
	while (start > 0 && p[start - 1] != ',')
		start--;
	while (is_ows(p[start]))
		start++;
	*el = p + start;
	*el_len = end - start;
	return true;
}

/* Content-Length and Transfer-Encoding bookkeeping for one field. */
static bool note_framing_field(struct head_scan *hs, const struct field *f)
{
	if (EQUALS_NOCASE(f->name, f->name_len, "content-length")) {
		uint64_t cl;

		if (!parse_content_length(f->value, f->value_len, &cl))
			return false;
		if (hs->has_length && hs->content_length != cl)
			return false;
		hs->has_length = true;
		hs->content_length = cl;
	} else if (EQUALS_NOCASE(f->name, f->name_len, "transfer-encoding")) {
		const uint8_t *coding;
		size_t coding_len;

		/* Several fields form one list: the last coding wins. */
		if (last_list_element(f->value, f->value_len, &coding,
				      &coding_len)) {
			hs->has_te = true;
			hs->te_chunked =
				EQUALS_NOCASE(coding, coding_len, "chunked");
		}
	}
	return true;
}

/* RFC 9112 §6.3, minus what needs the request method (HEAD, CONNECT). */
static enum h1_body_framing decide_framing(const struct head_scan *hs,
					   enum msg_kind kind)
{
	if (kind == MSG_RESPONSE &&
	    (hs->status < 200 || hs->status == 204 || hs->status == 304))
		return H1_BODY_NONE;
	if (hs->te_chunked)
		return H1_BODY_CHUNKED;
	/* Any other final coding: the close delimits it, not Content-Length. */
	if (kind == MSG_RESPONSE && hs->has_te)
		return H1_BODY_UNTIL_CLOSE;
	if (hs->has_length)
		return hs->content_length ? H1_BODY_LENGTH : H1_BODY_NONE;
	return kind == MSG_RESPONSE ? H1_BODY_UNTIL_CLOSE : H1_BODY_NONE;
}

/* Validate and record the (complete) start line; its parts go to rl or sl. */
static bool check_start_line(enum msg_kind kind, const struct line *ln,
			     struct head_scan *hs, struct request_line *rl, struct status_line *sl)
{
	if (kind == MSG_REQUEST) {
		if (parse_request_line(ln->p, ln->n, rl) != H1_COMPLETE)
			return false;
		hs->http10 = rl->http10;
	} else {
		if (parse_status_line(ln->p, ln->n, sl) != H1_COMPLETE)
			return false;
		hs->http10 = sl->http10;
		hs->status = sl->status;
	}
	return true;
}

/* Record one field scan_field_line() accepted; keep where it is if asked. */
static bool note_field(struct head_scan *hs, const struct field *f, struct kept_fields *kept)
{
	hs->header_count++;
	if (kept && kept->n < kept->cap)
		kept->f[kept->n++] = *f;
	return note_framing_field(hs, f);
}

/* The n > 0 bytes of a start line with no LF yet: a plausible beginning? */
static enum h1_result check_partial_start_line(enum msg_kind kind, const uint8_t *p, size_t n)
{
	struct request_line rl;
	struct status_line sl;
	enum h1_result r;

	/* A trailing CR may be the first half of CRLF. */
	if (p[n - 1] == '\r')
		n--;
	if (kind == MSG_REQUEST)
		r = parse_request_line(p, n, &rl);
	else
		r = parse_status_line(p, n, &sl);
	return r == H1_INVALID ? H1_INVALID : H1_INCOMPLETE;
}

/*
 * NUL is never valid in a head.  Field lines rule it out as they are
 * scanned; the start line (whose reason phrase may hold any other byte)
 * and an unterminated start line are checked with this.
 */
static bool has_nul(const uint8_t *buf, size_t n)
{
	return n > 0 && memchr(buf, '\0', n) != NULL;
}

/* The next LF-terminated line in buf[*pos..limit), line ending removed. */
static bool next_line(const uint8_t *buf, size_t limit, size_t *pos,
		      struct line *ln)
{
	const uint8_t *p, *lf;

	if (*pos >= limit)
		return false;
	p = buf + *pos;
	lf = memchr(p, '\n', limit - *pos);
	if (!lf)
		return false;
	ln->p = p;
	ln->n = (size_t)(lf - p);
	*pos += ln->n + 1;
	if (ln->n > 0 && p[ln->n - 1] == '\r')
		ln->n--;
	return true;
}

/*
 * Validate the head line by line.  Every complete line is checked in full;
 * an unterminated last line is checked as a prefix, so garbage is INVALID
 * as soon as it is seen.  Field lines are found and checked in one pass
 * (scan_field_line), which also rules out NUL in them.
 */
static enum h1_result scan_head(const uint8_t *buf, size_t len,
				size_t max_head, enum msg_kind kind,
				struct head_scan *hs, struct kept_fields *kept)
{
	size_t limit = min_size(len, max_head);
	size_t pos = 0;
	struct line ln;
	struct request_line rl;
	struct status_line sl;

	memset(hs, 0, sizeof(*hs));
	if (!next_line(buf, limit, &pos, &ln)) {
		if (len >= max_head || has_nul(buf, limit))
			return H1_INVALID;
		return limit == 0 ? H1_INCOMPLETE : check_partial_start_line(kind, buf, limit);
	}
	if (has_nul(ln.p, ln.n) || !check_start_line(kind, &ln, hs, kept ? &kept->request : &rl,
						     kept ? &kept->status : &sl))
		return H1_INVALID;

	for (;;) {
		const uint8_t *p = buf + pos;
		size_t n = limit - pos, line_len = 0;
		enum h1_result r = H1_INCOMPLETE;
		struct field f;

		/* the empty line that ends the head */
		if (n >= 1 && p[0] == '\n') {
			hs->head_len = pos + 1;
			return H1_COMPLETE;
		}
		if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
			hs->head_len = pos + 2;
			return H1_COMPLETE;
		}
		if (n >= 2 || (n == 1 && p[0] != '\r'))
			r = scan_field_line(p, n, &f, &line_len);
		if (r == H1_INVALID)
			return H1_INVALID;
		if (r == H1_INCOMPLETE) /* no end within max_head is INVALID */
			return len >= max_head ? H1_INVALID : H1_INCOMPLETE;
		if (!note_field(hs, &f, kept))
			return H1_INVALID;
		pos += line_len;
	}
}

static void report_start_line(enum msg_kind kind, const struct kept_fields *kept,
			      const struct h1_visitor *v, void *ctx)
{
	const struct request_line *rl = &kept->request;
	const struct status_line *sl = &kept->status;

	if (kind == MSG_REQUEST) {
		if (v->request_line)
			v->request_line(ctx, (const char *)rl->method, rl->method_len,
					(const char *)rl->target, rl->target_len);
	} else {
		if (v->status_line)
			v->status_line(ctx, sl->status, (const char *)sl->reason, sl->reason_len);
	}
}

/*
 * Walk a head scan_head() accepted and hand it to the visitor, from the
 * first kept field on (skip fields).  Field lines are known valid here, so
 * splitting them needs no checks.  Returns false when the visitor asked to
 * stop.
 */
static bool report_fields_walking(const uint8_t *buf, size_t head_len, unsigned skip,
				  const struct h1_visitor *v, void *ctx)
{
	size_t pos = 0;
	struct line ln;

	if (!next_line(buf, head_len, &pos, &ln))   /* the start line */
		return true;
	while (next_line(buf, head_len, &pos, &ln) && ln.n > 0) {
		const uint8_t *colon, *value;
		size_t value_len;

		if (skip) {
			skip--;
			continue;
		}
		colon = memchr(ln.p, ':', ln.n);
		value = colon + 1;
		value_len = ln.n - (size_t)(value - ln.p);
		trim_ows(&value, &value_len);
		if (!v->header(ctx, (const char *)ln.p, (size_t)(colon - ln.p),
			       (const char *)value, value_len))
			return false;
	}
	return true;
}

static bool report_head(const uint8_t *buf, const struct head_scan *hs,
			const struct kept_fields *kept, enum msg_kind kind,
			const struct h1_visitor *v, void *ctx)
{
	report_start_line(kind, kept, v, ctx);
	if (!v->header)
		return true;
	for (unsigned i = 0; i < kept->n; i++) {
		const struct field *f = &kept->f[i];

		if (!v->header(ctx, (const char *)f->name, f->name_len,
			       (const char *)f->value, f->value_len))
			return false;
	}
	/* more fields than were kept: walk again for the rest */
	if (hs->header_count > kept->n)
		return report_fields_walking(buf, hs->head_len, kept->n, v, ctx);
	return true;
}

static enum h1_result parse_head(const uint8_t *buf, size_t len,
				 size_t max_head, enum msg_kind kind,
				 const struct h1_visitor *v, void *ctx,
				 struct h1_head_info *info)
{
	struct head_scan hs;
	struct kept_fields kept;
	enum h1_result r;

	if (info)
		memset(info, 0, sizeof(*info));
	kept.n = 0;
	kept.cap = v && v->header ? FIELDS_KEPT : 0;
	r = scan_head(buf, len, max_head, kind, &hs, v ? &kept : NULL);
	if (r != H1_COMPLETE)
		return r;
	if (v && !report_head(buf, &hs, &kept, kind, v, ctx))
		return H1_INVALID;

	if (info) {
		enum h1_body_framing framing = decide_framing(&hs, kind);

		info->head_len = hs.head_len;
		info->framing = framing;
		info->content_length =
			framing == H1_BODY_LENGTH ? hs.content_length : 0;
		info->header_count = hs.header_count;
		info->status = hs.status;
		info->http10 = hs.http10;
	}
	return H1_COMPLETE;
}

enum h1_result h1_parse_request(const uint8_t *buf, size_t len, size_t max_head,
				const struct h1_visitor *v, void *ctx,
				struct h1_head_info *info)
{
	return parse_head(buf, len, max_head, MSG_REQUEST, v, ctx, info);
}

enum h1_result h1_parse_response(const uint8_t *buf, size_t len,
				 size_t max_head, const struct h1_visitor *v,
				 void *ctx, struct h1_head_info *info)
{
	return parse_head(buf, len, max_head, MSG_RESPONSE, v, ctx, info);
}

#define LIT(s) { s, sizeof(s) - 1 }

static const struct {
	char text[H1_METHOD_PROBE_LEN + 1];
	size_t len;
} known_methods[] = {
	LIT("GET "), LIT("POST "), LIT("PUT "), LIT("DELETE "), LIT("HEAD "),
	LIT("OPTIONS "), LIT("PATCH "), LIT("CONNECT "), LIT("TRACE "),
};

bool h1_looks_like_request(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]);
	     i++) {
		if (starts_with_prefix_of(buf, len, known_methods[i].text,
					  known_methods[i].len))
			return true;
	}
	return false;
}

bool h1_looks_like_response(const uint8_t *buf, size_t len)
{
	static const char prefix[] = "HTTP/1.";

	return starts_with_prefix_of(buf, len, prefix, sizeof(prefix) - 1);
}

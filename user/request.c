// SPDX-License-Identifier: MIT
/*
 * Building a request record from parsed header fields.  Header values pass
 * through here on their way to the credential classifier; only names and a
 * handful of known non-secret values are kept.
 */
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bytescan.h"

void request_reset(struct request *req)
{
	/* the big arrays are bounded by counters; only clear what is read */
	req->method[0] = '\0';
	req->authority[0] = '\0';
	req->path[0] = '\0';
	req->path_truncated = false;
	req->api = API_UNKNOWN;
	req->n_headers = 0;
	req->names_used = 0;
	req->headers_dropped = 0;
	req->n_creds = 0;
	req->creds_dropped = 0;
	req->has_authorization = false;
	memset(&req->comp, 0, sizeof(req->comp));
	req->incomplete = false;
	req->hpack_partial = false;
	req->n_findings = 0;
	req->findings_dropped = 0;
	req->stream = -1;
}

/* Copy at most dst_size-1 bytes and NUL-terminate; returns true if it all fit. */
static bool copy_bounded(char *dst, size_t dst_size, const char *src, size_t len)
{
	bool fits = len < dst_size;

	if (!fits)
		len = dst_size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return fits;
}

/*
 * copy_bounded(), then control bytes replaced so a hostile header can't
 * inject terminal escapes (up to a NUL, where the string now ends).
 */
static bool copy_text(char *dst, size_t dst_size, const char *src, size_t len)
{
	bool fits = copy_bounded(dst, dst_size, src, len);
	size_t n = fits ? len : dst_size - 1;

	for (size_t i = bytescan_text((const uint8_t *)dst, n); i < n && dst[i]; i++)
		if (!bytescan_is_text((uint8_t)dst[i]))
			dst[i] = '?';
	return fits;
}

/* Query parameters that carry a credential (Gemini/Vertex ?key=, Azure ?api-key=, OAuth...). */
static bool is_secret_param(const char *name, size_t len)
{
#define SECRET_PARAM(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *name;
		size_t len;
	} params[] = {
		SECRET_PARAM("key"), SECRET_PARAM("api-key"), SECRET_PARAM("api_key"),
		SECRET_PARAM("apikey"), SECRET_PARAM("access_token"), SECRET_PARAM("token"),
		SECRET_PARAM("x-goog-api-key"), SECRET_PARAM("x-amz-security-token"),
		SECRET_PARAM("x-amz-signature"), SECRET_PARAM("x-amz-credential"), SECRET_PARAM("sig"),
		SECRET_PARAM("signature"),
	};
#undef SECRET_PARAM

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (params[i].len == len && strncasecmp(params[i].name, name, len) == 0)
			return true;
	return false;
}

/*
 * The query parameter at p (NUL-terminated): *n, its length up to '&', ';'
 * or the end; *nl, its name's, up to its first '=' (all of it if none).
 */
static void query_param(const char *p, size_t *n, size_t *nl)
{
	size_t i = 0, eq = SIZE_MAX;

	for (; p[i] && p[i] != '&' && p[i] != ';'; i++)
		if (p[i] == '=' && eq == SIZE_MAX)
			eq = i;
	*n = i;
	*nl = eq < i ? eq : i;
}

/* A parameter named like a credential, with a value to hide. */
static bool is_secret_assignment(const char *p, size_t n, size_t nl)
{
	return nl + 1 < n && is_secret_param(p, nl);
}

static bool query_has_secret(const char *p)
{
	while (*p) {
		size_t n, nl;

		query_param(p, &n, &nl);
		if (is_secret_assignment(p, n, nl))
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* Replace the values of credential query parameters with "[redacted]" (bounded). */
static void scrub_query(struct request *req)
{
	char out[REQ_PATH_MAX];
	const char *p = req->path, *q = strchr(p, '?');
	size_t o;

	/* most queries have nothing to hide: leave them without copying */
	if (!q || !query_has_secret(q + 1))
		return;
	o = (size_t)(q - p) + 1;
	memcpy(out, p, o);
	for (p = q + 1; *p;) {
		size_t n, nl, plen;
		const char *piece;
		bool secret;

		query_param(p, &n, &nl);
		secret = is_secret_assignment(p, n, nl);
		piece = secret ? "[redacted]" : p + nl;
		plen = secret ? 10 : n - nl;

		if (o + nl + (secret ? 1 : 0) + plen + 1 >= sizeof(out)) {
			req->path_truncated = true;
			break;
		}
		memcpy(out + o, p, nl);
		o += nl;
		if (secret)
			out[o++] = '=';
		memcpy(out + o, piece, plen);
		o += plen;
		p += n;
		if (*p)
			out[o++] = *p++;
	}
	out[o] = '\0';
	memcpy(req->path, out, o + 1);
}

void request_set_line(struct request *req, const char *method, size_t method_len,
		      const char *target, size_t target_len)
{
	copy_text(req->method, sizeof(req->method), method, method_len);
	req->path_truncated = !copy_text(req->path, sizeof(req->path), target, target_len);
	scrub_query(req);
}

void request_set_authority(struct request *req, const char *v, size_t len)
{
	copy_text(req->authority, sizeof(req->authority), v, len);
}

/*
 * A header name as recorded: lowercase, with NUL (HPACK carries any byte)
 * and control bytes as '?', so names stay len long and printable.
 */
static char record_name_byte(unsigned char c)
{
	return (char)((c >= 'A' && c <= 'Z') ? c + 32 : (c < 0x20 || c == 0x7f) ? '?' : c);
}

static void record_name_into(char *dst, const char *src, size_t len)
{
	/* names are printable ASCII: a run of it at once */
	size_t i = bytescan_lower((uint8_t *)dst, (const uint8_t *)src, len);

	for (; i < len; i++)
		dst[i] = record_name_byte((unsigned char)src[i]);
	dst[len] = '\0';
}

static bool is_extra_cred_header(const struct request_builder *b, const char *name_lc)
{
	if (!b->extra_cred_headers)
		return false;
	for (const char *const *h = b->extra_cred_headers; *h; h++)
		if (strcmp(*h, name_lc) == 0)
			return true;
	return false;
}

static void add_credential(struct request *req, const char *name_lc, const char *value,
			   size_t value_len)
{
	if (req->n_creds >= REQ_MAX_CREDS) {
		req->creds_dropped++;
		return;
	}
	cred_classify(name_lc, value, value_len, &req->creds[req->n_creds++]);
}

/* Headers whose (non-secret) values the record or the rules need. */
enum known_header {
	KH_OTHER,
	KH_HOST,
	KH_ANTHROPIC_VERSION,
	KH_ANTHROPIC_BETA,
	KH_WORKSPACE_ID,
	KH_X_AMZ_DATE,
	KH_USER_AGENT,
};

/* name_lc[0..len) is the literal (a length the caller has matched) */
#define NAME_IS(lit) (memcmp(name_lc, lit, sizeof(lit) - 1) == 0)

static enum known_header known_header(const char *name_lc, size_t len)
{
	/* called for every header of every request: sorted out by length first */
	switch (len) {
	case 4:
		return NAME_IS("host") ? KH_HOST : KH_OTHER;
	case 10:
		return NAME_IS("x-amz-date") ? KH_X_AMZ_DATE
		       : NAME_IS("user-agent") ? KH_USER_AGENT : KH_OTHER;
	case 14:
		return NAME_IS("anthropic-beta") ? KH_ANTHROPIC_BETA : KH_OTHER;
	case 17:
		return NAME_IS("anthropic-version") ? KH_ANTHROPIC_VERSION : KH_OTHER;
	case 22:
		return NAME_IS("anthropic-workspace-id") ? KH_WORKSPACE_ID : KH_OTHER;
	default:
		return KH_OTHER;
	}
}

/* Keep the non-secret values that the record and the rules need. */
static void note_known(struct request *req, enum known_header kh, const char *v, size_t len)
{
	struct companions *c = &req->comp;

	switch (kh) {
	case KH_HOST:
		if (req->authority[0] == '\0')
			request_set_authority(req, v, len);
		break;
	case KH_ANTHROPIC_VERSION:
		copy_bounded(c->anthropic_version, sizeof(c->anthropic_version), v, len);
		break;
	case KH_ANTHROPIC_BETA: {
		/* several anthropic-beta fields combine into one comma list */
		size_t used = strlen(c->anthropic_beta);

		if (used && used + 1 < sizeof(c->anthropic_beta))
			c->anthropic_beta[used++] = ',';
		copy_bounded(c->anthropic_beta + used, sizeof(c->anthropic_beta) - used, v, len);
		break;
	}
	case KH_WORKSPACE_ID:
		c->has_workspace_id = true;
		copy_bounded(c->workspace_id, sizeof(c->workspace_id), v, len);
		break;
	case KH_X_AMZ_DATE:
		c->has_x_amz_date = true;
		copy_bounded(c->x_amz_date, sizeof(c->x_amz_date), v, len);
		break;
	case KH_USER_AGENT:
		copy_text(c->user_agent, sizeof(c->user_agent), v, len);
		break;
	case KH_OTHER:
		break;
	}
}

/* Longer names are listed cut to this; none of them is classified. */
#define REQ_NAME_KEPT 255

/* The name, recorded in the names pool; NULL when the pool or list is full. */
static const char *add_name(struct request *req, const char *name, size_t len)
{
	char *dst;

	if (req->n_headers >= REQ_MAX_HEADERS || req->names_used + len + 1 > REQ_NAMES_POOL) {
		req->headers_dropped++;
		return NULL;
	}
	dst = req->names + req->names_used;
	record_name_into(dst, name, len);
	req->name_off[req->n_headers++] = (uint16_t)req->names_used;
	req->names_used += (uint32_t)len + 1;
	return dst;
}

void request_add_header(struct request_builder *b, const char *name, size_t name_len,
			const char *value, size_t value_len)
{
	struct request *req = b->req;
	char spare[CRED_HEADER_MAX];
	const char *name_lc;

	/* not a field (RFC 9110: a name is one or more token characters) */
	if (name_len == 0)
		return;
	name_lc = add_name(req, name, name_len < REQ_NAME_KEPT ? name_len : REQ_NAME_KEPT);
	/* no credential or companion header is this long: the name is all we keep */
	if (name_len >= CRED_HEADER_MAX)
		return;
	if (!name_lc) {
		/* the list is full, but a credential still gets classified */
		record_name_into(spare, name, name_len);
		name_lc = spare;
	}

	if (cred_is_default_header_n(name_lc, name_len) || is_extra_cred_header(b, name_lc)) {
		if (name_len == 13 && memcmp(name_lc, "authorization", 13) == 0)
			req->has_authorization = true;
		add_credential(req, name_lc, value, value_len);
		return;
	}
	note_known(req, known_header(name_lc, name_len), value, value_len);
}

void request_finish(struct request *req)
{
	req->api = api_classify(req->authority, req->path);
}

const char *request_header_name(const struct request *req, unsigned i)
{
	return i < req->n_headers ? req->names + req->name_off[i] : NULL;
}

bool request_has_header(const struct request *req, const char *name_lc)
{
	for (unsigned i = 0; i < req->n_headers; i++)
		if (strcmp(request_header_name(req, i), name_lc) == 0)
			return true;
	return false;
}

void request_add_finding(struct request *req, const char *rule, enum severity sev,
			 const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (req->n_findings >= REQ_MAX_FINDINGS) {
		req->findings_dropped++;
		return;
	}
	f = &req->findings[req->n_findings++];
	f->rule = rule;
	f->severity = sev;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return "error";
	case SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

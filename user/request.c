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

/* Replace control bytes so a hostile header can't inject terminal escapes. */
static void sanitize_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Query parameters that carry a credential (Gemini/Vertex ?key=, Azure ?api-key=, OAuth...). */
static bool is_secret_param(const char *name, size_t len)
{
	static const char *const names[] = { "key", "api-key", "api_key", "apikey", "access_token",
					     "token", "x-goog-api-key", "x-amz-security-token",
					     "x-amz-signature", "x-amz-credential", "sig", "signature" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return true;
	return false;
}

/* Replace the values of credential query parameters with "[redacted]" (bounded). */
static void scrub_query(struct request *req)
{
	char out[REQ_PATH_MAX];
	const char *p = req->path, *q = strchr(p, '?');
	size_t o;

	if (!q)
		return;
	o = (size_t)(q - p) + 1;
	memcpy(out, p, o);
	for (p = q + 1; *p;) {
		size_t n = strcspn(p, "&;"), nl = strcspn(p, "="), plen;
		const char *piece;
		bool secret;

		if (nl > n)
			nl = n;   /* a parameter without '=' */
		secret = nl + 1 < n && is_secret_param(p, nl);
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
	copy_bounded(req->method, sizeof(req->method), method, method_len);
	req->path_truncated = !copy_bounded(req->path, sizeof(req->path), target, target_len);
	sanitize_printable(req->method);
	sanitize_printable(req->path);
	scrub_query(req);
}

void request_set_authority(struct request *req, const char *v, size_t len)
{
	copy_bounded(req->authority, sizeof(req->authority), v, len);
	sanitize_printable(req->authority);
}

/* A NUL inside a name (HPACK carries any byte) becomes '?': names stay len long. */
static void lowercase_into(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c == '\0' ? '?' : c;
	}
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

/* Keep the non-secret values that rules need. */
static void note_companion(struct request *req, const char *name_lc, const char *v, size_t len)
{
	struct companions *c = &req->comp;

	if (strcmp(name_lc, "anthropic-version") == 0) {
		copy_bounded(c->anthropic_version, sizeof(c->anthropic_version), v, len);
	} else if (strcmp(name_lc, "anthropic-beta") == 0) {
		/* several anthropic-beta fields combine into one comma list */
		size_t used = strlen(c->anthropic_beta);

		if (used && used + 1 < sizeof(c->anthropic_beta))
			c->anthropic_beta[used++] = ',';
		copy_bounded(c->anthropic_beta + used, sizeof(c->anthropic_beta) - used, v, len);
	} else if (strcmp(name_lc, "anthropic-workspace-id") == 0) {
		c->has_workspace_id = true;
		copy_bounded(c->workspace_id, sizeof(c->workspace_id), v, len);
	} else if (strcmp(name_lc, "x-amz-date") == 0) {
		c->has_x_amz_date = true;
		copy_bounded(c->x_amz_date, sizeof(c->x_amz_date), v, len);
	} else if (strcmp(name_lc, "user-agent") == 0) {
		copy_bounded(c->user_agent, sizeof(c->user_agent), v, len);
		sanitize_printable(c->user_agent);
	}
}

static void add_name(struct request *req, const char *name_lc, size_t len)
{
	if (req->n_headers >= REQ_MAX_HEADERS || req->names_used + len + 1 > REQ_NAMES_POOL) {
		req->headers_dropped++;
		return;
	}
	req->name_off[req->n_headers++] = (uint16_t)req->names_used;
	memcpy(req->names + req->names_used, name_lc, len + 1);
	sanitize_printable(req->names + req->names_used);
	req->names_used += (uint32_t)len + 1;
}

void request_add_header(struct request_builder *b, const char *name, size_t name_len,
			const char *value, size_t value_len)
{
	struct request *req = b->req;
	char name_lc[CRED_HEADER_MAX];

	/* not a field (RFC 9110: a name is one or more token characters) */
	if (name_len == 0)
		return;
	if (name_len >= sizeof(name_lc)) {
		/* no credential or companion header is this long: keep the name only */
		char longname[256];
		size_t n = name_len < sizeof(longname) - 1 ? name_len : sizeof(longname) - 1;

		lowercase_into(longname, name, n);
		add_name(req, longname, n);
		return;
	}
	lowercase_into(name_lc, name, name_len);
	add_name(req, name_lc, name_len);

	if (strcmp(name_lc, "host") == 0 && req->authority[0] == '\0') {
		request_set_authority(req, value, value_len);
		return;
	}
	if (strcmp(name_lc, "authorization") == 0)
		req->has_authorization = true;
	if (cred_is_default_header(name_lc) || is_extra_cred_header(b, name_lc))
		add_credential(req, name_lc, value, value_len);
	else
		note_companion(req, name_lc, value, value_len);
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

/* SPDX-License-Identifier: MIT */
/*
 * The auth rules engine: destinations and mismatch rules.
 *
 * Rule data is JSON (rules/default.json, built in; --rules FILE merges on
 * top).  It is compiled once, at load time, into the plain structs below;
 * rules_evaluate() then runs on every request without allocating and without
 * touching JSON.  The rules themselves (which conditions make which finding)
 * are code; the data says where each destination reads which credential, and
 * which hosts are gateways with expectations of their own.
 *
 * Rules file schema (every key optional; unknown keys are errors; a key
 * named "_comment" is ignored in every object):
 *
 *   {
 *     "schema": 1,
 *     "credential_headers": ["x-my-gateway-key"],
 *         Extra header names whose values are classified as credentials,
 *         on top of the built-in list (authorization, x-api-key, api-key, ...).
 *     "destinations": {
 *       "<api family>": {          anthropic | bedrock | vertex | foundry |
 *                                  claude-platform-aws | openai | azure-openai
 *         "name": "the Anthropic API",      used in messages
 *         "accept": [                        how it reads credentials, best first;
 *                                            replaces the whole list when given
 *           { "kind": "anthropic-api-key",   a credential kind (as in the NDJSON
 *                                            output), "opaque" (a key of no known
 *                                            shape, e.g. a resource key) or "any"
 *             "header": "x-api-key",
 *             "scheme": "Bearer",            Authorization scheme word, if any
 *             "beta": "oauth-2025-04-20",    anthropic-beta token it needs
 *             "min_version": "2026-10-21",   only with anthropic-version >= this
 *             "label": "resource key" }      how messages call this credential
 *         ],
 *         "sigv4_service": "bedrock"         SigV4 signing name for this family
 *       }
 *     },
 *     "hosts": {
 *       "<pattern>": {             "host", "host:port", "[v6]:port" or with one
 *                                  '*' ("*.corp.example", "a.*.api.aws");
 *                                  case-insensitive; a pattern with a port
 *                                  matches only that port (no port in the
 *                                  Host header means 443 with TLS, else 80);
 *                                  the most specific match wins
 *         "class": "proxy",          provider | proxy (= gateway) | loopback |
 *                                    private | other; adjusts the severity of
 *                                    placeholder-credential and cleartext-credential
 *         "api": "anthropic",        family assumed when path and host do not
 *                                    identify one
 *         "expect": { "header": "authorization", "scheme": "Bearer" },
 *                                    where this gateway reads its credential;
 *                                    replaces the family's placement rules
 *         "wrong_headers": ["x-api-key"],  a credential here is an error
 *         "region": "us-east-1",     expected SigV4 scope region
 *         "sigv4_service": "bedrock",      expected SigV4 scope service
 *         "rules": { "<rule id>": "off" }  per-host severity overrides
 *       }
 *     },
 *     "rules": { "<rule id>": "error" | "warning" | "info" | "off" },
 *     "settings": { "clock_skew_seconds": 300 }
 *   }
 *
 * A user file merges into the built-in data: credential_headers are added;
 * a destination's given keys replace the built-in ones; a host pattern that
 * already exists is replaced whole, a new one added; rule levels and
 * settings replace.  A file that fails to load changes nothing.
 *
 * Placeholder detection stays in creds.c: the engine never sees credential
 * values, so the file cannot carry value patterns.
 */
#include "rules.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "creds.h"

/* ------------------------------------------------------------------------ */
/* Rule table                                                                */
/* ------------------------------------------------------------------------ */

enum rule {
	R_NO_CREDENTIALS,
	R_OAUTH_IN_X_API_KEY,
	R_API_KEY_AS_BEARER,
	R_BEDROCK_NO_AUTHORIZATION,
	R_NON_BEDROCK_BEARER,
	R_BEDROCK_KEY_WRONG_HEADER,
	R_BEDROCK_KEY_MALFORMED,
	R_SIGV4_SCOPE_MISMATCH,
	R_STS_TOKEN_MISSING,
	R_MISSING_WORKSPACE_ID,
	R_REFRESH_TOKEN_IN_HEADER,
	R_OPENAI_KEY_TO_AZURE,
	R_FOREIGN_KEY_TO_ANTHROPIC,
	R_GATEWAY_EXPECTS_OTHER_HEADER,
	R_OAUTH_BEARER_MISSING_BETA,
	R_BOTH_AUTH_HEADERS,
	R_MISSING_ANTHROPIC_VERSION,
	R_AZURE_KEY_AS_BEARER,
	R_SIGV4_CLOCK_SKEW,
	R_EXPIRED_JWT,
	R_CLEARTEXT_CREDENTIAL,
	R_PLACEHOLDER_CREDENTIAL,
	R_COUNT
};

struct rule_def {
	const char *id;
	enum severity severity; /* the default; two rules lower it by host class */
	/*
	 * Decided by where the destination family reads credentials: a host
	 * that declares its own "expect" turns these off (its
	 * gateway-expects-other-header check replaces them).
	 */
	bool placement;
};

static const struct rule_def rule_defs[R_COUNT] = {
	[R_NO_CREDENTIALS] = { "no-credentials", SEV_ERROR, false },
	[R_OAUTH_IN_X_API_KEY] = { "oauth-token-in-x-api-key", SEV_ERROR, true },
	[R_API_KEY_AS_BEARER] = { "api-key-as-bearer", SEV_ERROR, true },
	[R_BEDROCK_NO_AUTHORIZATION] = { "bedrock-no-authorization", SEV_ERROR, true },
	[R_NON_BEDROCK_BEARER] = { "non-bedrock-bearer-to-bedrock", SEV_ERROR, true },
	[R_BEDROCK_KEY_WRONG_HEADER] = { "bedrock-key-in-wrong-header", SEV_ERROR, true },
	[R_BEDROCK_KEY_MALFORMED] = { "bedrock-key-malformed", SEV_ERROR, false },
	[R_SIGV4_SCOPE_MISMATCH] = { "sigv4-scope-mismatch", SEV_ERROR, false },
	[R_STS_TOKEN_MISSING] = { "sts-token-missing", SEV_ERROR, false },
	[R_MISSING_WORKSPACE_ID] = { "missing-workspace-id", SEV_ERROR, false },
	[R_REFRESH_TOKEN_IN_HEADER] = { "refresh-token-in-header", SEV_ERROR, false },
	[R_OPENAI_KEY_TO_AZURE] = { "openai-key-to-azure", SEV_ERROR, true },
	[R_FOREIGN_KEY_TO_ANTHROPIC] = { "foreign-key-to-anthropic", SEV_ERROR, true },
	[R_GATEWAY_EXPECTS_OTHER_HEADER] = { "gateway-expects-other-header", SEV_ERROR, false },
	[R_OAUTH_BEARER_MISSING_BETA] = { "oauth-bearer-missing-beta", SEV_WARNING, true },
	[R_BOTH_AUTH_HEADERS] = { "both-auth-headers", SEV_WARNING, true },
	[R_MISSING_ANTHROPIC_VERSION] = { "missing-anthropic-version", SEV_WARNING, false },
	[R_AZURE_KEY_AS_BEARER] = { "azure-key-as-bearer", SEV_WARNING, true },
	[R_SIGV4_CLOCK_SKEW] = { "sigv4-clock-skew", SEV_WARNING, false },
	[R_EXPIRED_JWT] = { "expired-jwt", SEV_WARNING, false },
	[R_CLEARTEXT_CREDENTIAL] = { "cleartext-credential", SEV_WARNING, false },
	[R_PLACEHOLDER_CREDENTIAL] = { "placeholder-credential", SEV_ERROR, false },
};

/* A configured level; LEVEL_DEFAULT leaves the rule's own severity. */
enum level { LEVEL_DEFAULT = 0, LEVEL_OFF, LEVEL_INFO, LEVEL_WARNING, LEVEL_ERROR };

/* ------------------------------------------------------------------------ */
/* Compiled rule data                                                        */
/* ------------------------------------------------------------------------ */

#define RULES_FILE_MAX    (1u << 20) /* bytes */
#define RULES_DEPTH_MAX   16         /* JSON nesting */
#define MAX_EXTRA_HEADERS 32
#define MAX_HOSTS         128
#define MAX_ACCEPT        12
#define MAX_WRONG_HEADERS 8
#define NAME_MAX_LEN      48         /* display names, labels, beta tokens, services */
#define DATE_LEN          10         /* yyyy-mm-dd */

#define FORM_KIND_ANY     CRED_KIND_COUNT /* "any": matches every kind */
#define FORM_KIND_OPAQUE  CRED_UNKNOWN    /* "opaque": a key of no recognised shape */

/* Message texts made once per load (make_texts()); sizes hold the longest. */
#define PLACEMENT_TEXT_MAX (CRED_HEADER_MAX + CRED_SCHEME_MAX + 8)
#define FORM_TEXT_MAX      (PLACEMENT_TEXT_MAX + sizeof(" with anthropic-beta ") + NAME_MAX_LEN)
#define ACCEPTED_TEXT_MAX  224 /* clipped there, as it always was */

/* One way a destination reads a credential. */
struct form {
	int kind;
	char header[CRED_HEADER_MAX];
	char scheme[CRED_SCHEME_MAX];
	char beta[NAME_MAX_LEN];
	char min_version[DATE_LEN + 1];
	char label[NAME_MAX_LEN];
	char text[FORM_TEXT_MAX];          /* placement and beta, for messages */
};

struct destination {
	char name[NAME_MAX_LEN];
	struct form accept[MAX_ACCEPT];
	unsigned n_accept;
	char sigv4_service[NAME_MAX_LEN];
	char accepted_text[ACCEPTED_TEXT_MAX]; /* the unconditional forms, for messages */
};

struct host_rule {
	char pattern[REQ_AUTHORITY_MAX];   /* as written, lowercase */
	char host[REQ_AUTHORITY_MAX];      /* host part, may hold one '*' */
	char port[8];                      /* "" = any port */
	int star;                          /* index of '*' in host, -1 for none */
	bool has_class;
	enum host_class class;
	enum api_family api;               /* API_UNKNOWN: not set */
	bool has_expect;
	struct form expect;                /* kind FORM_KIND_ANY */
	char wrong[MAX_WRONG_HEADERS][CRED_HEADER_MAX];
	unsigned n_wrong;
	char region[32];
	char sigv4_service[NAME_MAX_LEN];
	uint8_t level[R_COUNT];            /* enum level */
};

struct rules {
	char extra[MAX_EXTRA_HEADERS][CRED_HEADER_MAX];
	unsigned n_extra;
	const char *extra_ptrs[MAX_EXTRA_HEADERS + 1]; /* into extra[], NULL-terminated */
	struct destination dest[API_FAMILY_COUNT];
	struct destination unknown_dest;   /* for a family without data: "this API" */
	struct host_rule hosts[MAX_HOSTS];
	unsigned n_hosts;
	uint8_t level[R_COUNT];
	int64_t clock_skew;
	uint64_t generation;               /* new for every successful load, never 0 */
};

#define DEFAULT_CLOCK_SKEW 300

/* ------------------------------------------------------------------------ */
/* Small string helpers                                                      */
/* ------------------------------------------------------------------------ */

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Bounded copy that always terminates. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "yyyy-mm-dd" with plausible month and day; dates then compare as strings. */
static bool is_iso_date(const char *s)
{
	if (strnlen(s, DATE_LEN + 1) != DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < DATE_LEN; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return false;
	return memcmp(s + 5, "01", 2) >= 0 && memcmp(s + 5, "12", 2) <= 0 &&
	       memcmp(s + 8, "01", 2) >= 0 && memcmp(s + 8, "31", 2) <= 0;
}

/* True when the comma-separated list holds token (surrounding spaces ignored). */
static bool list_has_token(const char *list, const char *token)
{
	size_t tn = strlen(token);

	while (*list) {
		const char *end = strchr(list, ',');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		const char *p = list;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tn && memcmp(p, token, n) == 0)
			return true;
		if (!end)
			break;
		list = end + 1;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Authorities and host patterns                                             */
/* ------------------------------------------------------------------------ */

struct hostport {
	char host[REQ_AUTHORITY_MAX]; /* lowercase, no brackets, no trailing dot */
	size_t len;
	char port[8];                 /* "" when none */
};

/* "host", "host:port", "[v6]:port", bare v6.  False when unusable. */
static bool split_authority(const char *a, struct hostport *hp)
{
	const char *host = a, *port = NULL, *colon;
	size_t n = strlen(a), hn;

	hp->len = 0;
	hp->host[0] = hp->port[0] = '\0';
	if (n && a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (!close)
			return false;
		host = a + 1;
		hn = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return false;
	} else if ((colon = strchr(a, ':')) && !strchr(colon + 1, ':')) {
		hn = (size_t)(colon - a);
		port = colon + 1;
	} else {
		hn = n; /* no port, or a bare IPv6 literal */
	}
	if (hn && host[hn - 1] == '.')
		hn--;
	if (hn == 0 || hn >= sizeof(hp->host))
		return false;
	if (port) {
		size_t pn = strlen(port);

		if (pn == 0 || pn > 5)
			return false;
		for (size_t i = 0; i < pn; i++)
			if (!is_digit(port[i]))
				return false;
		memcpy(hp->port, port, pn + 1);
	}
	for (size_t i = 0; i < hn; i++)
		hp->host[i] = ascii_lower(host[i]);
	hp->host[hn] = '\0';
	hp->len = hn;
	return true;
}

/*
 * How well a host rule matches; 0 for no match.  Exact host beats a
 * wildcard, a port beats no port, a longer literal part beats a shorter.
 */
static unsigned host_rule_score(const struct host_rule *h, const struct hostport *hp)
{
	unsigned score;

	if (h->port[0] && strcmp(h->port, hp->port) != 0)
		return 0;
	if (h->star < 0) {
		if (strcmp(h->host, hp->host) != 0)
			return 0;
		score = 4000;
	} else {
		size_t pre = (size_t)h->star, suf = strlen(h->host) - pre - 1;

		if (hp->len <= pre + suf || memcmp(hp->host, h->host, pre) != 0 ||
		    !ends_with(hp->host, hp->len, h->host + pre + 1))
			return 0;
		score = 1000 + (unsigned)(pre + suf);
	}
	return score + (h->port[0] ? 2000 : 0);
}

static const struct host_rule *host_rule_find(const struct rules *r, const char *authority,
					      bool tls)
{
	const struct host_rule *best = NULL;
	unsigned best_score = 0;
	struct hostport hp;

	if (r->n_hosts == 0 || !split_authority(authority, &hp))
		return NULL;
	if (!hp.port[0])
		strcpy(hp.port, tls ? "443" : "80");
	for (unsigned i = 0; i < r->n_hosts; i++) {
		unsigned s = host_rule_score(&r->hosts[i], &hp);

		if (s > best_score)
			best_score = s, best = &r->hosts[i];
	}
	return best;
}

/*
 * The host rule that matches an authority and the authority's host class
 * are the same for every request to a destination, and finding them
 * (split and lowercase the authority, score every host pattern, classify
 * the host) cost more than all the checks.  The last few answers are kept,
 * per thread, so rules_evaluate() stays safe to call from several.  The
 * key is exact: the authority's bytes, the TLS flag (it picks the default
 * port) and the generation of the rules, which every successful load
 * renews, so no answer outlives the rules it came from.
 */
#define DEST_MEMO_SLOTS 4

struct dest_memo {
	uint64_t generation;               /* 0: empty slot */
	bool tls;
	size_t len;
	char authority[REQ_AUTHORITY_MAX];
	const struct host_rule *host;
	enum host_class hclass;
};

static __thread struct dest_memo dest_memo[DEST_MEMO_SLOTS];
static __thread unsigned dest_memo_next; /* the slot to replace next */
static uint64_t last_generation;         /* atomic: loads may run in any thread */

static void find_destination(const struct rules *r, const char *authority, bool tls,
			     const struct host_rule **host, enum host_class *hclass)
{
	*host = host_rule_find(r, authority, tls);
	*hclass = *host && (*host)->has_class ? (*host)->class : host_classify(authority);
}

static void lookup_destination(const struct rules *r, const char *authority, bool tls,
			       const struct host_rule **host, enum host_class *hclass)
{
	size_t len = strnlen(authority, REQ_AUTHORITY_MAX);
	struct dest_memo *m;

	for (unsigned i = 0; i < DEST_MEMO_SLOTS; i++) {
		m = &dest_memo[i];
		if (r->generation && m->generation == r->generation && m->tls == tls &&
		    m->len == len && memcmp(m->authority, authority, len) == 0) {
			*host = m->host;
			*hclass = m->hclass;
			return;
		}
	}
	find_destination(r, authority, tls, host, hclass);
	if (len >= sizeof(m->authority))
		return; /* too long to keep (request records never hold one) */
	m = &dest_memo[dest_memo_next++ % DEST_MEMO_SLOTS];
	m->generation = r->generation;
	m->tls = tls;
	m->len = len;
	memcpy(m->authority, authority, len + 1);
	m->host = *host;
	m->hclass = *hclass;
}

/* ------------------------------------------------------------------------ */
/* Credential wording                                                        */
/* ------------------------------------------------------------------------ */

/* Kind with an article, for sentences ("an OpenAI API key was sent ..."). */
static const char *const kind_phrase[CRED_KIND_COUNT] = {
	[CRED_UNKNOWN] = "a credential of unrecognised shape",
	[CRED_ANTHROPIC_API_KEY] = "an Anthropic API key",
	[CRED_ANTHROPIC_OAUTH_TOKEN] = "an Anthropic OAuth access token",
	[CRED_ANTHROPIC_ADMIN_KEY] = "an Anthropic Admin API key",
	[CRED_ANTHROPIC_REFRESH_TOKEN] = "an Anthropic OAuth refresh token",
	[CRED_AWS_SIGV4] = "an AWS SigV4 signature",
	[CRED_BEDROCK_API_KEY] = "a Bedrock API key",
	[CRED_GOOGLE_ACCESS_TOKEN] = "a Google OAuth access token",
	[CRED_JWT] = "a JWT",
	[CRED_OPENAI_API_KEY] = "an OpenAI API key",
	[CRED_BASIC] = "Basic credentials",
	[CRED_PLACEHOLDER] = "a placeholder",
	[CRED_EMPTY] = "an empty value",
};

/* Short kind names for lists of accepted forms. */
static const char *const kind_short[CRED_KIND_COUNT + 1] = {
	[CRED_UNKNOWN] = "key",
	[CRED_ANTHROPIC_API_KEY] = "API key",
	[CRED_ANTHROPIC_OAUTH_TOKEN] = "OAuth token",
	[CRED_ANTHROPIC_ADMIN_KEY] = "Admin API key",
	[CRED_ANTHROPIC_REFRESH_TOKEN] = "refresh token",
	[CRED_AWS_SIGV4] = "SigV4 signature",
	[CRED_BEDROCK_API_KEY] = "Bedrock API key",
	[CRED_GOOGLE_ACCESS_TOKEN] = "Google access token",
	[CRED_JWT] = "JWT",
	[CRED_OPENAI_API_KEY] = "OpenAI API key",
	[CRED_BASIC] = "Basic credentials",
	[CRED_PLACEHOLDER] = "placeholder",
	[CRED_EMPTY] = "empty value",
	[FORM_KIND_ANY] = "credential",
};

static const char *phrase_of(enum cred_kind k)
{
	return (unsigned)k < CRED_KIND_COUNT ? kind_phrase[k] : kind_phrase[CRED_UNKNOWN];
}

static const char *form_label(const struct form *f)
{
	if (f->label[0])
		return f->label;
	return (unsigned)f->kind <= FORM_KIND_ANY ? kind_short[f->kind] : "credential";
}

/* Append to a bounded buffer. */
struct sbuf {
	char *p;
	size_t cap, len;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* sb_add(b, "%s", s), clipped the same way, without a format to interpret. */
static void sb_put(struct sbuf *b, const char *s)
{
	size_t n;

	if (b->len + 1 >= b->cap)
		return;
	n = strnlen(s, b->cap - b->len - 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static const char *header_label(const char *h)
{
	return strcmp(h, "authorization") == 0 ? "Authorization" : h;
}

/*
 * x-api-key  or  "Authorization: Bearer".  Most findings quote where the
 * credential was sent, so this is appended piece by piece, not formatted.
 */
static void placement_text(char *buf, size_t cap, const char *header, const char *scheme)
{
	struct sbuf b = { buf, cap, 0 };

	buf[0] = '\0';
	if (scheme[0]) {
		sb_put(&b, "\"");
		sb_put(&b, header_label(header));
		sb_put(&b, ": ");
		sb_put(&b, scheme);
		sb_put(&b, "\"");
	} else {
		sb_put(&b, header_label(header));
	}
}

/* The placement plus what must come with it; made at load time into f->text. */
static void make_form_text(struct form *f)
{
	char where[PLACEMENT_TEXT_MAX];

	placement_text(where, sizeof(where), f->header, f->scheme);
	if (f->beta[0])
		snprintf(f->text, sizeof(f->text), "%s with anthropic-beta %s", where, f->beta);
	else
		snprintf(f->text, sizeof(f->text), "%s", where);
}

/* f->text clipped to cap, as formatting it into a buffer of that size would. */
static void form_text(char *buf, size_t cap, const struct form *f)
{
	size_t n = strlen(f->text);

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, f->text, n);
	buf[n] = '\0';
}

static void cred_placement_text(char *buf, size_t cap, const struct credential *c)
{
	placement_text(buf, cap, c->header, c->scheme);
}

/*
 * "x-api-key (API key) or "Authorization: Bearer" (OAuth token, with
 * anthropic-beta oauth-2025-04-20)": the unconditional forms, one per
 * header and scheme, at most three.  Made at load time into d->accepted_text.
 */
static void make_accepted_text(struct destination *d)
{
	const struct form *shown[3];
	unsigned n = 0;
	struct sbuf b = { d->accepted_text, sizeof(d->accepted_text), 0 };

	d->accepted_text[0] = '\0';
	for (unsigned i = 0; i < d->n_accept && n < 3; i++) {
		const struct form *f = &d->accept[i];
		bool dup = false;

		if (f->min_version[0])
			continue;
		for (unsigned j = 0; j < n; j++)
			dup |= strcmp(shown[j]->header, f->header) == 0 &&
			       strcasecmp(shown[j]->scheme, f->scheme) == 0;
		if (!dup)
			shown[n++] = f;
	}
	for (unsigned i = 0; i < n; i++) {
		char where[PLACEMENT_TEXT_MAX];

		placement_text(where, sizeof(where), shown[i]->header, shown[i]->scheme);
		sb_add(&b, "%s%s (%s%s%s)", i == 0 ? "" : i + 1 == n ? " or " : ", ", where,
		       form_label(shown[i]), shown[i]->beta[0] ? ", with anthropic-beta " : "",
		       shown[i]->beta);
	}
	if (n == 0)
		sb_add(&b, "a credential header");
}

/* ------------------------------------------------------------------------ */
/* Time                                                                      */
/* ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned digits_value(const char *s, unsigned n)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

/* yyyymmdd (n = 8) or yyyymmddThhmmssZ (n = 16) to Unix time. */
static bool parse_amz_time(const char *s, unsigned n, int64_t *out)
{
	unsigned mo, d, h = 0, mi = 0, se = 0;

	if (strlen(s) != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		bool want_digit = !(n == 16 && (i == 8 || i == 15));

		if (want_digit != is_digit(s[i]))
			return false;
	}
	if (n == 16 && (s[8] != 'T' || s[15] != 'Z'))
		return false;
	mo = digits_value(s + 4, 2);
	d = digits_value(s + 6, 2);
	if (n == 16)
		h = digits_value(s + 9, 2), mi = digits_value(s + 11, 2), se = digits_value(s + 13, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	*out = days_from_civil(digits_value(s, 4), mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

/* "3h12m", "45s", "2d4h" */
static void duration_text(char *buf, size_t cap, int64_t s)
{
	if (s < 0)
		s = -s;
	if (s < 120)
		snprintf(buf, cap, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, cap, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, cap, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static void utc_text(char *buf, size_t cap, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
	unsigned sec = (unsigned)(t - days * 86400) % 86400, m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m % 100, d % 100,
		 sec / 3600, sec % 3600 / 60, sec % 60);
}

/* ------------------------------------------------------------------------ */
/* Evaluation                                                                */
/* ------------------------------------------------------------------------ */

struct eval {
	const struct rules *r;
	struct request *req;
	const struct host_rule *host;     /* matching host entry or NULL */
	const struct destination *dest;   /* data for ev->api */
	enum api_family api;
	enum host_class hclass;
	const char *authority;            /* for host matching and messages */
	int64_t now;
};

static enum level rule_level(const struct eval *ev, enum rule rule)
{
	if (ev->host && ev->host->level[rule] != LEVEL_DEFAULT)
		return (enum level)ev->host->level[rule];
	if (rule_defs[rule].placement && ev->host && ev->host->has_expect)
		return LEVEL_OFF;
	return (enum level)ev->r->level[rule];
}

static bool rule_on(const struct eval *ev, enum rule rule)
{
	return rule_level(ev, rule) != LEVEL_OFF;
}

/* The severity a finding of this rule gets here; false when the rule is off. */
static bool finding_severity(const struct eval *ev, enum rule rule, enum severity *sev)
{
	switch (rule_level(ev, rule)) {
	case LEVEL_OFF: return false;
	case LEVEL_INFO: *sev = SEV_INFO; break;
	case LEVEL_WARNING: *sev = SEV_WARNING; break;
	case LEVEL_ERROR: *sev = SEV_ERROR; break;
	case LEVEL_DEFAULT: break;
	}
	return true;
}

/*
 * Add a finding unless its rule is off.  A macro so that the message is
 * formatted once, by request_add_finding(), straight into the record.
 */
#define emit(ev, rule, sev, ...)                                                      \
	do {                                                                          \
		enum severity emit_sev_ = (sev);                                      \
                                                                                      \
		if (finding_severity((ev), (rule), &emit_sev_))                       \
			request_add_finding((ev)->req, rule_defs[(rule)].id, emit_sev_, \
					    __VA_ARGS__);                             \
	} while (0)

static bool is_authorization(const struct credential *c)
{
	return strcmp(c->header, "authorization") == 0;
}

static bool is_bearer(const struct credential *c)
{
	return is_authorization(c) && strcasecmp(c->scheme, "Bearer") == 0;
}

/* A credential that is meant to work: not a placeholder, not empty. */
static bool is_real(const struct credential *c)
{
	return c->kind != CRED_PLACEHOLDER && c->kind != CRED_EMPTY;
}

static const struct credential *cred_in(const struct request *req, const char *header)
{
	for (unsigned i = 0; i < req->n_creds; i++)
		if (strcmp(req->creds[i].header, header) == 0)
			return &req->creds[i];
	return NULL;
}

/* A non-empty credential in this header (ANTHROPIC_API_KEY="" sends an empty x-api-key). */
static const struct credential *value_in(const struct request *req, const char *header)
{
	for (unsigned i = 0; i < req->n_creds; i++)
		if (req->creds[i].kind != CRED_EMPTY && strcmp(req->creds[i].header, header) == 0)
			return &req->creds[i];
	return NULL;
}

/* Credentials meant for the destination: Proxy-Authorization stops at a forward proxy. */
static bool has_destination_credential(const struct request *req)
{
	for (unsigned i = 0; i < req->n_creds; i++)
		if (strcmp(req->creds[i].header, "proxy-authorization") != 0)
			return true;
	return req->creds_dropped != 0;
}

/* Missing-header rules need the whole head, every field decoded. */
static bool head_complete(const struct eval *ev)
{
	return !ev->req->incomplete && !ev->req->hpack_partial;
}

static bool is_anthropic_shaped(enum api_family api)
{
	return api == API_ANTHROPIC || api == API_FOUNDRY || api == API_CLAUDE_PLATFORM_AWS;
}

static bool form_kind_matches(const struct form *f, enum cred_kind kind)
{
	return f->kind == FORM_KIND_ANY || f->kind == (int)kind;
}

/* Does c, taken as a credential of this kind, sit where form f wants it? */
static bool form_placement_matches(const struct form *f, const struct credential *c,
				   const struct request *req)
{
	return strcmp(f->header, c->header) == 0 && strcasecmp(f->scheme, c->scheme) == 0 &&
	       (!f->min_version[0] ||
		(is_iso_date(req->comp.anthropic_version) &&
		 strcmp(req->comp.anthropic_version, f->min_version) >= 0));
}

static const struct form *accepted_as(const struct eval *ev, const struct credential *c,
				      enum cred_kind kind)
{
	for (unsigned i = 0; i < ev->dest->n_accept; i++) {
		const struct form *f = &ev->dest->accept[i];

		if (form_kind_matches(f, kind) && form_placement_matches(f, c, ev->req))
			return f;
	}
	return NULL;
}

/* The destination's preferred form for a kind: the first unconditional one. */
static const struct form *preferred_form(const struct destination *d, enum cred_kind kind)
{
	const struct form *conditional = NULL;

	for (unsigned i = 0; i < d->n_accept; i++) {
		const struct form *f = &d->accept[i];

		if (!form_kind_matches(f, kind))
			continue;
		if (!f->min_version[0])
			return f;
		if (!conditional)
			conditional = f;
	}
	return conditional;
}

/* The version-gated form for a kind at this header, if any (Bearer API keys). */
static const struct form *versioned_form(const struct destination *d, enum cred_kind kind,
					 const struct credential *c)
{
	for (unsigned i = 0; i < d->n_accept; i++) {
		const struct form *f = &d->accept[i];

		if (f->min_version[0] && form_kind_matches(f, kind) &&
		    strcmp(f->header, c->header) == 0 && strcasecmp(f->scheme, c->scheme) == 0)
			return f;
	}
	return NULL;
}

static void version_text(char *buf, size_t cap, const char *version)
{
	if (!version[0])
		snprintf(buf, cap, "none");
	else if (is_iso_date(version))
		snprintf(buf, cap, "%.10s", version);
	else
		snprintf(buf, cap, "not a date");
}

/* --- presence ------------------------------------------------------------ */

static void check_no_credentials(const struct eval *ev)
{
	const struct request *req = ev->req;
	char forms[224];

	if (ev->api == API_UNKNOWN || has_destination_credential(req) || req->has_authorization ||
	    !head_complete(ev))
		return;
	/* bedrock-no-authorization says the same for Bedrock, more precisely */
	if (ev->api == API_BEDROCK && rule_on(ev, R_BEDROCK_NO_AUTHORIZATION))
		return;
	if (ev->host && ev->host->has_expect) {
		form_text(forms, sizeof(forms), &ev->host->expect);
		emit(ev, R_NO_CREDENTIALS, SEV_ERROR,
		     "no credential header; %.80s reads its credential from %s", ev->authority,
		     forms);
		return;
	}
	emit(ev, R_NO_CREDENTIALS, SEV_ERROR, "no credential header; %s expects %s",
	     ev->dest->name, ev->dest->accepted_text);
}

/* --- Anthropic-shaped placement ------------------------------------------ */

static void check_oauth_in_x_api_key(const struct eval *ev, const struct credential *c)
{
	const struct form *right;
	char want[160];

	if (c->kind != CRED_ANTHROPIC_OAUTH_TOKEN ||
	    (strcmp(c->header, "x-api-key") != 0 && strcmp(c->header, "api-key") != 0) ||
	    !(right = preferred_form(ev->dest, c->kind)) || accepted_as(ev, c, c->kind))
		return;
	form_text(want, sizeof(want), right);
	emit(ev, R_OAUTH_IN_X_API_KEY, SEV_ERROR, "an OAuth access token must go in %s, not in %s",
	     want, c->header);
}

static void check_api_key_as_bearer(const struct eval *ev, const struct credential *c)
{
	const struct form *right, *gated;
	char want[160], have[96], version[16];

	if (c->kind != CRED_ANTHROPIC_API_KEY || !is_authorization(c) ||
	    value_in(ev->req, "x-api-key") || /* both-auth-headers covers it */
	    !(right = preferred_form(ev->dest, c->kind)) || accepted_as(ev, c, c->kind))
		return;
	form_text(want, sizeof(want), right);
	cred_placement_text(have, sizeof(have), c);
	gated = versioned_form(ev->dest, c->kind, c);
	if (gated) {
		version_text(version, sizeof(version), ev->req->comp.anthropic_version);
		emit(ev, R_API_KEY_AS_BEARER, SEV_ERROR,
		     "an API key in %s is accepted only with anthropic-version %s or later "
		     "(this request: %s); send it in %s, or send anthropic-version %s",
		     have, gated->min_version, version, want, gated->min_version);
	} else {
		emit(ev, R_API_KEY_AS_BEARER, SEV_ERROR, "an API key must go in %s, not in %s", want,
		     have);
	}
}

/* Kinds that belong to some other provider or flow when a destination lacks them. */
static bool is_foreign_capable(enum cred_kind k)
{
	switch (k) {
	case CRED_ANTHROPIC_API_KEY:
	case CRED_ANTHROPIC_OAUTH_TOKEN:
	case CRED_ANTHROPIC_ADMIN_KEY:
	case CRED_AWS_SIGV4:
	case CRED_BEDROCK_API_KEY:
	case CRED_GOOGLE_ACCESS_TOKEN:
	case CRED_JWT:
	case CRED_OPENAI_API_KEY:
		return true;
	default:
		return false;
	}
}

static bool destination_knows_kind(const struct destination *d, enum cred_kind kind)
{
	for (unsigned i = 0; i < d->n_accept; i++)
		if (form_kind_matches(&d->accept[i], kind))
			return true;
	return false;
}

static void check_foreign_key(const struct eval *ev, const struct credential *c)
{
	enum cred_kind kind = c->looks_like_bedrock_key ? CRED_BEDROCK_API_KEY : c->kind;
	char have[96];

	if (!is_anthropic_shaped(ev->api) || !is_foreign_capable(kind) ||
	    destination_knows_kind(ev->dest, kind))
		return;
	/* gateways commonly authenticate with JWTs of their own: only flag at the provider */
	if (kind == CRED_JWT && ev->hclass != HOST_PROVIDER)
		return;
	cred_placement_text(have, sizeof(have), c);
	emit(ev, R_FOREIGN_KEY_TO_ANTHROPIC, SEV_ERROR, "%s was sent to %s in %s; it expects %s",
	     phrase_of(kind), ev->dest->name, have, ev->dest->accepted_text);
}

/* --- Bedrock ------------------------------------------------------------- */

static void check_bedrock_authorization(const struct eval *ev)
{
	const struct credential *authz = cred_in(ev->req, "authorization");

	if (ev->api != API_BEDROCK || (authz && authz->kind != CRED_EMPTY) || !head_complete(ev))
		return;
	emit(ev, R_BEDROCK_NO_AUTHORIZATION, SEV_ERROR,
	     "%s Authorization header; %s expects %s, and answers 403 \"Authorization header is "
	     "missing\" without one",
	     authz ? "an empty" : "no", ev->dest->name, ev->dest->accepted_text);
}

static void check_bedrock_placement(const struct eval *ev, const struct credential *c)
{
	char want[160], have[96];
	const struct form *right;

	if (ev->api != API_BEDROCK || !(right = preferred_form(ev->dest, CRED_BEDROCK_API_KEY)))
		return;
	if (c->looks_like_bedrock_key) {
		if (accepted_as(ev, c, CRED_BEDROCK_API_KEY))
			return;
		form_text(want, sizeof(want), right);
		cred_placement_text(have, sizeof(have), c);
		emit(ev, R_BEDROCK_KEY_WRONG_HEADER, SEV_ERROR,
		     "a Bedrock API key must go in %s, not in %s", want, have);
	} else if (is_bearer(c) && is_real(c) && !accepted_as(ev, c, c->kind)) {
		form_text(want, sizeof(want), right);
		emit(ev, R_NON_BEDROCK_BEARER, SEV_ERROR,
		     "%s reads %s only as a %s, but this is %s; use a Bedrock API key "
		     "(AWS_BEARER_TOKEN_BEDROCK) or SigV4 signing",
		     ev->dest->name, want, form_label(right), phrase_of(c->kind));
	}
}

/* --- Azure --------------------------------------------------------------- */

static void check_azure(const struct eval *ev, const struct credential *c)
{
	char have[96];

	if (ev->api == API_AZURE_OPENAI &&
	    (c->kind == CRED_OPENAI_API_KEY || c->looks_like_openai_key) &&
	    !accepted_as(ev, c, CRED_OPENAI_API_KEY)) {
		cred_placement_text(have, sizeof(have), c);
		emit(ev, R_OPENAI_KEY_TO_AZURE, SEV_ERROR,
		     "an OpenAI API key was sent to %s in %s, where it is not valid; it expects %s",
		     ev->dest->name, have, ev->dest->accepted_text);
	}
	if ((ev->api == API_AZURE_OPENAI || ev->api == API_FOUNDRY) && c->looks_like_azure_key &&
	    is_authorization(c)) {
		const char *key_header = NULL;

		for (unsigned i = 0; i < ev->dest->n_accept && !key_header; i++)
			if (ev->dest->accept[i].kind == FORM_KIND_OPAQUE &&
			    strcmp(ev->dest->accept[i].header, "authorization") != 0)
				key_header = ev->dest->accept[i].header;
		cred_placement_text(have, sizeof(have), c);
		emit(ev, R_AZURE_KEY_AS_BEARER, SEV_WARNING,
		     "an Azure resource key was sent as %s to %s; Bearer is for Entra ID tokens, "
		     "the key goes in %s",
		     have, ev->dest->name, key_header ? key_header : "api-key");
	}
}

/* --- gateways ------------------------------------------------------------ */

static bool in_wrong_headers(const struct host_rule *h, const char *header)
{
	for (unsigned i = 0; i < h->n_wrong; i++)
		if (strcmp(h->wrong[i], header) == 0)
			return true;
	return false;
}

static void gateway_who(const struct eval *ev, char *buf, size_t cap)
{
	/* name the rules entry when it is a pattern rather than this very host */
	if (strcasecmp(ev->authority, ev->host->pattern) == 0)
		snprintf(buf, cap, "%.80s", ev->authority);
	else
		snprintf(buf, cap, "%.80s (rules: %.80s)", ev->authority, ev->host->pattern);
}

static void check_gateway(const struct eval *ev)
{
	const struct host_rule *h = ev->host;
	const struct credential *wrong = NULL, *first = NULL;
	char want[160], have[96], who[192];
	bool expected_seen = false, misplaced;

	if (!h || (!h->has_expect && !h->n_wrong))
		return;
	for (unsigned i = 0; i < ev->req->n_creds; i++) {
		const struct credential *c = &ev->req->creds[i];

		if (c->kind == CRED_EMPTY)
			continue;
		if (!first)
			first = c;
		if (!wrong && in_wrong_headers(h, c->header))
			wrong = c;
		if (h->has_expect && form_placement_matches(&h->expect, c, ev->req))
			expected_seen = true;
	}
	misplaced = h->has_expect && first && !expected_seen && !ev->req->creds_dropped &&
		    head_complete(ev);
	if (!wrong && !misplaced)
		return;
	if (h->has_expect)
		form_text(want, sizeof(want), &h->expect);
	else
		snprintf(want, sizeof(want), "another header");
	gateway_who(ev, who, sizeof(who));
	if (wrong) {
		cred_placement_text(have, sizeof(have), wrong);
		emit(ev, R_GATEWAY_EXPECTS_OTHER_HEADER, SEV_ERROR,
		     "%s does not read credentials from %s; send the credential in %s", who, have,
		     want);
	} else {
		cred_placement_text(have, sizeof(have), first);
		emit(ev, R_GATEWAY_EXPECTS_OTHER_HEADER, SEV_ERROR,
		     "%s reads its credential from %s, but this request sends %s", who, want, have);
	}
}

/* --- credential content -------------------------------------------------- */

static void check_content(const struct eval *ev, const struct credential *c)
{
	char have[96], ago[24], when[64];

	if (c->kind != CRED_ANTHROPIC_REFRESH_TOKEN && !c->looks_like_bedrock_key &&
	    c->kind != CRED_JWT)
		return;
	cred_placement_text(have, sizeof(have), c);
	if (c->kind == CRED_ANTHROPIC_REFRESH_TOKEN)
		emit(ev, R_REFRESH_TOKEN_IN_HEADER, SEV_ERROR,
		     "an OAuth refresh token was sent in %s; refresh tokens belong only in a "
		     "token-endpoint request body: exchange it for an access token and send that "
		     "as \"Authorization: Bearer\"",
		     have);
	if (c->looks_like_bedrock_key && !c->bedrock.decodes) {
		char problem[sizeof(c->bedrock.problem)];

		copy_str(problem, sizeof(problem), c->bedrock.problem[0] ? c->bedrock.problem
									   : "malformed");
		emit(ev, R_BEDROCK_KEY_MALFORMED, SEV_ERROR,
		     "the Bedrock API key in %s does not decode (%s); send it byte-exact as "
		     "issued: no quotes, whitespace, truncation or re-encoding",
		     have, problem);
	}
	if (c->kind == CRED_JWT && c->jwt_exp > 0 && ev->now > 0 && c->jwt_exp < ev->now) {
		duration_text(ago, sizeof(ago), ev->now - c->jwt_exp);
		utc_text(when, sizeof(when), c->jwt_exp);
		emit(ev, R_EXPIRED_JWT, SEV_WARNING,
		     "the JWT in %s expired %s before this request (exp %s); fetch a fresh token",
		     have, ago, when);
	}
}

/* --- SigV4 --------------------------------------------------------------- */

static const char *expected_sigv4_service(const struct eval *ev)
{
	if (ev->host && ev->host->sigv4_service[0])
		return ev->host->sigv4_service;
	return ev->dest->sigv4_service[0] ? ev->dest->sigv4_service : NULL;
}

static void check_sigv4_scope(const struct eval *ev, const struct sigv4_facts *f)
{
	const char *service = expected_sigv4_service(ev);
	char region[32] = "";
	bool bad_region, bad_service;

	/* only where SigV4 is this destination's scheme (Vertex hosts carry regions too) */
	if (!service && !(ev->host && ev->host->region[0]))
		return;
	if (ev->host && ev->host->region[0])
		copy_str(region, sizeof(region), ev->host->region);
	else
		api_host_region(ev->authority, region, sizeof(region));
	bad_region = region[0] && f->region[0] && strcmp(region, f->region) != 0;
	bad_service = service && f->service[0] && strcmp(service, f->service) != 0;
	if (!bad_region && !bad_service)
		return;
	emit(ev, R_SIGV4_SCOPE_MISMATCH, SEV_ERROR,
	     "SigV4 credential scope is %s/%s but %.80s needs region %s and service %s; sign "
	     "for that region and service",
	     f->region[0] ? f->region : "?", f->service[0] ? f->service : "?", ev->authority,
	     region[0] ? region : f->region, service ? service : f->service);
}

static void check_sigv4_clock(const struct eval *ev, const struct sigv4_facts *f)
{
	const struct companions *comp = &ev->req->comp;
	int64_t t, skew = ev->r->clock_skew;
	char off[24], allowed[24], today[64];

	if (ev->now <= 0)
		return;
	duration_text(allowed, sizeof(allowed), skew);
	if (comp->has_x_amz_date) {
		if (!parse_amz_time(comp->x_amz_date, 16, &t)) {
			emit(ev, R_SIGV4_CLOCK_SKEW, SEV_WARNING,
			     "x-amz-date is not in the yyyymmddThhmmssZ form; AWS rejects the "
			     "signature: sign with a correct x-amz-date");
			return;
		}
		if (t - ev->now <= skew && ev->now - t <= skew)
			return;
		duration_text(off, sizeof(off), t - ev->now);
		emit(ev, R_SIGV4_CLOCK_SKEW, SEV_WARNING,
		     "x-amz-date is %s %s the capture time (at most %s allowed); fix the signing "
		     "host's clock (NTP) or re-sign the request",
		     off, t < ev->now ? "behind" : "ahead of", allowed);
		return;
	}
	/* No x-amz-date: the scope date (a whole UTC day) must contain the capture time. */
	if (!f->date[0] || !parse_amz_time(f->date, 8, &t))
		return;
	if (ev->now >= t - skew && ev->now < t + 86400 + skew)
		return;
	utc_text(today, sizeof(today), ev->now);
	emit(ev, R_SIGV4_CLOCK_SKEW, SEV_WARNING,
	     "the SigV4 scope date %s is not the capture date %.10s (UTC, %s slack); fix the "
	     "signing host's clock (NTP) or re-sign the request",
	     f->date, today, allowed);
}

static void check_sigv4(const struct eval *ev, const struct credential *c)
{
	if (c->kind != CRED_AWS_SIGV4)
		return;
	check_sigv4_scope(ev, &c->sigv4);
	if (strcmp(c->sigv4.key_prefix, "ASIA") == 0 && head_complete(ev) &&
	    !ev->req->headers_dropped && !request_has_header(ev->req, "x-amz-security-token"))
		emit(ev, R_STS_TOKEN_MISSING, SEV_ERROR,
		     "the request is signed with temporary (STS) AWS credentials but sends no "
		     "X-Amz-Security-Token header; include the session token (AWS_SESSION_TOKEN) "
		     "and sign it");
	check_sigv4_clock(ev, &c->sigv4);
}

/* --- companion headers --------------------------------------------------- */

static void check_oauth_beta(const struct eval *ev, const struct credential *c)
{
	const struct form *f;

	if (c->kind != CRED_ANTHROPIC_OAUTH_TOKEN || !(f = accepted_as(ev, c, c->kind)) ||
	    !f->beta[0] || list_has_token(ev->req->comp.anthropic_beta, f->beta))
		return;
	emit(ev, R_OAUTH_BEARER_MISSING_BETA, SEV_WARNING,
	     "an OAuth access token in \"Authorization: Bearer\" needs anthropic-beta %s, which "
	     "this request does not send; without it the API answers 401 \"OAuth authentication "
	     "is currently not supported.\"",
	     f->beta);
}

static void check_companions(const struct eval *ev)
{
	const struct companions *comp = &ev->req->comp;

	if (!head_complete(ev))
		return;
	if (ev->api == API_CLAUDE_PLATFORM_AWS && !comp->has_workspace_id)
		emit(ev, R_MISSING_WORKSPACE_ID, SEV_ERROR,
		     "no anthropic-workspace-id header; %s requires the workspace id on every "
		     "request (ANTHROPIC_AWS_WORKSPACE_ID)",
		     ev->dest->name);
	if (is_anthropic_shaped(ev->api) && !comp->anthropic_version[0])
		emit(ev, R_MISSING_ANTHROPIC_VERSION, SEV_WARNING,
		     "no anthropic-version header; %s expects one on every request (e.g. "
		     "anthropic-version: 2023-06-01)",
		     ev->dest->name);
}

static void check_both_auth_headers(const struct eval *ev)
{
	const struct credential *key = value_in(ev->req, "x-api-key");
	const struct credential *authz = value_in(ev->req, "authorization");

	if (ev->api == API_UNKNOWN || !key || !authz)
		return;
	emit(ev, R_BOTH_AUTH_HEADERS, SEV_WARNING,
	     "x-api-key and Authorization both sent (%s); the receiver picks one, maybe the wrong "
	     "one: send only x-api-key (API key) or only \"Authorization: Bearer\" (token). Claude "
	     "Code sends both with ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN set, or apiKeyHelper",
	     strcmp(key->fingerprint, authz->fingerprint) == 0 ? "the same credential"
							       : "two different credentials");
}

/* --- transport ----------------------------------------------------------- */

/*
 * Cleartext to this host stays on it: the Host names a loopback address, or
 * the connection's peer is one and the target is origin-form (an
 * absolute-form target goes to a forward proxy that sends it on).
 */
static bool stays_on_this_host(const struct eval *ev)
{
	const struct request *req = ev->req;

	return ev->hclass == HOST_LOOPBACK ||
	       (req->peer[0] && req->path[0] == '/' && host_classify(req->peer) == HOST_LOOPBACK);
}

static void check_cleartext(const struct eval *ev)
{
	char headers[160];
	struct sbuf b = { headers, sizeof(headers), 0 };
	unsigned n = 0;

	headers[0] = '\0';
	if (ev->req->tls)
		return;
	for (unsigned i = 0; i < ev->req->n_creds; i++) {
		const struct credential *c = &ev->req->creds[i];

		if (!is_real(c))
			continue;
		if (n < 3) {
			if (n)
				sb_put(&b, ", ");
			sb_put(&b, header_label(c->header));
		}
		n++;
	}
	if (n == 0)
		return;
	if (stays_on_this_host(ev))
		emit(ev, R_CLEARTEXT_CREDENTIAL, SEV_INFO,
		     "credential in %s sent without TLS to %.80s on this host (loopback): fine for "
		     "a local proxy, use https:// for anything else",
		     headers, ev->authority);
	else
		emit(ev, R_CLEARTEXT_CREDENTIAL, SEV_WARNING,
		     "credential in %s sent without TLS to %.80s; anyone on the path can read it: "
		     "use an https:// base URL",
		     headers, ev->authority);
}

static void check_placeholder(const struct eval *ev, const struct credential *c)
{
	if (c->kind != CRED_PLACEHOLDER)
		return;
	if (ev->hclass == HOST_PROVIDER)
		emit(ev, R_PLACEHOLDER_CREDENTIAL, SEV_ERROR,
		     "a placeholder in %s reached %.80s, the provider's own host; the proxy that "
		     "should replace it was bypassed: route through it or send the real credential",
		     header_label(c->header), ev->authority);
	else
		emit(ev, R_PLACEHOLDER_CREDENTIAL, SEV_INFO,
		     "a placeholder in %s to %.80s: fine if this proxy replaces it with the real "
		     "credential",
		     header_label(c->header), ev->authority);
}

/* --- driver -------------------------------------------------------------- */

/* The request's authority, or the host of an absolute-form target. */
static const char *request_authority(const struct request *req, char *buf, size_t cap)
{
	const char *p = req->path, *start, *end;

	if (req->authority[0])
		return req->authority;
	buf[0] = '\0';
	if (p[0] == '/' || !(start = strstr(p, "://")) || start - p > 16)
		return buf;
	start += 3;
	end = start + strcspn(start, "/?#");
	if ((size_t)(end - start) < cap) {
		memcpy(buf, start, (size_t)(end - start));
		buf[end - start] = '\0';
	}
	return buf;
}

static void evaluate_credential(const struct eval *ev, const struct credential *c)
{
	check_oauth_in_x_api_key(ev, c);
	check_api_key_as_bearer(ev, c);
	check_bedrock_placement(ev, c);
	check_azure(ev, c);
	check_foreign_key(ev, c);
	check_content(ev, c);
	check_sigv4(ev, c);
	check_oauth_beta(ev, c);
}

void rules_evaluate(const struct rules *r, struct request *req, int64_t now_unix)
{
	char authority_buf[REQ_AUTHORITY_MAX];
	struct eval ev = { .r = r, .req = req, .now = now_unix };

	if (!r || !req)
		return;
	ev.authority = request_authority(req, authority_buf, sizeof(authority_buf));
	lookup_destination(r, ev.authority, req->tls, &ev.host, &ev.hclass);
	if (req->api == API_UNKNOWN && ev.host && ev.host->api != API_UNKNOWN)
		req->api = ev.host->api; /* the gateway's declared family, also for the output */
	ev.api = req->api;
	ev.dest = (unsigned)ev.api < API_FAMILY_COUNT && ev.api != API_UNKNOWN ? &r->dest[ev.api]
									       : &r->unknown_dest;
	if (!ev.dest->name[0])
		ev.dest = &r->unknown_dest;

	/*
	 * Request-level errors first and info last, so that what matters most
	 * survives the per-request finding limit.
	 */
	check_no_credentials(&ev);
	check_bedrock_authorization(&ev);
	check_gateway(&ev);
	for (unsigned i = 0; i < req->n_creds; i++)
		evaluate_credential(&ev, &req->creds[i]);
	check_companions(&ev);
	check_both_auth_headers(&ev);
	check_cleartext(&ev);
	for (unsigned i = 0; i < req->n_creds; i++)
		check_placeholder(&ev, &req->creds[i]);
}

/* ------------------------------------------------------------------------ */
/* Loading: locating a JSON path in the text (for line numbers)              */
/* ------------------------------------------------------------------------ */

/*
 * cJSON keeps no positions, so a schema error is located by walking the
 * text along the path of keys and array indexes that led to it.  The text
 * was accepted by cJSON, but the walk is defensive anyway: every step is
 * bounded by the end and a lost walk returns the last good position.
 */
struct path_step {
	const char *key; /* NULL: an array index */
	int index;
};

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return e;
}

static const char *skip_value(const char *p, const char *e)
{
	unsigned depth = 0;

	if (p < e && *p == '"')
		return skip_string(p, e);
	if (p < e && *p != '{' && *p != '[') {
		while (p < e && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	while (p < e) {
		if (*p == '"') {
			p = skip_string(p, e);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return e;
}

/* In the object at p: the member's key position; *value set to its value. */
static const char *find_member(const char *p, const char *e, const char *key, const char **value)
{
	size_t kn = strlen(key);

	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return NULL;
	for (p++;;) {
		const char *k, *kend;

		p = skip_ws(p, e);
		if (p >= e || *p != '"')
			return NULL;
		k = p;
		kend = skip_string(p, e);
		p = skip_ws(kend, e);
		if (p >= e || *p != ':')
			return NULL;
		p = skip_ws(p + 1, e);
		if ((size_t)(kend - k) == kn + 2 && memcmp(k + 1, key, kn) == 0) {
			*value = p;
			return k;
		}
		p = skip_ws(skip_value(p, e), e);
		if (p >= e || *p != ',')
			return NULL;
		p++;
	}
}

static const char *find_element(const char *p, const char *e, int index)
{
	p = skip_ws(p, e);
	if (p >= e || *p != '[')
		return NULL;
	p = skip_ws(p + 1, e);
	for (int i = 0; i < index; i++) {
		p = skip_ws(skip_value(p, e), e);
		if (p >= e || *p != ',')
			return NULL;
		p = skip_ws(p + 1, e);
	}
	return p < e ? p : NULL;
}

static unsigned line_of(const char *text, const char *pos)
{
	unsigned line = 1;

	for (const char *p = text; p < pos; p++)
		line += *p == '\n';
	return line;
}

/* ------------------------------------------------------------------------ */
/* Loading: errors                                                           */
/* ------------------------------------------------------------------------ */

struct loader {
	const char *name;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	struct path_step path[RULES_DEPTH_MAX + 2];
	unsigned depth;
	char scratch[64]; /* clipped file text for messages */
};

static void push_key(struct loader *ld, const char *key)
{
	if (ld->depth < sizeof(ld->path) / sizeof(ld->path[0]))
		ld->path[ld->depth].key = key, ld->path[ld->depth].index = 0;
	ld->depth++;
}

static void push_index(struct loader *ld, int index)
{
	if (ld->depth < sizeof(ld->path) / sizeof(ld->path[0]))
		ld->path[ld->depth].key = NULL, ld->path[ld->depth].index = index;
	ld->depth++;
}

static void pop(struct loader *ld)
{
	ld->depth--;
}

static const char *locate(const struct loader *ld)
{
	const char *e = ld->text + ld->len, *at = ld->text, *value = ld->text;
	unsigned n = ld->depth < sizeof(ld->path) / sizeof(ld->path[0]) ? ld->depth
				: sizeof(ld->path) / sizeof(ld->path[0]);

	for (unsigned i = 0; i < n; i++) {
		const char *next, *v = NULL;

		if (ld->path[i].key) {
			next = find_member(value, e, ld->path[i].key, &v);
		} else {
			next = find_element(value, e, ld->path[i].index);
			v = next;
		}
		if (!next)
			break;
		at = next;
		value = v;
	}
	return at;
}

/* Printable, quote-free, at most ~40 characters of text from the file. */
static const char *clip(struct loader *ld, const char *s)
{
	char *out = ld->scratch;
	size_t i = 0;

	for (; s[i] && i < 40; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"') ? '?' : s[i];
	if (s[i]) {
		memcpy(out + i, "...", 4);
		return out;
	}
	out[i] = '\0';
	return out;
}

/* Where we are, for messages: "class" or "credential_headers"[2]. */
static void path_text(const struct loader *ld, char *buf, size_t cap)
{
	unsigned top = ld->depth;
	const struct path_step *s, *parent;

	buf[0] = '\0';
	if (top == 0 || top > sizeof(ld->path) / sizeof(ld->path[0]))
		return;
	s = &ld->path[top - 1];
	if (s->key) {
		snprintf(buf, cap, "\"%.60s\"", s->key);
		return;
	}
	parent = top >= 2 ? &ld->path[top - 2] : NULL;
	snprintf(buf, cap, "\"%.60s\"[%d]", parent && parent->key ? parent->key : "", s->index);
}

static int fail_at(struct loader *ld, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct loader *ld, const char *pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->err && ld->errlen) {
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->name, line_of(ld->text, pos), msg);
		for (char *p = ld->err; *p; p++) /* one line, whatever the file name holds */
			if ((unsigned char)*p < 0x20)
				*p = '?';
	}
	return -1;
}

#define fail(ld, ...) fail_at((ld), locate(ld), __VA_ARGS__)

/* ------------------------------------------------------------------------ */
/* Loading: typed values                                                     */
/* ------------------------------------------------------------------------ */

static int want_object(struct loader *ld, const cJSON *item)
{
	char where[96];

	if (cJSON_IsObject(item))
		return 0;
	path_text(ld, where, sizeof(where));
	return fail(ld, "expected an object for %s", where);
}

static int want_array(struct loader *ld, const cJSON *item, unsigned max)
{
	char where[96];

	path_text(ld, where, sizeof(where));
	if (!cJSON_IsArray(item))
		return fail(ld, "expected an array for %s", where);
	if ((unsigned)cJSON_GetArraySize(item) > max)
		return fail(ld, "too many entries in %s (at most %u)", where, max);
	return 0;
}

/* A string of 1..cap-1 bytes, copied to dst. */
static int get_string(struct loader *ld, const cJSON *item, char *dst, size_t cap)
{
	char where[96];
	size_t n;

	path_text(ld, where, sizeof(where));
	if (!cJSON_IsString(item) || !item->valuestring)
		return fail(ld, "expected a string for %s", where);
	n = strlen(item->valuestring);
	if (n == 0)
		return fail(ld, "%s must not be empty", where);
	if (n >= cap)
		return fail(ld, "%s is too long (at most %zu characters)", where, cap - 1);
	/* these strings end up in finding messages: one printable line */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)item->valuestring[i] < 0x20 || item->valuestring[i] == 0x7f)
			return fail(ld, "%s must not contain control characters", where);
	memcpy(dst, item->valuestring, n + 1);
	return 0;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A header name: an HTTP token, stored lowercase. */
static int get_header_name(struct loader *ld, const cJSON *item, char dst[CRED_HEADER_MAX])
{
	if (get_string(ld, item, dst, CRED_HEADER_MAX))
		return -1;
	for (char *p = dst; *p; p++) {
		if (!is_tchar(*p))
			return fail(ld, "\"%s\" is not a valid header name", clip(ld, dst));
		*p = ascii_lower(*p);
	}
	return 0;
}

/* Region and service names: lowercase letters, digits and '-'. */
static int get_label(struct loader *ld, const cJSON *item, char *dst, size_t cap)
{
	if (get_string(ld, item, dst, cap))
		return -1;
	for (const char *p = dst; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || is_digit(*p) || *p == '-'))
			return fail(ld, "\"%s\" may hold only a-z, 0-9 and '-'", clip(ld, dst));
	return 0;
}

/* Iterate an object's members, skipping "_comment", with the key pushed. */
#define FOR_MEMBERS(it, obj)                                                  \
	for (const cJSON *it = (obj)->child; it; it = it->next)               \
		if (strcmp(it->string ? it->string : "", "_comment") == 0) {  \
		} else

static int unknown_key(struct loader *ld, const char *key, const char *allowed)
{
	return fail(ld, "unknown key \"%s\" (expected one of: %s)", clip(ld, key), allowed);
}

/* ------------------------------------------------------------------------ */
/* Loading: sections                                                         */
/* ------------------------------------------------------------------------ */

static int parse_level(struct loader *ld, const cJSON *item, uint8_t *out)
{
	static const struct {
		const char *name;
		enum level level;
	} levels[] = { { "error", LEVEL_ERROR }, { "warning", LEVEL_WARNING },
		       { "info", LEVEL_INFO }, { "off", LEVEL_OFF } };
	char s[16];

	if (!cJSON_IsString(item) || !item->valuestring)
		return get_string(ld, item, s, sizeof(s)); /* says why */
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(item->valuestring, levels[i].name) == 0) {
			*out = (uint8_t)levels[i].level;
			return 0;
		}
	return fail(ld, "a rule level must be \"error\", \"warning\", \"info\" or \"off\", not "
			"\"%s\"",
		    clip(ld, item->valuestring));
}

static int rule_by_id(const char *id)
{
	for (int i = 0; i < R_COUNT; i++)
		if (strcmp(rule_defs[i].id, id) == 0)
			return i;
	return -1;
}

static int load_levels(struct loader *ld, const cJSON *obj, uint8_t level[R_COUNT])
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		int id = rule_by_id(m->string);

		push_key(ld, m->string);
		if (id < 0)
			return fail(ld, "unknown rule id \"%s\"", clip(ld, m->string));
		if (parse_level(ld, m, &level[id]))
			return -1;
		pop(ld);
	}
	return 0;
}

static int parse_kind(struct loader *ld, const cJSON *item, int *kind)
{
	char s[NAME_MAX_LEN];

	if (get_string(ld, item, s, sizeof(s)))
		return -1;
	if (strcmp(s, "any") == 0) {
		*kind = FORM_KIND_ANY;
		return 0;
	}
	if (strcmp(s, "opaque") == 0) {
		*kind = FORM_KIND_OPAQUE;
		return 0;
	}
	for (int k = 0; k < CRED_KIND_COUNT; k++)
		if (strcmp(s, cred_kind_name((enum cred_kind)k)) == 0) {
			*kind = k;
			return 0;
		}
	return fail(ld, "unknown credential kind \"%s\" (a kind such as anthropic-api-key, or "
			"\"opaque\" or \"any\")",
		    clip(ld, s));
}

/*
 * A form: {"kind", "header", "scheme", "beta", "min_version", "label"}.
 * Host "expect" forms take no kind (they hold for any credential).
 */
static int load_form(struct loader *ld, const cJSON *obj, struct form *f, bool with_kind)
{
	bool have_header = false, have_kind = !with_kind;

	if (want_object(ld, obj))
		return -1;
	memset(f, 0, sizeof(*f));
	f->kind = FORM_KIND_ANY;
	FOR_MEMBERS(m, obj)
	{
		const char *k = m->string;
		int rc;

		push_key(ld, k);
		if (with_kind && strcmp(k, "kind") == 0)
			rc = parse_kind(ld, m, &f->kind), have_kind = true;
		else if (strcmp(k, "header") == 0)
			rc = get_header_name(ld, m, f->header), have_header = true;
		else if (strcmp(k, "scheme") == 0)
			rc = get_string(ld, m, f->scheme, sizeof(f->scheme));
		else if (with_kind && strcmp(k, "beta") == 0)
			rc = get_string(ld, m, f->beta, sizeof(f->beta));
		else if (with_kind && strcmp(k, "label") == 0)
			rc = get_string(ld, m, f->label, sizeof(f->label));
		else if (with_kind && strcmp(k, "min_version") == 0) {
			rc = get_string(ld, m, f->min_version, sizeof(f->min_version));
			if (rc == 0 && !is_iso_date(f->min_version))
				rc = fail(ld, "\"min_version\" must be a date yyyy-mm-dd");
		} else
			rc = unknown_key(ld, k, with_kind ? "kind, header, scheme, beta, "
							    "min_version, label"
							  : "header, scheme");
		if (rc)
			return -1;
		pop(ld);
	}
	if (!have_header)
		return fail(ld, "missing \"header\"");
	if (!have_kind)
		return fail(ld, "missing \"kind\"");
	if (f->scheme[0] && strcmp(f->header, "authorization") != 0 &&
	    strcmp(f->header, "proxy-authorization") != 0 &&
	    strcmp(f->header, "cf-aig-authorization") != 0)
		return fail(ld, "\"scheme\" is only meaningful for Authorization-style headers");
	return 0;
}

static int load_accept(struct loader *ld, const cJSON *arr, struct destination *d)
{
	int i = 0;

	if (want_array(ld, arr, MAX_ACCEPT))
		return -1;
	d->n_accept = 0;
	for (const cJSON *e = arr->child; e; e = e->next, i++) {
		push_index(ld, i);
		if (load_form(ld, e, &d->accept[d->n_accept], true))
			return -1;
		d->n_accept++;
		pop(ld);
	}
	return 0;
}

static int family_by_name(const char *name)
{
	for (int f = 1; f < API_FAMILY_COUNT; f++)
		if (strcmp(api_family_name((enum api_family)f), name) == 0)
			return f;
	return -1;
}

static const char family_list[] =
	"anthropic, bedrock, vertex, foundry, claude-platform-aws, openai, azure-openai";

static int load_destination(struct loader *ld, const cJSON *obj, struct destination *d)
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		const char *k = m->string;
		int rc;

		push_key(ld, k);
		if (strcmp(k, "name") == 0)
			rc = get_string(ld, m, d->name, sizeof(d->name));
		else if (strcmp(k, "accept") == 0)
			rc = load_accept(ld, m, d);
		else if (strcmp(k, "sigv4_service") == 0)
			rc = get_label(ld, m, d->sigv4_service, sizeof(d->sigv4_service));
		else
			rc = unknown_key(ld, k, "name, accept, sigv4_service");
		if (rc)
			return -1;
		pop(ld);
	}
	return 0;
}

static int load_destinations(struct loader *ld, const cJSON *obj, struct rules *r)
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		int family = family_by_name(m->string);

		push_key(ld, m->string);
		if (family < 0)
			return fail(ld, "unknown destination \"%s\" (expected one of: %s)",
				    clip(ld, m->string), family_list);
		if (load_destination(ld, m, &r->dest[family]))
			return -1;
		pop(ld);
	}
	return 0;
}

static bool valid_pattern_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.' || c == '_' ||
	       c == ':' || c == '*' || c == '%';
}

/* Fill the pattern fields of h from its key. */
static int parse_host_pattern(struct loader *ld, const char *key, struct host_rule *h)
{
	struct hostport hp;
	const char *star;

	if (strlen(key) >= sizeof(h->pattern))
		return fail(ld, "host pattern is too long");
	if (!split_authority(key, &hp))
		return fail(ld, "\"%s\" is not a host, host:port or [v6]:port pattern",
			    clip(ld, key));
	for (const char *p = hp.host; *p; p++)
		if (!valid_pattern_char(*p))
			return fail(ld, "\"%s\" is not a valid host pattern", clip(ld, key));
	star = strchr(hp.host, '*');
	if (star && (strchr(star + 1, '*') || hp.len == 1))
		return fail(ld, "\"%s\": a host pattern may hold one '*' beside a literal part",
			    clip(ld, key));
	for (size_t i = 0; key[i]; i++)
		h->pattern[i] = ascii_lower(key[i]), h->pattern[i + 1] = '\0';
	memcpy(h->host, hp.host, hp.len + 1);
	copy_str(h->port, sizeof(h->port), hp.port);
	h->star = star ? (int)(star - hp.host) : -1;
	return 0;
}

static int parse_class(struct loader *ld, const cJSON *item, struct host_rule *h)
{
	static const struct {
		const char *name;
		enum host_class class;
	} classes[] = { { "provider", HOST_PROVIDER }, { "proxy", HOST_OTHER },
			{ "gateway", HOST_OTHER },     { "loopback", HOST_LOOPBACK },
			{ "private", HOST_PRIVATE },   { "other", HOST_OTHER } };
	char s[16];

	if (!cJSON_IsString(item) || !item->valuestring)
		return get_string(ld, item, s, sizeof(s)); /* says why */
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(item->valuestring, classes[i].name) == 0) {
			h->has_class = true;
			h->class = classes[i].class;
			return 0;
		}
	return fail(ld, "\"class\" must be one of provider, proxy, gateway, loopback, private, "
			"other (not \"%s\")",
		    clip(ld, item->valuestring));
}

static int parse_api(struct loader *ld, const cJSON *item, struct host_rule *h)
{
	char s[32];
	int family;

	if (!cJSON_IsString(item) || !item->valuestring)
		return get_string(ld, item, s, sizeof(s)); /* says why */
	family = family_by_name(item->valuestring);
	if (family < 0)
		return fail(ld, "\"api\" must be one of %s (not \"%s\")", family_list,
			    clip(ld, item->valuestring));
	h->api = (enum api_family)family;
	return 0;
}

static int load_wrong_headers(struct loader *ld, const cJSON *arr, struct host_rule *h)
{
	int i = 0;

	if (want_array(ld, arr, MAX_WRONG_HEADERS))
		return -1;
	h->n_wrong = 0;
	for (const cJSON *e = arr->child; e; e = e->next, i++) {
		push_index(ld, i);
		if (get_header_name(ld, e, h->wrong[h->n_wrong]))
			return -1;
		h->n_wrong++;
		pop(ld);
	}
	return 0;
}

static int load_host(struct loader *ld, const cJSON *obj, struct host_rule *h)
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		const char *k = m->string;
		int rc;

		push_key(ld, k);
		if (strcmp(k, "class") == 0)
			rc = parse_class(ld, m, h);
		else if (strcmp(k, "api") == 0)
			rc = parse_api(ld, m, h);
		else if (strcmp(k, "expect") == 0)
			rc = load_form(ld, m, &h->expect, false), h->has_expect = rc == 0;
		else if (strcmp(k, "wrong_headers") == 0)
			rc = load_wrong_headers(ld, m, h);
		else if (strcmp(k, "region") == 0)
			rc = get_label(ld, m, h->region, sizeof(h->region));
		else if (strcmp(k, "sigv4_service") == 0)
			rc = get_label(ld, m, h->sigv4_service, sizeof(h->sigv4_service));
		else if (strcmp(k, "rules") == 0)
			rc = load_levels(ld, m, h->level);
		else
			rc = unknown_key(ld, k, "class, api, expect, wrong_headers, region, "
						"sigv4_service, rules");
		if (rc)
			return -1;
		pop(ld);
	}
	return 0;
}

static int load_hosts(struct loader *ld, const cJSON *obj, struct rules *r)
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		struct host_rule parsed, *slot = NULL;

		push_key(ld, m->string);
		memset(&parsed, 0, sizeof(parsed));
		if (parse_host_pattern(ld, m->string, &parsed) || load_host(ld, m, &parsed))
			return -1;
		for (unsigned i = 0; i < r->n_hosts && !slot; i++)
			if (strcmp(r->hosts[i].pattern, parsed.pattern) == 0)
				slot = &r->hosts[i]; /* same pattern: replaced whole */
		if (!slot) {
			if (r->n_hosts >= MAX_HOSTS)
				return fail(ld, "too many hosts (at most %d)", MAX_HOSTS);
			slot = &r->hosts[r->n_hosts++];
		}
		*slot = parsed;
		pop(ld);
	}
	return 0;
}

static int load_credential_headers(struct loader *ld, const cJSON *arr, struct rules *r)
{
	int i = 0;

	if (want_array(ld, arr, MAX_EXTRA_HEADERS))
		return -1;
	for (const cJSON *e = arr->child; e; e = e->next, i++) {
		char name[CRED_HEADER_MAX];
		bool known = false;

		push_index(ld, i);
		if (get_header_name(ld, e, name))
			return -1;
		for (unsigned j = 0; j < r->n_extra; j++)
			known |= strcmp(r->extra[j], name) == 0;
		if (!known && !cred_is_default_header(name)) {
			if (r->n_extra >= MAX_EXTRA_HEADERS)
				return fail(ld, "too many credential headers (at most %d)",
					    MAX_EXTRA_HEADERS);
			memcpy(r->extra[r->n_extra++], name, sizeof(name));
		}
		pop(ld);
	}
	return 0;
}

static int get_integer(struct loader *ld, const cJSON *item, double lo, double hi, int64_t *out)
{
	double v = cJSON_IsNumber(item) ? item->valuedouble : lo - 1;
	char where[96];

	path_text(ld, where, sizeof(where));
	/* range first: the cast is only defined for values that fit */
	if (!(v >= lo && v <= hi) || v != (double)(int64_t)v)
		return fail(ld, "expected an integer from %.0f to %.0f for %s", lo, hi, where);
	*out = (int64_t)v;
	return 0;
}

static int load_settings(struct loader *ld, const cJSON *obj, struct rules *r)
{
	if (want_object(ld, obj))
		return -1;
	FOR_MEMBERS(m, obj)
	{
		push_key(ld, m->string);
		if (strcmp(m->string, "clock_skew_seconds") == 0) {
			if (get_integer(ld, m, 0, 86400, &r->clock_skew))
				return -1;
		} else {
			return unknown_key(ld, m->string, "clock_skew_seconds");
		}
		pop(ld);
	}
	return 0;
}

static int load_root(struct loader *ld, const cJSON *root, struct rules *r)
{
	if (!cJSON_IsObject(root))
		return fail(ld, "a rules file must be a JSON object");
	FOR_MEMBERS(m, root)
	{
		const char *k = m->string;
		int64_t schema;
		int rc;

		push_key(ld, k);
		if (strcmp(k, "schema") == 0) {
			rc = get_integer(ld, m, 1, 1, &schema);
		} else if (strcmp(k, "credential_headers") == 0)
			rc = load_credential_headers(ld, m, r);
		else if (strcmp(k, "destinations") == 0)
			rc = load_destinations(ld, m, r);
		else if (strcmp(k, "hosts") == 0)
			rc = load_hosts(ld, m, r);
		else if (strcmp(k, "rules") == 0)
			rc = load_levels(ld, m, r->level);
		else if (strcmp(k, "settings") == 0)
			rc = load_settings(ld, m, r);
		else
			rc = unknown_key(ld, k, "schema, credential_headers, destinations, hosts, "
						"rules, settings");
		if (rc)
			return -1;
		pop(ld);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Loading: text                                                             */
/* ------------------------------------------------------------------------ */

/* First bracket that nests deeper than max (outside strings), or NULL. */
static const char *too_deep(const char *t, size_t n, unsigned max)
{
	unsigned depth = 0;
	bool in_string = false, escaped = false;

	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return t + i;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return NULL;
}

static bool all_whitespace(const char *p, const char *e)
{
	return skip_ws(p, e) == e;
}

static int syntax_error(struct loader *ld, const char *pos)
{
	const char *e = ld->text + ld->len;
	char near[24];
	size_t n = 0;

	if (!pos || pos < ld->text || pos > e)
		pos = ld->text;
	for (const char *p = pos; p < e && n < 16 && *p != '\n' && *p != '\r'; p++)
		near[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"') ? '?' : *p;
	near[n] = '\0';
	if (n == 0)
		return fail_at(ld, pos, "invalid JSON at the end of the file");
	return fail_at(ld, pos, "invalid JSON near \"%s\"", near);
}

static void refresh_pointers(struct rules *r)
{
	for (unsigned i = 0; i < r->n_extra; i++)
		r->extra_ptrs[i] = r->extra[i];
	r->extra_ptrs[r->n_extra] = NULL;
}

/* The message texts that depend only on the rule data, made once per load. */
static void make_texts(struct rules *r)
{
	memset(&r->unknown_dest, 0, sizeof(r->unknown_dest));
	copy_str(r->unknown_dest.name, sizeof(r->unknown_dest.name), "this API");
	make_accepted_text(&r->unknown_dest);
	for (unsigned f = 0; f < API_FAMILY_COUNT; f++) {
		struct destination *d = &r->dest[f];

		for (unsigned i = 0; i < d->n_accept; i++)
			make_form_text(&d->accept[i]);
		make_accepted_text(d);
	}
	for (unsigned i = 0; i < r->n_hosts; i++)
		if (r->hosts[i].has_expect)
			make_form_text(&r->hosts[i].expect);
}

int rules_load_buffer(struct rules *r, const char *name, const char *json, size_t len,
		      char *err, size_t errlen)
{
	struct loader ld = { .name = name ? name : "rules", .text = json ? json : "",
			     .len = json ? len : 0, .err = err, .errlen = errlen };
	const char *end = NULL, *deep;
	struct rules *staged;
	cJSON *root;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!r)
		return -1;
	if (ld.len > RULES_FILE_MAX)
		return fail_at(&ld, ld.text, "file too large (%zu bytes, at most %u)", ld.len,
			       RULES_FILE_MAX);
	if (all_whitespace(ld.text, ld.text + ld.len))
		return fail_at(&ld, ld.text, "empty file (expected a JSON object)");
	deep = too_deep(ld.text, ld.len, RULES_DEPTH_MAX);
	if (deep)
		return fail_at(&ld, deep, "nested deeper than %d levels", RULES_DEPTH_MAX);
	root = cJSON_ParseWithLengthOpts(ld.text, ld.len, &end, 0);
	if (!root)
		return syntax_error(&ld, end);
	if (end && end < ld.text + ld.len && !all_whitespace(end, ld.text + ld.len)) {
		cJSON_Delete(root);
		return fail_at(&ld, skip_ws(end, ld.text + ld.len),
			       "unexpected text after the JSON object");
	}
	/* Load into a copy so that a file with an error changes nothing. */
	staged = malloc(sizeof(*staged));
	if (!staged) {
		cJSON_Delete(root);
		return fail_at(&ld, ld.text, "out of memory");
	}
	*staged = *r;
	rc = load_root(&ld, root, staged);
	cJSON_Delete(root);
	if (rc == 0) {
		*r = *staged;
		refresh_pointers(r);
		make_texts(r);
		r->generation = __atomic_add_fetch(&last_generation, 1, __ATOMIC_RELAXED);
	}
	free(staged);
	return rc;
}

static int read_failure(const char *path, int e, int fd, char *err, size_t errlen)
{
	if (fd >= 0)
		close(fd);
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
	return -1;
}

int rules_load_file(struct rules *r, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, rc;

	if (err && errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return read_failure(path, errno, -1, err, errlen);
	if (fstat(fd, &st) != 0)
		return read_failure(path, errno, fd, err, errlen);
	if (S_ISDIR(st.st_mode))
		return read_failure(path, EISDIR, fd, err, errlen);
	if (S_ISREG(st.st_mode) && st.st_size > RULES_FILE_MAX) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "%s:1: file too large (%lld bytes, at most %u)", path,
				 (long long)st.st_size, RULES_FILE_MAX);
		return -1;
	}
	/* read at most one byte past the limit: pipes and /proc files have no size */
	buf = malloc(RULES_FILE_MAX + 2);
	if (!buf) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t got = read(fd, buf + len, RULES_FILE_MAX + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return read_failure(path, errno, fd, err, errlen);
		}
		if (got == 0 || (len += (size_t)got) > RULES_FILE_MAX)
			break;
	}
	close(fd);
	buf[len] = '\0';
	rc = rules_load_buffer(r, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

struct rules *rules_new_default(char *err, size_t errlen)
{
	struct rules *r = calloc(1, sizeof(*r));

	if (!r) {
		if (err && errlen)
			snprintf(err, errlen, "rules: out of memory");
		return NULL;
	}
	r->clock_skew = DEFAULT_CLOCK_SKEW;
	refresh_pointers(r);
	if (rules_load_buffer(r, "rules/default.json (built in)", rules_default_json,
			      rules_default_json_len, err, errlen) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

const char *const *rules_extra_cred_headers(const struct rules *r)
{
	static const char *const none[] = { NULL };

	return r ? r->extra_ptrs : none;
}

void rules_free(struct rules *r)
{
	free(r);
}

/* SPDX-License-Identifier: MIT */
/*
 * Destination classification: which LLM API a request is for (from the host
 * when it is a provider's own endpoint, else from the path shape, so that
 * gateways and base-URL prefixes still classify), and what kind of host it
 * is (provider, loopback, private network, other).
 *
 * Pure functions over NUL-terminated strings; every scan is bounded and
 * nothing is allocated.  api_classify() remembers the provider entry of
 * the last few authorities it saw (per thread, exact keys).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

/* Longest authority and path looked at; longer input is cut (and so unknown). */
#define AUTHORITY_SCAN_MAX 1024
#define PATH_SCAN_MAX 65536
/* A DNS name is at most 253 characters; room for that plus the NUL. */
#define HOST_MAX 256

struct span {
	const char *p;
	size_t n;
};

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool span_ends_with(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

static bool span_contains(struct span s, const char *lit)
{
	return memmem(s.p, s.n, lit, strlen(lit)) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Authority -> host                                                         */
/* ------------------------------------------------------------------------ */

struct host {
	char name[HOST_MAX]; /* lowercase, no port, no brackets, no trailing dot */
	size_t len;
	bool ipv6;           /* written as an IPv6 literal */
};

/*
 * "Host", "host:port", "[v6]:port", a bare "v6" literal, optionally with
 * "userinfo@" (absolute-form targets).  Returns false when nothing usable
 * is left or the host is longer than any DNS name.
 */
static bool host_parse(const char *authority, struct host *h)
{
	const char *s = authority, *at;
	size_t n;

	h->len = 0;
	h->name[0] = '\0';
	h->ipv6 = false;
	if (!s)
		return false;
	n = strnlen(s, AUTHORITY_SCAN_MAX);
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	at = memrchr(s, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return false;
		s++;
		n = (size_t)(close - s);
		h->ipv6 = true;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)))
			h->ipv6 = true; /* bare literal such as "::1": no port to strip */
		else if (colon)
			n = (size_t)(colon - s);
	}
	if (h->ipv6) {
		const char *zone = memchr(s, '%', n); /* fe80::1%eth0 */
		if (zone)
			n = (size_t)(zone - s);
	} else if (n && s[n - 1] == '.') {
		n--; /* "api.anthropic.com." is the same name */
	}
	if (n == 0 || n >= HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		h->name[i] = ascii_lower(s[i]);
	h->name[n] = '\0';
	h->len = n;
	return true;
}

static struct span host_span(const struct host *h)
{
	struct span s = { h->name, h->len };
	return s;
}

static bool host_ends_with(const struct host *h, const char *suffix)
{
	return span_ends_with(host_span(h), suffix);
}

/* ------------------------------------------------------------------------ */
/* Provider hosts                                                            */
/* ------------------------------------------------------------------------ */

enum host_match {
	MATCH_EXACT,     /* host == prefix */
	MATCH_REGION,    /* host == prefix + <region label> + suffix */
	MATCH_SUBDOMAIN, /* host == <something> + suffix */
};

struct provider_host {
	enum api_family family;
	enum host_match match;
	const char *prefix;
	const char *suffix;
};

/* First match wins for api_classify (Foundry before its Azure OpenAI routes). */
static const struct provider_host provider_hosts[] = {
	{ API_ANTHROPIC, MATCH_EXACT, "api.anthropic.com", "" },
	{ API_BEDROCK, MATCH_REGION, "bedrock-runtime.", ".amazonaws.com" },
	{ API_BEDROCK, MATCH_REGION, "bedrock-runtime-fips.", ".amazonaws.com" },
	{ API_BEDROCK, MATCH_REGION, "bedrock-runtime.", ".amazonaws.com.cn" },
	{ API_BEDROCK, MATCH_REGION, "bedrock-mantle.", ".api.aws" },
	{ API_CLAUDE_PLATFORM_AWS, MATCH_REGION, "aws-external-anthropic.", ".api.aws" },
	{ API_VERTEX, MATCH_EXACT, "aiplatform.googleapis.com", "" },           /* global */
	{ API_VERTEX, MATCH_REGION, "", "-aiplatform.googleapis.com" },        /* us-east5-... */
	{ API_VERTEX, MATCH_REGION, "aiplatform.", ".rep.googleapis.com" },    /* multi-region us/eu */
	{ API_FOUNDRY, MATCH_SUBDOMAIN, "", ".services.ai.azure.com" },
	{ API_OPENAI, MATCH_EXACT, "api.openai.com", "" },
	{ API_AZURE_OPENAI, MATCH_SUBDOMAIN, "", ".openai.azure.com" },
	{ API_AZURE_OPENAI, MATCH_SUBDOMAIN, "", ".cognitiveservices.azure.com" },
	/* A Foundry resource also serves Azure OpenAI under /openai/. */
	{ API_AZURE_OPENAI, MATCH_SUBDOMAIN, "", ".services.ai.azure.com" },
};

#define N_PROVIDER_HOSTS (sizeof(provider_hosts) / sizeof(provider_hosts[0]))

static bool is_region_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

/* One DNS label of region characters, e.g. "us-east-1", "us-east5", "eu". */
static bool is_region_label(struct span s)
{
	if (s.n == 0 || s.n > 63 || s.p[0] == '-' || s.p[s.n - 1] == '-')
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!is_region_char(s.p[i]))
			return false;
	return true;
}

/* Does h match pattern ph?  For MATCH_REGION also returns the region label. */
static bool provider_host_match(const struct provider_host *ph, const struct host *h,
				struct span *region)
{
	size_t pl = strlen(ph->prefix), sl = strlen(ph->suffix);
	struct span middle;

	if (h->ipv6)
		return false;
	if (ph->match == MATCH_EXACT)
		return strcmp(h->name, ph->prefix) == 0;
	if (h->len <= pl + sl || memcmp(h->name, ph->prefix, pl) != 0 ||
	    !host_ends_with(h, ph->suffix))
		return false;
	middle.p = h->name + pl;
	middle.n = h->len - pl - sl;
	if (ph->match == MATCH_SUBDOMAIN)
		return middle.p[0] != '.' && middle.p[middle.n - 1] != '.';
	if (!is_region_label(middle))
		return false;
	if (region)
		*region = middle;
	return true;
}

static const struct provider_host *provider_host_find(const struct host *h, struct span *region)
{
	for (size_t i = 0; i < N_PROVIDER_HOSTS; i++)
		if (provider_host_match(&provider_hosts[i], h, region))
			return &provider_hosts[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The path part of a request target: absolute-form "https://host/p" reduced
 * to "/p", query and fragment cut, one trailing '/' dropped.  If authority
 * is wanted and the target is absolute-form, its host part is returned too.
 */
static struct span path_part(const char *target, struct span *abs_authority)
{
	struct span p = { "", 0 };
	const char *scheme_end, *cut;
	size_t n;

	if (abs_authority)
		abs_authority->p = "", abs_authority->n = 0;
	if (!target)
		return p;
	n = strnlen(target, PATH_SCAN_MAX);
	p.p = target;
	p.n = n;
	/* origin-form ("/v1/messages"), the usual case, has no scheme to look for */
	scheme_end = target[0] == '/' ? NULL : memmem(target, n < 16 ? n : 16, "://", 3);
	if (scheme_end) {
		const char *auth = scheme_end + 3, *slash;
		size_t rest = n - (size_t)(auth - target);
		slash = memchr(auth, '/', rest);
		if (abs_authority) {
			abs_authority->p = auth;
			abs_authority->n = slash ? (size_t)(slash - auth) : rest;
		}
		p.p = slash ? slash : "";
		p.n = slash ? n - (size_t)(slash - target) : 0;
	}
	/* cut at the first '?' or '#': the second search looks only before the first */
	if ((cut = memchr(p.p, '?', p.n)))
		p.n = (size_t)(cut - p.p);
	if ((cut = memchr(p.p, '#', p.n)))
		p.n = (size_t)(cut - p.p);
	if (p.n > 1 && p.p[p.n - 1] == '/')
		p.n--;
	return p;
}

static bool ends_with_any(struct span p, const char *const *suffixes, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (span_ends_with(p, suffixes[i]))
			return true;
	return false;
}

#define ENDS_WITH_ANY(p, list) ends_with_any((p), (list), sizeof(list) / sizeof((list)[0]))

/* Suffixes, so any base-URL prefix ("/anthropic", "/api") still matches. */
static const char *const anthropic_paths[] = {
	"/v1/messages", "/v1/messages/count_tokens", "/v1/models", "/v1/complete",
};

static const char *const openai_paths[] = {
	"/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions",
};

static const char *const bedrock_actions[] = {
	"invoke", "invoke-with-response-stream", "converse", "converse-stream",
	"count-tokens",
};

/* .../model/{modelId}/{action}; the model id may itself contain '/' (ARNs). */
static bool is_bedrock_path(struct span p)
{
	const char *last = memrchr(p.p, '/', p.n), *model;
	struct span action, before;

	if (!last)
		return false;
	action.p = last + 1;
	action.n = p.n - (size_t)(action.p - p.p);
	before.p = p.p;
	before.n = (size_t)(last - p.p);
	for (size_t i = 0; i < sizeof(bedrock_actions) / sizeof(bedrock_actions[0]); i++) {
		if (action.n != strlen(bedrock_actions[i]) ||
		    memcmp(action.p, bedrock_actions[i], action.n) != 0)
			continue;
		model = memmem(before.p, before.n, "/model/", 7);
		return model && (size_t)(model + 7 - before.p) < before.n;
	}
	return false;
}

/* .../publishers/anthropic/models/{model}:rawPredict or :streamRawPredict */
static bool is_vertex_path(struct span p)
{
	return span_contains(p, "/publishers/anthropic/models/") &&
	       (span_ends_with(p, ":rawPredict") || span_ends_with(p, ":streamRawPredict"));
}

/* GET /v1/models/{model_id} */
static bool is_anthropic_model_path(struct span p)
{
	const char *last = memrchr(p.p, '/', p.n);
	struct span before;

	if (!last || last + 1 == p.p + p.n)
		return false;
	before.p = p.p;
	before.n = (size_t)(last - p.p);
	return span_ends_with(before, "/v1/models");
}

static enum api_family path_family(struct span p)
{
	if (p.n == 0)
		return API_UNKNOWN;
	if (is_vertex_path(p))
		return API_VERTEX;
	if (is_bedrock_path(p))
		return API_BEDROCK;
	if (span_contains(p, "/openai/deployments/"))
		return API_AZURE_OPENAI;
	if (ENDS_WITH_ANY(p, anthropic_paths) || is_anthropic_model_path(p))
		return API_ANTHROPIC;
	if (ENDS_WITH_ANY(p, openai_paths))
		return API_OPENAI;
	return API_UNKNOWN;
}

/* ------------------------------------------------------------------------ */
/* Provider entry per authority, remembered                                  */
/* ------------------------------------------------------------------------ */

/*
 * api_classify() runs on every request, and requests go to a handful of
 * hosts: parsing and lowering the authority and matching it against the
 * provider table cost more than the rest.  The answers for the last few
 * authorities are kept per thread (so api_classify stays callable from
 * several), keyed by the authority's exact text.
 */
#define PROVIDER_MEMO_SLOTS 4
#define PROVIDER_MEMO_KEY_MAX 256 /* longer authorities are not kept */

struct provider_memo {
	bool used;
	size_t len;
	char authority[PROVIDER_MEMO_KEY_MAX];
	const struct provider_host *ph; /* NULL: not a provider's host */
};

static __thread struct provider_memo provider_memo[PROVIDER_MEMO_SLOTS];
static __thread unsigned provider_memo_next; /* the slot to replace next */

/* The provider entry authority's host matches; NULL for none or no host. */
static const struct provider_host *provider_of(const char *authority)
{
	const struct provider_host *ph;
	struct provider_memo *m;
	struct host h;
	size_t len;

	if (!authority)
		return NULL;
	len = strnlen(authority, PROVIDER_MEMO_KEY_MAX);
	for (unsigned i = 0; i < PROVIDER_MEMO_SLOTS; i++) {
		m = &provider_memo[i];
		if (m->used && m->len == len && memcmp(m->authority, authority, len) == 0)
			return m->ph;
	}
	ph = host_parse(authority, &h) ? provider_host_find(&h, NULL) : NULL;
	if (len < PROVIDER_MEMO_KEY_MAX) {
		m = &provider_memo[provider_memo_next++ % PROVIDER_MEMO_SLOTS];
		m->used = true;
		m->len = len;
		memcpy(m->authority, authority, len + 1);
		m->ph = ph;
	}
	return ph;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

enum api_family api_classify(const char *authority, const char *path)
{
	struct span abs_auth, p = path_part(path, &abs_auth);
	char from_target[HOST_MAX];
	const struct provider_host *ph;

	/* Absolute-form target with no Host header (plain HTTP forward proxy). */
	if ((!authority || !authority[0]) && abs_auth.n && abs_auth.n < sizeof(from_target)) {
		memcpy(from_target, abs_auth.p, abs_auth.n);
		from_target[abs_auth.n] = '\0';
		authority = from_target;
	}
	if ((ph = provider_of(authority))) {
		/* A Foundry resource serves Claude under /anthropic/ and Azure OpenAI under /openai/. */
		if (ph->family == API_FOUNDRY && span_contains(p, "/openai/"))
			return API_AZURE_OPENAI;
		return ph->family;
	}
	return path_family(p);
}

bool api_is_provider_host(enum api_family family, const char *authority)
{
	struct host h;

	if (family == API_UNKNOWN || !host_parse(authority, &h))
		return false;
	for (size_t i = 0; i < N_PROVIDER_HOSTS; i++)
		if (provider_hosts[i].family == family &&
		    provider_host_match(&provider_hosts[i], &h, NULL))
			return true;
	return false;
}

bool api_host_region(const char *authority, char *out, size_t out_len)
{
	struct span region;
	struct host h;

	if (out && out_len)
		out[0] = '\0';
	if (!out || !out_len || !host_parse(authority, &h))
		return false;
	for (size_t i = 0; i < N_PROVIDER_HOSTS; i++) {
		if (provider_hosts[i].match != MATCH_REGION ||
		    !provider_host_match(&provider_hosts[i], &h, &region))
			continue;
		if (region.n >= out_len)
			return false;
		memcpy(out, region.p, region.n);
		out[region.n] = '\0';
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Host classes                                                              */
/* ------------------------------------------------------------------------ */

static enum host_class ipv4_class(uint32_t a)
{
	if ((a >> 24) == 127 || a == 0) /* 0.0.0.0 reaches the local host on Linux */
		return HOST_LOOPBACK;
	if ((a >> 24) == 10 || (a >> 20) == 0xac1 /* 172.16/12 */ ||
	    (a >> 16) == 0xc0a8 /* 192.168/16 */ || (a >> 16) == 0xa9fe /* 169.254/16 */ ||
	    (a >> 22) == 0x191 /* 100.64/10, carrier-grade NAT and tailnets */)
		return HOST_PRIVATE;
	return HOST_OTHER;
}

static enum host_class ipv6_class(const unsigned char b[16])
{
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero[15] = { 0 };

	if (memcmp(b, zero, 15) == 0 && (b[15] == 1 || b[15] == 0)) /* ::1 and :: */
		return HOST_LOOPBACK;
	if (memcmp(b, v4_mapped, 12) == 0)
		return ipv4_class((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
				  (uint32_t)b[14] << 8 | b[15]);
	if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)) /* fc00::/7, fe80::/10 */
		return HOST_PRIVATE;
	return HOST_OTHER;
}

/*
 * IPv4 in any form the resolver accepts ("127.1", "2130706433"), like curl.
 * inet_aton ignores text after a space, so only plain number strings go in.
 */
static bool parse_ipv4(const struct host *h, uint32_t *addr)
{
	struct in_addr in;

	if (!is_digit(h->name[0]))
		return false;
	for (size_t i = 0; i < h->len; i++) {
		char c = h->name[i];
		if (!(is_digit(c) || c == '.' || c == 'x' || (c >= 'a' && c <= 'f')))
			return false;
	}
	if (!inet_aton(h->name, &in))
		return false;
	*addr = ntohl(in.s_addr);
	return true;
}

static const char *const private_suffixes[] = {
	".local", ".internal", ".localhost", ".localdomain", ".home.arpa", ".lan",
};

static bool is_private_name(const struct host *h)
{
	if (!memchr(h->name, '.', h->len)) /* single label: "proxy", "gateway" */
		return true;
	for (size_t i = 0; i < sizeof(private_suffixes) / sizeof(private_suffixes[0]); i++)
		if (host_ends_with(h, private_suffixes[i]))
			return true;
	return false;
}

enum host_class host_classify(const char *authority)
{
	unsigned char v6[16];
	uint32_t v4;
	struct host h;

	if (!host_parse(authority, &h))
		return HOST_OTHER;
	if (h.ipv6)
		return inet_pton(AF_INET6, h.name, v6) == 1 ? ipv6_class(v6) : HOST_OTHER;
	if (parse_ipv4(&h, &v4))
		return ipv4_class(v4);
	if (strcmp(h.name, "localhost") == 0)
		return HOST_LOOPBACK;
	if (provider_host_find(&h, NULL))
		return HOST_PROVIDER;
	if (is_private_name(&h))
		return HOST_PRIVATE;
	return HOST_OTHER;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

static const char *const family_names[API_FAMILY_COUNT] = {
	[API_UNKNOWN] = "unknown",
	[API_ANTHROPIC] = "anthropic",
	[API_BEDROCK] = "bedrock",
	[API_VERTEX] = "vertex",
	[API_FOUNDRY] = "foundry",
	[API_CLAUDE_PLATFORM_AWS] = "claude-platform-aws",
	[API_OPENAI] = "openai",
	[API_AZURE_OPENAI] = "azure-openai",
};

const char *api_family_name(enum api_family f)
{
	if ((unsigned)f >= API_FAMILY_COUNT)
		return "unknown";
	return family_names[f];
}

const char *host_class_name(enum host_class c)
{
	switch (c) {
	case HOST_PROVIDER: return "provider";
	case HOST_LOOPBACK: return "loopback";
	case HOST_PRIVATE: return "private";
	case HOST_OTHER: return "other";
	}
	return "other";
}

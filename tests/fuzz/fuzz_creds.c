/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for user/creds.c and user/api.c.
 *
 * Input: the first line is a header name (and, for api_*, the authority);
 * everything after the first '\n' is the header value (and the path).  The
 * seed corpus in tests/fuzz/corpus/creds uses the same layout.
 *
 * Invariants checked:
 *  - every string field of struct credential is NUL-terminated in its array;
 *  - the fingerprint is FP_HEX_LEN lowercase hex digits and equals
 *    cred_fingerprint() of the credential part (SigV4: of the key id);
 *  - classification is deterministic, byte for byte;
 *  - secrecy: fields that may hold text taken from the value hold only the
 *    text they are allowed to (the scheme word from its position, SigV4
 *    scope parts of their fixed shapes), the problem text is one of the
 *    fixed strings, and no 8-byte window of the credential part appears in
 *    the fingerprint;
 *  - kind-specific facts are empty for other kinds;
 *  - api_* results are in range; a region is a substring of the authority.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, strcasestr */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "creds.h"
#include "fuzz_common.h"

static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

#define TERMINATED(f) CHECK(terminated((f), sizeof(f)))

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static bool is_auth_header(const char *h)
{
	return !strcmp(h, "authorization") || !strcmp(h, "proxy-authorization") ||
	       !strcmp(h, "cf-aig-authorization");
}

/* The value with OWS trimmed, and (when a scheme was reported) after it. */
static void credential_part(const struct credential *c, const char *v, size_t n,
			    const char **cp, size_t *cn)
{
	size_t slen = strlen(c->scheme);

	while (n && is_ows(*v))
		v++, n--;
	while (n && is_ows(v[n - 1]))
		n--;
	if (slen) {
		/* The scheme must be the first word of the value, exactly. */
		CHECK(is_auth_header(c->header));
		CHECK(slen <= n && memcmp(v, c->scheme, slen) == 0);
		CHECK(slen == n || is_ows(v[slen]));
		v += slen, n -= slen;
		while (n && is_ows(*v))
			v++, n--;
	}
	*cp = v;
	*cn = n;
}

static const char *const problems[] = {
	"", "quoted", "trailing newline", "surrounding whitespace", "contains whitespace",
	"truncated", "not valid base64", "decodes to unexpected content",
	"base64url instead of base64",
};

static bool known_problem(const char *p)
{
	for (size_t i = 0; i < sizeof(problems) / sizeof(problems[0]); i++)
		if (!strcmp(p, problems[i]))
			return true;
	return false;
}

static bool all_chars(const char *s, const char *allowed_extra, bool lower_only)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (!lower_only && c >= 'A' && c <= 'Z') || (c && strchr(allowed_extra, c));
		if (!ok)
			return false;
	}
	return true;
}

/* A SigV4 scope part must sit in the value between '/' separators. */
static bool scope_part_in_value(const char *part, const char *v, size_t n)
{
	char needle[64];
	int len = snprintf(needle, sizeof(needle), "/%s", part);
	return len > 0 && (size_t)len < sizeof(needle) && memmem(v, n, needle, (size_t)len);
}

/* The signed header list must be (case-insensitively) text right after a '='. */
static bool follows_equals_ci(const char *field, const char *v, size_t n)
{
	size_t fl = strlen(field);
	for (size_t i = 0; i + fl <= n; i++) {
		size_t k = i;
		if (i == 0)
			continue;
		while (k > 0 && is_ows(v[k - 1]))
			k--;
		if (k > 0 && v[k - 1] == '=' && strncasecmp(v + i, field, fl) == 0)
			return true;
	}
	return false;
}

static void check_sigv4(const struct credential *c, const char *v, size_t n)
{
	const struct sigv4_facts *f = &c->sigv4;

	TERMINATED(f->key_prefix);
	TERMINATED(f->date);
	TERMINATED(f->region);
	TERMINATED(f->service);
	TERMINATED(f->signed_headers);
	if (c->kind != CRED_AWS_SIGV4) {
		static const struct sigv4_facts zero;
		CHECK(memcmp(f, &zero, sizeof(zero)) == 0);
		return;
	}
	CHECK(f->key_prefix[0] == '\0' ||
	      (strlen(f->key_prefix) == 4 && strspn(f->key_prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 4));
	if (f->key_prefix[0])
		CHECK(memmem(v, n, f->key_prefix, 4));
	CHECK(f->date[0] == '\0' || (strlen(f->date) == 8 && all_chars(f->date, "", true) &&
				     strspn(f->date, "0123456789") == 8));
	CHECK(all_chars(f->region, "-", true) && all_chars(f->service, "-", true));
	CHECK(all_chars(f->signed_headers, ";!#$%&'*+-.^_`|~", true));
	if (f->date[0])
		CHECK(scope_part_in_value(f->date, v, n));
	if (f->region[0])
		CHECK(scope_part_in_value(f->region, v, n));
	if (f->service[0])
		CHECK(scope_part_in_value(f->service, v, n));
	if (f->signed_headers[0])
		CHECK(follows_equals_ci(f->signed_headers, v, n));
	if (f->well_formed)
		CHECK(f->date[0] && f->region[0] && f->service[0] && f->signed_headers[0]);
}

static void check_bedrock(const struct credential *c)
{
	const struct bedrock_key_facts *b = &c->bedrock;

	TERMINATED(b->problem);
	CHECK(known_problem(b->problem));
	if (c->kind == CRED_BEDROCK_API_KEY) {
		CHECK(c->looks_like_bedrock_key && b->decodes && b->problem[0] == '\0');
		CHECK(b->long_term != b->short_term);
	} else if (c->looks_like_bedrock_key) {
		CHECK(c->kind == CRED_UNKNOWN && !b->decodes && b->problem[0]);
		CHECK(b->long_term != b->short_term);
	} else {
		CHECK(!b->long_term && !b->short_term && !b->decodes && b->problem[0] == '\0');
	}
}

/* No 8-byte window of the secret part may appear in these derived fields. */
static void check_no_window(const char *secret, size_t n, const char *field)
{
	size_t fl = strlen(field);
	for (size_t i = 0; i + 8 <= n && fl >= 8; i++)
		CHECK(memmem(field, fl, secret + i, 8) == NULL);
}

static void check_credential(const char *header, const char *v, size_t n)
{
	struct credential c, again;
	const char *cp;
	size_t cn;
	char fp[FP_HEX_LEN + 1];

	cred_classify(header, v, n, &c);
	cred_classify(header, v, n, &again);
	CHECK(memcmp(&c, &again, sizeof(c)) == 0);

	TERMINATED(c.header);
	TERMINATED(c.scheme);
	TERMINATED(c.fingerprint);
	CHECK((unsigned)c.kind < CRED_KIND_COUNT);
	CHECK(cred_kind_name(c.kind) != NULL);
	CHECK(strlen(c.fingerprint) == FP_HEX_LEN);
	CHECK(strspn(c.fingerprint, "0123456789abcdef") == FP_HEX_LEN);
	CHECK(c.length <= n);

	credential_part(&c, v, n, &cp, &cn);
	CHECK(c.length == cn);
	if (c.kind != CRED_AWS_SIGV4) {
		cred_fingerprint(cp, cn, fp);
		CHECK(strcmp(fp, c.fingerprint) == 0);
	}
	if (c.kind != CRED_JWT)
		CHECK(c.jwt_exp == 0);
	CHECK(!c.looks_like_openai_key || c.kind == CRED_OPENAI_API_KEY);
	CHECK(!c.looks_like_azure_key || c.kind == CRED_UNKNOWN);
	check_sigv4(&c, v, n);
	check_bedrock(&c);
	/* bedrock.problem is checked against the fixed texts instead: a window
	 * test would flag a value that merely contains the word "truncated". */
	check_no_window(cp, cn, c.fingerprint);
	if (header[0])
		(void)cred_is_default_header(c.header);
}

static void check_api(const char *authority, const char *path)
{
	static const size_t sizes[] = { 1, 2, 5, 10, 64 };
	enum api_family f = api_classify(authority, path);
	enum host_class hc = host_classify(authority);
	char region[64];

	CHECK((unsigned)f < API_FAMILY_COUNT);
	CHECK(api_family_name(f) != NULL);
	CHECK(hc <= HOST_OTHER && host_class_name(hc) != NULL);
	for (int g = 0; g <= API_FAMILY_COUNT; g++)
		if (api_is_provider_host((enum api_family)g, authority))
			CHECK(hc == HOST_PROVIDER && g != API_UNKNOWN && g != API_FAMILY_COUNT);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(region, 'Z', sizeof(region));
		if (api_host_region(authority, region, sizes[i])) {
			CHECK(strlen(region) < sizes[i]);
			CHECK(region[0] && strcasestr(authority, region));
			CHECK(hc == HOST_PROVIDER);
		} else {
			CHECK(region[0] == '\0');
		}
	}
	CHECK(!api_host_region(authority, NULL, 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	size_t vlen = nl ? size - hlen - 1 : 0;
	char *header = malloc(hlen + 1), *value = malloc(vlen + 1);

	if (!header || !value) {
		free(header);
		free(value);
		return 0;
	}
	memcpy(header, data, hlen);
	header[hlen] = '\0';
	memcpy(value, nl ? nl + 1 : data, vlen);
	value[vlen] = '\0';

	check_credential(header, value, vlen);
	/* The same value under an authorization header exercises scheme splitting. */
	check_credential("authorization", value, vlen);
	/* api_* take C strings: up to the first NUL. */
	check_api(header, value);
	check_api(NULL, value);

	free(header);
	free(value);
	return 0;
}

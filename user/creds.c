/* SPDX-License-Identifier: MIT */
/*
 * Credential classification: the only code in authtrace that reads secret
 * values.  A header value goes in; a kind, a length, a fingerprint and a few
 * non-secret facts come out.  Nothing else is kept.
 *
 * Secrecy rules this file follows:
 *  - Nothing is copied from the credential into struct credential except
 *    facts that are not secret: the Authorization scheme word, the first four
 *    letters of an AWS access key id ("AKIA"), the SigV4 scope (date, region,
 *    service) and signed header names, and a JWT's numeric "exp" claim.
 *  - Decoding (base64 for Bedrock keys, base64url + JSON for JWTs) happens in
 *    bounded stack buffers that are wiped with cred_wipe() before returning.
 *  - The fingerprint is a domain-separated SHA-256, never a substring.
 *
 * What the fingerprint (and length) cover:
 *  - the credential: for authorization-style headers the value after the
 *    scheme word, otherwise the whole value; in both cases with HTTP OWS
 *    (space, tab) trimmed at both ends, because OWS is not part of a field
 *    value.  CR/LF are kept, so a key with a stray newline fingerprints
 *    differently from the clean key (and a Bedrock key says why);
 *  - Basic: the base64 token as sent;
 *  - SigV4: only the access key id from Credential=KEYID/..., so every
 *    request signed with one key has one fingerprint (the signature changes
 *    per request).  Without a Credential= part, the whole credential.
 *
 * The common path (one API key or bearer token per request) allocates
 * nothing itself: prefix checks, one short placeholder scan and one SHA-256
 * with a reused digest context.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero */
#endif
#include "creds.h"
#include "credcache.h"

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Byte spans and ASCII helpers (locale-independent on purpose)              */
/* ------------------------------------------------------------------------ */

struct span {
	const unsigned char *p;
	size_t n;
};

static struct span span_of(const void *p, size_t n)
{
	struct span s = { p ? p : (const void *)"", p ? n : 0 };
	return s;
}

static struct span span_drop(struct span s, size_t k)
{
	if (k > s.n)
		k = s.n;
	s.p += k;
	s.n -= k;
	return s;
}

static struct span span_take(struct span s, size_t k)
{
	if (k < s.n)
		s.n = k;
	return s;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* HTTP optional whitespace: what a header parser strips around a value. */
static bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static bool is_newline(unsigned char c) { return c == '\r' || c == '\n'; }
static bool is_quote(unsigned char c) { return c == '"' || c == '\'' || c == '`'; }

static struct span trim_ows(struct span s)
{
	while (s.n && is_ows(s.p[0]))
		s = span_drop(s, 1);
	while (s.n && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool span_is_blank(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_space(s.p[i]))
			return false;
	return true;
}

/*
 * String literals with their length, so the hot path never calls strlen:
 * LIT("x") at call sites, L("x") in static tables.
 */
struct lit {
	const char *s;
	size_t n;
};

#define L(x) { (x), sizeof(x) - 1 }
#define LIT(x) ((struct lit)L(x))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool span_has_prefix(struct span s, struct lit l)
{
	return s.n >= l.n && memcmp(s.p, l.s, l.n) == 0;
}

static bool span_has_prefix_ci(struct span s, struct lit l)
{
	if (s.n < l.n)
		return false;
	for (size_t i = 0; i < l.n; i++)
		if (ascii_lower(s.p[i]) != ascii_lower((unsigned char)l.s[i]))
			return false;
	return true;
}

static bool span_equals(struct span s, struct lit l)
{
	return s.n == l.n && span_has_prefix(s, l);
}

static bool span_equals_ci(struct span s, struct lit l)
{
	return s.n == l.n && span_has_prefix_ci(s, l);
}

static bool span_contains(struct span s, struct lit l)
{
	return memmem(s.p, s.n, l.s, l.n) != NULL;
}

/* l must be lowercase and start with a letter. */
static bool span_contains_ci(struct span s, struct lit l)
{
	/* c | 0x20 folds only 'P' onto 'p' (for letters): a cheap first-byte filter. */
	unsigned char first = (unsigned char)l.s[0];
	for (size_t i = 0; l.n && i + l.n <= s.n; i++)
		if ((s.p[i] | 0x20) == first && span_has_prefix_ci(span_drop(s, i), l))
			return true;
	return false;
}

static bool span_all(struct span s, bool (*pred)(unsigned char))
{
	for (size_t i = 0; i < s.n; i++)
		if (!pred(s.p[i]))
			return false;
	return true;
}

/* Copy a non-secret fact into a fixed field: truncated, NUL-terminated. */
static void copy_fact(char *dst, size_t cap, struct span src)
{
	size_t n = src.n < cap - 1 ? src.n : cap - 1;
	memcpy(dst, src.p, n);
	dst[n] = '\0';
}

static void set_problem(struct bedrock_key_facts *b, const char *text)
{
	copy_fact(b->problem, sizeof(b->problem), span_of(text, strlen(text)));
}

/* ------------------------------------------------------------------------ */
/* Public small helpers                                                      */
/* ------------------------------------------------------------------------ */

void cred_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

static const char *const kind_names[CRED_KIND_COUNT] = {
	[CRED_UNKNOWN] = "unknown",
	[CRED_ANTHROPIC_API_KEY] = "anthropic-api-key",
	[CRED_ANTHROPIC_OAUTH_TOKEN] = "anthropic-oauth-token",
	[CRED_ANTHROPIC_ADMIN_KEY] = "anthropic-admin-key",
	[CRED_ANTHROPIC_REFRESH_TOKEN] = "anthropic-refresh-token",
	[CRED_AWS_SIGV4] = "aws-sigv4",
	[CRED_BEDROCK_API_KEY] = "bedrock-api-key",
	[CRED_GOOGLE_ACCESS_TOKEN] = "google-access-token",
	[CRED_JWT] = "jwt",
	[CRED_OPENAI_API_KEY] = "openai-api-key",
	[CRED_BASIC] = "basic",
	[CRED_PLACEHOLDER] = "placeholder",
	[CRED_EMPTY] = "empty",
};

const char *cred_kind_name(enum cred_kind kind)
{
	if ((unsigned)kind >= CRED_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

/* name_lc[0..len) is the literal (a length the caller has matched) */
#define NAME_IS(lit) (memcmp(name_lc, lit, sizeof(lit) - 1) == 0)

bool cred_is_default_header_n(const char *name_lc, size_t len)
{
	/* called for every header of every request: sorted out by length first */
	switch (len) {
	case 7:
		return NAME_IS("api-key");
	case 9:
		return NAME_IS("x-api-key");
	case 13:
		return NAME_IS("authorization");
	case 14:
		return NAME_IS("x-goog-api-key");
	case 17:
		return NAME_IS("x-portkey-api-key") || NAME_IS("x-litellm-api-key");
	case 19:
		return NAME_IS("proxy-authorization");
	case 20:
		return NAME_IS("x-amz-security-token") || NAME_IS("cf-aig-authorization");
	case 25:
		return NAME_IS("ocp-apim-subscription-key");
	default:
		return false;
	}
}

bool cred_is_default_header(const char *name_lc)
{
	return name_lc && cred_is_default_header_n(name_lc, strlen(name_lc));
}

/* ------------------------------------------------------------------------ */
/* Fingerprint                                                               */
/* ------------------------------------------------------------------------ */

/* Domain separation: "authtrace-fp-v1" plus its NUL byte. */
static const char fp_domain[] = "authtrace-fp-v1";

/*
 * One digest context per thread, reused for every fingerprint: creating a
 * context (and, with OpenSSL 3, fetching the algorithm) costs more than
 * hashing a 100-byte key.  The collector is single-threaded; a thread that
 * exits leaves its context behind (a few hundred bytes).  OpenSSL's SHA-256
 * final step cleanses the block buffer, so no key bytes stay in the context.
 */
static __thread EVP_MD_CTX *fp_ctx;
static __thread const EVP_MD *fp_md;

static const EVP_MD *fp_digest_md(void)
{
	if (!fp_md) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		fp_md = EVP_MD_fetch(NULL, "SHA256", NULL); /* explicit fetch: no per-call lookup */
#endif
		if (!fp_md)
			fp_md = EVP_sha256();
	}
	return fp_md;
}

static bool fp_digest_with(EVP_MD_CTX *ctx, const void *value, size_t len,
			   unsigned char md[EVP_MAX_MD_SIZE])
{
	unsigned int md_len = 0;
	return EVP_DigestInit_ex(ctx, fp_digest_md(), NULL) == 1 &&
	       EVP_DigestUpdate(ctx, fp_domain, sizeof(fp_domain)) == 1 && /* includes the NUL */
	       EVP_DigestUpdate(ctx, value, len) == 1 &&
	       EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len >= FP_HEX_LEN / 2;
}

static bool fp_digest(const void *value, size_t len, unsigned char md[EVP_MAX_MD_SIZE])
{
	EVP_MD_CTX *tmp;
	bool ok;

	if (!fp_ctx)
		fp_ctx = EVP_MD_CTX_new();
	if (fp_ctx && fp_digest_with(fp_ctx, value, len, md))
		return true;
	/* The cached context failed (should not happen): try a fresh one. */
	tmp = EVP_MD_CTX_new();
	ok = tmp && fp_digest_with(tmp, value, len, md);
	EVP_MD_CTX_free(tmp);
	return ok;
}

void cred_fingerprint(const void *value, size_t len, char out[FP_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE] = { 0 };

	if (!value)
		value = "", len = 0;
	/* On a library failure md stays zero: a constant, never part of the value. */
	(void)fp_digest(value, len, md);
	for (size_t i = 0; i < FP_HEX_LEN; i++)
		out[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[FP_HEX_LEN] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Base64                                                                    */
/* ------------------------------------------------------------------------ */

enum b64_alphabet { B64_STD, B64_URL };

static int b64_value(unsigned char c, enum b64_alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (a == B64_URL ? '-' : '+'))
		return 62;
	if (c == (a == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

enum b64_check { B64_OK, B64_BAD_CHAR, B64_BAD_LENGTH };

/*
 * Check a standard, padded base64 string without decoding it: every byte in
 * the alphabet, '=' only as one or two final characters, length a multiple
 * of four.  A string that is all alphabet but the wrong length is reported
 * separately: that is what a truncated key looks like.
 */
static enum b64_check b64_check_padded(struct span s, enum b64_alphabet a)
{
	size_t pads = 0;
	while (pads < 2 && pads < s.n && s.p[s.n - 1 - pads] == '=')
		pads++;
	for (size_t i = 0; i < s.n - pads; i++)
		if (b64_value(s.p[i], a) < 0)
			return B64_BAD_CHAR;
	return s.n % 4 ? B64_BAD_LENGTH : B64_OK;
}

/*
 * Decode s into dst.  padded: length must be a multiple of four with up to
 * two trailing '='; unpadded (base64url as in JWTs): no '=' at all.
 * Returns the decoded length, -1 when s is not valid, -2 when it does not fit.
 */
static long b64_decode(struct span s, enum b64_alphabet a, bool padded,
		       unsigned char *dst, size_t cap)
{
	size_t data = s.n, out_len, o = 0;
	unsigned acc = 0, bits = 0;

	if (padded) {
		if (s.n % 4)
			return -1;
		while (s.n - data < 2 && data && s.p[data - 1] == '=')
			data--;
	} else if (s.n % 4 == 1) {
		return -1;
	}
	out_len = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
	if (out_len > cap)
		return -2;
	for (size_t i = 0; i < data; i++) {
		int v = b64_value(s.p[i], a);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

/* ------------------------------------------------------------------------ */
/* Authorization scheme                                                      */
/* ------------------------------------------------------------------------ */

static bool is_authorization_style(const char *header)
{
	return strcmp(header, "authorization") == 0 ||
	       strcmp(header, "proxy-authorization") == 0 ||
	       strcmp(header, "cf-aig-authorization") == 0;
}

static const struct lit known_schemes[] = {
	L("Bearer"), L("Basic"), L("Digest"), L("Negotiate"), L("NTLM"), L("AWS4-HMAC-SHA256"),
	L("AWS4-ECDSA-P256-SHA256"), L("AWS"), L("Token"), L("ApiKey"), L("Api-Key"), L("Key"),
	L("OAuth"), L("DPoP"), L("HOBA"), L("Mutual"), L("SCRAM-SHA-1"), L("SCRAM-SHA-256"),
	L("vapid"), L("SSWS"), L("GoogleLogin"), L("SharedKey"), L("SharedKeyLite"), L("Hawk"),
	L("MAC"), L("JWT"), L("Bot"),
};

static bool is_known_scheme(struct span word)
{
	for (size_t i = 0; i < COUNT(known_schemes); i++)
		if (span_equals_ci(word, known_schemes[i]))
			return true;
	return false;
}

/*
 * A first word that is not a known scheme is still taken as one when it is
 * shaped like an auth-scheme name: letters, single '-' between runs, short.
 * Anything with digits or other punctuation ("sk-ant-...") stays part of the
 * credential, so a secret that happens to come first is never stored.
 */
static bool looks_like_scheme_word(struct span w)
{
	if (is_known_scheme(w))
		return true;
	if (w.n == 0 || w.n > 24 || !is_alpha(w.p[0]) || !is_alpha(w.p[w.n - 1]))
		return false;
	for (size_t i = 0; i < w.n; i++) {
		if (is_alpha(w.p[i]))
			continue;
		if (w.p[i] != '-' || w.p[i - 1] == '-')
			return false;
	}
	return true;
}

/*
 * Split "Scheme credential": returns the credential (OWS-trimmed) and stores
 * the scheme word as sent.  A lone word is a scheme only when it is a known
 * one ("Bearer" with nothing after it); otherwise it is the credential.
 */
static struct span split_scheme(struct span value, char scheme[CRED_SCHEME_MAX])
{
	struct span v = trim_ows(value), word;
	size_t i = 0;

	while (i < v.n && !is_ows(v.p[i]))
		i++;
	word = span_take(v, i);
	if (i == v.n ? !is_known_scheme(word) : !looks_like_scheme_word(word))
		return v;
	copy_fact(scheme, CRED_SCHEME_MAX, word);
	return trim_ows(span_drop(v, i));
}

/* ------------------------------------------------------------------------ */
/* Placeholders                                                              */
/* ------------------------------------------------------------------------ */

/* Key-family prefixes stripped before looking for a placeholder body. */
static const struct lit placeholder_key_prefixes[] = {
	L("sk-ant-api03-"), L("sk-ant-oat01-"), L("sk-ant-admin01-"), L("sk-ant-ort01-"),
	L("sk-ant-"), L("sk-proj-"), L("sk-svcacct-"), L("sk-admin-"), L("sk-or-v1-"), L("sk-"),
};

/* Words that make a placeholder when the body starts with them as a word. */
static const struct lit placeholder_words[] = {
	L("placeholder"), L("dummy"), L("changeme"), L("change-me"), L("change_me"),
	L("not-needed"), L("not_needed"), L("notneeded"), L("not-required"), L("none"), L("null"),
	L("undefined"), L("test"), L("fake"), L("anything"), L("your"), L("example"), L("sample"),
	L("redacted"), L("replace"), L("insert"), L("todo"), L("mock"),
};

/* Whole bodies that are placeholders, too short to be used as a prefix. */
static const struct lit placeholder_exact[] = {
	L("nil"), L("na"), L("n/a"), L("key"), L("token"), L("apikey"), L("api-key"), L("api_key"),
	L("secret"), L("password"), L("empty"), L("unused"), L("nokey"), L("no-key"), L("noauth"),
	L("no-auth"), L("foo"), L("bar"), L("abc"), L("abc123"), L("123"), L("1234"), L("12345"),
	L("123456"), L("-"), L("x"),
};

/* Values this short are never real keys, so "testkey" needs no separator. */
#define PLACEHOLDER_SHORT_LEN 24

static bool is_identifier(struct span s)
{
	if (s.n == 0 || !(is_alpha(s.p[0]) || s.p[0] == '_'))
		return false;
	for (size_t i = 1; i < s.n; i++)
		if (!(is_alnum(s.p[i]) || s.p[i] == '_'))
			return false;
	return true;
}

/* "<your key>", "${ANTHROPIC_API_KEY}", "{{api_key}}", "$(cmd)", "$VAR", "%VAR%". */
static bool is_unexpanded_template(struct span c)
{
	unsigned char first = c.p[0], last = c.p[c.n - 1];

	if (c.n >= 3 && first == '<' && last == '>')
		return true;
	if (c.n >= 3 && (span_has_prefix(c, LIT("${")) || span_has_prefix(c, LIT("$("))) &&
	    (last == '}' || last == ')'))
		return true;
	if (c.n >= 4 && span_has_prefix(c, LIT("{{")) && c.p[c.n - 2] == '}' && last == '}')
		return true;
	if (first == '$' && is_identifier(span_drop(c, 1)))
		return true;
	return c.n >= 3 && first == '%' && last == '%' &&
	       is_identifier(span_take(span_drop(c, 1), c.n - 2));
}

static bool is_filler_char(unsigned char c)
{
	return c == 'x' || c == 'X' || c == '*' || c == '.' || c == '-' || c == '_';
}

/* "xxxx", "****", "sk-ant-api03-...": redacted or template bodies. */
static bool is_filler(struct span body)
{
	return body.n >= 3 && span_all(body, is_filler_char);
}

static bool starts_with_placeholder_word(struct span body, bool short_value)
{
	for (size_t i = 0; i < COUNT(placeholder_words); i++) {
		size_t n = placeholder_words[i].n;
		if (!span_has_prefix_ci(body, placeholder_words[i]))
			continue;
		/* A whole word ("test", "test-key", "dummy_token"), or any short value. */
		if (body.n == n || !is_alnum(body.p[n]) || short_value)
			return true;
	}
	return false;
}

static bool is_exact_placeholder(struct span body)
{
	for (size_t i = 0; i < COUNT(placeholder_exact); i++)
		if (span_equals_ci(body, placeholder_exact[i]))
			return true;
	return false;
}

static struct span strip_key_family_prefix(struct span c)
{
	for (size_t i = 0; i < COUNT(placeholder_key_prefixes); i++)
		if (span_has_prefix_ci(c, placeholder_key_prefixes[i]))
			return span_drop(c, placeholder_key_prefixes[i].n);
	return c;
}

/*
 * Placeholders only match as a whole value or as a clear word at the start
 * of the key body, so a real key whose random body contains "test" is never
 * one.  The exception is "placeholder" itself, which no random body contains
 * by chance and which credential-isolation proxies put mid-value on purpose.
 */
static bool is_placeholder(struct span c)
{
	struct span body;

	if (span_contains_ci(c, LIT("placeholder")) || is_unexpanded_template(c))
		return true;
	body = strip_key_family_prefix(c);
	if (body.n == 0) /* a bare "sk-ant-api03-" */
		return true;
	return is_filler(body) || is_exact_placeholder(body) ||
	       starts_with_placeholder_word(body, c.n <= PLACEHOLDER_SHORT_LEN);
}

/* ------------------------------------------------------------------------ */
/* AWS SigV4                                                                 */
/* ------------------------------------------------------------------------ */

struct sigv4_params {
	struct span credential, signed_headers, signature;
	bool has_credential, has_signed_headers, has_signature;
};

static void sigv4_take_param(struct sigv4_params *sp, struct span item)
{
	const unsigned char *eq = memchr(item.p, '=', item.n);
	struct span name, val;

	if (!eq)
		return;
	name = trim_ows(span_take(item, (size_t)(eq - item.p)));
	val = trim_ows(span_drop(item, (size_t)(eq - item.p) + 1));
	if (span_equals_ci(name, LIT("Credential")) && !sp->has_credential)
		sp->credential = val, sp->has_credential = true;
	else if (span_equals_ci(name, LIT("SignedHeaders")) && !sp->has_signed_headers)
		sp->signed_headers = val, sp->has_signed_headers = true;
	else if (span_equals_ci(name, LIT("Signature")) && !sp->has_signature)
		sp->signature = val, sp->has_signature = true;
}

/* "Credential=..., SignedHeaders=..., Signature=..." (spaces after ',' optional). */
static struct sigv4_params sigv4_split(struct span s)
{
	struct sigv4_params sp = { 0 };
	while (s.n) {
		const unsigned char *comma = memchr(s.p, ',', s.n);
		size_t len = comma ? (size_t)(comma - s.p) : s.n;
		sigv4_take_param(&sp, trim_ows(span_take(s, len)));
		s = span_drop(s, comma ? len + 1 : len);
	}
	return sp;
}

static bool is_scope_char(unsigned char c)
{
	return is_lower(c) || is_digit(c) || c == '-';
}

/* Region and service names: lowercase label starting with a letter. */
static bool is_scope_label(struct span s, size_t max)
{
	return s.n > 0 && s.n <= max && is_lower(s.p[0]) && span_all(s, is_scope_char);
}

static bool is_key_id_char(unsigned char c) { return is_upper(c) || is_digit(c); }

/* Header-name characters (RFC 9110 tchar) plus the ';' separator. */
static bool is_signed_headers_char(unsigned char c)
{
	return is_alnum(c) || (c && strchr(";!#$%&'*+-.^_`|~", c));
}

/* Copy the signed header names, lowercase, cut at a ';' so no name is half. */
static bool sigv4_signed_headers(struct span sh, struct sigv4_facts *f)
{
	size_t cap = sizeof(f->signed_headers) - 1, n = sh.n;

	if (sh.n == 0 || !span_all(sh, is_signed_headers_char) || sh.p[0] == ';' ||
	    sh.p[sh.n - 1] == ';' || memmem(sh.p, sh.n, ";;", 2))
		return false;
	if (n > cap) {
		n = cap;
		while (n && sh.p[n] != ';')
			n--;
	}
	for (size_t i = 0; i < n; i++)
		f->signed_headers[i] = (char)ascii_lower(sh.p[i]);
	f->signed_headers[n] = '\0';
	return true;
}

/*
 * Credential=KEYID/yyyymmdd/region/service/aws4_request.  Copies the scope
 * parts that have their expected shape (a secret that ended up in the wrong
 * slot would not have it) and the key id's four-letter type prefix.  Returns
 * the key id span, the only part the fingerprint covers.
 */
static struct span sigv4_scope(struct span cred, struct sigv4_facts *f, bool *sane)
{
	struct span part[6];
	size_t count = 0;
	struct span rest = cred;

	while (count < 6) {
		const unsigned char *slash = memchr(rest.p, '/', rest.n);
		size_t len = (slash && count < 5) ? (size_t)(slash - rest.p) : rest.n;
		part[count++] = span_take(rest, len);
		if (len == rest.n)
			break;
		rest = span_drop(rest, len + 1);
	}
	if (part[0].n >= 4 && span_all(span_take(part[0], 4), is_upper))
		copy_fact(f->key_prefix, sizeof(f->key_prefix), span_take(part[0], 4));
	if (count > 1 && part[1].n == 8 && span_all(part[1], is_digit))
		copy_fact(f->date, sizeof(f->date), part[1]);
	if (count > 2 && is_scope_label(part[2], sizeof(f->region) - 1))
		copy_fact(f->region, sizeof(f->region), part[2]);
	if (count > 3 && is_scope_label(part[3], sizeof(f->service) - 1))
		copy_fact(f->service, sizeof(f->service), part[3]);
	*sane = count == 5 && part[0].n >= 16 && part[0].n <= 128 &&
		span_all(part[0], is_key_id_char) && f->date[0] && f->region[0] &&
		f->service[0] && span_equals(part[4], LIT("aws4_request"));
	return part[0];
}

/* Parses SigV4 facts; returns what the fingerprint covers. */
static struct span classify_sigv4(struct span cred, struct sigv4_facts *f)
{
	struct sigv4_params sp = sigv4_split(cred);
	struct span key_id = cred; /* no Credential=: fingerprint the whole value */
	bool scope_ok = false, headers_ok = false, signature_ok;

	if (sp.has_credential)
		key_id = sigv4_scope(sp.credential, f, &scope_ok);
	if (sp.has_signed_headers)
		headers_ok = sigv4_signed_headers(sp.signed_headers, f);
	signature_ok = sp.has_signature && sp.signature.n == 64 && span_all(sp.signature, is_hex);
	f->well_formed = scope_ok && headers_ok && signature_ok;
	return key_id;
}

/* ------------------------------------------------------------------------ */
/* Bedrock API keys                                                          */
/* ------------------------------------------------------------------------ */

#define BEDROCK_LONG_PREFIX "ABSK"
#define BEDROCK_SHORT_PREFIX "bedrock-api-key-"

/* What a key body must decode to: a fixed prefix, then (long-term) "id:secret". */
struct bedrock_content {
	const char *prefix;
	size_t prefix_len;
	bool want_colon;
	size_t seen;
	size_t colon_at; /* offset of the first ':' after the prefix, 0 if none yet */
	bool mismatch;
};

static void bedrock_content_feed(struct bedrock_content *m, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n && !m->mismatch; i++, m->seen++) {
		if (m->seen < m->prefix_len)
			m->mismatch = p[i] != (unsigned char)m->prefix[m->seen];
		else if (m->want_colon && !m->colon_at && p[i] == ':')
			m->colon_at = m->seen;
	}
}

static bool bedrock_content_decided(const struct bedrock_content *m)
{
	return m->mismatch || (m->seen > m->prefix_len && (!m->want_colon || m->colon_at));
}

static bool bedrock_content_ok(const struct bedrock_content *m)
{
	if (m->mismatch || m->seen < m->prefix_len)
		return false;
	if (!m->want_colon)
		return true;
	/* "BedrockAPIKey-<id>:<secret>": non-empty id and secret. */
	return m->colon_at > m->prefix_len && m->seen > m->colon_at + 1;
}

/*
 * Decode a (pre-checked) padded base64 body in small chunks, feeding the
 * content matcher, and stop as soon as the answer is known.  Key bodies are a
 * few hundred bytes, but nothing here depends on that.
 */
static bool bedrock_body_decodes(struct span body, enum b64_alphabet a, bool long_term)
{
	enum { CHUNK = 252 }; /* encoded chars per step, a multiple of 4 */
	unsigned char buf[CHUNK / 4 * 3];
	struct bedrock_content m = {
		.prefix = long_term ? "BedrockAPIKey-" : "bedrock.amazonaws.com",
		.want_colon = long_term,
	};
	bool ok = true;

	m.prefix_len = strlen(m.prefix);
	while (body.n && ok && !bedrock_content_decided(&m)) {
		struct span piece = span_take(body, CHUNK);
		long got;
		body = span_drop(body, piece.n);
		/* '=' only in the final piece (b64_decode would accept it at the end of any). */
		if (body.n && memchr(piece.p, '=', piece.n))
			got = -1;
		else
			got = b64_decode(piece, a, true, buf, sizeof(buf));
		ok = got >= 0;
		if (ok)
			bedrock_content_feed(&m, buf, (size_t)got);
	}
	cred_wipe(buf, sizeof(buf));
	return ok && bedrock_content_ok(&m);
}

/* Why a Bedrock-looking body is not a usable key; NULL when it is one. */
static const char *bedrock_body_problem(struct span body, bool long_term)
{
	enum b64_check check;

	if (body.n == 0)
		return "truncated";
	for (size_t i = 0; i < body.n; i++)
		if (is_space(body.p[i]))
			return "contains whitespace";
	check = b64_check_padded(body, B64_STD);
	if (check == B64_OK)
		return bedrock_body_decodes(body, B64_STD, long_term)
			       ? NULL
			       : "decodes to unexpected content";
	/* Re-encoded with the URL-safe alphabet: a distinct, fixable mistake. */
	if (b64_check_padded(body, B64_URL) == B64_OK &&
	    bedrock_body_decodes(body, B64_URL, long_term))
		return "base64url instead of base64";
	return check == B64_BAD_LENGTH ? "truncated" : "not valid base64";
}

/*
 * Returns true when the credential looks like a Bedrock API key (even a
 * broken one) and fills the facts.  Quotes and whitespace around it are
 * peeled off first so that their presence can be named as the defect.
 */
static bool classify_bedrock(struct span c, struct bedrock_key_facts *b)
{
	bool quoted = false, trailing_newline = false, whitespace = false;
	const char *problem;
	struct span core = c, body;

	for (;;) {
		if (core.n && (is_quote(core.p[0]) || is_space(core.p[0]))) {
			quoted |= is_quote(core.p[0]);
			whitespace |= is_space(core.p[0]);
			core = span_drop(core, 1);
		} else if (core.n && (is_quote(core.p[core.n - 1]) || is_space(core.p[core.n - 1]))) {
			quoted |= is_quote(core.p[core.n - 1]);
			trailing_newline |= is_newline(core.p[core.n - 1]);
			whitespace |= is_space(core.p[core.n - 1]);
			core.n--;
		} else {
			break;
		}
	}
	if (span_has_prefix(core, LIT(BEDROCK_LONG_PREFIX))) {
		b->long_term = true;
		body = span_drop(core, sizeof(BEDROCK_LONG_PREFIX) - 1);
	} else if (span_has_prefix(core, LIT(BEDROCK_SHORT_PREFIX))) {
		b->short_term = true;
		body = span_drop(core, sizeof(BEDROCK_SHORT_PREFIX) - 1);
	} else {
		return false;
	}
	if (quoted)
		problem = "quoted";
	else if (trailing_newline)
		problem = "trailing newline";
	else if (whitespace)
		problem = "surrounding whitespace";
	else
		problem = bedrock_body_problem(body, b->long_term);
	b->decodes = problem == NULL;
	if (problem)
		set_problem(b, problem);
	return true;
}

/* ------------------------------------------------------------------------ */
/* JWT                                                                       */
/* ------------------------------------------------------------------------ */

/*
 * A small validating JSON reader, enough to say "this is a JSON object" and
 * to read one numeric top-level member.  Bounded by the buffer and by depth;
 * nothing is allocated, so decoded claims never reach the heap.
 */
#define JSON_MAX_DEPTH 32

struct json {
	const unsigned char *p, *end;
	unsigned depth;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool json_eat(struct json *j, unsigned char c)
{
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool json_digits(struct json *j)
{
	const unsigned char *start = j->p;
	while (j->p < j->end && is_digit(*j->p))
		j->p++;
	return j->p > start;
}

static bool json_number(struct json *j)
{
	json_eat(j, '-');
	if (!json_eat(j, '0') && !json_digits(j))
		return false;
	if (json_eat(j, '.') && !json_digits(j))
		return false;
	if (json_eat(j, 'e') || json_eat(j, 'E')) {
		if (!json_eat(j, '+'))
			json_eat(j, '-');
		return json_digits(j);
	}
	return true;
}

static bool json_string(struct json *j, struct span *content)
{
	const unsigned char *start;

	if (!json_eat(j, '"'))
		return false;
	start = j->p;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p++;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (j->p >= j->end)
			return false;
		c = *j->p++;
		if (c == 'u') {
			for (int k = 0; k < 4; k++)
				if (j->p >= j->end || !is_hex(*j->p++))
					return false;
		} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
			return false;
		}
	}
	if (content)
		*content = span_of(start, (size_t)(j->p - start));
	return json_eat(j, '"');
}

static bool json_literal(struct json *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool json_object(struct json *j, int64_t *exp);
static bool json_array(struct json *j);

static bool json_value(struct json *j)
{
	json_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{': return json_object(j, NULL);
	case '[': return json_array(j);
	case '"': return json_string(j, NULL);
	case 't': return json_literal(j, "true");
	case 'f': return json_literal(j, "false");
	case 'n': return json_literal(j, "null");
	default: return json_number(j);
	}
}

static bool json_array(struct json *j)
{
	bool ok;
	if (++j->depth > JSON_MAX_DEPTH || !json_eat(j, '['))
		return false;
	json_ws(j);
	if (json_eat(j, ']'))
		ok = true;
	else
		for (;;) {
			if (!json_value(j)) {
				ok = false;
				break;
			}
			json_ws(j);
			if (json_eat(j, ',')) {
				continue;
			}
			ok = json_eat(j, ']');
			break;
		}
	j->depth--;
	return ok;
}

/*
 * JSON number text to int64, truncating any fraction, without strtod (which
 * follows the process locale).  Fails when out of range.
 */
static bool json_number_to_i64(struct span s, int64_t *out)
{
	double v = 0;
	long e10 = 0, ex = 0;
	bool neg = false, exneg = false;
	size_t i = 0;

	if (i < s.n && s.p[i] == '-')
		neg = true, i++;
	for (; i < s.n && is_digit(s.p[i]); i++)
		v = v * 10 + (s.p[i] - '0');
	if (i < s.n && s.p[i] == '.')
		for (i++; i < s.n && is_digit(s.p[i]); i++)
			v = v * 10 + (s.p[i] - '0'), e10--;
	if (i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
		i++;
		if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
			exneg = s.p[i++] == '-';
		for (; i < s.n && is_digit(s.p[i]); i++)
			if (ex < 100000)
				ex = ex * 10 + (s.p[i] - '0');
	}
	e10 += exneg ? -ex : ex;
	for (; e10 > 0 && v < 1e19; e10--)
		v *= 10;
	for (; e10 < 0 && v >= 1; e10++)
		v /= 10;
	if (e10 < 0)
		v = 0;
	if (!(v < 9.2e18)) /* also false for NaN/inf */
		return false;
	*out = (int64_t)(neg ? -v : v);
	return true;
}

/* An object; at top level (exp != NULL) also reads a numeric "exp" member. */
static bool json_object(struct json *j, int64_t *exp)
{
	bool ok = false, have_exp = false;

	if (++j->depth > JSON_MAX_DEPTH || !json_eat(j, '{'))
		return false;
	json_ws(j);
	if (json_eat(j, '}')) {
		ok = true;
		goto out;
	}
	for (;;) {
		struct span key;
		const unsigned char *value_start;

		json_ws(j);
		if (!json_string(j, &key))
			goto out;
		json_ws(j);
		if (!json_eat(j, ':'))
			goto out;
		json_ws(j);
		value_start = j->p;
		if (!json_value(j))
			goto out;
		if (exp && !have_exp && span_equals(key, LIT("exp")) &&
		    (*value_start == '-' || is_digit(*value_start)))
			have_exp = json_number_to_i64(
				span_of(value_start, (size_t)(j->p - value_start)), exp);
		json_ws(j);
		if (json_eat(j, ','))
			continue;
		ok = json_eat(j, '}');
		goto out;
	}
out:
	j->depth--;
	return ok;
}

static bool json_is_object(const unsigned char *p, size_t n, int64_t *exp)
{
	struct json j = { p, p + n, 0 };
	int64_t scratch = 0;

	json_ws(&j);
	if (!json_object(&j, exp ? exp : &scratch))
		return false;
	json_ws(&j);
	return j.p == j.end;
}

static bool is_b64url_char(unsigned char c) { return b64_value(c, B64_URL) >= 0; }

#define JWT_HEADER_MAX 1024
#define JWT_PAYLOAD_MAX 8192

/* Decode one base64url segment and check it is a JSON object. */
static int jwt_segment_is_object(struct span seg, unsigned char *buf, size_t cap, int64_t *exp)
{
	long n = b64_decode(seg, B64_URL, false, buf, cap);
	int ok;

	if (n == -2)
		return -2;
	ok = n >= 0 && json_is_object(buf, (size_t)n, exp);
	cred_wipe(buf, n > 0 ? (size_t)n : 0);
	return ok;
}

/*
 * header.payload.signature, base64url, header and payload JSON objects.  The
 * signature may be empty (alg "none").  Nothing is verified.  A payload too
 * large for the stack buffer still counts (the header proved the shape) but
 * its "exp" stays unknown.
 */
static bool classify_jwt(struct span c, int64_t *exp)
{
	unsigned char header_buf[JWT_HEADER_MAX], payload_buf[JWT_PAYLOAD_MAX];
	const unsigned char *dot1, *dot2;
	struct span header, payload, signature;
	int r;

	if (!span_has_prefix(c, LIT("eyJ")) || !(dot1 = memchr(c.p, '.', c.n)))
		return false;
	header = span_take(c, (size_t)(dot1 - c.p));
	payload = span_drop(c, header.n + 1);
	if (!(dot2 = memchr(payload.p, '.', payload.n)))
		return false;
	signature = span_drop(payload, (size_t)(dot2 - payload.p) + 1);
	payload = span_take(payload, (size_t)(dot2 - payload.p));
	if (payload.n == 0 || !span_all(header, is_b64url_char) ||
	    !span_all(payload, is_b64url_char) || !span_all(signature, is_b64url_char))
		return false;
	if (jwt_segment_is_object(header, header_buf, sizeof(header_buf), NULL) != 1)
		return false;
	r = jwt_segment_is_object(payload, payload_buf, sizeof(payload_buf), exp);
	if (r != 1)
		*exp = 0;
	return r == 1 || (r == -2 && span_has_prefix(payload, LIT("eyJ")));
}

/* ------------------------------------------------------------------------ */
/* Token shapes                                                              */
/* ------------------------------------------------------------------------ */

static const struct {
	struct lit prefix;
	enum cred_kind kind;
} token_prefixes[] = {
	{ L("sk-ant-api03-"), CRED_ANTHROPIC_API_KEY },
	{ L("sk-ant-oat01-"), CRED_ANTHROPIC_OAUTH_TOKEN },
	{ L("sk-ant-admin01-"), CRED_ANTHROPIC_ADMIN_KEY },
	{ L("sk-ant-ort01-"), CRED_ANTHROPIC_REFRESH_TOKEN },
	{ L("ya29."), CRED_GOOGLE_ACCESS_TOKEN },
	{ L("sk-proj-"), CRED_OPENAI_API_KEY },
	{ L("sk-svcacct-"), CRED_OPENAI_API_KEY },
	{ L("sk-admin-"), CRED_OPENAI_API_KEY },
};

static enum cred_kind kind_by_prefix(struct span c)
{
	for (size_t i = 0; i < COUNT(token_prefixes); i++)
		if (span_has_prefix(c, token_prefixes[i].prefix))
			return token_prefixes[i].kind;
	/* Legacy OpenAI keys: sk-<20>T3BlbkFJ<20> ("T3BlbkFJ" is base64 of "OpenAI"). */
	if (span_has_prefix(c, LIT("sk-")) && !span_has_prefix(c, LIT("sk-ant-")) &&
	    span_contains(c, LIT("T3BlbkFJ")))
		return CRED_OPENAI_API_KEY;
	return CRED_UNKNOWN;
}

/* Azure OpenAI / Foundry resource key: 32 hex (legacy) or 84 alphanumerics. */
static bool looks_like_azure_key(struct span c)
{
	return (c.n == 32 && span_all(c, is_hex)) || (c.n == 84 && span_all(c, is_alnum));
}

/* ------------------------------------------------------------------------ */
/* Classification                                                            */
/* ------------------------------------------------------------------------ */

static void copy_header_name(char dst[CRED_HEADER_MAX], const char *name)
{
	size_t i = 0;
	for (; name && name[i] && i < CRED_HEADER_MAX - 1; i++)
		dst[i] = (char)ascii_lower((unsigned char)name[i]);
	dst[i] = '\0';
}

static bool scheme_is(const struct credential *out, struct lit name)
{
	return span_equals_ci(span_of(out->scheme, strnlen(out->scheme, CRED_SCHEME_MAX)), name);
}

/*
 * Decide the kind; fills kind-specific facts.  *fp_input starts as the whole
 * credential and is narrowed for SigV4 to the access key id, so one key
 * signing many requests keeps one fingerprint.
 */
static enum cred_kind classify_credential(struct credential *out, struct span c,
					  struct span *fp_input)
{
	enum cred_kind kind;

	if (span_is_blank(c))
		return CRED_EMPTY;
	if (scheme_is(out, LIT("AWS4-HMAC-SHA256"))) {
		*fp_input = classify_sigv4(c, &out->sigv4);
		return CRED_AWS_SIGV4;
	}
	/* Before any prefix check: "sk-ant-placeholder-..." is not a key. */
	if (is_placeholder(c))
		return CRED_PLACEHOLDER;
	if (scheme_is(out, LIT("Basic")))
		return CRED_BASIC; /* fingerprint covers the base64 token as sent */
	if (classify_bedrock(c, &out->bedrock)) {
		out->looks_like_bedrock_key = true;
		return out->bedrock.decodes ? CRED_BEDROCK_API_KEY : CRED_UNKNOWN;
	}
	kind = kind_by_prefix(c);
	if (kind == CRED_OPENAI_API_KEY)
		out->looks_like_openai_key = true;
	if (kind != CRED_UNKNOWN)
		return kind;
	if (classify_jwt(c, &out->jwt_exp))
		return CRED_JWT;
	out->looks_like_azure_key = looks_like_azure_key(c);
	return CRED_UNKNOWN;
}

static void classify_afresh(const char *header_lc, const char *value, size_t value_len,
			    struct credential *out)
{
	struct span v = span_of(value, value_len), c, fp_input;

	memset(out, 0, sizeof(*out));
	copy_header_name(out->header, header_lc);
	/* OWS around a field value is not part of it (RFC 9110); CR/LF stay. */
	c = is_authorization_style(out->header) ? split_scheme(v, out->scheme) : trim_ows(v);
	out->length = c.n > UINT32_MAX ? UINT32_MAX : (uint32_t)c.n;
	fp_input = c;
	out->kind = classify_credential(out, c, &fp_input);
	cred_fingerprint(fp_input.p, fp_input.n, out->fingerprint);
}

void cred_classify(const char *header_lc, const char *value, size_t value_len,
		   struct credential *out)
{
	struct credcache_key key;

	if (!header_lc)
		header_lc = "";
	if (!value)
		value = "", value_len = 0;
	if (credcache_find(header_lc, value, value_len, &key, out))
		return;
	classify_afresh(header_lc, value, value_len, out);
	credcache_keep(&key, out);
}

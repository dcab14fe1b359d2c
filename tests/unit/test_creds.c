/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for user/creds.c.  Every secret here is fake: keys are built
 * from a fixed pseudo-random generator or are obviously fake literals.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "creds.h"
#include "siphash.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static struct credential classify(const char *header, const char *value)
{
	struct credential c;
	memset(&c, 0xA5, sizeof(c)); /* classify must overwrite everything */
	cred_classify(header, value, strlen(value), &c);
	return c;
}

static const char *fp_of(const char *value, char buf[FP_HEX_LEN + 1])
{
	cred_fingerprint(value, strlen(value), buf);
	return buf;
}

/*
 * A fake key: prefix + body_len characters from a fixed generator (the
 * base64url alphabet Anthropic keys use) + "AA".  insert (optional) is
 * spliced into the middle of the body.
 */
static char *fake_key(char *buf, size_t cap, const char *prefix, size_t body_len,
		      unsigned seed, const char *insert)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(prefix), ins = insert ? strlen(insert) : 0;
	uint32_t x = seed * 2654435761u + 1;

	assert_true(n + body_len + 3 <= cap);
	memcpy(buf, prefix, n);
	for (size_t i = 0; i < body_len; i++) {
		x = x * 1664525u + 1013904223u;
		buf[n + i] = alphabet[(x >> 24) % 64];
	}
	if (ins) {
		assert_true(ins <= body_len);
		memcpy(buf + n + body_len / 2 - ins / 2, insert, ins);
	}
	memcpy(buf + n + body_len, "AA", 3);
	return buf;
}

static size_t b64_encode(const void *in, size_t n, int url, int pad, char *out)
{
	const char *alpha = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
				: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t rem = n - i;
		if (rem > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (rem > 2)
			v |= p[i + 2];
		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		if (rem > 1)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (rem > 2)
			out[o++] = alpha[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static char *with_prefix_b64(char *buf, const char *prefix, const void *content, size_t n)
{
	size_t pl = strlen(prefix);
	memcpy(buf, prefix, pl);
	b64_encode(content, n, 0, 1, buf + pl);
	return buf;
}

#define FAKE_ABSK_CONTENT "BedrockAPIKey-abcd-at-123456789012:fakesecret"
#define FAKE_SHORT_CONTENT                                                            \
	"bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-" \
	"SHA256&X-Amz-Credential=ASIAFAKEFAKEFAKEFAKE%2F20250101%2Fus-east-1%2Fbedrock" \
	"%2Faws4_request&X-Amz-Signature=00ff&Version=1"

static char *make_absk(char *buf, const char *content)
{
	return with_prefix_b64(buf, "ABSK", content, strlen(content));
}

static char *make_jwt(char *buf, const char *header, const char *payload, const char *sig)
{
	size_t o = b64_encode(header, strlen(header), 1, 0, buf);
	buf[o++] = '.';
	o += b64_encode(payload, strlen(payload), 1, 0, buf + o);
	buf[o++] = '.';
	strcpy(buf + o, sig);
	return buf;
}

/* No window of `len` bytes of secret may appear anywhere in the struct. */
static void assert_secret_absent(const struct credential *c, const char *secret, size_t len)
{
	size_t n = strlen(secret);
	for (size_t i = 0; i + len <= n; i++) {
		if (memmem(c, sizeof(*c), secret + i, len)) {
			fail_msg("secret bytes at offset %zu leaked into struct credential", i);
		}
	}
}

static void assert_is_fingerprint(const char *fp)
{
	assert_int_equal(strlen(fp), FP_HEX_LEN);
	for (size_t i = 0; i < FP_HEX_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", fp[i]));
}

/* ------------------------------------------------------------------------ */
/* Names, header list, wipe                                                  */
/* ------------------------------------------------------------------------ */

static void test_kind_names(void **state)
{
	static const char *const want[CRED_KIND_COUNT] = {
		"unknown", "anthropic-api-key", "anthropic-oauth-token", "anthropic-admin-key",
		"anthropic-refresh-token", "aws-sigv4", "bedrock-api-key", "google-access-token",
		"jwt", "openai-api-key", "basic", "placeholder", "empty",
	};
	for (int k = 0; k < CRED_KIND_COUNT; k++)
		assert_string_equal(cred_kind_name((enum cred_kind)k), want[k]);
	assert_string_equal(cred_kind_name(CRED_KIND_COUNT), "unknown");
	assert_string_equal(cred_kind_name((enum cred_kind)-1), "unknown");
}

static void test_default_headers(void **state)
{
	static const char *const yes[] = {
		"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key",
		"x-amz-security-token", "cf-aig-authorization", "x-portkey-api-key",
		"x-litellm-api-key", "ocp-apim-subscription-key",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(cred_is_default_header(yes[i]));
	assert_false(cred_is_default_header("content-type"));
	assert_false(cred_is_default_header("x-api-key2"));
	assert_false(cred_is_default_header("authorizatio"));
	assert_false(cred_is_default_header(""));
	assert_false(cred_is_default_header(NULL));
	assert_false(cred_is_default_header("Authorization")); /* input is lowercase by contract */
}

static void test_wipe(void **state)
{
	char buf[32];
	memset(buf, 'k', sizeof(buf));
	cred_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	cred_wipe(NULL, 10);
	cred_wipe(buf, 0);
}

/* ------------------------------------------------------------------------ */
/* Fingerprint                                                               */
/* ------------------------------------------------------------------------ */

static void test_fingerprint_known_vectors(void **state)
{
	char fp[FP_HEX_LEN + 1];

	/* printf 'authtrace-fp-v1\0value' | sha256sum */
	assert_string_equal(fp_of("value", fp), "160a3fd5c781");
	/* printf 'authtrace-fp-v1\0' | sha256sum */
	cred_fingerprint("", 0, fp);
	assert_string_equal(fp, "e5239a85669d");
	cred_fingerprint(NULL, 5, fp);
	assert_string_equal(fp, "e5239a85669d");
	/* printf 'authtrace-fp-v1\0AKIAIOSFODNN7EXAMPLE' | sha256sum */
	assert_string_equal(fp_of("AKIAIOSFODNN7EXAMPLE", fp), "ca9262c34fb9");
}

static void test_fingerprint_stable_and_distinct(void **state)
{
	char a[FP_HEX_LEN + 1], b[FP_HEX_LEN + 1], key[160];

	fake_key(key, sizeof(key), "sk-ant-api03-", 93, 1, NULL);
	assert_string_equal(fp_of(key, a), fp_of(key, b));
	assert_is_fingerprint(a);
	fake_key(key, sizeof(key), "sk-ant-api03-", 93, 2, NULL);
	fp_of(key, b);
	assert_string_not_equal(a, b);
	/* One byte apart, and a trailing newline, both change it. */
	assert_string_not_equal(fp_of("value", a), fp_of("valuf", b));
	assert_string_not_equal(fp_of("value", a), fp_of("value\n", b));
}

/* The paper's vectors: key 00..0f, messages 00..(n-1). */
static void test_siphash24_reference_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} vectors[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
		{ 63, 0x958a324ceb064572ULL },
	};
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		assert_true(siphash24(key, msg, vectors[i].len) == vectors[i].want);
}

/*
 * Classifications are found again by a keyed hash of the value: a repeat
 * gives exactly what a first classification gave, and more distinct keys
 * of one length than the table has slots, cycled twice, each keep their
 * own fingerprint.
 */
static void test_repeated_classification_is_identical(void **state)
{
	char key[160], fp[FP_HEX_LEN + 1];
	struct credential first, again;

	(void)state;
	fake_key(key, sizeof(key), "sk-ant-api03-", 93, 7, NULL);
	first = classify("x-api-key", key);
	again = classify("x-api-key", key);
	assert_memory_equal(&first, &again, sizeof(first));
	for (int round = 0; round < 2; round++) {
		for (unsigned seed = 100; seed < 200; seed++) {
			struct credential c;

			fake_key(key, sizeof(key), "sk-ant-api03-", 93, seed, NULL);
			c = classify("x-api-key", key);
			assert_string_equal(c.fingerprint, fp_of(key, fp));
			assert_int_equal(c.kind, first.kind);
		}
	}
}

/* The same value under another header is classified for that header. */
static void test_same_value_other_header_is_classified_again(void **state)
{
	struct credential a = classify("x-api-key", "Bearer sk-ant-oat01-FAKEFAKEFAKE");
	struct credential b = classify("authorization", "Bearer sk-ant-oat01-FAKEFAKEFAKE");
	struct credential c = classify("x-api-key", "Bearer sk-ant-oat01-FAKEFAKEFAKE");

	(void)state;
	assert_string_equal(a.header, "x-api-key");
	assert_string_equal(a.scheme, "");
	assert_string_equal(b.header, "authorization");
	assert_string_equal(b.scheme, "Bearer");
	assert_string_not_equal(a.fingerprint, b.fingerprint);
	assert_memory_equal(&a, &c, sizeof(a));
}

static void test_fingerprint_never_substring(void **state)
{
	char fp[FP_HEX_LEN + 1], hexkey[64];
	/* A value made of hex digits is the worst case for an accidental match. */
	for (unsigned seed = 0; seed < 64; seed++) {
		snprintf(hexkey, sizeof(hexkey), "%08x%08x%08x%08x", seed * 2654435761u,
			 seed ^ 0xdeadbeefu, seed * 40503u, ~seed);
		fp_of(hexkey, fp);
		assert_null(strstr(hexkey, fp));
		assert_null(memmem(hexkey, strlen(hexkey), fp, 8));
	}
}

static void test_fingerprint_covers_credential_not_scheme(void **state)
{
	char fp[FP_HEX_LEN + 1];
	struct credential bearer = classify("authorization", "Bearer  sometoken-abc  ");
	struct credential plain = classify("x-api-key", "sometoken-abc");

	assert_string_equal(bearer.fingerprint, fp_of("sometoken-abc", fp));
	/* The same value in different headers has the same fingerprint. */
	assert_string_equal(bearer.fingerprint, plain.fingerprint);
	assert_int_equal(bearer.length, strlen("sometoken-abc"));
}

/* ------------------------------------------------------------------------ */
/* Header and scheme handling                                                */
/* ------------------------------------------------------------------------ */

static void test_header_name_copied_bounded(void **state)
{
	char longname[200];
	struct credential c;

	memset(longname, 'h', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c = classify(longname, "v");
	assert_int_equal(strlen(c.header), CRED_HEADER_MAX - 1);
	c = classify("X-Api-Key", "v");
	assert_string_equal(c.header, "x-api-key");
	cred_classify(NULL, "v", 1, &c);
	assert_string_equal(c.header, "");
	assert_int_equal(c.kind, CRED_UNKNOWN);
}

static void test_scheme_split(void **state)
{
	char key[160], value[200];
	struct credential c;

	fake_key(key, sizeof(key), "sk-ant-oat01-", 80, 3, NULL);
	snprintf(value, sizeof(value), "bearer\t  %s ", key);
	c = classify("authorization", value);
	assert_string_equal(c.scheme, "bearer"); /* as sent */
	assert_int_equal(c.kind, CRED_ANTHROPIC_OAUTH_TOKEN);
	assert_int_equal(c.length, strlen(key));

	/* proxy-authorization and cf-aig-authorization split too */
	snprintf(value, sizeof(value), "Bearer %s", key);
	c = classify("proxy-authorization", value);
	assert_string_equal(c.scheme, "Bearer");
	assert_int_equal(c.kind, CRED_ANTHROPIC_OAUTH_TOKEN);
	c = classify("cf-aig-authorization", "Bearer gw-token-1234567890");
	assert_string_equal(c.scheme, "Bearer");
	assert_int_equal(c.length, strlen("gw-token-1234567890"));

	/* Other headers: no scheme, the whole value is the credential. */
	c = classify("x-api-key", value);
	assert_string_equal(c.scheme, "");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_int_equal(c.length, strlen(value));

	/* Authorization without a scheme word: the key itself. */
	c = classify("authorization", key);
	assert_string_equal(c.scheme, "");
	assert_int_equal(c.kind, CRED_ANTHROPIC_OAUTH_TOKEN);

	/* Unknown but scheme-shaped words are kept as sent. */
	c = classify("authorization", "Klaviyo-API-Key pk_abcdef123456");
	assert_string_equal(c.scheme, "Klaviyo-API-Key");
	assert_int_equal(c.length, strlen("pk_abcdef123456"));
}

static void test_secret_first_word_is_not_a_scheme(void **state)
{
	char key[160], value[200];
	struct credential c;

	fake_key(key, sizeof(key), "sk-ant-api03-", 93, 4, NULL);
	snprintf(value, sizeof(value), "%s trailing", key);
	c = classify("authorization", value);
	assert_string_equal(c.scheme, "");
	assert_int_equal(c.length, strlen(value));
	assert_secret_absent(&c, key, 6);

	c = classify("authorization", "abc123def456 more");
	assert_string_equal(c.scheme, "");
}

static void test_empty(void **state)
{
	static const char *const auth_values[] = { "", "   ", "Bearer", "Bearer   ", "\t", "Basic" };
	struct credential c;

	for (size_t i = 0; i < sizeof(auth_values) / sizeof(auth_values[0]); i++) {
		c = classify("authorization", auth_values[i]);
		assert_int_equal(c.kind, CRED_EMPTY);
		assert_int_equal(c.length, 0);
		assert_is_fingerprint(c.fingerprint);
	}
	c = classify("x-api-key", "");
	assert_int_equal(c.kind, CRED_EMPTY);
	c = classify("x-api-key", "\r\n");
	assert_int_equal(c.kind, CRED_EMPTY);
	assert_int_equal(c.length, 2);
	cred_classify("x-api-key", NULL, 12, &c);
	assert_int_equal(c.kind, CRED_EMPTY);
	assert_int_equal(c.length, 0);
}

/* ------------------------------------------------------------------------ */
/* Anthropic                                                                 */
/* ------------------------------------------------------------------------ */

static void test_anthropic_kinds(void **state)
{
	static const struct {
		const char *prefix;
		enum cred_kind kind;
	} cases[] = {
		{ "sk-ant-api03-", CRED_ANTHROPIC_API_KEY },
		{ "sk-ant-oat01-", CRED_ANTHROPIC_OAUTH_TOKEN },
		{ "sk-ant-admin01-", CRED_ANTHROPIC_ADMIN_KEY },
		{ "sk-ant-ort01-", CRED_ANTHROPIC_REFRESH_TOKEN },
	};
	char key[160], fp[FP_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct credential c;
		fake_key(key, sizeof(key), cases[i].prefix, 93, (unsigned)i + 10, NULL);
		c = classify("x-api-key", key);
		assert_int_equal(c.kind, cases[i].kind);
		assert_int_equal(c.length, strlen(key));
		assert_string_equal(c.fingerprint, fp_of(key, fp));
		assert_false(c.looks_like_openai_key);
		assert_false(c.looks_like_bedrock_key);
		assert_int_equal(c.jwt_exp, 0);
		assert_string_equal(c.sigv4.region, "");
	}
}

static void test_anthropic_negative(void **state)
{
	char key[160];

	/* Compliance key and near-miss prefixes are not the listed kinds. */
	fake_key(key, sizeof(key), "sk-ant-api01-", 93, 20, NULL);
	assert_int_equal(classify("x-api-key", key).kind, CRED_UNKNOWN);
	fake_key(key, sizeof(key), "sk-ant-api03", 93, 21, NULL); /* no dash */
	assert_int_equal(classify("x-api-key", key).kind, CRED_UNKNOWN);
	fake_key(key, sizeof(key), "SK-ANT-API03-", 93, 22, NULL);
	assert_int_equal(classify("x-api-key", key).kind, CRED_UNKNOWN);
	/* Quoted key: not recognised by prefix. */
	snprintf(key, sizeof(key), "\"sk-ant-api03-%s\"", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA");
	assert_int_equal(classify("x-api-key", key).kind, CRED_UNKNOWN);
}

static void test_real_key_containing_test_is_not_placeholder(void **state)
{
	char key[160];
	static const char *const words[] = { "test", "TEST", "fake", "dummy", "none", "null",
					     "xxxx", "your", "-test-", "_fake_" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		fake_key(key, sizeof(key), "sk-ant-api03-", 93, 30 + (unsigned)i, words[i]);
		assert_int_equal(classify("x-api-key", key).kind, CRED_ANTHROPIC_API_KEY);
	}
	fake_key(key, sizeof(key), "sk-ant-oat01-", 100, 41, "test");
	assert_int_equal(classify("authorization", key).kind, CRED_ANTHROPIC_OAUTH_TOKEN);
}

static void test_trailing_crlf_on_anthropic_key(void **state)
{
	char key[160], nl[170];
	struct credential a, b;

	fake_key(key, sizeof(key), "sk-ant-api03-", 93, 42, NULL);
	snprintf(nl, sizeof(nl), "%s\r\n", key);
	a = classify("x-api-key", key);
	b = classify("x-api-key", nl);
	assert_int_equal(b.kind, CRED_ANTHROPIC_API_KEY);
	assert_int_equal(b.length, strlen(key) + 2);
	assert_string_not_equal(a.fingerprint, b.fingerprint);
}

/* ------------------------------------------------------------------------ */
/* Placeholders                                                              */
/* ------------------------------------------------------------------------ */

static void test_placeholders(void **state)
{
	static const char *const values[] = {
		"placeholder", "PLACEHOLDER", "dummy", "Dummy-Key", "your-api-key", "your_api_key",
		"YOUR_API_KEY_HERE", "your-anthropic-key", "changeme", "change-me", "changeme123",
		"not-needed", "none", "None", "null", "NULL", "undefined", "test", "TEST",
		"test-key", "testkey", "fake", "fake-key", "sk-anything", "sk-xxx", "sk-xxxxxxxxxxxx",
		"sk-ant-xxxxxxxx", "xxx", "XXXXXXXXXXXXXXXX", "sk-ant-api03-xxxxxxxxxxxxxxxxx",
		"sk-ant-api03-...", "sk-...", "****", "sk-ant-placeholder",
		"sk-ant-placeholder-key-for-credential-isolation",
		"placeholder-token-for-credential-isolation", "my-PlaceHolder-value-0123456789abcdef",
		"<your-api-key>", "<API_KEY>", "${ANTHROPIC_API_KEY}", "${env:OPENAI_API_KEY}",
		"$ANTHROPIC_API_KEY", "%API_KEY%", "{{api_key}}", "$(cat key.txt)", "sk-ant-api03-",
		"sk-", "sk-ant-", "sk-fake", "sk-dummy-123", "sk-1234", "n/a", "key", "api-key",
		"sk-ant-test", "sk-ant-oat01-test-token", "nokey", "example-key", "redacted",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct credential c = classify("x-api-key", values[i]);
		if (c.kind != CRED_PLACEHOLDER)
			fail_msg("\"%s\" classified as %s, want placeholder", values[i],
				 cred_kind_name(c.kind));
		assert_is_fingerprint(c.fingerprint);
	}
	/* Through Authorization: Bearer too */
	assert_int_equal(classify("authorization", "Bearer sk-ant-placeholder-key-for-credential-isolation").kind,
			 CRED_PLACEHOLDER);
	assert_int_equal(classify("authorization", "Bearer undefined").kind, CRED_PLACEHOLDER);
}

static void test_not_placeholders(void **state)
{
	static const char *const values[] = {
		"contest", "latest-token-value-0123456789abcdefghij",
		"testAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", /* long, no word boundary */
		"nonexistent-but-long-random-QmFzZTY0IGlzIGZ1bg", "attestation-0123456789abcdef0123456789",
		"xxxy", "sk-xyz123", "sk-or-v1-0123456789abcdef0123456789abcdef", "abcd1234",
		"sk-proj-Qx7Lm2", "Xenon-0123456789",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct credential c = classify("x-api-key", values[i]);
		if (c.kind == CRED_PLACEHOLDER)
			fail_msg("\"%s\" wrongly classified as placeholder", values[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* Basic                                                                     */
/* ------------------------------------------------------------------------ */

static void test_basic(void **state)
{
	char fp[FP_HEX_LEN + 1];
	struct credential c = classify("authorization", "Basic dXNlcjpwYXNzd29yZA==");

	assert_int_equal(c.kind, CRED_BASIC);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.fingerprint, fp_of("dXNlcjpwYXNzd29yZA==", fp));
	assert_int_equal(c.length, strlen("dXNlcjpwYXNzd29yZA=="));
	assert_int_equal(classify("proxy-authorization", "basic Zm9vOmJhcg==").kind, CRED_BASIC);
	/* Basic-looking text in a non-authorization header is not split. */
	assert_int_equal(classify("x-api-key", "Basic Zm9vOmJhcg==").kind, CRED_UNKNOWN);
}

/* ------------------------------------------------------------------------ */
/* SigV4                                                                     */
/* ------------------------------------------------------------------------ */

#define SIG64 "3d1ac7f2e4b5968877665544332211ffeeddccbbaa99887766554433221100ab"
#define SIG64_B "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

static void test_sigv4_well_formed(void **state)
{
	char fp[FP_HEX_LEN + 1];
	struct credential c = classify(
		"authorization",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, "
		"SignedHeaders=host;x-amz-date;X-Amz-Security-Token, Signature=" SIG64);

	assert_int_equal(c.kind, CRED_AWS_SIGV4);
	assert_string_equal(c.scheme, "AWS4-HMAC-SHA256");
	assert_string_equal(c.sigv4.key_prefix, "AKIA");
	assert_string_equal(c.sigv4.date, "20250102");
	assert_string_equal(c.sigv4.region, "us-east-1");
	assert_string_equal(c.sigv4.service, "bedrock");
	assert_string_equal(c.sigv4.signed_headers, "host;x-amz-date;x-amz-security-token");
	assert_true(c.sigv4.well_formed);
	/* The fingerprint covers the access key id only. */
	assert_string_equal(c.fingerprint, fp_of("AKIAIOSFODNN7EXAMPLE", fp));
	assert_string_equal(c.fingerprint, "ca9262c34fb9");
	assert_false(c.looks_like_bedrock_key);
}

static void test_sigv4_same_key_same_fingerprint(void **state)
{
	struct credential a = classify(
		"authorization",
		"AWS4-HMAC-SHA256 Credential=ASIAQWERTYUIOPASDFGH/20250102/eu-west-3/aws-external-anthropic/aws4_request,"
		"SignedHeaders=host;x-amz-date,Signature=" SIG64);
	struct credential b = classify(
		"authorization",
		"AWS4-HMAC-SHA256 Credential=ASIAQWERTYUIOPASDFGH/20250103/eu-west-3/aws-external-anthropic/aws4_request, "
		"SignedHeaders=content-type;host;x-amz-date, Signature=" SIG64_B);

	assert_true(a.sigv4.well_formed); /* no spaces after commas is fine */
	assert_string_equal(a.sigv4.key_prefix, "ASIA");
	assert_string_equal(a.sigv4.service, "aws-external-anthropic");
	assert_string_equal(a.sigv4.region, "eu-west-3");
	assert_string_equal(a.fingerprint, b.fingerprint);
	assert_string_not_equal(a.sigv4.date, b.sigv4.date);
}

static void test_sigv4_malformed(void **state)
{
	static const char *const bad[] = {
		/* no Signature */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, SignedHeaders=host",
		/* short signature */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=abc",
		/* non-hex signature */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, SignedHeaders=host, "
		"Signature=zz1ac7f2e4b5968877665544332211ffeeddccbbaa99887766554433221100ab",
		/* bad date */
		"Credential=AKIAIOSFODNN7EXAMPLE/2025012/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=" SIG64,
		/* wrong terminator */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws_request, SignedHeaders=host, Signature=" SIG64,
		/* missing region */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/bedrock/aws4_request, SignedHeaders=host, Signature=" SIG64,
		/* extra part */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request/x, SignedHeaders=host, Signature=" SIG64,
		/* empty signed headers */
		"Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, SignedHeaders=, Signature=" SIG64,
		/* short key id */
		"Credential=AKIA123/20250102/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=" SIG64,
		/* no Credential */
		"SignedHeaders=host, Signature=" SIG64,
		"garbage",
	};
	char value[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct credential c;
		snprintf(value, sizeof(value), "AWS4-HMAC-SHA256 %s", bad[i]);
		c = classify("authorization", value);
		assert_int_equal(c.kind, CRED_AWS_SIGV4);
		if (c.sigv4.well_formed)
			fail_msg("case %zu wrongly well-formed", i);
		assert_is_fingerprint(c.fingerprint);
	}
}

static void test_sigv4_partial_facts(void **state)
{
	char fp[FP_HEX_LEN + 1];
	/* A secret access key pasted into the scope: mixed case is never copied as a region. */
	struct credential c = classify(
		"authorization",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, "
		"SignedHeaders=host, Signature=" SIG64);

	assert_string_equal(c.sigv4.key_prefix, "AKIA");
	assert_string_equal(c.sigv4.date, "");
	assert_string_equal(c.sigv4.region, "");
	assert_string_equal(c.sigv4.service, "");
	assert_false(c.sigv4.well_formed);
	assert_secret_absent(&c, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 6);

	/* No Credential=: the whole credential is fingerprinted. */
	c = classify("authorization", "AWS4-HMAC-SHA256 Signature=" SIG64);
	assert_string_equal(c.fingerprint, fp_of("Signature=" SIG64, fp));
	assert_string_equal(c.sigv4.key_prefix, "");

	/* A Bedrock key in the Credential slot shows up as key_prefix "ABSK". */
	c = classify("authorization",
		     "AWS4-HMAC-SHA256 Credential=ABSKQmVkcm9ja0FQSUtleS1hYmNk/20250102/us-east-1/bedrock/aws4_request, "
		     "SignedHeaders=host, Signature=" SIG64);
	assert_string_equal(c.sigv4.key_prefix, "ABSK");
	assert_false(c.sigv4.well_formed);
	/* A lowercase key id has no type prefix. */
	c = classify("authorization", "AWS4-HMAC-SHA256 Credential=Bearer sk-1234/x");
	assert_string_equal(c.sigv4.key_prefix, "");
}

static void test_sigv4_signed_headers_truncated_at_boundary(void **state)
{
	char value[2048], sh[1200];
	size_t o = 0;
	struct credential c;

	for (int i = 0; i < 60; i++)
		o += (size_t)snprintf(sh + o, sizeof(sh) - o, "%sx-custom-header-%02d", i ? ";" : "", i);
	snprintf(value, sizeof(value),
		 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request, "
		 "SignedHeaders=%s, Signature=" SIG64, sh);
	c = classify("authorization", value);
	assert_true(c.sigv4.well_formed);
	assert_true(strlen(c.sigv4.signed_headers) < sizeof(c.sigv4.signed_headers));
	assert_true(strlen(c.sigv4.signed_headers) > 200);
	/* ends on a whole name */
	assert_int_equal(strncmp(sh, c.sigv4.signed_headers, strlen(c.sigv4.signed_headers)), 0);
	assert_int_equal(sh[strlen(c.sigv4.signed_headers)], ';');
}

static void test_sigv4_only_with_its_scheme(void **state)
{
	struct credential c = classify(
		"x-api-key", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/bedrock/aws4_request");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_string_equal(c.sigv4.region, "");
}

/* ------------------------------------------------------------------------ */
/* Bedrock API keys                                                          */
/* ------------------------------------------------------------------------ */

static void test_bedrock_long_term(void **state)
{
	char key[200], value[220], fp[FP_HEX_LEN + 1];
	struct credential c;

	make_absk(key, FAKE_ABSK_CONTENT);
	snprintf(value, sizeof(value), "Bearer %s", key);
	c = classify("authorization", value);
	assert_int_equal(c.kind, CRED_BEDROCK_API_KEY);
	assert_true(c.looks_like_bedrock_key);
	assert_true(c.bedrock.long_term);
	assert_false(c.bedrock.short_term);
	assert_true(c.bedrock.decodes);
	assert_string_equal(c.bedrock.problem, "");
	assert_string_equal(c.fingerprint, fp_of(key, fp));
	assert_int_equal(c.length, strlen(key));
	/* Kind is by shape, whatever the header (rules judge the header). */
	assert_int_equal(classify("x-api-key", key).kind, CRED_BEDROCK_API_KEY);
}

static void test_bedrock_short_term(void **state)
{
	char key[400];
	struct credential c;

	with_prefix_b64(key, "bedrock-api-key-", FAKE_SHORT_CONTENT, strlen(FAKE_SHORT_CONTENT));
	c = classify("authorization", key); /* bare, no scheme */
	assert_int_equal(c.kind, CRED_BEDROCK_API_KEY);
	assert_true(c.bedrock.short_term);
	assert_false(c.bedrock.long_term);
	assert_true(c.bedrock.decodes);

	with_prefix_b64(key, "bedrock-api-key-", "example.com/?x=1", 16);
	c = classify("authorization", key);
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_true(c.looks_like_bedrock_key);
	assert_true(c.bedrock.short_term);
	assert_string_equal(c.bedrock.problem, "decodes to unexpected content");
}

static void assert_bedrock_malformed(const char *header, const char *value, const char *problem)
{
	struct credential c = classify(header, value);
	if (c.kind != CRED_UNKNOWN || !c.looks_like_bedrock_key || c.bedrock.decodes ||
	    strcmp(c.bedrock.problem, problem) != 0)
		fail_msg("want malformed (%s), got kind %s looks_like %d problem \"%s\"", problem,
			 cred_kind_name(c.kind), c.looks_like_bedrock_key, c.bedrock.problem);
}

static void test_bedrock_malformed(void **state)
{
	char key[200], value[240];
	size_t n;

	make_absk(key, FAKE_ABSK_CONTENT);
	n = strlen(key);

	snprintf(value, sizeof(value), "Bearer %s\n", key);
	assert_bedrock_malformed("authorization", value, "trailing newline");
	snprintf(value, sizeof(value), "Bearer %s\r\n", key);
	assert_bedrock_malformed("authorization", value, "trailing newline");
	snprintf(value, sizeof(value), "%s\n", key);
	assert_bedrock_malformed("x-api-key", value, "trailing newline");
	snprintf(value, sizeof(value), "Bearer \"%s\"", key);
	assert_bedrock_malformed("authorization", value, "quoted");
	snprintf(value, sizeof(value), "Bearer '%s'", key);
	assert_bedrock_malformed("authorization", value, "quoted");
	snprintf(value, sizeof(value), "Bearer \n%s", key);
	assert_bedrock_malformed("authorization", value, "surrounding whitespace");

	/* truncated: a length that is not a multiple of 4, or cut before the ':' */
	assert_int_equal(n, 4 + 60); /* 45 content bytes, no padding */
	snprintf(value, sizeof(value), "Bearer %.*s", (int)(n - 1), key);
	assert_bedrock_malformed("authorization", value, "truncated");
	snprintf(value, sizeof(value), "Bearer %.*s", (int)(n - 3), key);
	assert_bedrock_malformed("authorization", value, "truncated");
	snprintf(value, sizeof(value), "Bearer %.*s", 4 + 44, key);
	assert_bedrock_malformed("authorization", value, "decodes to unexpected content");
	/* a padded key that lost one '=' is truncated too; '=' mid-body is not base64 */
	make_absk(value, "BedrockAPIKey-abcd-at-123456789012:fakesecr");
	assert_int_equal(value[strlen(value) - 2], '=');
	value[strlen(value) - 1] = '\0';
	assert_bedrock_malformed("authorization", value, "truncated");
	make_absk(value, FAKE_ABSK_CONTENT);
	value[10] = '=';
	assert_bedrock_malformed("authorization", value, "not valid base64");
	assert_bedrock_malformed("authorization", "Bearer ABSK", "truncated");

	/* a character outside the alphabet */
	snprintf(value, sizeof(value), "Bearer %s", key);
	value[7 + 20] = '!';
	assert_bedrock_malformed("authorization", value, "not valid base64");
	/* whitespace inside */
	snprintf(value, sizeof(value), "Bearer %s", key);
	value[7 + 20] = ' ';
	assert_bedrock_malformed("authorization", value, "contains whitespace");

	/* valid base64 of the wrong thing */
	assert_bedrock_malformed("authorization", make_absk(key, "hello:world"),
				 "decodes to unexpected content");
	assert_bedrock_malformed("authorization", make_absk(key, "BedrockAPIKey-abcd-at-1234"),
				 "decodes to unexpected content"); /* no ':' */
	assert_bedrock_malformed("authorization", make_absk(key, "BedrockAPIKey-:secret"),
				 "decodes to unexpected content"); /* empty id */
	assert_bedrock_malformed("authorization", make_absk(key, "BedrockAPIKey-abcd:"),
				 "decodes to unexpected content"); /* empty secret */
}

static void test_bedrock_base64url(void **state)
{
	static const char content[] = "BedrockAPIKey-abcd-at-123456789012:\xff\xff\xfe\xfb\xff\xfe\xfb\xef";
	char key[200];

	strcpy(key, "ABSK");
	b64_encode(content, sizeof(content) - 1, 1, 1, key + 4);
	assert_true(strpbrk(key, "-_") != NULL); /* the test needs URL-only characters */
	assert_bedrock_malformed("authorization", key, "base64url instead of base64");
	/* and the standard encoding of the same bytes is fine */
	make_absk(key, content);
	assert_int_equal(classify("authorization", key).kind, CRED_BEDROCK_API_KEY);
}

/*
 * Fuzz regression: a Bedrock-looking value that contains the word of a
 * problem text ("truncated").  The problem must still be one of the fixed
 * generic texts, never text taken from the value.
 */
static void test_bedrock_problem_is_fixed_text(void **state)
{
	static const char value[] =
		"Bearer bedrock-api-key-Ym2kcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJU"
		"b2tlbiZYLUFtei1DcmtruncatedsPUFTSUFGQUtFJTJGMjAyNTAxMDElMkZ1cy1lYropic/models/lZlcnNp"
		"b249MQ==";
	struct credential c = classify("authorization", value);

	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_true(c.looks_like_bedrock_key && c.bedrock.short_term);
	assert_string_equal(c.bedrock.problem, "truncated"); /* 151 body chars: not a multiple of 4 */
	assert_ptr_equal(strstr(value, c.bedrock.problem), strstr(value, "truncated"));
}

static void test_bedrock_long_key_body(void **state)
{
	/* Longer than the decoder's chunk: still decided correctly. */
	char content[700], key[1000];
	memcpy(content, "BedrockAPIKey-", 14);
	memset(content + 14, 'u', 400);
	memcpy(content + 414, ":secret", 8);
	assert_int_equal(classify("authorization", make_absk(key, content)).kind, CRED_BEDROCK_API_KEY);
	/* '=' in the middle of a long body */
	key[300] = '=';
	assert_bedrock_malformed("authorization", key, "not valid base64");
}

/* ------------------------------------------------------------------------ */
/* Google, JWT, OpenAI, Azure                                                */
/* ------------------------------------------------------------------------ */

static void test_google_access_token(void **state)
{
	char tok[200], value[220];
	fake_key(tok, sizeof(tok), "ya29.", 150, 50, NULL);
	snprintf(value, sizeof(value), "Bearer %s", tok);
	assert_int_equal(classify("authorization", value).kind, CRED_GOOGLE_ACCESS_TOKEN);
	assert_int_equal(classify("x-goog-api-key", tok).kind, CRED_GOOGLE_ACCESS_TOKEN);
	assert_int_equal(classify("authorization", "Bearer ya29.a0AfB_byC-fake-token").kind,
			 CRED_GOOGLE_ACCESS_TOKEN);
	assert_int_equal(classify("authorization", "Bearer ya29").kind, CRED_UNKNOWN);
}

static void test_jwt_exp(void **state)
{
	char jwt[1000], value[1100];
	struct credential c;

	make_jwt(jwt, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		 "{\"sub\":\"user-1\",\"aud\":\"https://ai.azure.com\",\"exp\":1893456000,\"iat\":1700000000}",
		 "c2lnbmF0dXJl");
	snprintf(value, sizeof(value), "Bearer %s", jwt);
	c = classify("authorization", value);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 1893456000);

	/* exp absent, nested exp ignored, odd but valid number forms */
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"nested\":{\"exp\":5}}", "sig");
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 0);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", " { \"exp\" : 1.8934560005e9 , \"a\":[1,2,{\"b\":null}] } ", "sig");
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 1893456000);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "{\"exp\":\"1893456000\"}", "sig"); /* string: not numeric */
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 0);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "{\"exp\":1e400}", "sig"); /* out of range */
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 0);
	/* alg none: empty signature segment */
	make_jwt(jwt, "{\"alg\":\"none\"}", "{\"exp\":42}", "");
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 42);
}

static void test_jwt_json_forms(void **state)
{
	static const struct {
		const char *payload;
		bool is_jwt;
		int64_t exp;
	} cases[] = {
		{ "{\"name\":\"Ren\\u00e9 \\\"R\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"exp\":100}", true, 100 },
		{ "{\"s\":\"exp\",\"ok\":true,\"no\":false,\"n\":null,\"e\":{},\"a\":[],\"exp\":7}", true, 7 },
		{ "{\"exp\":-5}", true, -5 },
		{ "{\"exp\":1e-3}", true, 0 },
		{ "{\"exp\":25E+1}", true, 250 },
		{ "{\"exp\":0.9}", true, 0 },
		{ "{}", true, 0 },
		{ "{\"a\":\"bad \\x escape\"}", false, 0 },
		{ "{\"a\":\"bad \\u12 short\"}", false, 0 },
		{ "{\"a\":\"ctl \x01 char\"}", false, 0 },
		{ "{\"a\":\"unterminated}", false, 0 },
		{ "{\"a\":tru}", false, 0 },
		{ "{\"a\":[1,]}", false, 0 },
		{ "{\"a\":1,}", false, 0 },
		{ "{\"a\" 1}", false, 0 },
		{ "{\"a\":-}", false, 0 },
		{ "{\"a\":1.}", false, 0 },
		{ "{\"a\":1e}", false, 0 },
		{ "{1:2}", false, 0 },
	};
	char jwt[600];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct credential c;
		make_jwt(jwt, "{\"alg\":\"HS256\"}", cases[i].payload, "sig");
		c = classify("authorization", jwt);
		if ((c.kind == CRED_JWT) != cases[i].is_jwt || c.jwt_exp != cases[i].exp)
			fail_msg("payload %s: kind %s exp %lld", cases[i].payload, cred_kind_name(c.kind),
				 (long long)c.jwt_exp);
	}
}

static void test_jwt_large_payload(void **state)
{
	static char payload[12000], jwt[20000];
	struct credential c;
	size_t o = (size_t)snprintf(payload, sizeof(payload), "{\"exp\":7,\"pad\":\"");
	memset(payload + o, 'p', 10000);
	strcpy(payload + o + 10000, "\"}");
	make_jwt(jwt, "{\"alg\":\"RS256\"}", payload, "sig");
	c = classify("authorization", jwt);
	assert_int_equal(c.kind, CRED_JWT);
	assert_int_equal(c.jwt_exp, 0); /* too large to read, shape still a JWT */
}

static void test_jwt_negative(void **state)
{
	char jwt[600];
	static const char *const bad[] = {
		"eyJhbGciOiJIUzI1NiJ9",                /* one segment */
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9",   /* two segments */
		"eyJhbGciOiJIUzI1NiJ9..sig",           /* empty payload */
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.s.x", /* four segments */
		"eyJhbGciOiJIUzI1NiJ9.eyJleH+iOjF9.sig", /* '+' not base64url */
		"eyJ.eyJleHAiOjF9.sig",                /* header does not decode to JSON */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (classify("authorization", bad[i]).kind == CRED_JWT)
			fail_msg("\"%s\" wrongly a JWT", bad[i]);
	make_jwt(jwt, "{\"alg\":\"HS256\"", "{\"exp\":1}", "sig"); /* unterminated header */
	assert_int_equal(classify("authorization", jwt).kind, CRED_UNKNOWN);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "[1,2,3]", "sig"); /* payload not an object */
	assert_int_equal(classify("authorization", jwt).kind, CRED_UNKNOWN);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "{\"exp\":1} trailing", "sig");
	assert_int_equal(classify("authorization", jwt).kind, CRED_UNKNOWN);
	make_jwt(jwt, "{\"alg\":\"HS256\"}", "{\"a\":01}", "sig"); /* leading zero */
	assert_int_equal(classify("authorization", jwt).kind, CRED_UNKNOWN);
	{
		/* deeply nested: bounded depth, rejected rather than recursing without end */
		char deep[300];
		size_t o = (size_t)snprintf(deep, sizeof(deep), "{\"a\":");
		memset(deep + o, '[', 100);
		deep[o + 100] = '1';
		memset(deep + o + 101, ']', 100);
		strcpy(deep + o + 201, "}");
		make_jwt(jwt, "{\"alg\":\"HS256\"}", deep, "sig");
		assert_int_equal(classify("authorization", jwt).kind, CRED_UNKNOWN);
	}
}

static void test_openai(void **state)
{
	static const char *const prefixes[] = { "sk-proj-", "sk-svcacct-", "sk-admin-" };
	char key[200], legacy[80];
	struct credential c;

	for (size_t i = 0; i < 3; i++) {
		fake_key(key, sizeof(key), prefixes[i], 120, 60 + (unsigned)i, "T3BlbkFJ");
		c = classify("authorization", key);
		assert_int_equal(c.kind, CRED_OPENAI_API_KEY);
		assert_true(c.looks_like_openai_key);
	}
	snprintf(legacy, sizeof(legacy), "sk-%s%s%s", "AbCdEfGhIjKlMnOpQrSt", "T3BlbkFJ",
		 "uVwXyZ0123456789AbCd");
	c = classify("authorization", legacy);
	assert_int_equal(c.kind, CRED_OPENAI_API_KEY);
	assert_true(c.looks_like_openai_key);

	/* LiteLLM-style sk- key: not OpenAI */
	c = classify("authorization", "sk-AbCdEfGhIjKlMnOpQrStuV");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_false(c.looks_like_openai_key);
	c = classify("authorization", "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_false(c.looks_like_openai_key);
}

static void test_azure_key_shape(void **state)
{
	char k84[85];
	struct credential c;

	c = classify("api-key", "0123456789abcdef0123456789ABCDEF");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_true(c.looks_like_azure_key);
	fake_key(k84, sizeof(k84), "", 82, 70, NULL);
	for (size_t i = 0; i < 84; i++)
		if (k84[i] == '-' || k84[i] == '_')
			k84[i] = 'Q';
	c = classify("api-key", k84);
	assert_true(c.looks_like_azure_key);
	assert_false(classify("api-key", "0123456789abcdef0123456789abcdef0").looks_like_azure_key);
	assert_false(classify("api-key", "0123456789abcdef0123456789abcde").looks_like_azure_key);
	assert_false(classify("api-key", "0123456789abcdef0123456789abcdeg").looks_like_azure_key);
	k84[10] = '-';
	assert_false(classify("api-key", k84).looks_like_azure_key);
}

static void test_unknown(void **state)
{
	struct credential c = classify("x-portkey-api-key", "pk-live-0123456789abcdefghijklmnop");
	assert_int_equal(c.kind, CRED_UNKNOWN);
	assert_false(c.looks_like_azure_key || c.looks_like_bedrock_key || c.looks_like_openai_key);
	assert_is_fingerprint(c.fingerprint);
}

/* ------------------------------------------------------------------------ */
/* Secrecy                                                                   */
/* ------------------------------------------------------------------------ */

struct secret_case {
	const char *header;
	const char *scheme; /* prepended with a space, or NULL */
	char secret[2048];
};

static void check_secret_case(const struct secret_case *sc)
{
	char value[2200];
	struct credential c;

	if (sc->scheme)
		snprintf(value, sizeof(value), "%s %s", sc->scheme, sc->secret);
	else
		snprintf(value, sizeof(value), "%s", sc->secret);
	c = classify(sc->header, value);
	assert_secret_absent(&c, sc->secret, 6);
}

static void test_secrecy(void **state)
{
	static struct secret_case cases[24];
	static const char *const prefixes[] = {
		"sk-ant-api03-", "sk-ant-oat01-", "sk-ant-admin01-", "sk-ant-ort01-",
		"sk-proj-", "ya29.", "sk-or-v1-", "",
	};
	size_t n = 0;
	char buf[600];

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		cases[n] = (struct secret_case){ "x-api-key", NULL, "" };
		fake_key(cases[n].secret, sizeof(cases[n].secret), prefixes[i], 93, 100 + (unsigned)i,
			 i == 4 ? "T3BlbkFJ" : NULL);
		n++;
		cases[n] = (struct secret_case){ "authorization", "Bearer", "" };
		strcpy(cases[n].secret, cases[n - 1].secret);
		n++;
	}
	cases[n] = (struct secret_case){ "authorization", "Bearer", "" };
	make_absk(cases[n++].secret, FAKE_ABSK_CONTENT);
	cases[n] = (struct secret_case){ "authorization", "Bearer", "" };
	with_prefix_b64(cases[n++].secret, "bedrock-api-key-", FAKE_SHORT_CONTENT, strlen(FAKE_SHORT_CONTENT));
	cases[n] = (struct secret_case){ "authorization", "Bearer", "" };
	make_absk(buf, FAKE_ABSK_CONTENT);
	snprintf(cases[n++].secret, 2048, "\"%s\"\n", buf); /* malformed: problem text must be generic */
	cases[n] = (struct secret_case){ "authorization", "Bearer", "" };
	make_jwt(cases[n++].secret, "{\"alg\":\"RS256\",\"kid\":\"key-one\"}",
		 "{\"sub\":\"someone@example.com\",\"exp\":1893456000}", "c2lnbmF0dXJlLXNlY3JldA");
	cases[n] = (struct secret_case){ "authorization", "Basic", "dXNlcm5hbWU6cGFzc3dvcmQxMjM=" };
	n++;
	cases[n] = (struct secret_case){ "api-key", NULL, "0123456789abcdef0123456789abcdef" };
	n++;
	for (size_t i = 0; i < n; i++)
		check_secret_case(&cases[i]);
}

static void test_secrecy_sigv4(void **state)
{
	struct credential c = classify(
		"authorization",
		"AWS4-HMAC-SHA256 Credential=AKIAQWERTYUIOPZXCVBN/20250102/us-west-2/bedrock/aws4_request, "
		"SignedHeaders=host;x-amz-date, Signature=" SIG64);
	assert_true(c.sigv4.well_formed);
	assert_secret_absent(&c, "QWERTYUIOPZXCVBN", 6); /* key id after its type prefix */
	assert_secret_absent(&c, SIG64, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_default_headers),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_fingerprint_known_vectors),
		cmocka_unit_test(test_fingerprint_stable_and_distinct),
		cmocka_unit_test(test_fingerprint_never_substring),
		cmocka_unit_test(test_siphash24_reference_vectors),
		cmocka_unit_test(test_repeated_classification_is_identical),
		cmocka_unit_test(test_same_value_other_header_is_classified_again),
		cmocka_unit_test(test_fingerprint_covers_credential_not_scheme),
		cmocka_unit_test(test_header_name_copied_bounded),
		cmocka_unit_test(test_scheme_split),
		cmocka_unit_test(test_secret_first_word_is_not_a_scheme),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_anthropic_kinds),
		cmocka_unit_test(test_anthropic_negative),
		cmocka_unit_test(test_real_key_containing_test_is_not_placeholder),
		cmocka_unit_test(test_trailing_crlf_on_anthropic_key),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_not_placeholders),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_sigv4_well_formed),
		cmocka_unit_test(test_sigv4_same_key_same_fingerprint),
		cmocka_unit_test(test_sigv4_malformed),
		cmocka_unit_test(test_sigv4_partial_facts),
		cmocka_unit_test(test_sigv4_signed_headers_truncated_at_boundary),
		cmocka_unit_test(test_sigv4_only_with_its_scheme),
		cmocka_unit_test(test_bedrock_long_term),
		cmocka_unit_test(test_bedrock_short_term),
		cmocka_unit_test(test_bedrock_malformed),
		cmocka_unit_test(test_bedrock_base64url),
		cmocka_unit_test(test_bedrock_problem_is_fixed_text),
		cmocka_unit_test(test_bedrock_long_key_body),
		cmocka_unit_test(test_google_access_token),
		cmocka_unit_test(test_jwt_exp),
		cmocka_unit_test(test_jwt_json_forms),
		cmocka_unit_test(test_jwt_large_payload),
		cmocka_unit_test(test_jwt_negative),
		cmocka_unit_test(test_openai),
		cmocka_unit_test(test_azure_key_shape),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_secrecy),
		cmocka_unit_test(test_secrecy_sigv4),
	};
	return cmocka_run_group_tests_name("creds", tests, NULL, NULL);
}

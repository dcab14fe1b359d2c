/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the auth rules engine (user/rules.c).
 *
 * Requests are built the way the collector builds them: a literal HTTP/1.1
 * head goes through the real parser (h1_parse_request) into a request
 * record (request_add_header -> cred_classify), then rules_evaluate().
 * Every secret below is fake.  After each evaluation the finding messages
 * are checked to contain no 12-character piece of any credential in the head.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "http1.h"
#include "request.h"
#include "rules.h"

/* 2026-11-23T08:16:00Z: the capture time of every test request */
#define NOW 1795421760
#define TLS true
#define PLAIN false

/* ------------------------------------------------------------------------ */
/* Fake credentials                                                          */
/* ------------------------------------------------------------------------ */

static char API_KEY[160], API_KEY2[160], OAUTH[160], REFRESH[160], OPENAI_KEY[80];
static char YA29[160], AZURE_HEX[40], AZURE84[100], GW_TOKEN[64];
static char ABSK[128], ABSK_TRUNCATED[128], STS_TOKEN[160];
static char JWT_EXPIRED[256], JWT_VALID[256];
static char SIGV4_EAST_BEDROCK[320], SIGV4_WEST_BEDROCK[320], SIGV4_WEST_CPA[320];
static char SIGV4_EAST_RUNTIME[320], SIGV4_STS[320], SIGV4_STS_SIGNED_TOKEN[320];
static char SIGV4_MANTLE[320], SIGV4_OLD_SCOPE[320];

static const char SIG_HEX[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void fill(char *dst, const char *prefix, char c, int n, const char *suffix)
{
	size_t len = strlen(prefix);

	memcpy(dst, prefix, len);
	memset(dst + len, c, (size_t)n);
	strcpy(dst + len + (size_t)n, suffix);
}

static void b64(const unsigned char *in, size_t n, char *out, bool url)
{
	const char *alpha = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
				: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = alpha[v >> 6 & 63];
		else if (!url)
			out[o++] = '=';
		if (i + 2 < n)
			out[o++] = alpha[v & 63];
		else if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static void make_jwt(char *out, long long exp)
{
	char payload[96], enc[160];
	static const char header[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";

	b64((const unsigned char *)header, strlen(header), out, true);
	snprintf(payload, sizeof(payload), "{\"sub\":\"fake-subject\",\"exp\":%lld}", exp);
	b64((const unsigned char *)payload, strlen(payload), enc, true);
	strcat(out, ".");
	strcat(out, enc);
	strcat(out, ".c2lnbmF0dXJl");
}

static void make_sigv4(char *out, const char *key_id, const char *date, const char *region,
		       const char *service, const char *signed_headers)
{
	sprintf(out,
		"AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
		"Signature=%s",
		key_id, date, region, service, signed_headers, SIG_HEX);
}

static void make_secrets(void)
{
	static const char bedrock_plain[] = "BedrockAPIKey-abcd-at-123456789012:fakesecret";

	fill(API_KEY, "sk-ant-api03-", 'A', 93, "AA");
	fill(API_KEY2, "sk-ant-api03-", 'B', 93, "AA");
	fill(OAUTH, "sk-ant-oat01-", 'C', 86, "AA");
	fill(REFRESH, "sk-ant-ort01-", 'D', 86, "AA");
	fill(OPENAI_KEY, "sk-proj-", 'E', 20, "T3BlbkFJFFFFFFFFFFFFFFFFFFFF");
	fill(YA29, "ya29.", 'G', 120, "");
	strcpy(AZURE_HEX, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	fill(AZURE84, "", 'H', 84, "");
	fill(GW_TOKEN, "gw-", 'K', 40, "");
	fill(STS_TOKEN, "IQoJ", 'L', 120, "");
	strcpy(ABSK, "ABSK");
	b64((const unsigned char *)bedrock_plain, strlen(bedrock_plain), ABSK + 4, false);
	strcpy(ABSK_TRUNCATED, ABSK);
	ABSK_TRUNCATED[strlen(ABSK_TRUNCATED) - 3] = '\0';
	make_jwt(JWT_EXPIRED, NOW - 3 * 3600);
	make_jwt(JWT_VALID, NOW + 3600);
	make_sigv4(SIGV4_EAST_BEDROCK, "AKIAEXAMPLEFAKE00000", "20261123", "us-east-1", "bedrock",
		   "host;x-amz-date");
	make_sigv4(SIGV4_WEST_BEDROCK, "AKIAEXAMPLEFAKE00000", "20261123", "us-west-2", "bedrock",
		   "host;x-amz-date");
	make_sigv4(SIGV4_WEST_CPA, "AKIAEXAMPLEFAKE00000", "20261123", "us-west-2",
		   "aws-external-anthropic", "host;x-amz-date");
	make_sigv4(SIGV4_EAST_RUNTIME, "AKIAEXAMPLEFAKE00000", "20261123", "us-east-1",
		   "bedrock-runtime", "host;x-amz-date");
	make_sigv4(SIGV4_STS, "ASIAEXAMPLEFAKE00000", "20261123", "us-east-1", "bedrock",
		   "host;x-amz-date");
	make_sigv4(SIGV4_STS_SIGNED_TOKEN, "ASIAEXAMPLEFAKE00000", "20261123", "us-east-1",
		   "bedrock", "host;x-amz-date;x-amz-security-token");
	make_sigv4(SIGV4_MANTLE, "AKIAEXAMPLEFAKE00000", "20261123", "us-east-1", "bedrock-mantle",
		   "host;x-amz-date");
	make_sigv4(SIGV4_OLD_SCOPE, "AKIAEXAMPLEFAKE00000", "20261101", "us-east-1", "bedrock",
		   "host;x-amz-date");
}

/* ------------------------------------------------------------------------ */
/* Building and evaluating requests                                          */
/* ------------------------------------------------------------------------ */

static struct rules *g_rules;  /* the built-in rules */
static struct request g_req;
static char g_head[16384];

static void on_request_line(void *ctx, const char *m, size_t ml, const char *t, size_t tl)
{
	struct request_builder *b = ctx;

	request_set_line(b->req, m, ml, t, tl);
}

static bool on_header(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
	request_add_header(ctx, n, nl, v, vl);
	return true;
}

static const struct h1_visitor visitor = {
	.request_line = on_request_line,
	.header = on_header,
};

/* Parse a raw head (CRLF) into g_req, as the collector would. */
static struct request *parse_raw(const struct rules *r, const char *raw, size_t len, bool tls)
{
	struct request_builder b = { .req = &g_req,
				     .extra_cred_headers = rules_extra_cred_headers(r) };
	struct h1_head_info info;

	request_reset(&g_req);
	g_req.tls = tls;
	assert_int_equal(h1_parse_request((const uint8_t *)raw, len, sizeof(g_head), &visitor, &b,
					  &info),
			 H1_COMPLETE);
	request_finish(&g_req);
	return &g_req;
}

/* Secrets in a head: credential header values (scheme stripped; SigV4: key id and signature). */
static unsigned head_secrets(const char *raw, char out[][512], unsigned max)
{
	unsigned n = 0;

	for (const char *line = strstr(raw, "\r\n"); line && n < max; line = strstr(line, "\r\n")) {
		const char *colon, *value, *end;
		char name[64];
		size_t nl;

		line += 2;
		colon = strchr(line, ':');
		end = strstr(line, "\r\n");
		if (!colon || !end || colon > end || (nl = (size_t)(colon - line)) >= sizeof(name))
			continue;
		for (size_t i = 0; i < nl; i++)
			name[i] = (char)(line[i] >= 'A' && line[i] <= 'Z' ? line[i] + 32 : line[i]);
		name[nl] = '\0';
		if (!cred_is_default_header(name) && strncmp(name, "x-my-", 5) != 0)
			continue;
		for (value = colon + 1; *value == ' '; value++)
			;
		if (strncmp(value, "AWS4-HMAC-SHA256 ", 17) == 0) {
			snprintf(out[n++], 512, "%s", SIG_HEX);
			if (n < max)
				snprintf(out[n++], 512, "%.20s", strstr(value, "Credential=") + 11);
			continue;
		}
		if (memchr(value, ' ', (size_t)(end - value)))
			value = (const char *)memchr(value, ' ', (size_t)(end - value)) + 1;
		snprintf(out[n++], 512, "%.*s", (int)(end - value), value);
	}
	return n;
}

/* No finding message may contain a 12-character piece of any credential. */
static void assert_no_secret_in_messages(const struct request *req, const char *raw)
{
	char secrets[16][512];
	unsigned n = head_secrets(raw, secrets, 16);

	for (unsigned s = 0; s < n; s++) {
		size_t len = strlen(secrets[s]);

		for (size_t i = 0; i + 12 <= len; i++) {
			char window[13];

			memcpy(window, secrets[s] + i, 12);
			window[12] = '\0';
			for (unsigned f = 0; f < req->n_findings; f++)
				if (strstr(req->findings[f].message, window))
					fail_msg("finding %s leaks part of a credential",
						 req->findings[f].rule);
		}
	}
}

/* Format a head: lines end in "\n" here, CRLF on the wire. */
static const char *vhead(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static const char *vhead(const char *fmt, va_list ap)
{
	char tmp[sizeof(g_head) / 2];
	size_t o = 0;

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	for (const char *p = tmp; *p && o + 2 < sizeof(g_head); p++) {
		if (*p == '\n')
			g_head[o++] = '\r';
		g_head[o++] = *p;
	}
	g_head[o] = '\0';
	return g_head;
}

/* Parse (without evaluating) a formatted head, to adjust the record first. */
static struct request *parse_f(bool tls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct request *parse_f(bool tls, const char *fmt, ...)
{
	va_list ap;
	const char *raw;

	va_start(ap, fmt);
	raw = vhead(fmt, ap);
	va_end(ap);
	return parse_raw(g_rules, raw, strlen(raw), tls);
}

static struct request *eval_raw_with(const struct rules *r, const char *raw, size_t len, bool tls)
{
	struct request *req = parse_raw(r, raw, len, tls);

	rules_evaluate(r, req, NOW);
	for (unsigned i = 0; i < req->n_findings; i++) {
		assert_non_null(req->findings[i].rule);
		assert_true(strlen(req->findings[i].message) < 300);
		assert_null(strchr(req->findings[i].message, '\n'));
	}
	assert_no_secret_in_messages(req, raw);
	return req;
}

static struct request *eval_with(const struct rules *r, bool tls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct request *eval_with(const struct rules *r, bool tls, const char *fmt, ...)
{
	va_list ap;
	const char *raw;

	va_start(ap, fmt);
	raw = vhead(fmt, ap);
	va_end(ap);
	return eval_raw_with(r, raw, strlen(raw), tls);
}

static struct request *eval(bool tls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct request *eval(bool tls, const char *fmt, ...)
{
	va_list ap;
	const char *raw;

	va_start(ap, fmt);
	raw = vhead(fmt, ap);
	va_end(ap);
	return eval_raw_with(g_rules, raw, strlen(raw), tls);
}

static unsigned count_rule(const struct request *req, const char *rule)
{
	unsigned n = 0;

	for (unsigned i = 0; i < req->n_findings; i++)
		n += strcmp(req->findings[i].rule, rule) == 0;
	return n;
}

static const struct finding *find_rule(const struct request *req, const char *rule)
{
	for (unsigned i = 0; i < req->n_findings; i++)
		if (strcmp(req->findings[i].rule, rule) == 0)
			return &req->findings[i];
	return NULL;
}

static void print_findings(const struct request *req)
{
	for (unsigned i = 0; i < req->n_findings; i++)
		print_message("  %s %s: %s\n", severity_name(req->findings[i].severity),
			      req->findings[i].rule, req->findings[i].message);
}

/* The rule fired (at least once) with this severity; returns its message. */
static const char *expect_fires(const struct request *req, const char *rule, enum severity sev)
{
	const struct finding *f = find_rule(req, rule);

	if (!f) {
		print_findings(req);
		fail_msg("expected %s", rule);
	}
	if (f->severity != sev) {
		print_findings(req);
		fail_msg("%s: severity %s, expected %s", rule, severity_name(f->severity),
			 severity_name(sev));
	}
	return f->message;
}

static void expect_silent(const struct request *req, const char *rule)
{
	if (find_rule(req, rule)) {
		print_findings(req);
		fail_msg("unexpected %s", rule);
	}
}

static void expect_no_findings(const struct request *req)
{
	if (req->n_findings) {
		print_findings(req);
		fail_msg("expected no findings, got %u", req->n_findings);
	}
}

static void expect_contains(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("message \"%s\" lacks \"%s\"", msg, part);
}

static struct rules *rules_with(const char *json)
{
	char err[512];
	struct rules *r = rules_new_default(err, sizeof(err));

	assert_non_null(r);
	if (rules_load_buffer(r, "test.json", json, strlen(json), err, sizeof(err)) != 0)
		fail_msg("rules did not load: %s", err);
	return r;
}

static int group_setup(void **state)
{
	char err[256];

	make_secrets();
	g_rules = rules_new_default(err, sizeof(err));
	return g_rules ? 0 : -1;
}

static int group_teardown(void **state)
{
	rules_free(g_rules);
	return 0;
}

/* Common heads */
#define MESSAGES "POST /v1/messages HTTP/1.1\nHost: api.anthropic.com\n"
#define VERSION "anthropic-version: 2023-06-01\n"
#define BEDROCK "POST /model/claude-sonnet-4-6/invoke HTTP/1.1\n" \
		"Host: bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date: 20261123T081500Z\n"
#define CPA_WEST "POST /v1/messages HTTP/1.1\nHost: aws-external-anthropic.us-west-2.api.aws\n" \
		 VERSION "anthropic-workspace-id: wrkspc_01FAKE\nx-amz-date: 20261123T081500Z\n"
#define FOUNDRY "POST /anthropic/v1/messages HTTP/1.1\n" \
		"Host: fake-res.services.ai.azure.com\n" VERSION
#define AZURE "POST /openai/deployments/gpt/chat/completions?api-version=2024-10-21 HTTP/1.1\n" \
	      "Host: fake-res.openai.azure.com\n"

/* ------------------------------------------------------------------------ */
/* Built-in rules                                                            */
/* ------------------------------------------------------------------------ */

static void test_default_rules_load(void **state)
{
	char err[256] = "unchanged";
	struct rules *r = rules_new_default(err, sizeof(err));

	assert_non_null(r);
	assert_string_equal(err, "");
	assert_non_null(rules_extra_cred_headers(r));
	assert_null(rules_extra_cred_headers(r)[0]);
	rules_free(r);
}

static void test_clean_requests_have_no_findings(void **state)
{
	expect_no_findings(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY));
	expect_no_findings(eval(TLS, MESSAGES VERSION "anthropic-beta: oauth-2025-04-20\n"
				"Authorization: Bearer %s\n\n", OAUTH));
	expect_no_findings(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_BEDROCK));
	expect_no_findings(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK));
	expect_no_findings(eval(TLS, FOUNDRY "x-api-key: %s\n\n", AZURE84));
	expect_no_findings(eval(TLS, AZURE "api-key: %s\n\n", AZURE_HEX));
	expect_no_findings(eval(TLS, "POST /v1/chat/completions HTTP/1.1\nHost: api.openai.com\n"
				"Authorization: Bearer %s\n\n", OPENAI_KEY));
	/* not an LLM API: nothing to say */
	expect_no_findings(eval(TLS, "GET /index.html HTTP/1.1\nHost: example.com\n\n"));
}

/* ------------------------------------------------------------------------ */
/* One test per rule: fires, and stays silent                               */
/* ------------------------------------------------------------------------ */

static void test_no_credentials(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "\n"), "no-credentials",
				       SEV_ERROR);

	expect_contains(msg, "x-api-key");
	expect_contains(msg, "\"Authorization: Bearer\"");
	/* a gateway recognised by its path */
	msg = expect_fires(eval(TLS, "POST /v1/messages HTTP/1.1\nHost: 127.0.0.1:8080\n" VERSION
				"\n"),
			   "no-credentials", SEV_ERROR);
	expect_contains(msg, "x-api-key");
	msg = expect_fires(eval(TLS, "POST /v1/projects/p/locations/us-east5/publishers/anthropic/"
				"models/claude-sonnet-4-6:rawPredict HTTP/1.1\n"
				"Host: us-east5-aiplatform.googleapis.com\n\n"),
			   "no-credentials", SEV_ERROR);
	expect_contains(msg, "Google access token");

	/* Proxy-Authorization is for a forward proxy, not for the API */
	expect_fires(eval(TLS, "POST http://api.anthropic.com/v1/messages HTTP/1.1\n" VERSION
			  "Proxy-Authorization: Basic %s\n\n", GW_TOKEN),
		     "no-credentials", SEV_ERROR);
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY), "no-credentials");
	expect_silent(eval(TLS, "GET / HTTP/1.1\nHost: example.com\n\n"), "no-credentials");
	/* Bedrock says it with its own rule */
	expect_silent(eval(TLS, BEDROCK "\n"), "no-credentials");
}

static void test_oauth_token_in_x_api_key(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", OAUTH),
				       "oauth-token-in-x-api-key", SEV_ERROR);

	expect_contains(msg, "\"Authorization: Bearer\" with anthropic-beta oauth-2025-04-20");
	expect_contains(msg, "not in x-api-key");
	expect_silent(eval(TLS, MESSAGES VERSION "anthropic-beta: oauth-2025-04-20\n"
			   "Authorization: Bearer %s\n\n", OAUTH),
		      "oauth-token-in-x-api-key");
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "oauth-token-in-x-api-key");
}

static void test_api_key_as_bearer(void **state)
{
	const char *msg;

	/* the same key with the old API version (or none) is refused */
	msg = expect_fires(eval(TLS, MESSAGES "anthropic-version: 2023-06-01\n"
				"Authorization: Bearer %s\n\n", API_KEY),
			   "api-key-as-bearer", SEV_ERROR);
	expect_contains(msg, "2026-10-21");
	expect_contains(msg, "2023-06-01");
	expect_contains(msg, "x-api-key");
	expect_fires(eval(TLS, MESSAGES "Authorization: Bearer %s\n\n", API_KEY),
		     "api-key-as-bearer", SEV_ERROR);
	expect_fires(eval(TLS, MESSAGES "anthropic-version: 2026-10-20\n"
			  "Authorization: Bearer %s\n\n", API_KEY),
		     "api-key-as-bearer", SEV_ERROR);
	expect_fires(eval(TLS, MESSAGES "anthropic-version: latest\n"
			  "Authorization: Bearer %s\n\n", API_KEY),
		     "api-key-as-bearer", SEV_ERROR);

	/* TypeScript SDK 1.x: Bearer API key with anthropic-version 2026-10-21 is correct */
	expect_no_findings(eval(TLS, MESSAGES "anthropic-version: 2026-10-21\n"
				"Authorization: Bearer %s\n\n", API_KEY));
	expect_silent(eval(TLS, MESSAGES "anthropic-version: 2027-03-01\n"
			   "Authorization: Bearer %s\n\n", API_KEY),
		      "api-key-as-bearer");
	/* an empty x-api-key does not make it right */
	expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: \nAuthorization: Bearer %s\n\n",
			  API_KEY),
		     "api-key-as-bearer", SEV_ERROR);
	/* with x-api-key as well it is both-auth-headers instead */
	expect_silent(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\nx-api-key: %s\n\n",
			   API_KEY, API_KEY),
		      "api-key-as-bearer");
}

static void test_bedrock_no_authorization(void **state)
{
	const char *msg = expect_fires(eval(TLS, BEDROCK "\n"), "bedrock-no-authorization",
				       SEV_ERROR);

	expect_contains(msg, "\"Authorization: AWS4-HMAC-SHA256\"");
	expect_contains(msg, "\"Authorization: Bearer\" (Bedrock API key)");
	expect_fires(eval(TLS, BEDROCK "Authorization: \n\n"), "bedrock-no-authorization",
		     SEV_ERROR);
	expect_silent(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_BEDROCK),
		      "bedrock-no-authorization");
	expect_silent(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK),
		      "bedrock-no-authorization");
}

static void test_non_bedrock_bearer_to_bedrock(void **state)
{
	const char *msg = expect_fires(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", API_KEY),
				       "non-bedrock-bearer-to-bedrock", SEV_ERROR);

	expect_contains(msg, "an Anthropic API key");
	expect_contains(msg, "Bedrock API key");
	expect_fires(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", JWT_VALID),
		     "non-bedrock-bearer-to-bedrock", SEV_ERROR);
	expect_silent(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK),
		      "non-bedrock-bearer-to-bedrock");
	/* a broken Bedrock key is bedrock-key-malformed, not this */
	expect_silent(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK_TRUNCATED),
		      "non-bedrock-bearer-to-bedrock");
}

static void test_bedrock_key_in_wrong_header(void **state)
{
	const char *msg = expect_fires(eval(TLS, BEDROCK "x-api-key: %s\n\n", ABSK),
				       "bedrock-key-in-wrong-header", SEV_ERROR);

	expect_contains(msg, "\"Authorization: Bearer\"");
	expect_contains(msg, "not in x-api-key");
	expect_fires(eval(TLS, BEDROCK "Authorization: %s\n\n", ABSK), "bedrock-key-in-wrong-header",
		     SEV_ERROR);
	expect_silent(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK),
		      "bedrock-key-in-wrong-header");
}

static void test_bedrock_key_malformed(void **state)
{
	const char *msg = expect_fires(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n",
					    ABSK_TRUNCATED),
				       "bedrock-key-malformed", SEV_ERROR);

	expect_contains(msg, "truncated");
	msg = expect_fires(eval(TLS, BEDROCK "Authorization: Bearer \"%s\"\n\n", ABSK),
			   "bedrock-key-malformed", SEV_ERROR);
	expect_contains(msg, "quoted");
	expect_silent(eval(TLS, BEDROCK "Authorization: Bearer %s\n\n", ABSK),
		      "bedrock-key-malformed");
}

static void test_sigv4_scope_mismatch(void **state)
{
	const char *msg;

	msg = expect_fires(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
				"Host: bedrock-runtime.us-west-2.amazonaws.com\n"
				"x-amz-date: 20261123T081500Z\nAuthorization: %s\n\n",
				SIGV4_EAST_BEDROCK),
			   "sigv4-scope-mismatch", SEV_ERROR);
	expect_contains(msg, "us-east-1/bedrock");
	expect_contains(msg, "region us-west-2");
	msg = expect_fires(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_RUNTIME),
			   "sigv4-scope-mismatch", SEV_ERROR);
	expect_contains(msg, "service bedrock;");
	/* Bedrock Mantle signs as bedrock-mantle (a host entry in default.json) */
	expect_silent(eval(TLS, "POST /anthropic/v1/messages HTTP/1.1\n"
			   "Host: bedrock-mantle.us-east-1.api.aws\nx-amz-date: 20261123T081500Z\n"
			   "Authorization: %s\n\n", SIGV4_MANTLE),
		      "sigv4-scope-mismatch");
	msg = expect_fires(eval(TLS, "POST /anthropic/v1/messages HTTP/1.1\n"
				"Host: bedrock-mantle.us-east-1.api.aws\n"
				"x-amz-date: 20261123T081500Z\nAuthorization: %s\n\n",
				SIGV4_EAST_BEDROCK),
			   "sigv4-scope-mismatch", SEV_ERROR);
	expect_contains(msg, "service bedrock-mantle");
	expect_silent(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_BEDROCK),
		      "sigv4-scope-mismatch");
	expect_silent(eval(TLS, CPA_WEST "Authorization: %s\n\n", SIGV4_WEST_CPA),
		      "sigv4-scope-mismatch");
}

static void test_sts_token_missing(void **state)
{
	const char *msg = expect_fires(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_STS),
				       "sts-token-missing", SEV_ERROR);

	expect_contains(msg, "X-Amz-Security-Token");
	expect_silent(eval(TLS, BEDROCK "X-Amz-Security-Token: %s\nAuthorization: %s\n\n",
			   STS_TOKEN, SIGV4_STS_SIGNED_TOKEN),
		      "sts-token-missing");
	expect_silent(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_BEDROCK),
		      "sts-token-missing");
}

static void test_missing_workspace_id(void **state)
{
	const char *msg = expect_fires(eval(TLS, "POST /v1/messages HTTP/1.1\n"
					    "Host: aws-external-anthropic.us-west-2.api.aws\n" VERSION
					    "x-amz-date: 20261123T081500Z\nAuthorization: %s\n\n",
					    SIGV4_WEST_CPA),
				       "missing-workspace-id", SEV_ERROR);

	expect_contains(msg, "anthropic-workspace-id");
	expect_silent(eval(TLS, CPA_WEST "Authorization: %s\n\n", SIGV4_WEST_CPA),
		      "missing-workspace-id");
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "missing-workspace-id");
}

static void test_refresh_token_in_header(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\n\n",
					    REFRESH),
				       "refresh-token-in-header", SEV_ERROR);

	expect_contains(msg, "refresh token");
	expect_fires(eval(TLS, "POST /x HTTP/1.1\nHost: example.com\nx-api-key: %s\n\n", REFRESH),
		     "refresh-token-in-header", SEV_ERROR);
	expect_silent(eval(TLS, MESSAGES VERSION "anthropic-beta: oauth-2025-04-20\n"
			   "Authorization: Bearer %s\n\n", OAUTH),
		      "refresh-token-in-header");
}

static void test_openai_key_to_azure(void **state)
{
	const char *msg = expect_fires(eval(TLS, AZURE "api-key: %s\n\n", OPENAI_KEY),
				       "openai-key-to-azure", SEV_ERROR);

	expect_contains(msg, "api-key (resource key)");
	expect_fires(eval(TLS, AZURE "Authorization: Bearer %s\n\n", OPENAI_KEY),
		     "openai-key-to-azure", SEV_ERROR);
	expect_silent(eval(TLS, AZURE "api-key: %s\n\n", AZURE_HEX), "openai-key-to-azure");
	expect_silent(eval(TLS, "POST /v1/chat/completions HTTP/1.1\nHost: api.openai.com\n"
			   "Authorization: Bearer %s\n\n", OPENAI_KEY),
		      "openai-key-to-azure");
}

static void test_foreign_key_to_anthropic(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", OPENAI_KEY),
				       "foreign-key-to-anthropic", SEV_ERROR);

	expect_contains(msg, "an OpenAI API key");
	expect_contains(msg, "x-api-key (API key)");
	expect_fires(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\n\n", YA29),
		     "foreign-key-to-anthropic", SEV_ERROR);
	expect_fires(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\n\n", ABSK),
		     "foreign-key-to-anthropic", SEV_ERROR);
	expect_fires(eval(TLS, FOUNDRY "x-api-key: %s\n\n", API_KEY), "foreign-key-to-anthropic",
		     SEV_ERROR);
	/* a JWT is foreign at the provider, but gateways often use their own */
	expect_fires(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\n\n", JWT_VALID),
		     "foreign-key-to-anthropic", SEV_ERROR);
	expect_silent(eval(TLS, "POST /v1/messages HTTP/1.1\nHost: llm.corp.example\n" VERSION
			   "Authorization: Bearer %s\n\n", JWT_VALID),
		      "foreign-key-to-anthropic");
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "foreign-key-to-anthropic");
	expect_silent(eval(TLS, FOUNDRY "Authorization: Bearer %s\n\n", JWT_VALID),
		      "foreign-key-to-anthropic");
}

static void test_gateway_expects_other_header(void **state)
{
	struct rules *r = rules_with(
		"{ \"hosts\": { \"gw.corp:4000\": { \"class\": \"proxy\", \"api\": \"anthropic\",\n"
		"  \"expect\": { \"header\": \"authorization\", \"scheme\": \"Bearer\" },\n"
		"  \"wrong_headers\": [\"x-api-key\"] } } }");
	const char *msg;

	msg = expect_fires(eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp:4000\n"
				     VERSION "x-api-key: %s\n\n", API_KEY),
			   "gateway-expects-other-header", SEV_ERROR);
	expect_contains(msg, "x-api-key");
	expect_contains(msg, "\"Authorization: Bearer\"");
	expect_no_findings(eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp:4000\n"
				     VERSION "Authorization: Bearer %s\n\n", GW_TOKEN));
	/* the gateway's expectation replaces the Anthropic placement rules */
	expect_no_findings(eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp:4000\n"
				     VERSION "Authorization: Bearer %s\n\n", API_KEY));
	/* the declared api covers paths the classifier does not know */
	expect_fires(eval_with(r, TLS, "POST /chat HTTP/1.1\nHost: GW.CORP:4000\n" VERSION
			       "x-api-key: %s\n\n", API_KEY),
		     "gateway-expects-other-header", SEV_ERROR);
	assert_int_equal(g_req.api, API_ANTHROPIC);
	msg = expect_fires(eval_with(r, TLS, "POST /chat HTTP/1.1\nHost: gw.corp:4000\n" VERSION
				     "\n"),
			   "no-credentials", SEV_ERROR);
	expect_contains(msg, "\"Authorization: Bearer\"");
	/* a credential elsewhere than expected */
	expect_fires(eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp:4000\n" VERSION
			       "Authorization: Basic %s\n\n", GW_TOKEN),
		     "gateway-expects-other-header", SEV_ERROR);
	/* another port is another host */
	expect_silent(eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp:5000\n" VERSION
				"x-api-key: %s\n\n", API_KEY),
		      "gateway-expects-other-header");
	rules_free(r);

	/* built in: Portkey reads its own key from x-portkey-api-key */
	expect_fires(eval(TLS, "POST /v1/messages HTTP/1.1\nHost: api.portkey.ai\n" VERSION
			  "x-api-key: %s\n\n", API_KEY),
		     "gateway-expects-other-header", SEV_ERROR);
	expect_silent(eval(TLS, "POST /v1/messages HTTP/1.1\nHost: api.portkey.ai\n" VERSION
			   "x-portkey-api-key: %s\nAuthorization: Bearer %s\n\n", GW_TOKEN, OAUTH),
		      "gateway-expects-other-header");
}

static void test_oauth_bearer_missing_beta(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "anthropic-beta: claude-code-20250219\n"
					    "Authorization: Bearer %s\n\n", OAUTH),
				       "oauth-bearer-missing-beta", SEV_WARNING);

	expect_contains(msg, "oauth-2025-04-20");
	expect_fires(eval(TLS, MESSAGES VERSION "Authorization: Bearer %s\n\n", OAUTH),
		     "oauth-bearer-missing-beta", SEV_WARNING);
	expect_silent(eval(TLS, MESSAGES VERSION "anthropic-beta: claude-code-20250219, "
			   "oauth-2025-04-20\nAuthorization: Bearer %s\n\n", OAUTH),
		      "oauth-bearer-missing-beta");
	/* two anthropic-beta fields combine */
	expect_silent(eval(TLS, MESSAGES VERSION "anthropic-beta: claude-code-20250219\n"
			   "anthropic-beta: oauth-2025-04-20\nAuthorization: Bearer %s\n\n", OAUTH),
		      "oauth-bearer-missing-beta");
}

static void test_both_auth_headers(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: %s\n"
					    "Authorization: Bearer %s\n\n", API_KEY, GW_TOKEN),
				       "both-auth-headers", SEV_WARNING);

	expect_contains(msg, "two different credentials");
	msg = expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: %s\nAuthorization: Bearer %s\n\n",
				API_KEY, API_KEY),
			   "both-auth-headers", SEV_WARNING);
	expect_contains(msg, "the same credential");
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "both-auth-headers");
	/* ANTHROPIC_API_KEY="" with ANTHROPIC_AUTH_TOKEN (the OpenRouter setup) */
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: \nAuthorization: Bearer %s\n\n",
			   GW_TOKEN),
		      "both-auth-headers");
}

/* Missing-header rules stay silent when part of the head could not be seen. */
static void test_partial_heads_skip_absence_rules(void **state)
{
	struct request *req;

	req = parse_f(TLS, MESSAGES "\n");
	req->incomplete = true;
	rules_evaluate(g_rules, req, NOW);
	expect_no_findings(req);
	req = parse_f(TLS, "POST /v1/messages HTTP/1.1\n"
		      "Host: aws-external-anthropic.us-west-2.api.aws\nAuthorization: %s\n\n",
		      SIGV4_WEST_CPA);
	req->hpack_partial = true;
	rules_evaluate(g_rules, req, NOW);
	expect_no_findings(req);
}

static void test_missing_anthropic_version(void **state)
{
	const char *msg = expect_fires(eval(TLS, MESSAGES "x-api-key: %s\n\n", API_KEY),
				       "missing-anthropic-version", SEV_WARNING);

	expect_contains(msg, "anthropic-version: 2023-06-01");
	expect_fires(eval(TLS, "POST /anthropic/v1/messages HTTP/1.1\n"
			  "Host: fake-res.services.ai.azure.com\nx-api-key: %s\n\n", AZURE84),
		     "missing-anthropic-version", SEV_WARNING);
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "missing-anthropic-version");
	/* Vertex carries the version in the body */
	expect_silent(eval(TLS, "POST /v1/projects/p/locations/us-east5/publishers/anthropic/models/"
			   "m:rawPredict HTTP/1.1\nHost: us-east5-aiplatform.googleapis.com\n"
			   "Authorization: Bearer %s\n\n", YA29),
		      "missing-anthropic-version");
}

static void test_azure_key_as_bearer(void **state)
{
	const char *msg = expect_fires(eval(TLS, FOUNDRY "Authorization: Bearer %s\n\n", AZURE84),
				       "azure-key-as-bearer", SEV_WARNING);

	expect_contains(msg, "x-api-key");
	msg = expect_fires(eval(TLS, AZURE "Authorization: Bearer %s\n\n", AZURE_HEX),
			   "azure-key-as-bearer", SEV_WARNING);
	expect_contains(msg, "api-key");
	expect_silent(eval(TLS, FOUNDRY "x-api-key: %s\n\n", AZURE84), "azure-key-as-bearer");
	expect_silent(eval(TLS, FOUNDRY "Authorization: Bearer %s\n\n", JWT_VALID),
		      "azure-key-as-bearer");
}

static void test_sigv4_clock_skew(void **state)
{
	const char *msg;

	msg = expect_fires(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
				"Host: bedrock-runtime.us-east-1.amazonaws.com\n"
				"x-amz-date: 20261123T061500Z\nAuthorization: %s\n\n",
				SIGV4_EAST_BEDROCK),
			   "sigv4-clock-skew", SEV_WARNING);
	expect_contains(msg, "2h01m behind");
	expect_fires(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
			  "Host: bedrock-runtime.us-east-1.amazonaws.com\n"
			  "x-amz-date: 20261123T082200Z\nAuthorization: %s\n\n", SIGV4_EAST_BEDROCK),
		     "sigv4-clock-skew", SEV_WARNING);
	expect_fires(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
			  "Host: bedrock-runtime.us-east-1.amazonaws.com\n"
			  "x-amz-date: 2026-11-23T08:15:00Z\nAuthorization: %s\n\n", SIGV4_EAST_BEDROCK),
		     "sigv4-clock-skew", SEV_WARNING);
	/* no x-amz-date: the scope date must be the capture day */
	msg = expect_fires(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
				"Host: bedrock-runtime.us-east-1.amazonaws.com\nAuthorization: %s\n\n",
				SIGV4_OLD_SCOPE),
			   "sigv4-clock-skew", SEV_WARNING);
	expect_contains(msg, "20261101");
	expect_silent(eval(TLS, BEDROCK "Authorization: %s\n\n", SIGV4_EAST_BEDROCK),
		      "sigv4-clock-skew");
	expect_silent(eval(TLS, "POST /model/m/invoke HTTP/1.1\n"
			   "Host: bedrock-runtime.us-east-1.amazonaws.com\nAuthorization: %s\n\n",
			   SIGV4_EAST_BEDROCK),
		      "sigv4-clock-skew");
}

static void test_expired_jwt(void **state)
{
	const char *msg = expect_fires(eval(TLS, FOUNDRY "Authorization: Bearer %s\n\n", JWT_EXPIRED),
				       "expired-jwt", SEV_WARNING);

	expect_contains(msg, "3h00m");
	expect_contains(msg, "2026-11-23T05:16:00Z");
	expect_silent(eval(TLS, FOUNDRY "Authorization: Bearer %s\n\n", JWT_VALID), "expired-jwt");
}

static void test_cleartext_credential(void **state)
{
	struct request *req;
	const char *msg;

	msg = expect_fires(eval(PLAIN, "POST /v1/messages HTTP/1.1\nHost: 10.0.0.5:4000\n" VERSION
				"x-api-key: %s\n\n", API_KEY),
			   "cleartext-credential", SEV_WARNING);
	expect_contains(msg, "https://");
	expect_fires(eval(PLAIN, "POST /v1/messages HTTP/1.1\nHost: 127.0.0.1:8080\n" VERSION
			  "x-api-key: %s\n\n", API_KEY),
		     "cleartext-credential", SEV_INFO);
	expect_fires(eval(PLAIN, "POST /v1/messages HTTP/1.1\nHost: localhost:8080\n" VERSION
			  "x-api-key: %s\n\n", API_KEY),
		     "cleartext-credential", SEV_INFO);
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "cleartext-credential");
	/* a name in Host, but the connection goes to a loopback peer */
	req = parse_f(PLAIN, "POST /v1/messages HTTP/1.1\nHost: llm.example.com\n" VERSION
		      "x-api-key: %s\n\n", API_KEY);
	strcpy(req->peer, "127.0.0.1:8080");
	rules_evaluate(g_rules, req, NOW);
	expect_fires(req, "cleartext-credential", SEV_INFO);
	/* placeholders and empty values are not credentials worth protecting */
	expect_silent(eval(PLAIN, "POST /v1/messages HTTP/1.1\nHost: 10.0.0.5:4000\n" VERSION
			   "x-api-key: sk-ant-placeholder-key-for-credential-isolation\n\n"),
		      "cleartext-credential");
	expect_silent(eval(PLAIN, "POST /v1/messages HTTP/1.1\nHost: 10.0.0.5:4000\n" VERSION
			   "x-api-key: \n\n"),
		      "cleartext-credential");
}

static void test_placeholder_credential(void **state)
{
	const char *msg;

	msg = expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: sk-ant-placeholder-key-for-"
				"credential-isolation\n\n"),
			   "placeholder-credential", SEV_ERROR);
	expect_contains(msg, "provider's own host");
	expect_fires(eval(TLS, MESSAGES VERSION "x-api-key: your-api-key-here\n\n"),
		     "placeholder-credential", SEV_ERROR);
	expect_fires(eval(TLS, "POST /v1/messages HTTP/1.1\nHost: llm-proxy.example.com\n" VERSION
			  "x-api-key: sk-ant-placeholder-key-for-credential-isolation\n\n"),
		     "placeholder-credential", SEV_INFO);
	expect_silent(eval(TLS, MESSAGES VERSION "x-api-key: %s\n\n", API_KEY),
		      "placeholder-credential");
}

/* ------------------------------------------------------------------------ */
/* Rules files                                                               */
/* ------------------------------------------------------------------------ */

/* Load json into fresh default rules; returns the result and leaves the message in err. */
static int try_load(const char *json, char *err, size_t errlen)
{
	struct rules *r = rules_new_default(err, errlen);
	int rc;

	assert_non_null(r);
	rc = rules_load_buffer(r, "rules.json", json, strlen(json), err, errlen);
	rules_free(r);
	if (rc != 0)
		assert_null(strchr(err, '\n'));
	return rc;
}

static void expect_load_error(const char *json, const char *want)
{
	char err[512];

	assert_int_equal(try_load(json, err, sizeof(err)), -1);
	if (strcmp(err, want) != 0)
		fail_msg("error \"%s\", expected \"%s\"", err, want);
}

static void expect_load_error_prefix(const char *json, const char *prefix, const char *part)
{
	char err[512];

	assert_int_equal(try_load(json, err, sizeof(err)), -1);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, part))
		fail_msg("error \"%s\", expected \"%s...%s...\"", err, prefix, part);
}

static void test_rules_file_valid(void **state)
{
	char err[256];

	assert_int_equal(try_load("{}", err, sizeof(err)), 0);
	assert_int_equal(try_load("{\n  \"_comment\": \"nothing here\",\n  \"schema\": 1,\n"
				  "  \"credential_headers\": [\"X-Corp-Key\"],\n"
				  "  \"destinations\": { \"openai\": { \"name\": \"the corp OpenAI\" } },\n"
				  "  \"hosts\": { \"*.corp.example\": { \"class\": \"private\" },\n"
				  "             \"[::1]:9000\": { \"class\": \"loopback\" } },\n"
				  "  \"rules\": { \"expired-jwt\": \"error\" },\n"
				  "  \"settings\": { \"clock_skew_seconds\": 60 }\n}\n",
				  err, sizeof(err)),
			 0);
}

static void test_rules_file_overrides(void **state)
{
	struct rules *r = rules_with("{ \"rules\": { \"both-auth-headers\": \"off\", "
				     "\"missing-anthropic-version\": \"error\" },\n"
				     "  \"hosts\": { \"*.corp.example\": { \"class\": \"provider\", "
				     "\"rules\": { \"cleartext-credential\": \"off\" } } } }");
	struct request *req;

	expect_silent(eval_with(r, TLS, MESSAGES VERSION "x-api-key: %s\nAuthorization: Bearer %s\n\n",
				API_KEY, GW_TOKEN),
		      "both-auth-headers");
	expect_fires(eval_with(r, TLS, MESSAGES "x-api-key: %s\n\n", API_KEY),
		     "missing-anthropic-version", SEV_ERROR);
	/* a wildcard host declared a provider: placeholders there are errors */
	req = eval_with(r, PLAIN, "POST /v1/messages HTTP/1.1\nHost: llm.corp.example\n" VERSION
			"x-api-key: sk-ant-placeholder-key-for-credential-isolation\n"
			"x-goog-api-key: %s\n\n", GW_TOKEN);
	expect_fires(req, "placeholder-credential", SEV_ERROR);
	expect_silent(req, "cleartext-credential");
	rules_free(r);

	/* a user file can tighten a destination: Bearer API keys no longer accepted */
	r = rules_with("{ \"destinations\": { \"anthropic\": { \"accept\": [\n"
		       "  { \"kind\": \"anthropic-api-key\", \"header\": \"x-api-key\" } ] } } }");
	expect_fires(eval_with(r, TLS, MESSAGES "anthropic-version: 2026-10-21\n"
			       "Authorization: Bearer %s\n\n", API_KEY),
		     "api-key-as-bearer", SEV_ERROR);
	rules_free(r);
}

static void test_rules_file_extra_credential_header(void **state)
{
	struct rules *r = rules_with("{ \"credential_headers\": [\"X-My-Gateway-Key\", "
				     "\"x-my-gateway-key\", \"x-api-key\"] }");
	const char *const *extra = rules_extra_cred_headers(r);
	struct request *req;

	assert_string_equal(extra[0], "x-my-gateway-key");
	assert_null(extra[1]); /* duplicates and built-in names are not repeated */
	req = eval_with(r, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.example.com\n" VERSION
			"X-My-Gateway-Key: %s\n\n", API_KEY);
	assert_int_equal(req->n_creds, 1);
	assert_string_equal(req->creds[0].header, "x-my-gateway-key");
	assert_int_equal(req->creds[0].kind, CRED_ANTHROPIC_API_KEY);
	expect_silent(req, "no-credentials");
	rules_free(r);

	/* without the rules file the header is not a credential */
	req = eval(TLS, "POST /v1/messages HTTP/1.1\nHost: gw.example.com\n" VERSION
		   "X-My-Gateway-Key: %s\n\n", API_KEY);
	assert_int_equal(req->n_creds, 0);
	expect_fires(req, "no-credentials", SEV_ERROR);
}

static void test_rules_file_syntax_error_line(void **state)
{
	expect_load_error_prefix("{\n  \"hosts\": {\n    \"gw\": { \"class\": \"proxy\" }\n"
				 "    \"gw2\": {}\n  }\n}\n",
				 "rules.json:4: ", "invalid JSON");
	expect_load_error_prefix("{\n  \"rules\": {\n    \"expired-jwt\": \"off\",\n  }\n}",
				 "rules.json:4: ", "invalid JSON");
	expect_load_error_prefix("{\n\n\n  \"rules\": {", "rules.json:4: ", "invalid JSON");
	expect_load_error("", "rules.json:1: empty file (expected a JSON object)");
	expect_load_error("{}\n\n{}", "rules.json:3: unexpected text after the JSON object");
}

static void test_rules_file_schema_errors(void **state)
{
	expect_load_error("{\n  \"hosts\": {\n    \"gw.corp:4000\": {\n      \"api\": \"anthropic\",\n"
			  "      \"class\": 7\n    }\n  }\n}\n",
			  "rules.json:5: expected a string for \"class\"");
	expect_load_error("{\n  \"hosts\": {\n    \"gw.corp:4000\": {\n      \"clas\": \"proxy\"\n"
			  "    }\n  }\n}\n",
			  "rules.json:4: unknown key \"clas\" (expected one of: class, api, expect, "
			  "wrong_headers, region, sigv4_service, rules)");
	expect_load_error("{\n  \"rules\": {\n    \"expired-jwt\": \"off\",\n"
			  "    \"both-auth-header\": \"off\"\n  }\n}\n",
			  "rules.json:4: unknown rule id \"both-auth-header\"");
	expect_load_error("{\n  \"rules\": { \"expired-jwt\": \"loud\" }\n}",
			  "rules.json:2: a rule level must be \"error\", \"warning\", \"info\" or "
			  "\"off\", not \"loud\"");
	expect_load_error("{ \"credential_headers\": [\"x-ok\",\n  \"bad header\"] }",
			  "rules.json:2: \"bad header\" is not a valid header name");
	expect_load_error("{ \"credential_headers\": [\"x-ok\",\n  3] }",
			  "rules.json:2: expected a string for \"credential_headers\"[1]");
	expect_load_error("{ \"credential_headers\": \"x-ok\" }",
			  "rules.json:1: expected an array for \"credential_headers\"");
	expect_load_error_prefix("{ \"destinations\": {\n \"anthropic\": { \"accept\": [\n"
				 "  { \"kind\": \"x-api-key\", \"header\": \"x-api-key\" } ] } } }",
				 "rules.json:3: ", "unknown credential kind \"x-api-key\"");
	expect_load_error_prefix("{ \"destinations\": { \"mistral\": {} } }", "rules.json:1: ",
				 "unknown destination \"mistral\"");
	expect_load_error("{ \"destinations\": { \"anthropic\": { \"accept\": [\n"
			  "  { \"kind\": \"anthropic-api-key\" } ] } } }",
			  "rules.json:2: missing \"header\"");
	expect_load_error_prefix("{ \"destinations\": { \"anthropic\": { \"accept\": [\n"
				 "  { \"kind\": \"anthropic-api-key\", \"header\": \"authorization\",\n"
				 "    \"min_version\": \"21.10.2026\" } ] } } }",
				 "rules.json:3: ", "yyyy-mm-dd");
	expect_load_error_prefix("{ \"hosts\": { \"a*b*c\": {} } }", "rules.json:1: ", "one '*'");
	expect_load_error_prefix("{ \"hosts\": { \"gw\": { \"api\": \"gemini\" } } }",
				 "rules.json:1: ", "\"api\" must be one of");
	expect_load_error("{ \"settings\": {\n \"clock_skew_seconds\": -5 } }",
			  "rules.json:2: expected an integer from 0 to 86400 for "
			  "\"clock_skew_seconds\"");
	expect_load_error("{ \"schema\": 2 }",
			  "rules.json:1: expected an integer from 1 to 1 for \"schema\"");
	expect_load_error("[1, 2]", "rules.json:1: a rules file must be a JSON object");
	/* file strings reach finding messages: no control characters */
	expect_load_error("{ \"destinations\": {\n \"anthropic\": { \"name\": \"bad\\u001b[2J\" } } }",
			  "rules.json:2: \"name\" must not contain control characters");
	expect_load_error_prefix("{ \"versoin\": 1 }", "rules.json:1: ",
				 "unknown key \"versoin\"");
}

static void test_rules_file_limits(void **state)
{
	size_t big = (1u << 20) + 1;
	static const char deep[] = "{\"hosts\":\n[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}";
	char *json = malloc(big + 1), err[256], path[] = "/tmp/authtrace-rules-XXXXXX";
	struct rules *r;
	int fd;

	assert_non_null(json);
	memset(json, ' ', big);
	json[0] = '{';
	json[big - 1] = '}';
	json[big] = '\0';
	r = rules_new_default(err, sizeof(err));
	assert_int_equal(rules_load_buffer(r, "big.json", json, big, err, sizeof(err)), -1);
	expect_contains(err, "big.json:1: file too large");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, big), (ssize_t)big);
	close(fd);
	assert_int_equal(rules_load_file(r, path, err, sizeof(err)), -1);
	expect_contains(err, path);
	expect_contains(err, "too large");
	unlink(path);
	free(json);

	/* nesting */
	assert_int_equal(rules_load_buffer(r, "deep.json", deep, strlen(deep), err, sizeof(err)), -1);
	expect_contains(err, "deep.json:2: nested deeper than");
	rules_free(r);
}

static void test_rules_file_failed_load_changes_nothing(void **state)
{
	char err[256];
	struct rules *r = rules_new_default(err, sizeof(err));
	static const char json[] = "{ \"credential_headers\": [\"x-my-key\"],\n"
				   "  \"rules\": { \"both-auth-headers\": \"off\", \"nope\": \"off\" } }";

	assert_int_equal(rules_load_buffer(r, "half.json", json, strlen(json), err, sizeof(err)), -1);
	expect_contains(err, "half.json:2: unknown rule id \"nope\"");
	assert_null(rules_extra_cred_headers(r)[0]);
	expect_fires(eval_with(r, TLS, MESSAGES VERSION "x-api-key: %s\nAuthorization: Bearer %s\n\n",
			       API_KEY, GW_TOKEN),
		     "both-auth-headers", SEV_WARNING);
	rules_free(r);
}

/*
 * rules_evaluate() remembers what it found for recent destinations (host
 * rule and host class).  Each answer must stay with its own authority, TLS
 * setting and rules: more destinations than it keeps, in rotation; one
 * authority over TLS and in cleartext (a port-specific rule each); two
 * rules objects; a reload; a new rules object after a free.
 */
#define GW_HEAD "POST /v1/messages HTTP/1.1\nHost: gw.corp.example\n" VERSION "x-api-key: %s\n\n"

static const char gw_json[] =
	"{ \"hosts\": {\n"
	"  \"gw.corp.example:443\": { \"expect\": { \"header\": \"authorization\", "
	"\"scheme\": \"Bearer\" } },\n"
	"  \"gw.corp.example:80\": { \"class\": \"loopback\" } } }";

static void test_destination_memo_is_exact(void **state)
{
	static const struct {
		const char *host;
		enum severity cleartext;
	} rotation[] = {
		{ "127.0.0.1:4000", SEV_INFO },  { "10.0.0.5:4000", SEV_WARNING },
		{ "localhost:4000", SEV_INFO },  { "llm.example.com", SEV_WARNING },
		{ "[::1]:4000", SEV_INFO },      { "10.0.0.5", SEV_WARNING },
		{ "gw.corp.example", SEV_INFO }, /* its :80 entry says loopback */
	};
	static const char provider_json[] =
		"{ \"hosts\": { \"gw.corp.example:443\": { \"class\": \"provider\" } } }";
	struct rules *gw = rules_with(gw_json);
	char err[256];

	g_req.peer[0] = '\0'; /* event metadata, left by an earlier test */
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(rotation) / sizeof(rotation[0]); i++)
			expect_fires(eval_with(gw, PLAIN, "POST /v1/messages HTTP/1.1\nHost: %s\n" VERSION
					       "x-api-key: %s\n\n", rotation[i].host, API_KEY),
				     "cleartext-credential", rotation[i].cleartext);
	for (int round = 0; round < 3; round++) {
		expect_fires(eval_with(gw, TLS, GW_HEAD, API_KEY), "gateway-expects-other-header",
			     SEV_ERROR);
		expect_silent(eval_with(gw, PLAIN, GW_HEAD, API_KEY), "gateway-expects-other-header");
		expect_silent(eval_with(g_rules, TLS, GW_HEAD, API_KEY),
			      "gateway-expects-other-header");
	}
	/* the :443 entry replaced: no expectation any more, and a provider */
	assert_int_equal(rules_load_buffer(gw, "reload.json", provider_json,
					   strlen(provider_json), err, sizeof(err)),
			 0);
	expect_silent(eval_with(gw, TLS, GW_HEAD, API_KEY), "gateway-expects-other-header");
	expect_fires(eval_with(gw, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp.example\n"
			       VERSION "x-api-key: sk-ant-placeholder-key-for-credential-isolation\n\n"),
		     "placeholder-credential", SEV_ERROR);
	rules_free(gw);
	/* a new rules object, likely at the same address */
	gw = rules_with(gw_json);
	expect_fires(eval_with(gw, TLS, GW_HEAD, API_KEY), "gateway-expects-other-header",
		     SEV_ERROR);
	expect_fires(eval_with(gw, TLS, "POST /v1/messages HTTP/1.1\nHost: gw.corp.example\n"
			       VERSION "x-api-key: sk-ant-placeholder-key-for-credential-isolation\n\n"),
		     "placeholder-credential", SEV_INFO);
	rules_free(gw);
}

static void test_rules_load_file(void **state)
{
	char err[256], path[] = "/tmp/authtrace-rules-XXXXXX";
	static const char json[] = "{\n  \"hosts\": {\n    \"gw.corp:4000\": { \"class\": [] }\n  }\n}\n";
	struct rules *r = rules_new_default(err, sizeof(err));
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	assert_int_equal(rules_load_file(r, path, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	expect_contains(err, ":3: expected a string for \"class\"");
	unlink(path);
	assert_int_equal(rules_load_file(r, "/nonexistent/rules.json", err, sizeof(err)), -1);
	expect_contains(err, "/nonexistent/rules.json: cannot read");
	rules_free(r);
}

/* ------------------------------------------------------------------------ */
/* Seeds: the original bug reports, from tests/fixtures/seeds                */
/* ------------------------------------------------------------------------ */

static char g_fixture[16384];

/*
 * tests/fixtures/seeds/NAME, found from this file's path (the build runs
 * from the repository root); AUTHTRACE_SEEDS_DIR overrides it.
 */
static struct request *eval_fixture(const char *name, bool tls)
{
	const char *dir = getenv("AUTHTRACE_SEEDS_DIR"), *slash = strrchr(__FILE__, '/');
	char path[1024];
	size_t len;
	FILE *f;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%.*s/../fixtures/seeds/%s",
			 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root or set AUTHTRACE_SEEDS_DIR)",
			 path);
	len = fread(g_fixture, 1, sizeof(g_fixture) - 1, f);
	fclose(f);
	g_fixture[len] = '\0';
	assert_non_null(strstr(g_fixture, "\r\n\r\n")); /* raw HTTP/1.1, CRLF */
	return eval_raw_with(g_rules, g_fixture, len, tls);
}

static void expect_kinds(const struct request *req, const enum cred_kind *kinds, unsigned n)
{
	assert_int_equal(req->n_creds, n);
	for (unsigned i = 0; i < n; i++)
		if (req->creds[i].kind != kinds[i])
			fail_msg("credential %u in %s: %s, expected %s", i, req->creds[i].header,
				 cred_kind_name(req->creds[i].kind), cred_kind_name(kinds[i]));
}

static void seed000_bedrock_invoke_without_authorization(void **state)
{
	struct request *req = eval_fixture("seed000_bedrock_invoke_without_authorization.http", TLS);

	assert_int_equal(req->api, API_BEDROCK);
	assert_int_equal(req->n_creds, 0);
	expect_fires(req, "bedrock-no-authorization", SEV_ERROR);
	assert_int_equal(req->n_findings, 1);
}

static void seed001_placeholders_in_both_headers_to_proxy(void **state)
{
	static const enum cred_kind kinds[] = { CRED_PLACEHOLDER, CRED_PLACEHOLDER };
	struct request *req = eval_fixture("seed001_placeholders_in_both_headers_to_proxy.http",
					   PLAIN);

	assert_int_equal(req->api, API_ANTHROPIC);
	expect_kinds(req, kinds, 2);
	expect_fires(req, "both-auth-headers", SEV_WARNING);
	expect_fires(req, "placeholder-credential", SEV_INFO);
	assert_int_equal(count_rule(req, "placeholder-credential"), 2);
	expect_silent(req, "cleartext-credential");
	assert_int_equal(req->n_findings, 3);
}

static void seed002_oauth_token_in_x_api_key(void **state)
{
	static const enum cred_kind kinds[] = { CRED_ANTHROPIC_OAUTH_TOKEN };
	struct request *req = eval_fixture("seed002_oauth_token_in_x_api_key.http", TLS);

	expect_kinds(req, kinds, 1);
	expect_fires(req, "oauth-token-in-x-api-key", SEV_ERROR);
	assert_int_equal(req->n_findings, 1);
}

static void seed003_claude_code_auth_methods(void **state)
{
	static const enum cred_kind api_key[] = { CRED_ANTHROPIC_API_KEY };
	static const enum cred_kind helper[] = { CRED_ANTHROPIC_API_KEY, CRED_ANTHROPIC_API_KEY };
	static const enum cred_kind opaque[] = { CRED_UNKNOWN };
	static const enum cred_kind oauth[] = { CRED_ANTHROPIC_OAUTH_TOKEN };
	static const enum cred_kind sigv4[] = { CRED_AWS_SIGV4 };
	static const enum cred_kind google[] = { CRED_GOOGLE_ACCESS_TOKEN };
	struct request *req;

	/* ANTHROPIC_API_KEY -> x-api-key */
	req = eval_fixture("seed003_api_key.http", TLS);
	expect_kinds(req, api_key, 1);
	assert_string_equal(req->creds[0].header, "x-api-key");
	expect_no_findings(req);

	/* ANTHROPIC_AUTH_TOKEN -> Authorization: Bearer (a gateway token) */
	req = eval_fixture("seed003_auth_token.http", TLS);
	expect_kinds(req, opaque, 1);
	assert_string_equal(req->creds[0].scheme, "Bearer");
	expect_no_findings(req);

	/* apiKeyHelper -> the same value in both headers */
	req = eval_fixture("seed003_api_key_helper.http", TLS);
	expect_kinds(req, helper, 2);
	assert_string_equal(req->creds[0].fingerprint, req->creds[1].fingerprint);
	expect_contains(expect_fires(req, "both-auth-headers", SEV_WARNING), "the same credential");
	assert_int_equal(req->n_findings, 1);

	/* /login -> Bearer OAuth token with the oauth beta */
	req = eval_fixture("seed003_oauth_login.http", TLS);
	expect_kinds(req, oauth, 1);
	expect_no_findings(req);

	/* CLAUDE_CODE_USE_BEDROCK with the AWS chain -> SigV4 */
	req = eval_fixture("seed003_bedrock_sigv4.http", TLS);
	assert_int_equal(req->api, API_BEDROCK);
	expect_kinds(req, sigv4, 1);
	assert_string_equal(req->creds[0].sigv4.service, "bedrock");
	expect_no_findings(req);

	/* CLAUDE_CODE_USE_VERTEX -> Google access token */
	req = eval_fixture("seed003_vertex.http", TLS);
	assert_int_equal(req->api, API_VERTEX);
	expect_kinds(req, google, 1);
	expect_no_findings(req);

	/* CLAUDE_CODE_USE_FOUNDRY with ANTHROPIC_FOUNDRY_API_KEY -> x-api-key */
	req = eval_fixture("seed003_foundry.http", TLS);
	assert_int_equal(req->api, API_FOUNDRY);
	expect_kinds(req, opaque, 1);
	assert_true(req->creds[0].looks_like_azure_key);
	expect_no_findings(req);
}

static void seed004_claude_platform_aws_without_workspace(void **state)
{
	static const enum cred_kind sigv4[] = { CRED_AWS_SIGV4 };
	struct request *req = eval_fixture("seed004_claude_platform_aws_without_workspace.http", TLS);
	const char *msg;

	assert_int_equal(req->api, API_CLAUDE_PLATFORM_AWS);
	expect_kinds(req, sigv4, 1);
	expect_fires(req, "missing-workspace-id", SEV_ERROR);
	assert_int_equal(req->n_findings, 1);

	/* the scope check: us-east-1/bedrock signed for the us-west-2 host */
	req = eval_fixture("seed004_claude_platform_aws_scope_mismatch.http", TLS);
	msg = expect_fires(req, "sigv4-scope-mismatch", SEV_ERROR);
	expect_contains(msg, "region us-west-2 and service aws-external-anthropic");
	assert_int_equal(req->n_findings, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_rules_load),
		cmocka_unit_test(test_clean_requests_have_no_findings),
		cmocka_unit_test(test_no_credentials),
		cmocka_unit_test(test_oauth_token_in_x_api_key),
		cmocka_unit_test(test_api_key_as_bearer),
		cmocka_unit_test(test_bedrock_no_authorization),
		cmocka_unit_test(test_non_bedrock_bearer_to_bedrock),
		cmocka_unit_test(test_bedrock_key_in_wrong_header),
		cmocka_unit_test(test_bedrock_key_malformed),
		cmocka_unit_test(test_sigv4_scope_mismatch),
		cmocka_unit_test(test_sts_token_missing),
		cmocka_unit_test(test_missing_workspace_id),
		cmocka_unit_test(test_refresh_token_in_header),
		cmocka_unit_test(test_openai_key_to_azure),
		cmocka_unit_test(test_foreign_key_to_anthropic),
		cmocka_unit_test(test_gateway_expects_other_header),
		cmocka_unit_test(test_oauth_bearer_missing_beta),
		cmocka_unit_test(test_both_auth_headers),
		cmocka_unit_test(test_missing_anthropic_version),
		cmocka_unit_test(test_partial_heads_skip_absence_rules),
		cmocka_unit_test(test_azure_key_as_bearer),
		cmocka_unit_test(test_sigv4_clock_skew),
		cmocka_unit_test(test_expired_jwt),
		cmocka_unit_test(test_cleartext_credential),
		cmocka_unit_test(test_placeholder_credential),
		cmocka_unit_test(test_rules_file_valid),
		cmocka_unit_test(test_rules_file_overrides),
		cmocka_unit_test(test_rules_file_extra_credential_header),
		cmocka_unit_test(test_rules_file_syntax_error_line),
		cmocka_unit_test(test_rules_file_schema_errors),
		cmocka_unit_test(test_rules_file_limits),
		cmocka_unit_test(test_rules_file_failed_load_changes_nothing),
		cmocka_unit_test(test_destination_memo_is_exact),
		cmocka_unit_test(test_rules_load_file),
		cmocka_unit_test(seed000_bedrock_invoke_without_authorization),
		cmocka_unit_test(seed001_placeholders_in_both_headers_to_proxy),
		cmocka_unit_test(seed002_oauth_token_in_x_api_key),
		cmocka_unit_test(seed003_claude_code_auth_methods),
		cmocka_unit_test(seed004_claude_platform_aws_without_workspace),
	};

	return cmocka_run_group_tests_name("rules", tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the rules-file loader and the rules engine.
 *
 * The input is a rules file, loaded on top of the built-in rules with
 * rules_load_buffer().  The contract checked:
 *  - the result is 0 or -1; on -1 the message is one NUL-terminated line
 *    that starts with "<name>:<line>: ", on 0 it is empty;
 *  - the extra credential header list is NULL-terminated, bounded, and
 *    holds non-empty lowercase names that fit a credential record;
 *  - evaluating a fixed set of requests (built through the real HTTP/1
 *    parser, with the file's extra credential headers) gives well-formed
 *    findings, the same ones twice in a row, and no finding message holds a
 *    piece of any credential value (that the rules file did not itself hold).
 * The input buffer from libFuzzer has exactly the input's size, so ASan
 * sees any read past it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "http1.h"
#include "request.h"
#include "rules.h"
#include "fuzz_common.h"

#define NOW 1795421760 /* 2026-11-23T08:16:00Z */

/* Fake secrets; no finding may contain a piece of them. */
static const char *const secrets[] = {
	"sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"sk-ant-oat01-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCAA",
	"sk-ant-ort01-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDAA",
	"ABSKQmVkcm9ja0FQSUtleS1hYmNkLWF0LTEyMzQ1Njc4OTAxMjpmYWtlc2VjcmV0",
	"sk-proj-EEEEEEEEEEEEEEEEEEEET3BlbkFJFFFFFFFFFFFFFFFFFFFF",
	"ya29.GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG",
	"gw-KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK",
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"ASIAEXAMPLEFAKE00000",
};

/* Requests that reach every rule family; hosts that the seed corpus names. */
static const char *const heads[] = {
	"POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
	"x-api-key: sk-ant-oat01-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCAA\r\n"
	"Authorization: Bearer sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\r\n",
	"POST /v1/messages HTTP/1.1\r\nHost: gw.corp:4000\r\nanthropic-version: 2023-06-01\r\n"
	"x-api-key: gw-KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK\r\n"
	"x-my-gateway-key: sk-ant-ort01-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDAA\r\n\r\n",
	"POST /chat HTTP/1.1\r\nHost: llm.corp.example\r\n"
	"Authorization: Bearer sk-ant-placeholder-key-for-credential-isolation\r\n\r\n",
	"POST /model/m/invoke HTTP/1.1\r\nHost: bedrock-runtime.us-east-1.amazonaws.com\r\n"
	"x-amz-date: 20261123T061500Z\r\n"
	"Authorization: AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEFAKE00000/20261123/us-west-2/bedrock-runtime/aws4_request, "
	"SignedHeaders=host;x-amz-date, "
	"Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
	"x-api-key: ABSKQmVkcm9ja0FQSUtleS1hYmNkLWF0LTEyMzQ1Njc4OTAxMjpmYWtlc2VjcmV0\r\n\r\n",
	"POST /anthropic/v1/messages HTTP/1.1\r\nHost: res.services.ai.azure.com\r\n"
	"Authorization: Bearer 0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n"
	"api-key: sk-proj-EEEEEEEEEEEEEEEEEEEET3BlbkFJFFFFFFFFFFFFFFFFFFFF\r\n\r\n",
	"POST /openai/deployments/d/chat/completions HTTP/1.1\r\nHost: res.openai.azure.com\r\n"
	"api-key: sk-proj-EEEEEEEEEEEEEEEEEEEET3BlbkFJFFFFFFFFFFFFFFFFFFFF\r\n\r\n",
	"POST /v1/messages HTTP/1.1\r\nHost: aws-external-anthropic.us-west-2.api.aws\r\n"
	"Authorization: Bearer ya29.GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG\r\n\r\n",
	"POST /v1/messages HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n",
	"POST /model/m/invoke HTTP/1.1\r\nHost: bedrock-mantle.eu-west-1.api.aws\r\n\r\n",
};

#define N_HEADS (sizeof(heads) / sizeof(heads[0]))

static struct request req_a, req_b;

static void on_line(void *ctx, const char *m, size_t ml, const char *t, size_t tl)
{
	struct request_builder *b = ctx;

	request_set_line(b->req, m, ml, t, tl);
}

static bool on_header(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
	request_add_header(ctx, n, nl, v, vl);
	return true;
}

static const struct h1_visitor visitor = { .request_line = on_line, .header = on_header };

/*
 * memmem, by hand and uninstrumented: libFuzzer hooks the libc one and
 * would harvest the fake secrets into its mutation dictionary (and print
 * them in its log); the checker's own branches are no coverage either.
 */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

NO_COVERAGE static bool contains(const void *hay, size_t n, const char *needle, size_t k, bool fold)
{
	const unsigned char *h = hay;

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;

		while (j < k && (fold ? lower(h[i + j]) == lower((unsigned char)needle[j])
				      : h[i + j] == (unsigned char)needle[j]))
			j++;
		if (j == k)
			return true;
	}
	return false;
}

static void check_error_message(const char *err, size_t cap, int rc)
{
	size_t n = strnlen(err, cap);

	CHECK(n < cap);
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECK(n == 0);
		return;
	}
	CHECK(strncmp(err, "fuzz.json:", 10) == 0);
	CHECK(err[10] >= '1' && err[10] <= '9');
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)err[i] >= 0x20);
}

static void check_extra_headers(const char *const *extra)
{
	unsigned n = 0;

	CHECK(extra != NULL);
	for (; extra[n]; n++) {
		size_t len = strlen(extra[n]);

		CHECK(n < 64);
		CHECK(len > 0 && len < CRED_HEADER_MAX);
		for (size_t i = 0; i < len; i++)
			CHECK(!(extra[n][i] >= 'A' && extra[n][i] <= 'Z'));
	}
}

static void build(const struct rules *r, const char *head, struct request *req)
{
	struct request_builder b = { .req = req, .extra_cred_headers = rules_extra_cred_headers(r) };
	struct h1_head_info info;

	request_reset(req);
	req->tls = (strlen(head) & 1) != 0; /* a fixed mix of TLS and cleartext */
	CHECK(h1_parse_request((const uint8_t *)head, strlen(head), 65536, &visitor, &b, &info) ==
	      H1_COMPLETE);
	request_finish(req);
}

/*
 * Findings are well-formed; with input set, no message holds a piece of a
 * credential value unless that piece came from the rules file itself
 * (names, labels and schemes from the file are quoted in messages; header
 * names and host patterns lowercased).
 */
static void check_findings(const struct request *req, const uint8_t *input, size_t input_len)
{
	CHECK(req->n_findings <= REQ_MAX_FINDINGS);
	for (unsigned i = 0; i < req->n_findings; i++) {
		const struct finding *f = &req->findings[i];
		size_t n = strnlen(f->message, FINDING_MSG_MAX);

		CHECK(f->rule && f->rule[0]);
		CHECK(f->severity == SEV_INFO || f->severity == SEV_WARNING ||
		      f->severity == SEV_ERROR);
		CHECK(n > 0 && n < FINDING_MSG_MAX);
		for (size_t k = 0; k < n; k++)
			CHECK((unsigned char)f->message[k] >= 0x20);
		/* 10-byte pieces every 8 bytes: any 17-byte run of a secret is caught */
		for (size_t s = 0; input && s < sizeof(secrets) / sizeof(secrets[0]); s++) {
			size_t len = strlen(secrets[s]);

			for (size_t off = 0; off + 10 <= len; off += 8)
				CHECK(!contains(f->message, n, secrets[s] + off, 10, false) ||
				      contains(input, input_len, secrets[s] + off, 10, true));
		}
	}
}

static void check_same(const struct request *a, const struct request *b)
{
	CHECK(a->n_findings == b->n_findings);
	for (unsigned i = 0; i < a->n_findings; i++) {
		CHECK(strcmp(a->findings[i].rule, b->findings[i].rule) == 0);
		CHECK(a->findings[i].severity == b->findings[i].severity);
		CHECK(strcmp(a->findings[i].message, b->findings[i].message) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct rules *r = rules_new_default(err, sizeof(err));
	int rc;

	CHECK(r != NULL);
	memset(err, 'x', sizeof(err));
	rc = rules_load_buffer(r, "fuzz.json", (const char *)data, size, err, sizeof(err));
	check_error_message(err, sizeof(err), rc);
	check_extra_headers(rules_extra_cred_headers(r));

	for (size_t i = 0; i < N_HEADS; i++) {
		build(r, heads[i], &req_a);
		build(r, heads[i], &req_b);
		rules_evaluate(r, &req_a, NOW);
		rules_evaluate(r, &req_b, NOW);
		check_findings(&req_a, data, size);
		check_same(&req_a, &req_b);
		/* evaluating again appends (up to the limit), never corrupts */
		rules_evaluate(r, &req_a, NOW);
		check_findings(&req_a, NULL, 0);
	}
	rules_free(r);
	return 0;
}

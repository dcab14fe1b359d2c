/* SPDX-License-Identifier: MIT */
/* Unit tests for the HTTP/1.x head parsers (user/http1.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

#define MAX_HEAD 16384
#define MAX_SEEN 64

/* Everything a visitor was told, pointing into the parsed buffer. */
struct seen {
	unsigned request_lines, status_lines, headers;
	const char *method, *target, *reason;
	size_t method_len, target_len, reason_len;
	int status;
	const char *name[MAX_SEEN], *value[MAX_SEEN];
	size_t name_len[MAX_SEEN], value_len[MAX_SEEN];
	unsigned stop_after; /* header callback returns false on this call (0: never) */
};

static void on_request_line(void *ctx, const char *method, size_t method_len,
			    const char *target, size_t target_len)
{
	struct seen *s = ctx;

	s->request_lines++;
	s->method = method;
	s->method_len = method_len;
	s->target = target;
	s->target_len = target_len;
}

static void on_status_line(void *ctx, int status, const char *reason,
			   size_t reason_len)
{
	struct seen *s = ctx;

	s->status_lines++;
	s->status = status;
	s->reason = reason;
	s->reason_len = reason_len;
}

static bool on_header(void *ctx, const char *name, size_t name_len,
		      const char *value, size_t value_len)
{
	struct seen *s = ctx;

	if (s->headers < MAX_SEEN) {
		s->name[s->headers] = name;
		s->name_len[s->headers] = name_len;
		s->value[s->headers] = value;
		s->value_len[s->headers] = value_len;
	}
	s->headers++;
	return s->headers != s->stop_after;
}

static const struct h1_visitor recorder = {
	.request_line = on_request_line,
	.status_line = on_status_line,
	.header = on_header,
};

static void assert_bytes_equal(const char *p, size_t n, const char *want)
{
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/*
 * Parse a copy of exactly n bytes on the heap, so that ASan flags any read
 * past the end.
 */
static enum h1_result parse_exact(bool response, const void *data, size_t n,
				  size_t max_head, struct seen *s,
				  struct h1_head_info *info)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum h1_result r;

	assert_non_null(copy);
	if (n)
		memcpy(copy, data, n);
	if (response)
		r = h1_parse_response(copy, n, max_head, &recorder, s, info);
	else
		r = h1_parse_request(copy, n, max_head, &recorder, s, info);
	free(copy);
	/* s now points into freed memory: callers look at its counts only. */
	return r;
}

static enum h1_result parse_request_str(const char *head, struct seen *s,
					struct h1_head_info *info)
{
	return h1_parse_request((const uint8_t *)head, strlen(head), MAX_HEAD,
				&recorder, s, info);
}

static enum h1_result parse_response_str(const char *head, struct seen *s,
					 struct h1_head_info *info)
{
	return h1_parse_response((const uint8_t *)head, strlen(head), MAX_HEAD,
				 &recorder, s, info);
}

static enum h1_result request_result(const char *head)
{
	struct seen s = { 0 };

	return parse_request_str(head, &s, NULL);
}

static enum h1_result response_result(const char *head)
{
	struct seen s = { 0 };

	return parse_response_str(head, &s, NULL);
}

/* --- a realistic Anthropic request head ------------------------------------ */

static const char anthropic_head[] =
	"POST /v1/messages?beta=true HTTP/1.1\r\n"
	"Host: api.anthropic.com\r\n"
	"Accept: application/json\r\n"
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"
	"Anthropic-Beta: claude-code-20250219,oauth-2025-04-20\r\n"
	"Anthropic-Dangerous-Direct-Browser-Access: true\r\n"
	"Anthropic-Version: 2023-06-01\r\n"
	"Authorization: Bearer sk-ant-oat01-TEST-not-a-real-token\r\n"
	"Connection: keep-alive\r\n"
	"Content-Length: 1234\r\n"
	"Content-Type: application/json\r\n"
	"User-Agent: claude-cli/1.0.83 (external, cli)\r\n"
	"X-App: cli\r\n"
	"X-Stainless-Arch: x64\r\n"
	"X-Stainless-Helper-Method: stream\r\n"
	"X-Stainless-Lang: js\r\n"
	"X-Stainless-OS: Linux\r\n"
	"X-Stainless-Package-Version: 0.55.1\r\n"
	"X-Stainless-Retry-Count: 0\r\n"
	"X-Stainless-Runtime: node\r\n"
	"X-Stainless-Runtime-Version: v22.17.0\r\n"
	"X-Stainless-Timeout: 600\r\n"
	"x-api-key:   sk-ant-api03-TEST-not-a-real-key \t \r\n"
	"X-Empty:\r\n"
	"Accept-Language:\t*\r\n"
	"sec-fetch-mode: cors\r\n"
	"\r\n";

static const char *const anthropic_names[] = {
	"Host", "Accept", "Accept-Encoding", "Anthropic-Beta",
	"Anthropic-Dangerous-Direct-Browser-Access", "Anthropic-Version",
	"Authorization", "Connection", "Content-Length", "Content-Type",
	"User-Agent", "X-App", "X-Stainless-Arch", "X-Stainless-Helper-Method",
	"X-Stainless-Lang", "X-Stainless-OS", "X-Stainless-Package-Version",
	"X-Stainless-Retry-Count", "X-Stainless-Runtime",
	"X-Stainless-Runtime-Version", "X-Stainless-Timeout", "x-api-key",
	"X-Empty", "Accept-Language", "sec-fetch-mode",
};

static const char *const anthropic_values[] = {
	"api.anthropic.com", "application/json", "gzip, deflate, br, zstd",
	"claude-code-20250219,oauth-2025-04-20", "true", "2023-06-01",
	"Bearer sk-ant-oat01-TEST-not-a-real-token", "keep-alive", "1234",
	"application/json", "claude-cli/1.0.83 (external, cli)", "cli", "x64",
	"stream", "js", "Linux", "0.55.1", "0", "node", "v22.17.0", "600",
	"sk-ant-api03-TEST-not-a-real-key", "", "*", "cors",
};

#define ANTHROPIC_HEADERS (sizeof(anthropic_names) / sizeof(anthropic_names[0]))

static void test_realistic_head_reports_names_in_wire_order_and_trimmed_values(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str(anthropic_head, &s, &info),
			 H1_COMPLETE);
	assert_int_equal(s.request_lines, 1);
	assert_int_equal(s.status_lines, 0);
	assert_bytes_equal(s.method, s.method_len, "POST");
	assert_bytes_equal(s.target, s.target_len, "/v1/messages?beta=true");

	assert_int_equal(s.headers, ANTHROPIC_HEADERS);
	for (size_t i = 0; i < ANTHROPIC_HEADERS; i++) {
		assert_bytes_equal(s.name[i], s.name_len[i], anthropic_names[i]);
		assert_bytes_equal(s.value[i], s.value_len[i],
				   anthropic_values[i]);
	}

	assert_int_equal(info.head_len, strlen(anthropic_head));
	assert_int_equal(info.header_count, ANTHROPIC_HEADERS);
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 1234);
	assert_false(info.http10);
	assert_int_equal(info.status, 0);
}

static void test_every_proper_prefix_is_incomplete_and_silent(void **state)
{
	size_t len = strlen(anthropic_head);

	for (size_t n = 0; n < len; n++) {
		struct seen s = { 0 };
		struct h1_head_info info;

		if (parse_exact(false, anthropic_head, n, MAX_HEAD, &s,
				&info) != H1_INCOMPLETE)
			fail_msg("prefix of %zu bytes was not INCOMPLETE", n);
		assert_int_equal(s.request_lines + s.headers, 0);
		assert_int_equal(info.head_len, 0);
	}
}

static void test_full_head_as_exact_heap_buffer_is_complete(void **state)
{
	size_t len = strlen(anthropic_head);
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_exact(false, anthropic_head, len, MAX_HEAD, &s,
				     &info),
			 H1_COMPLETE);
	assert_int_equal(info.head_len, len);
	assert_int_equal(s.headers, ANTHROPIC_HEADERS);
}

static void test_every_proper_prefix_of_response_is_incomplete(void **state)
{
	static const char head[] = "HTTP/1.1 401 Unauthorized\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 86\r\n"
				   "request-id: req_011TEST\r\n"
				   "\r\n";

	for (size_t n = 0; n < sizeof(head) - 1; n++) {
		struct seen s = { 0 };

		if (parse_exact(true, head, n, MAX_HEAD, &s, NULL) !=
		    H1_INCOMPLETE)
			fail_msg("prefix of %zu bytes was not INCOMPLETE", n);
		assert_int_equal(s.status_lines + s.headers, 0);
	}
	assert_int_equal(response_result(head), H1_COMPLETE);
}

static void test_keepalive_heads_back_to_back_parse_one_after_another(void **state)
{
	static const char two[] = "GET /v1/models HTTP/1.1\r\n"
				  "Host: api.anthropic.com\r\n"
				  "\r\n"
				  "POST /v1/messages HTTP/1.1\r\n"
				  "Host: api.anthropic.com\r\n"
				  "Content-Length: 2\r\n"
				  "\r\n"
				  "{}";
	const size_t first_len = strlen("GET /v1/models HTTP/1.1\r\n"
					"Host: api.anthropic.com\r\n\r\n");
	const uint8_t *buf = (const uint8_t *)two;
	size_t len = sizeof(two) - 1;
	struct seen s1 = { 0 }, s2 = { 0 };
	struct h1_head_info info;

	assert_int_equal(h1_parse_request(buf, len, MAX_HEAD, &recorder, &s1,
					  &info),
			 H1_COMPLETE);
	assert_int_equal(info.head_len, first_len);
	assert_int_equal(info.framing, H1_BODY_NONE);
	assert_int_equal(s1.headers, 1);
	assert_bytes_equal(s1.method, s1.method_len, "GET");

	assert_int_equal(h1_parse_request(buf + first_len, len - first_len,
					  MAX_HEAD, &recorder, &s2, &info),
			 H1_COMPLETE);
	assert_int_equal(info.head_len, len - first_len - 2);
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 2);
	assert_bytes_equal(s2.method, s2.method_len, "POST");
	assert_bytes_equal(s2.target, s2.target_len, "/v1/messages");
}

static void test_truncated_capture_is_incomplete(void **state)
{
	assert_int_equal(request_result("POST /v1/mess"), H1_INCOMPLETE);
	assert_int_equal(request_result("POST /v1/messages HTTP/1.1\r\n"
					"Authorization: Bearer sk-ant-"),
			 H1_INCOMPLETE);
	assert_int_equal(request_result("POST /v1/messages HTTP/1.1\r\n"
					"Host: x\r\n\r"),
			 H1_INCOMPLETE);
	assert_int_equal(request_result("POST / HTTP/1.1\n"
					"Host: x\n"),
			 H1_INCOMPLETE);
}

static void test_head_longer_than_max_head_is_invalid(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\n"
				   "Host: x\r\n"
				   "\r\n";
	const uint8_t *buf = (const uint8_t *)head;
	size_t len = sizeof(head) - 1;
	uint8_t *big = malloc(MAX_HEAD + 100);
	size_t prefix = strlen("GET / HTTP/1.1\r\nX-Pad: ");

	assert_int_equal(h1_parse_request(buf, len, len, NULL, NULL, NULL),
			 H1_COMPLETE);
	assert_int_equal(h1_parse_request(buf, len, len - 1, NULL, NULL, NULL),
			 H1_INVALID);
	/* Without its end, a max_head-long prefix is already INVALID. */
	assert_int_equal(h1_parse_request(buf, len - 1, len - 1, NULL, NULL,
					  NULL),
			 H1_INVALID);

	/* One huge valid-looking header and no end in sight. */
	assert_non_null(big);
	memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", prefix);
	memset(big + prefix, 'a', MAX_HEAD + 100 - prefix);
	assert_int_equal(h1_parse_request(big, MAX_HEAD - 1, MAX_HEAD, NULL,
					  NULL, NULL),
			 H1_INCOMPLETE);
	assert_int_equal(h1_parse_request(big, MAX_HEAD, MAX_HEAD, NULL, NULL,
					  NULL),
			 H1_INVALID);
	assert_int_equal(h1_parse_request(big, MAX_HEAD + 100, MAX_HEAD, NULL,
					  NULL, NULL),
			 H1_INVALID);
	free(big);
}

static void test_h2_preface_and_its_prefixes_are_invalid(void **state)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

	assert_int_equal(request_result(preface), H1_INVALID);
	assert_int_equal(request_result("PRI * HTTP/2"), H1_INVALID);
	assert_int_equal(response_result(preface), H1_INVALID);
	assert_false(h1_looks_like_request((const uint8_t *)preface,
					   sizeof(preface) - 1));
}

static void test_binary_garbage_is_invalid_without_waiting_for_max_head(void **state)
{
	/* A TLS ClientHello record header: a capture of the wrong side of SSL. */
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	/* An HTTP/2 SETTINGS frame. */
	static const uint8_t h2_frame[] = { 0x00, 0x00, 0x06, 0x04, 0x00,
					    0x00, 0x00, 0x00, 0x00 };
	/* gzip magic, as in a compressed request body */
	static const uint8_t gzip[] = { 0x1f, 0x8b, 0x08, 0x00 };

	assert_int_equal(h1_parse_request(tls, sizeof(tls), MAX_HEAD, NULL,
					  NULL, NULL),
			 H1_INVALID);
	assert_int_equal(h1_parse_request(h2_frame, sizeof(h2_frame), MAX_HEAD,
					  NULL, NULL, NULL),
			 H1_INVALID);
	assert_int_equal(h1_parse_request(gzip, 1, MAX_HEAD, NULL, NULL, NULL),
			 H1_INVALID);
	assert_int_equal(h1_parse_response(tls, 1, MAX_HEAD, NULL, NULL, NULL),
			 H1_INVALID);
	/* A JSON body mistaken for a head. */
	assert_int_equal(request_result("{\"model\":"), H1_INVALID);
	/* Text that is a plausible method but then goes wrong. */
	assert_int_equal(request_result("Hello world, this is not HTTP"),
			 H1_INVALID);
	assert_int_equal(request_result("GET /\x01"), H1_INVALID);
}

static void test_bare_lf_line_endings_are_accepted(void **state)
{
	static const char head[] = "POST /v1/messages HTTP/1.1\n"
				   "Host: api.anthropic.com\n"
				   "x-api-key: k \n"
				   "Content-Length: 7\n"
				   "\n";
	static const char mixed[] = "GET / HTTP/1.0\r\n"
				    "Host: x\n"
				    "\r\n";
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str(head, &s, &info), H1_COMPLETE);
	assert_int_equal(info.head_len, sizeof(head) - 1);
	assert_int_equal(s.headers, 3);
	assert_bytes_equal(s.value[1], s.value_len[1], "k");
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 7);

	assert_int_equal(parse_request_str(mixed, &s, &info), H1_COMPLETE);
	assert_int_equal(info.head_len, sizeof(mixed) - 1);
	assert_true(info.http10);
}

static void test_cr_not_followed_by_lf_is_invalid(void **state)
{
	assert_int_equal(request_result("GET / HTTP/1.1\rHost: x\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\nA: b\r\r\n\r\n"),
			 H1_INVALID);
}

static void test_leading_empty_line_before_request_line_is_invalid(void **state)
{
	assert_int_equal(request_result("\r\nGET / HTTP/1.1\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("\r\n\r\n"), H1_INVALID);
}

static void test_content_length_framing(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Content-Length: 0042\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 42);

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "content-length: 0\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_NONE);

	assert_int_equal(parse_request_str("GET / HTTP/1.1\r\n\r\n", &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_NONE);
	assert_int_equal(info.header_count, 0);

	/* 2^53 is the largest accepted length. */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Content-Length: 9007199254740992\r\n"
					   "\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.content_length, UINT64_C(9007199254740992));

	/* Same value twice is fine (RFC 9110 §8.6). */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Content-Length: 5\r\n"
					   "CONTENT-LENGTH: 005\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.content_length, 5);
}

static void test_malformed_content_length_is_invalid(void **state)
{
	static const char *const bad[] = {
		"", "+5", "-1", "5a", "0x10", "5 5", "5,5", "1e3",
		"9007199254740993", "18446744073709551616",
		"99999999999999999999999999999999",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char head[256];

		snprintf(head, sizeof(head),
			 "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n",
			 bad[i]);
		if (request_result(head) != H1_INVALID)
			fail_msg("Content-Length \"%s\" was accepted", bad[i]);
	}
}

static void test_duplicate_conflicting_content_length_is_invalid(void **state)
{
	assert_int_equal(request_result("POST / HTTP/1.1\r\n"
					"Content-Length: 5\r\n"
					"Content-Length: 6\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(response_result("HTTP/1.1 200 OK\r\n"
					 "Content-Length: 5\r\n"
					 "content-length: 50\r\n\r\n"),
			 H1_INVALID);
}

static void test_chunked_transfer_encoding_framing(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_CHUNKED);

	/* Case-insensitive, last coding of the list, ignoring empty elements. */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "transfer-encoding: gzip, CHUNKED ,\r\n"
					   "\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_CHUNKED);

	/* Transfer-Encoding overrides Content-Length (RFC 9112 §6.3). */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Content-Length: 10\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_CHUNKED);
	assert_int_equal(info.content_length, 0);

	/* Several fields form one list; the last field's last coding counts. */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Transfer-Encoding: gzip\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_CHUNKED);
}

/*
 * No length can be known (RFC 9112 §6.3), but the head went out with its
 * credentials, so it is reported; Content-Length frames it if present.
 */
static void test_request_with_non_chunked_last_coding_is_still_reported(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "x-api-key: k\r\n"
					   "Transfer-Encoding: chunked, gzip\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(s.headers, 2);
	assert_int_equal(info.framing, H1_BODY_NONE);

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Transfer-Encoding: chunked\r\n"
					   "Transfer-Encoding: gzip\r\n"
					   "Content-Length: 9\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 9);

	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Transfer-Encoding: chunkedx\r\n\r\n",
					   &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_NONE);
}

static void test_nul_in_value_is_invalid(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\nX-Api-Key: sk\0x\r\n\r\n";
	static const char in_name[] = "GET / HTTP/1.1\r\nX-A\0: v\r\n\r\n";

	assert_int_equal(h1_parse_request((const uint8_t *)head,
					  sizeof(head) - 1, MAX_HEAD, NULL,
					  NULL, NULL),
			 H1_INVALID);
	/* Rejected as soon as the NUL is seen, before the head ends. */
	assert_int_equal(h1_parse_request((const uint8_t *)head,
					  strlen("GET / HTTP/1.1\r\nX-Api-Key: sk") + 1,
					  MAX_HEAD, NULL, NULL, NULL),
			 H1_INVALID);
	assert_int_equal(h1_parse_request((const uint8_t *)in_name,
					  sizeof(in_name) - 1, MAX_HEAD, NULL,
					  NULL, NULL),
			 H1_INVALID);
}

static void test_whitespace_before_colon_is_invalid(void **state)
{
	assert_int_equal(request_result("GET / HTTP/1.1\r\n"
					"Host : x\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\n"
					"Host\t: x\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(response_result("HTTP/1.1 200 OK\r\n"
					 "Content-Length : 5\r\n\r\n"),
			 H1_INVALID);
}

static void test_bad_field_names_are_invalid(void **state)
{
	assert_int_equal(request_result("GET / HTTP/1.1\r\n: x\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\nNoColon\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\nA(b): x\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\nX-\xc3\xa9: x\r\n\r\n"),
			 H1_INVALID);
}

/* obs-fold is rejected by design; see the comment at the top of http1.c. */
static void test_obs_fold_continuation_line_is_invalid(void **state)
{
	assert_int_equal(request_result("GET / HTTP/1.1\r\n"
					"X-Long: part one\r\n"
					" part two\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\n"
					"X-Long: part one\r\n"
					"\tpart two\r\n\r\n"),
			 H1_INVALID);
	/* A folded first line has nothing to continue either. */
	assert_int_equal(request_result("GET / HTTP/1.1\r\n"
					" Host: x\r\n\r\n"),
			 H1_INVALID);
}

static void test_value_bytes_other_than_nul_cr_lf_are_kept(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\n"
				   "X-Raw: a\x01\x7f\xff b\tc\r\n\r\n";
	struct seen s = { 0 };

	assert_int_equal(parse_request_str(head, &s, NULL), H1_COMPLETE);
	assert_bytes_equal(s.value[0], s.value_len[0], "a\x01\x7f\xff b\tc");
}

/*
 * Names and values are scanned eight bytes at a time: every length, every
 * position of a stop byte (CR, NUL) or of a non-token byte in a name, and
 * the bytes next to them in value (which a word-wide test could confuse
 * with them), must come out as a byte-by-byte parser says.
 */
static void test_every_length_and_position_in_names_and_values(void **state)
{
	static const char name_bytes[] = "aZ9-x!#$%&'*+.^_`|~Q";
	static const char value_bytes[] = "\x01\x0b\x0c\x0e\x0f\x7f\x80\xff\t ,-a:";
	static const char bad_in_name[] = { ',', '(', ' ', '\0', '\r', '\n', '\x80', '"' };
	char head[256];
	struct seen s;

	for (size_t nl = 1; nl <= 20; nl++) {
		for (size_t vl = 0; vl <= 24; vl++) {
			char name[32], value[32];
			int len;

			for (size_t i = 0; i < nl; i++)
				name[i] = name_bytes[(i * 7 + vl) % (sizeof(name_bytes) - 1)];
			for (size_t i = 0; i < vl; i++)
				value[i] = value_bytes[(i * 5 + nl) % (sizeof(value_bytes) - 1)];
			/* a value's own OWS is trimmed: keep its ends visible */
			if (vl) {
				value[0] = 'v';
				value[vl - 1] = 'w';
			}
			len = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\n%.*s: %.*s\r\n\r\n",
				       (int)nl, name, (int)vl, value);
			memset(&s, 0, sizeof(s));
			assert_int_equal(parse_exact(false, head, (size_t)len, MAX_HEAD, &s, NULL),
					 H1_COMPLETE);
			assert_int_equal(s.headers, 1);

			/* a CR or NUL anywhere in the value */
			for (size_t at = 0; at < vl; at++) {
				const char stops[] = { '\r', '\0' };

				for (size_t k = 0; k < sizeof(stops); k++) {
					char bad[32];

					memcpy(bad, value, vl);
					bad[at] = stops[k];
					len = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\n%.*s: ",
						       (int)nl, name);
					memcpy(head + len, bad, vl);
					memcpy(head + len + vl, "\r\n\r\n", 4);
					memset(&s, 0, sizeof(s));
					assert_int_equal(parse_exact(false, head, (size_t)len + vl + 4,
								     MAX_HEAD, &s, NULL),
							 H1_INVALID);
					assert_int_equal(s.headers, 0);
				}
			}
		}
		/* a byte that is not a token character anywhere in the name */
		for (size_t at = 0; at < nl; at++) {
			for (size_t k = 0; k < sizeof(bad_in_name); k++) {
				char name[32];
				int n;

				if (at == 0 && bad_in_name[k] == '\n')
					continue; /* an empty line: the end of the head */
				for (size_t i = 0; i < nl; i++)
					name[i] = i % 3 ? '-' : 'a';
				name[at] = bad_in_name[k];
				n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\n");
				memcpy(head + n, name, nl);
				memcpy(head + n + nl, ": v\r\n\r\n", 7);
				memset(&s, 0, sizeof(s));
				assert_int_equal(parse_exact(false, head, (size_t)n + nl + 7, MAX_HEAD,
							     &s, NULL),
						 H1_INVALID);
			}
		}
	}
}

static void test_method_must_be_a_token_of_at_most_32_chars(void **state)
{
	static const char m32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!~* /x HTTP/1.1\r\n\r\n";
	static const char m33[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!~*+ /x HTTP/1.1\r\n\r\n";
	struct seen s = { 0 };

	assert_int_equal(parse_request_str(m32, &s, NULL), H1_COMPLETE);
	assert_int_equal(s.method_len, 32);
	assert_int_equal(request_result(m33), H1_INVALID);
	/* Rejected on the 33rd method byte, before any space arrives. */
	assert_int_equal(request_result("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!~*+"),
			 H1_INVALID);
	assert_int_equal(request_result("PROPFIND /dav HTTP/1.1\r\n\r\n"),
			 H1_COMPLETE);
	assert_int_equal(request_result(" GET / HTTP/1.1\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("G(T / HTTP/1.1\r\n\r\n"), H1_INVALID);
}

static void test_request_line_shape_is_enforced(void **state)
{
	assert_int_equal(request_result("GET  / HTTP/1.1\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET /  HTTP/1.1\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1 \r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET /\tx HTTP/1.1\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"),
			 H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.1\r\n\r\n"), H1_COMPLETE);
	assert_int_equal(request_result("GET /\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET\r\n\r\n"), H1_INVALID);
}

static void test_only_http10_and_http11_versions_are_accepted(void **state)
{
	struct h1_head_info info;
	struct seen s = { 0 };

	assert_int_equal(parse_request_str("GET / HTTP/1.0\r\n\r\n", &s, &info),
			 H1_COMPLETE);
	assert_true(info.http10);
	assert_int_equal(parse_request_str("GET / HTTP/1.1\r\n\r\n", &s, &info),
			 H1_COMPLETE);
	assert_false(info.http10);

	assert_int_equal(request_result("GET / HTTP/1.2\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/2.0\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/0.9\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / http/1.1\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1.10\r\n\r\n"), H1_INVALID);
	assert_int_equal(request_result("GET / HTTP/1\r\n\r\n"), H1_INVALID);
}

static void test_bedrock_invoke_request(void **state)
{
	static const char head[] =
		"POST /model/anthropic.claude-sonnet-4-20250514-v1%3A0/invoke HTTP/1.1\r\n"
		"host: bedrock-runtime.us-east-1.amazonaws.com\r\n"
		"content-type: application/json\r\n"
		"x-amz-date: 20250601T120000Z\r\n"
		"x-amz-security-token: TESTTOKEN\r\n"
		"authorization: AWS4-HMAC-SHA256 Credential=ASIATESTTESTTESTTEST/"
		"20250601/us-east-1/bedrock/aws4_request, "
		"SignedHeaders=host;x-amz-date, Signature=00ff\r\n"
		"content-length: 512\r\n"
		"\r\n";
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str(head, &s, &info), H1_COMPLETE);
	assert_bytes_equal(s.target, s.target_len,
			   "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/invoke");
	assert_int_equal(s.headers, 6);
	assert_bytes_equal(s.name[4], s.name_len[4], "authorization");
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 512);
}

/* --- responses ------------------------------------------------------------- */

static void test_response_200_with_content_length(void **state)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 321\r\n"
				   "\r\n"
				   "{\"id\":";
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_response_str(head, &s, &info), H1_COMPLETE);
	assert_int_equal(s.status_lines, 1);
	assert_int_equal(s.request_lines, 0);
	assert_int_equal(s.status, 200);
	assert_bytes_equal(s.reason, s.reason_len, "OK");
	assert_int_equal(s.headers, 2);
	assert_int_equal(info.status, 200);
	assert_int_equal(info.head_len, strlen(head) - strlen("{\"id\":"));
	assert_int_equal(info.framing, H1_BODY_LENGTH);
	assert_int_equal(info.content_length, 321);
	assert_false(info.http10);
}

static void test_response_401_reports_multi_word_reason(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_response_str("HTTP/1.1 401 Unauthorized Access\r\n"
					    "Www-Authenticate: Bearer\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_int_equal(s.status, 401);
	assert_bytes_equal(s.reason, s.reason_len, "Unauthorized Access");
	assert_int_equal(info.framing, H1_BODY_UNTIL_CLOSE);
}

static void test_response_without_body_statuses_have_no_body(void **state)
{
	static const char *const heads[] = {
		"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nTransfer-Encoding: chunked\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct seen s = { 0 };
		struct h1_head_info info;

		assert_int_equal(parse_response_str(heads[i], &s, &info),
				 H1_COMPLETE);
		assert_int_equal(info.framing, H1_BODY_NONE);
	}
}

static void test_response_framing_chunked_and_until_close(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_response_str("HTTP/1.1 200 OK\r\n"
					    "Transfer-Encoding: chunked\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_CHUNKED);

	/* Another final coding is delimited by the close, not Content-Length. */
	assert_int_equal(parse_response_str("HTTP/1.1 200 OK\r\n"
					    "Transfer-Encoding: gzip\r\n"
					    "Content-Length: 5\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_UNTIL_CLOSE);

	assert_int_equal(parse_response_str("HTTP/1.1 200 OK\r\n"
					    "Content-Length: 0\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_int_equal(info.framing, H1_BODY_NONE);
}

static void test_response_http10_without_length_reads_until_close(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_response_str("HTTP/1.0 200 OK\r\n"
					    "Server: test\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_true(info.http10);
	assert_int_equal(info.status, 200);
	assert_int_equal(info.framing, H1_BODY_UNTIL_CLOSE);
}

static void test_response_without_reason_phrase(void **state)
{
	struct seen s = { 0 };
	struct h1_head_info info;

	assert_int_equal(parse_response_str("HTTP/1.1 200\r\n"
					    "Content-Length: 1\r\n\r\n",
					    &s, &info),
			 H1_COMPLETE);
	assert_int_equal(s.status, 200);
	assert_int_equal(s.reason_len, 0);
	assert_int_equal(info.content_length, 1);

	/* An empty reason after the space is also fine. */
	assert_int_equal(parse_response_str("HTTP/1.1 404 \r\n\r\n", &s, &info),
			 H1_COMPLETE);
	assert_int_equal(s.status, 404);
	assert_int_equal(s.reason_len, 0);
}

static void test_malformed_status_lines_are_invalid(void **state)
{
	/* sizeof, not strlen: one case has a NUL inside. */
#define BAD(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *head;
		size_t len;
	} bad[] = {
		BAD("HTTP/1.1 20\r\n\r\n"),      BAD("HTTP/1.1 2000\r\n\r\n"),
		BAD("HTTP/1.1 099 Low\r\n\r\n"), BAD("HTTP/1.1 abc OK\r\n\r\n"),
		BAD("HTTP/1.1  200 OK\r\n\r\n"), BAD("HTTP/1.1\r\n\r\n"),
		BAD("HTTP/1.1 200OK\r\n\r\n"),   BAD("HTTP/2 200\r\n\r\n"),
		BAD("HTTP/1.1 200 O\0K\r\n\r\n"), BAD("http/1.1 200 OK\r\n\r\n"),
		BAD("GET / HTTP/1.1\r\n\r\n"),
	};
#undef BAD

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (h1_parse_response((const uint8_t *)bad[i].head, bad[i].len,
				      MAX_HEAD, NULL, NULL, NULL) != H1_INVALID)
			fail_msg("status line %zu was accepted", i);
	}
}

static void test_response_status_line_is_passed_to_status_callback_only(void **state)
{
	struct seen s = { 0 };

	assert_int_equal(parse_response_str("HTTP/1.1 529 Overloaded\r\n\r\n",
					    &s, NULL),
			 H1_COMPLETE);
	assert_int_equal(s.status_lines, 1);
	assert_int_equal(s.request_lines, 0);
	assert_int_equal(s.status, 529);
	/* A request parser never accepts a status line, and vice versa. */
	assert_int_equal(request_result("HTTP/1.1 200 OK\r\n\r\n"), H1_INVALID);
}

/* --- probes ---------------------------------------------------------------- */

static bool looks_req(const char *s)
{
	return h1_looks_like_request((const uint8_t *)s, strlen(s));
}

static bool looks_resp(const char *s)
{
	return h1_looks_like_response((const uint8_t *)s, strlen(s));
}

static void test_looks_like_request_answers_on_prefixes(void **state)
{
	assert_false(looks_req(""));
	assert_false(h1_looks_like_request(NULL, 0));
	assert_true(looks_req("P"));
	assert_true(looks_req("PO"));
	assert_true(looks_req("POST"));
	assert_true(looks_req("POST "));
	assert_true(looks_req("POST /v1/messages HTTP/1.1\r\n"));
	assert_true(looks_req("GET /"));
	assert_true(looks_req("OPTIONS *"));
	assert_true(looks_req("CONNECT api.anthropic.com:443"));
	assert_true(looks_req("DELETE /"));
	assert_true(looks_req("HEAD /"));
	assert_true(looks_req("PATCH /"));
	assert_true(looks_req("TRACE /"));
	assert_true(looks_req("PUT /"));

	assert_false(looks_req("POSTX /"));
	assert_false(looks_req("POST/"));
	assert_false(looks_req("post /"));
	assert_false(looks_req("PRI * HTTP/2.0"));
	assert_false(looks_req("HTTP/1.1 200 OK"));
	assert_false(looks_req("X"));
	assert_false(looks_req(" GET"));
}

static void test_looks_like_response_answers_on_prefixes(void **state)
{
	assert_false(looks_resp(""));
	assert_false(h1_looks_like_response(NULL, 0));
	assert_true(looks_resp("H"));
	assert_true(looks_resp("HTTP/"));
	assert_true(looks_resp("HTTP/1."));
	assert_true(looks_resp("HTTP/1.1 200 OK"));
	assert_true(looks_resp("HTTP/1.0"));
	assert_false(looks_resp("HTTP/2 200"));
	assert_false(looks_resp("http/1.1"));
	assert_false(looks_resp("GET / HTTP/1.1"));
	assert_false(looks_resp("X"));
}

/* --- visitor contract -------------------------------------------------------- */

/*
 * The validating walk keeps where the first fields are; a head with more
 * fields than it keeps is walked again for the rest.  Either way the
 * visitor sees every field once, in wire order, values trimmed, and can
 * stop the parse in either part.
 */
static void test_head_with_many_fields_reports_every_field_in_order(void **state)
{
	enum { N = 60 };
	char head[4096], want_name[16], want_value[16];
	size_t n = (size_t)snprintf(head, sizeof(head), "GET /v1/models HTTP/1.1\r\n");
	struct seen s = { 0 };

	(void)state;
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(head + n, sizeof(head) - n, "h%d: \t v%d \r\n", i, i);
	n += (size_t)snprintf(head + n, sizeof(head) - n, "\r\n");
	assert_int_equal(parse_exact(false, head, n, MAX_HEAD, &s, NULL), H1_COMPLETE);
	assert_int_equal(s.headers, N);
	s = (struct seen){ 0 };
	assert_int_equal(parse_request_str(head, &s, NULL), H1_COMPLETE);
	assert_int_equal(s.headers, N);
	for (int i = 0; i < N; i++) {
		snprintf(want_name, sizeof(want_name), "h%d", i);
		snprintf(want_value, sizeof(want_value), "v%d", i);
		assert_bytes_equal(s.name[i], s.name_len[i], want_name);
		assert_bytes_equal(s.value[i], s.value_len[i], want_value);
	}
	for (unsigned stop = 1; stop <= N; stop += 7) {
		s = (struct seen){ .stop_after = stop };
		assert_int_equal(parse_request_str(head, &s, NULL), H1_INVALID);
		assert_int_equal(s.headers, stop);
	}
}

static void test_visitor_returning_false_stops_with_invalid(void **state)
{
	struct seen s = { .stop_after = 3 };
	struct h1_head_info info;

	assert_int_equal(parse_request_str(anthropic_head, &s, &info),
			 H1_INVALID);
	assert_int_equal(s.headers, 3);
	assert_int_equal(info.head_len, 0);

	s = (struct seen){ .stop_after = 1 };
	assert_int_equal(parse_response_str("HTTP/1.1 200 OK\r\nA: b\r\nC: d\r\n\r\n",
					    &s, NULL),
			 H1_INVALID);
	assert_int_equal(s.headers, 1);
}

static void test_visitor_is_not_called_for_invalid_heads(void **state)
{
	struct seen s = { 0 };

	/* The bad line comes after valid ones; none of them is reported. */
	assert_int_equal(parse_request_str("GET / HTTP/1.1\r\n"
					   "Host: x\r\n"
					   "Bad : y\r\n\r\n",
					   &s, NULL),
			 H1_INVALID);
	assert_int_equal(s.request_lines + s.headers, 0);

	/* Framing errors are found before the visitor runs, too. */
	assert_int_equal(parse_request_str("POST / HTTP/1.1\r\n"
					   "Host: x\r\n"
					   "Content-Length: 1\r\n"
					   "Content-Length: 2\r\n\r\n",
					   &s, NULL),
			 H1_INVALID);
	assert_int_equal(s.request_lines + s.headers, 0);
}

static void test_null_visitor_callbacks_and_info_are_allowed(void **state)
{
	const uint8_t *buf = (const uint8_t *)anthropic_head;
	size_t len = strlen(anthropic_head);
	struct h1_visitor only_headers = { .header = on_header };
	struct seen s = { 0 };

	assert_int_equal(h1_parse_request(buf, len, MAX_HEAD, NULL, NULL, NULL),
			 H1_COMPLETE);
	assert_int_equal(h1_parse_request(buf, len, MAX_HEAD, &only_headers, &s,
					  NULL),
			 H1_COMPLETE);
	assert_int_equal(s.headers, ANTHROPIC_HEADERS);
	assert_int_equal(h1_parse_request(NULL, 0, MAX_HEAD, NULL, NULL, NULL),
			 H1_INCOMPLETE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realistic_head_reports_names_in_wire_order_and_trimmed_values),
		cmocka_unit_test(test_every_proper_prefix_is_incomplete_and_silent),
		cmocka_unit_test(test_full_head_as_exact_heap_buffer_is_complete),
		cmocka_unit_test(test_every_proper_prefix_of_response_is_incomplete),
		cmocka_unit_test(test_keepalive_heads_back_to_back_parse_one_after_another),
		cmocka_unit_test(test_truncated_capture_is_incomplete),
		cmocka_unit_test(test_head_longer_than_max_head_is_invalid),
		cmocka_unit_test(test_h2_preface_and_its_prefixes_are_invalid),
		cmocka_unit_test(test_binary_garbage_is_invalid_without_waiting_for_max_head),
		cmocka_unit_test(test_bare_lf_line_endings_are_accepted),
		cmocka_unit_test(test_cr_not_followed_by_lf_is_invalid),
		cmocka_unit_test(test_leading_empty_line_before_request_line_is_invalid),
		cmocka_unit_test(test_content_length_framing),
		cmocka_unit_test(test_malformed_content_length_is_invalid),
		cmocka_unit_test(test_duplicate_conflicting_content_length_is_invalid),
		cmocka_unit_test(test_chunked_transfer_encoding_framing),
		cmocka_unit_test(test_request_with_non_chunked_last_coding_is_still_reported),
		cmocka_unit_test(test_nul_in_value_is_invalid),
		cmocka_unit_test(test_whitespace_before_colon_is_invalid),
		cmocka_unit_test(test_bad_field_names_are_invalid),
		cmocka_unit_test(test_obs_fold_continuation_line_is_invalid),
		cmocka_unit_test(test_value_bytes_other_than_nul_cr_lf_are_kept),
		cmocka_unit_test(test_every_length_and_position_in_names_and_values),
		cmocka_unit_test(test_method_must_be_a_token_of_at_most_32_chars),
		cmocka_unit_test(test_request_line_shape_is_enforced),
		cmocka_unit_test(test_only_http10_and_http11_versions_are_accepted),
		cmocka_unit_test(test_bedrock_invoke_request),
		cmocka_unit_test(test_response_200_with_content_length),
		cmocka_unit_test(test_response_401_reports_multi_word_reason),
		cmocka_unit_test(test_response_without_body_statuses_have_no_body),
		cmocka_unit_test(test_response_framing_chunked_and_until_close),
		cmocka_unit_test(test_response_http10_without_length_reads_until_close),
		cmocka_unit_test(test_response_without_reason_phrase),
		cmocka_unit_test(test_malformed_status_lines_are_invalid),
		cmocka_unit_test(test_response_status_line_is_passed_to_status_callback_only),
		cmocka_unit_test(test_looks_like_request_answers_on_prefixes),
		cmocka_unit_test(test_looks_like_response_answers_on_prefixes),
		cmocka_unit_test(test_visitor_returning_false_stops_with_invalid),
		cmocka_unit_test(test_head_with_many_fields_reports_every_field_in_order),
		cmocka_unit_test(test_visitor_is_not_called_for_invalid_heads),
		cmocka_unit_test(test_null_visitor_callbacks_and_info_are_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

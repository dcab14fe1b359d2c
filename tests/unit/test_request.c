/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for user/request.c: how header fields become a request record.
 * The secrets here are obviously fake literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"

static struct request *new_request(void)
{
	struct request *req = calloc(1, sizeof(*req));

	assert_non_null(req);
	request_reset(req);
	return req;
}

static void add(struct request *req, const char *name, size_t name_len, const char *value)
{
	struct request_builder b = { .req = req };

	request_add_header(&b, name, name_len, value, strlen(value));
}

/* The byte-by-byte rule for recorded names. */
static char reference_name_byte(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + 32);
	if (c < 0x20 || c == 0x7f)
		return '?';
	return (char)c;
}

/*
 * Names are lowered eight bytes at a time while they are printable ASCII:
 * every byte value at every position of a 24-byte name is recorded as the
 * byte-by-byte rule says (lowercase; NUL and control bytes as '?').
 */
static void test_names_are_recorded_lowercase_and_printable(void **state)
{
	struct request *req = new_request();
	char name[24], want[25];

	(void)state;
	for (int c = 0; c < 256; c++) {
		for (size_t pos = 0; pos < sizeof(name); pos++) {
			for (size_t i = 0; i < sizeof(name); i++)
				name[i] = (char)("X-Custom-Header-ABCDEFGZ"[i]);
			name[pos] = (char)c;
			for (size_t i = 0; i < sizeof(name); i++)
				want[i] = reference_name_byte((unsigned char)name[i]);
			want[sizeof(name)] = '\0';
			request_reset(req);
			add(req, name, sizeof(name), "v");
			assert_int_equal(req->n_headers, 1);
			assert_string_equal(request_header_name(req, 0), want);
		}
	}
	free(req);
}

static void test_known_headers_fill_the_record(void **state)
{
	struct request *req = new_request();

	(void)state;
	add(req, "Host", 4, "api.anthropic.com");
	add(req, "host", 4, "second.example");   /* the first Host wins */
	add(req, "Anthropic-Version", 17, "2023-06-01");
	add(req, "anthropic-beta", 14, "a-1");
	add(req, "ANTHROPIC-BETA", 14, "b-2");
	add(req, "anthropic-workspace-id", 22, "wrkspc_01");
	add(req, "X-Amz-Date", 10, "20251123T082420Z");
	add(req, "User-Agent", 10, "claude-cli/2.0.77\x1b[31m");
	add(req, "Authorization", 13, "Bearer sk-ant-oat01-FAKEFAKEFAKE");
	assert_string_equal(req->authority, "api.anthropic.com");
	assert_string_equal(req->comp.anthropic_version, "2023-06-01");
	assert_string_equal(req->comp.anthropic_beta, "a-1,b-2");
	assert_true(req->comp.has_workspace_id);
	assert_string_equal(req->comp.workspace_id, "wrkspc_01");
	assert_true(req->comp.has_x_amz_date);
	assert_string_equal(req->comp.user_agent, "claude-cli/2.0.77?[31m");
	assert_true(req->has_authorization);
	assert_int_equal(req->n_creds, 1);
	assert_string_equal(req->creds[0].header, "authorization");
	assert_int_equal(req->n_headers, 9);
	assert_string_equal(request_header_name(req, 8), "authorization");
	free(req);
}

/* A name as long as a known one but different is nothing special. */
static void test_same_length_names_are_not_mistaken(void **state)
{
	struct request *req = new_request();

	(void)state;
	add(req, "hosT-", 4, "api.example");         /* "host" by its first 4 bytes */
	add(req, "x-api-kez", 9, "sk-ant-api03-FAKE");
	add(req, "authorizatio_", 13, "Bearer FAKE");
	add(req, "user-agenT", 10, "ua");
	assert_string_equal(req->authority, "api.example");
	assert_int_equal(req->n_creds, 0);
	assert_false(req->has_authorization);
	assert_string_equal(req->comp.user_agent, "ua");
	free(req);
}

/* When the names list is full, a credential is still classified. */
static void test_credentials_are_classified_when_the_names_list_is_full(void **state)
{
	struct request *req = new_request();
	char name[16];

	(void)state;
	for (int i = 0; i < REQ_MAX_HEADERS; i++) {
		int n = snprintf(name, sizeof(name), "x-h%d", i);

		add(req, name, (size_t)n, "v");
	}
	add(req, "X-Api-Key", 9, "sk-ant-api03-FAKEFAKEFAKE");
	assert_int_equal(req->n_headers, REQ_MAX_HEADERS);
	assert_int_equal(req->headers_dropped, 1);
	assert_int_equal(req->n_creds, 1);
	assert_string_equal(req->creds[0].header, "x-api-key");
	free(req);
}

/* Names too long for any credential header are listed, cut at 255, not classified. */
static void test_long_names_are_listed_cut_and_not_classified(void **state)
{
	struct request *req = new_request();
	char name[400];

	(void)state;
	memset(name, 'A', sizeof(name));
	add(req, name, sizeof(name), "sk-ant-api03-FAKEFAKEFAKE");
	assert_int_equal(req->n_headers, 1);
	assert_int_equal(strlen(request_header_name(req, 0)), 255);
	assert_int_equal(request_header_name(req, 0)[0], 'a');
	assert_int_equal(req->n_creds, 0);
	add(req, "", 0, "v");   /* an empty name is no field */
	assert_int_equal(req->n_headers, 1);
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_are_recorded_lowercase_and_printable),
		cmocka_unit_test(test_known_headers_fill_the_record),
		cmocka_unit_test(test_same_length_names_are_not_mistaken),
		cmocka_unit_test(test_credentials_are_classified_when_the_names_list_is_full),
		cmocka_unit_test(test_long_names_are_listed_cut_and_not_classified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

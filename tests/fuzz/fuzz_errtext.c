/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for user/errtext.c.  The input is a 4xx/5xx body; the
 * first bytes can wrap it in a JSON error object and plant a fake
 * credential in it at an input-chosen place (as servers echo keys back).
 * Checked on every input (errtext.h):
 *  - the text is NUL-terminated, shorter than ERRTEXT_MAX, its length is
 *    the return value, and it holds no ASCII control byte;
 *  - the same body gives the same text (no hidden state);
 *  - a planted credential never shows: no run of MIN_RUN of its characters
 *    is in the text unless the body without it holds that run too.
 * Each body is an exact-size heap copy so ASan sees any read past it.
 *
 * Checks of bugs already reported (test_errtext.c, marked BUG) are on by
 * default; build with -DFUZZ_SKIP_KNOWN_BUGS to explore past them (runs of
 * 20 instead of 8, no C1 check).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errtext.h"
#include "fuzz_common.h"

#ifdef FUZZ_SKIP_KNOWN_BUGS
#define MIN_RUN 20
#else
#define MIN_RUN 8
#endif

/* Fake credentials of the shapes servers echo. */
static const char *const secrets[] = {
	"sk-ant-api03-Zk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0KpZk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0KpAA",
	"sk-proj-T3BlbkFJ4f9Kd2Lm8Qx7Rt5Wv1Yb6Nc3Hd0Fs9Gj2Kp",
	"Zk9Qx2Lm7Rt4Wv8Yb3Nc6Hd1Fs5Gj0Kp",                    /* a bare random token */
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",              /* AWS secret access key */
	"ABSKQmVkcm9ja0FQSUtleS1mYWtlLWZha2UtZmFrZTEyMzQ1Njc4OQ==",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlMTIzNDU2",
	"ya29.a0AfH6SMBx9Kd2Lm8Qx7Rt5Wv1Yb6Nc3Hd0Fs",
	"0123456789abcdef0123456789abcdef",                      /* Azure key: 32 hex */
};

#define N_SECRETS (sizeof(secrets) / sizeof(secrets[0]))

static size_t extract(const uint8_t *body, size_t len, char out[ERRTEXT_MAX])
{
	uint8_t *copy = malloc(len ? len : 1);
	size_t n;

	CHECK(copy);
	if (len)
		memcpy(copy, body, len);
	memset(out, 'Z', ERRTEXT_MAX);
	n = errtext_extract(copy, len, out);
	free(copy);
	CHECK(n < ERRTEXT_MAX);
	CHECK(memchr(out, '\0', ERRTEXT_MAX) != NULL);
	CHECK(n == strlen(out));
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
#ifndef FUZZ_SKIP_KNOWN_BUGS
	/* BUG (test_error_text_has_no_c1_control_characters) */
	for (size_t i = 0; i + 1 < n; i++)
		CHECK(!((unsigned char)out[i] == 0xc2 && (unsigned char)out[i + 1] >= 0x80 &&
			(unsigned char)out[i + 1] <= 0x9f));
#endif
	return n;
}

/* The body as errtext may read it: JSON escapes decoded (\X -> X, \u00XX -> the byte). */
static size_t unescape(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\\' && i + 5 < n && in[i + 1] == 'u') {
			unsigned v = 0;
			bool ok = true;

			for (int k = 2; k < 6; k++) {
				uint8_t c = in[i + k];

				ok &= (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
				v = v * 16 + (c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10));
			}
			if (ok && v < 0x80) {
				out[o++] = (uint8_t)v;
				i += 5;
				continue;
			}
		}
		if (in[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = in[i];
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char json_head[] = "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"";
	static const char json_tail[] = "\"},\"request_id\":\"req_011CUQ2Zx5fWWmTsVfS6Z9Lj\"}";
	char out[ERRTEXT_MAX], again[ERRTEXT_MAX];
	uint8_t flags;
	const char *secret = NULL;
	size_t pos, sl = 0, hl, tl, len, mat;
	uint8_t *body, *without, *plain;
	size_t plain_len;

	/* the body as given */
	extract(data, size, out);
	extract(data, size, again);
	CHECK(strcmp(out, again) == 0);

	if (size < 3)
		return 0;
	flags = data[0];
	pos = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	mat = size - 3;
	if (flags & 1) {
		secret = secrets[(flags >> 1) % N_SECRETS];
#ifdef FUZZ_SKIP_KNOWN_BUGS
		/* BUG (test_secret_with_slashes_inside_a_path_or_url_is_redacted) */
		if (strchr(secret, '/'))
			secret = secrets[2];
#endif
		sl = strlen(secret);
	}
	hl = flags & 0x80 ? sizeof(json_head) - 1 : 0;
	tl = flags & 0x80 ? sizeof(json_tail) - 1 : 0;
	len = hl + mat + sl + tl;
	pos = mat ? pos % (mat + 1) : 0;
	body = malloc(len ? len : 1);
	without = malloc(len ? len : 1);
	plain = malloc(len ? len : 1);
	CHECK(body && without && plain);
	/* [json head] material[0..pos) [secret] material[pos..) [json tail] */
	memcpy(body, json_head, hl);
	memcpy(body + hl, data, pos);
	if (sl)
		memcpy(body + hl + pos, secret, sl);
	memcpy(body + hl + pos + sl, data + pos, mat - pos);
	memcpy(body + hl + mat + sl, json_tail, tl);
	extract(body, len, out);
	if (secret) {
		/* the same body without the secret: runs it holds are the input's own */
		memcpy(without, body, hl + pos);
		memcpy(without + hl + pos, body + hl + pos + sl, mat - pos + tl);
		plain_len = unescape(without, len - sl, plain);
		/* a JWT's first part is its public header ({"alg":"HS256"}): not the secret */
		size_t public_len = strncmp(secret, "eyJ", 3) == 0 ? (size_t)(strchr(secret, '.') - secret) + 1 : 0;

		for (size_t i = public_len; i + MIN_RUN <= sl; i++) {
			const char *run = secret + i;

			if (memmem(out, strlen(out), run, MIN_RUN) &&
			    !memmem(without, len - sl, run, MIN_RUN) &&
			    !memmem(plain, plain_len, run, MIN_RUN)) {
				fprintf(stderr, "secret run \"%.*s\" in \"%s\"\n", MIN_RUN, run, out);
				CHECK(!"a planted credential is in the error text");
			}
		}
	}
	free(plain);
	free(without);
	free(body);
	return 0;
}

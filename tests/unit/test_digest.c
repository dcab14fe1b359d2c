// SPDX-License-Identifier: MIT
/*
 * user/digest.c: both implementations see every byte, the length and the
 * order of words, and digest_bytes() is the one compiled in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "digest.h"

typedef uint64_t (*digest_fn)(const uint8_t *p, size_t n);

static void fill(uint8_t *buf, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (uint8_t)(seed >> 56);
	}
}

/* A change of any one byte, at any position of any length, changes the digest. */
static void every_byte_counts(digest_fn fn, const char *name)
{
	uint8_t buf[300];

	for (size_t n = 1; n <= sizeof(buf); n++) {
		fill(buf, n, n);
		uint64_t d = fn(buf, n);

		assert_true(fn(buf, n) == d);   /* the same bytes, the same digest */
		for (size_t i = 0; i < n; i++) {
			for (unsigned bit = 0; bit < 8; bit += 3) {
				buf[i] ^= (uint8_t)(1u << bit);
				if (fn(buf, n) == d)
					fail_msg("%s: n=%zu, byte %zu bit %u changed, digest did not", name,
						 n, i, bit);
				buf[i] ^= (uint8_t)(1u << bit);
			}
		}
	}
}

/* Zeros of different lengths, and two words swapped, differ. */
static void length_and_order_count(digest_fn fn, const char *name)
{
	uint8_t zeros[4096] = { 0 }, buf[4096];

	for (size_t n = 0; n < 200; n++)
		if (fn(zeros, n) == fn(zeros, n + 1))
			fail_msg("%s: %zu and %zu zero bytes digest alike", name, n, n + 1);
	fill(buf, sizeof(buf), 7);
	for (size_t a = 0; a + 8 <= 256; a += 8) {
		for (size_t b = a + 8; b + 8 <= 256; b += 8) {
			uint8_t sw[4096], t[8];

			memcpy(sw, buf, sizeof(sw));
			memcpy(t, sw + a, 8);
			memcpy(sw + a, sw + b, 8);
			memcpy(sw + b, t, 8);
			if (fn(sw, sizeof(sw)) == fn(buf, sizeof(buf)))
				fail_msg("%s: words at %zu and %zu swapped, same digest", name, a, b);
		}
	}
}

static void test_words_see_every_byte_length_and_order(void **state)
{
	(void)state;
	every_byte_counts(digest_bytes_words, "words");
	length_and_order_count(digest_bytes_words, "words");
}

static void test_simd_sees_every_byte_length_and_order(void **state)
{
	(void)state;
#ifdef __SSE2__
	every_byte_counts(digest_bytes_simd, "simd");
	length_and_order_count(digest_bytes_simd, "simd");
#else
	skip();
#endif
}

static void test_digest_bytes_is_the_one_compiled_in(void **state)
{
	uint8_t buf[1000];

	(void)state;
	fill(buf, sizeof(buf), 3);
	for (size_t n = 0; n <= sizeof(buf); n += 37)
#ifdef __SSE2__
		assert_true(digest_bytes(buf, n) == digest_bytes_simd(buf, n));
#else
		assert_true(digest_bytes(buf, n) == digest_bytes_words(buf, n));
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_see_every_byte_length_and_order),
		cmocka_unit_test(test_simd_sees_every_byte_length_and_order),
		cmocka_unit_test(test_digest_bytes_is_the_one_compiled_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * user/digest.c: both implementations see every byte and the length, and
 * digest_bytes() is the one the CPU can run.
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

static void test_mix_sees_every_byte_length_and_order(void **state)
{
	(void)state;
	every_byte_counts(digest_bytes_mix, "mix");
	length_and_order_count(digest_bytes_mix, "mix");
}

static void test_crc_sees_every_byte_length_and_order(void **state)
{
	(void)state;
	if (!digest_has_crc()) {
		assert_true(digest_bytes_crc((const uint8_t *)"x", 1) == 0);
		skip();
	}
	every_byte_counts(digest_bytes_crc, "crc");
	length_and_order_count(digest_bytes_crc, "crc");
}

static void test_digest_bytes_is_the_one_the_cpu_runs(void **state)
{
	uint8_t buf[1000];

	(void)state;
	fill(buf, sizeof(buf), 3);
	for (size_t n = 0; n <= sizeof(buf); n += 37)
		assert_true(digest_bytes(buf, n) ==
			    (digest_has_crc() ? digest_bytes_crc(buf, n) : digest_bytes_mix(buf, n)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mix_sees_every_byte_length_and_order),
		cmocka_unit_test(test_crc_sees_every_byte_length_and_order),
		cmocka_unit_test(test_digest_bytes_is_the_one_the_cpu_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

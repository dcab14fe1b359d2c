// SPDX-License-Identifier: MIT
/*
 * user/bytescan.h: the word (SWAR) and SSE2 versions of each scanner give
 * the same answer as a byte loop, for every run length, every position of
 * the byte that stops it and every byte value, and on random buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytescan.h"

typedef size_t (*scan_fn)(const uint8_t *p, size_t n);
typedef bool (*class_fn)(uint8_t c);

struct scanner {
	const char *name;
	class_fn in_class;
	scan_fn words, fast;
	uint8_t member;   /* a byte of the class, to fill runs with */
};

#if BYTESCAN_HAS_SSE2
#define FAST(name) name##_sse2
#else
#define FAST(name) name##_words
#endif

static const struct scanner scanners[] = {
	{ "value", bytescan_is_value, bytescan_value_words, FAST(bytescan_value), 'v' },
	{ "name", bytescan_is_name, bytescan_name_words, FAST(bytescan_name), 'N' },
	{ "json", bytescan_is_json, bytescan_json_words, FAST(bytescan_json), 'j' },
	{ "text", bytescan_is_text, bytescan_text_words, FAST(bytescan_text), 0xc3 },
	{ "vchar", bytescan_is_vchar, bytescan_vchar_words, FAST(bytescan_vchar), '~' },
};

static size_t byte_loop(const struct scanner *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && s->in_class(p[i]))
		i++;
	return i;
}

/* Both versions against the byte loop on p[0..n), read from a heap copy
 * of exactly n bytes so that ASan catches a read past the end. */
static void check(const struct scanner *s, const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	size_t want;

	memcpy(copy, p, n);
	want = byte_loop(s, copy, n);
	if (s->words(copy, n) != want || s->fast(copy, n) != want)
		fail_msg("%s: n=%zu want %zu, words %zu, fast %zu", s->name, n, want,
			 s->words(copy, n), s->fast(copy, n));
	free(copy);
}

/* The class matches its definition on every byte value. */
static void test_classes(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		assert_int_equal(bytescan_is_value((uint8_t)c), c != '\n' && c != '\r' && c != 0);
		assert_int_equal(bytescan_is_name((uint8_t)c),
				 letter || (c >= '0' && c <= '9') || c == '-');
		assert_int_equal(bytescan_is_json((uint8_t)c),
				 c >= 0x20 && c <= 0x7f && c != '"' && c != '\\');
		assert_int_equal(bytescan_is_text((uint8_t)c), c >= 0x20 && c != 0x7f);
		assert_int_equal(bytescan_is_vchar((uint8_t)c), c > 0x20 && c < 0x7f);
	}
}

/* A run of class members of every length, then every byte value. */
static void test_every_stop_byte_at_every_position(void **state)
{
	uint8_t buf[80];

	(void)state;
	for (size_t k = 0; k < sizeof(scanners) / sizeof(scanners[0]); k++) {
		const struct scanner *s = &scanners[k];

		for (size_t len = 0; len < 48; len++) {
			memset(buf, s->member, sizeof(buf));
			check(s, buf, len);   /* the whole run, no stop */
			for (unsigned c = 0; c < 256; c++) {
				buf[len] = (uint8_t)c;
				for (size_t after = 0; after < 20; after++)
					check(s, buf, len + 1 + after);
			}
		}
	}
}

/* Buffers of random bytes, most from the class. */
static void test_random_buffers(void **state)
{
	uint8_t buf[200];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t k = 0; k < sizeof(scanners) / sizeof(scanners[0]); k++) {
		const struct scanner *s = &scanners[k];

		for (int round = 0; round < 20000; round++) {
			size_t n = round % sizeof(buf);

			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				buf[i] = (x & 0xf00) ? s->member : (uint8_t)x;
			}
			check(s, buf, n);
		}
	}
}

/* --- bytescan_lower: a run, copied lowered ------------------------------- */

typedef size_t (*lower_fn)(uint8_t *dst, const uint8_t *src, size_t n);

static uint8_t lowered(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Both versions: the run's length and its bytes lowered in dst, nothing
 * written outside dst[0..n) (exact-size heap buffers, under ASan). */
static void check_lower(const uint8_t *p, size_t n)
{
	static const lower_fn fns[] = { bytescan_lower_words, FAST(bytescan_lower) };
	uint8_t *src = malloc(n ? n : 1), *dst = malloc(n ? n : 1);
	size_t want = 0;

	memcpy(src, p, n);
	while (want < n && bytescan_is_printable(src[want]))
		want++;
	for (size_t f = 0; f < 2; f++) {
		size_t got;

		memset(dst, 0xee, n);
		got = fns[f](dst, src, n);
		if (got != want)
			fail_msg("lower %s: n=%zu want %zu got %zu", f ? "fast" : "words", n, want, got);
		for (size_t i = 0; i < want; i++)
			if (dst[i] != lowered(src[i]))
				fail_msg("lower %s: n=%zu byte %zu is %02x, want %02x", f ? "fast" : "words",
					 n, i, dst[i], lowered(src[i]));
	}
	free(src);
	free(dst);
}

static void test_printable_class(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(bytescan_is_printable((uint8_t)c), c >= 0x20 && c <= 0x7e);
}

/* Runs of mixed case of every length, then every byte value, then more. */
static void test_lower_every_stop_byte_at_every_position(void **state)
{
	static const char mixed[] = "Content-TYPE-x-Api-KEY-Z-a-@[`{-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t buf[80];

	(void)state;
	for (size_t len = 0; len < 48; len++) {
		check_lower((const uint8_t *)mixed, len);   /* the whole run */
		memcpy(buf, mixed, len);
		memset(buf + len + 1, 'Q', sizeof(buf) - len - 1);
		for (unsigned c = 0; c < 256; c++) {
			buf[len] = (uint8_t)c;
			for (size_t after = 0; after < 20; after++)
				check_lower(buf, len + 1 + after);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_every_stop_byte_at_every_position),
		cmocka_unit_test(test_random_buffers),
		cmocka_unit_test(test_printable_class),
		cmocka_unit_test(test_lower_every_stop_byte_at_every_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

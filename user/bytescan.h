/* SPDX-License-Identifier: MIT */
/*
 * The collector's hot loops: how many bytes at the start of p[0..n) belong
 * to one class.  Each scanner has a word version (SWAR, 8 bytes per step,
 * any C compiler) and, where the compiler targets SSE2 (every x86-64), a
 * 16-bytes-per-step one, which the unprefixed name picks.  The unit tests
 * (test_bytescan.c) hold both versions to a byte loop.
 *
 *   bytescan_value    not LF, CR or NUL: where a field value stops
 *   bytescan_name     letters, digits and '-': most of a field name
 *   bytescan_json     copied into a JSON string as they are: ASCII from
 *                     the space on, but '"' and '\'
 *   bytescan_text     not a control byte (below 0x20, or 0x7f): text a
 *                     terminal shows as it is
 *   bytescan_vchar    visible ASCII (0x21..0x7e): a request-target
 *   bytescan_lower    printable ASCII (0x20..0x7e), also copied lowered
 *                     ('A'..'Z' as 'a'..'z'): a header name as recorded
 */
#ifndef AUTHTRACE_BYTESCAN_H
#define AUTHTRACE_BYTESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "swar.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline bool bytescan_is_value(uint8_t c)
{
	return c != '\n' && c != '\r' && c != '\0';
}

static inline bool bytescan_is_name(uint8_t c)
{
	uint8_t lower = c | 0x20;

	return (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static inline bool bytescan_is_json(uint8_t c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static inline bool bytescan_is_text(uint8_t c)
{
	return c >= 0x20 && c != 0x7f;
}

static inline bool bytescan_is_vchar(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

static inline bool bytescan_is_printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

/* --- word versions --------------------------------------------------------- */

static inline size_t bytescan_value_words(const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = swar_load(p + i);
		uint64_t stops = swar_equal_marks(x, '\n') | swar_equal_marks(x, '\r') |
				 swar_equal_marks(x, '\0');

		if (stops) {
#if SWAR_CAN_LOCATE
			return i + swar_first_mark(stops);
#else
			break;
#endif
		}
	}
	while (i < n && bytescan_is_value(p[i]))
		i++;
	return i;
}

static inline size_t bytescan_name_words(const uint8_t *p, size_t n)
{
	size_t i = 0;

#if SWAR_CAN_LOCATE
	for (; i + 8 <= n; i += 8) {
		uint64_t x = swar_load(p + i);
		uint64_t common = swar_range_marks(x, 'a', 'z') | swar_range_marks(x, 'A', 'Z') |
				  swar_range_marks(x, '0', '9') | swar_range_marks(x, '-', '-');

		if (common != SWAR_BYTES(0x80))
			return i + swar_first_mark(~common & SWAR_BYTES(0x80));
	}
#endif
	while (i < n && bytescan_is_name(p[i]))
		i++;
	return i;
}

/*
 * The run of a class at p[0..n) for classes whose words can only be tested
 * whole (word_in: all 8 bytes in the class): words while they are, then
 * bytes.  Always inlined, so that the two tests are known and inlined.
 */
static inline __attribute__((always_inline)) size_t
bytescan_run8(const uint8_t *p, size_t n, bool (*word_in)(uint64_t), bool (*byte_in)(uint8_t))
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		if (!word_in(swar_load(p + i)))
			break;
	}
	while (i < n && byte_in(p[i]))
		i++;
	return i;
}

/* whether all 8 bytes of x are copied into JSON as they are */
static inline bool bytescan_json_word(uint64_t x)
{
	return !(swar_any_below(x, 0x20) || swar_any_equal(x, '"') || swar_any_equal(x, '\\') ||
		 swar_any_high(x));
}

static inline size_t bytescan_json_words(const uint8_t *p, size_t n)
{
	return bytescan_run8(p, n, bytescan_json_word, bytescan_is_json);
}

static inline bool bytescan_text_word(uint64_t x)
{
	return !(swar_any_below(x, 0x20) || swar_any_equal(x, 0x7f));
}

static inline size_t bytescan_text_words(const uint8_t *p, size_t n)
{
	return bytescan_run8(p, n, bytescan_text_word, bytescan_is_text);
}

static inline bool bytescan_vchar_word(uint64_t x)
{
	return !(swar_any_high(x) || swar_any_below(x, 0x21) || swar_any_equal(x, 0x7f));
}

static inline size_t bytescan_vchar_words(const uint8_t *p, size_t n)
{
	return bytescan_run8(p, n, bytescan_vchar_word, bytescan_is_vchar);
}

/*
 * bytescan_lower*(dst, src, n): the run's length; the run is in dst,
 * lowered.  dst has room for n bytes, and what follows the run in it is
 * left for the caller to write.
 */
static inline bool bytescan_printable_word(uint64_t x)
{
	return !(swar_any_high(x) || swar_any_below(x, 0x20) || swar_any_equal(x, 0x7f));
}

static inline size_t bytescan_lower_words(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = swar_load(src + i);

		if (!bytescan_printable_word(x))
			break;
		x = swar_ascii_lower(x);
		memcpy(dst + i, &x, 8);
	}
	/* the last few bytes as the last eight, again (none of the loop's was out) */
	if (i < n && i + 8 > n && n >= 8) {
		uint64_t x = swar_load(src + n - 8);

		if (bytescan_printable_word(x)) {
			x = swar_ascii_lower(x);
			memcpy(dst + n - 8, &x, 8);
			return n;
		}
	}
	for (; i < n && bytescan_is_printable(src[i]); i++)
		dst[i] = (uint8_t)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + ('a' - 'A') : src[i]);
	return i;
}

/* --- SSE2 versions ----------------------------------------------------------- */

#ifdef __SSE2__
#define BYTESCAN_HAS_SSE2 1

/* 0xff in each byte of x within lo..hi, by unsigned x - lo <= hi - lo */
static inline __m128i bytescan_range16(__m128i x, uint8_t lo, uint8_t hi)
{
	__m128i off = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(off, _mm_set1_epi8((char)(hi - lo))), off);
}

static inline __m128i bytescan_load16(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

/* The first byte of a block not in the class (0xff marks), 16 if none. */
static inline unsigned bytescan_first_out16(__m128i in_class)
{
	unsigned out = ~(unsigned)_mm_movemask_epi8(in_class) & 0xffffu;

	return out ? (unsigned)__builtin_ctz(out) : 16;
}

/* Bytes p[0..8) and p[n-8..n) (8 <= n <= 16) as one block: lanes 8..15 are p[n-8..n). */
static inline __m128i bytescan_load_ends8(const uint8_t *p, size_t n)
{
	return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p),
				  _mm_loadl_epi64((const __m128i *)(p + n - 8)));
}

/* Bytes p[0..4) and p[n-4..n) (4 <= n <= 8) in lanes 0..7; the other lanes are 0. */
static inline __m128i bytescan_load_ends4(const uint8_t *p, size_t n)
{
	uint32_t head, tail;

	memcpy(&head, p, 4);
	memcpy(&tail, p + n - 4, 4);
	return _mm_set_epi32(0, 0, (int)tail, (int)head);
}

/*
 * Where the first byte out of the class is, given the out-of-class lane
 * bits of two overlapping loads of p[0..n): lanes 0..half-1 hold
 * p[0..half), lanes half..2*half-1 hold p[n-half..n).  The overlap needs no
 * care: a lane of the second load that is out of the class while every
 * lane of the first is in it lies beyond the first load.
 */
static inline size_t bytescan_first_out_ends(unsigned out, size_t n, unsigned half)
{
	unsigned low = out & ((1u << half) - 1);

	if (low)
		return (size_t)__builtin_ctz(low);
	out >>= half;
	return out ? n - half + (size_t)__builtin_ctz(out) : n;
}

/*
 * The run of a class at p[0..n) (in_class16 marks its bytes 0xff): 16-byte
 * blocks while they are whole in the class, then the rest as the last 16
 * bytes again, or, for n < 16, as two overlapping halves (most strings a
 * line is made of are that short).  Only n < 4 takes the word version's
 * byte loop.  Always inlined, so that the two functions are known and
 * inlined.
 */
static inline __attribute__((always_inline)) size_t
bytescan_run16(const uint8_t *p, size_t n, __m128i (*in_class16)(__m128i),
	       size_t (*words)(const uint8_t *, size_t))
{
	size_t i = 0;
	unsigned out;

	for (; i + 16 <= n; i += 16) {
		unsigned k = bytescan_first_out16(in_class16(bytescan_load16(p + i)));

		if (k < 16)
			return i + k;
	}
	if (i == n)
		return n;
	if (n >= 16) {
		/* bytes before i were in the class: the first out is at i or later */
		unsigned k = bytescan_first_out16(in_class16(bytescan_load16(p + n - 16)));

		return k < 16 ? n - 16 + k : n;
	}
	if (n >= 8) {
		out = ~(unsigned)_mm_movemask_epi8(in_class16(bytescan_load_ends8(p, n))) & 0xffffu;
		return bytescan_first_out_ends(out, n, 8);
	}
	if (n >= 4) {
		out = ~(unsigned)_mm_movemask_epi8(in_class16(bytescan_load_ends4(p, n))) & 0xffu;
		return bytescan_first_out_ends(out, n, 4);
	}
	return words(p, n);
}

static inline __m128i bytescan_value16(__m128i x)
{
	__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')),
						 _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'))),
				    _mm_cmpeq_epi8(x, _mm_setzero_si128()));

	return _mm_xor_si128(stop, _mm_set1_epi8(-1));
}

static inline __m128i bytescan_name16(__m128i x)
{
	__m128i letter = bytescan_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');

	return _mm_or_si128(_mm_or_si128(letter, bytescan_range16(x, '0', '9')),
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
}

static inline __m128i bytescan_json16(__m128i x)
{
	/* as signed bytes, 0x20..0x7f are those greater than 0x1f */
	__m128i printable = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x1f));

	return _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
					     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
				printable);
}

static inline __m128i bytescan_text16(__m128i x)
{
	__m128i control = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x),
				       _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));

	return _mm_xor_si128(control, _mm_set1_epi8(-1));
}

static inline size_t bytescan_text_sse2(const uint8_t *p, size_t n)
{
	return bytescan_run16(p, n, bytescan_text16, bytescan_text_words);
}

static inline __m128i bytescan_vchar16(__m128i x)
{
	/* as signed bytes, 0x21..0x7f are those greater than 0x20 */
	return _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
				_mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)));
}

static inline size_t bytescan_vchar_sse2(const uint8_t *p, size_t n)
{
	return bytescan_run16(p, n, bytescan_vchar16, bytescan_vchar_words);
}

static inline __m128i bytescan_printable16(__m128i x)
{
	/* as signed bytes, 0x20..0x7f are those greater than 0x1f */
	return _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
				_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1f)));
}

static inline __m128i bytescan_lowered16(__m128i x)
{
	return _mm_or_si128(x, _mm_and_si128(bytescan_range16(x, 'A', 'Z'), _mm_set1_epi8(0x20)));
}

static inline size_t bytescan_value_sse2(const uint8_t *p, size_t n)
{
	return bytescan_run16(p, n, bytescan_value16, bytescan_value_words);
}

static inline size_t bytescan_name_sse2(const uint8_t *p, size_t n)
{
	return bytescan_run16(p, n, bytescan_name16, bytescan_name_words);
}

static inline size_t bytescan_json_sse2(const uint8_t *p, size_t n)
{
	return bytescan_run16(p, n, bytescan_json16, bytescan_json_words);
}

static inline size_t bytescan_lower_sse2(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i x = bytescan_load16(src + i);
		unsigned k = bytescan_first_out16(bytescan_printable16(x));

		_mm_storeu_si128((__m128i *)(dst + i), bytescan_lowered16(x));
		if (k < 16)
			return i + k;
	}
	/* the last few bytes as the last sixteen, again */
	if (i < n && n >= 16) {
		__m128i x = bytescan_load16(src + n - 16);

		if (bytescan_first_out16(bytescan_printable16(x)) == 16) {
			_mm_storeu_si128((__m128i *)(dst + n - 16), bytescan_lowered16(x));
			return n;
		}
	}
	/* a short name, all printable (the usual case): its two ends at once */
	if (n >= 8 && n < 16) {
		__m128i x = bytescan_load_ends8(src, n);

		if (bytescan_first_out16(bytescan_printable16(x)) == 16) {
			x = bytescan_lowered16(x);
			_mm_storel_epi64((__m128i *)dst, x);
			_mm_storel_epi64((__m128i *)(dst + n - 8), _mm_unpackhi_epi64(x, x));
			return n;
		}
	}
	if (n >= 4 && n < 8) {
		__m128i x = bytescan_load_ends4(src, n);

		if ((~(unsigned)_mm_movemask_epi8(bytescan_printable16(x)) & 0xffu) == 0) {
			__m128i lowered = bytescan_lowered16(x);
			uint32_t head = (uint32_t)_mm_cvtsi128_si32(lowered);
			uint32_t tail = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(lowered, 4));

			memcpy(dst, &head, 4);
			memcpy(dst + n - 4, &tail, 4);
			return n;
		}
	}
	return i + bytescan_lower_words(dst + i, src + i, n - i);
}

#define BYTESCAN_PICK(name) name##_sse2
#else
#define BYTESCAN_HAS_SSE2 0
#define BYTESCAN_PICK(name) name##_words
#endif

static inline size_t bytescan_value(const uint8_t *p, size_t n)
{
	return BYTESCAN_PICK(bytescan_value)(p, n);
}

static inline size_t bytescan_name(const uint8_t *p, size_t n)
{
	return BYTESCAN_PICK(bytescan_name)(p, n);
}

static inline size_t bytescan_json(const uint8_t *p, size_t n)
{
	return BYTESCAN_PICK(bytescan_json)(p, n);
}

static inline size_t bytescan_text(const uint8_t *p, size_t n)
{
	return BYTESCAN_PICK(bytescan_text)(p, n);
}

static inline size_t bytescan_vchar(const uint8_t *p, size_t n)
{
	return BYTESCAN_PICK(bytescan_vchar)(p, n);
}

static inline size_t bytescan_lower(uint8_t *dst, const uint8_t *src, size_t n)
{
	return BYTESCAN_PICK(bytescan_lower)(dst, src, n);
}

#endif

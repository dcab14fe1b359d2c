// SPDX-License-Identifier: MIT
/*
 * Two ways to the same kind of digest.  With SSE2 (every x86-64), NH
 * (the universal hash of UMAC, RFC 4418 section 5.1.3): each pair of 32-bit words, offset
 * by a key that differs at every position, is multiplied into 64 bits and
 * the products are summed, two pairs per instruction, about two cycles per
 * 16 bytes.  Elsewhere, four lanes of multiply-and-fold.  Every byte
 * counts: a retry is only told from another write of the same length by
 * its content.  (The SSE4.2 CRC32 instruction was tried: one per 3 cycles
 * on the AMD bench host, no faster than the multiplies.)
 */
#include "digest.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static uint64_t mix_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* The whole words and bytes after the blocks, and the length, on top of h. */
static uint64_t finish(uint64_t h, const uint8_t *p, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8)
		h = mix_word(h, load64(p + i));
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return mix_word(h, n);
}

/* Four independent lanes, so that the multiplies overlap. */
uint64_t digest_bytes_words(const uint8_t *p, size_t n)
{
	uint64_t lane[4] = { 0xcbf29ce484222325ULL, 1, 2, 3 };
	size_t i = 0;

	for (; i + 32 <= n; i += 32)
		for (unsigned l = 0; l < 4; l++)
			lane[l] = mix_word(lane[l], load64(p + i + 8 * l));
	return finish(mix_word(mix_word(mix_word(lane[0], lane[1]), lane[2]), lane[3]), p, i, n);
}

#ifdef __SSE2__
uint64_t digest_bytes_simd(const uint8_t *p, size_t n)
{
	/* the keys of the four words of a block; each block's are the last's plus step */
	__m128i key = _mm_set_epi32((int)0x9e3779b9, (int)0x7f4a7c15, (int)0xf39cc060, (int)0x5ced1a3b);
	__m128i step = _mm_set_epi32((int)0x85ebca6b, (int)0xc2b2ae35, (int)0x27d4eb2f, (int)0x165667b1);
	__m128i acc = _mm_setzero_si128();
	uint64_t lanes[2];
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i y = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(p + i)), key);

		/* (w0 + k0) * (w1 + k1) and (w2 + k2) * (w3 + k3), 64 bits each */
		acc = _mm_add_epi64(acc, _mm_mul_epu32(y, _mm_shuffle_epi32(y, 0xb1)));
		key = _mm_add_epi32(key, step);
	}
	_mm_storeu_si128((__m128i *)lanes, acc);
	return finish(mix_word(mix_word(lanes[0], 0), lanes[1]), p, i, n);
}
#endif

uint64_t digest_bytes(const uint8_t *p, size_t n)
{
#ifdef __SSE2__
	return digest_bytes_simd(p, n);
#else
	return digest_bytes_words(p, n);
#endif
}

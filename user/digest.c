// SPDX-License-Identifier: MIT
/*
 * Two ways to the same kind of digest.  Where the CPU has the SSE4.2 CRC32C
 * instruction (every x86-64 server of the last 15 years, checked at run
 * time) three lanes of it take about a cycle per 8 bytes.  Elsewhere, four
 * lanes of multiply-and-fold.  Every byte counts: a retry is only told
 * from a different write of the same length by its content.
 */
#include "digest.h"

#include <string.h>

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

/* Four independent lanes, so that the multiplies overlap. */
uint64_t digest_bytes_mix(const uint8_t *p, size_t n)
{
	uint64_t lane[4] = { 0xcbf29ce484222325ULL ^ n, 1, 2, 3 }, h;
	size_t i = 0;

	for (; i + 32 <= n; i += 32)
		for (unsigned l = 0; l < 4; l++)
			lane[l] = mix_word(lane[l], load64(p + i + 8 * l));
	h = mix_word(mix_word(mix_word(lane[0], lane[1]), lane[2]), lane[3]);
	for (; i + 8 <= n; i += 8)
		h = mix_word(h, load64(p + i));
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint64_t crc_lanes(const uint8_t *p, size_t n)
{
	/* three lanes: the instruction's latency is three times its throughput */
	uint64_t a = n, b = ~(uint64_t)n, c = 0x9e3779b97f4a7c15ULL;
	size_t i = 0;

	for (; i + 24 <= n; i += 24) {
		a = _mm_crc32_u64(a, load64(p + i));
		b = _mm_crc32_u64(b, load64(p + i + 8));
		c = _mm_crc32_u64(c, load64(p + i + 16));
	}
	for (; i + 8 <= n; i += 8)
		a = _mm_crc32_u64(a, load64(p + i));
	for (; i < n; i++)
		b = _mm_crc32_u8((uint32_t)b, p[i]);
	/*
	 * 96 bits of lane state folded into 64.  CRC is linear: lanes combined
	 * by XOR alone would not see words swapped between them, so each goes
	 * through a multiply before the next is added.
	 */
	return mix_word(mix_word(a << 32 | (uint32_t)b, 0), c);
}

int digest_has_crc(void)
{
	return __builtin_cpu_supports("sse4.2");
}

uint64_t digest_bytes_crc(const uint8_t *p, size_t n)
{
	return digest_has_crc() ? crc_lanes(p, n) : 0;
}
#else
int digest_has_crc(void)
{
	return 0;
}

uint64_t digest_bytes_crc(const uint8_t *p, size_t n)
{
	(void)p;
	(void)n;
	return 0;
}
#endif

uint64_t digest_bytes(const uint8_t *p, size_t n)
{
	return digest_has_crc() ? digest_bytes_crc(p, n) : digest_bytes_mix(p, n);
}

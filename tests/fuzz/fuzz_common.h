/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target here shares: the invariant check and the entry point. */
#ifndef AUTHTRACE_FUZZ_COMMON_H
#define AUTHTRACE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An invariant the code under test promises: a crash libFuzzer saves, with the reason. */
#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One FNV-1a step over n bytes: to compare what two parses reported. */
static inline uint64_t fuzz_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A fast 64-bit digest of bytes, to tell whether a write is the same as the
 * previous one (a retried SSL_write).  Not cryptographic, and not the same
 * value on every host: compare digests made in one process only.
 */
#ifndef AUTHTRACE_DIGEST_H
#define AUTHTRACE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

uint64_t digest_bytes(const uint8_t *p, size_t n);

/* The implementations digest_bytes() picks from when compiling, for the tests. */
uint64_t digest_bytes_words(const uint8_t *p, size_t n);
#ifdef __SSE2__
uint64_t digest_bytes_simd(const uint8_t *p, size_t n);
#endif

#endif

/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash, safe to keep
 * in memory for a value that must not be kept, as long as the key is
 * random and stays in the process.
 */
#ifndef AUTHTRACE_SIPHASH_H
#define AUTHTRACE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif

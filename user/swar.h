/* SPDX-License-Identifier: MIT */
/*
 * Eight bytes at a time ("SIMD within a register") for the hot loops over
 * header names and JSON strings.  Each test answers "is ANY byte of x ...?"
 * exactly; which byte it was is left to a byte loop.
 */
#ifndef AUTHTRACE_SWAR_H
#define AUTHTRACE_SWAR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* b in every byte */
#define SWAR_BYTES(b) (0x0101010101010101ULL * (uint8_t)(b))

static inline uint64_t swar_load(const void *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

/* any byte of x from 0x80 on */
static inline bool swar_any_high(uint64_t x)
{
	return x & SWAR_BYTES(0x80);
}

/* any byte of x below n (n <= 0x80) */
static inline bool swar_any_below(uint64_t x, uint8_t n)
{
	return (x - SWAR_BYTES(n)) & ~x & SWAR_BYTES(0x80);
}

/*
 * The bytes of x equal to c, marked by their high bit.  The first
 * (lowest-addressed) mark is exact on a little-endian host; a byte after
 * it may be marked falsely (a borrow), so only ask where the first one is.
 */
static inline uint64_t swar_equal_marks(uint64_t x, uint8_t c)
{
	uint64_t y = x ^ SWAR_BYTES(c);

	return (y - SWAR_BYTES(1)) & ~y & SWAR_BYTES(0x80);
}

/* any byte of x equal to c */
static inline bool swar_any_equal(uint64_t x, uint8_t c)
{
	return swar_equal_marks(x, c) != 0;
}

/* The bytes of x within lo..hi (hi < 0x80), marked by their high bit; exact. */
static inline uint64_t swar_range_marks(uint64_t x, uint8_t lo, uint8_t hi)
{
	/* on the low seven bits no byte carries into the next */
	uint64_t low7 = x & SWAR_BYTES(0x7f);

	return (low7 + SWAR_BYTES(0x80 - lo)) & ~(low7 + SWAR_BYTES(0x7f - hi)) & ~x &
	       SWAR_BYTES(0x80);
}

/*
 * Which byte of the word holds its first mark (marks != 0).  Marks are
 * located only where the first one is exact (SWAR_CAN_LOCATE); elsewhere
 * a byte loop must find it.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_CAN_LOCATE 1
static inline unsigned swar_first_mark(uint64_t marks)
{
	return (unsigned)__builtin_ctzll(marks) >> 3;
}
#else
#define SWAR_CAN_LOCATE 0
#endif

/* x with 'A'..'Z' lowered; every byte of x must be below 0x80 */
static inline uint64_t swar_ascii_lower(uint64_t x)
{
	/* a byte's high bit is set when it is >= 'A', resp. > 'Z': no carries below 0x80 */
	uint64_t from_a = x + SWAR_BYTES(0x80 - 'A');
	uint64_t after_z = x + SWAR_BYTES(0x80 - 'Z' - 1);

	return x | ((from_a & ~after_z & SWAR_BYTES(0x80)) >> 2);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The last credentials classified, found again by a keyed hash of their
 * value.  Agents send the same key on every request, and classifying and
 * fingerprinting it costs more than the rest of the request record.
 */
#ifndef AUTHTRACE_CREDCACHE_H
#define AUTHTRACE_CREDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "creds.h"

struct credcache_key {
	uint64_t hash;   /* SipHash-2-4 of the value under this thread's random key */
	size_t len;
	bool usable;     /* false: no random key here, nothing is cached */
};

/* Whether (header_lc, value) was classified lately; if so, *out is its result. */
bool credcache_find(const char *header_lc, const void *value, size_t len,
		    struct credcache_key *key, struct credential *out);

/* Remember what key's value classified as (a no-op for an unusable key). */
void credcache_keep(const struct credcache_key *key, const struct credential *c);

#endif

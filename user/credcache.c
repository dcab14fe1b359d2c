// SPDX-License-Identifier: MIT
/*
 * A small direct-mapped table per thread.  It never holds a value: only a
 * SipHash of it under a key drawn from getrandom() when the thread first
 * classifies, which never leaves the process.  The classification itself
 * holds nothing secret (kind, fingerprint, length, non-secret facts).  A
 * hit needs the same 64-bit hash, length and header name: two different
 * values collide with probability 2^-64.
 */
#include "credcache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"

#define CREDCACHE_SLOTS 256   /* a power of two; a slot is ~570 bytes */

struct slot {
	bool used;
	uint64_t hash;
	size_t len;
	struct credential cred;
};

struct credcache {
	uint8_t key[16];
	struct slot slots[CREDCACHE_SLOTS];
};

/* The collector classifies on one thread; a thread that exits leaves its table. */
static __thread struct credcache *cache;
static __thread bool no_cache;

static struct credcache *this_thread_cache(void)
{
	if (cache || no_cache)
		return cache;
	cache = calloc(1, sizeof(*cache));
	if (cache && getrandom(cache->key, sizeof(cache->key), GRND_NONBLOCK) !=
			     (ssize_t)sizeof(cache->key)) {
		free(cache);
		cache = NULL;
	}
	no_cache = !cache;
	return cache;
}

static struct slot *slot_of(struct credcache *c, uint64_t hash)
{
	return &c->slots[hash & (CREDCACHE_SLOTS - 1)];
}

bool credcache_find(const char *header_lc, const void *value, size_t len,
		    struct credcache_key *key, struct credential *out)
{
	struct credcache *c = this_thread_cache();
	const struct slot *s;

	key->usable = c != NULL;
	if (!c)
		return false;
	key->hash = siphash24(c->key, value, len);
	key->len = len;
	s = slot_of(c, key->hash);
	if (!s->used || s->hash != key->hash || s->len != len ||
	    strncmp(s->cred.header, header_lc, sizeof(s->cred.header) - 1) != 0)
		return false;
	memcpy(out, &s->cred, sizeof(*out));   /* padding too: out is fully written */
	return true;
}

void credcache_keep(const struct credcache_key *key, const struct credential *c)
{
	struct slot *s;

	if (!key->usable || !cache)
		return;
	s = slot_of(cache, key->hash);
	s->used = true;
	s->hash = key->hash;
	s->len = key->len;
	memcpy(&s->cred, c, sizeof(*c));
}

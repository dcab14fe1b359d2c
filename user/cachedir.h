/* SPDX-License-Identifier: MIT */
/*
 * authtrace's cache directory, /var/cache/authtrace: answers that are
 * costly to compute and depend only on a file (the stripped-TLS locator)
 * or on the kernel (the reduced kernel BTF).  Root-only (0700, owned by
 * root): anything else there is not trusted, and nothing is cached.
 */
#ifndef AUTHTRACE_CACHEDIR_H
#define AUTHTRACE_CACHEDIR_H

#include <stdbool.h>
#include <stddef.h>

#define CACHE_DIR "/var/cache/authtrace"

/* The directory, created if missing; NULL if it can't be trusted. */
const char *cachedir_get(void);

/* Replace path with data atomically (a reader sees all or nothing). */
bool cachedir_write(const char *path, const void *data, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * TLS code in stripped executables (Claude Code's Bun build with BoringSSL
 * linked in): the structural locator (bunlocate.c) behind a cache.
 *
 * The locator reads hundreds of megabytes the first time; its answer is
 * kept in /var/cache/authtrace/ (root-only, 0700), keyed by the file's GNU
 * build-id and size, so later runs pay a file read.  Negative answers are
 * cached too: most big binaries have no BoringSSL at all.
 */
#ifndef AUTHTRACE_STRIPPED_H
#define AUTHTRACE_STRIPPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct stripped_tls {
	uint64_t ssl_write;        /* file offsets; 0 = not located */
	uint64_t ssl_read;
	uint64_t ssl_do_handshake;
};

/*
 * Locate SSL_write/SSL_read/SSL_do_handshake in the file open at fd.
 * Returns true when SSL_write was located.  why (may be NULL) gets one line
 * when the locator refused or found only part.
 */
bool stripped_locate(int fd, const struct stat *st, struct stripped_tls *out, char *why,
		     size_t whylen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Locate BoringSSL's SSL_write / SSL_read in a stripped x86-64 executable
 * that links BoringSSL statically (Bun-compiled programs such as Claude
 * Code's native build), for placing uprobes where no symbol names them.
 *
 * It works from BoringSSL's own error reporting: every OPENSSL_PUT_ERROR in
 * ssl/ssl_lib.cc passes the address of the "…/ssl/ssl_lib.cc" path string,
 * the library code (ERR_LIB_SSL), a public reason code and a line number to
 * ERR_put_error.  The functions are recognised by which reasons they raise,
 * in source (line) order, and then checked to look like what they claim to
 * be.  No table of offsets or code bytes from any one release is used.
 * docs/bun-locator.md describes the method and what it refuses.
 *
 * The file is treated as hostile: every read is bounds-checked.
 */
#ifndef AUTHTRACE_BUNLOCATE_H
#define AUTHTRACE_BUNLOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for the one-line explanation; longer ones are truncated. */
#define TLS_LOCATE_WHY_LEN 192

struct tls_locate_result {
	/* File offsets (what a uprobe wants); 0 = not located. */
	uint64_t ssl_write;        /* int SSL_write(SSL *, const void *, int) */
	uint64_t ssl_read;         /* int SSL_read(SSL *, void *, int) */
	uint64_t ssl_do_handshake; /* int SSL_do_handshake(SSL *); optional */
	/* The same as virtual addresses (for logs and cross-checks). */
	uint64_t ssl_write_vaddr;
	uint64_t ssl_read_vaddr;
	uint64_t ssl_do_handshake_vaddr;
	/* About the file. */
	bool is_bun;               /* has a .bun section (Bun-compiled) */
	char runtime[48];          /* "Bun v1.4.4 (6634fc3b5)" when found, else "" */
	/* About the analysis. */
	unsigned error_sites;      /* ssl_lib.cc error sites decoded */
	unsigned functions;        /* functions those sites fell into */
	uint32_t elapsed_us;       /* wall time of the analysis */
};

/*
 * Analyse the file open at fd (read-only; not closed; the caller keeps it).
 *
 * Returns 0 when SSL_write was located; SSL_read and SSL_do_handshake are
 * then filled in when they were located too, and when one of them was not,
 * why says which and why ("SSL_read not located: ...").  On failure returns
 * a negative errno and why holds one line for the log:
 *   -ENOEXEC  not a 64-bit little-endian x86-64 ELF executable/shared object
 *   -ENOENT   no BoringSSL ssl_lib.cc error sites: nothing to locate here
 *   -ESRCH    BoringSSL is there but SSL_write could not be pinned down
 *             without doubt (not found, or more than one candidate)
 *   other     an I/O error from fstat/mmap
 * why may be NULL; whylen 0 leaves it untouched.
 */
int tls_locate_stripped(int fd, struct tls_locate_result *out, char *why, size_t whylen);

/* The same analysis of a file image already in memory. */
int tls_locate_image(const void *image, size_t size, struct tls_locate_result *out,
		     char *why, size_t whylen);

/*
 * The GNU build-id of the file open at fd (a cache key that survives
 * copies and renames): copies up to cap bytes of it to id and returns its
 * length, or -ENOENT when the file has no build-id note, -ENOEXEC when it
 * is not an ELF file this module reads, or another negative errno.
 */
int tls_locate_build_id(int fd, uint8_t *id, size_t cap);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * bench: the TLS functions authtrace probes (user/probes.c) and where they
 * are in a process -- shared by the floor loader and probewait.
 */
#ifndef BENCH_TLSFUNCS_H
#define BENCH_TLSFUNCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_NFUNCS 7
/* same order and same entry/return split as user/probes.c */
static const char *const tls_func_names[TLS_NFUNCS] = {
	"SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex",
	"SSL_do_handshake", "SSL_connect", "SSL_free",
};
static const bool tls_func_ret[TLS_NFUNCS] = { false, false, true, true, true, true, false };

#define TLS_MAX_BINS 8

struct tls_bin {
	char path[64];            /* /proc/PID/map_files/... as opened */
	int fd;                   /* kept open while probes are attached */
	dev_t dev;
	ino_t ino;
	uint64_t offset[TLS_NFUNCS];   /* file offset, 0 = absent */
	uint64_t addr[TLS_NFUNCS];     /* address in the process, 0 = unknown */
	uint8_t orig[TLS_NFUNCS];      /* first byte of the function in the file */
};

/*
 * Find every executable file mapped by pid that defines SSL_write or
 * SSL_write_ex, the way authtrace does (/proc/PID/maps, opened through
 * /proc/PID/map_files, symbols by user/elfsym.c).  Returns the count.
 */
int tls_find(pid_t pid, struct tls_bin *bins, int max);
void tls_close(struct tls_bin *bins, int n);

#endif

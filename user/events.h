/* SPDX-License-Identifier: MIT */
/*
 * Decoding ring-buffer records.  The kernel side is ours, but the decoder
 * still trusts nothing: every length is checked against the record size so
 * a stale or mismatched BPF object can't make the collector read past it.
 */
#ifndef AUTHTRACE_EVENTS_H
#define AUTHTRACE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "authtrace.h"
#include "conn.h"

enum decoded_kind {
	DEC_INVALID = 0,
	DEC_DATA,      /* out->chunk is valid */
	DEC_EXEC,
	DEC_FORK,
	DEC_EXIT,
	DEC_MMAP,      /* hdr->conn = fd, hdr->stream_off = inode, hdr->len = device */
	DEC_SSL_FD,    /* hdr->conn = SSL*, hdr->len = the socket fd its handshake wrote to */
	DEC_CLOSE,     /* hdr->conn = the connection that ended */
};

struct decoded_event {
	enum decoded_kind kind;
	const struct at_event_hdr *hdr;
	char comm[AT_COMM_LEN + 1];   /* NUL-terminated copy */
	struct conn_chunk chunk;      /* DEC_DATA */
};

/* Decode one record; returns out->kind (DEC_INVALID for a malformed record). */
enum decoded_kind event_decode(const void *data, size_t size, struct decoded_event *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Scrubbing text that did not come from a header authtrace classified but
 * may still hold a credential: an error message a server echoed a key into,
 * a command line given a key as an argument.  Tokens shaped like a
 * credential (a known key prefix, or a long run of key alphabet mixing
 * letters and digits) become "[redacted]".
 */
#ifndef AUTHTRACE_REDACT_H
#define AUTHTRACE_REDACT_H

#include <stddef.h>

/* Redact s (NUL-terminated, in a buffer of cap bytes) in place; returns the new length. */
size_t redact_credentials(char *s, size_t cap);

#endif

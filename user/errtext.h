/* SPDX-License-Identifier: MIT */
/*
 * The short error text of a 4xx/5xx response, from the start of its body:
 *   {"type":"error","error":{"type":"authentication_error","message":"..."}}  Anthropic
 *   {"Message":"Authorization header is missing"}                             Bedrock
 *   {"error":{"message":"Incorrect API key provided: sk-...","type":...}}      OpenAI
 * or the first line of a text body.  Bounded, printable, and scrubbed: any
 * token shaped like a credential (servers echo keys back, sometimes
 * half-masked) is replaced by "[redacted]".
 */
#ifndef AUTHTRACE_ERRTEXT_H
#define AUTHTRACE_ERRTEXT_H

#include <stddef.h>
#include <stdint.h>

#define ERRTEXT_MAX 160

/* Writes a NUL-terminated text into out (ERRTEXT_MAX bytes); returns its length (0: none). */
size_t errtext_extract(const uint8_t *body, size_t len, char out[ERRTEXT_MAX]);

#endif

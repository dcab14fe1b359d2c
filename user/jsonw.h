/* SPDX-License-Identifier: MIT */
/*
 * A minimal streaming JSON writer into a caller-owned buffer: no allocation,
 * correct string escaping (control bytes, invalid UTF-8 replaced), so a
 * hostile header name can never break a line of NDJSON.
 */
#ifndef AUTHTRACE_JSONW_H
#define AUTHTRACE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf;
	size_t cap, len;
	bool overflow;     /* something did not fit: the line is unusable */
	bool need_comma;
};

void jsonw_init(struct jsonw *w, char *buf, size_t cap);
void jsonw_begin_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_begin_array(struct jsonw *w, const char *key);
void jsonw_end_array(struct jsonw *w);
void jsonw_begin_object_in_array(struct jsonw *w);
void jsonw_begin_named_object(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *key, const char *v);       /* v NULL -> null */
void jsonw_strn(struct jsonw *w, const char *key, const char *v, size_t n);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);
/* A value this writer serialized earlier, copied as it is. */
void jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n);
/* array elements: pass key NULL.  Keys are literals, written unescaped. */

/* Decimal digits of v into out (room for 20, no NUL); returns their count. */
size_t jsonw_format_u64(char *out, uint64_t v);

#endif

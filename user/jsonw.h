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

/*
 * The separator and `"key":` before a value (key NULL: an array element).
 * Keys are string literals of authtrace's own code, written unescaped.
 * Inline, so that a literal key's length is known when compiling and its
 * copy is a few moves: an NDJSON request line has about 30 keys.
 */
void jsonw_key_near_end(struct jsonw *w, const char *key, size_t klen);

static inline void jsonw_key(struct jsonw *w, const char *key)
{
	size_t klen = key ? __builtin_strlen(key) : 0;
	char *d;

	if (__builtin_expect(w->cap - w->len <= klen + 8, 0)) {
		jsonw_key_near_end(w, key, klen);
		return;
	}
	d = w->buf + w->len;
	if (w->need_comma)
		*d++ = ',';
	w->need_comma = true;
	if (key) {
		*d++ = '"';
		__builtin_memcpy(d, key, klen);
		d += klen;
		*d++ = '"';
		*d++ = ':';
	}
	*d = '\0';
	w->len = (size_t)(d - w->buf);
}

/* Values, after jsonw_key() */
void jsonw_put_begin_object(struct jsonw *w);
void jsonw_put_begin_array(struct jsonw *w);
void jsonw_put_string(struct jsonw *w, const char *v, size_t n);
void jsonw_put_cstring(struct jsonw *w, const char *v);   /* NULL -> null */
void jsonw_put_int(struct jsonw *w, int64_t v);
void jsonw_put_uint(struct jsonw *w, uint64_t v);
void jsonw_put_bool(struct jsonw *w, bool v);
void jsonw_put_null(struct jsonw *w);
void jsonw_put_raw(struct jsonw *w, const char *json, size_t n);

void jsonw_begin_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);

/* key and value: array elements pass key NULL */
static inline void jsonw_begin_array(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_put_begin_array(w);
}

static inline void jsonw_begin_named_object(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_put_begin_object(w);
}

static inline void jsonw_begin_object_in_array(struct jsonw *w)
{
	jsonw_begin_named_object(w, NULL);
}

static inline void jsonw_str(struct jsonw *w, const char *key, const char *v)   /* v NULL -> null */
{
	jsonw_key(w, key);
	jsonw_put_cstring(w, v);
}

/*
 * A string of authtrace's own making: a literal, a name from its own
 * tables (credential kinds, API families, severities: test_output.c checks
 * each), a timestamp or an id it formatted.  Such strings are ASCII without
 * '"', '\\' or control bytes, so they skip the escaping scan, like keys.
 * Anything that came from a traced process goes through jsonw_str().
 */
void jsonw_put_own_string(struct jsonw *w, const char *v, size_t n);

static inline void jsonw_own(struct jsonw *w, const char *key, const char *v)   /* v NULL -> null */
{
	jsonw_key(w, key);
	if (v)
		jsonw_put_own_string(w, v, __builtin_strlen(v));
	else
		jsonw_put_null(w);
}

static inline void jsonw_strn(struct jsonw *w, const char *key, const char *v, size_t n)
{
	jsonw_key(w, key);
	jsonw_put_string(w, v, n);
}

static inline void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_put_int(w, v);
}

static inline void jsonw_uint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_put_uint(w, v);
}

static inline void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_put_bool(w, v);
}

static inline void jsonw_null(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_put_null(w);
}

/* A value this writer serialized earlier, copied as it is. */
static inline void jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n)
{
	jsonw_key(w, key);
	jsonw_put_raw(w, json, n);
}

/*
 * Members serialized earlier, copied as they are: buf[mark..len) after
 * writing them, mark = jsonw_mark() before.
 */
static inline size_t jsonw_mark(const struct jsonw *w)
{
	return w->len + (w->need_comma ? 1 : 0);
}

void jsonw_members(struct jsonw *w, const char *json, size_t n);

/* Decimal digits of v into out (room for 20, no NUL); returns their count. */
size_t jsonw_format_u64(char *out, uint64_t v);

#endif

// SPDX-License-Identifier: MIT
#include "jsonw.h"

#include <string.h>

#include "bytescan.h"

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->need_comma = false;
}

/*
 * memcpy() for the short pieces a line is made of (numbers, names, short
 * strings), without a call: two overlapping words read and written within
 * s[0..n) and d[0..n).
 */
static inline void copy_piece(char *d, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t head, tail;

		memcpy(&head, s, 8);
		memcpy(&tail, s + n - 8, 8);
		memcpy(d, &head, 8);
		memcpy(d + n - 8, &tail, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t head, tail;

		memcpy(&head, s, 4);
		memcpy(&tail, s + n - 4, 4);
		memcpy(d, &head, 4);
		memcpy(d + n - 4, &tail, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		memcpy(d, s, n);
	}
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n >= w->cap) {
		w->overflow = true;
		return;
	}
	copy_piece(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct jsonw *w, char c)
{
	put(w, &c, 1);
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/*
 * The bytes at p (n > 0 left) that are not copied as they are, written
 * into out (room for 6): an escape, U+FFFD for invalid UTF-8, or a valid
 * multi-byte sequence.  Returns the bytes written; *used, the bytes read.
 */
static size_t escape_at(const unsigned char *p, size_t n, char *out, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = p[0];
	size_t l;

	*used = 1;
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x20) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
	l = utf8_seq_len(p, n);
	if (l == 0) {
		memcpy(out, "\\ufffd", 6);
		return 6;
	}
	memcpy(out, p, l);
	*used = l;
	return l;
}

/* Near the end of the buffer: every piece checked, overflow flagged. */
static void put_string_checked(struct jsonw *w, const unsigned char *p, size_t n)
{
	putc_(w, '"');
	for (size_t i = 0; i < n && !w->overflow;) {
		size_t run = bytescan_json(p + i, n - i), used;
		char esc[6];

		if (run) {
			put(w, (const char *)p + i, run);
			i += run;
			continue;
		}
		put(w, esc, escape_at(p + i, n - i, esc, &used));
		i += used;
	}
	putc_(w, '"');
}

static void put_string(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t room = w->cap - w->len, i = 0;
	char *d;

	/* the worst case (every byte as \\uXXXX, quotes, NUL) must fit, with slack */
	if (room < 16 || (room - 16) / 6 < n) {
		put_string_checked(w, p, n);
		return;
	}
	/* then nothing needs checking */
	d = w->buf + w->len;
	*d++ = '"';
	while (i < n) {
		size_t run = bytescan_json(p + i, n - i), used;

		copy_piece(d, (const char *)p + i, run);
		d += run;
		i += run;
		if (i < n) {
			d += escape_at(p + i, n - i, d, &used);
			i += used;
		}
	}
	*d++ = '"';
	*d = '\0';
	w->len = (size_t)(d - w->buf);
}

/* Near the end of the buffer: every piece checked, overflow flagged. */
void jsonw_key_near_end(struct jsonw *w, const char *key, size_t klen)
{
	if (w->need_comma)
		putc_(w, ',');
	w->need_comma = true;
	if (key) {
		putc_(w, '"');
		put(w, key, klen);
		put(w, "\":", 2);
	}
}

void jsonw_put_begin_object(struct jsonw *w)
{
	putc_(w, '{');
	w->need_comma = false;
}

void jsonw_put_begin_array(struct jsonw *w)
{
	putc_(w, '[');
	w->need_comma = false;
}

void jsonw_begin_object(struct jsonw *w)
{
	jsonw_put_begin_object(w);
}

void jsonw_end_object(struct jsonw *w)
{
	putc_(w, '}');
	w->need_comma = true;
}

void jsonw_end_array(struct jsonw *w)
{
	putc_(w, ']');
	w->need_comma = true;
}

void jsonw_put_string(struct jsonw *w, const char *v, size_t n)
{
	put_string(w, v, n);
}

void jsonw_put_own_string(struct jsonw *w, const char *v, size_t n)
{
	char *d;

	if (w->cap - w->len <= n + 2) {
		put(w, "\"", 1);
		put(w, v, n);
		put(w, "\"", 1);
		return;
	}
	d = w->buf + w->len;
	*d++ = '"';
	copy_piece(d, v, n);
	d += n;
	*d++ = '"';
	*d = '\0';
	w->len = (size_t)(d - w->buf);
}

void jsonw_put_cstring(struct jsonw *w, const char *v)
{
	if (v)
		put_string(w, v, strlen(v));
	else
		jsonw_put_null(w);
}

/*
 * How many decimal digits v has: the bit length gives it to within one
 * (1233/4096 ~ log10(2)), one comparison settles it.
 */
static size_t decimal_digits(uint64_t v)
{
	static const uint64_t tens[] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
		100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
		1000000000000ULL, 10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
		10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL,
	};
	uint64_t u = v | 1;   /* 0 has one digit; no power of ten is odd, so no other count moves */
	size_t bits = 64 - (size_t)__builtin_clzll(u);
	size_t n = (bits * 1233) >> 12;   /* 0..19 */

	return n + (u >= tens[n]);
}

/* Two digits at a time from the end: half the divisions of one at a time. */
size_t jsonw_format_u64(char *out, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	size_t n = decimal_digits(v);
	char *d = out + n;

	while (v >= 100) {
		d -= 2;
		memcpy(d, pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		d -= 2;
		memcpy(d, pairs + v * 2, 2);
	} else {
		*--d = (char)('0' + v);
	}
	return n;
}

void jsonw_put_int(struct jsonw *w, int64_t v)
{
	if (v < 0) {
		put(w, "-", 1);
		jsonw_put_uint(w, (uint64_t)0 - (uint64_t)v);
		return;
	}
	jsonw_put_uint(w, (uint64_t)v);
}

/* Digits straight into the buffer; the last 24 bytes go through put(). */
void jsonw_put_uint(struct jsonw *w, uint64_t v)
{
	char num[24];
	size_t n;

	if (w->cap - w->len <= sizeof(num)) {
		put(w, num, jsonw_format_u64(num, v));
		return;
	}
	n = jsonw_format_u64(w->buf + w->len, v);
	w->len += n;
	w->buf[w->len] = '\0';
}

void jsonw_put_bool(struct jsonw *w, bool v)
{
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_put_null(struct jsonw *w)
{
	put(w, "null", 4);
}

void jsonw_put_raw(struct jsonw *w, const char *json, size_t n)
{
	put(w, json, n);
}

void jsonw_members(struct jsonw *w, const char *json, size_t n)
{
	if (w->need_comma)
		putc_(w, ',');
	put(w, json, n);
	w->need_comma = true;
}

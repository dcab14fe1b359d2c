// SPDX-License-Identifier: MIT
#include "jsonw.h"

#include <stdio.h>
#include <string.h>

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->need_comma = false;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n >= w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
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

/* Bytes copied as they are: ASCII from the space on, but '"' and '\\'. */
static const bool copied_as_is[256] = {
	[0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7f] = true,
};

#define BYTES(b) (0x0101010101010101ULL * (uint8_t)(b))

/*
 * Whether all 8 bytes of x are copied as they are (SWAR: no byte below the
 * space, none '"' or '\\', none from 0x80 on).  The classic bit tricks
 * answer "is any byte ...?" exactly, which is all this needs.
 */
static bool word_copied_as_is(uint64_t x)
{
	const uint64_t high = BYTES(0x80);
	uint64_t quote = x ^ BYTES('"'), bslash = x ^ BYTES('\\');
	uint64_t below_space = (x - BYTES(0x20)) & ~x;
	uint64_t is_quote = (quote - BYTES(1)) & ~quote;
	uint64_t is_bslash = (bslash - BYTES(1)) & ~bslash;

	return !((below_space | is_quote | is_bslash | x) & high);
}

/* Length of the run of bytes at p[0..n) copied as they are. */
static size_t plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		if (!word_copied_as_is(x))
			break;
	}
	while (i < n && copied_as_is[p[i]])
		i++;
	return i;
}

static void put_string(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	putc_(w, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t run = plain_run(p + i, n - i);

		if (run) {
			put(w, s + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			put(w, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
			i++;
		} else {
			size_t l = utf8_seq_len(p + i, n - i);

			if (l == 0) {
				put(w, "\\ufffd", 6);
				i++;
			} else {
				put(w, s + i, l);
				i += l;
			}
		}
	}
	putc_(w, '"');
}

/* Keys are string literals of authtrace's own code: written without escaping. */
static void sep_key(struct jsonw *w, const char *key)
{
	if (w->need_comma)
		putc_(w, ',');
	w->need_comma = true;
	if (key) {
		putc_(w, '"');
		put(w, key, strlen(key));
		put(w, "\":", 2);
	}
}

void jsonw_begin_object(struct jsonw *w)
{
	putc_(w, '{');
	w->need_comma = false;
}

void jsonw_begin_named_object(struct jsonw *w, const char *key)
{
	sep_key(w, key);
	putc_(w, '{');
	w->need_comma = false;
}

void jsonw_begin_object_in_array(struct jsonw *w)
{
	sep_key(w, NULL);
	putc_(w, '{');
	w->need_comma = false;
}

void jsonw_end_object(struct jsonw *w)
{
	putc_(w, '}');
	w->need_comma = true;
}

void jsonw_begin_array(struct jsonw *w, const char *key)
{
	sep_key(w, key);
	putc_(w, '[');
	w->need_comma = false;
}

void jsonw_end_array(struct jsonw *w)
{
	putc_(w, ']');
	w->need_comma = true;
}

void jsonw_strn(struct jsonw *w, const char *key, const char *v, size_t n)
{
	sep_key(w, key);
	put_string(w, v, n);
}

void jsonw_str(struct jsonw *w, const char *key, const char *v)
{
	if (!v) {
		jsonw_null(w, key);
		return;
	}
	jsonw_strn(w, key, v, strlen(v));
}

size_t jsonw_format_u64(char *out, uint64_t v)
{
	char rev[20];
	size_t n = 0;

	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	char num[24];
	size_t n = 0;

	if (v < 0)
		num[n++] = '-';
	n += jsonw_format_u64(num + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	sep_key(w, key);
	put(w, num, n);
}

void jsonw_uint(struct jsonw *w, const char *key, uint64_t v)
{
	char num[24];
	size_t n = jsonw_format_u64(num, v);

	sep_key(w, key);
	put(w, num, n);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	sep_key(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w, const char *key)
{
	sep_key(w, key);
	put(w, "null", 4);
}

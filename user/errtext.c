// SPDX-License-Identifier: MIT
#include "errtext.h"

#include "redact.h"

#include <stdbool.h>
#include <string.h>

/* Find the value of the first "message"/"Message" string key; returns its start. */
static const uint8_t *find_message_value(const uint8_t *p, size_t len, size_t *vlen)
{
	static const char *const keys[] = { "\"message\"", "\"Message\"" };
	const uint8_t *best = NULL;

	for (size_t k = 0; k < 2; k++) {
		const uint8_t *hit = memmem(p, len, keys[k], strlen(keys[k]));

		if (hit && (!best || hit < best))
			best = hit;
	}
	if (!best)
		return NULL;
	best += strlen(keys[0]);
	while (best < p + len && (*best == ' ' || *best == '\t' || *best == ':' || *best == '\n' ||
				  *best == '\r'))
		best++;
	if (best >= p + len || *best != '"')
		return NULL;
	best++;
	*vlen = (size_t)(p + len - best);
	return best;
}

/* Copy a JSON string body (stops at the closing quote), decoding simple escapes. */
static size_t copy_json_string(const uint8_t *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		uint8_t c = s[i];

		if (c == '"')
			break;
		if (c == '\\' && i + 1 < len) {
			c = s[++i];
			if (c == 'n' || c == 't' || c == 'r')
				c = ' ';
			else if (c == 'u') {
				/* \u00XX: keep printable ASCII (a key may have an escaped '+'), else '?' */
				unsigned v = 0, k = 0;

				for (; k < 4 && i + 1 < len; k++) {
					uint8_t h = s[i + 1];
					unsigned d = h >= '0' && h <= '9' ? h - '0'
						   : (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10
						   : 16;

					if (d == 16)
						break;
					v = v * 16 + d;
					i++;
				}
				c = k == 4 && v >= 0x20 && v < 0x7f ? (uint8_t)v : '?';
			}
		}
		out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[o] = '\0';
	return o;
}

static size_t copy_first_line(const uint8_t *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	while (len && (*s == ' ' || *s == '\r' || *s == '\n' || *s == '\t')) {
		s++;
		len--;
	}
	for (size_t i = 0; i < len && o + 1 < cap && s[i] != '\n' && s[i] != '\r'; i++)
		out[o++] = (s[i] < 0x20 || s[i] == 0x7f) ? ' ' : (char)s[i];
	out[o] = '\0';
	return o;
}

/*
 * Redaction judges whole tokens: work on four times what is shown, cut
 * afterwards (a token the scratch cuts that starts in the shown part is
 * still judged on 480+ characters).
 */
#define ERRTEXT_SCRATCH (4 * ERRTEXT_MAX)

size_t errtext_extract(const uint8_t *body, size_t len, char out[ERRTEXT_MAX])
{
	char tmp[ERRTEXT_SCRATCH];
	const uint8_t *v;
	size_t vlen = 0, n;

	out[0] = '\0';
	if (!body || len == 0)
		return 0;
	v = find_message_value(body, len, &vlen);
	if (v)
		n = copy_json_string(v, vlen, tmp, sizeof(tmp));
	else if (body[0] == '{' || body[0] == '[')
		return 0;  /* JSON without a message we recognise */
	else
		n = copy_first_line(body, len, tmp, sizeof(tmp));
	/* C1 controls (U+0080..U+009F, C2 80..C2 9F) are terminal controls too */
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)tmp[i] == 0xc2 && (unsigned char)tmp[i + 1] >= 0x80 &&
		    (unsigned char)tmp[i + 1] <= 0x9f)
			tmp[i] = tmp[i + 1] = ' ';
	n = redact_credentials(tmp, sizeof(tmp));
	/* cut to the limit, not inside a UTF-8 sequence */
	if (n >= ERRTEXT_MAX) {
		n = ERRTEXT_MAX - 1;
		while (n && ((unsigned char)tmp[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, tmp, n);
	out[n] = '\0';
	return n;
}

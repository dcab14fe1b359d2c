// SPDX-License-Identifier: MIT
#include "redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '=' || c == '*';
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(s, prefix, pl) == 0;
}

/* A known credential prefix with something after it. */
static bool has_key_prefix(const char *t, size_t n)
{
	static const char *const prefixes[] = { "sk-", "ABSK", "bedrock-api-key-", "eyJ", "ya29.",
						"AKIA", "ASIA", "AWS4-" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (starts_with(t, n, prefixes[i]) && n > strlen(prefixes[i]) + 3)
			return true;
	return false;
}

/* Model ids mix words and dates ("claude-sonnet-4-5-20250929"): names, not secrets. */
static bool is_model_id(const char *t, size_t n)
{
	static const char *const families[] = { "claude-", "anthropic.claude-", "us.anthropic.",
						"eu.anthropic.", "apac.anthropic.", "global.anthropic.",
						"gpt-", "gemini-", "text-embedding-" };

	size_t seg = 0;
	bool family = false;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		family |= starts_with(t, n, families[i]);
	if (!family)
		return false;
	/* words, versions and dates: every '-'/'.' separated part short, no base64 */
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '/' || t[i] == '+' || t[i] == '=' || t[i] == '*')
			return false;
		seg = t[i] == '-' || t[i] == '.' ? 0 : seg + 1;
		if (seg > 12)
			return false;
	}
	return true;
}

/* A long run of key alphabet mixing digits and letters: random material, not a word. */
static bool looks_random(const char *t, size_t n)
{
	bool digit = false, letter = false;

	if (n < 20 || is_model_id(t, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		digit |= t[i] >= '0' && t[i] <= '9';
		letter |= (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z');
	}
	return digit && letter;
}

/* Paths and URLs: judged segment by segment, so "/usr/lib/python3.11" survives. */
static bool is_path_like(const char *t, size_t n)
{
	return t[0] == '/' || t[0] == '.' || memmem(t, n, "://", 3) != NULL;
}

struct sink {
	char *out;
	size_t cap, len;
};

static bool put(struct sink *k, const char *s, size_t n)
{
	if (k->len + n + 1 > k->cap)
		return false;
	memcpy(k->out + k->len, s, n);
	k->len += n;
	return true;
}

static bool is_b64(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

/*
 * Base64 material has '/' in it (AWS secret keys, many API keys), so in a
 * path a secret spans segments.  In a run of base64 alphabet ('/' included),
 * the part from the first to the last "hot" segment (mixed case or digits)
 * is one secret when it is 20+ long, mixes upper, lower case and digits, and
 * changes case inside words at least twice ("wJalrXUt...") -- unlike paths
 * such as /home/User/Projects/App2.  Sets [*from, *to) of t[0..n).
 */
static bool b64_secret(const char *t, size_t n, size_t *from, size_t *to)
{
	bool upper = false, lower = false, digit = false, found = false;
	size_t i = 0, humps = 0;

	while (i < n) {
		bool u = false, l = false, d = false;
		size_t j = i, h = 0;

		for (; j < n && t[j] != '/'; j++) {
			u |= t[j] >= 'A' && t[j] <= 'Z';
			l |= t[j] >= 'a' && t[j] <= 'z';
			d |= t[j] >= '0' && t[j] <= '9';
			h += j > i && t[j - 1] >= 'a' && t[j - 1] <= 'z' && t[j] >= 'A' && t[j] <= 'Z';
		}
		if ((u && l) || d) {
			if (!found)
				*from = i;
			found = true;
			*to = j;
			upper |= u;
			lower |= l;
			digit |= d;
			humps += h;
		}
		i = j + 1;
	}
	return found && *to - *from >= 20 && upper && lower && digit && humps >= 2;
}

/* A path's run of base64 alphabet: secret material redacted, segments judged one by one. */
static bool put_path_run(struct sink *k, const char *t, size_t n)
{
	static const char mark[] = "[redacted]";
	size_t from = 0, to = 0, i = 0;

	if (b64_secret(t, n, &from, &to))
		return put(k, t, from) && put(k, mark, sizeof(mark) - 1) && put(k, t + to, n - to);
	while (i < n) {
		size_t j = i;

		while (j < n && t[j] != '/')
			j++;
		if (!(looks_random(t + i, j - i) ? put(k, mark, sizeof(mark) - 1)
						  : put(k, t + i, j - i)))
			return false;
		if (j < n && !put(k, "/", 1))
			return false;
		i = j + 1;
	}
	return true;
}

static bool put_token(struct sink *k, const char *t, size_t n)
{
	static const char mark[] = "[redacted]";
	size_t i = 0;

	if (has_key_prefix(t, n) || (!is_path_like(t, n) && looks_random(t, n)))
		return put(k, mark, sizeof(mark) - 1);
	if (!is_path_like(t, n))
		return put(k, t, n);
	/* paths and URLs: runs of base64 alphabet between '.', ':', '*' */
	while (i < n) {
		size_t j = i;

		if (!is_b64(t[i])) {
			if (!put(k, t + i, 1))
				return false;
			i++;
			continue;
		}
		while (j < n && is_b64(t[j]))
			j++;
		if (!put_path_run(k, t + i, j - i))
			return false;
		i = j;
	}
	return true;
}

size_t redact_credentials(char *s, size_t cap)
{
	struct sink k = { .out = malloc(cap), .cap = cap, .len = 0 };
	size_t len = strlen(s), i = 0;

	if (!k.out) {
		s[0] = '\0';  /* cannot check it: show nothing */
		return 0;
	}
	while (i < len) {
		size_t j = i;

		while (j < len && is_token_char(s[j]))
			j++;
		if (j > i ? !put_token(&k, s + i, j - i) : !put(&k, s + i, 1))
			break;
		i = j > i ? j : i + 1;
	}
	memcpy(s, k.out, k.len);
	s[k.len] = '\0';
	free(k.out);
	return k.len;
}

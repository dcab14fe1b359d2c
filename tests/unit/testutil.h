/* SPDX-License-Identifier: MIT */
/* Helpers several unit tests share.  Include after the standard headers. */
#ifndef AUTHTRACE_TESTUTIL_H
#define AUTHTRACE_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fake Anthropic key the tests plant: sk-ant-api03- + 'A'*93 + "AA". */
static inline const char *fake_api_key(void)
{
	static char key[128];

	if (!key[0]) {
		strcpy(key, "sk-ant-api03-");
		memset(key + strlen(key), 'A', 93);
		strcat(key, "AA");
	}
	return key;
}

/* The C compiler for fixtures built at test time ($CC, else cc). */
static inline const char *compiler(void)
{
	const char *cc = getenv("CC");

	return cc && *cc ? cc : "cc";
}

/* Run a shell command built from fmt; true if it exited 0. */
__attribute__((format(printf, 1, 2)))
static inline bool run_quiet(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return false;
	return system(cmd) == 0;
}

#endif

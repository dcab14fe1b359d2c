/* SPDX-License-Identifier: MIT */
/*
 * The auth rules engine: given a finished request record, add findings
 * (rule id, severity, message saying what is wrong and what the right form
 * is for that destination).  Rule data (destinations, credential headers,
 * expected headers per destination and credential kind, placeholder
 * patterns, host classes) lives in rules/default.json, built into the
 * binary; --rules FILE adds or overrides entries.
 */
#ifndef AUTHTRACE_RULES_H
#define AUTHTRACE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct rules;

/* The built-in rules (rules/default.json); NULL and err set on failure. */
struct rules *rules_new_default(char *err, size_t errlen);

/*
 * Merge a user rules file.  On error: one line in err naming the file,
 * line and problem (e.g. "rules.json:12: \"expect\" must be a string"),
 * returns -1 (the caller exits 2).
 */
int rules_load_file(struct rules *r, const char *path, char *err, size_t errlen);

/* Same, from a buffer (name used in messages); for tests and fuzzing. */
int rules_load_buffer(struct rules *r, const char *name, const char *json, size_t len,
		      char *err, size_t errlen);

/* Extra credential header names (lowercase), NULL-terminated. Never NULL. */
const char *const *rules_extra_cred_headers(const struct rules *r);

/*
 * Evaluate every rule on req and append findings.  now_unix is the capture
 * time (seconds since the epoch) for SigV4 clock-skew and JWT expiry checks.
 */
void rules_evaluate(const struct rules *r, struct request *req, int64_t now_unix);

void rules_free(struct rules *r);

/* The built-in rules JSON (generated from rules/default.json at build time). */
extern const char rules_default_json[];
extern const size_t rules_default_json_len;

#endif

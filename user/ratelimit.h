/* SPDX-License-Identifier: MIT */
/*
 * Rate limiting of repeated identical findings (--all): a process retrying
 * a bad request in a loop must not flood the log pipeline.  Per process
 * and rule, the first RATELIMIT_BURST requests in a window are reported;
 * the rest are counted and reported as one `suppressed` event when the
 * window ends.
 */
#ifndef AUTHTRACE_RATELIMIT_H
#define AUTHTRACE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RATELIMIT_BURST 10
#define RATELIMIT_WINDOW_NS (60ULL * 1000000000ULL)
#define RATELIMIT_SLOTS 256

struct ratelimit_slot {
	pid_t pid;
	const char *rule;         /* static rule id; NULL: free */
	char comm[17];
	uint64_t window_start;
	uint32_t count;
	uint32_t suppressed;
};

struct ratelimit {
	struct ratelimit_slot slots[RATELIMIT_SLOTS];
};

/* Called when a window with suppressed requests ends. */
typedef void (*ratelimit_report_fn)(void *ctx, const struct ratelimit_slot *slot);

/* True when this request (its first finding's rule) should be reported. */
bool ratelimit_allow(struct ratelimit *rl, pid_t pid, const char *comm, const char *rule,
		     uint64_t now_ns, ratelimit_report_fn report, void *ctx);

/* Close windows older than now (and, with now = UINT64_MAX, all), reporting suppressions. */
void ratelimit_expire(struct ratelimit *rl, uint64_t now_ns, ratelimit_report_fn report, void *ctx);

#endif

// SPDX-License-Identifier: MIT
#include "ratelimit.h"

#include <string.h>

static void close_window(struct ratelimit_slot *s, ratelimit_report_fn report, void *ctx)
{
	if (s->suppressed && report)
		report(ctx, s);
	s->rule = NULL;
}

bool ratelimit_allow(struct ratelimit *rl, pid_t pid, const char *comm, const char *rule,
		     uint64_t now_ns, ratelimit_report_fn report, void *ctx)
{
	/* a small open-addressed table; a full probe run evicts the oldest window */
	size_t h = ((size_t)(uint32_t)pid * 2654435761u ^ (size_t)(uintptr_t)rule) % RATELIMIT_SLOTS;
	struct ratelimit_slot *s = NULL, *oldest = NULL;

	for (size_t i = 0; i < 8; i++) {
		struct ratelimit_slot *c = &rl->slots[(h + i) % RATELIMIT_SLOTS];

		if (c->rule && c->pid == pid && c->rule == rule) {
			s = c;
			break;
		}
		if (!c->rule && !s)
			s = c;
		if (!oldest || (c->rule && c->window_start < oldest->window_start))
			oldest = c;
	}
	if (!s) {
		close_window(oldest, report, ctx);
		s = oldest;
	}
	if (s->rule && now_ns - s->window_start >= RATELIMIT_WINDOW_NS)
		close_window(s, report, ctx);
	if (!s->rule) {
		s->pid = pid;
		s->rule = rule;
		strncpy(s->comm, comm, sizeof(s->comm) - 1);
		s->comm[sizeof(s->comm) - 1] = '\0';
		s->window_start = now_ns;
		s->count = 0;
		s->suppressed = 0;
	}
	if (s->count < RATELIMIT_BURST) {
		s->count++;
		return true;
	}
	s->suppressed++;
	return false;
}

void ratelimit_expire(struct ratelimit *rl, uint64_t now_ns, ratelimit_report_fn report, void *ctx)
{
	for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
		struct ratelimit_slot *s = &rl->slots[i];

		if (s->rule && (now_ns == UINT64_MAX || now_ns - s->window_start >= RATELIMIT_WINDOW_NS))
			close_window(s, report, ctx);
	}
}

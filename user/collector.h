/* SPDX-License-Identifier: MIT */
/*
 * The collector: everything authtrace does in user space with captured
 * bytes, independent of where they came from.  Chunks go into the
 * connection table; each finished request is evaluated by the rules,
 * rate limited (--all), reported, and counted for the summary; responses
 * likewise.  The live tracer (tracer.c), the benchmark's replay and the
 * fuzzers all drive this same code.
 */
#ifndef AUTHTRACE_COLLECTOR_H
#define AUTHTRACE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "output.h"
#include "proc.h"
#include "ratelimit.h"
#include "summary.h"

struct rules;
struct outq;

/* What the kernel side can do with what the collector learns; all optional. */
struct collector_hints {
	void (*skip_until)(void *ctx, pid_t pid, uint64_t conn, uint64_t off);
	void (*response_done)(void *ctx, pid_t pid, uint64_t conn, uint64_t out_off);
	bool (*peer_lookup)(void *ctx, pid_t pid, int fd, char out[PEER_MAX]);
	void *ctx;
};

struct collector_config {
	struct rules *rules;
	struct outq *out;
	enum output_format format;
	bool color;
	bool fleet;            /* --all: group the human view by process, rate limit findings */
	int filter_api;        /* enum api_family + 1 of --api; 0: every family */
	size_t max_conns;
	struct collector_hints hints;
};

struct collector {
	struct collector_config cfg;
	struct output out;
	struct summary summary;
	struct conn_table *conns;
	struct proc_table *procs;
	struct ratelimit ratelimit;
	uint64_t suppressed;   /* requests not shown because of the rate limit */
};

/* Returns 0, or -ENOMEM. */
int collector_init(struct collector *c, const struct collector_config *cfg);
void collector_free(struct collector *c);

static inline void collector_feed(struct collector *c, const struct conn_chunk *ch)
{
	conn_feed(c->conns, ch);
}

/* Events the kernel (or the output queue) could not deliver. */
void collector_lost(struct collector *c, uint64_t count, const char *reason);

/* Periodic: close rate-limit windows; a stats event when asked. */
void collector_tick(struct collector *c, uint64_t now_ns, bool stats, size_t probes);

/* End of run: report what is still pending, then the summary. */
void collector_finish(struct collector *c);

#endif

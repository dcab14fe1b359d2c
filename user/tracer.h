/* SPDX-License-Identifier: MIT */
/*
 * The tracer: BPF objects, probes, the collector pipeline and the outputs,
 * wired together.  main.c drives it; targets.c adds processes to it.
 */
#ifndef AUTHTRACE_TRACER_H
#define AUTHTRACE_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "authtrace.h"
#include "collector.h"

struct authtrace_bpf;
struct ring_buffer;
struct probes;
struct rules;
struct reaper;
struct outq;

struct tracer {
	const struct options *opt;
	struct authtrace_bpf *skel;
	struct ring_buffer *rb;
	struct probes *probes;
	struct reaper *reaper;
	struct collector col;         /* the user-space pipeline */
	int fd_traced, fd_resume, fd_response_skip, fd_counters;
	uint64_t counters_seen[AT_CNT_COUNT]; /* last reported value of each counter */
	unsigned n_live;             /* traced processes still alive */
	pid_t command_pid;           /* COMMAND mode: the child, else 0 */
	bool stop;                   /* leave the event loop */
	bool closing;                /* tearing down: only resume stopped processes */
};

/* Open, load and attach the BPF side; returns 0 or an exit status. */
int tracer_start(struct tracer *t, const struct options *opt, struct rules *rules, struct outq *out,
		 bool out_is_tty);
void tracer_close(struct tracer *t);

/* Poll the ring buffer once (timeout_ms); returns <0 on a fatal error. */
int tracer_poll(struct tracer *t, int timeout_ms);

/* Report losses the kernel counted since the last call. */
void tracer_report_losses(struct tracer *t);

/* Trace pid from now on (follow its children unless --no-follow). */
int tracer_add_pid(struct tracer *t, pid_t pid);

/* Periodic work: a stats event (--stats), closing rate-limit windows. */
void tracer_tick(struct tracer *t, bool emit_stats);

/* Finish: drain, print the summary, flush. */
void tracer_finish(struct tracer *t);

#endif

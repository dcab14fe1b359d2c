/* SPDX-License-Identifier: MIT */
/*
 * Destroying BPF links off the event loop.  Detaching a uprobe or
 * tracepoint perf event waits for an RCU grace period (tens of ms on a VM);
 * one after another that stalls event processing when traced children
 * exit, and adds a second to every run's exit.  Worker threads destroy
 * links concurrently, so the waits overlap and the event loop never waits.
 */
#ifndef AUTHTRACE_REAPER_H
#define AUTHTRACE_REAPER_H

#include <stddef.h>

struct bpf_link;
struct reaper;

struct reaper *reaper_new(unsigned workers);

/* Queue a link for destruction (takes ownership).  Destroys it inline if the queue can't grow. */
void reaper_destroy(struct reaper *r, struct bpf_link *link);

/* Wait until every queued link is destroyed, stop the workers, free r. */
void reaper_finish(struct reaper *r);

#endif

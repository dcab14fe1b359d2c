/* SPDX-License-Identifier: MIT */
/*
 * Event outputs: the live human view or NDJSON (contract v1 in README.md),
 * built one event at a time and handed whole to the output queue (outq.h).
 * A failed write (disk full, closed pipe) is remembered, reported once,
 * and makes the run exit 1.
 */
#ifndef AUTHTRACE_OUTPUT_H
#define AUTHTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "proc.h"
#include "request.h"
#include "summary.h"

enum output_format { OUTPUT_TEXT = 0, OUTPUT_JSON };

struct outq;

/*
 * NDJSON: the serialized "headers" array of a recent name list.  Agents
 * send the same names in the same order on every request; a request whose
 * names are byte for byte those of a slot gets the slot's array copied.
 */
#define HEADERS_CACHE_SLOTS 8
#define HEADERS_CACHE_NAMES 1024   /* longer name lists are not kept */
#define HEADERS_CACHE_JSON  2048

struct headers_cache_slot {
	uint32_t names_used;   /* 0: empty */
	uint32_t n_headers;
	size_t json_len;
	char names[HEADERS_CACHE_NAMES];
	char json[HEADERS_CACHE_JSON];
};

/*
 * NDJSON: a process's members of a request line, "ppid" to "container",
 * as serialized for the last request of that process.  They are the same
 * while its facts (proc_info version), comm, uid and cgroup are.
 */
#define PROCESS_CACHE_SLOTS 64
#define PROCESS_CACHE_JSON  1024   /* longer ones are not kept */

struct process_cache_slot {
	uint64_t version;   /* the proc_info's; 0: empty */
	uint64_t cgroup_id;
	uint32_t uid;
	char comm[REQ_COMM_MAX + 1];
	size_t json_len;
	char json[PROCESS_CACHE_JSON];
};

struct output {
	struct outq *q;               /* where events go (stdout or -o FILE) */
	enum output_format format;
	bool color;
	int64_t realtime_offset_ns;   /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	uint64_t seq;                 /* last seq handed out */
	char host[64];                /* this host's name, in every request event */
	bool group_by_process;        /* human view (--all): a header line per process */
	pid_t last_pid;               /* human view: the process of the last line */
	char line[64 * 1024];         /* one event is built here, then written at once */
	struct headers_cache_slot headers_cache[HEADERS_CACHE_SLOTS];
	struct process_cache_slot process_cache[PROCESS_CACHE_SLOTS];
};

void output_init(struct output *o, struct outq *q, enum output_format format, bool color);

/* Report a request; returns the seq it was given. */
uint64_t output_request(struct output *o, const struct request *req, const struct proc_info *pi);
void output_response(struct output *o, const struct response *resp);
void output_lost(struct output *o, uint64_t count, const char *reason);
void output_summary(struct output *o, const struct summary *s);
void output_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule,
		       uint64_t count);
void output_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		  uint64_t suppressed);

/* The first write error (errno value), 0 if none. */
int output_error(struct output *o);

/* Formatting helpers shared by both views. */
void output_format_rfc3339(const struct output *o, uint64_t mono_ns, char *buf, size_t len);
void output_format_clock(const struct output *o, uint64_t mono_ns, char *buf, size_t len);
void output_write(struct output *o, const char *s, size_t n);

/* Implemented by output_json.c and output_text.c. */
void json_request(struct output *o, const struct request *req, const struct proc_info *pi);
void json_response(struct output *o, const struct response *resp);
void json_lost(struct output *o, uint64_t count, const char *reason);
void json_summary(struct output *o, const struct summary *s);
void json_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule, uint64_t count);
void json_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		uint64_t suppressed);
void text_request(struct output *o, const struct request *req, const struct proc_info *pi);
void text_response(struct output *o, const struct response *resp);
void text_lost(struct output *o, uint64_t count, const char *reason);
void text_summary(struct output *o, const struct summary *s);
void text_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule, uint64_t count);
void text_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		uint64_t suppressed);

#endif

/* SPDX-License-Identifier: MIT */
/* Run totals for the exit summary: per process and destination, per rule. */
#ifndef AUTHTRACE_SUMMARY_H
#define AUTHTRACE_SUMMARY_H

#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "request.h"

#define SUMMARY_MAX_DESTS 64
#define SUMMARY_MAX_RULES 48
#define SUMMARY_EXAMPLE_MAX 160
#define SUMMARY_MAX_STATUSES 16

struct summary_dest {
	char comm[REQ_COMM_MAX + 1];
	pid_t pid;
	enum api_family api;
	char authority[REQ_AUTHORITY_MAX];
	uint64_t requests;
	uint64_t without_credentials;
};

struct summary_rule {
	const char *rule;
	enum severity severity;
	uint64_t count;
	uint64_t example_seq;
	char example[SUMMARY_EXAMPLE_MAX];  /* "POST host/path" of the first request */
};

struct summary {
	uint64_t requests;
	uint64_t without_credentials;
	uint64_t lost;                  /* records the kernel could not deliver */
	uint64_t heads_lost;            /* heads cut by loss or the capture limit */
	uint64_t unanswered;            /* requests whose connection ended without a response */
	uint64_t responses;
	struct { int status; uint64_t count; } statuses[SUMMARY_MAX_STATUSES];
	unsigned n_statuses;
	struct summary_dest dests[SUMMARY_MAX_DESTS];
	unsigned n_dests;
	uint64_t other_dest_requests;   /* requests past SUMMARY_MAX_DESTS rows */
	struct summary_rule rules[SUMMARY_MAX_RULES];
	unsigned n_rules;
};

void summary_add_request(struct summary *s, const struct request *req, uint64_t seq);
void summary_add_response(struct summary *s, const struct response *resp);

/* Count of findings at or above sev. */
uint64_t summary_findings_at_least(const struct summary *s, enum severity sev);

#endif

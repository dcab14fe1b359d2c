// SPDX-License-Identifier: MIT
#include "summary.h"

#include <stdio.h>
#include <string.h>

static struct summary_dest *find_dest(struct summary *s, const struct request *req)
{
	struct summary_dest *d;

	for (unsigned i = 0; i < s->n_dests; i++) {
		d = &s->dests[i];
		if (d->pid == req->pid && d->api == req->api &&
		    strcmp(d->authority, req->authority) == 0)
			return d;
	}
	if (s->n_dests >= SUMMARY_MAX_DESTS)
		return NULL;
	d = &s->dests[s->n_dests++];
	memcpy(d->comm, req->comm, sizeof(d->comm));
	d->pid = req->pid;
	d->api = req->api;
	memcpy(d->authority, req->authority, sizeof(d->authority));
	return d;
}

static void count_finding(struct summary *s, const struct finding *f, const struct request *req,
			  uint64_t seq)
{
	struct summary_rule *r;

	for (unsigned i = 0; i < s->n_rules; i++) {
		r = &s->rules[i];
		if (strcmp(r->rule, f->rule) == 0 && r->severity == f->severity) {
			r->count++;
			return;
		}
	}
	if (s->n_rules >= SUMMARY_MAX_RULES)
		return;
	r = &s->rules[s->n_rules++];
	r->rule = f->rule;
	r->severity = f->severity;
	r->count = 1;
	r->example_seq = seq;
	snprintf(r->example, sizeof(r->example), "%.23s %.60s%.72s", req->method, req->authority,
		 req->path);
}

void summary_add_request(struct summary *s, const struct request *req, uint64_t seq)
{
	struct summary_dest *d = find_dest(s, req);
	bool no_creds = req->n_creds == 0;

	s->requests++;
	if (no_creds)
		s->without_credentials++;
	if (d) {
		d->requests++;
		if (no_creds)
			d->without_credentials++;
	} else {
		s->other_dest_requests++;
	}
	for (unsigned i = 0; i < req->n_findings; i++)
		count_finding(s, &req->findings[i], req, seq);
}

void summary_add_response(struct summary *s, const struct response *resp)
{
	unsigned i;

	s->responses++;
	for (i = 0; i < s->n_statuses; i++)
		if (s->statuses[i].status == resp->status)
			break;
	if (i == s->n_statuses) {
		if (s->n_statuses == SUMMARY_MAX_STATUSES)
			return;
		s->statuses[s->n_statuses++].status = resp->status;
	}
	s->statuses[i].count++;
}

uint64_t summary_findings_at_least(const struct summary *s, enum severity sev)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < s->n_rules; i++)
		if (s->rules[i].severity >= sev)
			n += s->rules[i].count;
	return n;
}

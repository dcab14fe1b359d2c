// SPDX-License-Identifier: MIT
/*
 * The live human view: one line per request, findings under it, colour
 * only on a terminal.  Everything printed here was already made printable
 * (control bytes replaced) when the request record was built.
 */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define C_RESET  "\033[0m"
#define C_DIM    "\033[2m"
#define C_BOLD   "\033[1m"
#define C_RED    "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN  "\033[32m"
#define C_CYAN   "\033[36m"

/* Shown path length in the one-line view; the JSON has the whole path. */
#define TEXT_PATH_MAX 96

struct text_line {
	char buf[8192];
	size_t len;
};

static void add(struct text_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : sizeof(l->buf) - l->len - 1;
}

static const char *col(const struct output *o, const char *code)
{
	return o->color ? code : "";
}

static const char *severity_mark(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return "✗";
	case SEV_WARNING:
		return "!";
	default:
		return "·";
	}
}

static const char *severity_colour(const struct output *o, enum severity s)
{
	return col(o, s == SEV_ERROR ? C_RED : s == SEV_WARNING ? C_YELLOW : C_DIM);
}

static void add_credentials(struct output *o, struct text_line *l, const struct request *req)
{
	if (req->n_creds == 0) {
		add(l, "  %sno credentials%s", col(o, C_YELLOW), col(o, C_RESET));
		return;
	}
	for (unsigned i = 0; i < req->n_creds; i++) {
		const struct credential *c = &req->creds[i];

		add(l, "  %s%s%s=", col(o, C_CYAN), c->header, col(o, C_RESET));
		if (c->scheme[0])
			add(l, "%s ", c->scheme);
		add(l, "%s(#%s)", cred_kind_name(c->kind), c->fingerprint);
	}
}

void text_request(struct output *o, const struct request *req, const struct proc_info *pi)
{
	struct text_line l = { .len = 0 };
	char clock[16];
	size_t plen = strlen(req->path);

	output_format_clock(o, req->ts_ns, clock, sizeof(clock));
	if (o->group_by_process && req->pid != o->last_pid) {
		/* --all: many processes; a header each time the process changes */
		o->last_pid = req->pid;
		add(&l, "%s── %s[%d] %s%s%s ──%s\n", col(o, C_BOLD), req->comm, req->pid,
		    pi && pi->exe[0] ? pi->exe : "", pi && pi->container[0] ? " container " : "",
		    pi && pi->container[0] ? pi->container : "", col(o, C_RESET));
	}
	add(&l, "%s%s #%llu%s %s[%d] %s%s%s %s", col(o, C_DIM), clock, (unsigned long long)o->seq,
	    col(o, C_RESET), req->comm, req->pid, col(o, C_BOLD), req->method, col(o, C_RESET),
	    req->authority[0] ? req->authority : "?");
	if (plen > TEXT_PATH_MAX)
		add(&l, "%.*s…", TEXT_PATH_MAX, req->path);
	else
		add(&l, "%s", req->path);
	if (!req->tls)
		add(&l, " %s(cleartext)%s", col(o, C_YELLOW), col(o, C_RESET));
	if (req->api != API_UNKNOWN)
		add(&l, " %s[%s]%s", col(o, C_DIM), api_family_name(req->api), col(o, C_RESET));
	add_credentials(o, &l, req);
	if (req->incomplete)
		add(&l, " %s(head incomplete)%s", col(o, C_YELLOW), col(o, C_RESET));
	add(&l, "\n");
	for (unsigned i = 0; i < req->n_findings; i++) {
		const struct finding *f = &req->findings[i];

		add(&l, "  %s%s %s%s: %s\n", severity_colour(o, f->severity),
		    severity_mark(f->severity), f->rule, col(o, C_RESET), f->message);
	}
	output_write(o, l.buf, l.len);
}

void text_response(struct output *o, const struct response *resp)
{
	struct text_line l = { .len = 0 };
	const char *c = col(o, resp->status >= 400 ? C_RED : resp->status >= 300 ? C_YELLOW : C_GREEN);

	add(&l, "  %s→ %d%s", c, resp->status, col(o, C_RESET));
	if (resp->error[0])
		add(&l, " %s", resp->error);
	if (resp->request_seq)
		add(&l, " %s(#%llu)%s", col(o, C_DIM), (unsigned long long)resp->request_seq,
		    col(o, C_RESET));
	add(&l, "\n");
	output_write(o, l.buf, l.len);
}

void text_lost(struct output *o, uint64_t count, const char *reason)
{
	struct text_line l = { .len = 0 };

	add(&l, "%s! lost %llu events (%s)%s\n", col(o, C_YELLOW), (unsigned long long)count, reason,
	    col(o, C_RESET));
	output_write(o, l.buf, l.len);
}

/* The summary outgrows one buffer (64 destinations, 48 rules): hand it over in parts. */
static void spill(struct output *o, struct text_line *l)
{
	if (l->len > sizeof(l->buf) - 1024) {
		output_write(o, l->buf, l->len);
		l->len = 0;
	}
}

void text_summary(struct output *o, const struct summary *s)
{
	struct text_line l = { .len = 0 };

	add(&l, "\n%s── authtrace summary ──%s\n", col(o, C_BOLD), col(o, C_RESET));
	add(&l, "requests: %llu", (unsigned long long)s->requests);
	if (s->without_credentials)
		add(&l, " (%s%llu without credentials%s)", col(o, C_YELLOW),
		    (unsigned long long)s->without_credentials, col(o, C_RESET));
	add(&l, ", lost events: %llu", (unsigned long long)s->lost);
	if (s->heads_lost)
		add(&l, ", incomplete heads: %llu", (unsigned long long)s->heads_lost);
	add(&l, "\n");
	if (s->responses || s->unanswered) {
		add(&l, "responses:");
		for (unsigned i = 0; i < s->n_statuses; i++)
			add(&l, " %d×%llu", s->statuses[i].status,
			    (unsigned long long)s->statuses[i].count);
		if (s->unanswered)
			add(&l, " (%llu unanswered)", (unsigned long long)s->unanswered);
		add(&l, "\n");
	}
	for (unsigned i = 0; i < s->n_dests; i++) {
		const struct summary_dest *d = &s->dests[i];

		add(&l, "  %s[%d] → %s (%s): %llu request%s", d->comm, d->pid,
		    d->authority[0] ? d->authority : "?", api_family_name(d->api),
		    (unsigned long long)d->requests, d->requests == 1 ? "" : "s");
		if (d->without_credentials)
			add(&l, ", %s%llu without credentials%s", col(o, C_YELLOW),
			    (unsigned long long)d->without_credentials, col(o, C_RESET));
		add(&l, "\n");
		spill(o, &l);
	}
	if (s->other_dest_requests)
		add(&l, "  (and %llu requests to other destinations)\n",
		    (unsigned long long)s->other_dest_requests);
	if (s->n_rules == 0) {
		add(&l, "findings: %snone%s\n", col(o, C_GREEN), col(o, C_RESET));
	} else {
		add(&l, "findings:\n");
		for (unsigned i = 0; i < s->n_rules; i++) {
			const struct summary_rule *r = &s->rules[i];

			add(&l, "  %s%s %s%s ×%llu  first: #%llu %s\n", severity_colour(o, r->severity),
			    severity_mark(r->severity), r->rule, col(o, C_RESET),
			    (unsigned long long)r->count, (unsigned long long)r->example_seq,
			    r->example);
			spill(o, &l);
		}
	}
	output_write(o, l.buf, l.len);
}

void text_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule, uint64_t count)
{
	struct text_line l = { .len = 0 };

	add(&l, "%s… %s[%d]: %llu more requests with %s not shown (rate limit)%s\n", col(o, C_DIM),
	    comm, pid, (unsigned long long)count, rule, col(o, C_RESET));
	output_write(o, l.buf, l.len);
}

void text_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		uint64_t suppressed)
{
	struct text_line l = { .len = 0 };

	add(&l, "%s· stats: %llu requests, %llu responses, %llu lost, %llu suppressed, %zu probes, "
		"%zu connections%s\n", col(o, C_DIM), (unsigned long long)s->requests,
	    (unsigned long long)s->responses, (unsigned long long)s->lost,
	    (unsigned long long)suppressed, probes, conns, col(o, C_RESET));
	output_write(o, l.buf, l.len);
}

// SPDX-License-Identifier: MIT
/* NDJSON events, contract v1 (README.md, "JSON output"). */
#include "output.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"

static void finish_line(struct output *o, struct jsonw *w)
{
	if (w->overflow) {
		/* never emit half an object: say what happened instead */
		jsonw_init(w, o->line, sizeof(o->line));
		jsonw_begin_object(w);
		jsonw_str(w, "type", "lost");
		jsonw_uint(w, "count", 1);
		jsonw_str(w, "reason", "event-too-large");
		jsonw_end_object(w);
	}
	o->line[w->len] = '\n';
	output_write(o, o->line, w->len + 1);
}

/* "c<id>": what snprintf("c%llu") writes, a lot cheaper */
static void format_conn(char out[24], uint64_t conn_id)
{
	out[0] = 'c';
	out[1 + jsonw_format_u64(out + 1, conn_id)] = '\0';
}

/* The slot a name list would be in: its size picks it, its bytes must match. */
static struct headers_cache_slot *headers_slot(struct output *o, const struct request *req)
{
	return &o->headers_cache[(req->names_used * 31u + req->n_headers) % HEADERS_CACHE_SLOTS];
}

static void write_headers(struct output *o, struct jsonw *w, const struct request *req)
{
	struct headers_cache_slot *s = headers_slot(o, req);
	size_t start;

	if (req->n_headers && s->names_used == req->names_used && s->n_headers == req->n_headers &&
	    memcmp(s->names, req->names, req->names_used) == 0) {
		jsonw_raw(w, "headers", s->json, s->json_len);
		return;
	}
	jsonw_begin_array(w, "headers");
	start = w->len - 1;   /* the '[' */
	for (unsigned i = 0; i < req->n_headers; i++)
		jsonw_str(w, NULL, request_header_name(req, i));
	jsonw_end_array(w);
	if (!req->n_headers || w->overflow || req->names_used > sizeof(s->names) ||
	    w->len - start > sizeof(s->json))
		return;
	s->names_used = req->names_used;
	s->n_headers = req->n_headers;
	s->json_len = w->len - start;
	memcpy(s->names, req->names, req->names_used);
	memcpy(s->json, w->buf + start, s->json_len);
}

static void write_process_members(struct output *o, struct jsonw *w, const struct request *req,
				  const struct proc_info *pi)
{
	if (pi && pi->ppid > 0)
		jsonw_int(w, "ppid", pi->ppid);
	else
		jsonw_null(w, "ppid");
	jsonw_str(w, "comm", req->comm);
	jsonw_str(w, "exe", pi && pi->exe[0] ? pi->exe : NULL);
	jsonw_str(w, "cmdline", pi && pi->cmdline[0] ? pi->cmdline : NULL);
	jsonw_uint(w, "uid", req->uid);
	jsonw_str(w, "host", o->host[0] ? o->host : NULL);
	jsonw_str(w, "cgroup", pi && pi->cgroup[0] ? pi->cgroup : NULL);
	jsonw_uint(w, "cgroup_id", req->cgroup_id);
	jsonw_str(w, "container", pi && pi->container[0] ? pi->container : NULL);
}

/* The process's members, from the cache when its slot holds them. */
static void write_process(struct output *o, struct jsonw *w, const struct request *req,
			  const struct proc_info *pi)
{
	struct process_cache_slot *s;
	size_t mark;

	if (!pi || !pi->version) {
		write_process_members(o, w, req, pi);
		return;
	}
	s = &o->process_cache[(unsigned)pi->pid % PROCESS_CACHE_SLOTS];
	if (s->version == pi->version && s->uid == req->uid && s->cgroup_id == req->cgroup_id &&
	    strcmp(s->comm, req->comm) == 0) {
		jsonw_members(w, s->json, s->json_len);
		return;
	}
	mark = jsonw_mark(w);
	write_process_members(o, w, req, pi);
	if (w->overflow || w->len - mark > sizeof(s->json))
		return;
	s->version = pi->version;
	s->uid = req->uid;
	s->cgroup_id = req->cgroup_id;
	snprintf(s->comm, sizeof(s->comm), "%s", req->comm);
	s->json_len = w->len - mark;
	memcpy(s->json, w->buf + mark, s->json_len);
}

static void write_credentials(struct jsonw *w, const struct request *req)
{
	jsonw_begin_array(w, "credentials");
	for (unsigned i = 0; i < req->n_creds; i++) {
		const struct credential *c = &req->creds[i];

		jsonw_begin_object_in_array(w);
		jsonw_str(w, "header", c->header);
		jsonw_str(w, "scheme", c->scheme[0] ? c->scheme : NULL);
		jsonw_own(w, "kind", cred_kind_name(c->kind));
		jsonw_own(w, "fingerprint", c->fingerprint);
		jsonw_uint(w, "length", c->length);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void write_findings(struct jsonw *w, const struct request *req)
{
	jsonw_begin_array(w, "findings");
	for (unsigned i = 0; i < req->n_findings; i++) {
		const struct finding *f = &req->findings[i];

		jsonw_begin_object_in_array(w);
		jsonw_str(w, "rule", f->rule);
		jsonw_own(w, "severity", severity_name(f->severity));
		jsonw_str(w, "message", f->message);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void json_request(struct output *o, const struct request *req, const struct proc_info *pi)
{
	struct jsonw w;
	char ts[40], conn[24];

	output_format_rfc3339(o, req->ts_ns, ts, sizeof(ts));
	format_conn(conn, req->conn_id);

	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_own(&w, "type", "request");
	jsonw_uint(&w, "seq", o->seq);
	jsonw_own(&w, "ts", ts);
	jsonw_int(&w, "pid", req->pid);
	jsonw_int(&w, "tid", req->tid);
	write_process(o, &w, req, pi);
	jsonw_str(&w, "source", req->source);
	jsonw_bool(&w, "tls", req->tls);
	jsonw_own(&w, "conn", conn);
	jsonw_str(&w, "peer", req->peer[0] ? req->peer : NULL);
	jsonw_own(&w, "protocol", req->protocol);
	if (req->stream >= 0)
		jsonw_int(&w, "stream", req->stream);
	else
		jsonw_null(&w, "stream");
	jsonw_str(&w, "method", req->method);
	jsonw_str(&w, "authority", req->authority);
	jsonw_str(&w, "path", req->path);
	jsonw_own(&w, "api", api_family_name(req->api));
	write_headers(o, &w, req);
	write_credentials(&w, req);
	jsonw_bool(&w, "has_authorization", req->has_authorization);
	write_findings(&w, req);
	if (req->path_truncated)
		jsonw_bool(&w, "path_truncated", true);
	if (req->headers_dropped)
		jsonw_uint(&w, "headers_dropped", req->headers_dropped);
	if (req->creds_dropped)
		jsonw_uint(&w, "credentials_dropped", req->creds_dropped);
	if (req->incomplete)
		jsonw_bool(&w, "incomplete", true);
	if (req->hpack_partial)
		jsonw_str(&w, "hpack", "partial");
	jsonw_end_object(&w);
	finish_line(o, &w);
}

void json_response(struct output *o, const struct response *resp)
{
	struct jsonw w;
	char ts[40], conn[24];

	output_format_rfc3339(o, resp->ts_ns, ts, sizeof(ts));
	format_conn(conn, resp->conn_id);
	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_own(&w, "type", "response");
	jsonw_uint(&w, "seq", o->seq);
	if (resp->request_seq)
		jsonw_uint(&w, "request_seq", resp->request_seq);
	else
		jsonw_null(&w, "request_seq");
	jsonw_own(&w, "ts", ts);
	jsonw_int(&w, "pid", resp->pid);
	jsonw_own(&w, "conn", conn);
	jsonw_bool(&w, "tls", resp->tls);
	jsonw_own(&w, "protocol", resp->protocol);
	if (resp->stream >= 0)
		jsonw_int(&w, "stream", resp->stream);
	else
		jsonw_null(&w, "stream");
	jsonw_int(&w, "status", resp->status);
	jsonw_str(&w, "error", resp->error[0] ? resp->error : NULL);
	jsonw_end_object(&w);
	finish_line(o, &w);
}

void json_lost(struct output *o, uint64_t count, const char *reason)
{
	struct jsonw w;

	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_str(&w, "type", "lost");
	jsonw_uint(&w, "count", count);
	jsonw_str(&w, "reason", reason);
	jsonw_end_object(&w);
	finish_line(o, &w);
}

void json_summary(struct output *o, const struct summary *s)
{
	struct jsonw w;

	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_str(&w, "type", "summary");
	jsonw_uint(&w, "requests", s->requests);
	jsonw_uint(&w, "without_credentials", s->without_credentials);
	/* {rule: count}: one key per rule id, severities merged */
	jsonw_begin_named_object(&w, "findings");
	for (unsigned i = 0; i < s->n_rules; i++) {
		uint64_t n = 0;
		bool first = true;

		for (unsigned j = 0; j < s->n_rules; j++) {
			if (strcmp(s->rules[j].rule, s->rules[i].rule) != 0)
				continue;
			if (j < i)
				first = false;
			n += s->rules[j].count;
		}
		if (first)
			jsonw_uint(&w, s->rules[i].rule, n);
	}
	jsonw_end_object(&w);
	jsonw_uint(&w, "lost", s->lost);
	jsonw_uint(&w, "heads_lost", s->heads_lost);
	jsonw_uint(&w, "responses", s->responses);
	jsonw_uint(&w, "unanswered", s->unanswered);
	jsonw_begin_named_object(&w, "statuses");
	for (unsigned i = 0; i < s->n_statuses; i++) {
		char code[8];

		snprintf(code, sizeof(code), "%d", s->statuses[i].status);
		jsonw_uint(&w, code, s->statuses[i].count);
	}
	jsonw_end_object(&w);
	jsonw_begin_array(&w, "destinations");
	for (unsigned i = 0; i < s->n_dests; i++) {
		const struct summary_dest *d = &s->dests[i];

		jsonw_begin_object_in_array(&w);
		jsonw_int(&w, "pid", d->pid);
		jsonw_str(&w, "comm", d->comm);
		jsonw_str(&w, "api", api_family_name(d->api));
		jsonw_str(&w, "authority", d->authority);
		jsonw_uint(&w, "requests", d->requests);
		jsonw_uint(&w, "without_credentials", d->without_credentials);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	finish_line(o, &w);
}

void json_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule, uint64_t count)
{
	struct jsonw w;

	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_str(&w, "type", "suppressed");
	jsonw_int(&w, "pid", pid);
	jsonw_str(&w, "comm", comm);
	jsonw_str(&w, "rule", rule);
	jsonw_uint(&w, "count", count);
	jsonw_end_object(&w);
	finish_line(o, &w);
}

void json_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		uint64_t suppressed)
{
	struct jsonw w;
	struct timespec now;
	char ts[40];
	uint64_t findings = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	output_format_rfc3339(o, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec, ts,
			      sizeof(ts));
	for (unsigned i = 0; i < s->n_rules; i++)
		findings += s->rules[i].count;
	jsonw_init(&w, o->line, sizeof(o->line) - 1);
	jsonw_begin_object(&w);
	jsonw_str(&w, "type", "stats");
	jsonw_str(&w, "ts", ts);
	jsonw_str(&w, "host", o->host[0] ? o->host : NULL);
	jsonw_uint(&w, "requests", s->requests);
	jsonw_uint(&w, "responses", s->responses);
	jsonw_uint(&w, "findings", findings);
	jsonw_uint(&w, "suppressed", suppressed);
	jsonw_uint(&w, "lost", s->lost);
	jsonw_uint(&w, "probes", probes);
	jsonw_uint(&w, "connections", conns);
	jsonw_end_object(&w);
	finish_line(o, &w);
}

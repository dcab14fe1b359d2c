// SPDX-License-Identifier: MIT
#include "collector.h"

#include <errno.h>
#include <string.h>

#include "rules.h"

static void on_suppressed(void *ctx, const struct ratelimit_slot *slot)
{
	struct collector *c = ctx;

	output_suppressed(&c->out, slot->pid, slot->comm, slot->rule, slot->suppressed);
}

/* Connection-table callback: a complete request head; returns its seq (0: not reported). */
static uint64_t on_request(void *ctx, struct request *req)
{
	struct collector *c = ctx;
	int64_t now_unix = ((int64_t)req->ts_ns + c->out.realtime_offset_ns) / 1000000000LL;
	uint64_t seq;

	if (c->cfg.filter_api && (int)req->api + 1 != c->cfg.filter_api)
		return 0;
	rules_evaluate(c->cfg.rules, req, now_unix);
	/* --all: a retry storm of the same mistake is reported, not replayed */
	if (c->cfg.fleet && req->n_findings &&
	    !ratelimit_allow(&c->ratelimit, req->pid, req->comm, req->findings[0].rule, req->ts_ns,
			     on_suppressed, c)) {
		c->suppressed++;
		return 0;
	}
	seq = output_request(&c->out, req, proc_get(c->procs, req->pid));
	summary_add_request(&c->summary, req, seq);
	return seq;
}

static void on_response(void *ctx, const struct response *resp)
{
	struct collector *c = ctx;

	/* the answer to a request that was filtered out or rate limited */
	if (!resp->request_seq && (c->cfg.filter_api || c->cfg.fleet))
		return;
	output_response(&c->out, resp);
	summary_add_response(&c->summary, resp);
}

int collector_init(struct collector *c, const struct collector_config *cfg)
{
	struct conn_callbacks cb = {
		.request = on_request,
		.response = on_response,
		.skip_until = cfg->hints.skip_until,
		.response_done = cfg->hints.response_done,
		.peer_lookup = cfg->hints.peer_lookup,
		.hint_ctx = cfg->hints.ctx,
		.ctx = c,
		.extra_cred_headers = rules_extra_cred_headers(cfg->rules),
	};

	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	output_init(&c->out, cfg->out, cfg->format, cfg->color);
	c->out.group_by_process = cfg->fleet;
	c->conns = conn_table_new(&cb, cfg->max_conns ? cfg->max_conns : 4096);
	c->procs = proc_table_new();
	if (!c->conns || !c->procs) {
		collector_free(c);
		return -ENOMEM;
	}
	return 0;
}

void collector_free(struct collector *c)
{
	conn_table_free(c->conns);
	proc_table_free(c->procs);
	c->conns = NULL;
	c->procs = NULL;
}

void collector_lost(struct collector *c, uint64_t count, const char *reason)
{
	c->summary.lost += count;
	output_lost(&c->out, count, reason);
}

void collector_tick(struct collector *c, uint64_t now_ns, bool stats, size_t probes)
{
	ratelimit_expire(&c->ratelimit, now_ns, on_suppressed, c);
	if (stats)
		output_stats(&c->out, &c->summary, probes, conn_table_count(c->conns), c->suppressed);
}

void collector_finish(struct collector *c)
{
	const struct conn_stats *cs = conn_table_stats(c->conns);

	conn_table_flush(c->conns);
	ratelimit_expire(&c->ratelimit, UINT64_MAX, on_suppressed, c);
	c->summary.heads_lost = cs->heads_lost + cs->heads_truncated;
	c->summary.unanswered = cs->unanswered;
	output_summary(&c->out, &c->summary);
}

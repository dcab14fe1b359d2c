// SPDX-License-Identifier: MIT
/*
 * refparse: a reference point for figure 3.  llhttp -- node's HTTP/1
 * parser (node 20 bundles this version), built from Debian's node-llhttp
 * sources with the bench's flags -- tokenizing the request and response
 * heads that bench/replay feeds the collector, and nothing else: its
 * callbacks count field names, and each parse stops where the head ends.
 *
 * What authtrace's parse stage does on top of tokenizing: event decoding,
 * per-connection reassembly, validation of every byte of both heads,
 * header names recorded lower-case, credentials classified and
 * fingerprinted, companion values kept, the retried-write digest.
 *
 * The heads lie one after the other in one buffer, each request with its
 * body and each response with what follows its head in the replay's
 * record, the same mix in the same order as bench/replay's trace, so the
 * parser reads as much cold memory per request as the collector does.
 *
 *   refparse [-n REQUESTS] [-r RUNS] [-P]
 *
 * Prints one JSON object: requests (request head + response head) per
 * CPU-second, median of RUNS.
 */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llhttp.h>

#include "claude_head.h"
#include "measure.h"

struct message {
	size_t off, len;
};

struct corpus {
	char *buf;
	size_t used, cap;
	struct message *req, *resp;
	unsigned n;
};

static void add(struct corpus *c, struct message *m, const char *p, size_t n)
{
	if (c->used + n > c->cap) {
		c->cap = (c->used + n) * 2;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf) {
			perror("refparse");
			exit(1);
		}
	}
	memcpy(c->buf + c->used, p, n);
	m->off = c->used;
	m->len = n;
	c->used += n;
}

/* bench/replay.c build_trace(): the same variants in the same order */
static void build_corpus(struct corpus *c, unsigned requests)
{
	char req[8192];

	c->n = requests;
	c->req = calloc(requests, sizeof(*c->req));
	c->resp = calloc(requests, sizeof(*c->resp));
	if (!c->req || !c->resp) {
		perror("refparse");
		exit(1);
	}
	for (unsigned k = 0; k < requests; k++) {
		enum claude_variant v = claude_replay_variant(k);
		size_t n = claude_request(req, sizeof(req), v, "api.anthropic.com", k, NULL);

		add(c, &c->req[k], req, n);
		if (v == CV_NONE)
			add(c, &c->resp[k], claude_response_401, sizeof(claude_response_401) - 1);
		else
			add(c, &c->resp[k], claude_response_sse, sizeof(claude_response_sse) - 1);
	}
}

static unsigned long fields;

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	fields++;
	return 0;
}

/* the head is done: stop here, as the collector does (bodies are skipped) */
static int on_headers_complete(llhttp_t *p)
{
	return HPE_PAUSED;
}

/* One head; false unless llhttp stopped at its end. */
static bool parse_head(const llhttp_settings_t *s, llhttp_type_t type, const char *p, size_t n)
{
	llhttp_t parser;

	llhttp_init(&parser, type, s);
	return llhttp_execute(&parser, p, n) == HPE_PAUSED;
}

int main(int argc, char **argv)
{
	unsigned requests = 25000, runs = 7;
	bool pin = false, ok = true;
	struct corpus c = { 0 };
	llhttp_settings_t s;
	double *rate;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:P")) != -1) {
		switch (opt) {
		case 'n': requests = (unsigned)atoi(optarg); break;
		case 'r': runs = (unsigned)atoi(optarg); break;
		case 'P': pin = true; break;
		default: return 2;
		}
	}
	if (requests == 0 || runs == 0)
		return 2;
	if (pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	build_corpus(&c, requests);
	llhttp_settings_init(&s);
	s.on_header_field = on_header_field;
	s.on_headers_complete = on_headers_complete;
	rate = calloc(runs, sizeof(double));
	for (unsigned r = 0; r < runs; r++) {
		double c0 = cpu_s();

		fields = 0;
		for (unsigned k = 0; k < c.n; k++) {
			ok &= parse_head(&s, HTTP_REQUEST, c.buf + c.req[k].off, c.req[k].len);
			ok &= parse_head(&s, HTTP_RESPONSE, c.buf + c.resp[k].off, c.resp[k].len);
		}
		rate[r] = c.n / (cpu_s() - c0);
	}
	qsort(rate, runs, sizeof(double), cmp_double);
	printf("{\"parser\":\"llhttp %d.%d.%d\",\"pinned\":%s,\"runs\":%u,\"requests_per_run\":%u,"
	       "\"bytes_per_request\":%.0f,\"fields_per_request\":%.1f,"
	       "\"rps_per_cpu_second\":%.0f,\"rps_min\":%.0f,\"rps_max\":%.0f,\"ns_per_request\":%.0f,"
	       "\"checks_ok\":%s}\n",
	       LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH, pin ? "true" : "false",
	       runs, c.n, (double)c.used / c.n, (double)fields / c.n, rate[runs / 2], rate[0],
	       rate[runs - 1], 1e9 / rate[runs / 2], ok ? "true" : "false");
	free(rate);
	free(c.buf);
	free(c.req);
	free(c.resp);
	return ok ? 0 : 1;
}

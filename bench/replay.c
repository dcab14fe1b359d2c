// SPDX-License-Identifier: MIT
/*
 * replay: the collector alone -- decode, connection table and HTTP/1
 * reassembly, request record and credential classification, rules, NDJSON
 * -- over recorded ring-buffer records, no kernel involved.
 *
 * The records are built exactly as bpf/authtrace.bpf.c builds them
 * (struct at_event_hdr + data, the same chunking: writes up to
 * AT_CHUNK_SMALL bytes in one small record, longer ones in AT_CHUNK
 * chunks, LAST_CHUNK on the last, stream offsets per connection
 * direction), for Claude-Code-like traffic (bench/claude_head.h) on a few
 * hundred keep-alive connections of 30 processes, with SSL_free closes.
 * Only the unused tail of each record's fixed-size data area is not stored
 * (the decoder reads data_len bytes); each record is handed over with a
 * size that covers its data.
 *
 * Every record goes through the same calls as user/tracer.c's
 * handle_record(): event_decode() -> conn_feed() / conn_close() on the
 * connection table of a struct collector (user/collector.c, set up as the
 * tracer sets it up, default options), whose callbacks do the rules, the
 * NDJSON output and the summary.  Output goes through the real output
 * queue (its writer thread) to /dev/null.  The two
 * kernel-side hints (skip a body, response done) are counted, not sent
 * (no kernel), unless -k: then they are real bpf_map_update_elem() calls
 * on real BPF maps, as live.
 *
 *   replay [-n REQUESTS] [-p PASSES] [-r RUNS] [-c CONNS] [-k] [-P] [-F]
 *          [-s full|rules|parse]
 *
 * The events' pids are 30 real idle child processes named "claude" and
 * "node", as the events' comm says (-F: pids that do not exist -- then the
 * collector re-reads /proc for every request, see bench/ANALYSIS.md).
 * A run replays the trace of REQUESTS requests PASSES times (a fresh
 * connection table each pass).  -P pins the process (all its threads) to
 * one CPU.  Prints one JSON object: requests per CPU-second of the process
 * and per wall second (medians of RUNS), and the checks (every request and
 * response reported).  The replay loop is run_passes(), for profilers
 * (valgrind --tool=callgrind --toggle-collect=run_passes).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "authtrace.h"
#include "claude_head.h"
#include "measure.h"
#include "collector.h"
#include "conn.h"
#include "events.h"
#include "output.h"
#include "outq.h"
#include "proc.h"
#include "rules.h"
#include "summary.h"

enum stage { STAGE_PARSE, STAGE_RULES, STAGE_FULL };

struct harness {
	enum stage stage;
	struct rules *rules;
	struct outq *q;
	uint64_t seq, requests, responses, hints;
	int fd_resume, fd_skip;   /* -k: real BPF maps, else -1 */
};

/*
 * Stages "parse" and "rules" only (a breakdown): the connection table with
 * callbacks that stop early.  Stage "full" is user/collector.c itself.
 */
static uint64_t on_request(void *ctx, struct request *req)
{
	struct harness *h = ctx;

	h->requests++;
	if (h->stage == STAGE_RULES)
		rules_evaluate(h->rules, req, (int64_t)(req->ts_ns / 1000000000ULL) + 1795420800LL);
	return ++h->seq;
}

static void on_response(void *ctx, const struct response *resp)
{
	struct harness *h = ctx;

	h->responses++;
}

/* As user/tracer.c writes a hint: the offset and its check. */
static void write_hint(struct harness *h, int map_fd, pid_t pid, uint64_t conn, uint32_t dir,
		       uint64_t off)
{
	struct at_conn_key key = { .conn = conn, .tgid = (uint32_t)pid, .dir = dir };
	struct at_hint hint = { .off = off, .check = at_hint_check(&key, off) };

	h->hints++;
	if (map_fd >= 0)
		bpf_map_update_elem(map_fd, &key, &hint, BPF_ANY);
}

static void on_skip_until(void *ctx, pid_t pid, uint64_t conn, uint64_t off)
{
	struct harness *h = ctx;

	write_hint(h, h->fd_resume, pid, conn, AT_DIR_OUT, off);
}

static void on_response_done(void *ctx, pid_t pid, uint64_t conn, uint64_t out_off)
{
	struct harness *h = ctx;

	write_hint(h, h->fd_skip, pid, conn, AT_DIR_IN, out_off);
}

/* --- the recorded trace ---------------------------------------------------- */

struct trace {
	uint8_t *buf;
	size_t len, cap;
	size_t *off;      /* record i at buf + off[i], size off[i+1] - off[i] */
	size_t *size;
	size_t n, ncap;
	uint64_t requests, responses, bytes;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("replay");
		exit(1);
	}
	return p;
}

static void *add_record(struct trace *t, size_t size)
{
	size_t room = (size + 7) & ~(size_t)7;

	if (t->len + room > t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64 << 20;
		t->buf = xrealloc(t->buf, t->cap);
	}
	if (t->n == t->ncap) {
		t->ncap = t->ncap ? t->ncap * 2 : 65536;
		t->off = xrealloc(t->off, t->ncap * sizeof(*t->off));
		t->size = xrealloc(t->size, t->ncap * sizeof(*t->size));
	}
	t->off[t->n] = t->len;
	t->size[t->n] = size;
	t->n++;
	memset(t->buf + t->len, 0, room);
	t->len += room;
	t->bytes += size;
	return t->buf + t->off[t->n - 1];
}

struct sim_conn {
	uint32_t pid;
	uint64_t ssl;
	uint64_t off[2];
	unsigned used;
	char comm[AT_COMM_LEN];
};

static uint64_t ts_now = 1000000000000ULL;

static void fill_hdr(struct at_event_hdr *h, uint32_t kind, const struct sim_conn *c)
{
	h->kind = kind;
	h->pid = c->pid;
	h->tid = c->pid;
	h->ts_ns = ts_now;
	ts_now += 20000;
	memcpy(h->comm, c->comm, AT_COMM_LEN);
}

/* One SSL_write / SSL_read as the kernel emits it: chunked records. */
static void emit_write(struct trace *t, struct sim_conn *c, uint8_t dir, uint16_t hook,
		       const char *p, size_t len)
{
	uint64_t stream_off = c->off[dir];
	size_t cap = dir == AT_DIR_IN ? AT_CAPTURE_MAX_IN : AT_CAPTURE_MAX;
	size_t end = len < cap ? len : cap;

	c->off[dir] += len;
	for (size_t pos = 0; pos < end; pos += AT_CHUNK) {
		size_t n = end - pos < AT_CHUNK ? end - pos : AT_CHUNK;
		size_t rec = n <= AT_CHUNK_SMALL ? sizeof(struct at_event_hdr) + n
						  : sizeof(struct at_event_hdr) + n;
		struct at_event_hdr *h = add_record(t, rec);

		fill_hdr(h, AT_EV_DATA, c);
		h->conn = c->ssl;
		h->stream_off = stream_off;
		h->len = (uint32_t)len;
		h->chunk_off = (uint32_t)pos;
		h->data_len = (uint32_t)n;
		h->hook = hook;
		h->dir = dir;
		h->flags = (pos + n >= end ? AT_F_LAST_CHUNK : 0) | (end < len ? AT_F_TRUNCATED : 0);
		memcpy(h + 1, p + pos, n);
	}
}

static void emit_close(struct trace *t, struct sim_conn *c)
{
	struct at_event_hdr *h = add_record(t, sizeof(*h));

	fill_hdr(h, AT_EV_CLOSE, c);
	h->conn = c->ssl;
}

/*
 * The traced processes: real, idle child processes named like the events
 * say (their /proc entries are what the collector reads about a process,
 * once, as it would live).  -F makes them fake pids that do not exist.
 */
#define NPROCS 30
static pid_t procs[NPROCS];

static const char *proc_name(unsigned i)
{
	return i % 3 ? "claude" : "node";
}

static void start_procs(bool fake)
{
	for (unsigned i = 0; i < NPROCS; i++) {
		if (fake) {
			procs[i] = 4000000 + (pid_t)i;
			continue;
		}
		procs[i] = fork();
		if (procs[i] < 0) {
			perror("replay: fork");
			exit(1);
		}
		if (procs[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_NAME, proc_name(i));
			for (;;)
				pause();
		}
	}
	usleep(50000);   /* let them take their names */
}

static void stop_procs(bool fake)
{
	for (unsigned i = 0; i < NPROCS && !fake; i++)
		kill(procs[i], SIGKILL);
	while (!fake && wait(NULL) > 0)
		;
}

static void build_trace(struct trace *t, unsigned requests, unsigned nconns, unsigned per_conn)
{
	struct sim_conn *conns = calloc(nconns, sizeof(*conns));
	uint64_t next_ssl = 0x55d0c0de0000ULL;
	char req[8192];

	for (unsigned i = 0; i < nconns; i++) {
		conns[i].pid = (uint32_t)procs[i % NPROCS];
		conns[i].ssl = next_ssl += 0x1a40;
		snprintf(conns[i].comm, AT_COMM_LEN, "%s", proc_name(i % NPROCS));
	}
	for (unsigned k = 0; k < requests; k++) {
		/* a pseudo-random connection: interleaved like a busy host */
		struct sim_conn *c = &conns[(k * 2654435761u) % nconns];
		enum claude_variant v = claude_replay_variant(k);
		size_t n = claude_request(req, sizeof(req), v, "api.anthropic.com", k, NULL);

		emit_write(t, c, AT_DIR_OUT, AT_HOOK_SSL_WRITE, req, n);
		if (v == CV_NONE)
			emit_write(t, c, AT_DIR_IN, AT_HOOK_SSL_READ, claude_response_401,
				   sizeof(claude_response_401) - 1);
		else
			emit_write(t, c, AT_DIR_IN, AT_HOOK_SSL_READ, claude_response_sse,
				   sizeof(claude_response_sse) - 1);
		t->requests++;
		t->responses++;
		if (++c->used == per_conn) {
			/* SSL_free; the process opens a new connection */
			emit_close(t, c);
			c->ssl = next_ssl += 0x1a40;
			c->off[0] = c->off[1] = 0;
			c->used = 0;
		}
	}
	free(conns);
}

/* --- one run ---------------------------------------------------------------- */

/* user/tracer.c handle_record(), for the record kinds a trace holds */
static inline void handle_record(struct conn_table *ct, const uint8_t *rec, size_t size)
{
	struct decoded_event ev;

	switch (event_decode(rec, size, &ev)) {
	case DEC_DATA:
		conn_feed(ct, &ev.chunk);
		break;
	case DEC_CLOSE:
		conn_close(ct, (pid_t)ev.hdr->pid, ev.hdr->conn);
		break;
	default:
		break;
	}
}

/*
 * The measured part: PASSES replays of the trace, each into a fresh
 * collector (stage full: collector_init as user/tracer.c sets it up with
 * JSON output, records as its handle_record, collector_finish at the end).
 */
__attribute__((noinline)) static void run_passes(const struct trace *tr, struct harness *h,
						 unsigned passes)
{
	for (unsigned p = 0; p < passes; p++) {
		if (h->stage == STAGE_FULL) {
			struct collector_config cfg = {
				.rules = h->rules,
				.out = h->q,
				.format = OUTPUT_JSON,
				.max_conns = AT_COLLECTOR_CONNS,
				.hints = { .skip_until = on_skip_until, .response_done = on_response_done,
					   .ctx = h },
			};
			static struct collector col;

			if (collector_init(&col, &cfg) != 0)
				exit(1);
			for (size_t i = 0; i < tr->n; i++)
				handle_record(col.conns, tr->buf + tr->off[i], tr->size[i]);
			collector_finish(&col);
			h->requests += col.summary.requests;
			h->responses += col.summary.responses;
			collector_free(&col);
		} else {
			struct conn_callbacks cb = {
				.request = on_request,
				.response = on_response,
				.skip_until = on_skip_until,
				.response_done = on_response_done,
				.ctx = h,
				.extra_cred_headers = rules_extra_cred_headers(h->rules),
			};
			struct conn_table *ct = conn_table_new(&cb, AT_COLLECTOR_CONNS);

			for (size_t i = 0; i < tr->n; i++)
				handle_record(ct, tr->buf + tr->off[i], tr->size[i]);
			conn_table_flush(ct);
			conn_table_free(ct);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned requests = 25000, runs = 7, nconns = 300, passes = 4;
	bool pin = false, kernel_hints = false, fake_pids = false;
	enum stage stage = STAGE_FULL;
	struct trace tr = { 0 };
	struct harness h = { .fd_resume = -1, .fd_skip = -1 };
	double *rate, *ns_per, *cpu_rate;
	uint64_t dropped = 0;
	bool checks_ok = true;
	char err[256];
	int opt, devnull;

	while ((opt = getopt(argc, argv, "n:r:c:p:ks:PF")) != -1) {
		switch (opt) {
		case 'n': requests = (unsigned)atoi(optarg); break;
		case 'r': runs = (unsigned)atoi(optarg); break;
		case 'c': nconns = (unsigned)atoi(optarg); break;
		case 'p': passes = (unsigned)atoi(optarg); break;
		case 'k': kernel_hints = true; break;
		case 's':
			stage = !strcmp(optarg, "parse") ? STAGE_PARSE
			      : !strcmp(optarg, "rules") ? STAGE_RULES : STAGE_FULL;
			break;
		case 'P': pin = true; break;
		case 'F': fake_pids = true; break;
		default: return 2;
		}
	}
	if (pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
		sched_setaffinity(0, sizeof(set), &set);   /* inherited by the writer thread */
	}
	start_procs(fake_pids);
	build_trace(&tr, requests, nconns, 50);
	h.stage = stage;
	h.rules = rules_new_default(err, sizeof(err));
	if (!h.rules) {
		fprintf(stderr, "replay: rules: %s\n", err);
		return 1;
	}
	if (kernel_hints) {
		LIBBPF_OPTS(bpf_map_create_opts, mo);

		h.fd_resume = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bench_resume",
					     sizeof(struct at_conn_key), sizeof(struct at_hint),
					     AT_MAX_CONNS, &mo);
		h.fd_skip = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bench_skip",
					   sizeof(struct at_conn_key), sizeof(struct at_hint),
					   AT_MAX_CONNS, &mo);
		if (h.fd_resume < 0 || h.fd_skip < 0) {
			fprintf(stderr, "replay: -k: cannot create BPF maps: %s\n", strerror(errno));
			return 1;
		}
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	rate = calloc(runs, sizeof(double));
	ns_per = calloc(runs, sizeof(double));
	cpu_rate = calloc(runs, sizeof(double));
	for (unsigned r = 0; r < runs; r++) {
		struct outq *q = outq_new(devnull, NULL, 0, 0);
		uint64_t req0 = h.requests, resp0 = h.responses;
		double t0, c0, dt, dc;

		h.q = q;
		t0 = now_s();
		c0 = cpu_s();
		run_passes(&tr, &h, passes);
		dt = now_s() - t0;
		dc = cpu_s() - c0;
		dropped += outq_take_dropped(q);
		outq_finish(q);
		/* stage full: the collector's own summary counts */
		if (h.requests - req0 != tr.requests * passes || h.responses - resp0 != tr.responses * passes)
			checks_ok = false;
		rate[r] = (double)(h.requests - req0) / dt;
		cpu_rate[r] = (double)(h.requests - req0) / dc;
		ns_per[r] = dt * 1e9 / (double)(h.requests - req0);
	}
	qsort(rate, runs, sizeof(double), cmp_double);
	qsort(cpu_rate, runs, sizeof(double), cmp_double);
	qsort(ns_per, runs, sizeof(double), cmp_double);
	printf("{\"stage\":\"%s\",\"fake_pids\":%s,\"kernel_hints\":%s,\"pinned\":%s,\"runs\":%u,"
	       "\"requests_per_run\":%llu,\"records_per_run\":%llu,\"connections\":%u,"
	       "\"record_bytes_per_request\":%.0f,"
	       "\"rps_median\":%.0f,\"rps_min\":%.0f,\"rps_max\":%.0f,\"rps_per_cpu_second\":%.0f,"
	       "\"ns_per_request\":%.0f,\"hints\":%llu,\"output_dropped\":%llu,\"checks_ok\":%s}\n",
	       stage == STAGE_PARSE ? "parse" : stage == STAGE_RULES ? "rules" : "full",
	       fake_pids ? "true" : "false", kernel_hints ? "true" : "false", pin ? "true" : "false", runs,
	       (unsigned long long)(tr.requests * passes), (unsigned long long)(tr.n * passes), nconns,
	       (double)tr.bytes / (double)tr.requests,
	       rate[runs / 2], rate[0], rate[runs - 1], cpu_rate[runs / 2], ns_per[runs / 2],
	       (unsigned long long)h.hints, (unsigned long long)dropped,
	       checks_ok ? "true" : "false");
	rules_free(h.rules);
	stop_procs(fake_pids);
	return checks_ok ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the outputs: NDJSON contract v1 (README.md, "JSON output"),
 * the human view, the exit summary, the output queue (user/output*.c,
 * user/outq.c, user/jsonw.c, user/summary.c).  Every JSON line is parsed with cJSON and checked to be
 * strict UTF-8 with no raw control bytes; hostile bytes in header names,
 * paths and hosts must never break a line.  Secrets are fake and must not
 * appear in any output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jsonw.h"
#include "outq.h"
#include "output.h"
#include "summary.h"
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* An output writing through the output queue into an anonymous file. */
struct sink {
	struct output *o;
	struct outq *q;
	int fd;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s, enum output_format fmt, bool color)
{
	memset(s, 0, sizeof(*s));
	s->o = calloc(1, sizeof(*s->o));
	assert_non_null(s->o);
	s->fd = memfd_create("authtrace-test-output", MFD_CLOEXEC);
	assert_true(s->fd >= 0);
	s->q = outq_new(s->fd, NULL, 0, 0);
	assert_non_null(s->q);
	output_init(s->o, s->q, fmt, color);
	s->o->realtime_offset_ns = 0;   /* mono ns are then Unix ns: fixed timestamps */
}

/* Everything written (NUL-terminated); the sink takes no more events after this. */
static const char *sink_text(struct sink *s)
{
	off_t size;

	if (s->buf)
		return s->buf;
	assert_int_equal(outq_finish(s->q), 0);
	s->q = NULL;
	s->o->q = NULL;
	size = lseek(s->fd, 0, SEEK_END);
	assert_true(size >= 0);
	s->len = (size_t)size;
	s->buf = calloc(1, s->len + 1);
	assert_non_null(s->buf);
	assert_int_equal(pread(s->fd, s->buf, s->len, 0), (ssize_t)s->len);
	return s->buf;
}

static void sink_close(struct sink *s)
{
	if (s->q)
		outq_finish(s->q);
	close(s->fd);
	free(s->buf);
	free(s->o);
}

/* The writer thread reports an error asynchronously: wait (bounded) for it. */
static int wait_error(struct output *o)
{
	for (int i = 0; i < 400; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		int e = output_error(o);

		if (e)
			return e;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Split output into lines; each must end with \n. Returns the count. */
static size_t split_lines(const char *text, char lines[][70000], size_t max)
{
	size_t n = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_true(n < max);
		assert_true((size_t)(nl - p) < 70000);
		memcpy(lines[n], p, (size_t)(nl - p));
		lines[n][nl - p] = '\0';
		n++;
		p = nl + 1;
	}
	return n;
}

/* One NDJSON line: strict UTF-8, no raw control bytes, an object with "type" first. */
static cJSON *parse_line(const char *line, const char *want_type)
{
	cJSON *j;

	assert_true(utf8_valid((const unsigned char *)line, strlen(line)));
	for (const char *p = line; *p; p++)
		assert_false((unsigned char)*p < 0x20);
	j = cJSON_Parse(line);
	if (!j)
		fail_msg("not JSON: %.200s", line);
	assert_true(cJSON_IsObject(j));
	assert_non_null(j->child);
	assert_string_equal(j->child->string, "type");
	assert_true(cJSON_IsString(j->child));
	if (want_type)
		assert_string_equal(j->child->valuestring, want_type);
	return j;
}

/* The only line written since the sink was opened. */
static cJSON *only_line(struct sink *s, const char *want_type)
{
	const char *t = sink_text(s);
	size_t n = strlen(t);

	assert_true(n > 0 && t[n - 1] == '\n');
	assert_ptr_equal(strchr(t, '\n'), t + n - 1);
	{
		char *line = strndup(t, n - 1);
		cJSON *j;

		assert_non_null(line);
		j = parse_line(line, want_type);
		free(line);
		return j;
	}
}

static cJSON *get(const cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("missing field \"%s\"", key);
	return v;
}

/*
 * Every documented field is present (contract v1: fields may be added,
 * never renamed or dropped).  "type" first is checked by parse_line().
 */
static void assert_keys(const cJSON *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cJSON_GetObjectItemCaseSensitive(o, keys[i]))
			fail_msg("missing field \"%s\"", keys[i]);
}

static const char OAUTH_BEARER[] =
	"Bearer sk-ant-oat01-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCAA";

static void add_header(struct request *r, const char *name, const char *value)
{
	struct request_builder b = { .req = r, .extra_cred_headers = NULL };

	request_add_header(&b, name, strlen(name), value, strlen(value));
}

/* A request as conn.c builds it. */
static struct request *new_request(void)
{
	struct request *r = calloc(1, sizeof(*r));
	static const char target[] = "/v1/messages?beta=true";

	assert_non_null(r);
	request_reset(r);
	request_set_line(r, "POST", 4, target, strlen(target));
	add_header(r, "Host", "api.anthropic.com");
	add_header(r, "anthropic-version", "2023-06-01");
	add_header(r, "X-Api-Key", fake_api_key());
	add_header(r, "Authorization", OAUTH_BEARER);
	add_header(r, "content-length", "12");
	request_finish(r);
	r->ts_ns = 1700000000123456789ULL;   /* 2023-11-14T22:13:20.123Z */
	r->pid = 7575;
	r->tid = 7576;
	strcpy(r->comm, "python3");
	r->conn_id = 3;
	r->source = "SSL_write_ex";
	r->tls = true;
	r->protocol = "http/1.1";
	return r;
}

static const struct proc_info PI = { .pid = 7575, .ppid = 7574, .exe = "/usr/bin/python3.11" };

static void assert_no_secret(const char *text)
{
	assert_null(strstr(text, fake_api_key()));
	assert_null(strstr(text, "sk-ant-api03-AAAA"));
	assert_null(strstr(text, "AAAAAAAAAAAAAAAAAAAA"));
	assert_null(strstr(text, "sk-ant-oat01-CCCC"));
	assert_null(strstr(text, "CCCCCCCCCCCCCCCCCCCC"));
}

/* ------------------------------------------------------------------------ */
/* NDJSON                                                                    */
/* ------------------------------------------------------------------------ */

static void test_json_request_line_has_every_contract_field(void **state)
{
	static const char *const keys[] = {
		"type", "seq", "ts", "pid", "tid", "ppid", "comm", "exe", "source", "tls", "conn", "peer",
		"protocol", "stream", "method", "authority", "path", "api", "headers", "credentials",
		"has_authorization", "findings",
	};
	static const char *const cred_keys[] = { "header", "scheme", "kind", "fingerprint", "length" };
	static const char *const finding_keys[] = { "rule", "severity", "message" };
	struct request *r = new_request();
	struct sink s;
	cJSON *j, *c;
	uint64_t seq;

	(void)state;
	request_add_finding(r, "oauth-token-in-x-api-key", SEV_ERROR, "an OAuth token must go in %s",
			    "Authorization: Bearer");
	sink_open(&s, OUTPUT_JSON, false);
	seq = output_request(s.o, r, &PI);
	assert_int_equal(seq, 1);
	j = only_line(&s, "request");
	assert_keys(j, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(get(j, "seq")->valuedouble, 1);
	assert_string_equal(get(j, "ts")->valuestring, "2023-11-14T22:13:20.123Z");
	assert_int_equal(get(j, "pid")->valuedouble, 7575);
	assert_int_equal(get(j, "tid")->valuedouble, 7576);
	assert_int_equal(get(j, "ppid")->valuedouble, 7574);
	assert_string_equal(get(j, "comm")->valuestring, "python3");
	assert_string_equal(get(j, "exe")->valuestring, "/usr/bin/python3.11");
	assert_string_equal(get(j, "source")->valuestring, "SSL_write_ex");
	assert_true(cJSON_IsTrue(get(j, "tls")));
	assert_string_equal(get(j, "conn")->valuestring, "c3");
	assert_true(cJSON_IsNull(get(j, "peer")));
	assert_string_equal(get(j, "protocol")->valuestring, "http/1.1");
	assert_true(cJSON_IsNull(get(j, "stream")));
	assert_string_equal(get(j, "method")->valuestring, "POST");
	assert_string_equal(get(j, "authority")->valuestring, "api.anthropic.com");
	assert_string_equal(get(j, "path")->valuestring, "/v1/messages?beta=true");
	assert_string_equal(get(j, "api")->valuestring, "anthropic");
	c = get(j, "headers");
	assert_int_equal(cJSON_GetArraySize(c), 5);
	assert_string_equal(cJSON_GetArrayItem(c, 0)->valuestring, "host");
	assert_string_equal(cJSON_GetArrayItem(c, 2)->valuestring, "x-api-key");
	assert_string_equal(cJSON_GetArrayItem(c, 3)->valuestring, "authorization");
	c = get(j, "credentials");
	assert_int_equal(cJSON_GetArraySize(c), 2);
	assert_keys(cJSON_GetArrayItem(c, 0), cred_keys, 5);
	assert_string_equal(get(cJSON_GetArrayItem(c, 0), "header")->valuestring, "x-api-key");
	assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(c, 0), "scheme")));
	assert_string_equal(get(cJSON_GetArrayItem(c, 0), "kind")->valuestring, "anthropic-api-key");
	assert_string_equal(get(cJSON_GetArrayItem(c, 0), "fingerprint")->valuestring,
			    r->creds[0].fingerprint);
	assert_int_equal(strlen(get(cJSON_GetArrayItem(c, 0), "fingerprint")->valuestring), FP_HEX_LEN);
	assert_int_equal(get(cJSON_GetArrayItem(c, 0), "length")->valuedouble, strlen(fake_api_key()));
	assert_string_equal(get(cJSON_GetArrayItem(c, 1), "scheme")->valuestring, "Bearer");
	assert_true(cJSON_IsTrue(get(j, "has_authorization")));
	c = get(j, "findings");
	assert_int_equal(cJSON_GetArraySize(c), 1);
	assert_keys(cJSON_GetArrayItem(c, 0), finding_keys, 3);
	assert_string_equal(get(cJSON_GetArrayItem(c, 0), "severity")->valuestring, "error");
	assert_no_secret(s.buf);
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

/* Request number i of the header-list test: list i % 12 of names. */
static void add_list_headers(struct request *r, unsigned list)
{
	char name[64];

	request_reset(r);
	request_set_line(r, "GET", 3, "/", 1);
	for (unsigned k = 0; k < 3 + (list == 5 ? 4 : list); k++) {
		/* lists 4 and 5 have the same sizes, so the same slot, other names */
		snprintf(name, sizeof(name), "x-h%u-%c", k, list == 5 ? 'b' : 'a');
		add_header(r, name, "v");
	}
	if (list == 7)
		add_header(r, "x-\"quoted\\name\x01", "v");    /* escaped in JSON */
	if (list == 11)
		for (unsigned k = 0; k < 60; k++) {              /* over the slot's names room */
			snprintf(name, sizeof(name), "x-long-header-name-number-%u", k);
			add_header(r, name, "v");
		}
	request_finish(r);
	r->ts_ns = 1700000000123456789ULL;
	r->pid = 7575;
	r->conn_id = 3;
	r->source = "SSL_write_ex";
	r->protocol = "http/1.1";
}

/*
 * The "headers" array of a name list seen lately is copied instead of
 * written again: every line still lists exactly its request's names, for
 * lists that share a slot, need escaping, or are too long to keep.
 */
static void test_json_headers_array_is_right_for_every_name_list(void **state)
{
	static char lines[40][70000];
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	size_t n;

	(void)state;
	assert_non_null(r);
	sink_open(&s, OUTPUT_JSON, false);
	for (unsigned i = 0; i < 36; i++) {
		add_list_headers(r, (i * 5) % 12);
		output_request(s.o, r, &PI);
	}
	n = split_lines(sink_text(&s), lines, 40);
	assert_int_equal(n, 36);
	for (unsigned i = 0; i < 36; i++) {
		cJSON *j = parse_line(lines[i], "request"), *h = get(j, "headers");

		add_list_headers(r, (i * 5) % 12);
		assert_int_equal(cJSON_GetArraySize(h), r->n_headers);
		for (unsigned k = 0; k < r->n_headers; k++)
			assert_string_equal(cJSON_GetArrayItem(h, (int)k)->valuestring,
					    request_header_name(r, k));
		cJSON_Delete(j);
	}
	sink_close(&s);
	free(r);
}

/* What request i of the process-members test is, and what its line must say. */
struct process_case {
	pid_t pid;
	uint64_t version;          /* the proc_info's (0: no cache) */
	const char *exe, *comm;
	uint32_t uid;
	uint64_t cgroup_id;
	bool long_cmdline;         /* members too long for a cache slot */
};

static const struct process_case process_cases[] = {
	{ 7575, 1, "/usr/bin/python3.11", "python3", 0, 10, false },
	{ 7575, 1, "/usr/bin/python3.11", "python3", 0, 10, false },   /* cached */
	{ 7575, 2, "/usr/bin/node", "node", 0, 10, false },            /* exec: new facts */
	{ 7575, 2, "/usr/bin/node", "node", 0, 10, false },
	{ 7575, 2, "/usr/bin/node", "MainThread", 0, 10, false },      /* comm of another thread */
	{ 7575, 2, "/usr/bin/node", "node", 1000, 10, false },         /* setuid */
	{ 7575, 2, "/usr/bin/node", "node", 1000, 11, false },         /* moved to a cgroup */
	{ 7575 + PROCESS_CACHE_SLOTS, 3, "/bin/curl", "curl", 0, 10, false },   /* same slot */
	{ 7575, 2, "/usr/bin/node", "node", 1000, 11, false },
	{ 7575 + PROCESS_CACHE_SLOTS, 3, "/bin/curl", "curl", 0, 10, false },
	{ 8000, 0, "/bin/sh", "sh", 0, 10, false },                    /* not cached */
	{ 8000, 0, "/bin/bash", "bash", 0, 10, false },
	{ 8001, 4, "/bin/long", "long", 0, 10, true },
	{ 8001, 4, "/bin/long", "long", 0, 10, true },
};

static void process_case_info(const struct process_case *c, struct proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->version = c->version;
	pi->pid = c->pid;
	pi->ppid = c->pid - 1;
	snprintf(pi->exe, sizeof(pi->exe), "%s", c->exe);
	if (c->long_cmdline)   /* each '"' is two bytes in JSON */
		memset(pi->cmdline, '"', sizeof(pi->cmdline) - 1);
	else
		snprintf(pi->cmdline, sizeof(pi->cmdline), "%s --flag", c->exe);
	snprintf(pi->cgroup, sizeof(pi->cgroup), "/system.slice/%s.service", c->comm);
}

/*
 * A process's members ("ppid" to "container") are copied from the line of
 * its last request: every line still has its own process's facts, after an
 * exec, a comm, uid or cgroup change, for processes that share a slot, and
 * when they are too long to keep.
 */
static void test_json_process_members_follow_the_process(void **state)
{
	enum { N = sizeof(process_cases) / sizeof(process_cases[0]) };
	static char lines[N + 1][70000];
	struct request *r = new_request();
	struct proc_info pi;
	struct sink s;
	char want[128];

	(void)state;
	sink_open(&s, OUTPUT_JSON, false);
	for (unsigned i = 0; i < N; i++) {
		const struct process_case *c = &process_cases[i];

		process_case_info(c, &pi);
		r->pid = r->tid = c->pid;
		snprintf(r->comm, sizeof(r->comm), "%s", c->comm);
		r->uid = c->uid;
		r->cgroup_id = c->cgroup_id;
		output_request(s.o, r, &pi);
	}
	assert_int_equal(split_lines(sink_text(&s), lines, N + 1), N);
	for (unsigned i = 0; i < N; i++) {
		const struct process_case *c = &process_cases[i];
		cJSON *j = parse_line(lines[i], "request");

		process_case_info(c, &pi);
		assert_int_equal(get(j, "pid")->valuedouble, c->pid);
		assert_int_equal(get(j, "ppid")->valuedouble, c->pid - 1);
		assert_string_equal(get(j, "comm")->valuestring, c->comm);
		assert_string_equal(get(j, "exe")->valuestring, c->exe);
		assert_string_equal(get(j, "cmdline")->valuestring, pi.cmdline);
		snprintf(want, sizeof(want), "/system.slice/%s.service", c->comm);
		assert_string_equal(get(j, "cgroup")->valuestring, want);
		assert_int_equal(get(j, "uid")->valuedouble, c->uid);
		assert_int_equal(get(j, "cgroup_id")->valuedouble, c->cgroup_id);
		assert_true(cJSON_IsNull(get(j, "container")));
		assert_non_null(strstr(lines[i], "\"tid\":"));   /* members in contract order */
		assert_true(strstr(lines[i], "\"ppid\":") < strstr(lines[i], "\"container\":"));
		assert_true(strstr(lines[i], "\"container\":") < strstr(lines[i], "\"source\":"));
		cJSON_Delete(j);
	}
	sink_close(&s);
	free(r);
}

static void test_json_optional_request_fields_appear_only_when_set(void **state)
{
	struct request *r = new_request();
	struct sink s;
	cJSON *j;

	(void)state;
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, NULL);
	j = only_line(&s, "request");
	assert_null(cJSON_GetObjectItem(j, "path_truncated"));
	assert_null(cJSON_GetObjectItem(j, "headers_dropped"));
	assert_null(cJSON_GetObjectItem(j, "credentials_dropped"));
	assert_null(cJSON_GetObjectItem(j, "incomplete"));
	/* no process info: ppid and exe are null */
	assert_true(cJSON_IsNull(get(j, "ppid")));
	assert_true(cJSON_IsNull(get(j, "exe")));
	cJSON_Delete(j);
	sink_close(&s);

	r->path_truncated = true;
	r->headers_dropped = 3;
	r->creds_dropped = 2;
	r->incomplete = true;
	r->stream = 5;
	strcpy(r->peer, "10.1.2.3:443");
	r->tls = false;
	r->source = "write";
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, &PI);
	j = only_line(&s, "request");
	assert_true(cJSON_IsTrue(get(j, "path_truncated")));
	assert_int_equal(get(j, "headers_dropped")->valuedouble, 3);
	assert_int_equal(get(j, "credentials_dropped")->valuedouble, 2);
	assert_true(cJSON_IsTrue(get(j, "incomplete")));
	assert_int_equal(get(j, "stream")->valuedouble, 5);
	assert_string_equal(get(j, "peer")->valuestring, "10.1.2.3:443");
	assert_true(cJSON_IsFalse(get(j, "tls")));
	assert_string_equal(get(j, "source")->valuestring, "write");
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

static void test_json_request_without_credentials_has_empty_arrays(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	cJSON *j;

	(void)state;
	assert_non_null(r);
	request_reset(r);
	request_set_line(r, "GET", 3, "/", 1);
	request_finish(r);
	r->source = "SSL_write";
	r->protocol = "http/1.1";
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, &PI);
	j = only_line(&s, "request");
	assert_int_equal(cJSON_GetArraySize(get(j, "headers")), 0);
	assert_int_equal(cJSON_GetArraySize(get(j, "credentials")), 0);
	assert_int_equal(cJSON_GetArraySize(get(j, "findings")), 0);
	assert_string_equal(get(j, "authority")->valuestring, "");
	assert_string_equal(get(j, "api")->valuestring, "unknown");
	assert_true(cJSON_IsFalse(get(j, "has_authorization")));
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

static void test_json_response_line_has_every_contract_field(void **state)
{
	static const char *const keys[] = { "type", "seq", "request_seq", "ts", "pid", "conn", "tls",
					    "protocol", "stream", "status", "error" };
	struct response resp = { .pid = 7575, .ts_ns = 1700000000999000000ULL, .conn_id = 12,
				 .request_seq = 1, .protocol = "http/1.1", .stream = -1, .tls = true,
				 .status = 401, .error = "x-api-key header is required" };
	struct request *r = new_request();
	struct sink s;
	cJSON *j;
	char lines[3][70000];

	(void)state;
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, &PI);
	output_response(s.o, &resp);
	resp.request_seq = 0;
	resp.error[0] = '\0';
	resp.status = 200;
	resp.stream = 3;
	output_response(s.o, &resp);
	assert_int_equal(split_lines(sink_text(&s), lines, 3), 3);
	j = parse_line(lines[1], "response");
	assert_keys(j, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(get(j, "seq")->valuedouble, 2);
	assert_int_equal(get(j, "request_seq")->valuedouble, 1);
	assert_string_equal(get(j, "ts")->valuestring, "2023-11-14T22:13:20.999Z");
	assert_string_equal(get(j, "conn")->valuestring, "c12");
	assert_int_equal(get(j, "status")->valuedouble, 401);
	assert_string_equal(get(j, "error")->valuestring, "x-api-key header is required");
	assert_true(cJSON_IsNull(get(j, "stream")));
	cJSON_Delete(j);
	j = parse_line(lines[2], "response");
	assert_int_equal(get(j, "seq")->valuedouble, 3);
	assert_true(cJSON_IsNull(get(j, "request_seq")));
	assert_true(cJSON_IsNull(get(j, "error")));
	assert_int_equal(get(j, "stream")->valuedouble, 3);
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

static void test_json_lost_and_summary_lines_follow_the_contract(void **state)
{
	static const char *const lost_keys[] = { "type", "count", "reason" };
	static const char *const sum_keys[] = { "type", "requests", "without_credentials", "findings",
						"lost", "heads_lost", "responses", "unanswered",
						"statuses", "destinations" };
	static const char *const dest_keys[] = { "pid", "comm", "api", "authority", "requests",
						 "without_credentials" };
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();
	struct response resp = { .status = 401 };
	struct sink s;
	char lines[2][70000];
	cJSON *j, *f;

	(void)state;
	assert_non_null(sum);
	request_add_finding(r, "rule-a", SEV_ERROR, "a");
	request_add_finding(r, "rule-b", SEV_INFO, "b");
	summary_add_request(sum, r, 1);
	r->findings[0].severity = SEV_WARNING;   /* same rule id, other severity: merged in JSON */
	summary_add_request(sum, r, 2);
	summary_add_response(sum, &resp);
	resp.status = 200;
	summary_add_response(sum, &resp);
	summary_add_response(sum, &resp);
	sum->lost = 12;
	sum->heads_lost = 2;
	sum->unanswered = 1;

	sink_open(&s, OUTPUT_JSON, false);
	output_lost(s.o, 12, "ring-buffer-full");
	output_summary(s.o, sum);
	assert_int_equal(split_lines(sink_text(&s), lines, 2), 2);
	j = parse_line(lines[0], "lost");
	assert_keys(j, lost_keys, 3);
	assert_int_equal(get(j, "count")->valuedouble, 12);
	assert_string_equal(get(j, "reason")->valuestring, "ring-buffer-full");
	cJSON_Delete(j);

	j = parse_line(lines[1], "summary");
	assert_keys(j, sum_keys, sizeof(sum_keys) / sizeof(sum_keys[0]));
	assert_int_equal(get(j, "requests")->valuedouble, 2);
	assert_int_equal(get(j, "without_credentials")->valuedouble, 0);
	f = get(j, "findings");
	assert_int_equal(cJSON_GetArraySize(f), 2);
	assert_int_equal(get(f, "rule-a")->valuedouble, 2);
	assert_int_equal(get(f, "rule-b")->valuedouble, 2);
	assert_int_equal(get(j, "lost")->valuedouble, 12);
	assert_int_equal(get(j, "heads_lost")->valuedouble, 2);
	assert_int_equal(get(j, "responses")->valuedouble, 3);
	assert_int_equal(get(j, "unanswered")->valuedouble, 1);
	assert_int_equal(get(get(j, "statuses"), "401")->valuedouble, 1);
	assert_int_equal(get(get(j, "statuses"), "200")->valuedouble, 2);
	f = get(j, "destinations");
	assert_int_equal(cJSON_GetArraySize(f), 1);
	assert_keys(cJSON_GetArrayItem(f, 0), dest_keys, 6);
	assert_string_equal(get(cJSON_GetArrayItem(f, 0), "authority")->valuestring,
			    "api.anthropic.com");
	assert_int_equal(get(cJSON_GetArrayItem(f, 0), "requests")->valuedouble, 2);
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
	free(sum);
}

static void test_seq_counts_requests_and_responses_together(void **state)
{
	struct request *r = new_request();
	struct response resp = { .protocol = "http/1.1", .stream = -1, .status = 200 };
	struct sink s;

	(void)state;
	sink_open(&s, OUTPUT_TEXT, false);
	assert_int_equal(output_request(s.o, r, NULL), 1);
	output_response(s.o, &resp);
	output_lost(s.o, 1, "ring-buffer-full");
	assert_int_equal(output_request(s.o, r, NULL), 3);
	sink_close(&s);
	free(r);
}

/* Quotes, backslashes, control bytes and invalid UTF-8 in names, paths and hosts. */
static void test_json_escapes_hostile_bytes_in_names_paths_and_hosts(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	cJSON *j, *h;
	static const char path[] = "/v1/\"quoted\"\\back\xff\xfe/caf\xc3\xa9/\x01\x1b[31m\x7f";
	static const char host[] = "evil\"}\n{\"type\":\"request\xc3";

	(void)state;
	assert_non_null(r);
	request_reset(r);
	request_set_line(r, "POST", 4, path, strlen(path));
	add_header(r, "Host", host);
	add_header(r, "x-\"name\\", "v");
	add_header(r, "x-\xff\x80", "v");
	add_header(r, "x-ctl\x1b\x07", "v");
	request_finish(r);
	r->source = "SSL_write";
	r->protocol = "http/1.1";
	strcpy(r->comm, "a\"b\\c\x1b");
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, &PI);
	j = only_line(&s, "request");
	/* what control bytes the record kept are escaped; invalid bytes become U+FFFD */
	assert_non_null(strstr(get(j, "path")->valuestring, "/v1/\"quoted\"\\back\xef\xbf\xbd\xef\xbf\xbd/caf\xc3\xa9/"));
	assert_string_equal(get(j, "authority")->valuestring, "evil\"}?{\"type\":\"request\xef\xbf\xbd");
	h = get(j, "headers");
	assert_int_equal(cJSON_GetArraySize(h), 4);
	assert_string_equal(cJSON_GetArrayItem(h, 1)->valuestring, "x-\"name\\");
	assert_string_equal(cJSON_GetArrayItem(h, 2)->valuestring, "x-\xef\xbf\xbd\xef\xbf\xbd");
	assert_null(strchr(cJSON_GetArrayItem(h, 3)->valuestring, '\x1b'));
	assert_string_equal(get(j, "comm")->valuestring, "a\"b\\c\x1b");   /* escaped on the wire */
	assert_null(strchr(s.buf, '\x1b'));
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

/* jsonw on its own: every byte value round-trips through a JSON parser. */
/* The tables whose names jsonw_own() writes unescaped hold only JSON-plain ASCII. */
static void assert_json_plain(const char *s)
{
	assert_non_null(s);
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			fail_msg("\"%s\" needs escaping", s);
}

static void test_own_names_need_no_escaping(void **state)
{
	char ts[40];
	struct output o = { 0 };

	(void)state;
	for (int k = 0; k <= CRED_KIND_COUNT; k++)
		assert_json_plain(cred_kind_name((enum cred_kind)k));
	for (int f = 0; f <= API_FAMILY_COUNT; f++)
		assert_json_plain(api_family_name((enum api_family)f));
	for (int s = SEV_INFO; s <= SEV_ERROR; s++)
		assert_json_plain(severity_name((enum severity)s));
	output_format_rfc3339(&o, 0, ts, sizeof(ts));
	assert_json_plain(ts);
	output_format_rfc3339(&o, UINT64_MAX, ts, sizeof(ts));
	assert_json_plain(ts);
}

/* Numbers as printf writes them: every digit count, both sides of each power of ten. */
static void test_jsonw_numbers_match_printf(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, p = 1;
	char got[24], want[24];
	size_t n;

	(void)state;
	for (int digits = 1; digits <= 20; digits++, p *= 10) {
		uint64_t around[] = { p - 1, p, p + 1, p * 2 - 1, p + 99 };

		for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			n = jsonw_format_u64(got, around[i]);
			got[n] = '\0';
			snprintf(want, sizeof(want), "%llu", (unsigned long long)around[i]);
			assert_string_equal(got, want);
		}
		if (p > UINT64_MAX / 10)
			break;
	}
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t v = x >> (x % 64);

		n = jsonw_format_u64(got, v);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_string_equal(got, want);
	}
	n = jsonw_format_u64(got, UINT64_MAX);
	got[n] = '\0';
	assert_string_equal(got, "18446744073709551615");
	n = jsonw_format_u64(got, 0);
	got[n] = '\0';
	assert_string_equal(got, "0");
}

static void test_jsonw_escapes_every_byte_value(void **state)
{
	char in[256], buf[4096];
	struct jsonw w;
	cJSON *j;

	(void)state;
	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin_object(&w);
	jsonw_str(&w, "key", in);
	jsonw_strn(&w, "nul", "a\0b", 3);
	jsonw_str(&w, "null", NULL);
	jsonw_int(&w, "neg", INT64_MIN);
	jsonw_uint(&w, "big", UINT64_MAX);
	jsonw_bool(&w, "f", false);
	jsonw_begin_array(&w, "arr");
	jsonw_str(&w, NULL, "x");
	jsonw_begin_object_in_array(&w);
	jsonw_end_object(&w);
	jsonw_end_array(&w);
	jsonw_begin_named_object(&w, "o");
	jsonw_end_object(&w);
	jsonw_end_object(&w);
	assert_false(w.overflow);
	assert_int_equal(strlen(buf), w.len);
	assert_true(utf8_valid((const unsigned char *)buf, w.len));
	for (size_t i = 0; i < w.len; i++)
		assert_false((unsigned char)buf[i] < 0x20);
	j = cJSON_Parse(buf);
	assert_non_null(j);
	{
		const char *v = get(j, "key")->valuestring;

		/* ASCII 1..127 come back unchanged */
		assert_memory_equal(v, in, 127);
	}
	assert_string_equal(get(j, "nul")->valuestring, "a");   /* cJSON stops at \u0000 */
	assert_non_null(strstr(buf, "\"a\\u0000b\""));
	assert_true(cJSON_IsNull(get(j, "null")));
	assert_non_null(strstr(buf, "\"neg\":-9223372036854775808"));
	assert_non_null(strstr(buf, "\"big\":18446744073709551615"));
	cJSON_Delete(j);
}

/* How one byte of a string is written (the byte-by-byte reference). */
static size_t reference_escape(unsigned char c, char *out)
{
	if (c == '"' || c == '\\')
		return (size_t)sprintf(out, "\\%c", c);
	if (c < 0x20)
		return (size_t)sprintf(out, "\\u%04x", c);
	if (c >= 0x80)
		return (size_t)sprintf(out, "\\ufffd");   /* a lone byte is never valid UTF-8 */
	out[0] = (char)c;
	return 1;
}

/*
 * Plain runs are scanned 8 bytes at a time: every byte value, at every
 * position of a string longer than two words, is written exactly as the
 * byte-by-byte reference writes it, both with room to spare (the unchecked
 * path) and near the end of the buffer (the checked one).
 */
static void test_jsonw_word_scan_matches_byte_by_byte(void **state)
{
	static const size_t caps[] = { 256, 150 };
	char in[24], want[160], buf[256];
	struct jsonw w;

	(void)state;
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		for (int c = 1; c < 256; c++) {
			for (size_t pos = 0; pos < sizeof(in); pos++) {
				size_t n = 0;

				memset(in, 'a', sizeof(in));
				in[pos] = (char)c;
				want[n++] = '"';
				for (size_t i = 0; i < sizeof(in); i++)
					n += reference_escape((unsigned char)in[i], want + n);
				want[n++] = '"';
				want[n] = '\0';
				jsonw_init(&w, buf, caps[k]);
				jsonw_strn(&w, NULL, in, sizeof(in));
				assert_false(w.overflow);
				assert_string_equal(buf, want);
				assert_int_equal(w.len, n);
			}
		}
	}
}

/* A string that does not fit: overflow is flagged, never a silently cut value. */
static void test_jsonw_overflow_is_flagged(void **state)
{
	char buf[32];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin_object(&w);
	jsonw_str(&w, "k", "0123456789012345678901234567890123456789");
	assert_true(w.overflow);
	assert_true(w.len < sizeof(buf));
	jsonw_init(&w, buf, 8);
	jsonw_begin_object(&w);
	jsonw_str(&w, "k", "\xff\xff");   /* 2 bytes in, 12 out */
	assert_true(w.overflow);
}

/*
 * BUG: jsonw's UTF-8 check accepts overlong 3- and 4-byte forms, UTF-16
 * surrogates (ED A0..BF xx) and code points above U+10FFFF (F4 90.. ), and
 * copies them through: the line is then not valid UTF-8, and strict NDJSON
 * consumers (Python's json on bytes, Go's encoding/json replaces,
 * Rust's serde_json rejects) choke on it.  A traced client chooses the
 * Host value; a server chooses the error text.
 */
static void test_json_output_is_strict_utf8_for_surrogates_overlongs_and_out_of_range(void **state)
{
	static const char *const hostile[] = {
		"\xed\xa0\x80",           /* U+D800, a surrogate */
		"\xed\xbf\xbf",           /* U+DFFF */
		"\xe0\x80\xaf",           /* overlong '/' */
		"\xf0\x80\x80\xaf",       /* overlong '/' */
		"\xf4\x90\x80\x80",       /* U+110000 */
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char buf[256];
		struct jsonw w;

		jsonw_init(&w, buf, sizeof(buf));
		jsonw_begin_object(&w);
		jsonw_str(&w, "authority", hostile[i]);
		jsonw_end_object(&w);
		if (!utf8_valid((const unsigned char *)buf, w.len)) {
			print_message("not UTF-8: %s\n", buf);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* An event too big for a line becomes a "lost" line, never half an object. */
static void test_event_too_large_becomes_one_lost_line(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	cJSON *j;
	uint64_t seq;

	(void)state;
	assert_non_null(r);
	request_reset(r);
	request_set_line(r, "GET", 3, "/", 1);
	r->source = "SSL_write";
	r->protocol = "http/1.1";
	/* 256 names of 31 invalid bytes: each byte is 6 bytes of JSON */
	for (unsigned i = 0; i < REQ_MAX_HEADERS; i++) {
		r->name_off[i] = (uint16_t)(i * 32);
		memset(r->names + i * 32, 0xff, 31);
		r->names[i * 32 + 31] = '\0';
	}
	r->n_headers = REQ_MAX_HEADERS;
	r->names_used = REQ_NAMES_POOL;
	memset(r->path, 0x01, REQ_PATH_MAX - 1);
	r->path[REQ_PATH_MAX - 1] = '\0';
	for (unsigned i = 0; i < REQ_MAX_FINDINGS; i++) {
		r->findings[i].rule = "r";
		memset(r->findings[i].message, 0x02, FINDING_MSG_MAX - 1);
		r->findings[i].message[FINDING_MSG_MAX - 1] = '\0';
	}
	r->n_findings = REQ_MAX_FINDINGS;
	sink_open(&s, OUTPUT_JSON, false);
	seq = output_request(s.o, r, &PI);
	assert_int_equal(seq, 1);
	free(r);
	/* the next event is whole again */
	r = new_request();
	output_request(s.o, r, &PI);
	{
		char lines[2][70000];

		assert_int_equal(split_lines(sink_text(&s), lines, 2), 2);
		j = parse_line(lines[0], "lost");
		assert_int_equal(get(j, "count")->valuedouble, 1);
		assert_string_equal(get(j, "reason")->valuestring, "event-too-large");
		cJSON_Delete(j);
		j = parse_line(lines[1], "request");
		assert_int_equal(get(j, "seq")->valuedouble, 2);
		cJSON_Delete(j);
	}
	sink_close(&s);
	free(r);
}

/* A line that fits exactly up to the buffer's last byte: no overflow, no cut. */
static void test_large_event_that_fits_is_written_whole(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	cJSON *j;

	(void)state;
	assert_non_null(r);
	request_reset(r);
	request_set_line(r, "GET", 3, "/", 1);
	r->source = "SSL_write";
	r->protocol = "http/1.1";
	for (unsigned i = 0; i < REQ_MAX_HEADERS; i++) {
		r->name_off[i] = (uint16_t)(i * 32);
		memset(r->names + i * 32, 'a' + i % 26, 31);
		r->names[i * 32 + 31] = '\0';
	}
	r->n_headers = REQ_MAX_HEADERS;
	r->names_used = REQ_NAMES_POOL;
	memset(r->path, '/', REQ_PATH_MAX - 1);
	r->path[REQ_PATH_MAX - 1] = '\0';
	sink_open(&s, OUTPUT_JSON, false);
	output_request(s.o, r, &PI);
	j = only_line(&s, "request");
	assert_int_equal(cJSON_GetArraySize(get(j, "headers")), REQ_MAX_HEADERS);
	assert_int_equal(strlen(get(j, "path")->valuestring), REQ_PATH_MAX - 1);
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
}

/* ------------------------------------------------------------------------ */
/* Write errors                                                              */
/* ------------------------------------------------------------------------ */

static void test_write_error_on_dev_full_is_remembered(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	struct output *o = calloc(1, sizeof(*o));
	struct request *r = new_request();
	struct outq *q;

	(void)state;
	assert_non_null(o);
	if (fd < 0) {
		free(o);
		free(r);
		skip();
	}
	q = outq_new(fd, NULL, 0, 0);
	assert_non_null(q);
	output_init(o, q, OUTPUT_JSON, false);
	output_request(o, r, &PI);
	assert_int_equal(wait_error(o), ENOSPC);
	/* remembered; nothing more is queued, and that is not "lost" either */
	output_request(o, r, &PI);
	assert_false(outq_push(q, "x\n", 2));
	assert_int_equal(outq_take_dropped(q), 0);
	assert_int_equal(output_error(o), ENOSPC);
	assert_int_equal(outq_finish(q), ENOSPC);
	close(fd);
	free(o);
	free(r);
}

static void test_write_to_closed_pipe_is_remembered_as_epipe(void **state)
{
	int p[2];
	struct output *o = calloc(1, sizeof(*o));
	struct request *r = new_request();
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct outq *q;

	(void)state;
	assert_non_null(o);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	q = outq_new(p[1], NULL, 0, 0);
	assert_non_null(q);
	output_init(o, q, OUTPUT_JSON, false);
	output_request(o, r, &PI);
	assert_int_equal(wait_error(o), EPIPE);
	assert_int_equal(outq_finish(q), EPIPE);
	close(p[1]);
	signal(SIGPIPE, old);
	free(o);
	free(r);
}

/* Read exactly n bytes from fd within a few seconds; false if they don't come. */
static bool read_within(int fd, char *buf, size_t n)
{
	size_t got = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int tries = 0; got < n && tries < 300; tries++) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r > 0)
			got += (size_t)r;
		else
			usleep(10000);
	}
	return got == n;
}

/*
 * The writer is woken only when the queue goes from empty to non-empty and
 * then lets a batch build: a line pushed to an idle queue, and one pushed
 * while the writer was busy, both reach the file without outq_finish.
 */
static void test_lines_are_written_while_running_not_only_at_finish(void **state)
{
	int p[2];
	struct outq *q;
	char buf[64];

	(void)state;
	assert_int_equal(pipe(p), 0);
	q = outq_new(p[1], NULL, 0, 0);
	assert_non_null(q);
	assert_true(outq_push(q, "one\n", 4));
	assert_true(read_within(p[0], buf, 4));
	assert_memory_equal(buf, "one\n", 4);
	usleep(20000);   /* the writer is asleep on an empty queue now */
	assert_true(outq_push(q, "two\n", 4));
	assert_true(outq_push(q, "three\n", 6));
	assert_true(read_within(p[0], buf, 10));
	assert_memory_equal(buf, "two\nthree\n", 10);
	assert_int_equal(outq_finish(q), 0);
	close(p[0]);
	close(p[1]);
}

/*
 * A reader that does not keep up: the queue fills, whole events are
 * dropped and counted (never half a line), and what was queued arrives
 * intact, in order.
 */
static void test_full_queue_drops_whole_events_and_counts_them(void **state)
{
	int p[2];
	struct outq *q;
	char line[1024];
	size_t pushed = 0, ok_bytes = 0, got = 0;
	uint64_t refused = 0, expect_next = 0;
	char *buf;

	(void)state;
	assert_int_equal(pipe(p), 0);
	q = outq_new(p[1], NULL, 0, 0);
	assert_non_null(q);
	/* more than the queue holds while nobody reads */
	while (pushed < (OUTQ_BYTES / sizeof(line)) + 200) {
		int n = snprintf(line, sizeof(line), "{\"type\":\"x\",\"n\":%zu,\"pad\":\"", pushed);

		memset(line + n, 'p', sizeof(line) - (size_t)n - 3);
		memcpy(line + sizeof(line) - 3, "\"}\n", 3);
		if (outq_push(q, line, sizeof(line)))
			ok_bytes += sizeof(line);
		else
			refused++;
		pushed++;
	}
	assert_true(refused > 0);
	assert_int_equal(outq_take_dropped(q), refused);
	assert_int_equal(outq_take_dropped(q), 0);
	/* now read it all: every line whole, numbers increasing */
	buf = malloc(ok_bytes + 1);
	assert_non_null(buf);
	while (got < ok_bytes) {
		ssize_t n = read(p[0], buf + got, ok_bytes - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(outq_finish(q), 0);
	for (size_t off = 0; off < got; off += sizeof(line)) {
		unsigned long long n;

		assert_int_equal(buf[off + sizeof(line) - 1], '\n');
		assert_int_equal(sscanf(buf + off, "{\"type\":\"x\",\"n\":%llu,", &n), 1);
		assert_true(n >= expect_next);
		expect_next = n + 1;
	}
	free(buf);
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------------------------ */
/* Human view                                                                */
/* ------------------------------------------------------------------------ */

static void test_text_request_line_shows_kind_and_fingerprint_not_secret(void **state)
{
	struct request *r = new_request();
	struct response resp = { .protocol = "http/1.1", .stream = -1, .status = 401, .request_seq = 1,
				 .error = "invalid x-api-key" };
	struct sink s;
	char want[128];
	const char *t;

	(void)state;
	request_add_finding(r, "oauth-token-in-x-api-key", SEV_ERROR, "put it in Authorization");
	request_add_finding(r, "beta-missing", SEV_WARNING, "add anthropic-beta");
	request_add_finding(r, "note", SEV_INFO, "fyi");
	sink_open(&s, OUTPUT_TEXT, false);
	output_request(s.o, r, &PI);
	output_response(s.o, &resp);
	t = sink_text(&s);
	assert_non_null(strstr(t, " #1 "));
	assert_non_null(strstr(t, "python3[7575] POST api.anthropic.com/v1/messages?beta=true [anthropic]"));
	snprintf(want, sizeof(want), "x-api-key=anthropic-api-key(#%s)", r->creds[0].fingerprint);
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof(want), "authorization=Bearer %s(#%s)", cred_kind_name(r->creds[1].kind),
		 r->creds[1].fingerprint);
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(t, "\n  \xe2\x9c\x97 oauth-token-in-x-api-key: put it in Authorization\n"));
	assert_non_null(strstr(t, "\n  ! beta-missing: add anthropic-beta\n"));
	assert_non_null(strstr(t, "\n  \xc2\xb7 note: fyi\n"));
	assert_non_null(strstr(t, "  \xe2\x86\x92 401 invalid x-api-key (#1)\n"));
	assert_null(strchr(t, '\x1b'));                 /* no colour off a terminal */
	assert_null(strstr(t, "(cleartext)"));
	assert_no_secret(t);
	sink_close(&s);
	free(r);
}

static void test_text_view_marks_cleartext_incomplete_and_no_credentials(void **state)
{
	struct request *r = calloc(1, sizeof(*r));
	struct sink s;
	const char *t;
	char longpath[300];

	(void)state;
	assert_non_null(r);
	request_reset(r);
	memset(longpath, 'p', sizeof(longpath));
	longpath[0] = '/';
	request_set_line(r, "GET", 3, longpath, sizeof(longpath));
	request_finish(r);
	r->tls = false;
	r->incomplete = true;
	r->source = "write";
	r->protocol = "http/1.1";
	sink_open(&s, OUTPUT_TEXT, false);
	output_request(s.o, r, NULL);
	t = sink_text(&s);
	assert_non_null(strstr(t, " ?/ppp"));              /* no authority */
	assert_non_null(strstr(t, "p\xe2\x80\xa6"));       /* path cut with an ellipsis */
	assert_null(strstr(t, "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"));
	assert_non_null(strstr(t, "(cleartext)"));
	assert_non_null(strstr(t, "no credentials"));
	assert_non_null(strstr(t, "(head incomplete)"));
	assert_null(strstr(t, "[unknown]"));
	sink_close(&s);
	free(r);
}

static void test_text_view_colour_only_when_asked(void **state)
{
	struct request *r = new_request();
	struct sink s;

	(void)state;
	sink_open(&s, OUTPUT_TEXT, true);
	output_request(s.o, r, NULL);
	assert_non_null(strstr(sink_text(&s), "\x1b[0m"));
	sink_close(&s);
	free(r);
}

static void test_lost_and_suppressed_lines_in_both_views(void **state)
{
	struct sink s;
	char lines[2][70000];
	cJSON *j;

	(void)state;
	sink_open(&s, OUTPUT_TEXT, false);
	output_lost(s.o, 7, "ring-buffer-full");
	assert_string_equal(sink_text(&s), "! lost 7 events (ring-buffer-full)\n");
	sink_close(&s);

	sink_open(&s, OUTPUT_JSON, false);
	output_suppressed(s.o, 4242, "node\x1b[2J", "no-credentials", 11);
	output_lost(s.o, 3, "output-queue-full");
	assert_int_equal(split_lines(sink_text(&s), lines, 2), 2);
	j = parse_line(lines[0], "suppressed");
	assert_int_equal(get(j, "pid")->valuedouble, 4242);
	assert_string_equal(get(j, "comm")->valuestring, "node\x1b[2J");
	assert_string_equal(get(j, "rule")->valuestring, "no-credentials");
	assert_int_equal(get(j, "count")->valuedouble, 11);
	cJSON_Delete(j);
	j = parse_line(lines[1], "lost");
	assert_string_equal(get(j, "reason")->valuestring, "output-queue-full");
	cJSON_Delete(j);
	sink_close(&s);
}

static void test_json_stats_line_has_every_contract_field(void **state)
{
	static const char *const keys[] = { "type", "ts", "host", "requests", "responses", "findings",
					    "suppressed", "lost", "probes", "connections" };
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();
	struct sink s;
	cJSON *j;

	(void)state;
	assert_non_null(sum);
	request_add_finding(r, "rule-a", SEV_ERROR, "a");
	request_add_finding(r, "rule-b", SEV_WARNING, "b");
	summary_add_request(sum, r, 1);
	sum->lost = 4;
	sink_open(&s, OUTPUT_JSON, false);
	output_stats(s.o, sum, 12, 34, 5);
	j = only_line(&s, "stats");
	assert_keys(j, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(get(j, "requests")->valuedouble, 1);
	assert_int_equal(get(j, "findings")->valuedouble, 2);
	assert_int_equal(get(j, "suppressed")->valuedouble, 5);
	assert_int_equal(get(j, "lost")->valuedouble, 4);
	assert_int_equal(get(j, "probes")->valuedouble, 12);
	assert_int_equal(get(j, "connections")->valuedouble, 34);
	cJSON_Delete(j);
	sink_close(&s);
	free(r);
	free(sum);
}

static void test_text_summary_lists_totals_destinations_and_findings(void **state)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();
	struct response resp = { .status = 401 };
	struct sink s;
	const char *t;

	(void)state;
	assert_non_null(sum);
	sink_open(&s, OUTPUT_TEXT, false);
	output_summary(s.o, sum);
	t = sink_text(&s);
	assert_non_null(strstr(t, "requests: 0, lost events: 0\n"));
	assert_non_null(strstr(t, "findings: none\n"));
	assert_null(strstr(t, "responses:"));
	sink_close(&s);

	request_add_finding(r, "oauth-token-in-x-api-key", SEV_ERROR, "x");
	summary_add_request(sum, r, 3);
	r->n_creds = 0;
	r->n_findings = 0;
	summary_add_request(sum, r, 4);
	summary_add_response(sum, &resp);
	sum->unanswered = 1;
	sum->heads_lost = 2;
	sink_open(&s, OUTPUT_TEXT, false);
	output_summary(s.o, sum);
	t = sink_text(&s);
	assert_non_null(strstr(t, "── authtrace summary ──"));
	assert_non_null(strstr(t, "requests: 2 (1 without credentials), lost events: 0, incomplete heads: 2\n"));
	assert_non_null(strstr(t, "responses: 401×1 (1 unanswered)\n"));
	assert_non_null(strstr(t, "  python3[7575] → api.anthropic.com (anthropic): 2 requests, 1 without credentials\n"));
	assert_non_null(strstr(t, "  \xe2\x9c\x97 oauth-token-in-x-api-key ×1  first: #3 POST api.anthropic.com/v1/messages?beta=true\n"));
	sink_close(&s);
	free(r);
	free(sum);
}

/*
 * BUG: the human summary is built in one 8 KiB buffer and silently cut
 * there.  A CI run with many traced processes (each pid is a destination
 * row: 64 node workers) pushes the "findings:" section -- the part a CI
 * log reader needs -- off the end, and the last line has no newline.
 */
static void test_text_summary_is_never_cut_short(void **state)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();
	struct sink s;
	const char *t;
	static const char *const rules[] = {
		"oauth-token-in-x-api-key", "bedrock-no-authorization", "placeholder-credential",
		"api-key-to-foreign-host", "missing-anthropic-version", "missing-oauth-beta",
		"sigv4-clock-skew", "jwt-expired", "two-credentials", "bearer-without-token",
		"azure-key-in-authorization", "workspace-id-missing",
	};
	bool last_dest, findings, last_rule, ends_line;

	(void)state;
	assert_non_null(sum);
	strcpy(r->authority, "my-llm-gateway.internal.corp.example.com:8443");
	r->n_creds = 0;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		request_add_finding(r, rules[i], SEV_ERROR, "x");
	r->n_findings = 8;
	for (int i = 0; i < SUMMARY_MAX_DESTS; i++) {
		r->pid = 10000 + i;
		summary_add_request(sum, r, (uint64_t)i + 1);
		if (i == 0) {
			/* the other four rules once */
			memmove(r->findings, r->findings + 4, 4 * sizeof(r->findings[0]));
			for (int k = 0; k < 4; k++)
				r->findings[4 + k].rule = rules[8 + k];
		}
	}
	sink_open(&s, OUTPUT_TEXT, false);
	output_summary(s.o, sum);
	t = sink_text(&s);
	last_dest = strstr(t, "python3[10063] → my-llm-gateway") != NULL;
	findings = strstr(t, "findings:\n") != NULL;
	last_rule = strstr(t, "workspace-id-missing ×63") != NULL;
	ends_line = t[strlen(t) - 1] == '\n';
	sink_close(&s);
	free(r);
	free(sum);
	assert_true(last_dest);
	assert_true(findings);
	assert_true(last_rule);
	assert_true(ends_line);
}

/* ------------------------------------------------------------------------ */
/* Summary                                                                   */
/* ------------------------------------------------------------------------ */

static void test_summary_groups_destinations_and_caps_rows(void **state)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();

	(void)state;
	assert_non_null(sum);
	summary_add_request(sum, r, 1);
	summary_add_request(sum, r, 2);
	r->api = API_BEDROCK;
	summary_add_request(sum, r, 3);      /* same host, other family: another row */
	assert_int_equal(sum->n_dests, 2);
	assert_int_equal(sum->dests[0].requests, 2);
	for (int i = 0; i < 100; i++) {
		r->pid = 20000 + i;
		summary_add_request(sum, r, 10 + (uint64_t)i);
	}
	assert_int_equal(sum->n_dests, SUMMARY_MAX_DESTS);
	assert_int_equal(sum->requests, 103);
	assert_int_equal(sum->other_dest_requests, 103 - 2 - 1 - (SUMMARY_MAX_DESTS - 2));
	free(r);
	free(sum);
}

static void test_summary_counts_rules_by_id_and_severity(void **state)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	struct request *r = new_request();

	(void)state;
	assert_non_null(sum);
	request_add_finding(r, "a", SEV_WARNING, "w");
	summary_add_request(sum, r, 5);
	summary_add_request(sum, r, 6);
	r->findings[0].severity = SEV_ERROR;
	summary_add_request(sum, r, 7);
	assert_int_equal(sum->n_rules, 2);
	assert_int_equal(sum->rules[0].count, 2);
	assert_int_equal(sum->rules[0].example_seq, 5);
	assert_string_equal(sum->rules[0].example, "POST api.anthropic.com/v1/messages?beta=true");
	assert_int_equal(summary_findings_at_least(sum, SEV_ERROR), 1);
	assert_int_equal(summary_findings_at_least(sum, SEV_WARNING), 3);
	assert_int_equal(summary_findings_at_least(sum, SEV_INFO), 3);
	free(r);
	free(sum);
}

static void test_summary_statuses_are_capped_but_responses_counted(void **state)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	struct response resp = { 0 };

	(void)state;
	assert_non_null(sum);
	for (int i = 0; i < SUMMARY_MAX_STATUSES + 4; i++) {
		resp.status = 200 + i;
		summary_add_response(sum, &resp);
		summary_add_response(sum, &resp);
	}
	assert_int_equal(sum->responses, 2 * (SUMMARY_MAX_STATUSES + 4));
	assert_int_equal(sum->n_statuses, SUMMARY_MAX_STATUSES);
	for (unsigned i = 0; i < sum->n_statuses; i++)
		assert_int_equal(sum->statuses[i].count, 2);
	free(sum);
}

/* Timestamps: RFC 3339 UTC with milliseconds; the clock view is local time. */
static void test_timestamps_are_rfc3339_utc_with_milliseconds(void **state)
{
	struct output *o = calloc(1, sizeof(*o));
	char buf[64];

	(void)state;
	assert_non_null(o);
	output_init(o, NULL, OUTPUT_JSON, false);
	o->realtime_offset_ns = 0;
	output_format_rfc3339(o, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	output_format_rfc3339(o, 1700000000999999999ULL, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.999Z");
	/* the date part is kept from the previous call: same second, then back in time */
	output_format_rfc3339(o, 1700000000000000000ULL, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.000Z");
	output_format_rfc3339(o, 1699999999500000000ULL, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:19.500Z");
	o->realtime_offset_ns = 1000000000LL;
	output_format_rfc3339(o, 5000000ULL, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:01.005Z");
	/* a clock before 1970 rounds down, not towards zero */
	o->realtime_offset_ns = -1000000LL;
	output_format_rfc3339(o, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	/* a buffer too small gets what fits, NUL-terminated, as snprintf would */
	output_format_rfc3339(o, 0, buf, 8);
	assert_string_equal(buf, "1969-12");
	output_format_rfc3339(o, 0, buf, 24);
	assert_string_equal(buf, "1969-12-31T23:59:59.999");
	o->realtime_offset_ns = 1000000000LL;
	output_format_clock(o, 5000000ULL, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 12);
	assert_string_equal(buf + 8, ".005");
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_request_line_has_every_contract_field),
		cmocka_unit_test(test_json_optional_request_fields_appear_only_when_set),
		cmocka_unit_test(test_json_headers_array_is_right_for_every_name_list),
		cmocka_unit_test(test_json_process_members_follow_the_process),
		cmocka_unit_test(test_json_request_without_credentials_has_empty_arrays),
		cmocka_unit_test(test_json_response_line_has_every_contract_field),
		cmocka_unit_test(test_json_lost_and_summary_lines_follow_the_contract),
		cmocka_unit_test(test_seq_counts_requests_and_responses_together),
		cmocka_unit_test(test_json_escapes_hostile_bytes_in_names_paths_and_hosts),
		cmocka_unit_test(test_own_names_need_no_escaping),
		cmocka_unit_test(test_jsonw_numbers_match_printf),
		cmocka_unit_test(test_jsonw_escapes_every_byte_value),
		cmocka_unit_test(test_jsonw_word_scan_matches_byte_by_byte),
		cmocka_unit_test(test_jsonw_overflow_is_flagged),
		cmocka_unit_test(test_json_output_is_strict_utf8_for_surrogates_overlongs_and_out_of_range),
		cmocka_unit_test(test_event_too_large_becomes_one_lost_line),
		cmocka_unit_test(test_large_event_that_fits_is_written_whole),
		cmocka_unit_test(test_write_error_on_dev_full_is_remembered),
		cmocka_unit_test(test_write_to_closed_pipe_is_remembered_as_epipe),
		cmocka_unit_test(test_lines_are_written_while_running_not_only_at_finish),
		cmocka_unit_test(test_full_queue_drops_whole_events_and_counts_them),
		cmocka_unit_test(test_text_request_line_shows_kind_and_fingerprint_not_secret),
		cmocka_unit_test(test_text_view_marks_cleartext_incomplete_and_no_credentials),
		cmocka_unit_test(test_text_view_colour_only_when_asked),
		cmocka_unit_test(test_lost_and_suppressed_lines_in_both_views),
		cmocka_unit_test(test_json_stats_line_has_every_contract_field),
		cmocka_unit_test(test_text_summary_lists_totals_destinations_and_findings),
		cmocka_unit_test(test_text_summary_is_never_cut_short),
		cmocka_unit_test(test_summary_groups_destinations_and_caps_rows),
		cmocka_unit_test(test_summary_counts_rules_by_id_and_severity),
		cmocka_unit_test(test_summary_statuses_are_capped_but_responses_counted),
		cmocka_unit_test(test_timestamps_are_rfc3339_utc_with_milliseconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

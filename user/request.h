/* SPDX-License-Identifier: MIT */
/*
 * The request record: everything authtrace reports about one HTTP request.
 * Fixed size, no pointers to secrets: header *names* in wire order, the
 * classified credentials (kind + fingerprint), and the few non-secret header
 * values the rules need.  Built by request_builder from parser callbacks.
 */
#ifndef AUTHTRACE_REQUEST_H
#define AUTHTRACE_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api.h"
#include "creds.h"
#include "peer.h"

#define REQ_METHOD_MAX     24
#define REQ_AUTHORITY_MAX  256
#define REQ_PATH_MAX       2048
#define REQ_MAX_HEADERS    256
#define REQ_NAMES_POOL     8192
#define REQ_MAX_CREDS      8
#define REQ_MAX_FINDINGS   8
#define REQ_COMPANION_MAX  192
#define REQ_COMM_MAX       16
#define FINDING_MSG_MAX    320

enum severity { SEV_INFO = 0, SEV_WARNING, SEV_ERROR };

struct finding {
	const char *rule;            /* static rule id */
	enum severity severity;
	char message[FINDING_MSG_MAX];
};

/* Non-secret header values rules look at.  Empty string: header absent. */
struct companions {
	char anthropic_version[64];
	char anthropic_beta[REQ_COMPANION_MAX];
	char workspace_id[96];       /* anthropic-workspace-id (an id, not a secret) */
	char x_amz_date[32];
	char user_agent[REQ_COMPANION_MAX];
	bool has_workspace_id;
	bool has_x_amz_date;
};

struct request {
	uint64_t seq;
	uint64_t ts_ns;              /* CLOCK_MONOTONIC, from the kernel */
	pid_t pid, tid;
	uint32_t uid;
	uint64_t cgroup_id;
	char comm[REQ_COMM_MAX + 1];
	uint64_t conn_id;            /* collector's connection number, stable in a run */
	const char *source;          /* "SSL_write", "SSL_write_ex", "write", ... */
	bool tls;
	char peer[PEER_MAX];         /* "ip:port" of the server, "" if unknown */
	const char *protocol;        /* "http/1.1", "h2" */
	int64_t stream;              /* h2 stream id, -1 for none */

	char method[REQ_METHOD_MAX];
	char authority[REQ_AUTHORITY_MAX];
	char path[REQ_PATH_MAX];
	bool path_truncated;
	enum api_family api;

	/* header names, lowercase, wire order: names + name_off[i] */
	uint16_t n_headers;
	uint16_t name_off[REQ_MAX_HEADERS];
	char names[REQ_NAMES_POOL];
	uint32_t names_used;
	uint32_t headers_dropped;    /* names that did not fit */

	struct credential creds[REQ_MAX_CREDS];
	uint8_t n_creds;
	uint8_t creds_dropped;
	bool has_authorization;

	struct companions comp;
	bool incomplete;             /* the head was cut short (capture limit or loss) */
	bool hpack_partial;          /* h2 attached mid-connection: some fields undecodable */

	struct finding findings[REQ_MAX_FINDINGS];
	uint8_t n_findings;
	uint8_t findings_dropped;
};

/* Names of extra credential headers (from --rules); lowercase; NULL-terminated. */
struct request_builder {
	struct request *req;
	const char *const *extra_cred_headers;
};

/* Reset req for a new head; the event metadata fields are left to the caller. */
void request_reset(struct request *req);

/* h1/h2 visitor callbacks: fill req from the request line and headers. */
void request_set_line(struct request *req, const char *method, size_t method_len,
		      const char *target, size_t target_len);
void request_set_authority(struct request *req, const char *v, size_t len);
void request_add_header(struct request_builder *b, const char *name, size_t name_len,
			const char *value, size_t value_len);

/* Finish: derive api family etc. after all headers were added. */
void request_finish(struct request *req);

const char *request_header_name(const struct request *req, unsigned i);
bool request_has_header(const struct request *req, const char *name_lc);

/* Add a finding (rules engine); drops past REQ_MAX_FINDINGS and counts. */
void request_add_finding(struct request *req, const char *rule, enum severity sev,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const char *severity_name(enum severity s);

#endif

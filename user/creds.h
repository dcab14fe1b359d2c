/* SPDX-License-Identifier: MIT */
/*
 * Credential classification.  This is the only code in authtrace that looks
 * at secret values: it turns a header value into a kind, a length, a
 * fingerprint and a few non-secret facts, and keeps nothing else.  No
 * substring of the value ever leaves these functions.
 */
#ifndef AUTHTRACE_CREDS_H
#define AUTHTRACE_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cred_kind {
	CRED_UNKNOWN = 0,
	CRED_ANTHROPIC_API_KEY,
	CRED_ANTHROPIC_OAUTH_TOKEN,
	CRED_ANTHROPIC_ADMIN_KEY,
	CRED_ANTHROPIC_REFRESH_TOKEN,
	CRED_AWS_SIGV4,
	CRED_BEDROCK_API_KEY,
	CRED_GOOGLE_ACCESS_TOKEN,
	CRED_JWT,
	CRED_OPENAI_API_KEY,
	CRED_BASIC,
	CRED_PLACEHOLDER,
	CRED_EMPTY,
	CRED_KIND_COUNT
};

/* Fingerprint: first FP_HEX_LEN hex digits of SHA-256("authtrace-fp-v1\0" || value). */
#define FP_HEX_LEN 12

#define CRED_HEADER_MAX 64
#define CRED_SCHEME_MAX 32

/* Non-secret facts decoded from a SigV4 Authorization value. */
struct sigv4_facts {
	char key_prefix[5];      /* "AKIA", "ASIA", "ABIA", ... ("" if absent) */
	char date[9];            /* yyyymmdd from the Credential scope */
	char region[32];
	char service[48];
	char signed_headers[256]; /* ';'-separated, lowercase, truncated */
	bool well_formed;        /* Credential, SignedHeaders and Signature present */
};

/* Non-secret facts decoded from a Bedrock API key. */
struct bedrock_key_facts {
	bool long_term;        /* ABSK... */
	bool short_term;       /* bedrock-api-key-... */
	bool decodes;          /* body is valid base64 of the expected shape */
	char problem[64];      /* why it does not decode: "not base64", "trailing newline", "quoted", ... */
};

struct credential {
	char header[CRED_HEADER_MAX];  /* lowercase header name */
	char scheme[CRED_SCHEME_MAX];  /* Authorization scheme word as sent ("Bearer"), "" if none */
	enum cred_kind kind;
	char fingerprint[FP_HEX_LEN + 1];
	uint32_t length;               /* length of the credential (after the scheme word) */
	/* kind-specific facts, all non-secret */
	struct sigv4_facts sigv4;            /* kind == CRED_AWS_SIGV4 */
	struct bedrock_key_facts bedrock;    /* kind == CRED_BEDROCK_API_KEY (or malformed ABSK) */
	int64_t jwt_exp;                     /* kind == CRED_JWT: "exp" claim, 0 if absent */
	bool looks_like_bedrock_key;         /* starts ABSK / bedrock-api-key- even if malformed */
	bool looks_like_openai_key;          /* sk-proj-/sk-svcacct-/sk-admin-/T3BlbkFJ */
	bool looks_like_azure_key;           /* 32 hex or 84-char Azure resource key */
};

/*
 * Classify one header value.  header_lc is the lowercase header name.  For
 * authorization-style headers ("authorization", "proxy-authorization",
 * "cf-aig-authorization") the scheme word is split off first.  value is not
 * NUL-terminated.  out is fully written; the caller must not keep value.
 */
void cred_classify(const char *header_lc, const char *value, size_t value_len,
		   struct credential *out);

/* Fingerprint of an arbitrary byte string, FP_HEX_LEN lowercase hex + NUL. */
void cred_fingerprint(const void *value, size_t len, char out[FP_HEX_LEN + 1]);

/* True for the built-in credential-bearing header names (lowercase input). */
bool cred_is_default_header(const char *name_lc);
bool cred_is_default_header_n(const char *name_lc, size_t len);

const char *cred_kind_name(enum cred_kind kind);

/* Overwrite memory that held a secret in a way the compiler will not elide. */
void cred_wipe(void *p, size_t len);

#endif

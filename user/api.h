/* SPDX-License-Identifier: MIT */
/* Destination classification: which LLM API a request is for, and whose host it is. */
#ifndef AUTHTRACE_API_H
#define AUTHTRACE_API_H

#include <stdbool.h>
#include <stddef.h>

enum api_family {
	API_UNKNOWN = 0,
	API_ANTHROPIC,
	API_BEDROCK,
	API_VERTEX,
	API_FOUNDRY,
	API_CLAUDE_PLATFORM_AWS,
	API_OPENAI,
	API_AZURE_OPENAI,
	API_FAMILY_COUNT
};

enum host_class {
	HOST_PROVIDER = 0,  /* the provider's own public endpoint (api.anthropic.com, bedrock-runtime.*) */
	HOST_LOOPBACK,      /* localhost, 127.0.0.0/8, ::1 */
	HOST_PRIVATE,       /* RFC 1918, link-local, ULA, *.local, *.internal, single-label names */
	HOST_OTHER,         /* any other host: a gateway or proxy */
};

/*
 * authority is the Host / :authority value ("host", "host:port", "[v6]:port");
 * path is the request target (path with query).  Either may be NULL or empty.
 */
enum api_family api_classify(const char *authority, const char *path);

/* Classify the host part of an authority (port stripped, case-insensitive). */
enum host_class host_classify(const char *authority);

/* True when authority is the provider's own host for this family. */
bool api_is_provider_host(enum api_family family, const char *authority);

/*
 * Region embedded in a provider host, e.g. "us-east-1" from
 * bedrock-runtime.us-east-1.amazonaws.com or aws-external-anthropic.us-west-2.api.aws.
 * Returns false when the host carries no region.
 */
bool api_host_region(const char *authority, char *out, size_t out_len);

const char *api_family_name(enum api_family f);
const char *host_class_name(enum host_class c);

#endif

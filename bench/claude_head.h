/* SPDX-License-Identifier: MIT */
/*
 * bench: Claude-Code-like HTTP/1.1 requests (the Anthropic TypeScript SDK
 * as Claude Code sends them: ~25 headers, ~1.5 KB of head, a JSON body).
 * Keys are fake and never real.  Used by loadgen (live) and replay
 * (collector alone), so both measure the same bytes.
 */
#ifndef BENCH_CLAUDE_HEAD_H
#define BENCH_CLAUDE_HEAD_H

#include <stdio.h>
#include <string.h>

enum claude_variant {
	CV_API_KEY = 0,     /* x-api-key: sk-ant-api03-...          (correct)  */
	CV_OAUTH_BEARER,    /* Authorization: Bearer sk-ant-oat01-... (correct) */
	CV_OAUTH_IN_XKEY,   /* OAuth token in x-api-key: a finding (error)     */
	CV_NONE,            /* no credentials: 401                             */
	CV_COUNT
};

/* Fake credentials in the real formats (93 chars + "AA" for API keys). */
#define BENCH_API_KEY "sk-ant-api03-BenchFakeKey0000000000000000000000000000000000000000000000000000000000000000000000AA"
#define BENCH_OAUTH   "sk-ant-oat01-BenchFakeOAuth000000000000000000000000000000000000000000000000000000000000000000AA"

static const char claude_body_tmpl[] =
	"{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":32000,\"stream\":true,"
	"\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\","
	"\"cache_control\":{\"type\":\"ephemeral\"}}],"
	"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"benchmark request %08u: "
	"list the files in this directory and summarise what the project does; keep it short.\"}]}],"
	"\"metadata\":{\"user_id\":\"user_0000000000000000000000000000000000000000000000000000000000000000_account__session_00000000-0000-0000-0000-000000000000\"},"
	"\"tools\":[{\"name\":\"Bash\",\"description\":\"Executes a given bash command\",\"input_schema\":{\"type\":\"object\","
	"\"properties\":{\"command\":{\"type\":\"string\"}},\"required\":[\"command\"]}}]}";

/*
 * The variant of the replay's request k (bench/replay and bench/refparse):
 * 60 % x-api-key, 20 % OAuth bearer, 10 % OAuth token in x-api-key, 10 %
 * without credentials (answered 401), spread over k.
 */
static inline enum claude_variant claude_replay_variant(unsigned k)
{
	static const enum claude_variant mix[10] = {
		CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY,
		CV_OAUTH_BEARER, CV_OAUTH_BEARER, CV_OAUTH_IN_XKEY, CV_NONE,
	};

	return mix[(k * 7) % 10];
}

/*
 * Format request number seq (variant v, Host: host) into out; returns its
 * length (head + body), or 0 if it does not fit.  *head_len: the head's.
 */
static inline size_t claude_request(char *out, size_t cap, enum claude_variant v, const char *host,
				    unsigned seq, size_t *head_len)
{
	char body[2048], cred[256] = "";
	const char *beta_extra = "";
	int bl = snprintf(body, sizeof(body), claude_body_tmpl, seq);
	int hl;

	if (v == CV_API_KEY)
		snprintf(cred, sizeof(cred), "x-api-key: %s\r\n", BENCH_API_KEY);
	else if (v == CV_OAUTH_IN_XKEY)
		snprintf(cred, sizeof(cred), "x-api-key: %s\r\n", BENCH_OAUTH);
	if (v == CV_OAUTH_BEARER) {
		snprintf(cred, sizeof(cred), "authorization: Bearer %s\r\n", BENCH_OAUTH);
		beta_extra = ",oauth-2025-04-20";
	}
	hl = snprintf(out, cap,
		"POST /v1/messages?beta=true HTTP/1.1\r\n"
		"host: %s\r\n"
		"connection: keep-alive\r\n"
		"Accept: application/json\r\n"
		"X-Stainless-Retry-Count: 0\r\n"
		"X-Stainless-Timeout: 600\r\n"
		"X-Stainless-Lang: js\r\n"
		"X-Stainless-Package-Version: 0.60.0\r\n"
		"X-Stainless-OS: Linux\r\n"
		"X-Stainless-Arch: x64\r\n"
		"X-Stainless-Runtime: node\r\n"
		"X-Stainless-Runtime-Version: v22.17.0\r\n"
		"anthropic-dangerous-direct-browser-access: true\r\n"
		"anthropic-version: 2023-06-01\r\n"
		"%s"
		"x-app: cli\r\n"
		"User-Agent: claude-cli/2.0.31 (external, cli)\r\n"
		"content-type: application/json\r\n"
		"anthropic-beta: claude-code-20250219,interleaved-thinking-2025-05-14,"
		"context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14%s\r\n"
		"x-stainless-helper-method: stream\r\n"
		"x-claude-code-session-id: 3f0c2b7e-9a41-4c55-8e2d-6b1f0a9c%04x\r\n"
		"x-client-request-id: 8d1e5a3c-2b4f-4e6a-9c7d-0f1a2b3c%04x\r\n"
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
		"baggage: sentry-environment=production,sentry-release=2.0.31,"
		"sentry-public_key=e531a1d9ec1de9064fae9d4affb0b0f4,"
		"sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736,sentry-sample_rate=0.01,sentry-sampled=false\r\n"
		"accept-language: *\r\n"
		"sec-fetch-mode: cors\r\n"
		"accept-encoding: gzip, deflate, br, zstd\r\n"
		"content-length: %d\r\n"
		"\r\n",
		host, cred, beta_extra, seq & 0xffff, (seq * 7919u) & 0xffff, bl);
	if (hl <= 0 || (size_t)hl + (size_t)bl >= cap)
		return 0;
	memcpy(out + hl, body, (size_t)bl);
	if (head_len)
		*head_len = (size_t)hl;
	return (size_t)hl + (size_t)bl;
}

/*
 * Claude-API-like responses: a streamed 200 with its first event in the
 * same read, and a 401 with its JSON error body.  Used by replay and
 * refparse (loadgen's server, bench/server.c, makes its own).
 */
static const char claude_response_sse[] =
	"HTTP/1.1 200 OK\r\n"
	"Date: Sun, 23 Nov 2026 08:00:00 GMT\r\n"
	"Content-Type: text/event-stream; charset=utf-8\r\n"
	"Transfer-Encoding: chunked\r\n"
	"Connection: keep-alive\r\n"
	"Cache-Control: no-cache\r\n"
	"anthropic-ratelimit-unified-status: allowed\r\n"
	"anthropic-ratelimit-unified-reset: 1795420800\r\n"
	"request-id: req_011CBenchReplayReplayReplay\r\n"
	"strict-transport-security: max-age=31536000; includeSubDomains; preload\r\n"
	"anthropic-organization-id: 00000000-0000-0000-0000-000000000000\r\n"
	"via: 1.1 google\r\n"
	"cf-cache-status: DYNAMIC\r\n"
	"X-Robots-Tag: none\r\n"
	"Server: cloudflare\r\n"
	"CF-RAY: 9a0b1c2d3e4f5a6b-FRA\r\n"
	"\r\n"
	"1a4\r\n"
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-6\",\"id\":\"msg_bench\","
	"\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"usage\":"
	"{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
	"\"output_tokens\":1}}}\n\n\r\n";

static const char claude_response_401[] =
	"HTTP/1.1 401 Unauthorized\r\n"
	"Date: Sun, 23 Nov 2026 08:00:00 GMT\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 130\r\n"
	"Connection: keep-alive\r\n"
	"x-should-retry: false\r\n"
	"request-id: req_011CBenchReplayReplay401x\r\n"
	"via: 1.1 google\r\n"
	"Server: cloudflare\r\n"
	"\r\n"
	"{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"x-api-key header is required\"},\"request_id\":\"req_011CBench\"}";

#endif

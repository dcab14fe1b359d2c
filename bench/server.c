// SPDX-License-Identifier: MIT
/*
 * server: a small, fast HTTPS/1.1 keep-alive server on 127.0.0.1 for
 * `make bench` (one thread per connection, OpenSSL).  Every request gets
 * a Messages-API-like 200 JSON answer, or 401 with an error body when it
 * carries no x-api-key/authorization header.
 *
 *   server CERT KEY PORTFILE     (port 0: the kernel picks; written to PORTFILE)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define BUFSZ (256 * 1024)

static SSL_CTX *ctx;

static const char body_ok[] =
	"{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-6\","
	"\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"stop_reason\":\"end_turn\","
	"\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}";
static const char body_401[] =
	"{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
	"\"message\":\"x-api-key header is required\"}}";

static char resp_ok[1024], resp_401[1024];
static int resp_ok_len, resp_401_len;

static void build_responses(void)
{
	const char *fmt = "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
			  "request-id: req_011CBenchBenchBenchBench\r\nanthropic-organization-id: "
			  "00000000-0000-0000-0000-000000000000\r\nvia: 1.1 google\r\n"
			  "content-length: %zu\r\nconnection: keep-alive\r\n\r\n%s";

	resp_ok_len = snprintf(resp_ok, sizeof(resp_ok), fmt, 200, "OK", strlen(body_ok), body_ok);
	resp_401_len = snprintf(resp_401, sizeof(resp_401), fmt, 401, "Unauthorized",
				strlen(body_401), body_401);
}

/* Value of header name (lowercase) in head[0..n), or -1. */
static long header_num(const char *head, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = head; p && p < head + n; ) {
		const char *eol = memchr(p, '\n', (size_t)(head + n - p));

		if (!eol)
			break;
		if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			return strtol(p + nl + 1, NULL, 10);
		p = eol + 1;
	}
	return -1;
}

static bool has_header(const char *head, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = head; p < head + n; ) {
		const char *eol = memchr(p, '\n', (size_t)(head + n - p));

		if (!eol)
			break;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			return true;
		p = eol + 1;
	}
	return false;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg, one = 1;
	char *buf = malloc(BUFSZ);
	size_t have = 0;
	SSL *ssl;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!buf) {
		close(fd);
		return NULL;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto out;
	for (;;) {
		char *end;
		size_t head_len, need;
		long cl;
		int n;

		/* a whole head */
		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == BUFSZ)
				goto out;
			n = SSL_read(ssl, buf + have, (int)(BUFSZ - have));
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		head_len = (size_t)(end - buf) + 4;
		cl = header_num(buf, head_len, "content-length");
		need = head_len + (cl > 0 ? (size_t)cl : 0);
		if (need > BUFSZ)
			goto out;
		while (have < need) {
			n = SSL_read(ssl, buf + have, (int)(BUFSZ - have));
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		if (has_header(buf, head_len, "x-api-key") || has_header(buf, head_len, "authorization"))
			n = SSL_write(ssl, resp_ok, resp_ok_len);
		else
			n = SSL_write(ssl, resp_401, resp_401_len);
		if (n <= 0)
			goto out;
		memmove(buf, buf + need, have - need);
		have -= need;
	}
out:
	SSL_free(ssl);
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	pthread_attr_t attr;
	int ls, one = 1;
	FILE *pf;

	if (argc != 4) {
		fprintf(stderr, "usage: server CERT KEY PORTFILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	build_responses();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[1]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024) ||
	    getsockname(ls, (struct sockaddr *)&a, &al)) {
		perror("server");
		return 1;
	}
	pf = fopen(argv[3], "w");
	if (!pf)
		return 1;
	fprintf(pf, "%d\n", ntohs(a.sin_port));
	fclose(pf);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		pthread_t th;

		if (fd < 0)
			continue;
		if (pthread_create(&th, &attr, serve, (void *)(long)fd))
			close(fd);
	}
}

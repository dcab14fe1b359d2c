// SPDX-License-Identifier: MIT
/*
 * loadgen: HTTPS/1.1 keep-alive load for `make bench` (OpenSSL's libssl.so.3,
 * SSL_write/SSL_read, like any dynamically linked client).
 *
 *   loadgen -p PORT [-P PROCS] [-c CONNS] [-r RATE] [-d SECONDS] [-n COUNT]
 *           [-W] [-B] [-H HOST]
 *
 * PROCS processes (forked) each open CONNS keep-alive connections and send
 * Claude-Code-like requests (bench/claude_head.h) round-robin over them, one
 * at a time, paced so that all processes together make RATE requests/s (0:
 * as fast as they can), for SECONDS, or COUNT requests per process.  With
 * -W (one process) it prints "waiting" and waits for a line on stdin before
 * it connects and starts.  Prints, at the end:
 *   requests=N seconds=S rate=R errors=E
 * -B (batch mode, one process, one connection): connects, makes one request,
 * prints "ready"; then for each line N on stdin makes N requests and prints
 * "WALL CPU" (seconds; CPU = this process's user + system time, where a
 * uprobe's trap and BPF program are charged); "q" ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "claude_head.h"
#include "measure.h"

static SSL *connect_tls(SSL_CTX *ctx, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	SSL *ssl;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

/* One request/response on ssl; false on error. */
static bool exchange(SSL *ssl, const char *req, size_t len)
{
	static char buf[64 * 1024];
	size_t have = 0, need = 0;

	if (SSL_write(ssl, req, (int)len) != (int)len)
		return false;
	for (;;) {
		int n = SSL_read(ssl, buf + have, (int)(sizeof(buf) - have));
		char *end;

		if (n <= 0)
			return false;
		have += (size_t)n;
		if (!need && (end = memmem(buf, have, "\r\n\r\n", 4))) {
			const char *cl = NULL;

			for (char *p = buf; p < end; p++)
				if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
					cl = p + 16;
					break;
				}
			need = (size_t)(end - buf) + 4 + (cl ? strtoul(cl, NULL, 10) : 0);
		}
		if (need && have >= need)
			return true;
		if (have == sizeof(buf))
			return false;
	}
}

struct result {
	unsigned long requests, errors;
	double seconds;
};

static struct result worker(SSL_CTX *ctx, int port, int conns, double rate, double secs,
			    unsigned long count, bool wait_go, const char *host, int id)
{
	struct result r = { 0 };
	SSL **ssl = calloc((size_t)conns, sizeof(*ssl));
	char req[8192];
	double t0, interval = rate > 0 ? 1.0 / rate : 0;

	if (wait_go) {
		char line[16];

		printf("waiting\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			exit(0);
	}
	for (int i = 0; i < conns; i++)
		if (!(ssl[i] = connect_tls(ctx, port))) {
			fprintf(stderr, "loadgen: cannot connect: %s\n", strerror(errno));
			exit(1);
		}
	t0 = now_s();
	for (unsigned long k = 0;; k++) {
		size_t len;
		double now = now_s();
		unsigned seq = (unsigned)(id * 1000003u + k);
		static const enum claude_variant mix[10] = {
			CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY, CV_API_KEY,
			CV_API_KEY, CV_OAUTH_BEARER, CV_OAUTH_BEARER, CV_OAUTH_IN_XKEY,
		};

		if ((count && k >= count) || (!count && now - t0 >= secs))
			break;
		if (interval > 0) {
			double due = t0 + k * interval;

			if (due > now) {
				struct timespec ts = { (time_t)(due - now),
						       (long)((due - now - (time_t)(due - now)) * 1e9) };
				nanosleep(&ts, NULL);
			}
		}
		len = claude_request(req, sizeof(req), mix[k % 10], host, seq, NULL);
		if (exchange(ssl[k % (unsigned long)conns], req, len))
			r.requests++;
		else
			r.errors++;
	}
	r.seconds = now_s() - t0;
	for (int i = 0; i < conns; i++) {
		SSL_shutdown(ssl[i]);
		close(SSL_get_fd(ssl[i]));
		SSL_free(ssl[i]);
	}
	return r;
}

static int batch_mode(SSL_CTX *ctx, int port, const char *host)
{
	SSL *ssl = connect_tls(ctx, port);
	char req[8192], line[32];
	size_t len;
	unsigned seq = 0;

	if (!ssl)
		return 1;
	len = claude_request(req, sizeof(req), CV_API_KEY, host, seq++, NULL);
	if (!exchange(ssl, req, len))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		long n = atol(line);
		double t0 = now_s(), c0 = cpu_s();

		for (long i = 0; i < n; i++) {
			len = claude_request(req, sizeof(req), CV_API_KEY, host, seq++, NULL);
			if (!exchange(ssl, req, len))
				return 1;
		}
		printf("%.6f %.6f\n", now_s() - t0, cpu_s() - c0);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int port = 0, procs = 1, conns = 1, opt, pfd[2];
	double rate = 0, secs = 5;
	unsigned long count = 0;
	bool wait_go = false, batch = false;
	const char *host = "api.anthropic.com";
	struct result total = { 0 };
	SSL_CTX *ctx;

	while ((opt = getopt(argc, argv, "p:P:c:r:d:n:WBH:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'P': procs = atoi(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'W': wait_go = true; break;
		case 'B': batch = true; break;
		case 'H': host = optarg; break;
		default: return 2;
		}
	}
	if (port <= 0 || procs < 1 || conns < 1) {
		fprintf(stderr, "usage: loadgen -p PORT [-P PROCS] [-c CONNS] [-r RATE] [-d SECONDS] "
				"[-n COUNT] [-W] [-B] [-H HOST]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (batch)
		return batch_mode(ctx, port, host);
	if (procs == 1) {
		total = worker(ctx, port, conns, rate, secs, count, wait_go, host, 0);
	} else {
		if (pipe(pfd))
			return 1;
		for (int i = 0; i < procs; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (pid == 0) {
				struct result r;

				close(pfd[0]);
				r = worker(ctx, port, conns, rate / procs, secs, count, wait_go, host, i);
				if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
					_exit(1);
				_exit(0);
			}
		}
		close(pfd[1]);
		for (int i = 0; i < procs; i++) {
			struct result r;

			if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
				break;
			total.requests += r.requests;
			total.errors += r.errors;
			if (r.seconds > total.seconds)
				total.seconds = r.seconds;
		}
		while (wait(NULL) > 0)
			;
	}
	printf("requests=%lu seconds=%.3f rate=%.1f errors=%lu\n", total.requests, total.seconds,
	       total.seconds > 0 ? total.requests / total.seconds : 0, total.errors);
	return total.errors ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * sysloop: N write(2)+read(2) pairs of 64 bytes on a UNIX socketpair -- the
 * syscalls authtrace's global tracepoints watch -- for the "untraced
 * processes pay nothing" figure of `make bench`.
 *
 *   sysloop N     prints "ns_per_pair=<CPU ns of this process per pair>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct timespec a, b;
	char buf[64] = "GET / HTTP/1.1\r\n";
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (long i = 0; i < n; i++)
		if (write(sv[0], buf, sizeof(buf)) != sizeof(buf) || read(sv[1], buf, sizeof(buf)) <= 0)
			return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("ns_per_pair=%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}

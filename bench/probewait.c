// SPDX-License-Identifier: MIT
/*
 * probewait: are uprobes live in a process?  Instrumentation-free: a live
 * uprobe is a breakpoint the kernel wrote into the process's copy of the
 * function, so the first byte of each probed function, read through
 * /proc/PID/mem, differs from the file's byte exactly while it is probed.
 *
 *   probewait -p PID [-s live|gone] [-T TIMEOUT_MS]
 *        wait until every probed entry point (the 7 functions authtrace
 *        probes, in every TLS file PID maps) is live (or gone); prints
 *        "ms=<elapsed>" and exits 0, or exits 1 on timeout.
 *   probewait -p PID -o FILE [-T TIMEOUT_MS] -- CMD [ARG...]
 *        attach-latency mode: takes t0, forks, and EXECS CMD in this
 *        process (so the caller's pid is CMD's); the child polls and
 *        writes "first_ms=<first probe live> all_ms=<all live> probes=<entry
 *        points> t0_ns=<t0, CLOCK_MONOTONIC>" to FILE.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsfuncs.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* How many of the known entry points are probed now; -1 if pid is gone. */
static int count_live(int mem, const struct tls_bin *bins, int nb, int *total)
{
	int live = 0;

	*total = 0;
	for (int b = 0; b < nb; b++)
		for (int f = 0; f < TLS_NFUNCS; f++) {
			uint8_t c;

			if (!bins[b].addr[f])
				continue;
			(*total)++;
			if (pread(mem, &c, 1, (off_t)bins[b].addr[f]) != 1)
				return -1;
			live += c != bins[b].orig[f];
		}
	return live;
}

int main(int argc, char **argv)
{
	struct tls_bin bins[TLS_MAX_BINS];
	const char *out = NULL;
	double timeout = 10000, t0, first = -1;
	bool want_live = true;
	char path[64];
	pid_t pid = 0;
	int nb, mem, opt, total;

	while ((opt = getopt(argc, argv, "+p:s:T:o:")) != -1) {
		switch (opt) {
		case 'p': pid = atoi(optarg); break;
		case 's': want_live = strcmp(optarg, "gone") != 0; break;
		case 'T': timeout = atof(optarg); break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	if (pid <= 0) {
		fprintf(stderr, "usage: probewait -p PID [-s live|gone] [-T ms] [-o FILE -- CMD...]\n");
		return 2;
	}
	nb = tls_find(pid, bins, TLS_MAX_BINS);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (nb <= 0 || mem < 0) {
		fprintf(stderr, "probewait: pid %d: no TLS functions found\n", pid);
		return 2;
	}
	t0 = now_ms();
	if (optind < argc) {
		pid_t child;

		if (!out)
			return 2;
		child = fork();
		if (child < 0)
			return 1;
		if (child > 0) {
			execvp(argv[optind], argv + optind);
			perror("probewait: exec");
			_exit(127);
		}
	}
	for (;;) {
		int live = count_live(mem, bins, nb, &total);
		double t = now_ms() - t0;

		if (live < 0)
			return 1;
		if (live > 0 && first < 0)
			first = t;
		if (want_live ? live == total : live == 0) {
			if (out) {
				FILE *f = fopen(out, "w");

				if (!f)
					return 1;
				fprintf(f, "first_ms=%.3f all_ms=%.3f probes=%d t0_ns=%.0f\n", first, t,
					total, t0 * 1e6);
				fclose(f);
			} else {
				printf("ms=%.3f\n", t);
			}
			return 0;
		}
		if (t > timeout)
			return 1;
		usleep(want_live && out ? 500 : 1000);
	}
}

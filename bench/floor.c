// SPDX-License-Identifier: MIT
/*
 * floor: the price of the trap alone, for `make bench`.
 *
 *   floor [-t] [-R] -p PID
 *
 * Attaches EMPTY BPF programs (bench/floor.bpf.c) exactly where authtrace
 * attaches its own: entry uprobes on SSL_write, SSL_write_ex, SSL_read,
 * SSL_read_ex, SSL_do_handshake, SSL_connect, SSL_free and return probes on
 * SSL_read, SSL_read_ex, SSL_do_handshake, SSL_connect, in every file PID
 * maps that defines SSL_write/SSL_write_ex, scoped to PID (as user/probes.c
 * does).  With -t, also an empty program on each of authtrace's tracepoints
 * (global, as authtrace's are).  With -R (a comparison, not authtrace's
 * design): an empty raw tracepoint on sys_enter and on sys_exit, i.e. on
 * every syscall.  Prints "ready N" (N links) once attached;
 * detaches and exits on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "tlsfuncs.h"

/* bpf/authtrace.bpf.c's tracepoints (user/tracer.c attaches all of them) */
static const char *const tracepoints[][2] = {
	{ "sched", "sched_process_exec" },   { "sched", "sched_process_exit" },
	{ "syscalls", "sys_exit_clone" },    { "syscalls", "sys_exit_clone3" },
	{ "syscalls", "sys_exit_fork" },     { "syscalls", "sys_exit_vfork" },
	{ "syscalls", "sys_enter_mmap" },    { "syscalls", "sys_enter_close" },
	{ "syscalls", "sys_enter_write" },   { "syscalls", "sys_enter_writev" },
	{ "syscalls", "sys_enter_sendto" },  { "syscalls", "sys_enter_read" },
	{ "syscalls", "sys_exit_read" },     { "syscalls", "sys_enter_recvfrom" },
	{ "syscalls", "sys_exit_recvfrom" },
};
#define N_TP (sizeof(tracepoints) / sizeof(tracepoints[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* Detach in parallel: each uprobe detach waits out an RCU grace period. */
static void *destroy_link(void *l)
{
	bpf_link__destroy(l);
	return NULL;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[TLS_MAX_BINS * TLS_NFUNCS * 2 + N_TP + 2];
	struct tls_bin bins[TLS_MAX_BINS];
	struct floor_bpf *skel;
	bool with_tp = false, with_raw = false;
	pid_t pid = 0;
	int nl = 0, nb, opt;

	while ((opt = getopt(argc, argv, "tRp:")) != -1) {
		if (opt == 't')
			with_tp = true;
		else if (opt == 'R')
			with_raw = true;
		else if (opt == 'p')
			pid = atoi(optarg);
		else
			return 2;
	}
	if (pid <= 0) {
		fprintf(stderr, "usage: floor [-t] [-R] -p PID\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	libbpf_set_print(quiet);

	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load BPF: %s\n", strerror(errno));
		return 1;
	}
	if (with_tp) {
		for (size_t i = 0; i < N_TP; i++) {
			struct bpf_link *l = bpf_program__attach_tracepoint(skel->progs.empty_tp,
									    tracepoints[i][0],
									    tracepoints[i][1]);
			if (!l) {
				fprintf(stderr, "floor: tracepoint %s/%s: %s\n", tracepoints[i][0],
					tracepoints[i][1], strerror(errno));
				return 1;
			}
			links[nl++] = l;
		}
	}
	if (with_raw) {
		static const char *const raw[] = { "sys_enter", "sys_exit" };

		for (size_t i = 0; i < 2; i++) {
			struct bpf_link *l = bpf_program__attach_raw_tracepoint(skel->progs.empty_raw,
										 raw[i]);
			if (!l) {
				fprintf(stderr, "floor: raw tracepoint %s: %s\n", raw[i], strerror(errno));
				return 1;
			}
			links[nl++] = l;
		}
	}
	nb = tls_find(pid, bins, TLS_MAX_BINS);
	if (nb <= 0) {
		fprintf(stderr, "floor: pid %d maps no TLS library\n", pid);
		return 1;
	}
	for (int b = 0; b < nb; b++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", bins[b].fd);
		for (int f = 0; f < TLS_NFUNCS; f++) {
			if (!bins[b].offset[f])
				continue;
			for (int ret = 0; ret <= (int)tls_func_ret[f]; ret++) {
				LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret);
				struct bpf_link *l = bpf_program__attach_uprobe_opts(
					ret ? skel->progs.empty_uretprobe : skel->progs.empty_uprobe,
					pid, path, bins[b].offset[f], &o);

				if (!l) {
					fprintf(stderr, "floor: uprobe %s: %s\n", tls_func_names[f],
						strerror(errno));
					return 1;
				}
				links[nl++] = l;
			}
		}
	}
	printf("ready %d\n", nl);
	fflush(stdout);
	while (!stop)
		pause();
	{
		pthread_t th[sizeof(links) / sizeof(links[0])];

		for (int i = 0; i < nl; i++)
			if (pthread_create(&th[i], NULL, destroy_link, links[i]))
				th[i] = 0, bpf_link__destroy(links[i]);
		for (int i = 0; i < nl; i++)
			if (th[i])
				pthread_join(th[i], NULL);
	}
	tls_close(bins, nb);
	floor_bpf__destroy(skel);
	return 0;
}

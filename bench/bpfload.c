// SPDX-License-Identifier: MIT
/*
 * bpfload: how long authtrace's BPF side takes to get ready -- the
 * project's own skeleton (build/authtrace.skel.h), opened and loaded as
 * user/tracer.c does, plus the ring buffer's consumer mapping -- for the
 * attach-latency figure of `make bench`.
 *
 *   bpfload [-r RUNS] [-s] [-b BTF]
 *     -s      shrink before load: ring buffer to 4 MiB, hash/LRU maps to
 *             at most 8192 entries (what smaller limits would buy)
 *     -b BTF  CO-RE relocations against BTF (e.g. from `bpftool gen
 *             min_core_btf`) instead of the whole /sys/kernel/btf/vmlinux
 * Prints {"load_ms":..,"ringbuf_ms":..} (medians of RUNS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "authtrace.skel.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *btf = NULL;
	bool shrink = false;
	int runs = 5, opt;
	double load[64], rb[64];

	while ((opt = getopt(argc, argv, "r:sb:")) != -1) {
		switch (opt) {
		case 'r': runs = atoi(optarg); break;
		case 's': shrink = true; break;
		case 'b': btf = optarg; break;
		default: return 2;
		}
	}
	if (runs < 1 || runs > 64)
		return 2;
	libbpf_set_print(quiet);
	for (int r = 0; r < runs; r++) {
		LIBBPF_OPTS(bpf_object_open_opts, o, .btf_custom_path = btf);
		struct authtrace_bpf *s;
		struct ring_buffer *ring;
		struct bpf_map *m;
		double t0 = now_ms(), t1;

		s = authtrace_bpf__open_opts(&o);
		if (!s)
			return 1;
		if (shrink)
			bpf_object__for_each_map(m, s->obj) {
				enum bpf_map_type type = bpf_map__type(m);

				if (type == BPF_MAP_TYPE_RINGBUF && bpf_map__max_entries(m) > (4u << 20))
					bpf_map__set_max_entries(m, 4u << 20);
				else if ((type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH) &&
					 bpf_map__max_entries(m) > 8192)
					bpf_map__set_max_entries(m, 8192);
			}
		if (authtrace_bpf__load(s)) {
			fprintf(stderr, "bpfload: load failed\n");
			return 1;
		}
		t1 = now_ms();
		ring = ring_buffer__new(bpf_map__fd(s->maps.events), NULL, NULL, NULL);
		rb[r] = now_ms() - t1;
		load[r] = t1 - t0;
		ring_buffer__free(ring);
		authtrace_bpf__destroy(s);
	}
	qsort(load, (size_t)runs, sizeof(double), cmp);
	qsort(rb, (size_t)runs, sizeof(double), cmp);
	printf("{\"load_ms\":%.1f,\"ringbuf_ms\":%.1f,\"shrunk\":%s,\"btf\":\"%s\"}\n", load[runs / 2],
	       rb[runs / 2], shrink ? "true" : "false", btf ? "minimized" : "vmlinux");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for `make bench`: EMPTY programs.  bench/floor.c attaches them
 * at exactly the places authtrace attaches its own (same functions, same
 * pid scoping for uprobes, same tracepoints), so what a traced process
 * pays under this loader is the price of the trap alone.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int empty_uprobe(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int empty_uretprobe(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int empty_tp(void *ctx)
{
	return 0;
}

/* For comparison only (floor -R): raw tracepoints on every syscall's entry and exit. */
SEC("raw_tracepoint")
int empty_raw(void *ctx)
{
	return 0;
}

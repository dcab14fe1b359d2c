/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for elfsym_resolve_fd: the input is an arbitrary file
 * image.  It is written to a memfd (the resolver wants a real fd it can
 * mmap) and resolved with the same queries the probe loader uses, plus a
 * name that only exists in .symtab of the seeds, so both tables get walked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "elfsym.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

static int input_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	input_fd = memfd_create("fuzz_elfsym", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	return 0;
}

/* Replace the memfd's contents with exactly the input bytes. */
static void load_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(input_fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(input_fd, data + done, size - done,
				   (off_t)done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfsym_query q[] = {
		{ .name = "SSL_write" },   { .name = "SSL_write_ex" },
		{ .name = "SSL_read" },    { .name = "SSL_read_ex" },
		{ .name = "local_helper" }, { .name = "" },
	};
	size_t nq = sizeof(q) / sizeof(q[0]);
	int ret;

	load_input(data, size);
	ret = elfsym_resolve_fd(input_fd, q, nq);
	if (ret > (int)nq)
		abort();
	for (size_t i = 0; i < nq; i++) {
		/* A found symbol's offset must lie inside the file. */
		if (q[i].found && q[i].offset >= size)
			abort();
	}
	return 0;
}

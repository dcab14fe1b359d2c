/* SPDX-License-Identifier: MIT */
/* Command-line options. */
#ifndef AUTHTRACE_CLI_H
#define AUTHTRACE_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "request.h"

/* Exit statuses (README.md, "Exit status"). */
#define EXIT_OK        0
#define EXIT_RUNTIME   1   /* privileges, kernel, target gone, output failed */
#define EXIT_USAGE     2   /* bad options, unreadable/malformed file arguments */
#define EXIT_FINDINGS  3   /* findings at or above --fail-on */

#define CLI_MAX_PIDS 64
#define CLI_MAX_LIBS 16

enum fail_on { FAIL_ON_DEFAULT = 0, FAIL_ON_ERROR, FAIL_ON_WARNING, FAIL_ON_NEVER };

struct options {
	pid_t pids[CLI_MAX_PIDS];
	int n_pids;
	char **command;          /* argv after "--", NULL-terminated; NULL if none */
	bool json;
	const char *output_path;
	enum fail_on fail_on;
	const char *rules_path;
	double duration;         /* seconds, 0 = unlimited */
	const char *libs[CLI_MAX_LIBS];
	int n_libs;
	bool no_follow;
	/* fleet mode */
	bool all;
	const char *filter_comm;
	const char *filter_exe;
	const char *filter_cgroup;
	long filter_uid;         /* -1: any */
	int filter_api;          /* enum api_family + 1; 0: any */
	unsigned long long rotate_bytes;  /* --rotate SIZE,COUNT; 0: none */
	unsigned rotate_count;
	double stats_interval;   /* --stats SEC; 0: none */
	int verbosity;           /* -1 quiet, 0 normal, 1+ verbose */
	bool help, version;
};

/*
 * Parse argv.  On error writes one line to errbuf and returns false
 * (exit EXIT_USAGE).  Never prints.
 */
bool cli_parse(int argc, char **argv, struct options *opt, char *errbuf, size_t errlen);

void cli_usage(FILE *f);

/* The severity at which findings fail the run, or -1 for never. */
int cli_fail_threshold(const struct options *opt);

#endif

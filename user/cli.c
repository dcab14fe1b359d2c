// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"

enum {
	OPT_FAIL_ON = 1000, OPT_RULES, OPT_DURATION, OPT_LIB, OPT_NO_FOLLOW, OPT_ALL, OPT_COMM,
	OPT_EXE, OPT_CGROUP, OPT_UID, OPT_API, OPT_ROTATE, OPT_STATS
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "lib", required_argument, NULL, OPT_LIB },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "api", required_argument, NULL, OPT_API },
	{ "rotate", required_argument, NULL, OPT_ROTATE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("usage: authtrace [OPTIONS] -p PID[,PID...]\n"
	      "       authtrace [OPTIONS] -- COMMAND [ARG...]\n"
	      "       authtrace [OPTIONS] --all [FILTERS]\n"
	      "Show, live, which credentials each HTTP request of a process carries\n"
	      "(kind and fingerprint, never the value).\n\n"
	      "  -p, --pid PID[,PID...]  attach to running processes (and their new children)\n"
	      "  -- COMMAND [ARG...]     run COMMAND under trace; it starts once probes are in\n"
	      "  -j, --json              NDJSON events instead of the human view\n"
	      "  -o, --output FILE       write events to FILE (created mode 0600) instead of stdout\n"
	      "      --fail-on LEVEL     error | warning | never: exit 3 on findings at LEVEL or above\n"
	      "                          (default: error with COMMAND, never with -p)\n"
	      "      --rules FILE        extra or overriding rules (JSON)\n"
	      "      --duration SEC      stop after SEC seconds\n"
	      "      --lib PATH          also probe this library or executable\n"
	      "      --no-follow         do not trace children\n"
	      "      --all               every process on the host, including ones started later\n"
	      "      --comm NAME         --all: only processes with this comm\n"
	      "      --exe PATH          --all: only processes running this executable\n"
	      "      --cgroup PATH       --all: only processes in this cgroup (v2 directory)\n"
	      "      --uid UID           --all: only processes of this user\n"
	      "      --api FAMILY        only requests to this API family (anthropic, bedrock, ...)\n"
	      "      --rotate SIZE,COUNT rotate -o FILE at SIZE bytes (K/M/G), keep COUNT old files\n"
	      "      --stats SEC         a stats event every SEC seconds\n"
	      "  -q, --quiet             only errors on stderr\n"
	      "  -v, --verbose           more diagnostics on stderr (repeat for libbpf's)\n"
	      "  -h, --help              this help\n"
	      "  -V, --version           version\n\n"
	      "exit: 0 ok, 1 runtime failure, 2 usage, 3 findings at/above --fail-on;\n"
	      "      with COMMAND, the command's own non-zero status wins.\n",
	      f);
}

static bool parse_pid_list(const char *arg, struct options *opt, char *err, size_t errlen)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > INT_MAX || (*end && *end != ',')) {
			snprintf(err, errlen, "-p: \"%s\" is not a list of process ids", arg);
			return false;
		}
		if (opt->n_pids >= CLI_MAX_PIDS) {
			snprintf(err, errlen, "-p: at most %d process ids", CLI_MAX_PIDS);
			return false;
		}
		opt->pids[opt->n_pids++] = (pid_t)v;
		p = *end ? end + 1 : end;
	}
	if (opt->n_pids == 0) {
		snprintf(err, errlen, "-p: no process id given");
		return false;
	}
	return true;
}

static bool parse_fail_on(const char *arg, struct options *opt, char *err, size_t errlen)
{
	if (strcmp(arg, "error") == 0)
		opt->fail_on = FAIL_ON_ERROR;
	else if (strcmp(arg, "warning") == 0)
		opt->fail_on = FAIL_ON_WARNING;
	else if (strcmp(arg, "never") == 0)
		opt->fail_on = FAIL_ON_NEVER;
	else {
		snprintf(err, errlen, "--fail-on: expected error, warning or never, not \"%s\"", arg);
		return false;
	}
	return true;
}

/* "100M,5": size with an optional K/M/G suffix, and how many rotated files to keep. */
static bool parse_rotate(const char *arg, struct options *opt, char *err, size_t errlen)
{
	unsigned long long size;
	unsigned long count;
	unsigned shift = 0;
	char *end;

	if (*arg < '0' || *arg > '9')   /* strtoull takes "-1" as 2^64-1 */
		goto bad;
	errno = 0;
	size = strtoull(arg, &end, 10);
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (errno || end == arg || *end != ',' || size > (ULLONG_MAX >> shift))
		goto bad;
	size <<= shift;
	if (size < 4096)
		goto bad;
	arg = end + 1;
	count = strtoul(arg, &end, 10);
	if (end == arg || *end || count < 1 || count > 1000)
		goto bad;
	opt->rotate_bytes = size;
	opt->rotate_count = (unsigned)count;
	return true;
bad:
	snprintf(err, errlen, "--rotate: expected SIZE,COUNT like 100M,5 (SIZE >= 4K, 1 <= COUNT <= 1000)");
	return false;
}

static bool parse_api(const char *arg, struct options *opt, char *err, size_t errlen)
{
	for (int f = API_UNKNOWN + 1; f < API_FAMILY_COUNT; f++) {
		if (strcmp(arg, api_family_name((enum api_family)f)) == 0) {
			opt->filter_api = f + 1;
			return true;
		}
	}
	snprintf(err, errlen, "--api: unknown API family \"%s\" (anthropic, bedrock, vertex, foundry, "
		 "claude-platform-aws, openai, azure-openai)", arg);
	return false;
}

static bool parse_seconds(const char *opt_name, const char *arg, double *out, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (end == arg || *end || errno || !(*out > 0) || *out > 1e9) {
		snprintf(err, errlen, "%s: expected a positive number of seconds, not \"%s\"", opt_name, arg);
		return false;
	}
	return true;
}

static bool parse_duration(const char *arg, struct options *opt, char *err, size_t errlen)
{
	return parse_seconds("--duration", arg, &opt->duration, err, errlen);
}

bool cli_parse(int argc, char **argv, struct options *opt, char *err, size_t errlen)
{
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->filter_uid = -1;
	optind = 0;   /* 0, not 1: glibc's full reset (a scan left inside "-hj" is forgotten) */
	opterr = 0;
	/*
	 * '+': stop at the first non-option so COMMAND's own options stay its own;
	 * ':': a missing value comes back as ':', not as an unknown option
	 */
	while ((c = getopt_long(argc, argv, "+:p:jo:qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pid_list(optarg, opt, err, errlen))
				return false;
			break;
		case 'j':
			opt->json = true;
			break;
		case 'o':
			opt->output_path = optarg;
			break;
		case OPT_FAIL_ON:
			if (!parse_fail_on(optarg, opt, err, errlen))
				return false;
			break;
		case OPT_RULES:
			opt->rules_path = optarg;
			break;
		case OPT_DURATION:
			if (!parse_duration(optarg, opt, err, errlen))
				return false;
			break;
		case OPT_LIB:
			if (opt->n_libs >= CLI_MAX_LIBS) {
				snprintf(err, errlen, "--lib: at most %d libraries", CLI_MAX_LIBS);
				return false;
			}
			opt->libs[opt->n_libs++] = optarg;
			break;
		case OPT_NO_FOLLOW:
			opt->no_follow = true;
			break;
		case OPT_ALL:
			opt->all = true;
			break;
		case OPT_COMM:
			if (strlen(optarg) == 0 || strlen(optarg) > 15) {
				snprintf(err, errlen, "--comm: a process name of 1 to 15 characters");
				return false;
			}
			opt->filter_comm = optarg;
			break;
		case OPT_EXE:
			opt->filter_exe = optarg;
			break;
		case OPT_CGROUP:
			opt->filter_cgroup = optarg;
			break;
		case OPT_UID: {
			char *end;

			errno = 0;
			opt->filter_uid = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || opt->filter_uid < 0 ||
			    opt->filter_uid >= 0xffffffffL) {
				snprintf(err, errlen, "--uid: expected a numeric user id, not \"%s\"", optarg);
				return false;
			}
			break;
		}
		case OPT_API:
			if (!parse_api(optarg, opt, err, errlen))
				return false;
			break;
		case OPT_ROTATE:
			if (!parse_rotate(optarg, opt, err, errlen))
				return false;
			break;
		case OPT_STATS:
			if (!parse_seconds("--stats", optarg, &opt->stats_interval, err, errlen))
				return false;
			break;
		case 'q':
			opt->verbosity = -1;
			break;
		case 'v':
			opt->verbosity = opt->verbosity < 0 ? 1 : opt->verbosity + 1;
			break;
		case 'h':
			opt->help = true;
			return true;
		case 'V':
			opt->version = true;
			return true;
		case ':':
			snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
			return false;
		default:
			/* a long option (or its "=value") is named as written; optopt is its enum */
			if (strncmp(argv[optind - 1], "--", 2) == 0 && strchr(argv[optind - 1], '='))
				snprintf(err, errlen, "option %.*s takes no value (see --help)",
					 (int)(strchr(argv[optind - 1], '=') - argv[optind - 1]),
					 argv[optind - 1]);
			else if (optopt > 0 && optopt < 128 && argv[optind - 1][1] != '-')
				snprintf(err, errlen, "unknown option -%c (see --help)", optopt);
			else
				snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
			return false;
		}
	}
	if (optind < argc) {
		/* getopt_long already consumed a literal "--" */
		if (strcmp(argv[optind - 1], "--") != 0) {
			snprintf(err, errlen, "unexpected argument \"%s\" (put a command after --)",
				 argv[optind]);
			return false;
		}
		opt->command = &argv[optind];
	}
	if (!opt->command && opt->n_pids == 0 && !opt->all) {
		snprintf(err, errlen, "nothing to trace: give -p PID, -- COMMAND or --all (see --help)");
		return false;
	}
	if ((opt->command != NULL) + (opt->n_pids > 0) + opt->all > 1) {
		snprintf(err, errlen, "give one of -p, -- COMMAND and --all");
		return false;
	}
	if (!opt->all && (opt->filter_comm || opt->filter_exe || opt->filter_cgroup ||
			  opt->filter_uid >= 0)) {
		snprintf(err, errlen, "--comm, --exe, --cgroup and --uid select processes for --all");
		return false;
	}
	if (opt->rotate_bytes && !opt->output_path) {
		snprintf(err, errlen, "--rotate needs -o FILE");
		return false;
	}
	return true;
}

int cli_fail_threshold(const struct options *opt)
{
	switch (opt->fail_on) {
	case FAIL_ON_ERROR:
		return SEV_ERROR;
	case FAIL_ON_WARNING:
		return SEV_WARNING;
	case FAIL_ON_NEVER:
		return -1;
	default:
		return opt->command ? SEV_ERROR : -1;
	}
}

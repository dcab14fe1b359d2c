// SPDX-License-Identifier: MIT
/*
 * authtrace: CLI and event loop.
 *
 *   sudo authtrace -p PID[,PID...]
 *   sudo authtrace -- COMMAND [ARG...]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "outq.h"
#include "privs.h"
#include "rules.h"
#include "targets.h"
#include "tracer.h"

#ifndef AUTHTRACE_VERSION
#define AUTHTRACE_VERSION "0.1.0"
#endif

#define POLL_MS 100
#define COMMAND_GRACE_SEC 3.0  /* after SIGTERM, how long to wait for COMMAND */

static volatile sig_atomic_t got_signal, got_hangup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hangup = 1;  /* logrotate: reopen -o FILE */
	else
		got_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed stdout is a write error we report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
}

/* -o FILE, checked: with --rotate appended to (rotation starts new files), else truncated. */
static int open_output(const char *path, bool append)
{
	int fd = outq_open_file(path, append);
	struct stat st;

	if (fd < 0) {
		log_error("cannot write %s: %s", path,
			  errno == ELOOP ? "it is a symbolic link (refused)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		log_error("cannot write %s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * --rules FILE may be a symbolic link only if root or the caller owns it:
 * another user's link could make root read a file of that user's choosing.
 */
static bool rules_path_trusted(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return true;  /* not a link (or missing: the loader says so) */
	if (st.st_uid == 0 || st.st_uid == getuid())
		return true;
	log_error("--rules %s: a symbolic link owned by another user (uid %u): refused", path,
		  (unsigned)st.st_uid);
	return false;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* COMMAND mode: reap the command; returns true once it has exited. */
static bool command_exited(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);

	return r == pid || (r < 0 && errno == ECHILD);
}

static int command_exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNTIME;
}

struct run_state {
	double deadline;         /* --duration, 0 = none */
	double grace_deadline;   /* COMMAND: give up waiting after SIGTERM */
	int command_status;
	bool command_done;
};

/* One pass of bookkeeping between polls; sets t->stop when the run is over. */
static void check_run(struct tracer *t, struct run_state *rs)
{
	double now = now_sec();

	if (t->command_pid && !rs->command_done &&
	    command_exited(t->command_pid, &rs->command_status)) {
		rs->command_done = true;
		t->stop = true;
	}
	if (got_hangup) {
		got_hangup = 0;
		outq_reopen(t->col.out.q);
	}
	if (got_signal) {
		int sig = got_signal;

		got_signal = 0;
		if (t->command_pid && !rs->command_done) {
			/* Ctrl-C reached the command through the terminal; SIGTERM may not have */
			if (sig != SIGINT)
				kill(t->command_pid, SIGTERM);
			if (!rs->grace_deadline)
				rs->grace_deadline = now + COMMAND_GRACE_SEC;
		} else {
			t->stop = true;
		}
	}
	if (rs->grace_deadline && now >= rs->grace_deadline)
		t->stop = true;
	if (rs->deadline && now >= rs->deadline)
		t->stop = true;
}

static int run(struct tracer *t, const struct options *opt)
{
	struct run_state rs = { 0 };
	double next_loss_check = now_sec() + 1.0;
	double next_stats = opt->stats_interval > 0 ? now_sec() + opt->stats_interval : 0;

	if (opt->duration > 0)
		rs.deadline = now_sec() + opt->duration;
	while (!t->stop) {
		if (tracer_poll(t, POLL_MS) < 0) {
			log_error("reading events failed: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		if (output_error(&t->col.out))
			break;
		if (now_sec() >= next_loss_check) {
			bool stats = next_stats && now_sec() >= next_stats;

			tracer_report_losses(t);
			tracer_tick(t, stats);
			if (stats)
				next_stats = now_sec() + opt->stats_interval;
			next_loss_check = now_sec() + 1.0;
		}
		check_run(t, &rs);
	}
	tracer_finish(t);

	if (rs.command_done && command_exit_status(rs.command_status) != 0)
		return command_exit_status(rs.command_status);
	{
		int threshold = cli_fail_threshold(opt);

		if (threshold >= 0 && summary_findings_at_least(&t->col.summary, threshold) > 0)
			return EXIT_FINDINGS;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct tracer *t;
	char err[512];
	int out_fd = STDOUT_FILENO, werr;
	struct outq *out;
	struct rules *rules;
	int status;

	privs_no_core();
	if (!cli_parse(argc, argv, &opt, err, sizeof(err))) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	if (opt.help) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (opt.version) {
		printf("authtrace %s\n", AUTHTRACE_VERSION);
		return EXIT_OK;
	}
	log_set_level(opt.verbosity < 0 ? LOG_QUIET : opt.verbosity == 0 ? LOG_WARN
			: (enum log_level)(LOG_INFO + opt.verbosity - 1));

	/* bad file arguments are usage errors, reported before anything privileged */
	rules = rules_new_default(err, sizeof(err));
	if (!rules) {
		log_error("built-in rules: %s", err);
		return EXIT_RUNTIME;
	}
	if (opt.rules_path && !rules_path_trusted(opt.rules_path)) {
		rules_free(rules);
		return EXIT_USAGE;
	}
	if (opt.rules_path && rules_load_file(rules, opt.rules_path, err, sizeof(err)) != 0) {
		log_error("%s", err);
		rules_free(rules);
		return EXIT_USAGE;
	}
	if (opt.output_path) {
		out_fd = open_output(opt.output_path, opt.rotate_bytes > 0);
		if (out_fd < 0) {
			rules_free(rules);
			return EXIT_USAGE;
		}
	}
	out = outq_new(out_fd, opt.output_path, opt.rotate_bytes, opt.rotate_count);
	if (!out) {
		log_error("cannot start the output writer: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	install_signals();

	t = calloc(1, sizeof(*t));
	if (!t) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	status = tracer_start(t, &opt, rules, out, isatty(out_fd));
	if (status == EXIT_OK)
		status = opt.command ? targets_spawn(t, opt.command)
		       : opt.all   ? targets_attach_all(t)
				   : targets_attach_pids(t);
	if (status == EXIT_OK) {
		/* COMMAND has its own copy of our privileges already; we keep only what tracing needs */
		int err_drop = privs_drop();

		if (err_drop)
			log_warn("cannot drop capabilities: %s", strerror(-err_drop));
		status = run(t, &opt);
	}
	else if (t->command_pid)
		kill(t->command_pid, SIGKILL);  /* never leave it waiting to be traced */
	tracer_close(t);
	free(t);
	rules_free(rules);
	/* everything queued is written before the exit status is decided */
	werr = outq_finish(out);
	if (werr == EPIPE)
		return EXIT_OK;  /* a reader that went away (| head -1) is a normal end */
	if (werr) {
		log_error("cannot write events: %s", strerror(werr));
		return EXIT_RUNTIME;
	}
	return status;
}

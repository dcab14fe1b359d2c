// SPDX-License-Identifier: MIT
#include "targets.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probes.h"
#include "tracer.h"

/* Attach pid's uprobes, then let it run if the kernel side stopped it. */
static void attach_and_resume(struct tracer *t, pid_t pid, bool stopped)
{
	int n = probes_attach_pid(t->probes, pid);

	if (n < 0 && n != -ESRCH)
		log_warn("pid %d: cannot attach probes: %s", pid, strerror(-n));
	if (stopped && kill(pid, SIGCONT) != 0 && errno != ESRCH)
		log_warn("pid %d: cannot resume it: %s", pid, strerror(errno));
}

void targets_on_exec(struct tracer *t, pid_t pid, bool stopped)
{
	/* the old image's connections are gone with it */
	conn_drop_pid(t->col.conns, pid);
	if (t->opt->all) {
		/* every exec on the host: read its facts only when it makes a request */
		proc_forget(t->col.procs, pid);
		if (stopped)
			attach_and_resume(t, pid, stopped);
		return;
	}
	proc_refresh(t->col.procs, pid);
	attach_and_resume(t, pid, stopped);
}

void targets_on_fork(struct tracer *t, pid_t child, pid_t parent, bool stopped)
{
	t->n_live++;
	proc_refresh(t->col.procs, child);
	attach_and_resume(t, child, stopped);
	log_debug("following pid %d (child of %d)", child, parent);
}

void targets_on_mmap(struct tracer *t, pid_t pid, int fd, uint64_t ino, bool stopped)
{
	int n = probes_attach_fd(t->probes, pid, fd, ino);

	if (n < 0 && n != -ESRCH && n != -ENOENT)
		log_debug("pid %d: cannot examine fd %d: %s", pid, fd, strerror(-n));
	if (stopped && kill(pid, SIGCONT) != 0 && errno != ESRCH)
		log_warn("pid %d: cannot resume it: %s", pid, strerror(errno));
}

void targets_on_exit(struct tracer *t, pid_t pid)
{
	probes_detach_pid(t->probes, pid);
	conn_drop_pid(t->col.conns, pid);
	proc_forget(t->col.procs, pid);
	if (t->n_live > 0)
		t->n_live--;
	/* with -p, authtrace is done when every traced process is gone */
	if (!t->command_pid && !t->opt->all && t->n_live == 0)
		t->stop = true;
}

/*
 * The child blocks on go[0] until its pid is in the traced map, so its
 * exec is seen (and stopped) by the kernel side.  An exec failure comes
 * back through the close-on-exec pipe err[].
 */
int targets_spawn(struct tracer *t, char *const argv[])
{
	int go[2], err[2], child_errno = 0;
	char byte = 1;
	ssize_t n;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		log_error("cannot create a pipe: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	pid = fork();
	if (pid < 0) {
		log_error("cannot fork: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		close(go[1]);
		close(err[0]);
		signal(SIGPIPE, SIG_DFL);  /* ignored dispositions survive exec */
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(err[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	t->command_pid = pid;
	proc_refresh(t->col.procs, pid);
	if (tracer_add_pid(t, pid) != 0) {
		log_error("cannot trace the command: %s", strerror(errno));
		kill(pid, SIGKILL);
		return EXIT_RUNTIME;
	}
	if (write(go[1], &byte, 1) != 1)
		log_warn("cannot start the command: %s", strerror(errno));
	close(go[1]);
	n = read(err[0], &child_errno, sizeof(child_errno));
	close(err[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		log_error("cannot run %s: %s", argv[0], strerror(child_errno));
		return 127;
	}
	return EXIT_OK;
}

static bool pid_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int targets_attach_pids(struct tracer *t)
{
	const struct options *opt = t->opt;
	int with_tls = 0;

	for (int i = 0; i < opt->n_pids; i++) {
		if (!pid_exists(opt->pids[i])) {
			log_error("pid %d: no such process", opt->pids[i]);
			return EXIT_RUNTIME;
		}
	}
	for (int i = 0; i < opt->n_pids; i++) {
		pid_t pid = opt->pids[i];
		char searched[160];
		int n;

		/* in the traced map first, so children forked meanwhile are followed */
		if (tracer_add_pid(t, pid) != 0) {
			log_error("pid %d: cannot trace it: %s", pid, strerror(errno));
			return EXIT_RUNTIME;
		}
		proc_refresh(t->col.procs, pid);
		n = probes_attach_pid(t->probes, pid);
		if (n == -ESRCH) {
			log_error("pid %d: exited while authtrace was attaching", pid);
			return EXIT_RUNTIME;
		}
		if (probes_pid_maps_tls(t->probes, pid)) {
			with_tls++;
			continue;
		}
		probes_describe_search(t->probes, pid, searched, sizeof(searched));
		log_warn("pid %d: no TLS library mapped (%s); its requests show only if it loads "
			 "libssl later, or with --lib PATH if it has OpenSSL under another name",
			 pid, searched);
	}
	if (with_tls == 0 && opt->no_follow) {
		log_error("no TLS library in any traced process and --no-follow is set: "
			  "nothing to trace (try --lib PATH)");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * --all: probe the TLS code every running process has mapped, once per
 * file, for every process.  Processes started later, and files mapped
 * later, are examined when the kernel side reports them.
 */
int targets_attach_all(struct tracer *t)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	unsigned processes = 0;

	if (!proc) {
		log_error("cannot read /proc: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	probes_set_global(t->probes);
	while ((d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		if (probes_attach_pid(t->probes, (pid_t)pid) >= 0)
			processes++;
	}
	closedir(proc);
	log_info("--all: examined %u processes, %zu probes attached", processes,
		 probes_link_count(t->probes));
	return EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/*
 * Facts about traced processes (parent, executable) for the report.  Read
 * from /proc when a process is first seen, exec'd or forked, while it is
 * still there: a short-lived client may be gone by the time its last
 * request is printed.
 */
#ifndef AUTHTRACE_PROC_H
#define AUTHTRACE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_EXE_MAX 256
#define PROC_CMDLINE_MAX 512
#define PROC_CGROUP_MAX 256
#define PROC_CONTAINER_MAX 65

struct proc_info {
	uint64_t version;                   /* new each time the facts are read: caches compare it */
	pid_t pid;
	pid_t ppid;
	char comm[17];                      /* /proc/PID/comm when read: an exec changes it */
	char exe[PROC_EXE_MAX];             /* readlink of /proc/PID/exe, "" if unknown */
	char cmdline[PROC_CMDLINE_MAX];     /* arguments joined by spaces, secrets redacted */
	char cgroup[PROC_CGROUP_MAX];       /* cgroup v2 path, "" if unknown */
	char container[PROC_CONTAINER_MAX]; /* container id from the cgroup path, "" if none */
};

/*
 * Redact the values of --*key*, --*token*, --*secret*, --*password* arguments
 * ("--api-key=V" and "--api-key V") in a NUL-separated argv of len bytes,
 * writing a space-joined, printable line into out.
 */
void proc_format_cmdline(const char *argv, size_t len, char *out, size_t out_len);

/* The container id a cgroup path names (docker, containerd, cri-o, podman), or false. */
bool proc_container_id(const char *cgroup, char out[PROC_CONTAINER_MAX]);

struct proc_table;

struct proc_table *proc_table_new(void);
void proc_table_free(struct proc_table *t);

/*
 * Info for pid, read from /proc on first use; an exec (reported in every
 * mode) makes targets.c refresh or forget it.  Never NULL.
 */
const struct proc_info *proc_get(struct proc_table *t, pid_t pid);

/* Re-read pid's facts now (after exec, or when first told about it). */
const struct proc_info *proc_refresh(struct proc_table *t, pid_t pid);

void proc_forget(struct proc_table *t, pid_t pid);

/* Read a process's parent pid from /proc/PID/stat; -1 if gone. */
pid_t proc_read_ppid(pid_t pid);

#endif

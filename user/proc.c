// SPDX-License-Identifier: MIT
#include "proc.h"

#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROC_BUCKETS 1024

struct proc_node {
	struct proc_info info;
	struct proc_node *next;
};

struct proc_table {
	struct proc_node *buckets[PROC_BUCKETS];
};

struct proc_table *proc_table_new(void)
{
	return calloc(1, sizeof(struct proc_table));
}

void proc_table_free(struct proc_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < PROC_BUCKETS; i++) {
		struct proc_node *n = t->buckets[i];

		while (n) {
			struct proc_node *next = n->next;

			free(n);
			n = next;
		}
	}
	free(t);
}

pid_t proc_read_ppid(pid_t pid)
{
	char path[64], buf[512];
	const char *rparen;
	FILE *f;
	size_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: the last ')' ends it */
	rparen = strrchr(buf, ')');
	if (!rparen || sscanf(rparen + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static bool ci_contains(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (strncasecmp(hay + i, needle, nl) == 0)
			return true;
	return false;
}

/* An option whose value is a secret: --api-key, --token, --client-secret, --password... */
static bool is_secret_option(const char *arg, size_t name_len)
{
	static const char *const words[] = { "key", "token", "secret", "password", "passwd",
					     "credential", "auth" };

	if (name_len < 3 || arg[0] != '-')
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ci_contains(arg, name_len, words[i]))
			return true;
	return false;
}

static void append(char *out, size_t out_len, size_t *used, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *used + 1 < out_len; i++) {
		unsigned char c = (unsigned char)s[i];

		out[(*used)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[*used] = '\0';
}

void proc_format_cmdline(const char *argv, size_t len, char *out, size_t out_len)
{
	static const char mark[] = "[redacted]";
	bool redact_next = false;
	size_t used = 0, i = 0;

	out[0] = '\0';
	while (i < len) {
		const char *arg = argv + i;
		size_t n = strnlen(arg, len - i);
		const char *eq = memchr(arg, '=', n);

		if (used)
			append(out, out_len, &used, " ", 1);
		if (redact_next) {
			append(out, out_len, &used, mark, sizeof(mark) - 1);
			redact_next = false;
		} else if (eq && is_secret_option(arg, (size_t)(eq - arg))) {
			append(out, out_len, &used, arg, (size_t)(eq - arg) + 1);
			append(out, out_len, &used, mark, sizeof(mark) - 1);
		} else {
			append(out, out_len, &used, arg, n);
			redact_next = !eq && is_secret_option(arg, n);
		}
		i += n + 1;
	}
}

/* 64 hex digits, the length of docker/containerd/cri-o/podman ids. */
static bool hex64_at(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return !isxdigit((unsigned char)s[64]);
}

bool proc_container_id(const char *cgroup, char out[PROC_CONTAINER_MAX])
{
	/* ".../docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope",
	 * "libpod-<id>.scope", "/docker/<id>", "/kubepods/.../<id>" */
	for (const char *p = cgroup; *p; p++) {
		if ((p == cgroup || p[-1] == '/' || p[-1] == '-') && strlen(p) >= 64 && hex64_at(p)) {
			memcpy(out, p, 64);
			out[64] = '\0';
			return true;
		}
	}
	out[0] = '\0';
	return false;
}

static void read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "re");

	*len = 0;
	if (!f)
		return;
	*len = fread(buf, 1, cap, f);
	fclose(f);
}

static void read_cgroup(struct proc_info *info, pid_t pid)
{
	char path[64], buf[1024];
	const char *line;
	size_t len;

	info->cgroup[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	read_file(path, buf, sizeof(buf) - 1, &len);
	buf[len] = '\0';
	/* cgroup v2: the "0::/path" line */
	line = strstr(buf, "0::");
	if (line && (line == buf || line[-1] == '\n')) {
		size_t n = strcspn(line + 3, "\n");

		snprintf(info->cgroup, sizeof(info->cgroup), "%.*s", (int)n, line + 3);
	}
	proc_container_id(info->cgroup, info->container);
}

static uint64_t last_version;

static void read_info(struct proc_info *info, pid_t pid)
{
	char path[64], argv[4096];
	size_t len;
	ssize_t n;

	info->version = ++last_version;
	info->pid = pid;
	info->ppid = proc_read_ppid(pid);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_file(path, info->comm, sizeof(info->comm) - 1, &len);
	info->comm[len] = '\0';
	info->comm[strcspn(info->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, info->exe, sizeof(info->exe) - 1);
	info->exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	read_file(path, argv, sizeof(argv), &len);
	proc_format_cmdline(argv, len, info->cmdline, sizeof(info->cmdline));
	/* a key passed as an argument (curl -H "x-api-key: ...", python -c '...') */
	redact_credentials(info->cmdline, sizeof(info->cmdline));
	read_cgroup(info, pid);
}

static struct proc_node **slot(struct proc_table *t, pid_t pid)
{
	struct proc_node **pp = &t->buckets[(unsigned)pid % PROC_BUCKETS];

	while (*pp && (*pp)->info.pid != pid)
		pp = &(*pp)->next;
	return pp;
}

const struct proc_info *proc_refresh(struct proc_table *t, pid_t pid)
{
	struct proc_node **pp = slot(t, pid);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp) {
			static struct proc_info unknown;

			unknown.version = ++last_version;
			unknown.pid = pid;
			unknown.ppid = -1;
			return &unknown;
		}
	}
	read_info(&(*pp)->info, pid);
	return &(*pp)->info;
}

const struct proc_info *proc_get(struct proc_table *t, pid_t pid)
{
	struct proc_node **pp = slot(t, pid);

	return *pp ? &(*pp)->info : proc_refresh(t, pid);
}

void proc_forget(struct proc_table *t, pid_t pid)
{
	struct proc_node **pp = slot(t, pid);
	struct proc_node *n = *pp;

	if (n) {
		*pp = n->next;
		free(n);
	}
}

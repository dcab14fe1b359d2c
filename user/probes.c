// SPDX-License-Identifier: MIT
/*
 * Finding TLS code and attaching uprobes to it, per traced process.
 *
 * Paths in /proc/PID/maps are written by (possibly hostile) processes and
 * may name files in another mount namespace, deleted files or symlinks.  We
 * never open them by name: mapped files are opened through the kernel's own
 * /proc/PID/map_files/ link and checked against the inode the maps line
 * reports, system libraries are opened inside the process's root with
 * RESOLVE_IN_ROOT, and the uprobe is attached through /proc/self/fd/N, so
 * the probed inode is exactly the one whose symbols we read.
 */
#include "probes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "authtrace.h"
#include "authtrace.skel.h"
#include "bunlocate.h"
#include "elfsym.h"
#include "log.h"
#include "reaper.h"
#include "stripped.h"

/* The functions we probe, in the order of struct tls_binary.offset[]. */
enum tls_func {
	TLS_SSL_WRITE, TLS_SSL_WRITE_EX, TLS_SSL_READ, TLS_SSL_READ_EX,
	TLS_SSL_DO_HANDSHAKE, TLS_SSL_CONNECT, TLS_SSL_FREE, TLS_FUNC_COUNT
};
static const char *const tls_func_names[TLS_FUNC_COUNT] = {
	"SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex",
	"SSL_do_handshake", "SSL_connect", "SSL_free",
};

/* Symbol lookup result for one file version, cached across processes. */
struct tls_binary {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	bool has_tls;
	uint64_t offset[TLS_FUNC_COUNT]; /* 0 = not defined */
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

/* What is attached for one traced process. */
struct pid_probes {
	pid_t pid;
	struct bpf_link **links;
	size_t n_links, cap_links;
	struct file_id *seen;    /* files already examined for this pid */
	size_t n_seen, cap_seen;
	unsigned mapped_examined;
	unsigned tls_files;      /* files with uprobes for this pid */
	unsigned mapped_tls;     /* of those, files the process has mapped */
};

struct probes {
	struct authtrace_bpf *skel;
	struct reaper *reaper;   /* destroys links without blocking the event loop */
	int known_files_fd;      /* BPF map: files without TLS code */
	bool global;             /* --all: attach once per file for every process (pid -1) */
	struct tls_binary *cache;
	size_t n_cache, cap_cache;
	struct pid_probes **pids;
	size_t n_pids, cap_pids;
	char **libs;
	size_t n_libs;
	size_t n_links;
};

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

struct probes *probes_new(struct authtrace_bpf *skel, struct reaper *reaper, int known_files_fd)
{
	struct probes *p = calloc(1, sizeof(*p));

	if (p) {
		p->skel = skel;
		p->reaper = reaper;
		p->known_files_fd = known_files_fd;
	}
	return p;
}

void probes_set_global(struct probes *p)
{
	p->global = true;
}

/*
 * Tell the kernel side what this file is, so that mapping it never stops a
 * process again: free of TLS code, or (--all) probed for everyone already.
 */
static void note_known(struct probes *p, const struct stat *st, uint8_t what)
{
	struct at_file_key key = {
		.ino = st->st_ino,
		/* the kernel's dev_t encoding, as inode->i_sb->s_dev holds it */
		.dev = (uint32_t)(major(st->st_dev) << 20 | minor(st->st_dev)),
	};

	if (p->known_files_fd >= 0)
		bpf_map_update_elem(p->known_files_fd, &key, &what, BPF_ANY);
}

static void pid_probes_free(struct probes *p, struct pid_probes *pp)
{
	for (size_t i = 0; i < pp->n_links; i++)
		reaper_destroy(p->reaper, pp->links[i]);
	p->n_links -= pp->n_links;
	free(pp->links);
	free(pp->seen);
	free(pp);
}

void probes_free(struct probes *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_pids; i++)
		pid_probes_free(p, p->pids[i]);
	for (size_t i = 0; i < p->n_libs; i++)
		free(p->libs[i]);
	free(p->libs);
	free(p->pids);
	free(p->cache);
	free(p);
}

int probes_add_lib(struct probes *p, const char *path)
{
	struct stat st;
	char **n;

	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	n = realloc(p->libs, (p->n_libs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->libs = n;
	p->libs[p->n_libs] = strdup(path);
	if (!p->libs[p->n_libs])
		return -ENOMEM;
	p->n_libs++;
	return 0;
}

static struct pid_probes *find_pid(const struct probes *p, pid_t pid)
{
	for (size_t i = 0; i < p->n_pids; i++)
		if (p->pids[i]->pid == pid)
			return p->pids[i];
	return NULL;
}

static struct pid_probes *get_pid(struct probes *p, pid_t pid)
{
	struct pid_probes *pp = find_pid(p, pid);

	if (pp)
		return pp;
	if (!grow((void **)&p->pids, &p->cap_pids, p->n_pids + 1, sizeof(*p->pids)))
		return NULL;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->pid = pid;
	p->pids[p->n_pids++] = pp;
	return pp;
}

static bool seen_file(const struct pid_probes *pp, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < pp->n_seen; i++)
		if (pp->seen[i].dev == dev && pp->seen[i].ino == ino)
			return true;
	return false;
}

static bool mark_seen(struct pid_probes *pp, dev_t dev, ino_t ino)
{
	if (!grow((void **)&pp->seen, &pp->cap_seen, pp->n_seen + 1, sizeof(*pp->seen)))
		return false;
	pp->seen[pp->n_seen++] = (struct file_id){ dev, ino };
	return true;
}

/* No symbols: maybe statically linked, stripped BoringSSL (Claude Code's Bun build). */
static void locate_stripped(struct tls_binary *b, int fd, const struct stat *st)
{
	struct stripped_tls s;
	char why[TLS_LOCATE_WHY_LEN];

	if (!stripped_locate(fd, st, &s, why, sizeof(why)))
		return;
	b->offset[TLS_SSL_WRITE] = s.ssl_write;
	b->offset[TLS_SSL_READ] = s.ssl_read;
	b->offset[TLS_SSL_DO_HANDSHAKE] = s.ssl_do_handshake;
	b->has_tls = true;
	if (why[0])
		log_info("%s", why);
}

/* Symbols of the file open at fd, from the cache or by reading its ELF tables. */
static const struct tls_binary *lookup_binary(struct probes *p, int fd, const struct stat *st)
{
	struct elfsym_query q[TLS_FUNC_COUNT];
	struct tls_binary *b;

	for (size_t i = 0; i < p->n_cache; i++) {
		b = &p->cache[i];
		if (b->dev == st->st_dev && b->ino == st->st_ino && b->size == st->st_size &&
		    b->mtime.tv_sec == st->st_mtim.tv_sec && b->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return b;
	}
	if (!grow((void **)&p->cache, &p->cap_cache, p->n_cache + 1, sizeof(*p->cache)))
		return NULL;
	b = &p->cache[p->n_cache++];
	memset(b, 0, sizeof(*b));
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	b->size = st->st_size;
	b->mtime = st->st_mtim;
	memset(q, 0, sizeof(q));
	for (int i = 0; i < TLS_FUNC_COUNT; i++)
		q[i].name = tls_func_names[i];
	if (elfsym_resolve_fd(fd, q, TLS_FUNC_COUNT) > 0) {
		for (int i = 0; i < TLS_FUNC_COUNT; i++)
			if (q[i].found)
				b->offset[i] = q[i].offset;
		b->has_tls = b->offset[TLS_SSL_WRITE] || b->offset[TLS_SSL_WRITE_EX];
	}
	if (!b->has_tls)
		locate_stripped(b, fd, st);
	return b;
}

static int add_link(struct probes *p, struct pid_probes *pp, struct bpf_link *l)
{
	if (!grow((void **)&pp->links, &pp->cap_links, pp->n_links + 1, sizeof(*pp->links))) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	pp->links[pp->n_links++] = l;
	p->n_links++;
	return 0;
}

static struct bpf_program *entry_program(struct probes *p, enum tls_func f)
{
	switch (f) {
	case TLS_SSL_WRITE:
		return p->skel->progs.ssl_write;
	case TLS_SSL_WRITE_EX:
		return p->skel->progs.ssl_write_ex;
	case TLS_SSL_READ:
		return p->skel->progs.ssl_read;
	case TLS_SSL_READ_EX:
		return p->skel->progs.ssl_read_ex;
	case TLS_SSL_DO_HANDSHAKE:
	case TLS_SSL_CONNECT:
		return p->skel->progs.ssl_handshake;
	case TLS_SSL_FREE:
		return p->skel->progs.ssl_free;
	default:
		return NULL;
	}
}

/*
 * Reads need a return probe: only then is it known what was read.  The
 * handshake needs one to end the window in which its socket writes name
 * the connection's socket.
 */
static struct bpf_program *return_program(struct probes *p, enum tls_func f)
{
	switch (f) {
	case TLS_SSL_READ:
	case TLS_SSL_READ_EX:
		return p->skel->progs.ssl_read_ret;
	case TLS_SSL_DO_HANDSHAKE:
	case TLS_SSL_CONNECT:
		return p->skel->progs.ssl_handshake_ret;
	default:
		return NULL;
	}
}

static int attach_one(struct probes *p, struct pid_probes *pp, const char *path, enum tls_func f,
		      uint64_t offset, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);
	struct bpf_program *prog = retprobe ? return_program(p, f) : entry_program(p, f);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, pp->pid, path, offset, &opts);

	if (!l) {
		log_debug("uprobe %s%s in pid %d: %s", tls_func_names[f], retprobe ? " (return)" : "",
			  pp->pid, strerror(errno));
		return -1;
	}
	return add_link(p, pp, l);
}

/*
 * Examine the regular file open at fd for pid; attach its TLS functions.
 * The fd is used both for reading symbols and, through /proc/self/fd, as
 * the uprobe's path, so both refer to the same inode.
 */
static int probe_file(struct probes *p, struct pid_probes *pp, int fd)
{
	const struct tls_binary *b;
	char path[64];
	struct stat st;
	int attached = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (seen_file(pp, st.st_dev, st.st_ino))
		return 0;
	if (!mark_seen(pp, st.st_dev, st.st_ino))
		return -ENOMEM;
	b = lookup_binary(p, fd, &st);
	if (!b || !b->has_tls) {
		note_known(p, &st, AT_FILE_NO_TLS);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int f = 0; f < TLS_FUNC_COUNT; f++) {
		if (!b->offset[f])
			continue;
		if (attach_one(p, pp, path, f, b->offset[f], false) == 0)
			attached++;
		if (return_program(p, f))
			attach_one(p, pp, path, f, b->offset[f], true);
	}
	if (attached) {
		pp->tls_files++;
		if (p->global)
			note_known(p, &st, AT_FILE_TLS_GLOBAL);
	}
	return attached;
}

struct maps_entry {
	unsigned long start, end;
	unsigned long ino;
	bool exec;
	bool file;
};

/* Parse one /proc/PID/maps line; the path itself is never used. */
static bool parse_maps_line(const char *line, struct maps_entry *e)
{
	char perms[5];
	unsigned long off;
	unsigned dmaj, dmin;
	int path_at = 0;

	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &e->start, &e->end, perms, &off,
		   &dmaj, &dmin, &e->ino, &path_at) < 7)
		return false;
	e->exec = perms[2] == 'x';
	e->file = e->ino != 0 && path_at > 0 && line[path_at] == '/';
	return true;
}

/* Open a mapped file through the kernel's map_files link and check its identity. */
static int open_mapped_file(pid_t pid, const struct maps_entry *e)
{
	char path[96];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid, e->start, e->end);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != e->ino) {
		close(fd);
		return -1;
	}
	return fd;
}

static int attach_mapped(struct probes *p, struct pid_probes *pp, pid_t pid)
{
	char path[64], line[4096 + 256];
	struct maps_entry e;
	unsigned long last_ino = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno == -ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		int fd;

		if (!strchr(line, '\n') && !feof(f)) {
			/* overlong line (a very long path): skip its remainder */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (!parse_maps_line(line, &e) || !e.exec || !e.file || e.ino == last_ino)
			continue;
		last_ino = e.ino;
		fd = open_mapped_file(pid, &e);
		if (fd < 0)
			continue;
		pp->mapped_examined++;
		if (probe_file(p, pp, fd) > 0)
			pp->mapped_tls++;
		close(fd);
	}
	fclose(f);
	return 0;
}

static void attach_user_libs(struct probes *p, struct pid_probes *pp)
{
	for (size_t i = 0; i < p->n_libs; i++) {
		int fd = open(p->libs[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

		if (fd < 0) {
			log_warn("--lib %s: %s", p->libs[i], strerror(errno));
			continue;
		}
		if (probe_file(p, pp, fd) == 0 && pp->tls_files == 0)
			log_debug("--lib %s defines neither SSL_write nor SSL_write_ex", p->libs[i]);
		close(fd);
	}
}

/* The record probes for pid go into: its own, or (--all) the one for every process. */
static struct pid_probes *record_for(struct probes *p, pid_t pid)
{
	return get_pid(p, p->global ? -1 : pid);
}

int probes_attach_pid(struct probes *p, pid_t pid)
{
	struct pid_probes *pp = record_for(p, pid);
	int err;

	if (!pp)
		return -ENOMEM;
	err = attach_mapped(p, pp, pid);
	if (err)
		return err;
	attach_user_libs(p, pp);
	return (int)pp->tls_files;
}

int probes_attach_fd(struct probes *p, pid_t pid, int fd, uint64_t ino)
{
	struct pid_probes *pp = record_for(p, pid);
	char path[64];
	struct stat st;
	int file, n;

	if (!pp)
		return -ENOMEM;
	/* the kernel's link to the open file: no path from the process is followed */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	file = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (file < 0)
		return -errno;
	if (fstat(file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != ino) {
		close(file);
		return -ESTALE;
	}
	n = probe_file(p, pp, file);
	if (n > 0)
		pp->mapped_tls++;
	close(file);
	return n > 0 ? 1 : n;
}

void probes_detach_pid(struct probes *p, pid_t pid)
{
	for (size_t i = 0; i < p->n_pids; i++) {
		if (p->pids[i]->pid != pid)
			continue;
		pid_probes_free(p, p->pids[i]);
		p->pids[i] = p->pids[--p->n_pids];
		return;
	}
}

size_t probes_link_count(const struct probes *p)
{
	return p->n_links;
}

bool probes_pid_maps_tls(const struct probes *p, pid_t pid)
{
	const struct pid_probes *pp = find_pid(p, pid);

	return pp && pp->mapped_tls > 0;
}

void probes_describe_search(const struct probes *p, pid_t pid, char *buf, size_t len)
{
	const struct pid_probes *pp = find_pid(p, pid);

	if (!pp) {
		snprintf(buf, len, "nothing searched");
		return;
	}
	snprintf(buf, len, "searched %u mapped executable files for SSL_write/SSL_write_ex",
		 pp->mapped_examined);
}

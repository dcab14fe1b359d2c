// SPDX-License-Identifier: MIT
#include "tlsfuncs.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"

struct map_line {
	unsigned long start, end, off, ino;
	bool exec, file;
};

static bool parse(const char *line, struct map_line *m)
{
	char perms[5];
	unsigned dmaj, dmin;
	int at = 0;

	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, perms, &m->off,
		   &dmaj, &dmin, &m->ino, &at) < 7)
		return false;
	m->exec = perms[2] == 'x';
	m->file = m->ino && at > 0 && line[at] == '/';
	return true;
}

/* Address of file offset off in pid, from the mapping that covers it. */
static uint64_t addr_of(pid_t pid, ino_t ino, uint64_t off)
{
	char path[64], line[4352];
	struct map_line m;
	uint64_t a = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!parse(line, &m) || m.ino != ino)
			continue;
		if (off >= m.off && off < m.off + (m.end - m.start)) {
			a = m.start + (off - m.off);
			break;
		}
	}
	fclose(f);
	return a;
}

int tls_find(pid_t pid, struct tls_bin *bins, int max)
{
	char path[64], line[4352];
	struct map_line m;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct elfsym_query q[TLS_NFUNCS];
		struct tls_bin *b = &bins[n];
		struct stat st;
		bool dup = false;
		int fd;

		if (!parse(line, &m) || !m.exec || !m.file)
			continue;
		for (int i = 0; i < n; i++)
			dup |= bins[i].ino == m.ino;
		if (dup)
			continue;
		snprintf(b->path, sizeof(b->path), "/proc/%d/map_files/%lx-%lx", pid, m.start, m.end);
		fd = open(b->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || st.st_ino != m.ino) {
			close(fd);
			continue;
		}
		memset(q, 0, sizeof(q));
		for (int i = 0; i < TLS_NFUNCS; i++)
			q[i].name = tls_func_names[i];
		if (elfsym_resolve_fd(fd, q, TLS_NFUNCS) <= 0 || !(q[0].found || q[1].found)) {
			close(fd);
			continue;
		}
		b->fd = fd;
		b->dev = st.st_dev;
		b->ino = st.st_ino;
		for (int i = 0; i < TLS_NFUNCS; i++) {
			b->offset[i] = q[i].found ? q[i].offset : 0;
			b->addr[i] = b->offset[i] ? addr_of(pid, st.st_ino, b->offset[i]) : 0;
			if (b->offset[i] && pread(fd, &b->orig[i], 1, (off_t)b->offset[i]) != 1)
				b->addr[i] = 0;
		}
		n++;
	}
	fclose(f);
	return n;
}

void tls_close(struct tls_bin *bins, int n)
{
	for (int i = 0; i < n; i++)
		close(bins[i].fd);
}

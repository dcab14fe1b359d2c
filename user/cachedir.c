// SPDX-License-Identifier: MIT
#include "cachedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cachedir_get(void)
{
	struct stat st;

	if (mkdir(CACHE_DIR, 0700) != 0 && errno != EEXIST)
		return NULL;
	if (lstat(CACHE_DIR, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077))
		return NULL;
	return CACHE_DIR;
}

bool cachedir_write(const char *path, const void *data, size_t len)
{
	char tmp[512];
	const char *p = data;
	size_t left = len;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return false;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	while (left) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) == 0 && left == 0 && rename(tmp, path) == 0)
		return true;
	unlink(tmp);
	return false;
}

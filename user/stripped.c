// SPDX-License-Identifier: MIT
#include "stripped.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bunlocate.h"
#include "cachedir.h"
#include "log.h"

/* BoringSSL's ssl code alone is bigger than this: smaller files are skipped cheaply. */
#define STRIPPED_MIN_SIZE (256 * 1024)
#define CACHE_MAGIC "authtrace-tls-v1"

/* "<dir>/<build-id hex>-<size>"; false when the file has no build-id. */
static bool cache_path(int fd, const struct stat *st, char *path, size_t len)
{
	uint8_t id[64];
	char hex[2 * sizeof(id) + 1];
	const char *dir = cachedir_get();
	int n = tls_locate_build_id(fd, id, sizeof(id));

	if (!dir || n <= 0)
		return false;
	for (int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(path, len, "%s/%s-%lld", dir, hex, (long long)st->st_size);
	return true;
}

static bool cache_read(const char *path, struct stripped_tls *out, bool *located)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[160];
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (strncmp(buf, CACHE_MAGIC " none", sizeof(CACHE_MAGIC " none") - 1) == 0) {
		*located = false;
		return true;
	}
	if (sscanf(buf, CACHE_MAGIC " write=%" SCNx64 " read=%" SCNx64 " handshake=%" SCNx64,
		   &out->ssl_write, &out->ssl_read, &out->ssl_do_handshake) != 3 || !out->ssl_write)
		return false;
	*located = true;
	return true;
}

static void cache_write(const char *path, const struct stripped_tls *t, bool located)
{
	char line[160];
	int n;

	if (located)
		n = snprintf(line, sizeof(line), CACHE_MAGIC " write=%" PRIx64 " read=%" PRIx64
			     " handshake=%" PRIx64 "\n", t->ssl_write, t->ssl_read, t->ssl_do_handshake);
	else
		n = snprintf(line, sizeof(line), CACHE_MAGIC " none\n");
	cachedir_write(path, line, (size_t)n);
}

bool stripped_locate(int fd, const struct stat *st, struct stripped_tls *out, char *why,
		     size_t whylen)
{
	struct tls_locate_result r;
	char path[256];
	bool cached = false, located = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	if (st->st_size < STRIPPED_MIN_SIZE)
		return false;
	cached = cache_path(fd, st, path, sizeof(path));
	if (cached && cache_read(path, out, &located))
		return located;

	rc = tls_locate_stripped(fd, &r, why, whylen);
	located = rc == 0;
	if (located) {
		out->ssl_write = r.ssl_write;
		out->ssl_read = r.ssl_read;
		out->ssl_do_handshake = r.ssl_do_handshake;
		log_info("located BoringSSL in a stripped binary (%s) in %u us", r.runtime[0] ? r.runtime : "no runtime string",
			 (unsigned)r.elapsed_us);
	} else if (rc == -ESRCH) {
		/* BoringSSL is there but ambiguous: say so, and don't cache the doubt */
		log_warn("stripped BoringSSL found but not located: %s", why ? why : "");
		return false;
	}
	if (cached && (located || rc == -ENOENT || rc == -ENOEXEC))
		cache_write(path, out, located);
	return located;
}

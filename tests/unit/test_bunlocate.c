/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for bunlocate: SSL_write / SSL_read in stripped executables
 * with BoringSSL linked in statically.
 *
 * The inputs are built at run time from tests/fixtures/bunlocate/
 * fake_boringssl.c (skipped without a C compiler), each twice: stripped,
 * which is what the locator is given, and unstripped, where nm names the
 * functions.  Expected offsets never come from the code under test: nm
 * gives the address, readelf -lW the executable LOAD segment, and the
 * arithmetic is redone here.  Stripping at link time does not move code;
 * a test checks that too.
 *
 * Real Claude Code executables are tested when AUTHTRACE_CLAUDE_BIN names
 * them (colon-separated); that test prints the analysis time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bunlocate.h"
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One way of compiling the fixture. */
struct variant {
	const char *name;
	const char *flags;
	bool tried, ok;
	char full[192];     /* unstripped: the truth */
	char stripped[192]; /* what the locator sees */
};

/* Frame pointers at every entry, like Bun's clang build of BoringSSL. */
#define BUN_LIKE "-O2 -fno-omit-frame-pointer"

static struct variant v_nonpie = { .name = "nonpie", .flags = BUN_LIKE " -fno-pie -no-pie" };
static struct variant v_pie = { .name = "pie", .flags = BUN_LIKE " -fPIE -pie" };
static struct variant v_four_arg = { .name = "four", .flags = BUN_LIKE " -fno-pie -no-pie -DFOUR_ARG" };
static struct variant v_pie_four_arg = { .name = "pie4", .flags = BUN_LIKE " -fPIE -pie -DFOUR_ARG" };
static struct variant v_peek = { .name = "peek", .flags = BUN_LIKE " -fno-pie -no-pie -DPEEK_OUTLINED" };
static struct variant v_decoys = { .name = "decoys", .flags = BUN_LIKE " -fno-pie -no-pie -DDECOYS_ONLY" };
static struct variant v_two = { .name = "two", .flags = BUN_LIKE " -fno-pie -no-pie -DTWO_WRITES" };
static struct variant v_bun = { .name = "bun", .flags = BUN_LIKE " -fno-pie -no-pie -DFAKE_BUN" };
/* Code generation this locator was not shaped on: it may refuse, never err. */
static struct variant v_plain = { .name = "plain", .flags = "-O2 -fno-pie -no-pie" };
static struct variant v_cet = { .name = "cet", .flags = "-O2 -fcf-protection=full -fPIE -pie" };
static struct variant v_os = { .name = "os", .flags = "-Os -fno-omit-frame-pointer -fno-pie -no-pie" };

static struct {
	char dir[64];
	char fixture[512];
	const char *extra; /* "-fno-shrink-wrap" where the compiler has it */
	bool have_cc;
} fx;

/* tests/unit/../fixtures/bunlocate/fake_boringssl.c, from this file's path. */
static bool find_fixture(void)
{
	const char *slash = strrchr(__FILE__, '/');
	int dirlen = slash ? (int)(slash - __FILE__ + 1) : 0;

	snprintf(fx.fixture, sizeof(fx.fixture), "%.*s../fixtures/bunlocate/fake_boringssl.c",
		 dirlen, __FILE__);
	if (access(fx.fixture, R_OK) == 0)
		return true;
	snprintf(fx.fixture, sizeof(fx.fixture), "tests/fixtures/bunlocate/fake_boringssl.c");
	return access(fx.fixture, R_OK) == 0;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_bunlocate.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	fx.have_cc = find_fixture() && run_quiet("%s --version >/dev/null 2>&1", compiler());
	/* gcc moves the frame set-up off the entry without this; clang lacks the flag */
	fx.extra = fx.have_cc && run_quiet("%s -fno-shrink-wrap -x c -c -o /dev/null /dev/null "
					   ">/dev/null 2>&1", compiler())
			   ? "-fno-shrink-wrap"
			   : "";
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.dir[0] && strncmp(fx.dir, "/tmp/test_bunlocate.", 20) == 0)
		run_quiet("rm -rf '%s'", fx.dir);
	return 0;
}

/* Compile v (both copies) once; false when this toolchain cannot. */
static bool build(struct variant *v)
{
	char flags[256];

	if (v->tried)
		return v->ok;
	v->tried = true;
	if (!fx.have_cc)
		return false;
	snprintf(flags, sizeof(flags), "%s %s", v->flags, fx.extra);
	snprintf(v->full, sizeof(v->full), "%s/%s", fx.dir, v->name);
	snprintf(v->stripped, sizeof(v->stripped), "%s/%s-stripped", fx.dir, v->name);
	v->ok = run_quiet("%s %s -o '%s' '%s' >/dev/null 2>&1", compiler(), flags, v->full,
			  fx.fixture) &&
		run_quiet("%s %s -s -o '%s' '%s' >/dev/null 2>&1", compiler(), flags, v->stripped,
			  fx.fixture);
	return v->ok;
}

/* ---- the independent oracle: nm, readelf -lW, our own arithmetic ----- */

static bool nm_value(const char *path, const char *name, uint64_t *value)
{
	char cmd[512], line[1024], sym[512];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (!found && fgets(line, sizeof(line), p)) {
		uint64_t v;
		char type;

		if (sscanf(line, "%" SCNx64 " %c %511s", &v, &type, sym) == 3 &&
		    strcmp(sym, name) == 0) {
			*value = v;
			found = true;
		}
	}
	pclose(p);
	return found;
}

/* File offset of vaddr via an executable LOAD line of `readelf -lW`. */
static bool readelf_offset(const char *path, uint64_t vaddr, uint64_t *offset)
{
	char cmd[512], line[1024];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (!found && fgets(line, sizeof(line), p)) {
		uint64_t off, va, filesz;
		char *flags, *align;
		int pos = 0;

		if (sscanf(line, " LOAD %" SCNx64 " %" SCNx64 " %*x %" SCNx64 " %*x %n", &off, &va,
			   &filesz, &pos) != 3 || pos == 0)
			continue;
		flags = line + pos; /* "R E" etc. sit between MemSiz and Align */
		align = strstr(flags, "0x");
		if (!align || !memchr(flags, 'E', (size_t)(align - flags)))
			continue;
		if (vaddr >= va && vaddr - va < filesz) {
			*offset = vaddr - va + off;
			found = true;
		}
	}
	pclose(p);
	return found;
}

/* File offset of a function of the fixture, from the unstripped build. */
static uint64_t truth(const struct variant *v, const char *func)
{
	uint64_t va = 0, off = 0;

	if (!nm_value(v->full, func, &va))
		fail_msg("nm: no %s in %s", func, v->full);
	if (!readelf_offset(v->full, va, &off))
		fail_msg("readelf: no executable LOAD holds %s (0x%" PRIx64 ")", func, va);
	return off;
}

static int locate_path(const char *path, struct tls_locate_result *r, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	assert_true(fd >= 0);
	ret = tls_locate_stripped(fd, r, why, len);
	close(fd);
	return ret;
}

/* Everything located, at the offsets nm + readelf give. */
static void assert_locates_truth(struct variant *v, bool expect_handshake)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];
	int ret;

	if (!build(v))
		skip();
	ret = locate_path(v->stripped, &r, why, sizeof(why));
	if (ret != 0)
		fail_msg("%s: %d (%s)", v->name, ret, why);
	assert_int_equal(r.ssl_write, truth(v, "my_ssl_write"));
	assert_int_equal(r.ssl_read, truth(v, "my_ssl_read"));
	if (expect_handshake)
		assert_int_equal(r.ssl_do_handshake, truth(v, "my_ssl_do_handshake"));
	assert_true(r.ssl_do_handshake == 0 ||
		    r.ssl_do_handshake == truth(v, "my_ssl_do_handshake"));
	assert_true(r.error_sites >= 8);
	assert_false(r.is_bun);
}

/* ---- locating --------------------------------------------------------- */

static void test_non_pie_imm32_sites(void **state)
{
	(void)state;
	assert_locates_truth(&v_nonpie, fx.extra[0] != 0 || strstr(compiler(), "clang"));
}

static void test_pie_rip_relative_sites(void **state)
{
	(void)state;
	assert_locates_truth(&v_pie, false);
}

static void test_four_argument_layout(void **state)
{
	(void)state;
	assert_locates_truth(&v_four_arg, false);
	assert_locates_truth(&v_pie_four_arg, false);
}

/* SSL_read calls an outlined SSL_peek: SSL_read is reported, not SSL_peek. */
static void test_outlined_peek_reports_ssl_read(void **state)
{
	uint64_t peek_va;

	(void)state;
	if (!build(&v_peek))
		skip();
	if (!nm_value(v_peek.full, "my_ssl_peek", &peek_va))
		skip(); /* the compiler inlined it after all */
	assert_locates_truth(&v_peek, false);
	assert_int_not_equal(truth(&v_peek, "my_ssl_read"), truth(&v_peek, "my_ssl_peek"));
}

/* Dropping the symbol tables must not move code (the oracle relies on it). */
static void test_stripping_does_not_move_code(void **state)
{
	const char *funcs[] = { "my_ssl_write", "my_ssl_read", "decoy_no_buffer" };
	uint8_t a[48], b[48];

	(void)state;
	if (!build(&v_nonpie))
		skip();
	for (size_t i = 0; i < ARRAY_LEN(funcs); i++) {
		uint64_t off = truth(&v_nonpie, funcs[i]);
		int fa = open(v_nonpie.full, O_RDONLY), fb = open(v_nonpie.stripped, O_RDONLY);

		assert_true(fa >= 0 && fb >= 0);
		assert_int_equal(pread(fa, a, sizeof(a), (off_t)off), sizeof(a));
		assert_int_equal(pread(fb, b, sizeof(b), (off_t)off), sizeof(b));
		assert_memory_equal(a, b, sizeof(a));
		close(fa);
		close(fb);
	}
}

/* The symbols an unstripped file has play no part: same answer. */
static void test_symbols_are_not_used(void **state)
{
	struct tls_locate_result a, b;
	char why[TLS_LOCATE_WHY_LEN];

	(void)state;
	if (!build(&v_nonpie))
		skip();
	assert_int_equal(locate_path(v_nonpie.full, &a, why, sizeof(why)), 0);
	assert_int_equal(locate_path(v_nonpie.stripped, &b, why, sizeof(why)), 0);
	assert_int_equal(a.ssl_write, b.ssl_write);
	assert_int_equal(a.ssl_read, b.ssl_read);
}

static void test_bun_section_and_version(void **state)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];

	(void)state;
	if (!build(&v_bun))
		skip();
	assert_int_equal(locate_path(v_bun.stripped, &r, why, sizeof(why)), 0);
	assert_true(r.is_bun);
	assert_string_equal(r.runtime, "Bun v1.2.3 (fixture)");
	assert_int_equal(r.ssl_write, truth(&v_bun, "my_ssl_write"));
}

/* In-memory analysis gives what the fd one gives. */
static void test_image_api_matches_fd_api(void **state)
{
	struct tls_locate_result a, b;
	char why[TLS_LOCATE_WHY_LEN];
	struct stat st;
	void *map;
	int fd;

	(void)state;
	if (!build(&v_pie))
		skip();
	fd = open(v_pie.stripped, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(tls_locate_image(map, (size_t)st.st_size, &a, why, sizeof(why)), 0);
	assert_int_equal(tls_locate_stripped(fd, &b, why, sizeof(why)), 0);
	assert_int_equal(a.ssl_write, b.ssl_write);
	assert_int_equal(a.ssl_read, b.ssl_read);
	assert_int_equal(a.ssl_write_vaddr, b.ssl_write_vaddr);
	munmap(map, (size_t)st.st_size);
	close(fd);
}

/* ---- refusing ----------------------------------------------------------- */

/* Wrong order, three of four, another library, no buffer: none is SSL_write. */
static void test_decoys_alone_are_refused(void **state)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];

	(void)state;
	if (!build(&v_decoys))
		skip();
	assert_int_equal(locate_path(v_decoys.stripped, &r, why, sizeof(why)), -ESRCH);
	assert_non_null(strstr(why, "SSL_write"));
	assert_int_equal(r.ssl_write, 0);
	assert_int_equal(r.ssl_read, 0);
}

static void test_two_candidates_are_refused(void **state)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];

	(void)state;
	if (!build(&v_two))
		skip();
	assert_int_equal(locate_path(v_two.stripped, &r, why, sizeof(why)), -ESRCH);
	assert_non_null(strstr(why, "2 candidates for SSL_write"));
	assert_int_equal(r.ssl_write, 0);
}

/* Unfamiliar code generation: an answer must be the truth, else a refusal. */
static void test_other_codegen_never_wrong(void **state)
{
	struct variant *vs[] = { &v_plain, &v_cet, &v_os };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(vs); i++) {
		struct tls_locate_result r;
		char why[TLS_LOCATE_WHY_LEN];
		int ret;

		if (!build(vs[i]))
			continue;
		ret = locate_path(vs[i]->stripped, &r, why, sizeof(why));
		print_message("%s: %s (%s)\n", vs[i]->name, ret == 0 ? "located" : "refused", why);
		if (ret != 0) {
			assert_int_equal(ret, -ESRCH);
			assert_true(why[0] != 0);
			continue;
		}
		assert_int_equal(r.ssl_write, truth(vs[i], "my_ssl_write"));
		if (r.ssl_read)
			assert_int_equal(r.ssl_read, truth(vs[i], "my_ssl_read"));
		if (r.ssl_do_handshake)
			assert_int_equal(r.ssl_do_handshake, truth(vs[i], "my_ssl_do_handshake"));
	}
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("test_bunlocate", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

static void test_not_an_elf_is_enoexec(void **state)
{
	static const char text[] = "#!/bin/sh\necho ../../vendor/boringssl/ssl/ssl_lib.cc\n";
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];
	int fd;

	(void)state;
	fd = memfd_with(text, sizeof(text) - 1);
	assert_int_equal(tls_locate_stripped(fd, &r, why, sizeof(why)), -ENOEXEC);
	assert_non_null(strstr(why, "not an x86-64 ELF"));
	close(fd);
	fd = memfd_with("", 0);
	assert_int_equal(tls_locate_stripped(fd, &r, why, sizeof(why)), -ENOEXEC);
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(tls_locate_stripped(fd, &r, why, sizeof(why)), -ENOEXEC);
	close(fd);
	assert_int_equal(tls_locate_image(text, sizeof(text), &r, NULL, 0), -ENOEXEC);
}

static void test_bad_arguments(void **state)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN] = "untouched";

	(void)state;
	assert_int_equal(tls_locate_stripped(-1, &r, why, sizeof(why)), -EBADF);
	assert_true(why[0] != 0);
	assert_int_equal(tls_locate_stripped(0, NULL, why, sizeof(why)), -EINVAL);
	assert_int_equal(tls_locate_image(NULL, 100, &r, why, sizeof(why)), -EINVAL);
	/* no room for why: still answers, writes nothing */
	why[0] = 'x';
	assert_int_equal(tls_locate_stripped(-1, &r, why, 0), -EBADF);
	assert_int_equal(why[0], 'x');
}

/* An ELF without BoringSSL (this test program): nothing to locate. */
static void test_no_boringssl_is_enoent(void **state)
{
	struct tls_locate_result r;
	char why[TLS_LOCATE_WHY_LEN];

	(void)state;
	assert_int_equal(locate_path("/proc/self/exe", &r, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no BoringSSL ssl_lib.cc path string");
}

/* The path string present but never loaded by code. */
static void test_unreferenced_path_is_enoent(void **state)
{
	static const char src[] =
		"__attribute__((used)) static const char p[] = \"x/ssl/ssl_lib.cc\";\n"
		"int main(void) { return 0; }\n";
	char c_path[160], exe[160], why[TLS_LOCATE_WHY_LEN];
	struct tls_locate_result r;
	FILE *f;

	(void)state;
	if (!fx.have_cc)
		skip();
	snprintf(c_path, sizeof(c_path), "%s/unref.c", fx.dir);
	snprintf(exe, sizeof(exe), "%s/unref", fx.dir);
	f = fopen(c_path, "w");
	assert_non_null(f);
	fputs(src, f);
	fclose(f);
	if (!run_quiet("%s -O2 -no-pie -fno-pie -s -o '%s' '%s' >/dev/null 2>&1", compiler(), exe,
		       c_path))
		skip();
	assert_int_equal(locate_path(exe, &r, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "never loaded by code"));
}

/* Hostile input: truncations and byte flips of a good file never crash. */
static void test_mutations_do_not_crash(void **state)
{
	uint32_t seed = 12345;
	uint8_t *img;
	struct stat st;
	int fd;

	(void)state;
	if (!build(&v_nonpie))
		skip();
	fd = open(v_nonpie.stripped, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	img = malloc((size_t)st.st_size);
	assert_non_null(img);
	assert_int_equal(pread(fd, img, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	for (int i = 0; i < 400; i++) {
		uint8_t *copy = malloc((size_t)st.st_size);
		size_t len = (size_t)st.st_size;
		struct tls_locate_result r;
		char why[TLS_LOCATE_WHY_LEN];
		int ret;

		assert_non_null(copy);
		memcpy(copy, img, len);
		for (int k = 0; k < 1 + i % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] ^= (uint8_t)(1u << (seed % 8));
		}
		if (i % 4 == 3) {
			seed = seed * 1103515245u + 12345u;
			len = (seed >> 4) % len;
		}
		ret = tls_locate_image(copy, len, &r, why, sizeof(why));
		assert_true(ret == 0 || ret == -ENOEXEC || ret == -ENOENT || ret == -ESRCH);
		assert_true(r.ssl_write < len && r.ssl_read < len && r.ssl_do_handshake < len);
		assert_true(strlen(why) < sizeof(why));
		free(copy);
	}
	free(img);
}

/* ---- build-id ----------------------------------------------------------- */

static bool readelf_build_id(const char *path, char *hex, size_t cap)
{
	char cmd[512], line[512];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (!found && fgets(line, sizeof(line), p)) {
		char *at = strstr(line, "Build ID: ");

		if (at && sscanf(at + 10, "%127s", hex) == 1 && strlen(hex) < cap)
			found = true;
	}
	pclose(p);
	return found;
}

static void test_build_id(void **state)
{
	char hex[130], got[130], path[192];
	uint8_t id[64];
	int fd, n;

	(void)state;
	if (!fx.have_cc)
		skip();
	snprintf(path, sizeof(path), "%s/with-id", fx.dir);
	if (!run_quiet("%s -O1 -Wl,--build-id=sha1 -o '%s' '%s' >/dev/null 2>&1", compiler(), path,
		       fx.fixture) ||
	    !readelf_build_id(path, hex, sizeof(hex)))
		skip();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = tls_locate_build_id(fd, id, sizeof(id));
	close(fd);
	assert_int_equal(n, 20);
	for (int i = 0; i < n; i++)
		snprintf(got + 2 * i, 3, "%02x", id[i]);
	assert_string_equal(got, hex);

	snprintf(path, sizeof(path), "%s/without-id", fx.dir);
	if (!run_quiet("%s -O1 -Wl,--build-id=none -o '%s' '%s' >/dev/null 2>&1", compiler(), path,
		       fx.fixture))
		skip();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(tls_locate_build_id(fd, id, sizeof(id)), -ENOENT);
	close(fd);
	fd = memfd_with("not elf at all, not elf at all, not elf at all, not elf at all", 62);
	assert_int_equal(tls_locate_build_id(fd, id, sizeof(id)), -ENOEXEC);
	close(fd);
}

/* ---- real Claude Code executables (AUTHTRACE_CLAUDE_BIN=path[:path...]) --- */

static bool starts_like_function(const char *path, uint64_t off)
{
	uint8_t b[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, b, sizeof(b), (off_t)off) == (ssize_t)sizeof(b) &&
	     (b[0] == 0x55 || (b[0] == 0xF3 && b[1] == 0x0F && b[2] == 0x1E && b[3] == 0xFA));
	close(fd);
	return ok;
}

static void test_real_claude_code(void **state)
{
	const char *env = getenv("AUTHTRACE_CLAUDE_BIN");
	char list[4096], *save = NULL;
	int tested = 0;

	(void)state;
	if (!env || !*env || strlen(env) >= sizeof(list))
		skip();
	snprintf(list, sizeof(list), "%s", env);
	for (char *path = strtok_r(list, ":", &save); path; path = strtok_r(NULL, ":", &save)) {
		struct tls_locate_result r;
		char why[TLS_LOCATE_WHY_LEN];
		int ret;

		if (access(path, R_OK) != 0)
			continue;
		ret = locate_path(path, &r, why, sizeof(why));
		print_message("%s: %s: SSL_write 0x%" PRIx64 " SSL_read 0x%" PRIx64
			      " SSL_do_handshake 0x%" PRIx64 ", %u sites in %u functions, "
			      "%.1f ms%s%s\n",
			      path, r.runtime[0] ? r.runtime : "?", r.ssl_write, r.ssl_read,
			      r.ssl_do_handshake, r.error_sites, r.functions, r.elapsed_us / 1000.0,
			      why[0] ? "; " : "", why);
		if (ret != 0)
			fail_msg("%s: %d (%s)", path, ret, why);
		assert_true(r.is_bun);
		assert_true(strncmp(r.runtime, "Bun v", 5) == 0);
		assert_true(r.ssl_write != 0 && r.ssl_read != 0);
		assert_true(starts_like_function(path, r.ssl_write));
		assert_true(starts_like_function(path, r.ssl_read));
		assert_true(r.ssl_do_handshake == 0 || starts_like_function(path, r.ssl_do_handshake));
		tested++;
	}
	if (tested == 0)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_non_pie_imm32_sites),
		cmocka_unit_test(test_pie_rip_relative_sites),
		cmocka_unit_test(test_four_argument_layout),
		cmocka_unit_test(test_outlined_peek_reports_ssl_read),
		cmocka_unit_test(test_stripping_does_not_move_code),
		cmocka_unit_test(test_symbols_are_not_used),
		cmocka_unit_test(test_bun_section_and_version),
		cmocka_unit_test(test_image_api_matches_fd_api),
		cmocka_unit_test(test_decoys_alone_are_refused),
		cmocka_unit_test(test_two_candidates_are_refused),
		cmocka_unit_test(test_other_codegen_never_wrong),
		cmocka_unit_test(test_not_an_elf_is_enoexec),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_boringssl_is_enoent),
		cmocka_unit_test(test_unreferenced_path_is_enoent),
		cmocka_unit_test(test_mutations_do_not_crash),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_real_claude_code),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for tls_locate_stripped (user/bunlocate.c).
 *
 * The input is written to a memfd and analysed like any mapped file.  So
 * that mutations reach the deep code (site decoding, grouping, the path
 * walks) without a seed corpus, the first byte picks a mode:
 *   0  the rest of the input is the file, as is
 *   1  a built-in template (a small x86-64 ELF shaped like a program with
 *      BoringSSL: the ssl_lib.cc path, ERR_put_error sites for SSL_write,
 *      ssl_read_impl, SSL_read and SSL_do_handshake), with the rest of the
 *      input applied as edits: 3 bytes each, a 16-bit offset and a value
 *   2  the same, then truncated to the length in the first edit's offset
 * Start-up checks that the unedited template is located as intended, so
 * the template cannot silently rot into something the locator refuses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "bunlocate.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

#define TPL_SIZE   0x2000u
#define RO_VA      0x400000u
#define CODE_OFF   0x1000u
#define CODE_VA    0x401000u
#define RODATA_OFF 0x800u
#define SHDR_OFF   0xA00u
#define SHSTR_OFF  0xB00u

static int input_fd = -1;
static uint8_t tpl[TPL_SIZE];
static uint64_t tpl_write, tpl_read, tpl_hs; /* file offsets */

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* ---- the template ------------------------------------------------------- */

struct emit {
	uint8_t *p;
	size_t at; /* offset in the code segment */
};

static uint64_t here(const struct emit *e)
{
	return CODE_VA + e->at;
}

static void bytes(struct emit *e, const void *b, size_t n)
{
	if (e->at + n > TPL_SIZE - CODE_OFF)
		abort();
	memcpy(e->p + CODE_OFF + e->at, b, n);
	e->at += n;
}

static void u32(struct emit *e, uint32_t v)
{
	bytes(e, &v, 4);
}

/* int3 padding up to the next 16-byte boundary, then a frame prologue. */
static uint64_t function(struct emit *e)
{
	static const uint8_t prologue[] = { 0x55, 0x48, 0x89, 0xE5, 0x41, 0x56, 0x53 };
	uint64_t entry;

	while (e->at % 16)
		bytes(e, "\xCC", 1);
	entry = here(e);
	bytes(e, prologue, sizeof(prologue));
	return entry;
}

static void epilogue(struct emit *e)
{
	bytes(e, "\x5B\x41\x5E\x5D\xC3", 5); /* pop rbx; pop r14; pop rbp; ret */
}

static void call(struct emit *e, uint64_t target)
{
	bytes(e, "\xE8", 1);
	u32(e, (uint32_t)(target - (here(e) + 4)));
}

static void take_buf_and_num(struct emit *e)
{
	bytes(e, "\x89\xD3\x49\x89\xF6", 5); /* mov ebx, edx; mov r14, rsi */
}

/* mov ecx, file; mov edi, 16; xor esi, esi; mov edx, reason; mov r8d, line; call err */
static void site(struct emit *e, uint64_t err, uint32_t reason, uint32_t line)
{
	bytes(e, "\xB9", 1);
	u32(e, RO_VA + RODATA_OFF + 1);
	bytes(e, "\xBF\x10\x00\x00\x00\x31\xF6\xBA", 8);
	u32(e, reason);
	bytes(e, "\x41\xB8", 2);
	u32(e, line);
	call(e, err);
}

static void put_phdr(uint8_t *img, int i, uint64_t off, uint64_t va, uint64_t sz, uint32_t flags)
{
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = flags, .p_offset = off, .p_vaddr = va,
			  .p_paddr = va, .p_filesz = sz, .p_memsz = sz, .p_align = 0x1000 };

	memcpy(img + sizeof(Elf64_Ehdr) + (size_t)i * sizeof(ph), &ph, sizeof(ph));
}

static void put_shdr(uint8_t *img, int i, uint32_t name, uint32_t type, uint64_t va,
		     uint64_t off, uint64_t sz)
{
	Elf64_Shdr sh = { .sh_name = name, .sh_type = type, .sh_addr = va, .sh_offset = off,
			  .sh_size = sz };

	memcpy(img + SHDR_OFF + (size_t)i * sizeof(sh), &sh, sizeof(sh));
}

static void build_headers(uint8_t *img)
{
	static const char shstr[] = "\0.rodata\0.bun\0.shstrtab";
	static const char rodata[] = "\0../../vendor/boringssl/ssl/ssl_lib.cc\0Bun v1.0.0 (fuzz)";
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = CODE_VA, .e_phoff = sizeof(Elf64_Ehdr), .e_shoff = SHDR_OFF,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 2, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 4,
			  .e_shstrndx = 3 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	put_phdr(img, 0, 0, RO_VA, CODE_OFF, PF_R);
	put_phdr(img, 1, CODE_OFF, CODE_VA, TPL_SIZE - CODE_OFF, PF_R | PF_X);
	memcpy(img + RODATA_OFF, rodata, sizeof(rodata));
	memcpy(img + SHSTR_OFF, shstr, sizeof(shstr));
	put_shdr(img, 1, 1, SHT_PROGBITS, RO_VA + RODATA_OFF, RODATA_OFF, sizeof(rodata));
	put_shdr(img, 2, 9, SHT_PROGBITS, RO_VA + RODATA_OFF + 0x100, RODATA_OFF + 0x100, 16);
	put_shdr(img, 3, 14, SHT_STRTAB, 0, SHSTR_OFF, sizeof(shstr));
}

static void build_template(void)
{
	struct emit e = { .p = tpl };
	uint64_t err, hs, wr, impl, rd;

	memset(tpl, 0, sizeof(tpl));
	build_headers(tpl);
	err = function(&e);
	epilogue(&e);
	hs = function(&e);
	site(&e, err, 134, 740);
	epilogue(&e);
	wr = function(&e);
	take_buf_and_num(&e);
	call(&e, hs);
	site(&e, err, 66, 970);
	site(&e, err, 215, 990); /* code order is not source order */
	site(&e, err, 226, 975);
	site(&e, err, 111, 996);
	epilogue(&e);
	impl = function(&e);
	call(&e, hs);
	site(&e, err, 226, 856);
	site(&e, err, 215, 889);
	epilogue(&e);
	rd = function(&e);
	take_buf_and_num(&e);
	site(&e, err, 66, 950);
	call(&e, impl);
	epilogue(&e);
	while (e.at % 16)
		bytes(&e, "\xCC", 1);
	tpl_write = wr - CODE_VA + CODE_OFF;
	tpl_read = rd - CODE_VA + CODE_OFF;
	tpl_hs = hs - CODE_VA + CODE_OFF;
}

/* ---- running one input -------------------------------------------------- */

/* Replace the memfd's contents with exactly these bytes. */
static void load_file(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(input_fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
}

static int locate(size_t size, struct tls_locate_result *r)
{
	char why[TLS_LOCATE_WHY_LEN];
	int ret = tls_locate_stripped(input_fd, r, why, sizeof(why));

	if (strnlen(why, sizeof(why)) == sizeof(why))
		abort(); /* why must always be terminated */
	/* Whatever is reported lies inside the file; nothing without success. */
	if (ret == 0 && (r->ssl_write == 0 || r->ssl_write >= size))
		abort();
	if ((r->ssl_read && r->ssl_read >= size) ||
	    (r->ssl_do_handshake && r->ssl_do_handshake >= size))
		abort();
	if (ret != 0 && (r->ssl_write || r->ssl_read || r->ssl_do_handshake))
		abort();
	return ret;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tls_locate_result r;

	(void)argc;
	(void)argv;
	input_fd = memfd_create("fuzz_bunlocate", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	build_template();
	load_file(tpl, sizeof(tpl));
	if (locate(sizeof(tpl), &r) != 0 || r.ssl_write != tpl_write || r.ssl_read != tpl_read ||
	    r.ssl_do_handshake != tpl_hs || !r.is_bun) {
		fprintf(stderr, "fuzz_bunlocate: the template is not located as built\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t img[TPL_SIZE];
	struct tls_locate_result r;
	size_t len = TPL_SIZE;

	if (size == 0)
		return 0;
	if (data[0] % 3 == 0) {
		load_file(data + 1, size - 1);
		locate(size - 1, &r);
		return 0;
	}
	memcpy(img, tpl, sizeof(img));
	for (size_t i = 1; i + 3 <= size; i += 3)
		img[(data[i] | data[i + 1] << 8) % TPL_SIZE] = data[i + 2];
	if (data[0] % 3 == 2 && size >= 3)
		len = (data[1] | data[2] << 8) % TPL_SIZE;
	load_file(img, len);
	locate(len, &r);
	return 0;
}

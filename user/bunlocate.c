/* SPDX-License-Identifier: MIT */
/*
 * Locating BoringSSL's SSL_write / SSL_read in stripped static x86-64
 * executables (Bun-compiled programs: Claude Code's native build).
 *
 * 1. Find the "…/ssl/ssl_lib.cc" path string in a read-only segment.
 * 2. Find the instructions that load its address into a register (imm32
 *    moves in non-PIE code, RIP-relative lea in PIE code) in the
 *    executable segments: these are the OPENSSL_PUT_ERROR sites.
 * 3. Decode each site's argument set-up up to the call of ERR_put_error
 *    (a tiny decoder for the integer instructions found there) and read
 *    the library, reason and line.  Which register holds which is derived
 *    from the register the path is in: the reason is the argument before
 *    it, the line the one after it, the library the first.  That covers
 *    ERR_put_error(lib, 0, reason, file, line) and the 4-argument form
 *    link-time optimisation leaves after dropping the unused argument.
 * 4. Group sites by enclosing function: scan back to the nearest aligned
 *    function entry (push rbp; mov rbp, rsp / endbr64 / int3 padding
 *    before a push).
 * 5. Order each function's sites by line (source order: the code order is
 *    the compiler's) and compare the reasons with BoringSSL's:
 *      SSL_write        66 226 215 111  (2021 on)  or  66 226 194 215 (2018-21)
 *      ssl_read_impl    226 215
 *      SSL_peek         66 and a call of ssl_read_impl, or 226 215 66 inlined
 *      SSL_do_handshake 134, called from both SSL_write and ssl_read_impl
 *    SSL_read either is the SSL_peek-shaped function (SSL_peek inlined into
 *    it) or the one function near it that calls it passing its own
 *    (buf, num) through unchanged.
 * 6. Refuse on doubt: each answer must be unique, start at a plausible
 *    function entry, and (SSL_write, SSL_read) read rsi and rdx before
 *    writing them on some path from the entry, i.e. take (ssl, buf, num).
 *
 * Reads are bounds-checked against the mapped file; all loops are bounded.
 */
#include "bunlocate.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- limits ------------------------------------------------------------ */

#define MAX_SEGMENTS     32
#define MAX_PATH_STRINGS 8
#define MAX_SITES        512
#define MAX_FUNCS        256
#define MAX_FUNC_SITES   24
#define ENTRY_SCAN_BACK  (32u * 1024)  /* farthest a site may lie from its entry */
#define MAX_FUNC_SIZE    (64u * 1024)  /* how far a function's end is looked for */
#define CALLER_WINDOW    (4u << 20)    /* where SSL_read is sought around SSL_peek */
#define MAX_CALLERS      16            /* SSL_peek callers examined */
#define EXPLORE_BUDGET   768           /* instructions decoded per path search */
#define SITE_MAX_INSNS   24            /* from the path load to the call */
#define SITE_MAX_JUMPS   3
#define MAX_LINE         200000

/* ---- BoringSSL's public constants (include/openssl/{err,ssl}.h) -------- */

#define ERR_LIB_SSL                       16
#define ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED 66
#define SSL_R_BAD_HELLO_REQUEST           110
#define SSL_R_BAD_LENGTH                  111
#define SSL_R_CONNECTION_TYPE_NOT_SET     134
#define SSL_R_NO_RENEGOTIATION            182
#define SSL_R_PROTOCOL_IS_SHUTDOWN        194
#define SSL_R_SSL_HANDSHAKE_FAILURE       215
#define SSL_R_UNINITIALIZED               226
#define REASON_OTHER_LIB                  (-1) /* a site raising for another library */

struct signature {
	const int *reasons;
	size_t n;
};

#define SIG(a) { a, sizeof(a) / sizeof((a)[0]) }

static const int r_write_2021[] = { ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, SSL_R_UNINITIALIZED,
					SSL_R_SSL_HANDSHAKE_FAILURE, SSL_R_BAD_LENGTH };
static const int r_write_2018[] = { ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, SSL_R_UNINITIALIZED,
				       SSL_R_PROTOCOL_IS_SHUTDOWN, SSL_R_SSL_HANDSHAKE_FAILURE };
static const int r_read_impl[] = { SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE };
static const int r_peek[] = { ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED };
static const int r_do_handshake[] = { SSL_R_CONNECTION_TYPE_NOT_SET };
static const int r_post_handshake[] = { SSL_R_NO_RENEGOTIATION, SSL_R_BAD_HELLO_REQUEST };

static const struct signature sig_write_2021 = SIG(r_write_2021);
static const struct signature sig_write_2018 = SIG(r_write_2018);
static const struct signature sig_read_impl = SIG(r_read_impl);
static const struct signature sig_peek = SIG(r_peek);
static const struct signature sig_do_handshake = SIG(r_do_handshake);
static const struct signature sig_post_handshake = SIG(r_post_handshake);

/*
 * A function as it may appear in the binary: its own sites, plus the whole
 * site lists of ssl_lib.cc callees the compiler may have inlined into it.
 * Each source function occupies its own line range, so in line order an
 * inlined callee's sites form one contiguous block.
 */
struct shape {
	const struct signature *own;
	const struct signature *inlinable[3];
};

enum shape_id { SHAPE_WRITE_2021, SHAPE_WRITE_2018, SHAPE_READ_IMPL, SHAPE_PEEK,
		SHAPE_DO_HANDSHAKE, SHAPE_COUNT };

static const struct shape shapes[SHAPE_COUNT] = {
	[SHAPE_WRITE_2021] = { &sig_write_2021, { &sig_do_handshake } },
	[SHAPE_WRITE_2018] = { &sig_write_2018, { &sig_do_handshake } },
	[SHAPE_READ_IMPL] = { &sig_read_impl, { &sig_post_handshake, &sig_do_handshake } },
	[SHAPE_PEEK] = { &sig_peek, { &sig_read_impl, &sig_post_handshake, &sig_do_handshake } },
	[SHAPE_DO_HANDSHAKE] = { &sig_do_handshake, { NULL } },
};

/* ---- the ELF image ------------------------------------------------------ */

struct segment {
	uint64_t vaddr, offset, filesz; /* filesz clipped to the file */
	bool exec, write;
};

struct image {
	const uint8_t *p;
	size_t size;
	bool pie;
	struct segment seg[MAX_SEGMENTS];
	size_t nseg;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static bool range_in(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* An x86-64 little-endian ELF64 executable or shared object. */
static bool header_is_x86_64(const uint8_t *p, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)p;

	if (size < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) != 0)
		return false;
	if (p[EI_CLASS] != ELFCLASS64 || p[EI_DATA] != ELFDATA2LSB)
		return false;
	if (eh->e_machine != EM_X86_64)
		return false;
	return eh->e_type == ET_EXEC || eh->e_type == ET_DYN;
}

static bool parse_elf(const uint8_t *p, size_t size, struct image *im)
{
	Elf64_Ehdr eh;

	memset(im, 0, sizeof(*im));
	im->p = p;
	im->size = size;
	if (!header_is_x86_64(p, size))
		return false;
	memcpy(&eh, p, sizeof(eh));
	im->pie = eh.e_type == ET_DYN;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !range_in(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
		return false;
	for (size_t i = 0; i < eh.e_phnum && im->nseg < MAX_SEGMENTS; i++) {
		Elf64_Phdr ph;
		struct segment *s;

		memcpy(&ph, p + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0 || ph.p_offset >= size)
			continue;
		if (ph.p_vaddr > UINT64_MAX - ph.p_filesz)
			continue;
		s = &im->seg[im->nseg++];
		s->vaddr = ph.p_vaddr;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz < size - ph.p_offset ? ph.p_filesz : size - ph.p_offset;
		s->exec = ph.p_flags & PF_X;
		s->write = ph.p_flags & PF_W;
	}
	return im->nseg > 0;
}

static const struct segment *segment_of(const struct image *im, uint64_t va)
{
	for (size_t i = 0; i < im->nseg; i++) {
		const struct segment *s = &im->seg[i];

		if (va >= s->vaddr && va - s->vaddr < s->filesz)
			return s;
	}
	return NULL;
}


/* Code bytes at va: inside an executable segment, at least len of them. */
static const uint8_t *code_at(const struct image *im, uint64_t va, size_t len, size_t *avail)
{
	const struct segment *s = segment_of(im, va);

	if (!s || !s->exec)
		return NULL;
	*avail = (size_t)(s->filesz - (va - s->vaddr));
	if (*avail < len)
		return NULL;
	return im->p + s->offset + (va - s->vaddr);
}

static uint64_t file_offset_of(const struct image *im, uint64_t va)
{
	const struct segment *s = segment_of(im, va);

	return s ? s->offset + (va - s->vaddr) : 0;
}

/*
 * Ask for the pages of a range about to be scanned in one go: a cold
 * 370 MB executable is otherwise read in small fault-driven chunks, at a
 * fraction of the disk's speed.  Advice only; failure changes nothing.
 */
static void prefetch(const void *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t a, b;

	if (page <= 0 || len == 0)
		return;
	a = (uintptr_t)p & ~((uintptr_t)page - 1);
	b = (uintptr_t)p + len;
	madvise((void *)a, b - a, MADV_WILLNEED);
}

/* ---- a small x86-64 decoder -------------------------------------------- */
/*
 * Only what the code around error sites and function entries uses: integer
 * moves, ALU, push/pop, lea, test/cmp, jumps, calls, nops, endbr64 and a few
 * SSE moves.  Anything else is "unknown" and ends whatever walk asked.
 */

enum reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9 };

#define BIT(r) ((uint16_t)(1u << (r)))

static const uint8_t sysv_args[6] = { RDI, RSI, RDX, RCX, R8, R9 };

enum insn_kind { K_PLAIN, K_CALL, K_CALL_IND, K_JMP, K_JMP_IND, K_JCC, K_RET, K_TRAP };

struct insn {
	uint8_t len;
	uint8_t kind;
	uint64_t target;     /* K_CALL, K_JMP, K_JCC */
	uint16_t reads;      /* general registers read, addresses included */
	uint16_t writes;     /* general registers written */
	int8_t const_reg;    /* register given a known value, or -1 */
	uint64_t const_val;
};

struct modrm {
	uint8_t mod, reg, rm; /* reg and rm extended by REX */
	bool mem;             /* the r/m operand is memory */
	bool rip;             /* RIP-relative */
	int32_t disp;
	uint16_t addr_regs;   /* registers read to form the address */
	uint8_t len;          /* ModRM + SIB + displacement */
};

static bool decode_modrm(const uint8_t *p, size_t avail, uint8_t rex, struct modrm *m)
{
	uint8_t b, rm;
	size_t disp_len = 0;

	if (avail < 1)
		return false;
	b = p[0];
	memset(m, 0, sizeof(*m));
	m->mod = b >> 6;
	m->reg = (uint8_t)(((b >> 3) & 7) | (rex & 4 ? 8 : 0));
	rm = b & 7;
	m->len = 1;
	if (m->mod == 3) {
		m->rm = (uint8_t)(rm | (rex & 1 ? 8 : 0));
		return true;
	}
	m->mem = true;
	if (rm == 4) {
		uint8_t sib, base, index;

		if (avail < 2)
			return false;
		sib = p[1];
		m->len = 2;
		base = sib & 7;
		index = (uint8_t)(((sib >> 3) & 7) | (rex & 2 ? 8 : 0));
		if (index != RSP)
			m->addr_regs |= BIT(index);
		if (base == 5 && m->mod == 0)
			disp_len = 4;
		else
			m->addr_regs |= BIT(base | (rex & 1 ? 8 : 0));
	} else if (rm == 5 && m->mod == 0) {
		m->rip = true;
		disp_len = 4;
	} else {
		m->addr_regs |= BIT(rm | (rex & 1 ? 8 : 0));
	}
	if (m->mod == 1)
		disp_len = 1;
	else if (m->mod == 2)
		disp_len = 4;
	if (avail < m->len + disp_len)
		return false;
	if (disp_len == 1)
		m->disp = (int8_t)p[m->len];
	else if (disp_len == 4)
		m->disp = (int32_t)rd32(p + m->len);
	m->len = (uint8_t)(m->len + disp_len);
	return true;
}

/* Decoding state shared by the opcode handlers. */
struct dec {
	const uint8_t *p;
	size_t avail;
	size_t i;         /* bytes consumed */
	uint8_t rex;
	bool opsize;      /* 0x66 */
	struct modrm m;
	struct insn *in;
};

static bool take_modrm(struct dec *d)
{
	if (!decode_modrm(d->p + d->i, d->avail - d->i, d->rex, &d->m))
		return false;
	d->i += d->m.len;
	d->in->reads |= d->m.addr_regs;
	return true;
}

static bool take_imm(struct dec *d, size_t n, int64_t *v)
{
	if (d->avail - d->i < n)
		return false;
	if (n == 1)
		*v = (int8_t)d->p[d->i];
	else if (n == 2)
		*v = (int16_t)rd16(d->p + d->i);
	else if (n == 4)
		*v = (int32_t)rd32(d->p + d->i);
	else
		*v = (int64_t)rd64(d->p + d->i);
	d->i += n;
	return true;
}

/* Immediate of an operand-size-dependent ("z") form: 2 or 4 bytes. */
static size_t imm_z(const struct dec *d)
{
	return d->opsize && !(d->rex & 8) ? 2 : 4;
}

/* The r/m operand as a register operand: read and/or written. */
static void rm_reg_use(struct dec *d, bool read, bool write)
{
	if (d->m.mem)
		return;
	if (read)
		d->in->reads |= BIT(d->m.rm);
	if (write)
		d->in->writes |= BIT(d->m.rm);
}

static bool skip_imm(struct dec *d, size_t n)
{
	int64_t v;

	return take_imm(d, n, &v);
}

static bool rel_branch(struct dec *d, size_t n, uint8_t kind, uint64_t va)
{
	int64_t rel;

	if (!take_imm(d, n, &rel))
		return false;
	d->in->kind = kind;
	d->in->target = va + d->i + (uint64_t)rel;
	return true;
}

/* ALU r/m,r and r,r/m forms (00-3B): add or adc sbb and sub xor cmp. */
static bool op_alu_modrm(struct dec *d, uint8_t op)
{
	unsigned alu = op >> 3;
	bool to_reg = op & 2, wide = op & 1;

	if (!take_modrm(d))
		return false;
	if (!d->m.mem && d->m.reg == d->m.rm && (alu == 6 || alu == 5)) {
		/* xor/sub r, r: a zeroing idiom, reads nothing */
		d->in->writes |= BIT(d->m.reg);
		if (wide) {
			d->in->const_reg = (int8_t)d->m.reg;
			d->in->const_val = 0;
		}
		return true;
	}
	d->in->reads |= BIT(d->m.reg);
	rm_reg_use(d, true, false);
	if (alu != 7) {
		if (to_reg)
			d->in->writes |= BIT(d->m.reg);
		else
			rm_reg_use(d, false, true);
	}
	return true;
}

static bool op_group1(struct dec *d, uint8_t op)
{
	if (!take_modrm(d) || !skip_imm(d, op == 0x81 ? imm_z(d) : 1))
		return false;
	rm_reg_use(d, true, (d->m.reg & 7) != 7);
	return true;
}

static bool op_group3(struct dec *d, uint8_t op)
{
	unsigned sub;

	if (!take_modrm(d))
		return false;
	sub = d->m.reg & 7;
	if (sub <= 1)
		return skip_imm(d, op == 0xF6 ? 1 : imm_z(d)) && (rm_reg_use(d, true, false), true);
	if (sub <= 3) {
		rm_reg_use(d, true, true);
		return true;
	}
	rm_reg_use(d, true, false); /* mul/imul/div/idiv: rdx:rax */
	d->in->reads |= BIT(RAX) | BIT(RDX);
	d->in->writes |= BIT(RAX) | BIT(RDX);
	return true;
}

static bool op_group5(struct dec *d)
{
	if (!take_modrm(d))
		return false;
	switch (d->m.reg & 7) {
	case 0:
	case 1:
		rm_reg_use(d, true, true);
		return true;
	case 2:
		rm_reg_use(d, true, false);
		d->in->kind = K_CALL_IND;
		return true;
	case 4:
		rm_reg_use(d, true, false);
		d->in->kind = K_JMP_IND;
		return true;
	case 6:
		rm_reg_use(d, true, false);
		d->in->reads |= BIT(RSP);
		d->in->writes |= BIT(RSP);
		return true;
	default:
		return false;
	}
}

static bool op_mov_imm(struct dec *d, uint8_t op)
{
	uint8_t r = (uint8_t)((op & 7) | (d->rex & 1 ? 8 : 0));
	int64_t v;

	d->in->writes |= BIT(r);
	if (d->rex & 8) {
		if (!take_imm(d, 8, &v))
			return false;
		d->in->const_val = (uint64_t)v;
	} else if (d->opsize) {
		return skip_imm(d, 2);
	} else {
		if (!take_imm(d, 4, &v))
			return false;
		d->in->const_val = (uint32_t)v; /* 32-bit writes zero-extend */
	}
	d->in->const_reg = (int8_t)r;
	return true;
}

/* mov r/m, imm (C6 /0, C7 /0). */
static bool op_mov_rm_imm(struct dec *d, uint8_t op)
{
	int64_t v;

	if (!take_modrm(d) || (d->m.reg & 7) != 0)
		return false;
	if (!take_imm(d, op == 0xC6 ? 1 : imm_z(d), &v))
		return false;
	rm_reg_use(d, false, true);
	if (!d->m.mem && op == 0xC7 && !d->opsize) {
		d->in->const_reg = (int8_t)d->m.rm;
		d->in->const_val = d->rex & 8 ? (uint64_t)v : (uint32_t)v;
	}
	return true;
}

static bool op_lea(struct dec *d, uint64_t va)
{
	if (!take_modrm(d) || !d->m.mem)
		return false;
	d->in->writes |= BIT(d->m.reg);
	if (d->m.rip && !d->opsize) {
		uint64_t t = va + d->i + (uint64_t)(int64_t)d->m.disp;

		d->in->const_reg = (int8_t)d->m.reg;
		d->in->const_val = d->rex & 8 ? t : (uint32_t)t;
	}
	return true;
}

/* SSE moves and logic that touch no general register (xmm only). */
static bool is_xmm_only_0f(uint8_t op)
{
	switch (op) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15:
	case 0x16: case 0x17: case 0x28: case 0x29: case 0x2E: case 0x2F:
	case 0x54: case 0x55: case 0x56: case 0x57: case 0x6F: case 0x7F:
	case 0xD6: case 0xEF:
		return true;
	default:
		return false;
	}
}

static bool op_two_byte(struct dec *d, uint64_t va)
{
	uint8_t op;

	if (d->i >= d->avail)
		return false;
	op = d->p[d->i++];
	if (op >= 0x80 && op <= 0x8F)
		return rel_branch(d, 4, K_JCC, va);
	if (op == 0x0B) {
		d->in->kind = K_TRAP; /* ud2 */
		return true;
	}
	if (op >= 0x18 && op <= 0x1F) /* hint nops, endbr64 */
		return take_modrm(d);
	if (is_xmm_only_0f(op))
		return take_modrm(d);
	if (op >= 0x40 && op <= 0x4F) { /* cmovcc */
		if (!take_modrm(d))
			return false;
		d->in->reads |= BIT(d->m.reg);
		d->in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	}
	if (op >= 0x90 && op <= 0x9F) { /* setcc */
		if (!take_modrm(d))
			return false;
		rm_reg_use(d, false, true);
		return true;
	}
	switch (op) {
	case 0xA3: /* bt r/m, r */
		if (!take_modrm(d))
			return false;
		d->in->reads |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	case 0xAF: /* imul r, r/m */
		if (!take_modrm(d))
			return false;
		d->in->reads |= BIT(d->m.reg);
		d->in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	case 0xB6: case 0xB7: case 0xBE: case 0xBF: /* movzx, movsx */
		if (!take_modrm(d))
			return false;
		d->in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	default:
		return false;
	}
}

static bool op_one_byte(struct dec *d, uint8_t op, uint64_t va)
{
	struct insn *in = d->in;

	if (op < 0x40 && (op & 7) < 4)
		return op_alu_modrm(d, op);
	if (op < 0x40 && (op & 7) < 6) { /* ALU al/eax, imm */
		in->reads |= BIT(RAX);
		if ((op >> 3) != 7)
			in->writes |= BIT(RAX);
		return skip_imm(d, (op & 7) == 4 ? 1 : imm_z(d));
	}
	if (op >= 0x50 && op <= 0x57) {
		in->reads |= BIT((op & 7) | (d->rex & 1 ? 8 : 0)) | BIT(RSP);
		in->writes |= BIT(RSP);
		return true;
	}
	if (op >= 0x58 && op <= 0x5F) {
		in->writes |= BIT((op & 7) | (d->rex & 1 ? 8 : 0)) | BIT(RSP);
		in->reads |= BIT(RSP);
		return true;
	}
	if (op >= 0x70 && op <= 0x7F)
		return rel_branch(d, 1, K_JCC, va);
	if (op >= 0xB0 && op <= 0xB7) { /* mov r8, imm8 */
		in->writes |= BIT((op & 7) | (d->rex & 1 ? 8 : 0));
		return skip_imm(d, 1);
	}
	if (op >= 0xB8 && op <= 0xBF)
		return op_mov_imm(d, op);
	if (op >= 0x91 && op <= 0x97) { /* xchg rax, r */
		uint16_t r = BIT((op & 7) | (d->rex & 1 ? 8 : 0)) | BIT(RAX);

		in->reads |= r;
		in->writes |= r;
		return true;
	}
	switch (op) {
	case 0x63: /* movsxd */
	case 0x8A:
	case 0x8B: /* mov r, r/m */
		if (!take_modrm(d))
			return false;
		in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	case 0x88:
	case 0x89: /* mov r/m, r */
		if (!take_modrm(d))
			return false;
		in->reads |= BIT(d->m.reg);
		rm_reg_use(d, false, true);
		return true;
	case 0x84:
	case 0x85: /* test */
		if (!take_modrm(d))
			return false;
		in->reads |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	case 0x86:
	case 0x87: /* xchg */
		if (!take_modrm(d))
			return false;
		in->reads |= BIT(d->m.reg);
		in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, true);
		return true;
	case 0x69:
	case 0x6B: /* imul r, r/m, imm */
		if (!take_modrm(d) || !skip_imm(d, op == 0x69 ? imm_z(d) : 1))
			return false;
		in->writes |= BIT(d->m.reg);
		rm_reg_use(d, true, false);
		return true;
	case 0x80:
	case 0x81:
	case 0x83:
		return op_group1(d, op);
	case 0x8D:
		return op_lea(d, va);
	case 0x8F: /* pop r/m */
		if (!take_modrm(d) || (d->m.reg & 7) != 0)
			return false;
		rm_reg_use(d, false, true);
		in->reads |= BIT(RSP);
		in->writes |= BIT(RSP);
		return true;
	case 0x90: /* nop, or xchg r8, rax with REX.B */
		if (d->rex & 1) {
			in->reads |= BIT(R8) | BIT(RAX);
			in->writes |= BIT(R8) | BIT(RAX);
		}
		return true;
	case 0x98:
		in->reads |= BIT(RAX);
		in->writes |= BIT(RAX);
		return true;
	case 0x99:
		in->reads |= BIT(RAX);
		in->writes |= BIT(RDX);
		return true;
	case 0xA8:
	case 0xA9:
		in->reads |= BIT(RAX);
		return skip_imm(d, op == 0xA8 ? 1 : imm_z(d));
	case 0xC0:
	case 0xC1: /* shifts by imm8 */
		if (!take_modrm(d) || !skip_imm(d, 1))
			return false;
		rm_reg_use(d, true, true);
		return true;
	case 0xD0: case 0xD1: case 0xD2: case 0xD3: /* shifts by 1 / cl */
		if (!take_modrm(d))
			return false;
		rm_reg_use(d, true, true);
		if (op >= 0xD2)
			in->reads |= BIT(RCX);
		return true;
	case 0xC2:
		in->kind = K_RET;
		return skip_imm(d, 2);
	case 0xC3:
		in->kind = K_RET;
		return true;
	case 0xC6:
	case 0xC7:
		return op_mov_rm_imm(d, op);
	case 0xC9: /* leave */
		in->reads |= BIT(RBP);
		in->writes |= BIT(RBP) | BIT(RSP);
		return true;
	case 0xCC:
		in->kind = K_TRAP;
		return true;
	case 0xE8:
		return rel_branch(d, 4, K_CALL, va);
	case 0xE9:
		return rel_branch(d, 4, K_JMP, va);
	case 0xEB:
		return rel_branch(d, 1, K_JMP, va);
	case 0xF6:
	case 0xF7:
		return op_group3(d, op);
	case 0xFE: /* inc/dec r/m8 */
		if (!take_modrm(d) || (d->m.reg & 7) > 1)
			return false;
		rm_reg_use(d, true, true);
		return true;
	case 0xFF:
		return op_group5(d);
	case 0x0F:
		return op_two_byte(d, va);
	default:
		return false;
	}
}

/* Decode one instruction at p (avail bytes readable) located at va. */
static bool decode_insn(const uint8_t *p, size_t avail, uint64_t va, struct insn *in)
{
	struct dec d = { .p = p, .avail = avail > 15 ? 15 : avail, .in = in };

	memset(in, 0, sizeof(*in));
	in->const_reg = -1;
	for (;;) { /* legacy prefixes */
		if (d.i >= d.avail)
			return false;
		switch (p[d.i]) {
		case 0x66:
			d.opsize = true;
			/* fall through */
		case 0xF2: case 0xF3: case 0x2E: case 0x3E: case 0x26:
		case 0x36: case 0x64: case 0x65: case 0xF0:
			d.i++;
			continue;
		}
		break;
	}
	if ((p[d.i] & 0xF0) == 0x40)
		d.rex = p[d.i++];
	if (d.i >= d.avail)
		return false;
	if (!op_one_byte(&d, p[d.i++], va))
		return false;
	in->len = (uint8_t)d.i;
	return true;
}

/* ---- function entries --------------------------------------------------- */

static bool is_endbr64(const uint8_t *p, size_t avail)
{
	return avail >= 4 && p[0] == 0xF3 && p[1] == 0x0F && p[2] == 0x1E && p[3] == 0xFA;
}

static bool is_mov_rbp_rsp(const uint8_t *p, size_t avail)
{
	return avail >= 3 && p[0] == 0x48 &&
	       ((p[1] == 0x89 && p[2] == 0xE5) || (p[1] == 0x8B && p[2] == 0xEC));
}

/*
 * push rbp, then mov rbp, rsp: next to it (clang) or after up to three
 * instructions the scheduler moved in between (gcc) that neither branch
 * nor touch rbp/rsp.
 */
static bool is_frame_setup(const uint8_t *p, size_t avail)
{
	size_t at = 1;

	if (avail < 4 || p[0] != 0x55)
		return false;
	for (int n = 0; n < 4; n++) {
		struct insn in;

		if (is_mov_rbp_rsp(p + at, avail - at))
			return true;
		if (!decode_insn(p + at, avail - at, 0, &in) || in.kind != K_PLAIN ||
		    ((in.reads | in.writes) & (BIT(RSP) | BIT(RBP))))
			return false;
		at += in.len;
	}
	return false;
}

/* What a function that saves registers or makes room on the stack starts with. */
static bool is_saving_prologue(const uint8_t *p, size_t avail)
{
	if (avail >= 1 && p[0] >= 0x50 && p[0] <= 0x57)
		return true; /* push r */
	if (avail >= 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57)
		return true; /* push r8-r15 */
	return avail >= 3 && p[0] == 0x48 && (p[1] == 0x83 || p[1] == 0x81) && p[2] == 0xEC;
}

static bool byte_before(const struct image *im, uint64_t va, unsigned back, uint8_t *b)
{
	const uint8_t *p;
	size_t avail;

	if (va < back)
		return false;
	p = code_at(im, va - back, 1, &avail);
	if (!p)
		return false;
	*b = *p;
	return true;
}

/*
 * A function entry as this locator recognises one: 16-byte aligned, and
 * either a frame set-up (optionally after endbr64), or endbr64 alone, or a
 * register-saving first instruction right after int3 padding.  p points at
 * the candidate, with before/after readable bytes around it.
 */
static bool entry_at(const uint8_t *p, size_t before, size_t after)
{
	size_t k = is_endbr64(p, after) ? 4 : 0;

	if (is_frame_setup(p + k, after - k))
		return true;
	if (k)
		return true;
	return before >= 1 && p[-1] == 0xCC && is_saving_prologue(p, after);
}

static bool looks_like_entry(const struct image *im, uint64_t va)
{
	const struct segment *s = segment_of(im, va);
	uint64_t off;

	if ((va & 15) || !s || !s->exec)
		return false;
	off = va - s->vaddr;
	return entry_at(im->p + s->offset + off, (size_t)off, (size_t)(s->filesz - off));
}

/* The nearest entry at or before va, within ENTRY_SCAN_BACK; 0 if none. */
static uint64_t entry_before(const struct image *im, uint64_t va)
{
	const struct segment *s = segment_of(im, va);
	const uint8_t *base;
	uint64_t off, o;

	if (!s || !s->exec)
		return 0;
	base = im->p + s->offset;
	off = va - s->vaddr;
	if (off < (va & 15))
		return 0;
	for (o = off - (va & 15); off - o <= ENTRY_SCAN_BACK; o -= 16) {
		if (entry_at(base + o, (size_t)o, (size_t)(s->filesz - o)))
			return s->vaddr + o;
		if (o < 16)
			break;
	}
	return 0;
}

/* The next entry after the one at entry, within MAX_FUNC_SIZE; 0 if none. */
static uint64_t entry_after(const struct image *im, uint64_t entry)
{
	const struct segment *s = segment_of(im, entry);
	const uint8_t *base;
	uint64_t off;

	if (!s || !s->exec || (entry & 15))
		return 0;
	base = im->p + s->offset;
	off = entry - s->vaddr;
	for (uint64_t o = off + 16; o < s->filesz && o - off < MAX_FUNC_SIZE; o += 16)
		if (entry_at(base + o, (size_t)o, (size_t)(s->filesz - o)))
			return s->vaddr + o;
	return 0;
}

/* What can end the instruction just before a function: ret, jmp, call, ud2, padding. */
static bool ends_like_function_before(const struct image *im, uint64_t va)
{
	uint8_t b1 = 0, b2 = 0, b5 = 0;

	if (!byte_before(im, va, 1, &b1))
		return false;
	if (b1 == 0xCC || b1 == 0x90 || b1 == 0xC3)
		return true;
	if (byte_before(im, va, 2, &b2) && ((b2 == 0x0F && b1 == 0x0B) || b2 == 0xEB))
		return true;
	if (byte_before(im, va, 5, &b5) && (b5 == 0xE9 || b5 == 0xE8))
		return true;
	/* multi-byte nop padding ends in 00 after a 0F 1F form */
	return b1 == 0x00;
}

/* The checks a reported entry has to pass on top of looks_like_entry. */
static bool plausible_entry(const struct image *im, uint64_t va)
{
	const uint8_t *p;
	size_t avail, k = 0;

	if (!looks_like_entry(im, va) || !ends_like_function_before(im, va))
		return false;
	p = code_at(im, va, 1, &avail);
	if (!p)
		return false;
	if (is_endbr64(p, avail))
		k = 4;
	return is_saving_prologue(p + k, avail - k);
}

/* ---- walking code paths ------------------------------------------------- */

enum { RSI_READ = 1, RDX_READ = 2, RSI_LOST = 4, RDX_LOST = 8 };

struct walk {
	const struct image *im;
	uint64_t lo, hi;      /* the walk stays inside [lo, hi) */
	uint64_t goal;        /* forwards_args(): the call to reach */
	unsigned budget;
};

static uint8_t track_args(uint8_t st, const struct insn *in)
{
	if ((in->reads & BIT(RSI)) && !(st & RSI_LOST))
		st |= RSI_READ;
	if ((in->reads & BIT(RDX)) && !(st & RDX_LOST))
		st |= RDX_READ;
	if (in->writes & BIT(RSI))
		st |= RSI_LOST;
	if (in->writes & BIT(RDX))
		st |= RDX_LOST;
	return st;
}

/*
 * Depth-first over the paths from ip; per path, the state says whether
 * rsi/rdx were read while still holding the caller's values.  Paths end at
 * calls, returns and anything undecodable.  Returns true when a path
 * satisfies the walk's question (see the two callers).
 */
static bool walk_paths(struct walk *w, uint64_t ip, uint8_t st, unsigned depth)
{
	while (w->budget > 0) {
		struct insn in;
		const uint8_t *p;
		size_t avail;

		if (ip < w->lo || ip >= w->hi)
			return false;
		p = code_at(w->im, ip, 1, &avail);
		if (!p || !decode_insn(p, avail, ip, &in))
			return false;
		w->budget--;
		if (w->goal && ip == w->goal)
			return !(st & (RSI_LOST | RDX_LOST));
		st = track_args(st, &in);
		if (!w->goal && (st & (RSI_READ | RDX_READ)) == (RSI_READ | RDX_READ))
			return true;
		switch (in.kind) {
		case K_PLAIN:
			ip += in.len;
			break;
		case K_JMP:
			if (in.target <= ip) /* only forward: no loops */
				return false;
			ip = in.target;
			break;
		case K_JCC:
			if (depth < 16 && in.target > ip && walk_paths(w, in.target, st, depth + 1))
				return true;
			ip += in.len;
			break;
		default:
			return false;
		}
	}
	return false;
}

/* Does the function at entry read rsi and rdx before writing them (takes buf, num)? */
static bool reads_buf_and_num(const struct image *im, uint64_t entry)
{
	struct walk w = { .im = im, .lo = entry, .hi = entry + MAX_FUNC_SIZE,
			  .budget = EXPLORE_BUDGET };

	return walk_paths(&w, entry, 0, 0);
}

/* Can the function at entry reach the call at call_va with rsi and rdx untouched? */
static bool forwards_args(const struct image *im, uint64_t entry, uint64_t call_va)
{
	struct walk w = { .im = im, .lo = entry, .hi = call_va + 1, .goal = call_va,
			  .budget = EXPLORE_BUDGET };

	return walk_paths(&w, entry, 0, 0);
}

/* ---- sections (optional hints: a stripped file may lack or fake them) -- */

/* The section header named want, if the (optional) section table has one in the file. */
static bool find_section(const struct image *im, const char *want, Elf64_Shdr *out)
{
	const uint8_t *p = im->p;
	size_t wl = strlen(want) + 1;
	Elf64_Ehdr eh;
	Elf64_Shdr names;

	memcpy(&eh, p, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096 ||
	    eh.e_shstrndx >= eh.e_shnum ||
	    !range_in(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), im->size))
		return false;
	memcpy(&names, p + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(names), sizeof(names));
	if (!range_in(names.sh_offset, names.sh_size, im->size))
		return false;
	for (size_t i = 0; i < eh.e_shnum; i++) {
		memcpy(out, p + eh.e_shoff + i * sizeof(*out), sizeof(*out));
		if (out->sh_name < names.sh_size && names.sh_size - out->sh_name >= wl &&
		    memcmp(p + names.sh_offset + out->sh_name, want, wl) == 0)
			return true;
	}
	return false;
}

/* ---- the path string ---------------------------------------------------- */

static bool printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7F;
}

/*
 * The needle is "ssl/ssl_lib.c" in two pieces, so that a program linking
 * this file does not itself contain the string it looks for.
 */
static const char path_tail[] = "/ssl_lib.c";
static const char path_dir[] = "ssl";

/*
 * The C string that ends in "ssl/ssl_lib.cc" (or ".c") around the match of
 * path_tail at m inside [lo, hi): returns its start, or NULL if it is not
 * such a path.
 */
static const uint8_t *path_string_start(const uint8_t *lo, const uint8_t *hi, const uint8_t *m)
{
	const uint8_t *end = m + sizeof(path_tail) - 1, *s = m - (sizeof(path_dir) - 1);

	if (m - lo < (ptrdiff_t)sizeof(path_dir) - 1 || memcmp(s, path_dir, sizeof(path_dir) - 1))
		return NULL;
	if (end < hi && *end == 'c')
		end++;
	if (end >= hi || *end != 0)
		return NULL;
	if (s > lo && s[-1] != 0 && s[-1] != '/')
		return NULL; /* e.g. "libssl/ssl_lib.c": not BoringSSL's ssl/ */
	while (s > lo && s[-1] != 0) {
		if (!printable(s[-1]) || m - s >= 512)
			return NULL;
		s--;
	}
	return s;
}

static size_t find_path_strings_in(const struct image *im, const struct segment *sg,
				   uint64_t *va, size_t n)
{
	const uint8_t *lo = im->p + sg->offset, *hi = lo + sg->filesz, *q = lo;

	prefetch(lo, (size_t)sg->filesz);
	while (n < MAX_PATH_STRINGS && q < hi) {
		const uint8_t *m = memmem(q, (size_t)(hi - q), path_tail, sizeof(path_tail) - 1);
		const uint8_t *s;
		uint64_t v;
		bool dup = false;

		if (!m)
			break;
		q = m + 1;
		s = path_string_start(lo, hi, m);
		if (!s)
			continue;
		v = sg->vaddr + (uint64_t)(s - lo);
		for (size_t i = 0; i < n; i++)
			dup |= va[i] == v;
		if (!dup)
			va[n++] = v;
	}
	return n;
}

/* .rodata as a pseudo-segment, when the section table has it inside a read-only segment. */
static bool rodata_view(const struct image *im, struct segment *view)
{
	const struct segment *in;
	Elf64_Shdr ro;

	if (!find_section(im, ".rodata", &ro) || ro.sh_type != SHT_PROGBITS || ro.sh_size == 0)
		return false;
	in = segment_of(im, ro.sh_addr);
	if (!in || in->write || in->exec || ro.sh_size > in->filesz ||
	    ro.sh_addr - in->vaddr > in->filesz - ro.sh_size)
		return false;
	memset(view, 0, sizeof(*view));
	view->vaddr = ro.sh_addr;
	view->offset = in->offset + (ro.sh_addr - in->vaddr);
	view->filesz = ro.sh_size;
	return true;
}

/*
 * .rodata when the section table names it (and it lies in a read-only
 * segment), else every read-only segment, else the code segments.  Bun
 * keeps a read-only payload of 100+ MiB that .rodata lets us skip.
 */
static size_t find_path_strings(const struct image *im, uint64_t *va)
{
	struct segment rodata;
	size_t n = 0;

	if (rodata_view(im, &rodata)) {
		n = find_path_strings_in(im, &rodata, va, 0);
		if (n > 0)
			return n;
	}
	for (size_t i = 0; i < im->nseg; i++)
		if (!im->seg[i].exec && !im->seg[i].write)
			n = find_path_strings_in(im, &im->seg[i], va, n);
	for (size_t i = 0; i < im->nseg && n == 0; i++)
		if (im->seg[i].exec)
			n = find_path_strings_in(im, &im->seg[i], va, n);
	return n;
}

/* ---- error sites -------------------------------------------------------- */

struct site {
	uint64_t va;     /* the instruction loading the path's address */
	uint64_t func;   /* entry of the enclosing function; 0 = not found */
	int lib, reason, line;
	bool decoded;
};

struct regs {
	uint16_t known;
	uint64_t val[16];
};

static void set_reg(struct regs *r, int reg, uint64_t v)
{
	r->known |= BIT(reg);
	r->val[reg] = v;
}

/*
 * Argument set-up that the compiler placed before the path load: up to
 * four "mov r32, imm32" / "xor r32, r32" that end exactly at va.  Decoding
 * backwards is a guess (a byte may belong to an earlier instruction).  A
 * wrong guess yields values that fail read_call_args' range checks or a
 * reason list no shape accepts; it cannot invent a function's whole list.
 */
static void preceding_constants(const struct image *im, uint64_t va, struct regs *r)
{
	struct {
		int reg;
		uint64_t val;
	} seen[4];
	size_t n = 0;

	while (n < 4) {
		const uint8_t *p;
		size_t avail;

		if (va >= 6 && (p = code_at(im, va - 6, 6, &avail)) && p[0] == 0x41 &&
		    p[1] >= 0xB8 && p[1] <= 0xBF) {
			seen[n].reg = 8 + (p[1] - 0xB8);
			seen[n++].val = rd32(p + 2);
			va -= 6;
		} else if (va >= 5 && (p = code_at(im, va - 5, 5, &avail)) && p[0] >= 0xB8 &&
			   p[0] <= 0xBF) {
			seen[n].reg = p[0] - 0xB8;
			seen[n++].val = rd32(p + 1);
			va -= 5;
		} else if (va >= 2 && (p = code_at(im, va - 2, 2, &avail)) &&
			   (p[0] == 0x31 || p[0] == 0x33) && (p[1] & 0xC0) == 0xC0 &&
			   ((p[1] >> 3) & 7) == (p[1] & 7)) {
			seen[n].reg = p[1] & 7;
			seen[n++].val = 0;
			va -= 2;
		} else {
			break;
		}
	}
	while (n-- > 0)
		set_reg(r, seen[n].reg, seen[n].val);
}

/*
 * Follow the straight-line code after the path load to the call (or a
 * tail jump to a function entry), tracking registers given constants.
 */
static bool run_to_call(const struct image *im, uint64_t ip, struct regs *r)
{
	unsigned jumps = 0;

	for (unsigned n = 0; n < SITE_MAX_INSNS; n++) {
		struct insn in;
		const uint8_t *p;
		size_t avail;

		p = code_at(im, ip, 1, &avail);
		if (!p || !decode_insn(p, avail, ip, &in))
			return false;
		switch (in.kind) {
		case K_CALL:
		case K_CALL_IND:
			return true;
		case K_JMP:
			if (looks_like_entry(im, in.target))
				return true;
			if (++jumps > SITE_MAX_JUMPS)
				return false;
			ip = in.target;
			continue;
		case K_PLAIN:
			r->known &= (uint16_t)~in.writes;
			if (in.const_reg >= 0)
				set_reg(r, in.const_reg, in.const_val);
			ip += in.len;
			continue;
		default:
			return false;
		}
	}
	return false;
}

static int arg_index(int reg)
{
	for (int i = 0; i < 6; i++)
		if (sysv_args[i] == reg)
			return i;
	return -1;
}

/*
 * Read (lib, reason, line) off the registers at the call: the path is in
 * argument f, the reason in f-1, the line in f+1, the library in the first.
 */
static bool read_call_args(const struct regs *r, int file_reg, uint64_t file_va, struct site *s)
{
	int f = arg_index(file_reg);
	int lib_r, reason_r, line_r;

	if (f < 2 || f > 4)
		return false;
	if (!(r->known & BIT(file_reg)) || r->val[file_reg] != file_va)
		return false;
	lib_r = sysv_args[0];
	reason_r = sysv_args[f - 1];
	line_r = sysv_args[f + 1];
	if (!(r->known & BIT(lib_r)) || !(r->known & BIT(reason_r)) || !(r->known & BIT(line_r)))
		return false;
	if (r->val[lib_r] == 0 || r->val[lib_r] > 255)
		return false;
	if (r->val[reason_r] == 0 || r->val[reason_r] > 0xFFF)
		return false;
	if (r->val[line_r] == 0 || r->val[line_r] > MAX_LINE)
		return false;
	s->lib = (int)r->val[lib_r];
	s->reason = (int)r->val[reason_r];
	s->line = (int)r->val[line_r];
	return true;
}

static bool decode_site(const struct image *im, uint64_t load_va, unsigned load_len,
			int file_reg, uint64_t file_va, struct site *s)
{
	struct regs r = { 0 };

	preceding_constants(im, load_va, &r);
	set_reg(&r, file_reg, file_va);
	memset(s, 0, sizeof(*s));
	s->va = load_va;
	s->lib = s->reason = s->line = -1;
	if (!run_to_call(im, load_va + load_len, &r))
		return false;
	s->decoded = read_call_args(&r, file_reg, file_va, s);
	return s->decoded;
}

struct site_list {
	struct site s[MAX_SITES];
	size_t n;
	size_t undecoded;
};

static bool site_known(const struct site_list *sl, uint64_t va)
{
	for (size_t i = 0; i < sl->n; i++)
		if (sl->s[i].va == va)
			return true;
	return false;
}

/* One way the bytes around an address hit may be an instruction loading it. */
struct load_form {
	uint64_t va;
	unsigned len;
	int reg;
};

/*
 * The forms an imm32 at va may be the immediate of: "mov r32, imm32"
 * (B8+r, REX.B for r8-r15), "mov r/m, imm32" (C7 /0, register form), each
 * with and without a REX prefix.  Several can fit the same bytes.
 */
static size_t imm_load_forms(const struct image *im, uint64_t va, struct load_form *f)
{
	size_t n = 0;
	uint8_t b1 = 0, b2 = 0, b3 = 0;

	if (!byte_before(im, va, 1, &b1))
		return 0;
	byte_before(im, va, 2, &b2);
	byte_before(im, va, 3, &b3);
	if (b1 >= 0xB8 && b1 <= 0xBF) {
		if ((b2 & 0xF0) == 0x40 && !(b2 & 8))
			f[n++] = (struct load_form){ va - 2, 6, (b1 - 0xB8) | (b2 & 1 ? 8 : 0) };
		f[n++] = (struct load_form){ va - 1, 5, b1 - 0xB8 };
	}
	if (b2 == 0xC7 && (b1 & 0xF8) == 0xC0) {
		if ((b3 & 0xF0) == 0x40)
			f[n++] = (struct load_form){ va - 3, 7, (b1 & 7) | (b3 & 1 ? 8 : 0) };
		f[n++] = (struct load_form){ va - 2, 6, b1 & 7 };
	}
	return n;
}

static void add_site(const struct image *im, struct site_list *sl, const struct load_form *f,
		     size_t nf, uint64_t file_va)
{
	struct site s;

	for (size_t i = 0; i < nf; i++)
		if (site_known(sl, f[i].va))
			return;
	if (sl->n >= MAX_SITES)
		return;
	for (size_t i = 0; i < nf; i++) {
		if (decode_site(im, f[i].va, f[i].len, f[i].reg, file_va, &s)) {
			sl->s[sl->n++] = s;
			return;
		}
	}
	if (nf > 0) {
		/* it loads the path but we cannot tell what it raises */
		memset(&s, 0, sizeof(s));
		s.va = f[0].va;
		s.lib = s.reason = s.line = -1;
		sl->s[sl->n++] = s;
		sl->undecoded++;
	}
}

/*
 * Which byte of the little-endian needle to look for with memchr: the one
 * rarest in a sample of the segment (memchr is several times faster than
 * memmem here, and the rarer the byte the fewer false starts).
 */
static unsigned rarest_needle_byte(const uint8_t *seg, size_t len, const uint8_t needle[4])
{
	size_t count[256] = { 0 }, sample = len < (1u << 20) ? len : (1u << 20);
	unsigned best = 0;

	for (size_t i = 0; i < sample; i++)
		count[seg[i]]++;
	for (unsigned k = 1; k < 4; k++)
		if (count[needle[k]] < count[needle[best]])
			best = k;
	return best;
}

/* Non-PIE code: the address as a little-endian imm32. */
static void scan_imm_loads(const struct image *im, const struct segment *sg, uint64_t file_va,
			   struct site_list *sl)
{
	const uint8_t *lo = im->p + sg->offset, *hi = lo + sg->filesz, *q;
	uint8_t needle[4];
	unsigned k;

	if (file_va > UINT32_MAX || sg->filesz < 8)
		return;
	for (unsigned i = 0; i < 4; i++)
		needle[i] = (uint8_t)(file_va >> (8 * i));
	prefetch(lo, (size_t)sg->filesz);
	k = rarest_needle_byte(lo, (size_t)sg->filesz, needle);
	q = lo + k;
	while (q < hi && sl->n < MAX_SITES) {
		const uint8_t *m = memchr(q, needle[k], (size_t)(hi - q));
		struct load_form f[4];
		size_t nf;

		if (!m)
			break;
		q = m + 1;
		m -= k;
		if (hi - m < 4 || memcmp(m, needle, 4) != 0)
			continue;
		nf = imm_load_forms(im, sg->vaddr + (uint64_t)(m - lo), f);
		add_site(im, sl, f, nf, file_va);
	}
}

/*
 * PIE code: "lea r, [rip + disp32]" whose target is the path.  The disp32
 * at offset i satisfies vaddr + i + 4 + disp == file_va, i.e. disp + i is a
 * constant (mod 2^32): one pass over the segment, no decoding.
 */
static void scan_rip_loads(const struct image *im, const struct segment *sg, uint64_t file_va,
			   struct site_list *sl)
{
	const uint8_t *lo = im->p + sg->offset;
	uint32_t want = (uint32_t)(file_va - sg->vaddr - 4);

	if (sg->filesz < 8)
		return;
	for (uint64_t i = 3; i + 4 <= sg->filesz && sl->n < MAX_SITES; i++) {
		struct load_form f[2];
		size_t nf = 0;
		uint8_t modrm, rex;
		uint64_t at;

		if ((uint32_t)(rd32(lo + i) + (uint32_t)i) != want)
			continue;
		at = sg->vaddr + i;
		if (at + 4 + (uint64_t)(int64_t)(int32_t)rd32(lo + i) != file_va)
			continue;
		modrm = lo[i - 1];
		rex = lo[i - 3];
		if (lo[i - 2] != 0x8D || (modrm & 0xC7) != 0x05)
			continue;
		if ((rex & 0xF8) == 0x48) /* REX.W */
			f[nf++] = (struct load_form){ at - 3, 7, ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0) };
		f[nf++] = (struct load_form){ at - 2, 6, (modrm >> 3) & 7 };
		add_site(im, sl, f, nf, file_va);
	}
}

static void find_sites(const struct image *im, const uint64_t *path_va, size_t npath,
		       struct site_list *sl)
{
	for (size_t k = 0; k < npath; k++)
		for (size_t i = 0; i < im->nseg; i++)
			if (im->seg[i].exec)
				scan_imm_loads(im, &im->seg[i], path_va[k], sl);
	if (!im->pie && sl->n > 0)
		return;
	for (size_t k = 0; k < npath; k++)
		for (size_t i = 0; i < im->nseg; i++)
			if (im->seg[i].exec)
				scan_rip_loads(im, &im->seg[i], path_va[k], sl);
}

static bool any_ssl_lib_site(const struct site_list *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		if (sl->s[i].decoded && sl->s[i].lib == ERR_LIB_SSL)
			return true;
	return false;
}

/* ---- functions and their reason sequences ------------------------------- */

struct func {
	uint64_t entry, end;          /* end: next entry, or 0 if none was close */
	int reason[MAX_FUNC_SITES];   /* in line order; REASON_OTHER_LIB for others */
	int line[MAX_FUNC_SITES];
	size_t n;
	bool opaque;                  /* has a site that could not be decoded */
};

struct func_list {
	struct func f[MAX_FUNCS];
	size_t n;
};

static struct func *func_for(struct func_list *fl, uint64_t entry)
{
	for (size_t i = 0; i < fl->n; i++)
		if (fl->f[i].entry == entry)
			return &fl->f[i];
	if (fl->n >= MAX_FUNCS)
		return NULL;
	memset(&fl->f[fl->n], 0, sizeof(fl->f[0]));
	fl->f[fl->n].entry = entry;
	return &fl->f[fl->n++];
}

/* Insert in line order; the same (line, reason) twice is one source site. */
static void func_add_site(struct func *fn, const struct site *s)
{
	int reason = s->lib == ERR_LIB_SSL ? s->reason : REASON_OTHER_LIB;
	size_t at = fn->n;

	if (!s->decoded) {
		fn->opaque = true;
		return;
	}
	for (size_t i = 0; i < fn->n; i++)
		if (fn->line[i] == s->line && fn->reason[i] == reason)
			return;
	if (fn->n >= MAX_FUNC_SITES) {
		fn->opaque = true;
		return;
	}
	while (at > 0 && fn->line[at - 1] > s->line) {
		fn->line[at] = fn->line[at - 1];
		fn->reason[at] = fn->reason[at - 1];
		at--;
	}
	fn->line[at] = s->line;
	fn->reason[at] = reason;
	fn->n++;
}

static void group_sites(const struct image *im, struct site_list *sl, struct func_list *fl)
{
	for (size_t i = 0; i < sl->n; i++) {
		struct site *s = &sl->s[i];
		struct func *fn;

		s->func = entry_before(im, s->va);
		if (!s->func)
			continue;
		fn = func_for(fl, s->func);
		if (fn)
			func_add_site(fn, s);
	}
	for (size_t i = 0; i < fl->n; i++)
		fl->f[i].end = entry_after(im, fl->f[i].entry);
}

static bool starts_with(const int *r, size_t n, const struct signature *sig)
{
	return sig->n <= n && memcmp(r, sig->reasons, sig->n * sizeof(*r)) == 0;
}

/*
 * Can the line-ordered reasons r[0..n) be cut into the shape's own list
 * and whole inlinable lists, each at most once?  *inlined gets a bit per
 * inlinable list used.
 */
static bool parse_shape(const int *r, size_t n, const struct shape *sh, bool own_done,
			unsigned used, unsigned *inlined)
{
	if (n == 0) {
		*inlined = used;
		return own_done;
	}
	if (!own_done && starts_with(r, n, sh->own) &&
	    parse_shape(r + sh->own->n, n - sh->own->n, sh, true, used, inlined))
		return true;
	for (unsigned k = 0; k < 3 && sh->inlinable[k]; k++) {
		const struct signature *sig = sh->inlinable[k];

		if (!(used & 1u << k) && starts_with(r, n, sig) &&
		    parse_shape(r + sig->n, n - sig->n, sh, own_done, used | 1u << k, inlined))
			return true;
	}
	return false;
}

static bool has_shape(const struct func *fn, enum shape_id id, unsigned *inlined)
{
	unsigned dummy;

	if (fn->opaque || fn->n == 0)
		return false;
	return parse_shape(fn->reason, fn->n, &shapes[id], false, 0, inlined ? inlined : &dummy);
}

static uint64_t func_end(const struct image *im, const struct func *fn)
{
	const struct segment *s = segment_of(im, fn->entry);
	uint64_t seg_end = s ? s->vaddr + s->filesz : fn->entry;

	if (fn->end)
		return fn->end;
	return fn->entry + MAX_FUNC_SIZE < seg_end ? fn->entry + MAX_FUNC_SIZE : seg_end;
}

/* Targets of the "call rel32" byte patterns in [entry, end): a superset of the
 * real direct callees, used only to test membership of known entries. */
struct callees {
	uint64_t t[512];
	size_t n;
};

static void collect_callees(const struct image *im, const struct func *fn, struct callees *c)
{
	uint64_t end = func_end(im, fn);
	const uint8_t *p;
	size_t avail;

	c->n = 0;
	if (end <= fn->entry + 5)
		return;
	p = code_at(im, fn->entry, (size_t)(end - fn->entry), &avail);
	if (!p)
		return;
	for (uint64_t i = 0; i + 5 <= end - fn->entry && c->n < 512; i++)
		if (p[i] == 0xE8)
			c->t[c->n++] = fn->entry + i + 5 + (uint64_t)(int64_t)(int32_t)rd32(p + i + 1);
}

static bool in_callees(const struct callees *c, uint64_t target)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->t[i] == target)
			return true;
	return false;
}

/* The entry of a function of shape id among c, or 0. */
static uint64_t callee_with(const struct func_list *fl, const struct callees *c,
			    enum shape_id id)
{
	for (size_t k = 0; k < fl->n; k++)
		if (has_shape(&fl->f[k], id, NULL) && in_callees(c, fl->f[k].entry))
			return fl->f[k].entry;
	return 0;
}

/* ---- choosing and checking the answers ---------------------------------- */

struct why {
	char *buf;
	size_t len;
};

static void say(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->buf || w->len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
}

/* Functions with one of sigs whose entry is plausible and that take (ssl, buf, num). */
static size_t buf_taking_matches(const struct image *im, const struct func_list *fl,
				 const struct func **out, size_t cap, size_t *by_sites)
{
	size_t n = 0;

	*by_sites = 0;
	for (size_t i = 0; i < fl->n; i++) {
		const struct func *fn = &fl->f[i];
		bool match = has_shape(fn, SHAPE_WRITE_2021, NULL) ||
			     has_shape(fn, SHAPE_WRITE_2018, NULL);

		if (!match)
			continue;
		(*by_sites)++;
		if (!plausible_entry(im, fn->entry) || !reads_buf_and_num(im, fn->entry))
			continue;
		if (n < cap)
			out[n] = fn;
		n++;
	}
	return n;
}

static bool locate_ssl_write(const struct image *im, const struct func_list *fl,
			     const struct func **w, struct why *why)
{
	const struct func *c[2];
	size_t by_sites, n;

	n = buf_taking_matches(im, fl, c, 2, &by_sites);
	if (n == 1) {
		*w = c[0];
		return true;
	}
	if (n > 1)
		say(why, "%zu candidates for SSL_write (0x%llx, 0x%llx)", n,
		    (unsigned long long)c[0]->entry, (unsigned long long)c[1]->entry);
	else if (by_sites)
		say(why, "SSL_write: %zu function(s) raise its errors but none starts like a "
			 "function taking (ssl, buf, num)", by_sites);
	else
		say(why, "SSL_write error sites not found (%zu ssl_lib.cc functions)", fl->n);
	return false;
}

/* SSL_peek: its own check and a call of ssl_read_impl, or both inlined. */
static size_t peek_candidates(const struct image *im, const struct func_list *fl,
			      struct callees *scratch, const struct func **c, size_t cap,
			      size_t *by_sites)
{
	size_t n = 0;

	*by_sites = 0;
	for (size_t i = 0; i < fl->n; i++) {
		const struct func *fn = &fl->f[i];
		unsigned inlined = 0;
		bool match = has_shape(fn, SHAPE_PEEK, &inlined);

		/* ssl_read_impl's callees can only be here with ssl_read_impl itself */
		if (match && inlined && !(inlined & 1))
			match = false;
		if (match && !(inlined & 1)) { /* ssl_read_impl not inlined: called */
			collect_callees(im, fn, scratch);
			match = callee_with(fl, scratch, SHAPE_READ_IMPL) != 0;
		}
		if (!match)
			continue;
		(*by_sites)++;
		if (!plausible_entry(im, fn->entry) || !reads_buf_and_num(im, fn->entry))
			continue;
		if (n < cap)
			c[n] = fn;
		n++;
	}
	return n;
}

/*
 * SSL_peek's one real caller in BoringSSL is SSL_read, which passes its own
 * (buf, num) through.  Look for such callers near SSL_peek (same
 * translation unit, so the linker keeps them close); none means the
 * SSL_peek-shaped function is SSL_read itself, with SSL_peek inlined.
 * Returns how many distinct functions forward, or -1 when there are too
 * many callers to examine.
 */
static int forwarding_caller(const struct image *im, const struct func_list *fl,
			     uint64_t peek_va, uint64_t *caller)
{
	const struct segment *sg = segment_of(im, peek_va);
	uint64_t lo, hi, found = 0, last_g = 0;
	const uint8_t *base;
	unsigned examined = 0;
	int n = 0;

	if (!sg || !sg->exec)
		return -1;
	lo = peek_va - sg->vaddr > CALLER_WINDOW ? peek_va - CALLER_WINDOW : sg->vaddr;
	hi = sg->vaddr + sg->filesz - peek_va > CALLER_WINDOW ? peek_va + CALLER_WINDOW
							       : sg->vaddr + sg->filesz;
	base = im->p + sg->offset + (lo - sg->vaddr);
	for (uint64_t i = 0; lo + i + 5 <= hi; i++) {
		uint64_t at = lo + i, g;
		bool known = false;

		if (base[i] != 0xE8 ||
		    at + 5 + (uint64_t)(int64_t)(int32_t)rd32(base + i + 1) != peek_va)
			continue;
		if (++examined > MAX_CALLERS)
			return -1;
		g = entry_before(im, at);
		if (!g || g == peek_va || g == found || g == last_g)
			continue;
		last_g = g;
		for (size_t k = 0; k < fl->n; k++)
			known |= fl->f[k].entry == g;
		if (known || !plausible_entry(im, g) || !forwards_args(im, g, at))
			continue;
		found = g;
		n++;
	}
	*caller = found;
	return n;
}

static bool locate_ssl_read(const struct image *im, const struct func_list *fl,
			    struct callees *scratch, uint64_t *read_va, const struct func **peek,
			    struct why *why)
{
	const struct func *c[2];
	size_t by_sites, n = peek_candidates(im, fl, scratch, c, 2, &by_sites);
	uint64_t g = 0;
	int callers;

	if (n != 1) {
		if (n > 1)
			say(why, "SSL_read not located: %zu candidates for SSL_peek (0x%llx, 0x%llx)",
			    n, (unsigned long long)c[0]->entry, (unsigned long long)c[1]->entry);
		else if (by_sites)
			say(why, "SSL_read not located: %zu SSL_peek-shaped function(s), none "
				 "taking (ssl, buf, num)", by_sites);
		else
			say(why, "SSL_read not located: SSL_peek/ssl_read_impl error sites not found");
		return false;
	}
	*peek = c[0];
	callers = forwarding_caller(im, fl, c[0]->entry, &g);
	if (callers < 0) {
		say(why, "SSL_read not located: SSL_peek-shaped 0x%llx has too many callers to "
			 "tell whether one is SSL_read", (unsigned long long)c[0]->entry);
		return false;
	}
	if (callers > 1) {
		say(why, "SSL_read not located: %d functions pass SSL_peek their own arguments",
		    callers);
		return false;
	}
	*read_va = callers == 1 ? g : c[0]->entry;
	return true;
}

/*
 * SSL_do_handshake: raises only CONNECTION_TYPE_NOT_SET, and both SSL_write
 * and the read path (SSL_peek, or the ssl_read_impl it calls) call it.
 */
static uint64_t locate_do_handshake(const struct image *im, const struct func_list *fl,
				    const struct func *w, const struct func *peek,
				    struct callees *scratch)
{
	uint64_t from_write, from_read, impl;

	collect_callees(im, w, scratch);
	from_write = callee_with(fl, scratch, SHAPE_DO_HANDSHAKE);
	collect_callees(im, peek, scratch);
	from_read = callee_with(fl, scratch, SHAPE_DO_HANDSHAKE);
	impl = callee_with(fl, scratch, SHAPE_READ_IMPL);
	if (!from_read && impl) {
		for (size_t k = 0; k < fl->n; k++) {
			if (fl->f[k].entry != impl)
				continue;
			collect_callees(im, &fl->f[k], scratch);
			from_read = callee_with(fl, scratch, SHAPE_DO_HANDSHAKE);
		}
	}
	if (!from_write || from_write != from_read || !plausible_entry(im, from_write))
		return 0;
	return from_write;
}

/* ---- Bun ------------------------------------------------------------------ */

/* "Bun v1.4.4 (6634fc3b5)": the first "Bun v<digit>…)" in sg, bounded tries. */
static bool bun_version_in(const struct image *im, const struct segment *sg, char *out, size_t cap)
{
	const uint8_t *lo = im->p + sg->offset, *hi = lo + sg->filesz, *q = lo;

	for (unsigned tries = 0; tries < 64 && q < hi; tries++) {
		const uint8_t *m = memmem(q, (size_t)(hi - q), "Bun v", 5);
		size_t n = 0;

		if (!m)
			break;
		q = m + 1;
		if (hi - m < 7 || m[5] < '0' || m[5] > '9')
			continue;
		while (n + 2 < cap && m + n < hi && printable(m[n]) && m[n] != ')')
			n++;
		if (m + n >= hi || m[n] != ')')
			continue;
		memcpy(out, m, n + 1);
		out[n + 1] = 0;
		return true;
	}
	return false;
}

static void find_bun_version(const struct image *im, char *out, size_t cap)
{
	struct segment rodata;

	if (rodata_view(im, &rodata)) {
		bun_version_in(im, &rodata, out, cap);
		return;
	}
	for (size_t k = 0; k < im->nseg; k++)
		if (!im->seg[k].exec && !im->seg[k].write && bun_version_in(im, &im->seg[k], out, cap))
			return;
}

/* ---- entry points ------------------------------------------------------- */

static uint32_t elapsed_us(const struct timespec *t0)
{
	struct timespec t1;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
	return us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* The working set is a few hundred KiB: keep it off the caller's stack. */
struct work {
	struct image im;
	struct site_list sites;
	struct func_list funcs;
	struct callees scratch;
};

static int analyse(struct work *wk, struct tls_locate_result *out, struct why *why)
{
	const struct image *im = &wk->im;
	const struct func *w = NULL, *peek = NULL;
	uint64_t path_va[MAX_PATH_STRINGS], read_va = 0, hs;
	Elf64_Shdr bun;
	size_t npath;

	out->is_bun = find_section(im, ".bun", &bun);
	if (out->is_bun)
		find_bun_version(im, out->runtime, sizeof(out->runtime));
	npath = find_path_strings(im, path_va);
	if (npath == 0) {
		say(why, "no BoringSSL ssl_lib.cc path string");
		return -ENOENT;
	}
	find_sites(im, path_va, npath, &wk->sites);
	out->error_sites = (unsigned)(wk->sites.n - wk->sites.undecoded);
	if (wk->sites.n == 0) {
		say(why, "the ssl_lib.cc path string at 0x%llx is never loaded by code",
		    (unsigned long long)path_va[0]);
		return -ENOENT;
	}
	if (!any_ssl_lib_site(&wk->sites)) {
		say(why, "no ERR_LIB_SSL error site uses the ssl_lib.cc path string (%zu loads)",
		    wk->sites.n);
		return -ENOENT;
	}
	group_sites(im, &wk->sites, &wk->funcs);
	out->functions = (unsigned)wk->funcs.n;
	if (!locate_ssl_write(im, &wk->funcs, &w, why))
		return -ESRCH;
	out->ssl_write_vaddr = w->entry;
	out->ssl_write = file_offset_of(im, w->entry);
	if (!locate_ssl_read(im, &wk->funcs, &wk->scratch, &read_va, &peek, why))
		return 0;
	out->ssl_read_vaddr = read_va;
	out->ssl_read = file_offset_of(im, read_va);
	hs = locate_do_handshake(im, &wk->funcs, w, peek, &wk->scratch);
	if (hs) {
		out->ssl_do_handshake_vaddr = hs;
		out->ssl_do_handshake = file_offset_of(im, hs);
	} else {
		say(why, "SSL_do_handshake not located");
	}
	return 0;
}

int tls_locate_image(const void *image, size_t size, struct tls_locate_result *out, char *whybuf,
		     size_t whylen)
{
	struct why why = { whybuf, whylen };
	struct timespec t0;
	struct work *wk;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	say(&why, "%s", "");
	if (!out || !image) {
		say(&why, "invalid argument");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	wk = calloc(1, sizeof(*wk));
	if (!wk) {
		say(&why, "out of memory");
		return -ENOMEM;
	}
	if (!parse_elf(image, size, &wk->im)) {
		say(&why, "not an x86-64 ELF executable or shared object");
		ret = -ENOEXEC;
	} else {
		ret = analyse(wk, out, &why);
	}
	free(wk);
	out->elapsed_us = elapsed_us(&t0);
	return ret;
}

int tls_locate_stripped(int fd, struct tls_locate_result *out, char *whybuf, size_t whylen)
{
	struct why why = { whybuf, whylen };
	struct timespec t0;
	struct stat st;
	void *map;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	say(&why, "%s", "");
	if (!out) {
		say(&why, "invalid argument");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		say(&why, "fstat: %s", strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		say(&why, "not an x86-64 ELF executable or shared object");
		return -ENOEXEC;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		say(&why, "mmap: %s", strerror(errno));
		return ret;
	}
	ret = tls_locate_image(map, (size_t)st.st_size, out, whybuf, whylen);
	munmap(map, (size_t)st.st_size);
	out->elapsed_us = elapsed_us(&t0);
	return ret;
}

/* ---- build-id ------------------------------------------------------------- */

static int build_id_in_notes(const uint8_t *n, size_t len, uint8_t *id, size_t cap)
{
	size_t at = 0;

	while (len - at >= 12) {
		uint32_t namesz = rd32(n + at), descsz = rd32(n + at + 4), type = rd32(n + at + 8);
		uint64_t name_al = ((uint64_t)namesz + 3) & ~3ull;
		uint64_t desc_al = ((uint64_t)descsz + 3) & ~3ull;

		at += 12;
		if (name_al > len - at || desc_al > len - at - name_al)
			return -ENOENT;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(n + at, "GNU", 4) == 0 &&
		    descsz > 0) {
			size_t k = descsz < cap ? descsz : cap;

			memcpy(id, n + at + name_al, k);
			return (int)k;
		}
		at += (size_t)(name_al + desc_al);
	}
	return -ENOENT;
}

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

int tls_locate_build_id(int fd, uint8_t *id, size_t cap)
{
	uint8_t hdr[sizeof(Elf64_Ehdr)];
	uint8_t notes[4096];
	Elf64_Ehdr eh;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!pread_all(fd, hdr, sizeof(hdr), 0) || !header_is_x86_64(hdr, sizeof(hdr)))
		return -ENOEXEC;
	memcpy(&eh, hdr, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256 ||
	    !range_in(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), (uint64_t)st.st_size))
		return -ENOEXEC;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		size_t len;
		int r;

		if (!pread_all(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)))
			return -EIO;
		if (ph.p_type != PT_NOTE || !range_in(ph.p_offset, ph.p_filesz, (uint64_t)st.st_size))
			continue;
		len = ph.p_filesz < sizeof(notes) ? (size_t)ph.p_filesz : sizeof(notes);
		if (!pread_all(fd, notes, len, ph.p_offset))
			return -EIO;
		r = build_id_in_notes(notes, len, id, cap);
		if (r >= 0)
			return r;
	}
	return -ENOENT;
}

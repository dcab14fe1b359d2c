/* SPDX-License-Identifier: MIT */
/*
 * ELF symbol name -> file offset, for placing uprobes.
 *
 * The file is opened with ELF_C_READ_MMAP so libelf only touches the pages
 * of the sections we actually ask for: the section header table, the
 * program headers, .dynsym/.dynstr and, only when .dynsym did not answer
 * every query, .symtab/.strtab.  On node (~99 MB, a 2.6 MB .symtab plus a
 * 7 MB .strtab) skipping the latter is what keeps attach latency low.
 *
 * The input may be hostile (any path a traced process maps), so every
 * offset and size taken from the file is checked against the file size
 * before libelf is asked to follow it, and every libelf call's failure is
 * handled as "not found" rather than trusted.  (A file truncated by someone
 * else while it is mapped would still SIGBUS; installed libraries are
 * replaced by rename, not rewritten in place, so that is accepted.)
 */
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An open ELF image plus what we need to bounds-check it. */
struct elf_image {
	Elf *elf;
	uint64_t file_size;
	size_t phnum;
};

/* A query batch and how many of its entries are still unanswered. */
struct query_set {
	struct elfsym_query *q;
	size_t nq;
	size_t remaining;
};

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ready;

static void libelf_init(void)
{
	libelf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

static bool range_in_file(uint64_t off, uint64_t len, uint64_t file_size)
{
	return off <= file_size && len <= file_size - off;
}

static void reset_queries(struct elfsym_query *q, size_t nq)
{
	for (size_t i = 0; i < nq; i++) {
		q[i].offset = 0;
		q[i].vaddr = 0;
		q[i].found = false;
	}
}

/* x86-64 (ELFCLASS64, or x32 as ELFCLASS32) and i386, little endian. */
static bool machine_is_x86ish(const GElf_Ehdr *eh)
{
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return false;
	switch (eh->e_ident[EI_CLASS]) {
	case ELFCLASS64:
		return eh->e_machine == EM_X86_64;
	case ELFCLASS32:
		return eh->e_machine == EM_X86_64 || eh->e_machine == EM_386;
	default:
		return false;
	}
}

static bool table_in_file(uint64_t off, uint64_t count, unsigned entsize,
			  size_t native_entsize, uint64_t file_size)
{
	return entsize == native_entsize &&
	       range_in_file(off, count * native_entsize, file_size);
}

/*
 * libelf assumes e_phentsize/e_shentsize equal its native record sizes,
 * and when a table runs past the end of the file it quietly reports fewer
 * (or zero) entries instead of failing.  Check the counts the header
 * claims as well as the ones libelf reports, so a file whose tables do not
 * fit is rejected as malformed rather than searched half-blind.
 */
static bool header_tables_in_file(Elf *elf, const GElf_Ehdr *eh,
				  uint64_t file_size)
{
	size_t phsize = gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT);
	size_t shsize = gelf_fsize(elf, ELF_T_SHDR, 1, EV_CURRENT);
	uint64_t phcount, shcount;
	size_t phnum, shnum;

	if (phsize == 0 || shsize == 0)
		return false;
	if (elf_getphdrnum(elf, &phnum) != 0 || elf_getshdrnum(elf, &shnum) != 0)
		return false;

	/* PN_XNUM and e_shnum == 0 defer the real count to section 0. */
	phcount = eh->e_phnum == PN_XNUM ? phnum : eh->e_phnum;
	phcount = phcount > phnum ? phcount : phnum;
	shcount = eh->e_shnum > shnum ? eh->e_shnum : shnum;
	if (shcount == 0 && eh->e_shoff != 0)
		shcount = 1; /* extended numbering: section 0 must be readable */

	if (phcount > 0 && !table_in_file(eh->e_phoff, phcount, eh->e_phentsize,
					  phsize, file_size))
		return false;
	if (shcount > 0 && !table_in_file(eh->e_shoff, shcount, eh->e_shentsize,
					  shsize, file_size))
		return false;
	return true;
}

static int open_image(int fd, struct elf_image *img)
{
	struct stat st;
	GElf_Ehdr eh;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;

	pthread_once(&libelf_once, libelf_init);
	if (!libelf_ready)
		return -ENOTSUP;

	img->file_size = (uint64_t)st.st_size;
	img->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf)
		return -ENOEXEC;
	if (elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &eh) ||
	    !machine_is_x86ish(&eh) ||
	    (eh.e_type != ET_DYN && eh.e_type != ET_EXEC) ||
	    !header_tables_in_file(img->elf, &eh, img->file_size) ||
	    elf_getphdrnum(img->elf, &img->phnum) != 0 ||
	    img->phnum > INT_MAX /* gelf_getphdr takes an int index */) {
		elf_end(img->elf);
		img->elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Translate a virtual address to a file offset through the executable
 * PT_LOAD that holds it in its file-backed part.  Without program headers
 * there is nothing a uprobe could be placed on, so that is "not found".
 */
static bool vaddr_to_file_offset(const struct elf_image *img, uint64_t vaddr,
				 uint64_t *offset)
{
	for (size_t i = 0; i < img->phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, (int)i, &ph))
			return false;
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		if (!range_in_file(ph.p_offset, vaddr - ph.p_vaddr + 1,
				   img->file_size))
			continue; /* segment claims bytes the file does not have */
		*offset = vaddr - ph.p_vaddr + ph.p_offset;
		return true;
	}
	return false;
}

/* A section whose bytes we may hand to libelf: present, raw, in bounds. */
static bool section_data_in_file(const struct elf_image *img,
				 const GElf_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && !(sh->sh_flags & SHF_COMPRESSED) &&
	       range_in_file(sh->sh_offset, sh->sh_size, img->file_size);
}

/* The first section of the given type, with its header; NULL if none. */
static Elf_Scn *find_section_by_type(const struct elf_image *img,
				     GElf_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn)) != NULL) {
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	}
	return NULL;
}

/* The string table a symbol table links to must itself be sane. */
static bool linked_strtab_usable(const struct elf_image *img,
				 const GElf_Shdr *symtab_sh)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (symtab_sh->sh_link == SHN_UNDEF)
		return false;
	scn = elf_getscn(img->elf, symtab_sh->sh_link);
	if (!scn || !gelf_getshdr(scn, &sh))
		return false;
	return sh.sh_type == SHT_STRTAB && section_data_in_file(img, &sh);
}

static bool symbol_is_defined_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return sym->st_shndx != SHN_UNDEF && sym->st_value != 0 &&
	       (type == STT_FUNC || type == STT_GNU_IFUNC);
}

/*
 * Record sym for every still-open query named name.  The first definition
 * wins: later duplicates (versioned aliases, or the .symtab copy of a
 * .dynsym symbol) normally agree, and if a hostile file makes them differ
 * we keep the earlier, preferred one.
 */
static void answer_queries(const struct elf_image *img, struct query_set *qs,
			   const char *name, const GElf_Sym *sym)
{
	for (size_t i = 0; i < qs->nq; i++) {
		struct elfsym_query *q = &qs->q[i];
		uint64_t offset;

		if (q->found || !q->name || q->name[0] != name[0] ||
		    strcmp(q->name, name) != 0)
			continue;
		if (!vaddr_to_file_offset(img, sym->st_value, &offset))
			continue;
		q->vaddr = sym->st_value;
		q->offset = offset;
		q->found = true;
		qs->remaining--;
	}
}

static void search_symbol_table(const struct elf_image *img, Elf_Scn *scn,
				const GElf_Shdr *sh, struct query_set *qs)
{
	size_t symsize = gelf_fsize(img->elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Data *data;
	size_t count;

	if (symsize == 0 || !section_data_in_file(img, sh) ||
	    !linked_strtab_usable(img, sh))
		return;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_type != ELF_T_SYM)
		return;
	count = data->d_size / symsize;
	if (count > INT_MAX)
		count = INT_MAX; /* gelf_getsym takes an int index */

	/* Index 0 is the reserved null symbol. */
	for (size_t i = 1; i < count && qs->remaining > 0; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (!symbol_is_defined_function(&sym) || sym.st_name == 0)
			continue;
		/* elf_strptr bounds-checks st_name and NUL termination. */
		name = elf_strptr(img->elf, sh->sh_link, sym.st_name);
		if (name && name[0] != '\0')
			answer_queries(img, qs, name, &sym);
	}
}

static void search_tables_of_type(const struct elf_image *img, GElf_Word type,
				  struct query_set *qs)
{
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (qs->remaining == 0)
		return;
	scn = find_section_by_type(img, type, &sh);
	if (scn)
		search_symbol_table(img, scn, &sh, qs);
}

int elfsym_resolve_fd(int fd, struct elfsym_query *q, size_t nq)
{
	struct query_set qs = { .q = q, .nq = nq, .remaining = nq };
	struct elf_image img = { 0 };
	int err;

	if (fd < 0 || (nq > 0 && !q) || nq > INT_MAX)
		return -EINVAL;
	reset_queries(q, nq);

	err = open_image(fd, &img);
	if (err)
		return err;

	/* .symtab is only read when .dynsym left something unanswered. */
	search_tables_of_type(&img, SHT_DYNSYM, &qs);
	search_tables_of_type(&img, SHT_SYMTAB, &qs);

	elf_end(img.elf);
	return (int)(nq - qs.remaining);
}

int elfsym_resolve(const char *path, struct elfsym_query *q, size_t nq)
{
	int fd, ret;

	if (!path || (nq > 0 && !q))
		return -EINVAL;
	/*
	 * O_NONBLOCK|O_NOCTTY so a FIFO or tty at path cannot block or become
	 * our controlling terminal before fstat rejects it; neither flag
	 * changes how a regular file is read or mapped.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ret = elfsym_resolve_fd(fd, q, nq);
	close(fd);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * ELF symbol lookup for uprobes: symbol name -> file offset of its code.
 * Looks in .dynsym first (cheap, present in shared libraries and in
 * executables that export symbols, e.g. node) and falls back to .symtab.
 */
#ifndef AUTHTRACE_ELFSYM_H
#define AUTHTRACE_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfsym_query {
	const char *name;    /* in: symbol name, exact match (no version suffix) */
	uint64_t offset;     /* out: file offset of the function's first byte */
	uint64_t vaddr;      /* out: st_value */
	bool found;          /* out */
};

/*
 * Resolve every query in one pass over the file at path (opened O_RDONLY,
 * not following the final symlink only if the caller asked for it via the
 * path it passes).  Only defined STT_FUNC / STT_GNU_IFUNC symbols in an
 * executable PT_LOAD segment match.  Returns the number found, or -errno
 * (-ENOEXEC for "not an ELF file we understand").
 */
int elfsym_resolve(const char *path, struct elfsym_query *q, size_t nq);

/* Same, for an already-open file descriptor (not closed). */
int elfsym_resolve_fd(int fd, struct elfsym_query *q, size_t nq);

#endif

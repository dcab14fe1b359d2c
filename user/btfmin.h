/* SPDX-License-Identifier: MIT */
/*
 * The kernel's BTF cut down to what authtrace's BPF object can name.
 *
 * libbpf relocates the object's CO-RE accesses against the kernel's BTF.
 * libbpf 1.1 reads /sys/kernel/btf/vmlinux (5-6 MB) into memory twice over
 * and indexes its ~150,000 types on every start: the peak of authtrace's
 * memory and a third of its start-up time (bench/ANALYSIS.md, figures 4
 * and 5).  The relocations only look up the structs, unions, enums and
 * typedefs the object's own BTF names, and what those hold by value.
 * That subset is built once per kernel and BPF object, in a child process
 * (so the full BTF never lives in authtrace's memory), kept in the cache
 * directory, and handed to libbpf as its btf_custom_path.
 */
#ifndef AUTHTRACE_BTFMIN_H
#define AUTHTRACE_BTFMIN_H

#include <stddef.h>

struct btf;

/*
 * A new BTF holding every type of vmlinux whose kind and name match a
 * named struct, union, enum or typedef of local, with the types they hold
 * by value (members, array elements, typedef and modifier targets).  A
 * pointer to a type outside that set points to void instead: libbpf
 * matches pointer members by kind alone.  NULL with errno on failure.
 */
struct btf *btfmin_build(const struct btf *vmlinux, const struct btf *local);

/*
 * The path of the reduced kernel BTF for the BPF object elf (elf_len
 * bytes), from the cache, or built now if missing.  0 with path filled; a
 * negative errno when there is none (libbpf then uses the kernel's BTF).
 */
int btfmin_cached(const void *elf, size_t elf_len, char *path, size_t path_len);

#endif

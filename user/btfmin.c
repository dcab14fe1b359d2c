// SPDX-License-Identifier: MIT
#include "btfmin.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cachedir.h"
#include "log.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
/* Bump when btfmin_build changes what it writes. */
#define BTFMIN_FORMAT "authtrace-btfmin-v1"

/* --- which names the object uses ------------------------------------------ */

static bool is_root_kind(const struct btf_type *t)
{
	return btf_is_composite(t) || btf_is_any_enum(t) || btf_is_typedef(t);
}

/* "task_struct___old" and "task_struct" are the same kernel type to libbpf. */
static size_t essential_len(const char *name)
{
	const char *flavor = strstr(name, "___");

	return flavor ? (size_t)(flavor - name) : strlen(name);
}

struct name_set {
	char **names;
	size_t n;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_of(const struct btf *local, struct name_set *set)
{
	uint32_t n = btf__type_cnt(local);

	set->names = calloc(n, sizeof(*set->names));
	set->n = 0;
	if (!set->names)
		return -ENOMEM;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(local, id);
		const char *name = btf__name_by_offset(local, t->name_off);

		if (!is_root_kind(t) || !name || !name[0])
			continue;
		set->names[set->n] = strndup(name, essential_len(name));
		if (!set->names[set->n])
			return -ENOMEM;
		set->n++;
	}
	qsort(set->names, set->n, sizeof(*set->names), cmp_name);
	return 0;
}

static bool in_set(const struct name_set *set, const char *name)
{
	return name && name[0] && bsearch(&name, set->names, set->n, sizeof(*set->names), cmp_name);
}

static void free_set(struct name_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->names[i]);
	free(set->names);
}

/* --- what the roots hold by value ----------------------------------------- */

struct closure {
	const struct btf *src;
	uint8_t *keep;       /* per source type id */
	uint32_t *stack;
	size_t depth;
};

static void visit(struct closure *c, uint32_t id)
{
	if (id == 0 || c->keep[id])
		return;
	c->keep[id] = 1;
	c->stack[c->depth++] = id;
}

/* Mark what type id holds by value.  Pointers are kept, not followed. */
static void visit_contents(struct closure *c, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(c->src, id);

	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		visit(c, t->type);
		break;
	case BTF_KIND_ARRAY:
		visit(c, btf_array(t)->type);
		visit(c, btf_array(t)->index_type);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			visit(c, btf_members(t)[i].type);
		break;
	case BTF_KIND_FUNC_PROTO:   /* a typedef of a function type */
		visit(c, t->type);
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			visit(c, btf_params(t)[i].type);
		break;
	default:                    /* ints, floats, enums, forwards, pointers */
		break;
	}
}

/* --- writing the subset ------------------------------------------------------ */

struct emit {
	const struct btf *src;
	struct btf *dst;
	const uint8_t *keep;
	const uint32_t *new_id;   /* per source type id; valid where keep */
};

static uint32_t ref(const struct emit *e, uint32_t id)
{
	return id && e->keep[id] ? e->new_id[id] : 0;
}

static const char *str(const struct emit *e, uint32_t off)
{
	return btf__name_by_offset(e->src, off);
}

/* Add source type id to dst; returns the new id or a negative errno. */
static int emit_type(const struct emit *e, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(e->src, id);
	const char *name = str(e, t->name_off);
	int nid, err = 0;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return btf__add_int(e->dst, name, t->size, btf_int_encoding(t));
	case BTF_KIND_FLOAT:
		return btf__add_float(e->dst, name, t->size);
	case BTF_KIND_PTR:
		/* a pointer to something left out points to void */
		return btf__add_ptr(e->dst, (int)ref(e, t->type));
	case BTF_KIND_FWD:
		return btf__add_fwd(e->dst, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	case BTF_KIND_TYPEDEF:
		return btf__add_typedef(e->dst, name, (int)ref(e, t->type));
	case BTF_KIND_CONST:
		return btf__add_const(e->dst, (int)ref(e, t->type));
	case BTF_KIND_VOLATILE:
		return btf__add_volatile(e->dst, (int)ref(e, t->type));
	case BTF_KIND_RESTRICT:
		return btf__add_restrict(e->dst, (int)ref(e, t->type));
	case BTF_KIND_TYPE_TAG:
		return btf__add_type_tag(e->dst, name, (int)ref(e, t->type));
	case BTF_KIND_ARRAY:
		return btf__add_array(e->dst, (int)ref(e, btf_array(t)->index_type),
				      (int)ref(e, btf_array(t)->type), btf_array(t)->nelems);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		nid = btf_is_struct(t) ? btf__add_struct(e->dst, name, t->size)
				       : btf__add_union(e->dst, name, t->size);
		for (uint16_t i = 0; nid > 0 && !err && i < btf_vlen(t); i++)
			err = btf__add_field(e->dst, str(e, btf_members(t)[i].name_off),
					     (int)ref(e, btf_members(t)[i].type),
					     btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i));
		return err ? err : nid;
	case BTF_KIND_ENUM:
		nid = btf__add_enum(e->dst, name, t->size);
		for (uint16_t i = 0; nid > 0 && !err && i < btf_vlen(t); i++)
			err = btf__add_enum_value(e->dst, str(e, btf_enum(t)[i].name_off),
						  btf_enum(t)[i].val);
		return err ? err : nid;
	case BTF_KIND_ENUM64:
		nid = btf__add_enum64(e->dst, name, t->size, btf_kflag(t));
		for (uint16_t i = 0; nid > 0 && !err && i < btf_vlen(t); i++)
			err = btf__add_enum64_value(e->dst, str(e, btf_enum64(t)[i].name_off),
						    btf_enum64_value(&btf_enum64(t)[i]));
		return err ? err : nid;
	case BTF_KIND_FUNC_PROTO:
		nid = btf__add_func_proto(e->dst, (int)ref(e, t->type));
		for (uint16_t i = 0; nid > 0 && !err && i < btf_vlen(t); i++)
			err = btf__add_func_param(e->dst, str(e, btf_params(t)[i].name_off),
						  (int)ref(e, btf_params(t)[i].type));
		return err ? err : nid;
	default:   /* functions, variables, sections, tags: never held by value */
		return -EINVAL;
	}
}

struct btf *btfmin_build(const struct btf *vmlinux, const struct btf *local)
{
	uint32_t n = btf__type_cnt(vmlinux);
	struct name_set roots = { 0 };
	struct closure c = { .src = vmlinux };
	uint32_t *new_id = NULL, next = 1;
	struct btf *dst = NULL;
	int err;

	c.keep = calloc(n, 1);
	c.stack = calloc(n, sizeof(*c.stack));
	new_id = calloc(n, sizeof(*new_id));
	err = names_of(local, &roots);
	if (!c.keep || !c.stack || !new_id || err) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);

		if (is_root_kind(t) && in_set(&roots, btf__name_by_offset(vmlinux, t->name_off)))
			visit(&c, id);
	}
	while (c.depth)
		visit_contents(&c, c.stack[--c.depth]);

	/* new ids in source order, assigned up front: members may refer forward */
	for (uint32_t id = 1; id < n; id++)
		if (c.keep[id])
			new_id[id] = next++;
	dst = btf__new_empty();
	if (!dst) {
		err = -errno;
		goto out;
	}
	{
		struct emit e = { .src = vmlinux, .dst = dst, .keep = c.keep, .new_id = new_id };

		for (uint32_t id = 1; id < n && !err; id++) {
			int got;

			if (!c.keep[id])
				continue;
			got = emit_type(&e, id);
			if (got < 0)
				err = got;
			else if ((uint32_t)got != new_id[id])
				err = -EPROTO;
		}
	}
out:
	free_set(&roots);
	free(c.keep);
	free(c.stack);
	free(new_id);
	if (err) {
		btf__free(dst);
		errno = -err;
		return NULL;
	}
	return dst;
}

/* --- the cache ------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * "<dir>/btf-<hash>": the kernel (release, version string, BTF size) and
 * the BPF object, so a new kernel or a new authtrace builds its own.
 */
static int cache_path(const void *elf, size_t elf_len, char *path, size_t len)
{
	const char *dir = cachedir_get();
	struct utsname u;
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!dir)
		return -EACCES;
	if (uname(&u) != 0 || stat(VMLINUX_BTF, &st) != 0)
		return -errno;
	h = fnv1a(h, BTFMIN_FORMAT, sizeof(BTFMIN_FORMAT));
	h = fnv1a(h, u.release, strlen(u.release) + 1);
	h = fnv1a(h, u.version, strlen(u.version) + 1);
	h = fnv1a(h, u.machine, strlen(u.machine) + 1);
	h = fnv1a(h, &st.st_size, sizeof(st.st_size));
	h = fnv1a(h, elf, elf_len);
	if (snprintf(path, len, "%s/btf-%016llx", dir, (unsigned long long)h) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* In a child: its memory, not ours, holds the kernel's BTF meanwhile. */
static void build_and_exit(const void *elf, size_t elf_len, const char *path)
{
	struct bpf_object *obj = bpf_object__open_mem(elf, elf_len, NULL);
	struct btf *vmlinux = btf__load_vmlinux_btf(), *min = NULL;
	const void *raw = NULL;
	__u32 size = 0;

	if (obj && vmlinux && bpf_object__btf(obj))
		min = btfmin_build(vmlinux, bpf_object__btf(obj));
	if (min)
		raw = btf__raw_data(min, &size);
	_exit(raw && cachedir_write(path, raw, size) ? 0 : 1);
}

int btfmin_cached(const void *elf, size_t elf_len, char *path, size_t path_len)
{
	struct timespec t0, t1;
	struct stat st;
	int err = cache_path(elf, elf_len, path, path_len), status;
	pid_t pid;

	if (err)
		return err;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		build_and_exit(elf, elf_len, path);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("built the reduced kernel BTF %s in %ld ms", path,
		 (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}

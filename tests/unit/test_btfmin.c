// SPDX-License-Identifier: MIT
/*
 * Unit tests for btfmin.c: the kernel BTF reduced to what the BPF object
 * names.  A small "kernel" BTF is built by hand; the reduced one must keep
 * the named types with everything they hold by value, at the same offsets,
 * and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <bpf/btf.h>

#include "btfmin.h"

struct kernel {
	struct btf *btf;
	int int_id, long_id;
};

/*
 * struct inner { int x; };
 * struct files_struct { long count; };
 * struct unrelated { int a; };
 * struct mm_struct { int users; };
 * typedef struct inner inner_t;
 * enum pid_type { PIDTYPE_PID, PIDTYPE_TGID };
 * struct task_struct {
 *	int pid;
 *	struct files_struct *files;   // named by the object: kept
 *	struct mm_struct *mm;         // not named: becomes void *
 *	inner_t in;                   // by value: kept
 *	int arr[4];
 *	unsigned flag : 3;            // bitfield
 *	void (*fn)(struct unrelated *);
 * };
 */
static struct kernel make_kernel(void)
{
	struct kernel k = { .btf = btf__new_empty() };
	int inner, files, unrelated, mm, inner_t, ptr_files, ptr_mm, arr, proto, ptr_unrel, ptr_fn;

	assert_non_null(k.btf);
	k.int_id = btf__add_int(k.btf, "int", 4, BTF_INT_SIGNED);
	k.long_id = btf__add_int(k.btf, "long", 8, BTF_INT_SIGNED);
	inner = btf__add_struct(k.btf, "inner", 4);
	btf__add_field(k.btf, "x", k.int_id, 0, 0);
	files = btf__add_struct(k.btf, "files_struct", 8);
	btf__add_field(k.btf, "count", k.long_id, 0, 0);
	unrelated = btf__add_struct(k.btf, "unrelated", 4);
	btf__add_field(k.btf, "a", k.int_id, 0, 0);
	mm = btf__add_struct(k.btf, "mm_struct", 4);
	btf__add_field(k.btf, "users", k.int_id, 0, 0);
	inner_t = btf__add_typedef(k.btf, "inner_t", inner);
	btf__add_enum(k.btf, "pid_type", 4);
	btf__add_enum_value(k.btf, "PIDTYPE_PID", 0);
	btf__add_enum_value(k.btf, "PIDTYPE_TGID", 1);
	ptr_files = btf__add_ptr(k.btf, files);
	ptr_mm = btf__add_ptr(k.btf, mm);
	arr = btf__add_array(k.btf, k.int_id, k.int_id, 4);
	ptr_unrel = btf__add_ptr(k.btf, unrelated);
	proto = btf__add_func_proto(k.btf, 0);
	btf__add_func_param(k.btf, "u", ptr_unrel);
	ptr_fn = btf__add_ptr(k.btf, proto);
	assert_true(btf__add_struct(k.btf, "task_struct", 64) > 0);
	btf__add_field(k.btf, "pid", k.int_id, 0, 0);
	btf__add_field(k.btf, "files", ptr_files, 64, 0);
	btf__add_field(k.btf, "mm", ptr_mm, 128, 0);
	btf__add_field(k.btf, "in", inner_t, 192, 0);
	btf__add_field(k.btf, "arr", arr, 224, 0);
	btf__add_field(k.btf, "flag", k.int_id, 352, 3);
	assert_int_equal(btf__add_field(k.btf, "fn", ptr_fn, 384, 0), 0);
	return k;
}

/* What a BPF object compiled against vmlinux.h names: a flavored task_struct, files_struct, an enum. */
static struct btf *make_local(void)
{
	struct btf *b = btf__new_empty();
	int i;

	assert_non_null(b);
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(b, "task_struct___local", 4);
	btf__add_field(b, "pid", i, 0, 0);
	btf__add_struct(b, "files_struct", 0);
	btf__add_enum(b, "pid_type", 4);
	btf__add_enum_value(b, "PIDTYPE_TGID", 1);
	btf__add_func_proto(b, i);   /* unnamed kinds are not roots */
	return b;
}

static const struct btf_type *find(const struct btf *b, const char *name, int kind, int *id)
{
	int got = btf__find_by_name_kind(b, name, kind);

	if (id)
		*id = got;
	return got > 0 ? btf__type_by_id(b, got) : NULL;
}

static const struct btf_member *member(const struct btf *b, const struct btf_type *t,
				       const char *name, int *index)
{
	for (int i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(b, btf_members(t)[i].name_off), name) == 0) {
			*index = i;
			return &btf_members(t)[i];
		}
	return NULL;
}

static void test_named_types_are_kept_with_what_they_hold(void **state)
{
	struct kernel k = make_kernel();
	struct btf *local = make_local(), *min;
	const struct btf_type *task, *t;
	const struct btf_member *m;
	int i = -1, files_id;

	(void)state;
	min = btfmin_build(k.btf, local);
	assert_non_null(min);
	task = find(min, "task_struct", BTF_KIND_STRUCT, NULL);
	assert_non_null(task);
	assert_int_equal(task->size, 64);
	assert_int_equal(btf_vlen(task), 7);
	assert_non_null(find(min, "files_struct", BTF_KIND_STRUCT, &files_id));
	assert_non_null(find(min, "pid_type", BTF_KIND_ENUM, NULL));
	/* held by value: the typedef and the struct behind it */
	assert_non_null(find(min, "inner_t", BTF_KIND_TYPEDEF, NULL));
	assert_non_null(find(min, "inner", BTF_KIND_STRUCT, NULL));
	/* only behind pointers to types the object does not name: left out */
	assert_null(find(min, "mm_struct", BTF_KIND_STRUCT, NULL));
	assert_null(find(min, "unrelated", BTF_KIND_STRUCT, NULL));

	/* pointer to a named type: still points to it */
	m = member(min, task, "files", &i);
	assert_non_null(m);
	assert_int_equal(btf_member_bit_offset(task, i), 64);
	t = btf__type_by_id(min, m->type);
	assert_true(btf_is_ptr(t));
	assert_int_equal(t->type, files_id);
	/* pointer to a type left out: void * */
	m = member(min, task, "mm", &i);
	assert_non_null(m);
	assert_int_equal(btf_member_bit_offset(task, i), 128);
	t = btf__type_by_id(min, m->type);
	assert_true(btf_is_ptr(t));
	assert_int_equal(t->type, 0);
	m = member(min, task, "fn", &i);
	assert_int_equal(btf__type_by_id(min, m->type)->type, 0);
	/* arrays and bitfields as they were */
	m = member(min, task, "arr", &i);
	t = btf__type_by_id(min, m->type);
	assert_true(btf_is_array(t));
	assert_int_equal(btf_array(t)->nelems, 4);
	m = member(min, task, "flag", &i);
	assert_int_equal(btf_member_bit_offset(task, i), 352);
	assert_int_equal(btf_member_bitfield_size(task, i), 3);

	btf__free(min);
	btf__free(local);
	btf__free(k.btf);
}

/* The result is valid BTF: its raw form parses back to the same types. */
static void test_reduced_btf_round_trips_through_raw_data(void **state)
{
	struct kernel k = make_kernel();
	struct btf *local = make_local(), *min, *back;
	const void *raw;
	__u32 size = 0;

	(void)state;
	min = btfmin_build(k.btf, local);
	assert_non_null(min);
	raw = btf__raw_data(min, &size);
	assert_non_null(raw);
	back = btf__new(raw, size);
	assert_non_null(back);
	assert_int_equal(btf__type_cnt(back), btf__type_cnt(min));
	assert_true(btf__type_cnt(min) < btf__type_cnt(k.btf));
	assert_non_null(find(back, "task_struct", BTF_KIND_STRUCT, NULL));
	btf__free(back);
	btf__free(min);
	btf__free(local);
	btf__free(k.btf);
}

/* An object naming nothing the kernel has gives an empty BTF, not an error. */
static void test_no_common_names_gives_an_empty_btf(void **state)
{
	struct kernel k = make_kernel();
	struct btf *local = btf__new_empty(), *min;

	(void)state;
	btf__add_struct(local, "not_in_the_kernel", 0);
	min = btfmin_build(k.btf, local);
	assert_non_null(min);
	assert_int_equal(btf__type_cnt(min), 1);   /* void only */
	btf__free(min);
	btf__free(local);
	btf__free(k.btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_types_are_kept_with_what_they_hold),
		cmocka_unit_test(test_reduced_btf_round_trips_through_raw_data),
		cmocka_unit_test(test_no_common_names_gives_an_empty_btf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

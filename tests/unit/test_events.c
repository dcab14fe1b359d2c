/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for user/events.c: decoding ring-buffer records (layouts in
 * bpf/authtrace.h).  Records are built exactly as the BPF side builds them
 * and placed in exact-size heap buffers, so ASan sees any read past a
 * record; malformed ones must come back DEC_INVALID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authtrace.h"
#include "conn.h"
#include "events.h"

/* A record of size bytes in its own heap block (8-byte aligned, as the ring buffer's). */
static struct at_event_hdr *new_record(size_t size)
{
	struct at_event_hdr *h;

	assert_true(size >= 1);
	h = calloc(1, size);
	assert_non_null(h);
	return h;
}

static void fill_hdr(struct at_event_hdr *h, uint32_t kind)
{
	h->kind = kind;
	h->pid = 4242;
	h->tid = 4243;
	h->ppid = 0;
	h->ts_ns = 123456789ULL;
	memcpy(h->comm, "python3", 8);
	h->uid = 1000;
	h->cgroup_id = 0x1234abcdULL;
}

/* A data record as emit_small()/emit_full() write it. */
static struct at_event_hdr *data_record(size_t record_size, const char *payload, uint32_t len,
					uint32_t chunk_off, uint8_t flags)
{
	struct at_event_hdr *h = new_record(record_size);
	size_t n = strlen(payload);

	fill_hdr(h, AT_EV_DATA);
	h->conn = 0x7f1234567890ULL;
	h->stream_off = 1000;
	h->len = len;
	h->chunk_off = chunk_off;
	h->data_len = (uint32_t)n;
	h->hook = AT_HOOK_SSL_WRITE_EX;
	h->dir = AT_DIR_OUT;
	h->flags = flags;
	assert_true(sizeof(*h) + n <= record_size);
	memcpy(h + 1, payload, n);
	return h;
}

static void test_record_layout_matches_the_kernel_side(void **state)
{
	(void)state;
	/* 8-byte multiple: records in the ring buffer stay aligned, no padding holes */
	assert_int_equal(sizeof(struct at_event_hdr) % 8, 0);
	assert_int_equal(offsetof(struct at_event_hdr, comm) + AT_COMM_LEN,
			 offsetof(struct at_event_hdr, cgroup_id));
	assert_int_equal(offsetof(struct at_data_small, data), sizeof(struct at_event_hdr));
	assert_int_equal(offsetof(struct at_data, data), sizeof(struct at_event_hdr));
	assert_int_equal(sizeof(struct at_data_small), sizeof(struct at_event_hdr) + AT_CHUNK_SMALL);
	assert_int_equal(sizeof(struct at_data), sizeof(struct at_event_hdr) + AT_CHUNK);
}

static void test_small_data_record_decodes_every_field(void **state)
{
	const char *p = "GET / HTTP/1.1\r\n";
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), p, 100, 0,
					     AT_F_LAST_CHUNK);
	struct decoded_event ev;

	(void)state;
	memset(&ev, 0x5a, sizeof(ev));
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);
	assert_int_equal(ev.kind, DEC_DATA);
	assert_ptr_equal(ev.hdr, h);
	assert_string_equal(ev.comm, "python3");
	assert_int_equal(ev.chunk.pid, 4242);
	assert_int_equal(ev.chunk.tid, 4243);
	assert_int_equal(ev.chunk.ts_ns, 123456789ULL);
	assert_true(ev.chunk.conn == 0x7f1234567890ULL);
	assert_int_equal(ev.chunk.stream_off, 1000);
	assert_int_equal(ev.chunk.len, 100);
	assert_int_equal(ev.chunk.chunk_off, 0);
	assert_int_equal(ev.chunk.data_len, strlen(p));
	assert_int_equal(ev.chunk.hook, AT_HOOK_SSL_WRITE_EX);
	assert_int_equal(ev.chunk.dir, AT_DIR_OUT);
	assert_true(ev.chunk.last_chunk);
	assert_false(ev.chunk.truncated);
	assert_ptr_equal(ev.chunk.comm, ev.comm);
	assert_ptr_equal(ev.chunk.data, (const uint8_t *)(h + 1));
	assert_int_equal(ev.chunk.uid, 1000);
	assert_int_equal(ev.chunk.cgroup_id, 0x1234abcdULL);
	free(h);
}

static void test_full_record_holds_exactly_one_chunk(void **state)
{
	struct at_data *d = (struct at_data *)new_record(sizeof(struct at_data));
	struct decoded_event ev;

	(void)state;
	fill_hdr(&d->h, AT_EV_DATA);
	d->h.len = 3 * AT_CHUNK;
	d->h.chunk_off = AT_CHUNK;
	d->h.data_len = AT_CHUNK;
	d->h.hook = AT_HOOK_SSL_READ;
	d->h.dir = AT_DIR_IN;
	d->h.flags = AT_F_TRUNCATED;
	memset(d->data, 'x', AT_CHUNK);
	assert_int_equal(event_decode(d, sizeof(*d), &ev), DEC_DATA);
	assert_int_equal(ev.chunk.data_len, AT_CHUNK);
	assert_true(ev.chunk.truncated);
	assert_false(ev.chunk.last_chunk);
	assert_int_equal(ev.chunk.dir, AT_DIR_IN);
	/* one byte more than a chunk is never valid, even with room for it */
	free(d);
	d = (struct at_data *)new_record(sizeof(struct at_data) + 8);
	fill_hdr(&d->h, AT_EV_DATA);
	d->h.len = 3 * AT_CHUNK;
	d->h.data_len = AT_CHUNK + 1;
	d->h.hook = AT_HOOK_SSL_READ;
	d->h.dir = AT_DIR_IN;
	assert_int_equal(event_decode(d, sizeof(struct at_data) + 8, &ev), DEC_INVALID);
	free(d);
}

/* The comm copy is NUL-terminated even when the kernel's 16 bytes have none. */
static void test_comm_of_sixteen_bytes_is_terminated(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "GET ", 4, 0, 0);
	struct decoded_event ev;

	(void)state;
	memcpy(h->comm, "0123456789abcdef", AT_COMM_LEN);
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);
	assert_string_equal(ev.comm, "0123456789abcdef");
	assert_int_equal(strlen(ev.chunk.comm), AT_COMM_LEN);
	free(h);
}

static void test_data_len_larger_than_the_record_is_invalid(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "x", 10000, 0, 0);
	struct decoded_event ev;

	(void)state;
	h->data_len = AT_CHUNK_SMALL + 1;     /* a small record claiming more than it holds */
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->data_len = AT_CHUNK_SMALL;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);
	/* a record cut short (size below header + data_len) */
	h->data_len = 10;
	assert_int_equal(event_decode(h, sizeof(*h) + 9, &ev), DEC_INVALID);
	assert_int_equal(event_decode(h, sizeof(*h) + 10, &ev), DEC_DATA);
	/* a header alone */
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_INVALID);
	free(h);
}

static void test_zero_data_len_is_invalid(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "x", 10, 0, 0);
	struct decoded_event ev;

	(void)state;
	h->data_len = 0;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	free(h);
}

static void test_chunk_past_the_write_length_is_invalid(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "0123456789", 100, 90, 0);
	struct decoded_event ev;

	(void)state;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);  /* ends at len */
	h->chunk_off = 91;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	/* no 32-bit wrap-around */
	h->chunk_off = UINT32_MAX - 3;
	h->len = 100;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->len = UINT32_MAX;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->chunk_off = UINT32_MAX - 10;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);
	free(h);
}

static void test_read_failed_record_carries_no_data(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "GET / HTTP/1.1", 14, 0,
					     AT_F_LAST_CHUNK | AT_F_READ_FAILED);
	struct decoded_event ev;

	(void)state;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	free(h);
}

static void test_bad_direction_or_hook_is_invalid(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data_small), "GET ", 4, 0, 0);
	struct decoded_event ev;

	(void)state;
	h->dir = 2;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->dir = 0xff;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->dir = AT_DIR_IN;
	h->hook = AT_HOOK_NONE;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->hook = AT_HOOK_COUNT;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	h->hook = 0xffff;
	assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
	for (uint16_t hook = AT_HOOK_NONE + 1; hook < AT_HOOK_COUNT; hook++) {
		h->hook = hook;
		assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_DATA);
		assert_int_equal(ev.chunk.hook, hook);
	}
	free(h);
}

static void test_short_or_null_buffer_is_invalid(void **state)
{
	struct at_event_hdr *h = new_record(sizeof(*h));
	struct decoded_event ev;

	(void)state;
	fill_hdr(h, AT_EV_EXIT);
	assert_int_equal(event_decode(NULL, 100, &ev), DEC_INVALID);
	assert_null(ev.hdr);
	assert_int_equal(event_decode(h, 0, &ev), DEC_INVALID);
	assert_int_equal(event_decode(h, sizeof(*h) - 1, &ev), DEC_INVALID);
	assert_null(ev.hdr);
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_EXIT);
	free(h);
}

static void test_process_events_decode_from_a_header(void **state)
{
	struct at_event_hdr *h = new_record(sizeof(*h));
	struct decoded_event ev;

	(void)state;
	fill_hdr(h, AT_EV_EXEC);
	h->flags = AT_F_STOPPED;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_EXEC);
	assert_ptr_equal(ev.hdr, h);
	assert_string_equal(ev.comm, "python3");
	assert_true(ev.hdr->flags & AT_F_STOPPED);

	fill_hdr(h, AT_EV_FORK);
	h->ppid = 4000;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_FORK);
	assert_int_equal(ev.hdr->ppid, 4000);

	fill_hdr(h, AT_EV_EXIT);
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_EXIT);

	fill_hdr(h, AT_EV_CLOSE);
	h->conn = AT_CONN_FD | 5;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_CLOSE);
	assert_true(ev.hdr->conn == (AT_CONN_FD | 5));
	free(h);
}

static void test_mmap_and_ssl_fd_carry_a_valid_fd(void **state)
{
	struct at_event_hdr *h = new_record(sizeof(*h));
	struct decoded_event ev;

	(void)state;
	fill_hdr(h, AT_EV_MMAP);
	h->conn = 7;                      /* fd */
	h->stream_off = 1234567;          /* inode */
	h->len = (8u << 20) | 1;          /* device */
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_MMAP);
	h->conn = INT32_MAX;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_MMAP);
	h->conn = (uint64_t)INT32_MAX + 1;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_INVALID);
	h->conn = UINT64_MAX;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_INVALID);

	fill_hdr(h, AT_EV_SSL_FD);
	h->conn = 0x55aa00001000ULL;
	h->len = 9;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_SSL_FD);
	h->len = (uint32_t)INT32_MAX + 1;
	assert_int_equal(event_decode(h, sizeof(*h), &ev), DEC_INVALID);
	free(h);
}

static void test_unknown_kinds_are_invalid(void **state)
{
	struct at_event_hdr *h = new_record(sizeof(struct at_data_small));
	struct decoded_event ev;
	static const uint32_t kinds[] = { 0, AT_EV_CLOSE + 1, 99, UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fill_hdr(h, kinds[i]);
		assert_int_equal(event_decode(h, sizeof(struct at_data_small), &ev), DEC_INVALID);
		assert_int_equal(ev.kind, DEC_INVALID);
	}
	free(h);
}

/* Nothing of an earlier decode survives into the next one. */
static void test_decode_resets_the_output_every_time(void **state)
{
	struct at_event_hdr *d = data_record(sizeof(struct at_data_small), "GET / HTTP/1.1", 14, 0, 0);
	struct at_event_hdr *x = new_record(sizeof(*x));
	struct decoded_event ev;

	(void)state;
	fill_hdr(x, AT_EV_EXIT);
	memcpy(x->comm, "sh", 3);
	assert_int_equal(event_decode(d, sizeof(struct at_data_small), &ev), DEC_DATA);
	assert_int_equal(event_decode(x, sizeof(*x), &ev), DEC_EXIT);
	assert_null(ev.chunk.data);
	assert_int_equal(ev.chunk.data_len, 0);
	assert_string_equal(ev.comm, "sh");
	free(x);
	free(d);
}

/* Trailing bytes after data_len (a small record is always 512 bytes of data) are ignored. */
static void test_record_larger_than_its_data_is_fine(void **state)
{
	struct at_event_hdr *h = data_record(sizeof(struct at_data), "GET", 3, 0, AT_F_LAST_CHUNK);
	struct decoded_event ev;

	(void)state;
	memset((uint8_t *)(h + 1) + 3, 'Z', AT_CHUNK - 3);
	assert_int_equal(event_decode(h, sizeof(struct at_data), &ev), DEC_DATA);
	assert_int_equal(ev.chunk.data_len, 3);
	free(h);
}

/* Decoded chunks go straight into the connection table: a request comes out. */
static uint64_t count_request(void *ctx, struct request *req)
{
	unsigned *n = ctx;

	assert_string_equal(req->comm, "python3");
	assert_string_equal(req->path, "/v1/messages");
	assert_string_equal(req->source, "SSL_write_ex");
	(*n)++;
	return *n;
}

static void test_decoded_chunks_feed_the_connection_table(void **state)
{
	static const char head[] = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
				   "x-api-key: sk-ant-api03-FAKEFAKEFAKEFAKE\r\n\r\n";
	unsigned n = 0;
	struct conn_callbacks cb = { .request = count_request, .ctx = &n };
	struct conn_table *t = conn_table_new(&cb, 8);
	size_t cut = 30;
	struct decoded_event ev;
	struct at_event_hdr *a, *b;
	char first[64], second[128];

	(void)state;
	memcpy(first, head, cut);
	first[cut] = '\0';
	snprintf(second, sizeof(second), "%s", head + cut);
	a = data_record(sizeof(struct at_data_small), first, (uint32_t)cut, 0, AT_F_LAST_CHUNK);
	b = data_record(sizeof(struct at_data_small), second, (uint32_t)strlen(second), 0,
			AT_F_LAST_CHUNK);
	a->stream_off = 0;
	b->stream_off = cut;
	assert_int_equal(event_decode(a, sizeof(struct at_data_small), &ev), DEC_DATA);
	conn_feed(t, &ev.chunk);
	assert_int_equal(event_decode(b, sizeof(struct at_data_small), &ev), DEC_DATA);
	conn_feed(t, &ev.chunk);
	assert_int_equal(n, 1);
	conn_table_free(t);
	free(a);
	free(b);
}

/*
 * BUG: pids are not checked.  The collector hands hdr->pid of EXEC/FORK/MMAP
 * records to kill(pid, SIGCONT) (targets.c) and of every record to the
 * connection table; a record with pid 0 or a pid >= 2^31 (negative as
 * pid_t), as a stale or mismatched BPF object could send, becomes
 * kill(0, SIGCONT) -- authtrace's own process group -- or kill(-1, SIGCONT)
 * -- every process on the machine, as root.  The decoder "trusts nothing":
 * such records must be DEC_INVALID.
 */
static void test_records_with_pid_zero_or_negative_are_invalid(void **state)
{
	struct at_event_hdr *h = new_record(sizeof(*h));
	struct decoded_event ev;
	static const uint32_t kinds[] = { AT_EV_EXEC, AT_EV_FORK, AT_EV_EXIT, AT_EV_MMAP };
	static const uint32_t bad_pids[] = { 0, 0x80000000u, 0xffffffffu };

	unsigned accepted = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t i = 0; i < sizeof(bad_pids) / sizeof(bad_pids[0]); i++) {
			fill_hdr(h, kinds[k]);
			h->flags = AT_F_STOPPED;
			h->pid = bad_pids[i];
			h->conn = 3;
			accepted += event_decode(h, sizeof(*h), &ev) != DEC_INVALID;
		}
	}
	free(h);
	assert_int_equal(accepted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_layout_matches_the_kernel_side),
		cmocka_unit_test(test_small_data_record_decodes_every_field),
		cmocka_unit_test(test_full_record_holds_exactly_one_chunk),
		cmocka_unit_test(test_comm_of_sixteen_bytes_is_terminated),
		cmocka_unit_test(test_data_len_larger_than_the_record_is_invalid),
		cmocka_unit_test(test_zero_data_len_is_invalid),
		cmocka_unit_test(test_chunk_past_the_write_length_is_invalid),
		cmocka_unit_test(test_read_failed_record_carries_no_data),
		cmocka_unit_test(test_bad_direction_or_hook_is_invalid),
		cmocka_unit_test(test_short_or_null_buffer_is_invalid),
		cmocka_unit_test(test_process_events_decode_from_a_header),
		cmocka_unit_test(test_mmap_and_ssl_fd_carry_a_valid_fd),
		cmocka_unit_test(test_unknown_kinds_are_invalid),
		cmocka_unit_test(test_decode_resets_the_output_every_time),
		cmocka_unit_test(test_record_larger_than_its_data_is_fine),
		cmocka_unit_test(test_decoded_chunks_feed_the_connection_table),
		cmocka_unit_test(test_records_with_pid_zero_or_negative_are_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

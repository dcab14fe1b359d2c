// SPDX-License-Identifier: GPL-2.0
/*
 * authtrace BPF programs: uprobes on the TLS write functions that copy
 * plaintext into the ring buffer, and sched/syscall tracepoints that keep
 * the set of traced processes up to date.
 *
 * Uprobes are attached per process by user space, so they only fire in
 * traced processes.  The tracepoints are global and check the traced map
 * first: one hash lookup is all an untraced process pays for.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "authtrace.h"

#define SIGSTOP 19
#define PROT_EXEC 0x4

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile bool follow_children = true;

/*
 * --all: every process is traced (uprobes are attached system-wide, per
 * file), except authtrace itself and processes the filters exclude.
 */
const volatile bool trace_all = false;
const volatile __u32 self_tgid = 0;
const volatile __u32 filter_uid = 0xffffffff;      /* --uid, all if ~0 */
const volatile __u64 filter_cgroup_id = 0;         /* --cgroup, all if 0 */
const volatile __u64 filter_exe_ino = 0;           /* --exe, all if 0 */
const volatile bool filter_has_comm = false;       /* --comm */
const volatile char filter_comm[AT_COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AT_RINGBUF_BYTES);
} events SEC(".maps");

/*
 * tgid -> AT_TRACED_* flags.  Written by user space and by the fork hook.
 * Not preallocated: most runs trace a handful of processes, and 65536
 * preallocated entries took ~3 ms of every start.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AT_MAX_TRACED);
	__type(key, __u32);
	__type(value, __u32);
} traced SEC(".maps");

/*
 * How many entries of `traced` fall in each bucket of tgids.  The syscall
 * tracepoints fire for every process on the machine: one whose bucket is
 * empty, nearly all of them, is known untraced with one load instead of a
 * hash lookup.  Whoever inserts or deletes an entry keeps its bucket (the
 * fork and exit hooks here, user space through its mapping of .bss), with
 * atomic adds, counting up before an insert and down after a delete, so a
 * bucket is never 0 while it holds a traced process.
 */
__u32 traced_buckets[AT_TRACED_BUCKETS];

static __always_inline __u32 *traced_bucket(__u32 tgid)
{
	return &traced_buckets[tgid & (AT_TRACED_BUCKETS - 1)];
}

static __always_inline bool maybe_traced(__u32 tgid)
{
	return *traced_bucket(tgid) != 0;
}

/* tgid's flags in `traced`, NULL if it is not there: one load when its bucket is empty */
static __always_inline __u32 *traced_flags(__u32 tgid)
{
	return maybe_traced(tgid) ? bpf_map_lookup_elem(&traced, &tgid) : NULL;
}

/* Enter tgid in `traced`; when it is there already, only its flags change. */
static __always_inline void add_traced(__u32 tgid, __u32 *flags)
{
	__sync_fetch_and_add(traced_bucket(tgid), 1);
	if (bpf_map_update_elem(&traced, &tgid, flags, BPF_NOEXIST) != 0) {
		__sync_fetch_and_add(traced_bucket(tgid), -1);
		bpf_map_update_elem(&traced, &tgid, flags, BPF_EXIST);
	}
}

static __always_inline void remove_traced(__u32 tgid)
{
	if (bpf_map_delete_elem(&traced, &tgid) == 0)
		__sync_fetch_and_add(traced_bucket(tgid), -1);
}

/* Bytes seen so far per connection direction (offset of the next write). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AT_MAX_CONNS);
	__type(key, struct at_conn_key);
	__type(value, __u64);
} stream_offsets SEC(".maps");

/*
 * Written by the collector: copy nothing of this connection direction
 * before this stream offset (the rest of a request body it has no use for).
 * Offsets are absolute, so a hint that arrives late only costs copies, even
 * when the handle has a new connection by then (see advance_stream()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AT_MAX_CONNS);
	__type(key, struct at_conn_key);
	__type(value, struct at_hint);
} capture_resume SEC(".maps");

/* Files user space has examined and found free of TLS code. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct at_file_key);
	__type(value, __u8);
} known_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AT_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += n;
}

/* Every field of a record header but the process identity (comm, cgroup, uid). */
static __always_inline void fill_hdr_base(struct at_event_hdr *h, __u32 kind, __u64 pid_tgid)
{
	h->kind = kind;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = 0;
	h->ts_ns = bpf_ktime_get_ns();
	h->conn = 0;
	h->stream_off = 0;
	h->len = 0;
	h->chunk_off = 0;
	h->data_len = 0;
	h->hook = AT_HOOK_NONE;
	h->dir = 0;
	h->flags = 0;
	h->pad = 0;
}

/* A record header naming the current process.  The three helpers cost ~0.2 us on the bench VM. */
static __always_inline void fill_hdr(struct at_event_hdr *h, __u32 kind, __u64 pid_tgid)
{
	fill_hdr_base(h, kind, pid_tgid);
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->uid = (__u32)bpf_get_current_uid_gid();
}

/* A record header with the process identity left zero. */
static __always_inline void fill_hdr_anonymous(struct at_event_hdr *h, __u32 kind, __u64 pid_tgid)
{
	fill_hdr_base(h, kind, pid_tgid);
	__builtin_memset(h->comm, 0, sizeof(h->comm));
	h->cgroup_id = 0;
	h->uid = 0;
}

/* The inode of the current process's executable. */
static __always_inline __u64 current_exe_ino(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
}

/* --all filters, cheapest first. */
static __always_inline bool passes_filters(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (filter_uid != 0xffffffff && (__u32)bpf_get_current_uid_gid() != filter_uid)
		return false;
	if (filter_cgroup_id && bpf_get_current_cgroup_id() != filter_cgroup_id)
		return false;
	if (filter_has_comm) {
		char comm[AT_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < AT_COMM_LEN; i++) {
			if (comm[i] != filter_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if (filter_exe_ino && current_exe_ino() != filter_exe_ino)
		return false;
	return true;
}

/*
 * Reserve the position of this write in its connection's byte stream.  A
 * stream starts at 16 x the monotonic clock in ns, not at 0: handles are
 * reused (an SSL* freed and allocated again, an fd number), and streams that
 * never overlap keep a hint the collector wrote for the previous user of a
 * handle ("skip until offset X", maybe read only after that connection
 * ended) from ever applying to the next.  No connection moves 16 bytes per
 * nanosecond.  *fresh says whether this write started the stream.
 */
static __always_inline __u64 advance_stream(struct at_conn_key *key, __u64 len, bool *fresh)
{
	__u64 *off = bpf_map_lookup_elem(&stream_offsets, key);
	__u64 start, next;

	*fresh = false;
	if (off)
		return __sync_fetch_and_add(off, len);
	start = bpf_ktime_get_ns() << 4;
	next = start + len;
	if (bpf_map_update_elem(&stream_offsets, key, &next, BPF_NOEXIST) == 0) {
		*fresh = true;
		return start;
	}
	/* another thread started it first */
	off = bpf_map_lookup_elem(&stream_offsets, key);
	return off ? __sync_fetch_and_add(off, len) : start;
}

/*
 * Written by the collector once it has a response's head (and error text):
 * skip reads on this connection while the request stream has not moved
 * past the given offset.  The next request moves it, so the next response
 * is captured from its first byte; a hint that arrives late is harmless,
 * also for a new connection on the same handle (see advance_stream()).
 * Keyed like stream_offsets, with dir = AT_DIR_IN.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AT_MAX_CONNS);
	__type(key, struct at_conn_key);
	__type(value, struct at_hint);
} response_skip SEC(".maps");

/* key's hint in map, if it has one that is truly its own (see struct at_hint). */
static __always_inline bool read_hint(void *map, const struct at_conn_key *key, __u64 *off)
{
	struct at_hint *found = bpf_map_lookup_elem(map, key);
	__u64 o, check;

	if (!found)
		return false;
	/* each field read once: the node may be rewritten under us */
	o = *(volatile __u64 *)&found->off;
	check = *(volatile __u64 *)&found->check;
	if (check != at_hint_check(key, o))
		return false;
	*off = o;
	return true;
}

static __always_inline bool response_done(const struct at_conn_key *in_key)
{
	struct at_conn_key out_key = *in_key;
	__u64 until, *out_off;

	if (!read_hint(&response_skip, in_key, &until))
		return false;
	out_key.dir = AT_DIR_OUT;
	out_off = bpf_map_lookup_elem(&stream_offsets, &out_key);
	if (out_off && *out_off <= until)
		return true;
	bpf_map_delete_elem(&response_skip, in_key);
	return false;
}

/* Offset within this write where copying starts (0 unless a body is being skipped). */
static __always_inline __u64 resume_point(struct at_conn_key *key, __u64 stream_off)
{
	__u64 resume;

	if (read_hint(&capture_resume, key, &resume) && resume > stream_off)
		return resume - stream_off;
	return 0;
}

/*
 * Data records wake the collector only once a backlog builds up; otherwise
 * it finds them on its next tick (user/tracer.c polls every RB_TICK_MS).
 * A wake-up per record (irq_work, then waking the collector on another CPU)
 * costs the traced thread more than the rest of the probe.  Process events
 * (exec, fork, mmap: the process is stopped) still wake it at once.
 */
#define AT_WAKEUP_BYTES (AT_RINGBUF_BYTES / 16)

static __always_inline __u64 submit_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= AT_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
										 : BPF_RB_NO_WAKEUP;
}

/* State shared with the chunk callback of bpf_loop(). */
struct chunk_walk {
	struct at_event_hdr tmpl;
	const __u8 *buf;
	__u64 start;  /* offset in the write of the first byte to copy */
	__u64 end;    /* offset in the write after the last byte to copy */
	bool wake;    /* wake the collector at once (see capture()) */
};

/*
 * Copy one chunk of data into a ring-buffer record of cap data bytes (a
 * power of two, a constant at each call site: the verifier needs the
 * reserve size and the masks give it the copy's bounds).  Returns false
 * when the ring buffer is full.
 */
static __always_inline bool emit_record(const struct chunk_walk *w, __u64 pos, __u64 n,
					const __u32 cap)
{
	struct at_data *e = bpf_ringbuf_reserve(&events, sizeof(struct at_event_hdr) + cap, 0);

	if (!e)
		return false;
	__builtin_memcpy(&e->h, &w->tmpl, sizeof(e->h));
	n &= cap * 2 - 1;
	if (n > cap)
		n = cap;
	if (bpf_probe_read_user(e->data, n, w->buf + pos)) {
		e->h.flags |= AT_F_READ_FAILED;
		count(AT_CNT_READ_FAILED, 1);
	}
	e->h.chunk_off = pos;
	e->h.data_len = n;
	if (pos + n >= w->end)
		e->h.flags |= AT_F_LAST_CHUNK;
	bpf_ringbuf_submit(e, w->wake ? BPF_RB_FORCE_WAKEUP : submit_flags());
	return true;
}

_Static_assert(AT_CHUNK == AT_CHUNK_SMALL * 8, "record classes: 512 B, 1, 2 and 4 KiB");

/* bpf_loop() callback: emit chunk number i; returning 1 ends the loop. */
static long emit_chunk(__u32 i, void *ctx)
{
	struct chunk_walk *w = ctx;
	__u64 pos = w->start + (__u64)i * AT_CHUNK;
	__u64 n;
	bool ok;

	if (pos >= w->end)
		return 1;
	n = w->end - pos;
	if (n > AT_CHUNK)
		n = AT_CHUNK;
	/* the smallest record class that holds the chunk: ring space is memory */
	if (n <= AT_CHUNK_SMALL)
		ok = emit_record(w, pos, n, AT_CHUNK_SMALL);
	else if (n <= AT_CHUNK_SMALL * 2)
		ok = emit_record(w, pos, n, AT_CHUNK_SMALL * 2);
	else if (n <= AT_CHUNK_SMALL * 4)
		ok = emit_record(w, pos, n, AT_CHUNK_SMALL * 4);
	else
		ok = emit_record(w, pos, n, AT_CHUNK);
	if (!ok) {
		count(AT_CNT_RINGBUF_FULL, 1);
		return 1;
	}
	return 0;
}

/*
 * --all: uprobes fire in every process.  Apply the filters, and enter a
 * process that passes them in the traced map (once), so that its exit is
 * reported and its connections released.
 */
static __always_inline bool note_active(__u32 tgid)
{
	__u32 flags = 0;

	if (traced_flags(tgid))
		return true;
	if (!passes_filters(tgid))
		return false;
	add_traced(tgid, &flags);
	return true;
}

/* A socket: its inode's address and number, which an fd reused for another never has both of. */
struct at_sock_id {
	__u64 inode;
	__u64 ino;
};

/*
 * Sockets whose stream started with a TLS record, keyed by (tgid, fd) as
 * AT_CONN_FD connections (dir 0).  The cleartext path returns at once for
 * them: node and Bun do their socket I/O themselves, so every TLS record
 * they send or receive passes the syscall tracepoints, and was checked
 * byte by byte (a stream offset, a resume point, a read of its first
 * byte; for reads, a pending entry written and deleted) to learn the same
 * thing again.  An fd reused without close(2) (dup2, close_range) holds
 * another socket, which does not match the entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);   /* one evicted only takes the long way again */
	__type(key, struct at_conn_key);
	__type(value, struct at_sock_id);
} tls_sockets SEC(".maps");

static __always_inline struct at_conn_key sock_key(__u32 tgid, __u64 conn)
{
	struct at_conn_key key = { .conn = conn, .tgid = tgid, .dir = 0 };

	return key;
}

static __always_inline bool is_tls_socket(__u32 tgid, int fd, const struct at_sock_id *id)
{
	struct at_conn_key key = sock_key(tgid, AT_CONN_FD | (__u32)fd);
	struct at_sock_id *known = bpf_map_lookup_elem(&tls_sockets, &key);

	return known && known->inode == id->inode && known->ino == id->ino;
}

/*
 * Whether the n bytes at buf start with a TLS record header: a content type
 * (0x14..0x17), then version 3.0..3.4.  The first bytes authtrace sees of a
 * cleartext stream can be a binary body (-p during an upload); they look
 * like this about once in a million, and a socket taken for TLS would hide
 * its later requests.
 */
static __always_inline bool starts_tls_record(const __u8 *buf, __u64 n)
{
	__u8 h[3];

	return n >= sizeof(h) && !bpf_probe_read_user(h, sizeof(h), buf) && h[0] >= 0x14 &&
	       h[0] <= 0x17 && h[1] == 3 && h[2] <= 4;
}

/* The socket of a stream that started with a TLS record: TLS to its end. */
static __always_inline void remember_tls_socket(__u32 tgid, __u64 conn, const struct at_sock_id *sock)
{
	struct at_conn_key key = sock_key(tgid, conn);

	bpf_map_update_elem(&tls_sockets, &key, sock, BPF_ANY);
}

/*
 * Cleartext sockets also carry TLS records and binary bodies: copy only
 * what can be HTTP/1, text from its first byte.  TLS records start with
 * 0x14..0x17 and are never copied.
 */
static __always_inline bool starts_like_text(const __u8 *buf)
{
	__u8 c;

	if (bpf_probe_read_user(&c, 1, buf))
		return false;
	return (c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n' || c == '\t';
}

/*
 * Copy the plaintext of one write (bounded) into the ring buffer.  The
 * stream offset always advances, copied or not, so the collector's view of
 * the stream stays exact.
 */
static __always_inline int capture(__u64 conn, const __u8 *buf, __u64 len, __u16 hook, __u8 dir,
				   const struct at_sock_id *sock)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct at_conn_key key = { .conn = conn, .tgid = pid_tgid >> 32, .dir = dir };
	struct chunk_walk w;
	bool fresh;

	if (!buf || len == 0 || (__s64)len < 0)
		return 0;
	if (trace_all && !note_active(pid_tgid >> 32))
		return 0;

	/* the collector names a request's process from the write; reads need no name */
	if (dir == AT_DIR_OUT)
		fill_hdr(&w.tmpl, AT_EV_DATA, pid_tgid);
	else
		fill_hdr_anonymous(&w.tmpl, AT_EV_DATA, pid_tgid);
	w.tmpl.conn = conn;
	w.tmpl.len = len > 0xffffffffULL ? 0xffffffffU : (__u32)len;
	w.tmpl.hook = hook;
	w.tmpl.dir = dir;
	w.tmpl.stream_off = advance_stream(&key, len, &fresh);
	w.buf = buf;
	/*
	 * The first bytes of a cleartext connection are read at once: the
	 * collector asks the socket for its peer address when it sees them,
	 * and a client may be gone a tick later.
	 */
	w.wake = sock && fresh;

	if (dir == AT_DIR_IN && response_done(&key)) {
		count(AT_CNT_SKIPPED_BYTES, len);
		return 0;
	}

	/* the collector skips request bodies this way; responses end with response_skip */
	w.start = dir == AT_DIR_OUT ? resume_point(&key, w.tmpl.stream_off) : 0;
	if (sock && fresh && w.start == 0 && starts_tls_record(buf, len))
		remember_tls_socket(key.tgid, conn, sock);
	if (w.start >= len || (sock && !starts_like_text(buf + w.start))) {
		count(AT_CNT_SKIPPED_BYTES, len);
		return 0;
	}
	count(AT_CNT_SKIPPED_BYTES, w.start);
	w.end = len;
	if (w.end - w.start > (dir == AT_DIR_IN ? AT_CAPTURE_MAX_IN : AT_CAPTURE_MAX)) {
		w.end = w.start + (dir == AT_DIR_IN ? AT_CAPTURE_MAX_IN : AT_CAPTURE_MAX);
		w.tmpl.flags |= AT_F_TRUNCATED;
		count(AT_CNT_TRUNCATED_BYTES, len - w.end);
	}
	bpf_loop(AT_MAX_CHUNKS, emit_chunk, &w, 0);
	return 0;
}

/* --- per-thread state ------------------------------------------------------- */

/* SSL_read arguments saved at entry for the return probe. */
struct read_args {
	__u64 ssl;
	__u64 buf;
	__u64 readbytes;   /* SSL_read_ex: size_t *; 0 for SSL_read */
	__u16 hook;        /* AT_HOOK_NONE: no SSL_read in progress */
};

/* A socket read(2)/recvfrom(2): the buffer is known at entry, the length at exit. */
struct sys_read_args {
	__u64 buf;
	struct at_sock_id sock;
	int fd;
	__u16 hook;        /* AT_HOOK_NONE: none in progress */
};

/*
 * What a thread is in the middle of, for the probes that come in pairs
 * (entry and return).  Task-local storage lives in the task itself: hash
 * maps keyed by tid cost a locked update at every entry and a delete at
 * every return (~0.7 us of each SSL_read's two probes on the bench VM),
 * refused threads beyond 16384 without a trace, and kept the entries of
 * threads that died inside a call.  This is freed with its thread.
 */
struct thread_state {
	struct read_args ssl_read;        /* inside SSL_read/SSL_read_ex */
	struct sys_read_args sys_read;    /* inside read/recvfrom on a candidate socket */
	__u64 handshake_ssl;              /* inside SSL_do_handshake/SSL_connect: its SSL*, else 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_states SEC(".maps");

/* The current thread's state; create: make it if there is none (NULL if that fails). */
static __always_inline struct thread_state *thread_state(bool create)
{
	struct thread_state *ts = bpf_task_storage_get(&thread_states, bpf_get_current_task_btf(), 0,
						       create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!ts && create)
		count(AT_CNT_NO_THREAD_STATE, 1);
	return ts;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write, void *ssl, const void *buf, int num)
{
	return capture((__u64)ssl, buf, num > 0 ? (__u64)num : 0, AT_HOOK_SSL_WRITE, AT_DIR_OUT, NULL);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex, void *ssl, const void *buf, size_t num)
{
	return capture((__u64)ssl, buf, num, AT_HOOK_SSL_WRITE_EX, AT_DIR_OUT, NULL);
}

static __always_inline int save_read(__u64 ssl, __u64 buf, __u64 readbytes, __u16 hook)
{
	struct thread_state *ts = thread_state(true);

	if (ts) {
		ts->ssl_read.ssl = ssl;
		ts->ssl_read.buf = buf;
		ts->ssl_read.readbytes = readbytes;
		ts->ssl_read.hook = hook;
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_read, void *ssl, void *buf, int num)
{
	return save_read((__u64)ssl, (__u64)buf, 0, AT_HOOK_SSL_READ);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return save_read((__u64)ssl, (__u64)buf, (__u64)readbytes, AT_HOOK_SSL_READ_EX);
}

/*
 * Shared return probe: SSL_read returns the byte count, SSL_read_ex 1 and
 * *readbytes.  Both return int: only eax is meaningful (-1 must not become
 * 4294967295).
 */
SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_ret, int ret)
{
	struct thread_state *ts = thread_state(false);
	struct read_args args;
	__u64 n = 0;

	if (!ts || ts->ssl_read.hook == AT_HOOK_NONE)
		return 0;
	args = ts->ssl_read;
	ts->ssl_read.hook = AT_HOOK_NONE;
	if (ret <= 0)
		return 0;
	if (args.hook == AT_HOOK_SSL_READ_EX) {
		size_t got = 0;

		if (bpf_probe_read_user(&got, sizeof(got), (void *)args.readbytes))
			return 0;
		n = got;
	} else {
		n = (__u64)ret;
	}
	return capture(args.ssl, (const __u8 *)args.buf, n, args.hook, AT_DIR_IN, NULL);
}

/* Forget the kernel-side state of a connection (both directions). */
static __always_inline void forget_conn(__u32 tgid, __u64 conn)
{
	struct at_conn_key key = { .conn = conn, .tgid = tgid, .dir = AT_DIR_OUT };

	bpf_map_delete_elem(&stream_offsets, &key);
	bpf_map_delete_elem(&capture_resume, &key);
	key.dir = AT_DIR_IN;
	bpf_map_delete_elem(&stream_offsets, &key);
	bpf_map_delete_elem(&response_skip, &key);
}

/* --- connections: handshake socket, cleartext HTTP, ends ------------------ */

/* Inside SSL_do_handshake/SSL_connect, the socket written to is the connection's. */
SEC("uprobe")
int BPF_KPROBE(ssl_handshake, void *ssl)
{
	struct thread_state *ts = thread_state(true);

	if (ts)
		ts->handshake_ssl = (__u64)ssl;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_handshake_ret)
{
	struct thread_state *ts = thread_state(false);

	if (ts)
		ts->handshake_ssl = 0;
	return 0;
}

/* A connection ends: SSL_free(ssl). */
SEC("uprobe")
int BPF_KPROBE(ssl_free, void *ssl)
{
	struct at_event_hdr *h;

	if (!ssl)
		return 0;
	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		count(AT_CNT_CONTROL_LOST, 1);
		return 0;
	}
	fill_hdr(h, AT_EV_CLOSE, bpf_get_current_pid_tgid());
	h->conn = (__u64)ssl;
	bpf_ringbuf_submit(h, 0);
	forget_conn(bpf_get_current_pid_tgid() >> 32, (__u64)ssl);
	return 0;
}

/* --- process tracking ------------------------------------------------------ */

/*
 * The inode behind the current process's file descriptor fd, or NULL.  The
 * task is a BTF pointer, so its file table is reached by plain loads (the
 * verifier makes them fault-safe); only the descriptor array, which holds
 * plain pointers, needs read helpers.  It runs in every syscall tracepoint
 * of a traced process.
 */
static __always_inline struct inode *fd_inode(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *file = NULL;

	if (fd < 0 || (__u32)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	return BPF_CORE_READ(file, f_inode);
}

#define S_IFMT   00170000
#define S_IFSOCK 0140000

/* Whether fd is a socket; if so, which one into *id. */
static __always_inline bool fd_socket(int fd, struct at_sock_id *id)
{
	struct inode *inode = fd_inode(fd);

	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return false;
	id->inode = (__u64)inode;
	id->ino = BPF_CORE_READ(inode, i_ino);
	return true;
}

static __always_inline bool is_traced(__u32 tgid, __u32 *flags)
{
	__u32 *f;

	if (trace_all) {
		if (flags)
			*flags = 0;
		return passes_filters(tgid);
	}
	f = traced_flags(tgid);
	if (!f)
		return false;
	if (flags)
		*flags = *f;
	return true;
}

/*
 * Stop the current process and tell user space, which attaches the uprobes
 * the process needs and then sends SIGCONT.  The record is reserved first:
 * a process must never be stopped without user space knowing it.
 */
static __always_inline struct at_event_hdr *stop_and_report(__u32 kind, __u64 pid_tgid,
							   __u32 ppid)
{
	struct at_event_hdr *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);

	if (!h) {
		count(AT_CNT_CONTROL_LOST, 1);
		return NULL;
	}
	fill_hdr(h, kind, pid_tgid);
	h->ppid = ppid;
	if (bpf_send_signal(SIGSTOP) == 0)
		h->flags |= AT_F_STOPPED;
	return h;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	struct at_event_hdr *h;

	if (!is_traced(pid_tgid >> 32, NULL))
		return 0;
	if (trace_all) {
		/* only a binary never examined needs a look before it runs */
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
		struct at_file_key key = {};

		key.ino = BPF_CORE_READ(inode, i_ino);
		key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		if (bpf_map_lookup_elem(&known_files, &key)) {
			/* nothing to examine, but the process is someone else now */
			h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
			if (!h) {
				count(AT_CNT_CONTROL_LOST, 1);
				return 0;
			}
			fill_hdr(h, AT_EV_EXEC, pid_tgid);
			bpf_ringbuf_submit(h, 0);
			return 0;
		}
	}
	h = stop_and_report(AT_EV_EXEC, pid_tgid, 0);
	if (h)
		bpf_ringbuf_submit(h, 0);
	return 0;
}

/*
 * A traced process maps executable code from a file (the loader mapping a
 * library, dlopen): unless the file is known to hold no TLS code, stop the
 * process so user space can probe the file before any of it runs.  The
 * stop takes effect on the way back to user space, after the mapping.
 */
SEC("tracepoint/syscalls/sys_enter_mmap")
int handle_mmap(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	int fd = (int)ctx->args[4];
	struct at_file_key key = {};
	struct at_event_hdr *h;
	struct inode *inode;
	__u8 *known;

	if (!(ctx->args[2] & PROT_EXEC) || fd < 0 || !is_traced(pid_tgid >> 32, NULL))
		return 0;
	inode = fd_inode(fd);
	if (!inode)
		return 0;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	known = bpf_map_lookup_elem(&known_files, &key);
	if (known && (*known == AT_FILE_NO_TLS || trace_all))
		return 0;
	h = stop_and_report(AT_EV_MMAP, pid_tgid, 0);
	if (!h)
		return 0;
	h->conn = (__u64)fd;
	h->stream_off = key.ino;
	h->len = key.dev;
	bpf_ringbuf_submit(h, 0);
	return 0;
}

/*
 * A new process returns from fork/clone here, in its own context, before it
 * runs a single user instruction: the one place where it can stop itself.
 * Threads (pid != tgid) share the parent's uprobes and are ignored.
 */
static __always_inline int on_child_return(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, flags = 0, parent, child_flags;
	struct task_struct *task;
	struct at_event_hdr *h;

	/* --all: uprobes are system-wide already; nothing to attach for a child */
	if (ret != 0 || (__u32)pid_tgid != tgid || !follow_children || trace_all)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	parent = BPF_CORE_READ(task, real_parent, tgid);
	if (!is_traced(parent, &flags) || !(flags & AT_TRACED_FOLLOW))
		return 0;
	child_flags = flags;
	add_traced(tgid, &child_flags);
	h = stop_and_report(AT_EV_FORK, pid_tgid, parent);
	if (h)
		bpf_ringbuf_submit(h, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int handle_clone_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_child_return(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int handle_clone3_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_child_return(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_fork")
int handle_fork_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_child_return(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_vfork")
int handle_vfork_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_child_return(ctx->ret);
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct at_event_hdr *h;
	bool group_dead;

	if (!traced_flags(tgid))
		return 0;
	/* group_dead exists since 6.16; before that the leader's exit stands in. */
	if (bpf_core_field_exists(ctx->group_dead))
		group_dead = BPF_CORE_READ(ctx, group_dead);
	else
		group_dead = (__u32)pid_tgid == tgid;
	if (!group_dead)
		return 0;
	remove_traced(tgid);
	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		count(AT_CNT_CONTROL_LOST, 1);
		return 0;
	}
	fill_hdr(h, AT_EV_EXIT, pid_tgid);
	bpf_ringbuf_submit(h, 0);
	return 0;
}

/* --- cleartext HTTP on sockets -------------------------------------------- */

static __always_inline void report_conn_event(__u32 kind, __u64 pid_tgid, __u64 conn, __u32 fd)
{
	struct at_event_hdr *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);

	if (!h) {
		count(AT_CNT_CONTROL_LOST, 1);
		return;
	}
	fill_hdr(h, kind, pid_tgid);
	h->conn = conn;
	h->len = fd;
	/* the socket is asked for its peer: before the client can close it */
	bpf_ringbuf_submit(h, kind == AT_EV_SSL_FD ? BPF_RB_FORCE_WAKEUP : 0);
}

/*
 * A write(2)-like call on fd by the current process: true when it may carry
 * cleartext HTTP (a socket of a traced process, not a TLS one; *sock set).
 * Inside a TLS handshake the write names the connection's socket instead
 * (for the peer address): reported here, and false.
 */
static __always_inline bool cleartext_write(__u64 pid_tgid, int fd, struct at_sock_id *sock)
{
	struct thread_state *ts;

	if (!is_traced(pid_tgid >> 32, NULL) || !fd_socket(fd, sock))
		return false;
	ts = thread_state(false);
	if (ts && ts->handshake_ssl) {
		report_conn_event(AT_EV_SSL_FD, pid_tgid, ts->handshake_ssl, (__u32)fd);
		return false;
	}
	return !is_tls_socket(pid_tgid >> 32, fd, sock);
}

static __always_inline int socket_write(int fd, const __u8 *buf, __u64 len, __u16 hook)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct at_sock_id sock;

	if (!cleartext_write(pid_tgid, fd, &sock))
		return 0;
	return capture(AT_CONN_FD | (__u32)fd, buf, len, hook, AT_DIR_OUT, &sock);
}

SEC("tracepoint/syscalls/sys_enter_write")
int handle_write(struct trace_event_raw_sys_enter *ctx)
{
	return socket_write((int)ctx->args[0], (const __u8 *)ctx->args[1], ctx->args[2],
			    AT_HOOK_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int handle_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return socket_write((int)ctx->args[0], (const __u8 *)ctx->args[1], ctx->args[2],
			    AT_HOOK_SENDTO);
}

/* writev: each iovec is a write of its own; HTTP clients use a few (head, body). */
#define WRITEV_MAX_IOV 8

struct iov_walk {
	const struct iovec *iov;
	__u64 n;
	int fd;
	struct at_sock_id sock;
};

static long writev_one(__u32 i, void *ctx)
{
	struct iov_walk *w = ctx;
	struct iovec v;

	if (i >= w->n || bpf_probe_read_user(&v, sizeof(v), &w->iov[i]))
		return 1;
	capture(AT_CONN_FD | (__u32)w->fd, v.iov_base, v.iov_len, AT_HOOK_WRITEV, AT_DIR_OUT, &w->sock);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_writev")
int handle_writev(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct iov_walk w = { .iov = (const struct iovec *)ctx->args[1], .n = ctx->args[2],
			      .fd = (int)ctx->args[0] };

	if (!cleartext_write(pid_tgid, w.fd, &w.sock))
		return 0;
	bpf_loop(WRITEV_MAX_IOV, writev_one, &w, 0);
	return 0;
}

/* Socket reads: the buffer is known at entry, the length at exit. */
static __always_inline int socket_read_enter(int fd, __u64 buf, __u16 hook)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sys_read_args a = { .buf = buf, .fd = fd, .hook = hook };
	struct thread_state *ts;

	if (!is_traced(pid_tgid >> 32, NULL))
		return 0;
	/* inside SSL_read or a handshake the bytes are TLS records */
	ts = thread_state(false);
	if (ts && (ts->ssl_read.hook != AT_HOOK_NONE || ts->handshake_ssl))
		return 0;
	if (!fd_socket(fd, &a.sock) || is_tls_socket(pid_tgid >> 32, fd, &a.sock))
		return 0;
	if (!ts)
		ts = thread_state(true);
	if (ts)
		ts->sys_read = a;
	return 0;
}

static __always_inline int socket_read_exit(long ret)
{
	struct thread_state *ts;
	struct sys_read_args args;

	/* --all enters processes in `traced` only once their TLS is seen */
	if (!trace_all && !maybe_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	ts = thread_state(false);
	if (!ts || ts->sys_read.hook == AT_HOOK_NONE)
		return 0;
	args = ts->sys_read;
	ts->sys_read.hook = AT_HOOK_NONE;
	if (ret <= 0)
		return 0;
	return capture(AT_CONN_FD | (__u32)args.fd, (const __u8 *)args.buf, (__u64)ret, args.hook,
		       AT_DIR_IN, &args.sock);
}

SEC("tracepoint/syscalls/sys_enter_read")
int handle_read_enter(struct trace_event_raw_sys_enter *ctx)
{
	return socket_read_enter((int)ctx->args[0], ctx->args[1], AT_HOOK_READ);
}

SEC("tracepoint/syscalls/sys_exit_read")
int handle_read_exit(struct trace_event_raw_sys_exit *ctx)
{
	return socket_read_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int handle_recvfrom_enter(struct trace_event_raw_sys_enter *ctx)
{
	return socket_read_enter((int)ctx->args[0], ctx->args[1], AT_HOOK_RECVFROM);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int handle_recvfrom_exit(struct trace_event_raw_sys_exit *ctx)
{
	return socket_read_exit(ctx->ret);
}

/* A socket of a traced process closes: its cleartext stream, and any TLS on it, ends. */
SEC("tracepoint/syscalls/sys_enter_close")
int handle_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	int fd = (int)ctx->args[0];
	__u64 conn = AT_CONN_FD | (__u32)fd;
	struct at_conn_key key = sock_key(pid_tgid >> 32, conn);
	struct at_sock_id sock;

	if (!is_traced(pid_tgid >> 32, NULL) || !fd_socket(fd, &sock))
		return 0;
	forget_conn(pid_tgid >> 32, conn);
	bpf_map_delete_elem(&tls_sockets, &key);
	report_conn_event(AT_EV_CLOSE, pid_tgid, conn, (__u32)fd);
	return 0;
}

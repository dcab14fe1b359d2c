/* SPDX-License-Identifier: MIT */
/*
 * Event records and limits shared by the BPF programs and the collector.
 * Everything the kernel side emits goes through one ring buffer as one of
 * the records below; every record starts with struct at_event_hdr.
 */
#ifndef AUTHTRACE_BPF_H
#define AUTHTRACE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Plaintext is copied in chunks of at most AT_CHUNK bytes, each in a record
 * of the smallest size class that holds it (AT_CHUNK_SMALL, twice that, four
 * times that, AT_CHUNK) so short writes don't eat the ring.  The collector
 * takes any record size.  At most AT_CAPTURE_MAX bytes of one write are
 * copied: enough for a head with a 60 KiB header value followed by the
 * credential header.  Bytes past it are counted as truncated, never silent.
 */
#define AT_CHUNK_SMALL   512
#define AT_CHUNK         4096
#define AT_CAPTURE_MAX   (128 * 1024)
#define AT_MAX_CHUNKS    (AT_CAPTURE_MAX / AT_CHUNK)
/* Reads: a response head and the start of an error body is all we use. */
#define AT_CAPTURE_MAX_IN (16 * 1024)

#define AT_RINGBUF_BYTES (2 * 1024 * 1024)
#define AT_MAX_TRACED    65536
/* buckets of tgids with a count of traced processes each (a power of two) */
#define AT_TRACED_BUCKETS 16384
/*
 * Connection directions the kernel side keeps an offset or a hint for: four
 * times what the collector's table holds (AT_COLLECTOR_CONNS), the only user
 * of them.  Preallocated LRU maps: 65536 entries took ~3 ms each to create.
 */
#define AT_COLLECTOR_CONNS 4096
#define AT_MAX_CONNS     (4 * AT_COLLECTOR_CONNS)
#define AT_COMM_LEN      16

enum at_event_kind {
	AT_EV_DATA = 1,  /* plaintext bytes of one write/read (one chunk of it) */
	AT_EV_EXEC,      /* a traced process exec'd; it is stopped (AT_F_STOPPED) */
	AT_EV_FORK,      /* a traced process forked; the child is stopped */
	AT_EV_EXIT,      /* a traced process exited (all threads) */
	AT_EV_MMAP,      /* a traced process maps executable code of a file not known
			  * to be TLS-free; it is stopped (AT_F_STOPPED) */
	AT_EV_SSL_FD,    /* the TLS handshake of conn (SSL*) wrote to socket fd (in len) */
	AT_EV_CLOSE,     /* conn ended: a socket fd closed (AT_CONN_FD bit set) or SSL_free */
};

/* conn values of cleartext connections: the socket fd with this bit set. */
#define AT_CONN_FD (1ULL << 63)

enum at_hook {
	AT_HOOK_NONE = 0,
	AT_HOOK_SSL_WRITE,
	AT_HOOK_SSL_WRITE_EX,
	AT_HOOK_SSL_READ,
	AT_HOOK_SSL_READ_EX,
	AT_HOOK_WRITE,       /* cleartext: write(2) on a socket */
	AT_HOOK_WRITEV,
	AT_HOOK_SENDTO,
	AT_HOOK_READ,
	AT_HOOK_RECVFROM,
	AT_HOOK_COUNT
};

enum at_dir {
	AT_DIR_OUT = 0,  /* the traced process sends (requests) */
	AT_DIR_IN = 1,   /* the traced process receives (responses) */
};

/* at_event_hdr.flags */
#define AT_F_LAST_CHUNK  0x01  /* no more chunks of this write follow */
#define AT_F_TRUNCATED   0x02  /* the write was longer than what was copied */
#define AT_F_STOPPED     0x04  /* EV_EXEC/EV_FORK: the process waits for SIGCONT */
#define AT_F_READ_FAILED 0x08  /* bpf_probe_read_user failed: data[] is not valid */

struct at_event_hdr {
	__u32 kind;        /* enum at_event_kind */
	__u32 pid;         /* tgid */
	__u32 tid;
	__u32 ppid;        /* EV_FORK: the parent's tgid */
	__u64 ts_ns;       /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 conn;        /* EV_DATA: SSL* (user-space pointer value); EV_MMAP: the fd */
	__u64 stream_off;  /* EV_DATA: offset of this write in the connection's byte stream
			    * (which starts at a clock-derived offset, not 0: see
			    * advance_stream() in authtrace.bpf.c);
			    * EV_MMAP: the file's inode number */
	__u32 len;         /* EV_DATA: true length of the write; EV_MMAP: the file's device
			    * (kernel encoding: major << 20 | minor) */
	__u32 chunk_off;   /* EV_DATA: offset of data[0] within the write */
	__u32 data_len;    /* EV_DATA: valid bytes in data[] */
	__u16 hook;        /* enum at_hook */
	__u8 dir;          /* enum at_dir */
	__u8 flags;        /* AT_F_* */
	/* who the process is; zero in EV_DATA records of reads (dir IN): requests,
	 * the only records named by process, come from writes */
	char comm[AT_COMM_LEN];
	__u64 cgroup_id;   /* cgroup v2 id of the process */
	__u32 uid;
	__u32 pad;
};

struct at_data_small {
	struct at_event_hdr h;
	__u8 data[AT_CHUNK_SMALL];
};

struct at_data {
	struct at_event_hdr h;
	__u8 data[AT_CHUNK];
};

/*
 * A connection's direction: the key for stream offsets and for the
 * collector's "resume capturing at offset N" hint (body skipping).
 */
struct at_conn_key {
	__u64 conn;
	__u32 tgid;
	__u32 dir;
};

/*
 * A hint the collector writes for one connection direction (maps
 * capture_resume and response_skip): a stream offset, and a check that ties
 * it to its key.  LRU map nodes are recycled the moment they are replaced,
 * so a value the kernel side looked up a moment ago may already hold
 * another connection's hint -- whose offsets, counted from another clock
 * start, can make it skip this connection's next head.  A hint is obeyed
 * only if its check matches the key it was looked up with, which also
 * rejects a value read while it was being rewritten.
 */
struct at_hint {
	__u64 off;
	__u64 check;
};

/* splitmix64's finalizer: every input bit moves every output bit */
static inline __u64 at_mix64(__u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline __u64 at_hint_check(const struct at_conn_key *key, __u64 off)
{
	return off ^ at_mix64(at_mix64(key->conn) ^ ((__u64)key->tgid << 32 | key->dir));
}

/* Indexes of the per-CPU counters array. */
enum at_counter {
	AT_CNT_RINGBUF_FULL = 0,   /* data records the ring buffer could not take */
	AT_CNT_CONTROL_LOST,       /* exec/fork/exit records the ring buffer could not take */
	AT_CNT_TRUNCATED_BYTES,    /* bytes of writes beyond AT_CAPTURE_MAX */
	AT_CNT_SKIPPED_BYTES,      /* body bytes not copied because the collector said so */
	AT_CNT_READ_FAILED,        /* bpf_probe_read_user failures */
	AT_CNT_NO_THREAD_STATE,    /* SSL_read, read(2) or handshake entries with no room to note them */
	AT_CNT_COUNT
};

/* A file as the kernel names it: the key of the known_files map. */
struct at_file_key {
	__u64 ino;
	__u32 dev;      /* kernel encoding: major << 20 | minor */
	__u32 pad;
};

/* Values of the known_files map. */
#define AT_FILE_NO_TLS 1      /* holds no TLS functions we probe: never stop for it */
#define AT_FILE_TLS_GLOBAL 2  /* --all: probed for every process already */

/* Values of the traced map. */
#define AT_TRACED_FOLLOW 0x1   /* follow this process's children */

#endif

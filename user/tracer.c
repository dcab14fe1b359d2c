// SPDX-License-Identifier: MIT
/*
 * Tracer setup and the ring-buffer side of the event loop.  Every record
 * goes through event_decode(); data chunks go to the connection table,
 * process events to targets.c.
 */
#include "tracer.h"

#include <errno.h>
#include <signal.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "authtrace.skel.h"
#include "btfmin.h"
#include "events.h"
#include "log.h"
#include "outq.h"
#include "peer.h"
#include "probes.h"
#include "reaper.h"
#include "targets.h"

/* Threads that destroy links; their RCU waits overlap. */
#define REAPER_WORKERS 16

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own chatter only with -vv: it can be long and alarming */
	if (log_get_level() < LOG_DEBUG + (level == LIBBPF_DEBUG))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Root, or the capabilities that loading tracing BPF programs needs. */
static bool have_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint64_t eff;

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)) &&
	       ((eff & (1ULL << CAP_SYS_ADMIN)) || (eff & (1ULL << CAP_SYS_PTRACE)));
}

/* libbpf attaches tracepoints through tracefs; mount it if nobody has. */
static bool ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return true;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return true;
	return false;
}

static int check_environment(void)
{
	if (!have_privileges()) {
		log_error("needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): try sudo authtrace ...");
		return EXIT_RUNTIME;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		log_error("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
			  "authtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later)");
		return EXIT_RUNTIME;
	}
	if (!ensure_tracefs()) {
		log_error("tracefs is not mounted and could not be mounted at /sys/kernel/tracing: %s",
			  strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* The tracepoint programs; their links live in the skeleton's links struct. */
struct tracepoint_slot {
	struct bpf_program *prog;
	struct bpf_link **link;
};

#define TP(name) { skel->progs.name, &skel->links.name }

static size_t tracepoint_slots(struct authtrace_bpf *skel, struct tracepoint_slot *out)
{
	const struct tracepoint_slot slots[] = {
		TP(handle_exec),           TP(handle_exit),
		TP(handle_clone_exit),     TP(handle_clone3_exit),
		TP(handle_fork_exit),      TP(handle_vfork_exit),
		TP(handle_mmap),           TP(handle_close),
		TP(handle_write),          TP(handle_writev),
		TP(handle_sendto),         TP(handle_read_enter),
		TP(handle_read_exit),      TP(handle_recvfrom_enter),
		TP(handle_recvfrom_exit),
	};

	memcpy(out, slots, sizeof(slots));
	return sizeof(slots) / sizeof(slots[0]);
}

#define MAX_TRACEPOINTS 24

static int attach_tracepoints(struct authtrace_bpf *skel)
{
	struct tracepoint_slot tp[MAX_TRACEPOINTS];
	size_t n = tracepoint_slots(skel, tp);

	for (size_t i = 0; i < n; i++) {
		*tp[i].link = bpf_program__attach(tp[i].prog);
		if (!*tp[i].link) {
			log_error("cannot attach tracepoint %s: %s",
				  bpf_program__section_name(tp[i].prog), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A hint for the kernel side, with the check that ties it to its key. */
static void write_hint(int map_fd, pid_t pid, uint64_t conn, uint32_t dir, uint64_t off)
{
	struct at_conn_key key = { .conn = conn, .tgid = (uint32_t)pid, .dir = dir };
	struct at_hint hint = { .off = off, .check = at_hint_check(&key, off) };

	bpf_map_update_elem(map_fd, &key, &hint, BPF_ANY);
}

/* Connection-table callback: tell the kernel side to stop copying a request body. */
static void on_skip_until(void *ctx, pid_t pid, uint64_t conn, uint64_t off)
{
	struct tracer *t = ctx;

	write_hint(t->fd_resume, pid, conn, AT_DIR_OUT, off);
}

/* Connection-table callback: the response is parsed; skip its remaining reads. */
static void on_response_done(void *ctx, pid_t pid, uint64_t conn, uint64_t out_off)
{
	struct tracer *t = ctx;

	write_hint(t->fd_response_skip, pid, conn, AT_DIR_IN, out_off);
}

/* The TLS handshake of ssl wrote to socket fd: that socket's peer is the connection's. */
static void on_ssl_socket(struct tracer *t, pid_t pid, uint64_t ssl, int fd)
{
	char peer[PEER_MAX];

	if (conn_has_peer(t->col.conns, pid, ssl))
		return;
	if (peer_of_fd(pid, fd, peer))
		conn_set_peer(t->col.conns, pid, ssl, peer);
}

/* Connection-table callback: the peer of a cleartext socket. */
static bool on_peer_lookup(void *ctx, pid_t pid, int fd, char out[PEER_MAX])
{
	return peer_of_fd(pid, fd, out);
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	struct decoded_event ev;

	if (t->closing) {
		/* shutting down: nothing is reported or attached, but no one stays stopped */
		enum decoded_kind k = event_decode(data, size, &ev);

		if ((k == DEC_EXEC || k == DEC_FORK || k == DEC_MMAP) && (ev.hdr->flags & AT_F_STOPPED))
			kill((pid_t)ev.hdr->pid, SIGCONT);
		return 0;
	}
	switch (event_decode(data, size, &ev)) {
	case DEC_DATA:
		conn_feed(t->col.conns, &ev.chunk);
		break;
	case DEC_EXEC:
		targets_on_exec(t, (pid_t)ev.hdr->pid, ev.hdr->flags & AT_F_STOPPED);
		break;
	case DEC_FORK:
		targets_on_fork(t, (pid_t)ev.hdr->pid, (pid_t)ev.hdr->ppid,
				ev.hdr->flags & AT_F_STOPPED);
		break;
	case DEC_EXIT:
		targets_on_exit(t, (pid_t)ev.hdr->pid);
		break;
	case DEC_MMAP:
		targets_on_mmap(t, (pid_t)ev.hdr->pid, (int)ev.hdr->conn, ev.hdr->stream_off,
				ev.hdr->flags & AT_F_STOPPED);
		break;
	case DEC_SSL_FD:
		on_ssl_socket(t, (pid_t)ev.hdr->pid, ev.hdr->conn, (int)ev.hdr->len);
		break;
	case DEC_CLOSE:
		conn_close(t->col.conns, (pid_t)ev.hdr->pid, ev.hdr->conn);
		break;
	default:
		break;
	}
	if (output_error(&t->col.out))
		return -1; /* stop polling: nowhere to write */
	return 0;
}

/* --all filters become read-only data of the BPF programs; a bad path is a usage error. */
static int set_filters(struct authtrace_bpf *skel, const struct options *opt)
{
	struct stat st;

	skel->rodata->trace_all = opt->all;
	skel->rodata->self_tgid = (uint32_t)getpid();
	if (!opt->all)
		return EXIT_OK;
	if (opt->filter_uid >= 0)
		skel->rodata->filter_uid = (uint32_t)opt->filter_uid;
	if (opt->filter_comm) {
		skel->rodata->filter_has_comm = true;
		strncpy((char *)skel->rodata->filter_comm, opt->filter_comm, AT_COMM_LEN - 1);
	}
	if (opt->filter_exe) {
		if (stat(opt->filter_exe, &st) != 0 || !S_ISREG(st.st_mode)) {
			log_error("--exe %s: %s", opt->filter_exe,
				  errno && !S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
			return EXIT_USAGE;
		}
		skel->rodata->filter_exe_ino = st.st_ino;
	}
	if (opt->filter_cgroup) {
		/* a cgroup v2 id is the inode number of its directory */
		if (stat(opt->filter_cgroup, &st) != 0 || !S_ISDIR(st.st_mode)) {
			log_error("--cgroup %s: not a cgroup directory (e.g. /sys/fs/cgroup/system.slice/x.service)",
				  opt->filter_cgroup);
			return EXIT_USAGE;
		}
		skel->rodata->filter_cgroup_id = st.st_ino;
	}
	return EXIT_OK;
}

/*
 * Open and load the BPF object, relocated against the reduced kernel BTF
 * (btfmin.h) when there is one.  Should that fail, it is dropped and the
 * load is retried against the kernel's own BTF.
 */
static int open_and_load(struct tracer *t, const struct options *opt)
{
	char btf_path[256];
	size_t elf_len;
	const void *elf = authtrace_bpf__elf_bytes(&elf_len);
	bool reduced = btfmin_cached(elf, elf_len, btf_path, sizeof(btf_path)) == 0;
	int err;

	for (;;) {
		LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = reduced ? btf_path : NULL);

		t->skel = authtrace_bpf__open_opts(&open_opts);
		if (!t->skel) {
			log_error("cannot open the BPF object: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		t->skel->rodata->follow_children = !opt->no_follow;
		err = set_filters(t->skel, opt);
		if (err)
			return err;
		if (authtrace_bpf__load(t->skel) == 0)
			return EXIT_OK;
		if (!reduced)
			break;
		log_warn("loading against the reduced kernel BTF %s failed: removed; using the kernel's",
			 btf_path);
		unlink(btf_path);
		authtrace_bpf__destroy(t->skel);
		t->skel = NULL;
		reduced = false;
	}
	log_error("the kernel refused authtrace's BPF programs (%s); run with -vv for the verifier log",
		  strerror(errno));
	return EXIT_RUNTIME;
}

int tracer_start(struct tracer *t, const struct options *opt, struct rules *rules, struct outq *out,
		 bool out_is_tty)
{
	struct collector_config cc = {
		.rules = rules,
		.out = out,
		.format = opt->json ? OUTPUT_JSON : OUTPUT_TEXT,
		.color = !opt->json && out_is_tty && !getenv("NO_COLOR"),
		.fleet = opt->all,
		.filter_api = opt->filter_api,
		.max_conns = AT_COLLECTOR_CONNS,
		.hints = {
			.skip_until = on_skip_until,
			.response_done = on_response_done,
			.peer_lookup = on_peer_lookup,
			.ctx = t,
		},
	};
	int err;

	memset(t, 0, sizeof(*t));
	t->opt = opt;
	if (collector_init(&t->col, &cc) != 0) {
		log_error("out of memory setting up");
		return EXIT_RUNTIME;
	}

	err = check_environment();
	if (err)
		return err;
	libbpf_set_print(libbpf_print);

	err = open_and_load(t, opt);
	if (err)
		return err;
	if (attach_tracepoints(t->skel))
		return EXIT_RUNTIME;
	t->fd_traced = bpf_map__fd(t->skel->maps.traced);
	t->fd_resume = bpf_map__fd(t->skel->maps.capture_resume);
	t->fd_response_skip = bpf_map__fd(t->skel->maps.response_skip);
	t->fd_counters = bpf_map__fd(t->skel->maps.counters);

	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_record, t, NULL);
	t->reaper = reaper_new(REAPER_WORKERS);
	t->probes = probes_new(t->skel, t->reaper, bpf_map__fd(t->skel->maps.known_files));
	if (!t->rb || !t->probes) {
		log_error("out of memory setting up");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < opt->n_libs; i++) {
		err = probes_add_lib(t->probes, opt->libs[i]);
		if (err) {
			log_error("--lib %s: %s", opt->libs[i],
				  err == -EINVAL ? "not a regular file" : strerror(-err));
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/*
 * Data records do not wake us (bpf: submit_flags) until a backlog builds
 * up, so look at least every RB_TICK_MS.  ring_buffer__poll() only reads
 * rings epoll reported, hence the consume: it reads what came quietly.
 */
#define RB_TICK_MS 10

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms < RB_TICK_MS ? timeout_ms : RB_TICK_MS);

	if (n >= 0)
		n = ring_buffer__consume(t->rb);
	if (n == -EINTR)
		return 0;
	return n < 0 && !output_error(&t->col.out) ? n : 0;
}

static const char *const counter_reason[AT_CNT_COUNT] = {
	[AT_CNT_RINGBUF_FULL] = "ring-buffer-full",
	[AT_CNT_CONTROL_LOST] = "process-event-ring-buffer-full",
	[AT_CNT_TRUNCATED_BYTES] = NULL,  /* bytes, reported in the summary */
	[AT_CNT_SKIPPED_BYTES] = NULL,    /* by design */
	[AT_CNT_READ_FAILED] = "user-memory-unreadable",
	[AT_CNT_NO_THREAD_STATE] = "thread-state-unavailable",
};

static uint64_t read_counter(struct tracer *t, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map_lookup_elem(t->fd_counters, &idx, vals) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

void tracer_report_losses(struct tracer *t)
{
	uint64_t dropped = outq_take_dropped(t->col.out.q);

	/* a slow reader: events dropped rather than tracing stalled */
	if (dropped)
		collector_lost(&t->col, dropped, "output-queue-full");
	for (uint32_t i = 0; i < AT_CNT_COUNT; i++) {
		uint64_t now, delta;

		if (!counter_reason[i])
			continue;
		now = read_counter(t, i);
		delta = now - t->counters_seen[i];
		if (!delta)
			continue;
		t->counters_seen[i] = now;
		collector_lost(&t->col, delta, counter_reason[i]);
	}
}

/*
 * Enter pid in the traced map.  Its bucket's count goes up first (the BPF
 * side's add_traced() does the same, and its exit hook counts down), with
 * an atomic add on the shared mapping of the object's .bss.
 */
int tracer_add_pid(struct tracer *t, pid_t pid)
{
	uint32_t key = (uint32_t)pid, flags = t->opt->no_follow ? 0 : AT_TRACED_FOLLOW;
	uint32_t *bucket = &t->skel->bss->traced_buckets[key & (AT_TRACED_BUCKETS - 1)];

	__atomic_fetch_add(bucket, 1, __ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(t->fd_traced, &key, &flags, BPF_NOEXIST) != 0) {
		int err = errno;

		__atomic_fetch_sub(bucket, 1, __ATOMIC_SEQ_CST);
		if (err != EEXIST)
			return -err;
		/* there already (counted then): only its flags change */
		if (bpf_map_update_elem(t->fd_traced, &key, &flags, BPF_EXIST) != 0)
			return -errno;
	}
	t->n_live++;
	return 0;
}

void tracer_tick(struct tracer *t, bool emit_stats)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	collector_tick(&t->col, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec,
		       emit_stats, probes_link_count(t->probes));
}

void tracer_finish(struct tracer *t)
{
	/* whatever is still in the ring belongs to this run */
	ring_buffer__consume(t->rb);
	tracer_report_losses(t);
	collector_finish(&t->col);
}

/* Hand every link to the reaper so their detach waits overlap. */
static void reap_tracepoint_links(struct tracer *t)
{
	struct tracepoint_slot tp[MAX_TRACEPOINTS];
	size_t n = tracepoint_slots(t->skel, tp);

	for (size_t i = 0; i < n; i++) {
		reaper_destroy(t->reaper, *tp[i].link);
		*tp[i].link = NULL;
	}
}

/*
 * A process the kernel side stopped must never stay stopped: detach
 * everything that can stop one, wait until it is detached, then resume
 * every process still waiting in the ring.
 */
void tracer_close(struct tracer *t)
{
	t->closing = true;
	if (t->skel)
		reap_tracepoint_links(t);
	probes_free(t->probes);
	reaper_finish(t->reaper);
	if (t->rb)
		ring_buffer__consume(t->rb);
	ring_buffer__free(t->rb);
	collector_free(&t->col);
	authtrace_bpf__destroy(t->skel);
}

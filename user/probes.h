/* SPDX-License-Identifier: MIT */
/*
 * Where the TLS code is, and uprobes on it per traced process.
 *
 * For a pid we probe every mapped ELF file that defines SSL_write or
 * SSL_write_ex (libssl.so*, or an executable like node that carries its own
 * OpenSSL), and any --lib file.  Files mapped later (the loader, dlopen)
 * are reported by the kernel side, with the process stopped, and probed
 * then (probes_attach_fd).  Files found free of TLS code are entered in
 * the kernel's known_files map so mapping them never stops anyone again.
 * Uprobes are attached with the pid, so processes that share a library
 * but are not traced never hit them.
 */
#ifndef AUTHTRACE_PROBES_H
#define AUTHTRACE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct authtrace_bpf;
struct probes;
struct reaper;

/*
 * Links are destroyed through reaper (may be NULL: destroyed inline);
 * known_files_fd is the BPF map of files without TLS code.
 */
struct probes *probes_new(struct authtrace_bpf *skel, struct reaper *reaper, int known_files_fd);
void probes_free(struct probes *p);

/* --all: from now on attach once per file, for every process (pid -1). */
void probes_set_global(struct probes *p);

/* Add a library or executable to probe in every traced process (--lib). */
int probes_add_lib(struct probes *p, const char *path);

/*
 * Make sure every TLS binary pid maps (or may dlopen from the system set)
 * is probed for pid.  Idempotent: binaries already probed for pid are
 * skipped.  Returns the number of binaries probed for pid in total, or
 * -errno (-ESRCH: pid is gone).
 */
int probes_attach_pid(struct probes *p, pid_t pid);

/*
 * pid is mapping the file open at its descriptor fd (inode ino): probe it
 * if it holds TLS code.  Returns 1 if probed, 0 if not TLS, or -errno.
 */
int probes_attach_fd(struct probes *p, pid_t pid, int fd, uint64_t ino);

/* Drop pid's uprobes (it exited). */
void probes_detach_pid(struct probes *p, pid_t pid);

/* Number of uprobe links currently attached, for stats. */
size_t probes_link_count(const struct probes *p);

/* A line describing what was searched for pid, for the "no TLS library" warning. */
void probes_describe_search(const struct probes *p, pid_t pid, char *buf, size_t len);

/* True if a file pid has mapped carries TLS functions we probe. */
bool probes_pid_maps_tls(const struct probes *p, pid_t pid);

#endif

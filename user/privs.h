/* SPDX-License-Identifier: MIT */
/*
 * Least privilege once tracing is set up.  authtrace keeps attaching
 * uprobes (new children, dlopen) and reading other processes' /proc, so it
 * keeps exactly the capabilities for that and drops every other one, from
 * the bounding set too; then no_new_privs (no exec can regain any) and
 * non-dumpable (no core file or ptrace can expose the memory that briefly
 * held request plaintext).
 */
#ifndef AUTHTRACE_PRIVS_H
#define AUTHTRACE_PRIVS_H

/* Returns 0, or -errno (the caller warns; tracing goes on). */
int privs_drop(void);

/* Make this process non-dumpable with no core files; call first thing. */
void privs_no_core(void);

#endif

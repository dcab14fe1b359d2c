// SPDX-License-Identifier: MIT
#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * What following processes needs: BPF and PERFMON (load maps, attach
 * uprobes), SYS_ADMIN (/proc/PID/map_files, perf events of other users'
 * processes on older kernels), SYS_PTRACE (/proc/PID/maps and fd links,
 * pidfd_getfd), KILL (SIGCONT to stopped processes of other users),
 * DAC_READ_SEARCH (read libraries in directories only their owner may
 * read), SYS_RESOURCE (locked memory for BPF maps on older kernels).
 */
static const int keep[] = {
	CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_KILL, CAP_DAC_READ_SEARCH,
	CAP_SYS_RESOURCE,
};

static bool kept(int cap)
{
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i] == cap)
			return true;
	return false;
}

void privs_no_core(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int privs_drop(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	int last = CAP_LAST_CAP;

	/*
	 * The bounding set first: dropping from it needs CAP_SETPCAP, which goes
	 * next.  A service manager may have reduced it already (and taken
	 * CAP_SETPCAP): then what is left of it is all we could ever regain.
	 */
	for (int cap = 0; cap <= last; cap++) {
		if (kept(cap) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM)
			return -errno;
	}
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t mask = 0;

		for (int bit = 0; bit < 32; bit++)
			if (kept(i * 32 + bit))
				mask |= 1U << bit;
		data[i].effective &= mask;
		data[i].permitted &= mask;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	return 0;
}

// SPDX-License-Identifier: MIT
#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static bool format_peer(const struct sockaddr_storage *ss, char out[PEER_MAX])
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
			return false;
		snprintf(out, PEER_MAX, "%s:%u", ip, ntohs(a->sin_port));
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		if (!inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip)))
			return false;
		snprintf(out, PEER_MAX, "[%s]:%u", ip, ntohs(a->sin6_port));
		return true;
	}
	return false;
}

bool peer_of_fd(pid_t pid, int fd, char out[PEER_MAX])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int pidfd, sock;
	bool ok;

	out[0] = '\0';
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return false;
	/* a duplicate of the target's socket, only to ask the kernel its peer */
	sock = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (sock < 0)
		return false;
	ok = getpeername(sock, (struct sockaddr *)&ss, &len) == 0 && format_peer(&ss, out);
	close(sock);
	return ok;
}

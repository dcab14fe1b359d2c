// SPDX-License-Identifier: MIT
#include "events.h"

#include <string.h>

static enum decoded_kind decode_data(const struct at_event_hdr *h, size_t size,
				     struct decoded_event *out)
{
	const uint8_t *data = (const uint8_t *)(h + 1);
	size_t room = size - sizeof(*h);
	struct conn_chunk *c = &out->chunk;

	if (h->data_len == 0 || h->data_len > room || h->data_len > AT_CHUNK)
		return DEC_INVALID;
	if ((uint64_t)h->chunk_off + h->data_len > h->len)
		return DEC_INVALID;
	if (h->flags & AT_F_READ_FAILED)
		return DEC_INVALID;   /* the kernel could not read the buffer: no data */
	if (h->dir > AT_DIR_IN || h->hook >= AT_HOOK_COUNT || h->hook == AT_HOOK_NONE)
		return DEC_INVALID;
	c->pid = (pid_t)h->pid;
	c->tid = (pid_t)h->tid;
	c->ts_ns = h->ts_ns;
	c->conn = h->conn;
	c->stream_off = h->stream_off;
	c->len = h->len;
	c->chunk_off = h->chunk_off;
	c->data_len = h->data_len;
	c->hook = h->hook;
	c->dir = h->dir;
	c->last_chunk = h->flags & AT_F_LAST_CHUNK;
	c->truncated = h->flags & AT_F_TRUNCATED;
	c->comm = out->comm;
	c->uid = h->uid;
	c->cgroup_id = h->cgroup_id;
	c->data = data;
	return DEC_DATA;
}

enum decoded_kind event_decode(const void *data, size_t size, struct decoded_event *out)
{
	const struct at_event_hdr *h = data;

	memset(out, 0, sizeof(*out));
	if (!data || size < sizeof(*h))
		return DEC_INVALID;
	/* pids go to kill(2) and key the tables: 0 or negative would mean a group, or all */
	if (h->pid == 0 || h->pid > INT32_MAX || (h->kind == AT_EV_FORK && h->ppid > INT32_MAX))
		return DEC_INVALID;
	out->hdr = h;
	memcpy(out->comm, h->comm, AT_COMM_LEN);
	out->comm[AT_COMM_LEN] = '\0';
	switch (h->kind) {
	case AT_EV_DATA:
		out->kind = decode_data(h, size, out);
		break;
	case AT_EV_EXEC:
		out->kind = DEC_EXEC;
		break;
	case AT_EV_FORK:
		out->kind = DEC_FORK;
		break;
	case AT_EV_EXIT:
		out->kind = DEC_EXIT;
		break;
	case AT_EV_MMAP:
		out->kind = h->conn <= INT32_MAX ? DEC_MMAP : DEC_INVALID;
		break;
	case AT_EV_SSL_FD:
		out->kind = h->len <= INT32_MAX ? DEC_SSL_FD : DEC_INVALID;
		break;
	case AT_EV_CLOSE:
		out->kind = DEC_CLOSE;
		break;
	default:
		out->kind = DEC_INVALID;
	}
	return out->kind;
}

// SPDX-License-Identifier: MIT
#include "output.h"

#include "outq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void output_init(struct output *o, struct outq *q, enum output_format format, bool color)
{
	struct timespec rt, mono;

	o->q = q;
	o->format = format;
	o->color = color;
	o->seq = 0;
	o->group_by_process = false;
	o->last_pid = 0;
	memset(o->headers_cache, 0, sizeof(o->headers_cache));
	memset(o->process_cache, 0, sizeof(o->process_cache));
	/* in a pod gethostname() names the pod: the DaemonSet passes the node's name */
	if (getenv("AUTHTRACE_HOSTNAME"))
		snprintf(o->host, sizeof(o->host), "%s", getenv("AUTHTRACE_HOSTNAME"));
	else if (gethostname(o->host, sizeof(o->host)) != 0)
		o->host[0] = '\0';
	o->host[sizeof(o->host) - 1] = '\0';
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	o->realtime_offset_ns = (int64_t)(rt.tv_sec - mono.tv_sec) * 1000000000LL +
				(rt.tv_nsec - mono.tv_nsec);
}

void output_write(struct output *o, const char *s, size_t n)
{
	outq_push(o->q, s, n);
}

int output_error(struct output *o)
{
	return outq_error(o->q);
}

static void to_realtime(const struct output *o, uint64_t mono_ns, struct tm *tm, long *ms, bool utc)
{
	int64_t ns = (int64_t)mono_ns + o->realtime_offset_ns;
	time_t secs = (time_t)(ns / 1000000000LL);

	*ms = (long)((ns % 1000000000LL) / 1000000);
	if (utc)
		gmtime_r(&secs, tm);
	else
		localtime_r(&secs, tm);
}

void output_format_rfc3339(const struct output *o, uint64_t mono_ns, char *buf, size_t len)
{
	/* gmtime_r and formatting the date for every event cost more than the
	 * rest of a response line: the date changes once a second, keep it */
	static __thread time_t cached_secs = (time_t)-1;
	static __thread char cached_date[32];   /* "YYYY-MM-DDTHH:MM:SS" */
	int64_t ns = (int64_t)mono_ns + o->realtime_offset_ns;
	time_t secs = (time_t)(ns / 1000000000LL);
	int64_t frac = ns % 1000000000LL;
	char stamp[sizeof(cached_date) + sizeof(".000Z")];
	size_t n;
	int ms;

	if (frac < 0) {   /* before 1970: floor, not truncation */
		secs -= 1;
		frac += 1000000000LL;
	}
	if (secs != cached_secs) {
		struct tm tm;

		gmtime_r(&secs, &tm);
		if (!strftime(cached_date, sizeof(cached_date), "%Y-%m-%dT%H:%M:%S", &tm))
			cached_date[0] = '\0';
		cached_secs = secs;
	}
	/* snprintf("%s.%03dZ") would cost more than the rest of this function */
	ms = (int)(frac / 1000000);
	n = strlen(cached_date);
	memcpy(stamp, cached_date, n);
	stamp[n++] = '.';
	stamp[n++] = (char)('0' + ms / 100);
	stamp[n++] = (char)('0' + ms / 10 % 10);
	stamp[n++] = (char)('0' + ms % 10);
	stamp[n++] = 'Z';
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, stamp, n);
	buf[n] = '\0';
}

void output_format_clock(const struct output *o, uint64_t mono_ns, char *buf, size_t len)
{
	struct tm tm;
	long ms;

	to_realtime(o, mono_ns, &tm, &ms, false);
	snprintf(buf, len, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

uint64_t output_request(struct output *o, const struct request *req, const struct proc_info *pi)
{
	o->seq++;
	if (o->format == OUTPUT_JSON)
		json_request(o, req, pi);
	else
		text_request(o, req, pi);
	return o->seq;
}

void output_response(struct output *o, const struct response *resp)
{
	o->seq++;
	if (o->format == OUTPUT_JSON)
		json_response(o, resp);
	else
		text_response(o, resp);
}

void output_lost(struct output *o, uint64_t count, const char *reason)
{
	if (o->format == OUTPUT_JSON)
		json_lost(o, count, reason);
	else
		text_lost(o, count, reason);
}

void output_summary(struct output *o, const struct summary *s)
{
	if (o->format == OUTPUT_JSON)
		json_summary(o, s);
	else
		text_summary(o, s);
}

void output_suppressed(struct output *o, pid_t pid, const char *comm, const char *rule,
		       uint64_t count)
{
	if (o->format == OUTPUT_JSON)
		json_suppressed(o, pid, comm, rule, count);
	else
		text_suppressed(o, pid, comm, rule, count);
}

void output_stats(struct output *o, const struct summary *s, size_t probes, size_t conns,
		  uint64_t suppressed)
{
	if (o->format == OUTPUT_JSON)
		json_stats(o, s, probes, conns, suppressed);
	else
		text_stats(o, s, probes, conns, suppressed);
}

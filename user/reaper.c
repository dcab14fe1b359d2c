// SPDX-License-Identifier: MIT
#include "reaper.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#define REAPER_MAX_WORKERS 16

struct reaper {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct bpf_link **queue;
	size_t len, cap;
	bool stopping;
	pthread_t threads[REAPER_MAX_WORKERS];
	unsigned n_threads;
};

static void *worker(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct bpf_link *l;

		while (r->len == 0 && !r->stopping)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->len == 0)
			break;
		l = r->queue[--r->len];
		pthread_mutex_unlock(&r->lock);
		bpf_link__destroy(l);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct reaper *reaper_new(unsigned workers)
{
	struct reaper *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	if (workers > REAPER_MAX_WORKERS)
		workers = REAPER_MAX_WORKERS;
	for (unsigned i = 0; i < workers; i++)
		if (pthread_create(&r->threads[r->n_threads], NULL, worker, r) == 0)
			r->n_threads++;
	return r;
}

void reaper_destroy(struct reaper *r, struct bpf_link *link)
{
	if (!link)
		return;
	if (!r || r->n_threads == 0) {
		bpf_link__destroy(link);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct bpf_link **q = realloc(r->queue, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&r->lock);
			bpf_link__destroy(link);
			return;
		}
		r->queue = q;
		r->cap = cap;
	}
	r->queue[r->len++] = link;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->lock);
}

void reaper_finish(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	free(r->queue);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->work);
	free(r);
}

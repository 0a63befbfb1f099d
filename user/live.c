// SPDX-License-Identifier: GPL-2.0
/*
 * The live-allocation mirror (open addressing, linear probing, backward-shift
 * deletion; grows up to a maximum, or while memory lasts), and its
 * allocations grouped by kernel stack.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "live.h"

struct slot {
	struct kmt_live_alloc a;
	bool used;
};

struct kmt_live {
	struct slot *s;
	size_t cap; /* power of two; at most half full */
	size_t n, max;
	uint64_t dropped;
};

static size_t hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

struct kmt_live *kmt_live_new(size_t max)
{
	struct kmt_live *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cap = 1024;
	t->max = max ? max : SIZE_MAX;
	t->s = calloc(t->cap, sizeof(*t->s));
	if (!t->s) {
		free(t);
		return NULL;
	}
	return t;
}

void kmt_live_free(struct kmt_live *t)
{
	if (!t)
		return;
	free(t->s);
	free(t);
}

size_t kmt_live_count(const struct kmt_live *t)
{
	return t ? t->n : 0;
}

uint64_t kmt_live_dropped(const struct kmt_live *t)
{
	return t ? t->dropped : 0;
}

static struct slot *find(struct kmt_live *t, uint64_t key)
{
	for (size_t i = hash(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (!t->s[i].used)
			return &t->s[i];
		if (t->s[i].a.key == key)
			return &t->s[i];
	}
}

static int grow(struct kmt_live *t)
{
	struct slot *old = t->s;
	size_t ocap = t->cap;

	if (ocap > SIZE_MAX / 2 / sizeof(*t->s))
		return -ENOMEM;
	t->s = calloc(ocap * 2, sizeof(*t->s));
	if (!t->s) {
		t->s = old;
		return -ENOMEM;
	}
	t->cap = ocap * 2;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			*find(t, old[i].a.key) = old[i];
	free(old);
	return 0;
}

static void put(struct kmt_live *t, const struct kmt_live_alloc *a)
{
	struct slot *s = find(t, a->key);

	if (!s->used) {
		if (t->n >= t->max || (2 * (t->n + 1) > t->cap && grow(t))) {
			t->dropped++;
			return;
		}
		s = find(t, a->key); /* the table may have moved */
		t->n++;
	}
	s->used = true;
	s->a = *a;
}

static bool del(struct kmt_live *t, uint64_t key, struct kmt_live_alloc *gone)
{
	size_t i = hash(key, t->cap), j, h;

	while (t->s[i].used && t->s[i].a.key != key)
		i = (i + 1) & (t->cap - 1);
	if (!t->s[i].used)
		return false;
	if (gone)
		*gone = t->s[i].a;
	/* Backward shift: move later entries of the run into the hole. */
	for (j = (i + 1) & (t->cap - 1); t->s[j].used; j = (j + 1) & (t->cap - 1)) {
		h = hash(t->s[j].a.key, t->cap);
		/* entry j may move to i if its home h is not in (i, j] (cyclically) */
		if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
			t->s[i] = t->s[j];
			i = j;
		}
	}
	t->s[i].used = false;
	t->n--;
	return true;
}

void kmt_live_add(struct kmt_live *t, const struct kmt_live_alloc *a)
{
	if (t)
		put(t, a);
}

bool kmt_live_event(struct kmt_live *t, const struct kmt_event *e, struct kmt_live_alloc *gone)
{
	struct kmt_live_alloc a;

	if (!t)
		return false;
	if (kmt_event_is_free(e->type))
		return (e->flags & KMT_F_TRACKED) && del(t, kmt_live_key(e), gone);
	if (kmt_event_is_alloc(e->type)) {
		if (e->flags & KMT_F_UNTRACKED)
			return false; /* not in the BPF table either */
		if (e->type != KMT_EV_PAGE_ALLOC && e->ptr < 4096)
			return false; /* failed, or kmalloc(0)'s ZERO_SIZE_PTR */
		memset(&a, 0, sizeof(a));
		a.key = kmt_live_key(e);
		a.ts_ns = e->ts_ns;
		a.call_site = e->call_site;
		a.via = e->via;
		a.bytes_req = e->bytes_req;
		a.bytes_alloc = e->bytes_alloc;
		a.kind = e->type;
		a.order = e->order;
		a.pid = e->pid;
		a.tid = e->tid;
		a.stack_id = e->stack_id;
		memcpy(a.comm, e->comm, sizeof(a.comm));
		if (e->type == KMT_EV_CACHE_ALLOC)
			memcpy(a.cache, e->cache, sizeof(a.cache));
		put(t, &a);
	}
	return false;
}

static int cmp_ts(const void *x, const void *y)
{
	const struct kmt_live_alloc *a = x, *b = y;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

struct kmt_live_alloc *kmt_live_take_all(struct kmt_live *t, size_t *n)
{
	struct kmt_live_alloc *v;
	size_t k = 0;

	*n = 0;
	if (!t || !t->n)
		return NULL;
	v = malloc(t->n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->s[i].used) {
			v[k++] = t->s[i].a;
			t->s[i].used = false;
		}
	}
	t->n = 0;
	qsort(v, k, sizeof(*v), cmp_ts);
	*n = k;
	return v;
}

static int cmp_stack_id(const void *x, const void *y)
{
	int32_t a = ((const struct kmt_live_alloc *)x)->stack_id,
		b = ((const struct kmt_live_alloc *)y)->stack_id;

	return a < b ? -1 : a > b;
}

static int cmp_group(const void *x, const void *y)
{
	const struct kmt_live_group *a = x, *b = y;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

struct kmt_live_group *kmt_live_by_stack(const struct kmt_live_alloc *v, size_t n, size_t *ng)
{
	struct kmt_live_alloc *s;
	struct kmt_live_group *g;
	size_t k = 0;

	*ng = 0;
	if (!n)
		return NULL;
	s = malloc(n * sizeof(*s));
	g = malloc(n * sizeof(*g));
	if (!s || !g) {
		free(s);
		free(g);
		return NULL;
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_stack_id);
	for (size_t i = 0; i < n; i++) {
		if (!k || g[k - 1].stack_id != s[i].stack_id)
			g[k++] = (struct kmt_live_group){.stack_id = s[i].stack_id};
		g[k - 1].count++;
		g[k - 1].bytes += s[i].bytes_alloc;
	}
	free(s);
	qsort(g, k, sizeof(*g), cmp_group);
	*ng = k;
	return g;
}

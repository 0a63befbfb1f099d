// SPDX-License-Identifier: GPL-2.0
/* `kmtrace hist`: buckets, grouping, text and JSON output (no BPF, no I/O but FILE *). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "hist_report.h"
#include "fmt.h"

#define TWO64 "18446744073709551616"

void hist_bucket(__u64 slot, __u64 step, __u64 *lo, __u64 *hi)
{
	if (step) {
		/* slot = v / step for some v < 2^64, so slot * step cannot overflow */
		*lo = slot * step;
		*hi = *lo + step < *lo ? 0 : *lo + step;
		return;
	}
	if (slot == 0) {
		*lo = 0;
		*hi = 1;
	} else {
		*lo = 1ULL << (slot - 1);
		*hi = slot >= 64 ? 0 : 1ULL << slot;
	}
}

static int u64_str(__u64 v, bool two64, char *buf, size_t len)
{
	return two64 ? snprintf(buf, len, TWO64)
		     : snprintf(buf, len, "%llu", (unsigned long long)v);
}

int hist_label(__u64 slot, __u64 step, char *buf, size_t len)
{
	char l[24], h[24];
	__u64 lo, hi;

	hist_bucket(slot, step, &lo, &hi);
	u64_str(lo, false, l, sizeof(l));
	u64_str(hi, hi == 0, h, sizeof(h));
	return snprintf(buf, len, "[%s, %s)", l, h);
}

void hist_bar(__u64 count, __u64 max, int width, char *buf)
{
	int n = 0;

	if (count && max) {
		/* count <= max, so count * width fits unless count is huge: scale down */
		long double f = (long double)count * width / (long double)max;

		n = (int)f;
		if (n < 1)
			n = 1;
		if (n > width)
			n = width;
	}
	memset(buf, '@', (size_t)n);
	memset(buf + n, ' ', (size_t)(width - n));
	buf[width] = '\0';
}

/* ---- grouping ---------------------------------------------------------------- */

static int key_cmp(const struct kmt_hist_key *a, const struct kmt_hist_key *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return strncmp(a->comm, b->comm, KMT_COMM_LEN);
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct hist_row *a = pa, *b = pb;
	int c = key_cmp(&a->k, &b->k);

	if (c)
		return c;
	return a->k.slot < b->k.slot ? -1 : a->k.slot > b->k.slot;
}

static int hist_cmp(const void *pa, const void *pb)
{
	const struct hist *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return key_cmp(&a->rows[0].k, &b->rows[0].k);
}

struct hist *hist_group(struct hist_row *rows, size_t n, size_t *nh)
{
	struct hist *h;
	size_t i, j, k = 0;

	*nh = 0;
	if (!n)
		return NULL;
	qsort(rows, n, sizeof(*rows), row_cmp);
	h = calloc(n, sizeof(*h));
	if (!h)
		return NULL;
	for (i = 0; i < n; i = j) {
		h[k].rows = &rows[i];
		for (j = i; j < n && !key_cmp(&rows[i].k, &rows[j].k); j++)
			h[k].total += rows[j].count;
		h[k].n = j - i;
		k++;
	}
	qsort(h, k, sizeof(*h), hist_cmp);
	*nh = k;
	return h;
}

/* ---- output ------------------------------------------------------------------ */

static const char *name_of(hist_name_fn fn, void *arg, __u64 v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (fn)
		fn(arg, v, buf, len);
	return buf;
}

static void comm_of(const struct hist_row *r, char *buf)
{
	memcpy(buf, r->k.comm, KMT_COMM_LEN);
	buf[KMT_COMM_LEN] = '\0';
}

void hist_key_str(const struct hist_fmt *fm, const struct hist_row *r, char *buf, size_t len)
{
	char comm[KMT_COMM_LEN + 1], name[256];

	kmt_comm_text(r->k.comm, comm); /* the header stays one line */
	switch (fm->by) {
	case KMT_BY_PID:
		snprintf(buf, len, "pid %llu, %s", (unsigned long long)r->k.key, comm);
		break;
	case KMT_BY_COMM:
		snprintf(buf, len, "comm %s", comm);
		break;
	case KMT_BY_CALLER:
		if (!name_of(fm->sym, fm->sym_arg, r->k.key, name, sizeof(name))[0])
			snprintf(name, sizeof(name), "0x%llx", (unsigned long long)r->k.key);
		snprintf(buf, len, "caller %s", name);
		break;
	case KMT_BY_GFP:
		if (!name_of(fm->gfp, fm->gfp_arg, r->k.key, name, sizeof(name))[0])
			snprintf(name, sizeof(name), "0x%llx", (unsigned long long)r->k.key);
		snprintf(buf, len, "gfp %s", name);
		break;
	case KMT_BY_CACHE:
		if (!name_of(fm->sym, fm->sym_arg, r->k.key, name, sizeof(name))[0])
			snprintf(name, sizeof(name), "?");
		snprintf(buf, len, "cache %s", name);
		break;
	default:
		snprintf(buf, len, "%s", "");
	}
}

static void print_text(FILE *f, const struct hist_fmt *fm, const struct hist *h)
{
	char key[512], label[64], bar[HIST_BAR_WIDTH + 1];
	__u64 max = 0, lo_slot, hi_slot, prev;
	int lw = 16, cw = 7;
	size_t i;

	if (fm->by == KMT_BY_NONE || !h)
		fprintf(f, "@%s (%s, %s):", hist_field_name(fm->field),
			fm->families ? fm->families : "kmalloc",
			fm->scope ? fm->scope : "all processes");
	else {
		hist_key_str(fm, &h->rows[0], key, sizeof(key));
		fprintf(f, "@%s[%s]:", hist_field_name(fm->field), key);
	}
	if (!h || !h->total) {
		fputs(" no events\n\n", f);
		return;
	}
	fputc('\n', f);
	for (i = 0; i < h->n; i++) {
		int n = hist_label(h->rows[i].k.slot, fm->step, label, sizeof(label));
		int c = snprintf(NULL, 0, "%llu", (unsigned long long)h->rows[i].count);

		lw = n > lw ? n : lw;
		cw = c > cw ? c : cw;
		max = h->rows[i].count > max ? h->rows[i].count : max;
	}
	/* from the first to the last non-empty bucket */
	for (i = 0; i < h->n && !h->rows[i].count; i++)
		;
	lo_slot = h->rows[i].k.slot;
	hi_slot = lo_slot;
	for (size_t j = i; j < h->n; j++)
		if (h->rows[j].count)
			hi_slot = h->rows[j].k.slot;
	prev = lo_slot;
	for (; i < h->n && h->rows[i].k.slot <= hi_slot; i++) {
		const struct hist_row *r = &h->rows[i];

		if (!r->count)
			continue;
		if (r->k.slot - prev > HIST_GAP + 1) {
			fputs("...\n", f);
		} else {
			for (__u64 s = prev + 1; s < r->k.slot; s++) {
				hist_label(s, fm->step, label, sizeof(label));
				hist_bar(0, max, HIST_BAR_WIDTH, bar);
				fprintf(f, "%-*s%*d |%s|\n", lw, label, cw, 0, bar);
			}
		}
		hist_label(r->k.slot, fm->step, label, sizeof(label));
		hist_bar(r->count, max, HIST_BAR_WIDTH, bar);
		fprintf(f, "%-*s%*llu |%s|\n", lw, label, cw, (unsigned long long)r->count, bar);
		prev = r->k.slot;
	}
	fputc('\n', f);
}

static void json_key(FILE *f, const struct hist_fmt *fm, const struct hist_row *r)
{
	char comm[KMT_COMM_LEN + 1], js[8 * KMT_COMM_LEN], name[256], jn[1024];

	if (!r || fm->by == KMT_BY_NONE) {
		fputs("null", f);
		return;
	}
	comm_of(r, comm);
	kmt_json_str(comm, KMT_COMM_LEN, js, sizeof(js));
	switch (fm->by) {
	case KMT_BY_PID:
		fprintf(f, "{\"pid\":%llu,\"comm\":%s}", (unsigned long long)r->k.key, js);
		break;
	case KMT_BY_COMM:
		fprintf(f, "{\"comm\":%s}", js);
		break;
	case KMT_BY_CALLER:
		fprintf(f, "{\"call_site\":\"0x%llx\",\"sym\":", (unsigned long long)r->k.key);
		if (name_of(fm->sym, fm->sym_arg, r->k.key, name, sizeof(name))[0]) {
			kmt_json_str(name, sizeof(name), jn, sizeof(jn));
			fprintf(f, "%s}", jn);
		} else {
			fputs("null}", f);
		}
		break;
	case KMT_BY_GFP:
		if (!name_of(fm->gfp, fm->gfp_arg, r->k.key, name, sizeof(name))[0])
			snprintf(name, sizeof(name), "0x%llx", (unsigned long long)r->k.key);
		kmt_json_str(name, sizeof(name), jn, sizeof(jn));
		fprintf(f, "{\"gfp\":%s,\"gfp_flags\":\"0x%llx\"}", jn,
			(unsigned long long)r->k.key);
		break;
	case KMT_BY_CACHE:
		name_of(fm->sym, fm->sym_arg, r->k.key, name, sizeof(name));
		kmt_json_str(name, sizeof(name), jn, sizeof(jn));
		fprintf(f, "{\"cache\":%s}", jn);
		break;
	default:
		fputs("null", f);
	}
}

static void print_json(FILE *f, const struct hist_fmt *fm, const struct hist *h)
{
	char lo[24], hi[24];
	bool first = true;

	fprintf(f, "{\"hist\":\"%s\",\"key\":", hist_field_name(fm->field));
	json_key(f, fm, h ? &h->rows[0] : NULL);
	fputs(",\"buckets\":[", f);
	for (size_t i = 0; h && i < h->n; i++) {
		__u64 l, u;

		if (!h->rows[i].count)
			continue;
		hist_bucket(h->rows[i].k.slot, fm->step, &l, &u);
		u64_str(l, false, lo, sizeof(lo));
		u64_str(u, u == 0, hi, sizeof(hi));
		fprintf(f, "%s{\"lo\":%s,\"hi\":%s,\"count\":%llu}", first ? "" : ",", lo, hi,
			(unsigned long long)h->rows[i].count);
		first = false;
	}
	fprintf(f, "],\"total\":%llu", h ? (unsigned long long)h->total : 0ULL);
	if (fm->step)
		fprintf(f, ",\"scale\":\"linear\",\"step\":%llu", (unsigned long long)fm->step);
	else
		fputs(",\"scale\":\"log2\"", f);
	fprintf(f, ",\"ts_ns\":%llu", (unsigned long long)fm->ts_ns);
	if (fm->interval)
		fprintf(f, ",\"interval\":%llu", (unsigned long long)fm->interval);
	fputs("}\n", f);
}

void hist_print(FILE *f, const struct hist_fmt *fm, const struct hist *h)
{
	if (fm->json)
		print_json(f, fm, h);
	else
		print_text(f, fm, h);
}

const char *hist_field_name(enum hist_field f)
{
	return f == HIST_ALLOC ? "bytes_alloc" : "bytes_req";
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace stat` tables: fragmentation math, sorting, text and JSON output.
 * Pure functions (no BPF, no globals), unit-tested in tests/unit/test_stat.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "stat_report.h"

#define SYM_LEN 160

double stat_frag_pct(__u64 bytes_req, __u64 bytes_alloc)
{
	if (bytes_alloc == 0 || bytes_req >= bytes_alloc)
		return 0.0;
	return 100.0 * (double)(bytes_alloc - bytes_req) / (double)bytes_alloc;
}

__u64 stat_outstanding(const struct kmstat_site *s)
{
	__u64 tracked = s->bytes_alloc -
			(s->untracked_bytes < s->bytes_alloc ? s->untracked_bytes : s->bytes_alloc);

	return tracked > s->bytes_freed ? tracked - s->bytes_freed : 0;
}

int stat_sort_valid(enum stat_mode mode, enum stat_sort sort)
{
	if (mode == STAT_PAGE && (sort == STAT_SORT_FRAG || sort == STAT_SORT_OUTSTANDING))
		return -1;
	return 0;
}

static double sort_value(const struct stat_row *r, enum stat_mode mode, enum stat_sort sort)
{
	if (mode == STAT_PAGE)
		return sort == STAT_SORT_HITS ? (double)r->p.hits : (double)r->p.pages;
	switch (sort) {
	case STAT_SORT_HITS:
		return (double)r->s.hits;
	case STAT_SORT_FRAG:
		return stat_frag_pct(r->s.bytes_req, r->s.bytes_alloc);
	case STAT_SORT_OUTSTANDING:
		return (double)stat_outstanding(&r->s);
	case STAT_SORT_BYTES:
	default:
		return (double)r->s.bytes_alloc;
	}
}

struct sort_ctx {
	enum stat_mode mode;
	enum stat_sort sort;
};

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct stat_row *a = pa, *b = pb;
	double va = sort_value(a, c->mode, c->sort), vb = sort_value(b, c->mode, c->sort);

	if (va != vb)
		return va > vb ? -1 : 1;
	/* Secondary key: bytes, then the row key, ascending. */
	if (c->mode == STAT_PAGE) {
		if (a->order != b->order)
			return cmp_u64(a->order, b->order);
		return cmp_u64(a->gfp, b->gfp);
	}
	if (a->s.bytes_alloc != b->s.bytes_alloc)
		return a->s.bytes_alloc > b->s.bytes_alloc ? -1 : 1;
	return cmp_u64(a->key, b->key);
}

void stat_sort_rows(struct stat_row *rows, size_t n, enum stat_mode mode, enum stat_sort sort)
{
	struct sort_ctx c = {mode, sort};

	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_rows, &c);
}

static const char *scope_of(const struct stat_report *r)
{
	return r->scope && r->scope[0] ? r->scope : "all";
}

static void json_str(FILE *f, const char *s)
{
	kmt_fput_json_str(f, s, SIZE_MAX);
}

static const char *mode_name(enum stat_mode m)
{
	return m == STAT_PAGE	 ? "page"
	       : m == STAT_ALLOC ? "alloc"
	       : m == STAT_CACHE ? "cache"
				 : "caller";
}

static const char *site_name(const struct stat_report *r, __u64 addr, char *buf, size_t len)
{
	if (r->sym)
		return r->sym(r->sym_arg, addr, buf, len);
	snprintf(buf, len, "0x%llx", addr);
	return buf;
}

static const char *gfp_name(const struct stat_report *r, __u32 gfp, char *buf, size_t len)
{
	if (r->gfp)
		return r->gfp(r->gfp_arg, gfp, buf, len);
	snprintf(buf, len, "0x%x", gfp);
	return buf;
}

static void print_site_json(FILE *f, const struct stat_report *r, const struct stat_row *row)
{
	char buf[SYM_LEN];

	if (r->mode == STAT_CALLER) {
		fprintf(f, "{\"type\":\"caller\",\"call_site\":\"0x%llx\",\"sym\":", row->key);
		json_str(f, site_name(r, row->key, buf, sizeof(buf)));
	} else if (r->mode == STAT_CACHE) {
		fprintf(f, "{\"type\":\"cache\",\"cache\":");
		json_str(f, site_name(r, row->key, buf, sizeof(buf)));
	} else {
		fprintf(f, "{\"type\":\"alloc\",\"size\":%llu", row->key);
	}
	fprintf(f,
		",\"hits\":%llu,\"bytes_req\":%llu,\"bytes_alloc\":%llu"
		",\"frag_pct\":%.2f,\"outstanding\":%llu,\"frees\":%llu"
		",\"untracked\":%llu}\n",
		row->s.hits, row->s.bytes_req, row->s.bytes_alloc,
		stat_frag_pct(row->s.bytes_req, row->s.bytes_alloc), stat_outstanding(&row->s),
		row->s.frees, row->s.untracked);
}

static void print_page_json(FILE *f, const struct stat_report *r, const struct stat_row *row)
{
	char buf[SYM_LEN];

	fprintf(f, "{\"type\":\"page\",\"order\":%u,\"gfp\":\"0x%x\",\"gfp_flags\":", row->order,
		row->gfp);
	json_str(f, gfp_name(r, row->gfp, buf, sizeof(buf)));
	fprintf(f, ",\"hits\":%llu,\"pages\":%llu,\"fails\":%llu}\n", row->p.hits, row->p.pages,
		row->p.fails);
}

static void print_site_text(FILE *f, const struct stat_report *r, const struct stat_row *rows,
			    size_t n)
{
	char buf[SYM_LEN], out[32];
	bool named = r->mode == STAT_CALLER || r->mode == STAT_CACHE;
	const char *col = r->mode == STAT_CALLER  ? "CALLSITE"
			  : r->mode == STAT_CACHE ? "CACHE"
						  : "SIZE";
	int w = (int)strlen(col);

	for (size_t i = 0; i < n && named; i++) {
		int l = (int)strlen(site_name(r, rows[i].key, buf, sizeof(buf)));

		if (l > w)
			w = l;
	}
	fprintf(f, "%-*s %10s %14s %14s %7s %14s %10s\n", w, col, "HITS", "BYTES_REQ",
		"BYTES_ALLOC", "FRAG%", "OUTSTANDING", "FREES");
	for (size_t i = 0; i < n; i++) {
		const struct kmstat_site *s = &rows[i].s;

		if (named)
			site_name(r, rows[i].key, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%llu", rows[i].key);
		/* '+': some allocations were not tracked, so this is a lower bound. */
		snprintf(out, sizeof(out), "%llu%s", stat_outstanding(s), s->untracked ? "+" : "");
		fprintf(f, "%-*s %10llu %14llu %14llu %6.2f%% %14s %10llu\n", w, buf, s->hits,
			s->bytes_req, s->bytes_alloc, stat_frag_pct(s->bytes_req, s->bytes_alloc),
			out, s->frees);
	}
}

static void print_page_text(FILE *f, const struct stat_report *r, const struct stat_row *rows,
			    size_t n)
{
	char buf[SYM_LEN];

	fprintf(f, "%5s %10s %10s %12s %8s  %s\n", "ORDER", "GFP", "HITS", "PAGES", "FAILS",
		"GFP_FLAGS");
	for (size_t i = 0; i < n; i++) {
		const struct stat_row *row = &rows[i];

		fprintf(f, "%5u %#10x %10llu %12llu %8llu  %s\n", row->order, row->gfp, row->p.hits,
			row->p.pages, row->p.fails, gfp_name(r, row->gfp, buf, sizeof(buf)));
	}
}

void stat_print_rows(FILE *f, const struct stat_report *r, const struct stat_row *rows, size_t n)
{
	if (r->limit && n > r->limit)
		n = r->limit;
	if (!r->json) {
		if (r->mode == STAT_PAGE)
			print_page_text(f, r, rows, n);
		else
			print_site_text(f, r, rows, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (r->mode == STAT_PAGE)
			print_page_json(f, r, &rows[i]);
		else
			print_site_json(f, r, &rows[i]);
	}
}

/* Totals of kmalloc/kfree, derived the same way for text and JSON. */
struct km_sums {
	__u64 wasted, outstanding, unmatched;
	double frag;
	bool exact;
};

static struct km_sums km_sums(const struct stat_report *r, const struct kmstat_totals *t)
{
	struct km_sums k;
	__u64 tracked = t->bytes_alloc -
			(t->untracked_bytes < t->bytes_alloc ? t->untracked_bytes : t->bytes_alloc);
	__u64 gone = t->bytes_freed + t->stale_bytes;

	k.wasted = t->bytes_alloc > t->bytes_req ? t->bytes_alloc - t->bytes_req : 0;
	k.outstanding = tracked > gone ? tracked - gone : 0;
	k.unmatched = t->frees > t->frees_matched ? t->frees - t->frees_matched : 0;
	k.frag = stat_frag_pct(t->bytes_req, t->bytes_alloc);
	k.exact = t->track_full == 0 && t->site_full == 0 && r->missed == 0;
	return k;
}

static void totals_km_json(FILE *f, const struct stat_report *r, const struct kmstat_totals *t)
{
	struct km_sums k = km_sums(r, t);

	fprintf(f, "{\"type\":\"totals\",\"mode\":\"%s\",\"scope\":", mode_name(r->mode));
	json_str(f, scope_of(r));
	fprintf(f,
		",\"seconds\":%.3f,\"allocs\":%llu"
		",\"alloc_fails\":%llu,\"bytes_req\":%llu,\"bytes_alloc\":%llu"
		",\"bytes_freed\":%llu,\"outstanding\":%llu,\"wasted\":%llu"
		",\"frag_pct\":%.2f,\"frees\":%llu,\"frees_matched\":%llu"
		",\"frees_unmatched\":%llu,\"cross_cpu\":%llu,\"untracked\":%llu"
		",\"row_overflow\":%llu,\"stale\":%llu,\"bulk_frees\":%llu"
		",\"missed_events\":%llu,\"exact\":%s}\n",
		r->seconds, t->allocs, t->alloc_fails, t->bytes_req, t->bytes_alloc,
		t->bytes_freed + t->stale_bytes, k.outstanding, k.wasted, k.frag, t->frees,
		t->frees_matched, k.unmatched, t->cross_cpu, t->track_full, t->site_full, t->stale,
		t->bulk_frees, r->missed, k.exact ? "true" : "false");
}

static void totals_km_text(FILE *f, const struct stat_report *r, const struct kmstat_totals *t)
{
	struct km_sums k = km_sums(r, t);

	const char *what = r->mode == STAT_CACHE ? "kmem_cache_alloc/free" : "kmalloc/kfree";

	if (strcmp(scope_of(r), "all"))
		fprintf(f, "\nSUMMARY (%s of %s, %.1f s)\n", what, scope_of(r), r->seconds);
	else
		fprintf(f, "\nSUMMARY (%s, %.1f s)\n", what, r->seconds);
	fprintf(f, "==============================\n");
	fprintf(f, "Total bytes requested:      %llu\n", t->bytes_req);
	fprintf(f, "Total bytes allocated:      %llu\n", t->bytes_alloc);
	fprintf(f, "Total bytes freed:          %llu\n", t->bytes_freed + t->stale_bytes);
	fprintf(f, "Net total bytes allocated:  %llu%s\n", k.outstanding,
		t->track_full ? " (lower bound)" : "");
	fprintf(f, "Total bytes wasted on internal fragmentation: %llu\n", k.wasted);
	fprintf(f, "Internal fragmentation:     %.2f%%\n", k.frag);
	fprintf(f, "Allocations:                %llu (%llu failed)\n", t->allocs, t->alloc_fails);
	fprintf(f,
		"Frees:                      %llu (%llu matched, %llu of earlier or untracked"
		" allocations)\n",
		t->frees, t->frees_matched, k.unmatched);
	fprintf(f, "Cross CPU frees:            %llu/%llu\n", t->cross_cpu, t->frees_matched);
	if (t->bulk_frees)
		fprintf(f, "Freed by kfree_bulk:        %llu (of the matched)\n", t->bulk_frees);
	if (t->stale)
		fprintf(f,
			"Reused without kfree:       %llu (freed by kfree_bulk or similar;"
			" counted as freed)\n",
			t->stale);
	if (t->track_full)
		fprintf(
		    f,
		    "Untracked allocations:      %llu"
		    " (pointer table full: their frees cannot be matched, outstanding is a lower"
		    " bound)\n",
		    t->track_full);
	if (t->site_full)
		fprintf(f, "Unattributed events:        %llu (row table full)\n", t->site_full);
	if (r->missed)
		fprintf(f, "Missed events:              %llu (BPF recursion)\n", r->missed);
}

static void totals_page(FILE *f, const struct stat_report *r, const struct kmstat_totals *t)
{
	if (r->json) {
		fprintf(f, "{\"type\":\"totals\",\"mode\":\"page\",\"scope\":");
		json_str(f, scope_of(r));
		fprintf(f,
			",\"seconds\":%.3f,\"allocs\":%llu"
			",\"alloc_fails\":%llu,\"pages_alloc\":%llu,\"frees\":%llu"
			",\"pages_freed\":%llu,\"row_overflow\":%llu"
			",\"missed_events\":%llu,\"exact\":%s}\n",
			r->seconds, t->page_allocs, t->page_alloc_fails, t->pages_alloc,
			t->page_frees, t->pages_freed, t->site_full, r->missed,
			t->site_full == 0 && r->missed == 0 ? "true" : "false");
		return;
	}
	if (strcmp(scope_of(r), "all"))
		fprintf(f, "\nSUMMARY (page allocator of %s, %.1f s)\n", scope_of(r), r->seconds);
	else
		fprintf(f, "\nSUMMARY (page allocator, %.1f s)\n", r->seconds);
	fprintf(f, "================================\n");
	fprintf(f, "Total allocation requests:  %llu (%llu failed)\n", t->page_allocs,
		t->page_alloc_fails);
	fprintf(f, "Total pages allocated:      %llu\n", t->pages_alloc);
	fprintf(f, "Total free requests:        %llu\n", t->page_frees);
	fprintf(f, "Total pages freed:          %llu\n", t->pages_freed);
	if (t->site_full)
		fprintf(f, "Unattributed events:        %llu (row table full)\n", t->site_full);
	if (r->missed)
		fprintf(f, "Missed events:              %llu (BPF recursion)\n", r->missed);
}

void stat_print_totals(FILE *f, const struct stat_report *r, const struct kmstat_totals *t)
{
	if (r->mode == STAT_PAGE)
		totals_page(f, r, t);
	else if (r->json)
		totals_km_json(f, r, t);
	else
		totals_km_text(f, r, t);
}

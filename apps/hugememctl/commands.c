/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands: each queries the primary and prints the data as a table
 * (columns of the well-known keys first, in their units, then any other
 * key the primary sends) or, with --json, as one pretty JSON document.
 * A command the primary answers with null is one it does not have.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/buddy.h>

#include "ctl.h"

void
ctl_print_json(const json_t *data)
{
	char *s = json_dumps(data, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s == NULL) {
		fprintf(stderr, "hugememctl: out of memory\n");
		return;
	}
	printf("%s\n", s);
	free(s);
}

int
ctl_unsupported(const struct ctl_conn *c, const char *cmd)
{
	fprintf(stderr, "hugememctl: %s is not supported by this primary (pid %ld, %s)\n", cmd,
		ctl_primary_pid(c), ctl_primary_version(c));
	return CTL_EXIT_ERROR;
}

/* The data of cmd, or NULL after saying why (a failed query, or null: no such command). */
static json_t *
query_supported(struct ctl_conn *c, const char *cmd)
{
	json_t *data = ctl_query(c, cmd, NULL);

	if (data != NULL && json_is_null(data)) {
		json_decref(data);
		ctl_unsupported(c, cmd);
		return NULL;
	}
	return data;
}

/* A command that is one query rendered through cols. */
static int
simple(struct ctl_conn *c, const struct ctl_opts *o, const char *cmd, const struct ctl_col *cols)
{
	json_t *data = query_supported(c, cmd);

	if (data == NULL)
		return CTL_EXIT_ERROR;
	if (o->json)
		ctl_print_json(data);
	else
		ctl_render_rows(stdout, data, cols, 0, 0);
	json_decref(data);
	return CTL_EXIT_OK;
}

static void
bytes_cell(uint64_t v, char *buf, size_t len)
{
	ctl_fmt_bytes(v, buf, len);
}

static int64_t
nonneg(const json_t *row, const char *key)
{
	int64_t v = ctl_int(row, key, 0);

	return v > 0 ? v : 0;
}

static void
percent_cell(int64_t part, int64_t whole, char *buf, size_t len)
{
	if (whole > 0)
		snprintf(buf, len, "%.0f%%", 100.0 * (double)part / (double)whole);
}

/* ----------------------------------------------------------------- memsegs */

static const char *const memsegs_summary_keys[] = {
    "total_bytes", "nb_memsegs", "nb_runs", "largest_run_bytes", "page_sizes", "runs", "next_run",
};

static const struct ctl_col memseg_run_cols[] = {
    {.key = "addr", .header = "addr"},
    {.key = "iova", .header = "iova", .fmt = CTL_HEX},
    {.key = "len", .header = "len", .fmt = CTL_BYTES},
    {.key = "hugepage_sz", .header = "page size", .fmt = CTL_BYTES},
    {.key = "socket", .header = "socket"},
    {.key = "nb_segs", .header = "memsegs"},
    {0},
};

/*
 * All of /hugemem/memsegs: the primary sends 64 runs a reply and names the
 * first run of the next one in next_run, null on the last.
 */
static json_t *
memsegs_whole(struct ctl_conn *c)
{
	json_t *all = query_supported(c, "/hugemem/memsegs"), *runs;
	json_int_t first = 0;

	if (all == NULL)
		return NULL;
	runs = json_object_get(all, "runs");
	while (json_is_array(runs) && json_is_integer(json_object_get(all, "next_run"))) {
		json_int_t next = json_integer_value(json_object_get(all, "next_run"));
		char param[32];
		json_t *page;

		if (next <= first) {
			fprintf(stderr,
				"hugememctl: /hugemem/memsegs: next_run %" JSON_INTEGER_FORMAT
				" does not advance past %" JSON_INTEGER_FORMAT "\n",
				next, first);
			json_decref(all);
			return NULL;
		}
		first = next;
		snprintf(param, sizeof(param), "%" JSON_INTEGER_FORMAT, next);
		page = ctl_query(c, "/hugemem/memsegs", param);
		if (page == NULL || !json_is_array(json_object_get(page, "runs"))) {
			if (page != NULL)
				fprintf(stderr,
					"hugememctl: /hugemem/memsegs,%s: the primary refused the "
					"page (its runs changed?)\n",
					param);
			json_decref(page);
			json_decref(all);
			return NULL;
		}
		json_array_extend(runs, json_object_get(page, "runs"));
		json_object_set(all, "next_run", json_object_get(page, "next_run"));
		json_decref(page);
	}
	return all;
}

static void
print_memory_line(FILE *f, const json_t *m)
{
	char total[32], largest[32], sizes[128] = "";
	const json_t *ps = json_object_get(m, "page_sizes"), *e;
	int64_t runs = ctl_int(m, "nb_runs", 0);
	size_t i, used = 0;

	ctl_fmt_bytes((uint64_t)nonneg(m, "total_bytes"), total, sizeof(total));
	ctl_fmt_bytes((uint64_t)nonneg(m, "largest_run_bytes"), largest, sizeof(largest));
	json_array_foreach(ps, i, e)
	{
		char one[32];

		ctl_fmt_bytes((uint64_t)(json_integer_value(e) > 0 ? json_integer_value(e) : 0),
			      one, sizeof(one));
		if (used < sizeof(sizes))
			used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "%s%s",
						 i ? ", " : "", one);
	}
	fprintf(f, "%s in %" PRId64 " memsegs of %s, %" PRId64 " contiguous run%s (largest %s)\n",
		total, ctl_int(m, "nb_memsegs", 0), used != 0 ? sizes : "-", runs,
		runs == 1 ? "" : "s", largest);
}

static int
cmd_memsegs(struct ctl_conn *c, const struct ctl_opts *o)
{
	json_t *m = memsegs_whole(c), *rest;

	if (m == NULL)
		return CTL_EXIT_ERROR;
	if (o->json) {
		ctl_print_json(m);
		json_decref(m);
		return CTL_EXIT_OK;
	}
	print_memory_line(stdout, m);
	rest = json_deep_copy(m);
	for (size_t i = 0; i < sizeof(memsegs_summary_keys) / sizeof(memsegs_summary_keys[0]); i++)
		json_object_del(rest, memsegs_summary_keys[i]);
	ctl_render_generic(stdout, rest, 0);
	json_decref(rest);
	printf("\n");
	ctl_render_rows(stdout, json_object_get(m, "runs"), memseg_run_cols, 0, 0);
	json_decref(m);
	return CTL_EXIT_OK;
}

/* --------------------------------------------------------------- buddyinfo */

/* Free memory of a buddyinfo row: blocks of 4 KiB << order. */
static uint64_t
free_bytes(const json_t *row)
{
	const json_t *blocks = json_object_get(row, "free_blocks"), *e;
	uint64_t sum = 0;
	size_t o;

	json_array_foreach(blocks, o, e)
	{
		if (json_integer_value(e) > 0 && o < 48)
			sum += (uint64_t)json_integer_value(e) * HM_BUDDY_PAGE_SIZE << o;
	}
	return sum;
}

static void
buddy_free_cell(const json_t *row, char *buf, size_t len)
{
	bytes_cell(free_bytes(row), buf, len);
}

/* The highest order with a free block, -1 if none. */
static int
largest_order(const json_t *row)
{
	const json_t *blocks = json_object_get(row, "free_blocks");

	for (size_t o = json_array_size(blocks); o-- > 0;)
		if (json_integer_value(json_array_get(blocks, o)) > 0)
			return (int)o;
	return -1;
}

static const struct ctl_col buddyinfo_cols[] = {
    {.key = "socket", .header = "socket"},
    {.key = "zone", .header = "zone"},
    {.key = "free_blocks", .header = "", .fmt = CTL_EXPAND},
    {.header = "free", .cell = buddy_free_cell},
    {0},
};

static int
cmd_buddyinfo(struct ctl_conn *c, const struct ctl_opts *o)
{
	if (!o->json)
		printf("free blocks of order N (4 KiB << N) per zone\n");
	return simple(c, o, "/hugemem/buddyinfo", buddyinfo_cols);
}

/* -------------------------------------------------------------------- frag */

/*
 * One row per order, one column per zone and index: the zones are few and
 * the orders many, so this reads down instead of across.
 */
static void
render_frag(FILE *f, const json_t *zones)
{
	struct table *t = table_new();
	size_t orders = 0, z;
	const json_t *zone;

	table_column(t, "order", true);
	table_column(t, "block", true);
	json_array_foreach(zones, z, zone)
	{
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)zone, key, v)
		{
			char h[160];

			if (!json_is_array(v))
				continue;
			snprintf(h, sizeof(h), "%" PRId64 "/%s %s", ctl_int(zone, "socket", -1),
				 json_string_value(json_object_get(zone, "zone"))
				     ? json_string_value(json_object_get(zone, "zone"))
				     : "?",
				 key);
			table_column(t, h, true);
			if (json_array_size(v) > orders)
				orders = json_array_size(v);
		}
	}
	for (size_t o = 0; o < orders && o < 48; o++) {
		char block[32];

		table_addf(t, "%zu", o);
		ctl_fmt_bytes((uint64_t)HM_BUDDY_PAGE_SIZE << o, block, sizeof(block));
		table_add(t, block);
		json_array_foreach(zones, z, zone)
		{
			const char *key;
			json_t *v;

			json_object_foreach((json_t *)zone, key, v)
			{
				const json_t *e = json_array_get(v, o);

				if (!json_is_array(v))
					continue;
				if (json_is_real(e))
					table_addf(t, "%.3f", json_real_value(e));
				else if (json_is_integer(e))
					table_addf(t, "%" JSON_INTEGER_FORMAT,
						   json_integer_value(e));
				else
					table_add(t, "-");
			}
		}
	}
	table_print(t, f, 0, 0);
	table_free(t);
}

static int
cmd_frag(struct ctl_conn *c, const struct ctl_opts *o)
{
	json_t *data = query_supported(c, "/hugemem/frag");

	if (data == NULL)
		return CTL_EXIT_ERROR;
	if (o->json) {
		ctl_print_json(data);
	} else if (!json_is_array(data)) {
		ctl_render_generic(stdout, data, 0);
	} else {
		printf("extfrag: -1 while a block of the order is free, else towards 1 a failure "
		       "is fragmentation,\n         towards 0 lack of memory\n"
		       "unusable: the share of free memory in blocks too small for the order\n\n");
		render_frag(stdout, data);
	}
	json_decref(data);
	return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------- zones */

static void
zone_free_percent_cell(const json_t *row, char *buf, size_t len)
{
	percent_cell(nonneg(row, "free_pages") + nonneg(row, "pcp_pages"),
		     nonneg(row, "managed_pages"), buf, len);
}

static const struct ctl_col zone_cols[] = {
    {.key = "socket", .header = "socket"},
    {.key = "zone", .header = "zone"},
    {.key = "managed_pages", .header = "managed", .fmt = CTL_PAGES},
    {.key = "free_pages", .header = "free", .fmt = CTL_PAGES},
    {.header = "free%", .cell = zone_free_percent_cell},
    {.key = "pcp_pages", .header = "pcp", .fmt = CTL_PAGES},
    {.key = "watermarks.min", .header = "min", .fmt = CTL_PAGES},
    {.key = "watermarks.low", .header = "low", .fmt = CTL_PAGES},
    {.key = "watermarks.high", .header = "high", .fmt = CTL_PAGES},
    {.key = "lowmem_reserve", .header = "reserve", .fmt = CTL_PAGES},
    {.key = "low_crossings", .header = "low_crossings"},
    {.key = "allocs", .header = "allocs", .fmt = CTL_SUM},
    {.key = "frees", .header = "frees", .fmt = CTL_SUM},
    {.key = "failures", .header = "failures", .fmt = CTL_SUM},
    {0},
};

static int
cmd_zones(struct ctl_conn *c, const struct ctl_opts *o)
{
	if (!o->json)
		printf("free: in the free lists; pcp: in the per-lcore caches; allocs, frees, "
		       "failures: all orders\n");
	return simple(c, o, "/hugemem/zones", zone_cols);
}

/* ---------------------------------------------------------------- slabinfo */

static void
slab_size_cell(const json_t *row, char *buf, size_t len)
{
	bytes_cell((uint64_t)nonneg(row, "num_slabs") * (uint64_t)nonneg(row, "pagesperslab") *
		       HM_BUDDY_PAGE_SIZE,
		   buf, len);
}

const struct ctl_col ctl_slabinfo_cols[] = {
    {.key = "name", .header = "name"},
    {.key = "active_objs", .header = "active_objs"},
    {.key = "num_objs", .header = "num_objs"},
    {.key = "objsize", .header = "objsize", .fmt = CTL_BYTES},
    {.key = "objperslab", .header = "objperslab"},
    {.key = "pagesperslab", .header = "pagesperslab"},
    {.key = "limit", .header = "limit"},
    {.key = "batchcount", .header = "batchcount"},
    {.key = "active_slabs", .header = "active_slabs"},
    {.key = "num_slabs", .header = "num_slabs"},
    {.key = "sharedavail", .header = "sharedavail"},
    {.header = "size", .cell = slab_size_cell},
    {0},
};

static int
cmd_slabinfo(struct ctl_conn *c, const struct ctl_opts *o)
{
	return simple(c, o, "/hugemem/slabinfo", ctl_slabinfo_cols);
}

/* ---------------------------------------------------------------- mempools */

static void
pool_memory_cell(const json_t *row, char *buf, size_t len)
{
	bytes_cell((uint64_t)nonneg(row, "size") * (uint64_t)nonneg(row, "total_obj_size"), buf,
		   len);
}

const struct ctl_col ctl_mempool_cols[] = {
    {.key = "name", .header = "name"},
    {.key = "socket_id", .header = "socket"},
    {.key = "size", .header = "size"},
    {.key = "avail_count", .header = "avail"},
    {.key = "in_use_count", .header = "in_use"},
    {.key = "cache_size", .header = "cache"},
    {.key = "elt_size", .header = "elt_size", .fmt = CTL_BYTES},
    {.key = "total_obj_size", .header = "obj_size", .fmt = CTL_BYTES},
    {.header = "memory", .cell = pool_memory_cell},
    {.key = "min_nr", .header = "min_nr"},
    {.key = "reserve_count", .header = "reserve"},
    {.key = "stats.gets", .header = "gets"},
    {.key = "stats.puts", .header = "puts"},
    {.key = "stats.get_fails", .header = "get_fails"},
    {.key = "stats.cache_hits", .header = "cache_hits"},
    {.key = "stats.put_refused", .header = "put_refused"},
    {.key = "stats.reserve_gets", .header = "reserve_gets"},
    {.key = "flags", .header = "flags", .fmt = CTL_HEX},
    {.key = "ops_name", .header = "ops", .optional = true},
    {.key = "pktbuf_priv_size", .header = "priv_size", .fmt = CTL_BYTES, .optional = true},
    {.key = "pktbuf_data_room", .header = "data_room", .fmt = CTL_BYTES, .optional = true},
    {0},
};

static int
cmd_mempools(struct ctl_conn *c, const struct ctl_opts *o)
{
	return simple(c, o, "/hugemem/mempools", ctl_mempool_cols);
}

/* ------------------------------------------------------------------- rings */

static void
ring_used_cell(const json_t *row, char *buf, size_t len)
{
	percent_cell(nonneg(row, "count"), nonneg(row, "capacity"), buf, len);
}

static const struct ctl_col ring_cols[] = {
    {.key = "name", .header = "name"},
    {.key = "producer", .header = "producer"},
    {.key = "consumer", .header = "consumer"},
    {.key = "size", .header = "size"},
    {.key = "capacity", .header = "capacity"},
    {.key = "esize", .header = "esize", .fmt = CTL_BYTES},
    {.key = "count", .header = "count"},
    {.key = "free", .header = "free"},
    {.header = "used", .cell = ring_used_cell},
    {0},
};

static int
cmd_rings(struct ctl_conn *c, const struct ctl_opts *o)
{
	return simple(c, o, "/hugemem/rings", ring_cols);
}

/* ------------------------------------------------------------------- procs */

static const struct ctl_col proc_cols[] = {
    {.key = "slot", .header = "slot"},
    {.key = "pid", .header = "pid"},
    {.key = "type", .header = "type"},
    {.key = "state", .header = "state"},
    {.key = "lcores", .header = "lcores"},
    {.key = "attach_time_ns", .header = "attached", .fmt = CTL_TIME},
    {.key = "dma_pages", .header = "dma", .fmt = CTL_PAGES},
    {.key = "dma_blocks", .header = "dma_blocks"},
    {.key = "memzones", .header = "memzones"},
    {.key = "mempool_objs", .header = "mempool_objs"},
    {.key = "slab_objs", .header = "slab_objs"},
    {0},
};

static int
cmd_procs(struct ctl_conn *c, const struct ctl_opts *o)
{
	return simple(c, o, "/hugemem/procs", proc_cols);
}

/* ------------------------------------------------------------------ status */

static const char *const status_cmds[] = {
    "/info",
    "/eal/params",
    "/hugemem/memsegs",
    "/hugemem/zones",
    "/hugemem/buddyinfo",
    "/hugemem/procs",
    "/hugemem/service",
};

enum { ST_INFO, ST_PARAMS, ST_MEMSEGS, ST_ZONES, ST_BUDDY, ST_PROCS, ST_SERVICE, ST_NB };

static const json_t *
buddy_row_of(const json_t *buddy, const json_t *zone)
{
	const json_t *row;
	size_t i;

	json_array_foreach(buddy, i, row)
	{
		if (ctl_int(row, "socket", -1) == ctl_int(zone, "socket", -2) &&
		    json_equal(json_object_get(row, "zone"), json_object_get(zone, "zone")))
			return row;
	}
	return NULL;
}

/* Print the line of free memory; return the table of the zones to print after the lines. */
static struct table *
status_zones(const json_t *zones, const json_t *buddy)
{
	struct table *t = table_new();
	uint64_t managed = 0, free_total = 0, largest = 0;
	const json_t *zone;
	char a[32], b[32];
	size_t i;
	int order = -1;

	table_column(t, "zone", false);
	table_column(t, "managed", true);
	table_column(t, "free", true);
	table_column(t, "free%", true);
	table_column(t, "low watermark", true);
	table_column(t, "largest free block", true);
	json_array_foreach(zones, i, zone)
	{
		const json_t *row = buddy_row_of(buddy, zone);
		uint64_t m = (uint64_t)nonneg(zone, "managed_pages") * HM_BUDDY_PAGE_SIZE;
		uint64_t fr = (uint64_t)(nonneg(zone, "free_pages") + nonneg(zone, "pcp_pages")) *
			      HM_BUDDY_PAGE_SIZE;
		int lo = row != NULL ? largest_order(row) : -1;
		char pct[16] = "-";

		managed += m;
		free_total += fr;
		if (lo > order) {
			order = lo;
			largest = (uint64_t)HM_BUDDY_PAGE_SIZE << lo;
		}
		table_addf(t, "%" PRId64 "/%s", ctl_int(zone, "socket", -1),
			   json_string_value(json_object_get(zone, "zone"))
			       ? json_string_value(json_object_get(zone, "zone"))
			       : "?");
		ctl_fmt_bytes(m, a, sizeof(a));
		table_add(t, a);
		ctl_fmt_bytes(fr, a, sizeof(a));
		table_add(t, a);
		percent_cell((int64_t)fr, (int64_t)m, pct, sizeof(pct));
		table_add(t, pct);
		ctl_fmt_bytes((uint64_t)nonneg(zone, "watermarks.low") * HM_BUDDY_PAGE_SIZE, a,
			      sizeof(a));
		table_add(t, a);
		if (lo >= 0) {
			ctl_fmt_bytes((uint64_t)HM_BUDDY_PAGE_SIZE << lo, a, sizeof(a));
			table_addf(t, "%s (order %d)", a, lo);
		} else {
			table_add(t, "-");
		}
	}
	ctl_fmt_bytes(free_total, a, sizeof(a));
	ctl_fmt_bytes(managed, b, sizeof(b));
	printf("%-10s %s of %s", "free", a, b);
	if (managed != 0)
		printf(" (%.0f%%)", 100.0 * (double)free_total / (double)managed);
	if (order >= 0) {
		ctl_fmt_bytes(largest, a, sizeof(a));
		printf(", largest free block %s (order %d)", a, order);
	}
	printf("\n");
	return t;
}

/* One line of the service: running since when, or not running; then its counters. */
static void
status_service(const json_t *svc)
{
	const json_t *running = json_object_get(svc, "running");
	const char *key, *sep = "";
	char buf[64];
	json_t *v;

	printf("%-10s ", "service");
	if (json_is_boolean(running)) {
		printf("%s", json_is_true(running) ? "running" : "not running");
		sep = ", ";
	}
	json_object_foreach((json_t *)svc, key, v)
	{
		enum ctl_fmt fmt = ctl_fmt_of_key(key);

		if (!json_is_integer(v) || strcmp(key, "pid") == 0 ||
		    (fmt == CTL_TIME && json_is_false(running)))
			continue;
		ctl_fmt_value(v, fmt, buf, sizeof(buf));
		if (fmt == CTL_TIME && json_is_true(running))
			printf(" since %s", buf);
		else if (fmt == CTL_TIME)
			printf("%sstarted %s", sep, buf);
		else
			printf("%s%s %s", sep, key, buf);
		sep = ", ";
	}
	printf("\n");
}

static void
status_print(const struct ctl_conn *c, json_t *const *d)
{
	struct table *zones = NULL;
	const json_t *e;
	size_t i;

	printf("%-10s pid %" PRId64 ", %s\n", "primary", ctl_int(d[ST_INFO], "pid", -1),
	       json_string_value(json_object_get(d[ST_INFO], "version"))
		   ? json_string_value(json_object_get(d[ST_INFO], "version"))
		   : "unknown version");
	printf("%-10s %s (%s)\n", "prefix", c->prefix, c->path);
	if (json_is_array(d[ST_PARAMS])) {
		printf("%-10s", "command");
		json_array_foreach(d[ST_PARAMS], i, e)
		{
			printf(" %s", json_string_value(e) ? json_string_value(e) : "?");
		}
		printf("\n");
	}
	if (json_is_object(d[ST_MEMSEGS])) {
		printf("%-10s ", "memory");
		print_memory_line(stdout, d[ST_MEMSEGS]);
	}
	if (json_is_array(d[ST_ZONES]))
		zones = status_zones(d[ST_ZONES], d[ST_BUDDY]);
	if (json_is_array(d[ST_PROCS]))
		printf("%-10s %zu attached\n", "processes", json_array_size(d[ST_PROCS]));
	if (json_is_object(d[ST_SERVICE]))
		status_service(d[ST_SERVICE]);
	if (zones != NULL) {
		printf("\n");
		table_print(zones, stdout, 0, 0);
		table_free(zones);
	}
}

static int
cmd_status(struct ctl_conn *c, const struct ctl_opts *o)
{
	json_t *d[ST_NB] = {NULL}, *doc;
	int ret = CTL_EXIT_OK;

	for (int i = 0; i < ST_NB; i++) {
		d[i] = ctl_query(c, status_cmds[i], NULL);
		if (d[i] == NULL) {
			ret = CTL_EXIT_ERROR;
			goto out;
		}
	}
	if (json_is_null(d[ST_INFO])) {
		ret = ctl_unsupported(c, "/info");
		goto out;
	}
	if (o->json) {
		doc = json_object();
		for (int i = 0; i < ST_NB; i++)
			json_object_set(doc, status_cmds[i], d[i]);
		ctl_print_json(doc);
		json_decref(doc);
	} else {
		status_print(c, d);
	}
out:
	for (int i = 0; i < ST_NB; i++)
		json_decref(d[i]);
	return ret;
}

/* ---------------------------------------------------------------- the list */

const struct ctl_command ctl_commands[] = {
    {"status", cmd_status, "the primary, its command line, memory and free memory per zone"},
    {"memsegs", cmd_memsegs, "totals and the runs contiguous in VA and IOVA"},
    {"buddyinfo", cmd_buddyinfo, "free blocks per order of every zone"},
    {"frag", cmd_frag, "extfrag and unusable free space indexes per order"},
    {"zones", cmd_zones, "pages, watermarks, reserve and counters of every zone"},
    {"slabinfo", cmd_slabinfo, "every slab cache, as /proc/slabinfo"},
    {"mempools", cmd_mempools, "every mempool: sizes, counts, statistics"},
    {"rings", cmd_rings, "every named ring: modes, capacity, fill"},
    {"procs", cmd_procs, "the attached processes: pid, type, lcores, what they hold"},
    {"top", ctl_top, "refreshing view of the busiest caches and pools, zones, service load"},
    {NULL, NULL, NULL},
};

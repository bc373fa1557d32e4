/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands of the slab caches: /hugemem/slabinfo (the columns of
 * /proc/slabinfo for every cache), /hugemem/slab,<name> (one cache's whole
 * statistics) and /hugemem/kmalloc (the size classes).
 */

#include <string.h>

#include <hugemem/slab.h>

#include "telemetry_pvt.h"

static int
slabinfo_entry(struct hm_slab_cache *cache, void *arg)
{
	struct hm_slab_stats st;

	if (hm_slab_cache_stats(cache, &st) == 0)
		json_array_append_new(
		    arg, json_pack(
			     "{s:s, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o}", "name",
			     st.name, "active_objs", hm_json_u64(st.active_objs), "num_objs",
			     hm_json_u64(st.num_objs), "objsize", (int)st.buffer_size, "objperslab",
			     (int)st.objperslab, "pagesperslab", (int)st.pagesperslab, "limit",
			     (int)st.limit, "batchcount", (int)st.batchcount, "active_slabs",
			     hm_json_u64(st.active_slabs), "num_slabs", hm_json_u64(st.num_slabs),
			     "sharedavail", hm_json_u64(st.sharedavail)));
	return 0;
}

static json_t *
cmd_slabinfo(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	if (out != NULL)
		hm_slab_cache_walk(slabinfo_entry, out);
	return out;
}

static json_t *
slab_detail(const struct hm_slab_cache *cache)
{
	struct hm_slab_stats st;
	json_t *o;

	if (hm_slab_cache_stats(cache, &st) != 0)
		return NULL;
	o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "name", st.name,
		      "objsize", (int)st.objsize, "buffer_size", (int)st.buffer_size, "align",
		      (int)st.align, "flags", (int)st.flags, "objperslab", (int)st.objperslab,
		      "pagesperslab", (int)st.pagesperslab, "limit", (int)st.limit, "batchcount",
		      (int)st.batchcount, "sharedfactor", (int)st.sharedfactor);
	if (o == NULL)
		return NULL;
#define U64(f) json_object_set_new(o, #f, hm_json_u64(st.f))
	U64(active_objs);
	U64(num_objs);
	U64(active_slabs);
	U64(num_slabs);
	U64(sharedavail);
	U64(cached);
	U64(live);
	U64(allocs);
	U64(frees);
	U64(alloc_failures);
	U64(grown);
	U64(reaped);
	U64(remote_frees);
	U64(errors);
#undef U64
	return o;
}

/* Under the cache table lock, so the cache cannot be destroyed while it is read. */
static int
slab_by_name(struct hm_slab_cache *cache, void *arg)
{
	struct hm_telemetry_by_name *b = arg;

	if (strcmp(hm_slab_cache_name(cache), b->name) != 0)
		return 0;
	b->out = slab_detail(cache);
	return 1;
}

static json_t *
cmd_slab(const char *cmd, const char *params)
{
	struct hm_telemetry_by_name b = {.name = params};

	(void)cmd;
	if (params == NULL || strlen(params) >= HM_SLAB_NAMESIZE)
		return NULL;
	hm_slab_cache_walk(slab_by_name, &b);
	return b.out;
}

static json_t *
cmd_kmalloc(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	for (unsigned int i = 0; out != NULL && i < HM_KMALLOC_NR_CACHES; i++) {
		const struct hm_slab_cache *cache = hm_kmalloc_cache(i);
		struct hm_slab_stats st;

		if (cache == NULL || hm_slab_cache_stats(cache, &st) != 0)
			continue;
		json_array_append_new(
		    out, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o}", "name", st.name, "size",
				   (int)st.objsize, "live", hm_json_u64(st.live), "allocs",
				   hm_json_u64(st.allocs), "frees", hm_json_u64(st.frees),
				   "alloc_failures", hm_json_u64(st.alloc_failures)));
	}
	return out;
}

void
hm_slab_telemetry(void)
{
	hm_telemetry_register_list("/hugemem/slabinfo", cmd_slabinfo,
				   "Returns the /proc/slabinfo columns of every slab cache, 32 a "
				   "reply. Parameter: the first (default 0); an empty list past "
				   "the last",
				   32);
	hm_telemetry_register(
	    "/hugemem/slab", cmd_slab,
	    "Returns a slab cache's geometry and statistics. Parameter: its name");
	hm_telemetry_register(
	    "/hugemem/kmalloc", cmd_kmalloc,
	    "Returns every kmalloc size class: live objects, allocations, frees and "
	    "failures. Takes no parameters");
}

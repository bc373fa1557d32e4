/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands of the mempools: DPDK's /mempool/list and
 * /mempool/info, and /hugemem/mempools with every pool's counts and
 * statistics.
 */

#include <string.h>

#include <hugemem/mempool.h>

#include "telemetry_pvt.h"

static int
pool_name(struct hm_mempool *mp, void *arg)
{
	json_array_append_new(arg, json_string(mp->name));
	return 0;
}

static json_t *
cmd_list(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	if (out != NULL)
		hm_mempool_walk(pool_name, out);
	return out;
}

/* A pool's description; DPDK's /mempool/info names where they match. */
static json_t *
pool_info(const struct hm_mempool *mp)
{
	struct hm_mempool_stats st;
	json_t *o;

	if (hm_mempool_stats_get(mp, HM_MAX_LCORE, &st) != 0)
		memset(&st, 0, sizeof(st));
	o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "name", mp->name,
		      "flags", (int)mp->flags, "socket_id", (int)mp->socket, "size", (int)mp->size,
		      "cache_size", (int)mp->cache_size, "elt_size", (int)mp->elt_size,
		      "total_obj_size", (int)mp->stride, "avail_count",
		      (int)hm_mempool_avail_count(mp), "in_use_count",
		      (int)hm_mempool_in_use_count(mp), "reserve_count",
		      (int)hm_mempool_reserve_count(mp), "ops_name", "hugemem");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "min_nr", json_integer(mp->min_nr));
	json_object_set_new(
	    o, "stats",
	    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "gets", hm_json_u64(st.gets), "puts",
		      hm_json_u64(st.puts), "get_fails", hm_json_u64(st.get_fails), "cache_hits",
		      hm_json_u64(st.cache_hits), "put_refused", hm_json_u64(st.put_refused),
		      "reserve_gets", hm_json_u64(st.reserve_gets)));
	if (mp->pktbuf_data_room != 0) {
		json_object_set_new(o, "pktbuf_priv_size", json_integer(mp->pktbuf_priv_size));
		json_object_set_new(o, "pktbuf_data_room", json_integer(mp->pktbuf_data_room));
	}
	return o;
}

/* Under the table lock, so the pool cannot be freed while it is read. */
static int
pool_by_name(struct hm_mempool *mp, void *arg)
{
	struct hm_telemetry_by_name *b = arg;

	if (strcmp(mp->name, b->name) != 0)
		return 0;
	b->out = pool_info(mp);
	return 1;
}

static json_t *
cmd_info(const char *cmd, const char *params)
{
	struct hm_telemetry_by_name b = {.name = params};

	(void)cmd;
	if (params == NULL || strlen(params) >= HM_MEMPOOL_NAMESIZE)
		return NULL;
	hm_mempool_walk(pool_by_name, &b);
	return b.out;
}

static int
pool_entry(struct hm_mempool *mp, void *arg)
{
	json_t *o = pool_info(mp);

	if (o != NULL)
		json_array_append_new(arg, o);
	return 0;
}

static json_t *
cmd_pools(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	if (out != NULL)
		hm_mempool_walk(pool_entry, out);
	return out;
}

void
hm_mempool_telemetry(void)
{
	hm_telemetry_register_list("/mempool/list", cmd_list,
				   "Returns the mempool names, 256 a reply. Parameter: the first "
				   "(default 0); an empty list past the last",
				   256);
	hm_telemetry_register(
	    "/mempool/info", cmd_info,
	    "Returns a mempool's sizes, counts and statistics. Parameter: its name");
	hm_telemetry_register_list("/hugemem/mempools", cmd_pools,
				   "Returns every mempool's sizes, counts and statistics, 16 a "
				   "reply. Parameter: the first (default 0); an empty list past "
				   "the last",
				   16);
}

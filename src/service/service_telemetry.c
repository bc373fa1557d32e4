/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands of the service: /hugemem/procs (the process table and
 * what each process holds), /hugemem/reclaims (the last reclaims, newest
 * first) and /hugemem/service (the service's counters).
 */

#include <hugemem/service.h>

#include "service_pvt.h"
#include "telemetry_pvt.h"

static json_t *
lcore_list(const uint8_t *bitmap)
{
	json_t *a = json_array();

	for (unsigned int l = 0; a != NULL && l < HM_MAX_LCORE; l++)
		if (bitmap[l / 8] & (1u << (l % 8)))
			json_array_append_new(a, json_integer(l));
	return a;
}

static int
proc_one(const struct hm_proc_info *p, void *arg)
{
	json_t *o = json_pack(
	    "{s:i, s:i, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:o, s:o}", "slot", (int)p->slot, "pid",
	    (int)p->pid, "type", p->type == HM_PROC_PRIMARY ? "primary" : "secondary", "state",
	    p->state, "attach_time_ns", hm_json_u64(p->attach_ns), "lcores", lcore_list(p->lcores),
	    "dma_pages", hm_json_u64(p->dma_pages), "dma_blocks", (int)p->dma_blocks, "memzones",
	    (int)p->memzones, "mempool_objs", hm_json_u64(p->mempool_objs), "slab_objs",
	    hm_json_u64(p->slab_objs));

	if (o == NULL)
		return -1;
	json_array_append_new(arg, o);
	return 0;
}

static json_t *
cmd_procs(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	if (params != NULL || out == NULL || hm_proc_walk(proc_one, out) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
reclaim_one(const struct hm_reclaim_info *r, void *arg)
{
	json_t *o = json_pack(
	    "{s:o, s:i, s:i, s:s, s:o, s:o, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "seq", hm_json_u64(r->seq), "pid", (int)r->pid, "slot", (int)r->slot, "cause", r->cause,
	    "time_ns", hm_json_u64(r->time_ns), "duration_ns", hm_json_u64(r->duration_ns),
	    "lcores", (int)r->nb_lcores, "dma_blocks", (int)r->dma_blocks, "memzones",
	    (int)r->memzones, "dma_pages", hm_json_u64(r->dma_pages), "mempool_objs",
	    hm_json_u64(r->mempool_objs), "slab_objs", hm_json_u64(r->slab_objs), "mempool_cached",
	    hm_json_u64(r->mempool_cached), "slab_cached", hm_json_u64(r->slab_cached), "pcp_pages",
	    hm_json_u64(r->pcp_pages), "mempool_waiters", hm_json_u64(r->mempool_waiters));

	if (o == NULL)
		return -1;
	json_array_append_new(arg, o);
	return 0;
}

static json_t *
cmd_reclaims(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	if (params != NULL || out == NULL || hm_reclaim_walk(reclaim_one, out) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
cmd_service(const char *cmd, const char *params)
{
	struct hm_service_stats st;

	json_t *out, *ops;

	(void)cmd;
	if (params != NULL || hm_service_stats_get(&st) != 0)
		return NULL;
	out = json_pack("{s:b, s:i, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "running",
			st.running, "pid", (int)st.pid, "start_time_ns", hm_json_u64(st.start_ns),
			"mode", st.idle_mode ? "idle" : "busy", "loops", hm_json_u64(st.loops),
			"sleeps", hm_json_u64(st.sleeps), "wakeups", hm_json_u64(st.wakeups),
			"attaches", hm_json_u64(st.attaches), "deaths", hm_json_u64(st.deaths),
			"detaches", hm_json_u64(st.detaches), "reclaims", hm_json_u64(st.reclaims),
			"reclaim_ns", hm_json_u64(st.reclaim_ns));
	ops = json_object();
	if (out == NULL || ops == NULL) {
		json_decref(out);
		json_decref(ops);
		return NULL;
	}
	for (unsigned int i = 1; i < 8; i++)
		if (strcmp(hm_service_op_name(i), "unknown") != 0)
			json_object_set_new(ops, hm_service_op_name(i), hm_json_u64(st.ops[i]));
	json_object_set_new(out, "errors", hm_json_u64(st.errors));
	json_object_set_new(out, "requests", hm_json_u64(st.requests));
	json_object_set_new(out, "failed", hm_json_u64(st.failed));
	json_object_set_new(out, "malformed", hm_json_u64(st.malformed));
	json_object_set_new(out, "dropped", hm_json_u64(st.dropped));
	json_object_set_new(out, "latency_mean_ns", hm_json_u64(st.lat_mean_ns));
	json_object_set_new(out, "latency_p50_ns", hm_json_u64(st.lat_p50_ns));
	json_object_set_new(out, "latency_p99_ns", hm_json_u64(st.lat_p99_ns));
	json_object_set_new(out, "latency_max_ns", hm_json_u64(st.lat_max_ns));
	json_object_set_new(out, "ops", ops);
	return out;
}

void
hm_service_telemetry(void)
{
	hm_telemetry_register_list("/hugemem/procs", cmd_procs,
				   "The process table: pid, type, state, lcores and what each "
				   "holds, 16 a reply. Parameter: the first (default 0); an empty "
				   "list past the last",
				   16);
	hm_telemetry_register("/hugemem/reclaims", cmd_reclaims,
			      "What the service took back from dead or detached processes, "
			      "newest first. No parameters.");
	hm_telemetry_register("/hugemem/service", cmd_service,
			      "The service's counters: mode, loop passes and sleeps, requests "
			      "served, failed and malformed, per operation, their latency "
			      "(mean, p50, p99, max, ns, from the client's send to the answer), "
			      "attaches, deaths, detaches, reclaims and their time, errors. "
			      "No parameters.");
}

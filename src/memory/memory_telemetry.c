/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry command of the memory: /hugemem/memsegs, the totals and the
 * contiguous runs, 64 runs a reply ("/hugemem/memsegs,64" for the next).
 */

#include <errno.h>
#include <stdlib.h>

#include <hugemem/memory.h>

#include "telemetry_pvt.h"

#define RUNS_PER_REPLY 64

struct runs_page {
	json_t *runs;
	unsigned long first, index;
};

static int
run_entry(const struct hm_memseg_run *run, void *arg)
{
	struct runs_page *p = arg;
	char addr[32];

	if (p->index++ < p->first)
		return 0;
	if (json_array_size(p->runs) == RUNS_PER_REPLY)
		return 1;
	snprintf(addr, sizeof(addr), "%p", run->addr);
	json_array_append_new(p->runs,
			      json_pack("{s:s, s:o, s:o, s:o, s:i, s:i}", "addr", addr, "iova",
					hm_json_u64(run->iova), "len", hm_json_u64(run->len),
					"hugepage_sz", hm_json_u64(run->hugepage_sz), "socket",
					run->socket_id, "nb_segs", (int)run->nb_segs));
	return 0;
}

static json_t *
cmd_memsegs(const char *cmd, const char *params)
{
	struct runs_page p = {.runs = json_array()};
	struct hm_memory_info info;
	json_t *sizes, *out;
	char *end;

	(void)cmd;
	if (params != NULL) {
		errno = 0;
		p.first = strtoul(params, &end, 10);
		if (*params < '0' || *params > '9' || *end != '\0' || errno != 0)
			p.first = ~0ul;
	}
	if (p.runs == NULL || hm_memory_info_get(&info) != 0 ||
	    (p.first != 0 && p.first >= info.nb_runs)) {
		json_decref(p.runs);
		return NULL;
	}
	hm_memseg_run_walk(run_entry, &p);
	sizes = json_array();
	for (uint32_t i = 0; sizes != NULL && i < info.nb_page_sizes; i++)
		json_array_append_new(sizes, hm_json_u64(info.page_sz[i]));
	out = json_pack("{s:o, s:i, s:i, s:o, s:o, s:o}", "total_bytes",
			hm_json_u64(info.total_bytes), "nb_memsegs", (int)info.nb_memsegs,
			"nb_runs", (int)info.nb_runs, "largest_run_bytes",
			hm_json_u64(info.largest_run_bytes), "page_sizes", sizes, "runs", p.runs);
	if (out != NULL)
		json_object_set_new(out, "next_run",
				    p.first + json_array_size(p.runs) < info.nb_runs
					? json_integer((json_int_t)(p.first + RUNS_PER_REPLY))
					: json_null());
	return out;
}

void
hm_memory_telemetry(void)
{
	hm_telemetry_register("/hugemem/memsegs", cmd_memsegs,
			      "Returns the memory's totals and its runs contiguous in VA and IOVA, "
			      "64 a reply. Parameter: the first run (default 0)");
}

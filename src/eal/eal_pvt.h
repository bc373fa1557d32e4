/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_EAL_PVT_H
#define HM_EAL_PVT_H

/*
 * EAL internals shared by the files of src/eal and read (never written) by the
 * subsystems above it. Not installed.
 *
 * struct hm_eal_config is what the command line asked for, filled by
 * hm_eal_parse_args() without side effects, so it can be parsed, checked and
 * thrown away (the option tests do just that). The per-process context that
 * hm_eal_init() builds from it lives in eal.c.
 */

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include <hugemem/eal.h>

#include "hm_common.h"
#include "hm_runtime_path.h"

#define HM_FILE_PREFIX_MAX 48
#define HM_DEFAULT_PREFIX  "hugemem"
/* Start of the shared VA range: config first, memory 1 GiB above it. */
#ifndef HM_DEFAULT_BASE_VIRTADDR		   /* meson option base_virtaddr */
#define HM_DEFAULT_BASE_VIRTADDR 0x200000000000ULL /* above ASan's shadow */
#endif
#define HM_LOG_PATTERNS_MAX 16

enum hm_huge_unlink {
	HM_HUGE_UNLINK_EXISTING =
	    0,		       /* remove stale files of this prefix before mapping (default) */
	HM_HUGE_UNLINK_ALWAYS, /* unlink the files right after mapping: no secondaries */
	HM_HUGE_UNLINK_NEVER,  /* keep files and reuse what is there */
};

struct hm_lcore_cfg {
	bool enabled;
	cpu_set_t cpuset;
};

struct hm_log_pattern {
	char pattern[64];
	int level;
	bool regex; /* "<regex>,<level>" instead of "<glob>:<level>" */
};

struct hm_eal_config {
	char lcore_opt; /* 'l', 'c', 'L' (--lcores) or 0 for the default */
	struct hm_lcore_cfg lcores[HM_MAX_LCORE];
	unsigned int lcore_count;
	unsigned int main_lcore;
	unsigned int nchannel; /* -n, 0 if not given */
	uint64_t memory;       /* -m, bytes */
	bool mem_parsed;
	uint64_t socket_mem[HM_MAX_NUMA_NODES]; /* --socket-mem, bytes */
	bool force_sockets;
	uint64_t socket_limit[HM_MAX_NUMA_NODES]; /* --socket-limit, bytes, 0 = none */
	bool force_socket_limits;
	char huge_dir[PATH_MAX]; /* empty: every mounted hugetlbfs */
	char file_prefix[HM_FILE_PREFIX_MAX];
	enum hm_proc_type proc_type;
	enum hm_iova_mode iova_mode;
	bool no_huge;
	bool in_memory;
	bool telemetry;
	int64_t telemetry_gid; /* --telemetry-group, -1: none (socket 0600, dir 0700) */
	uint64_t base_virtaddr;
	bool base_virtaddr_given;
	enum hm_huge_unlink huge_unlink;
	bool huge_unlink_given;
	int log_level; /* 0: not given */
	struct hm_log_pattern log_patterns[HM_LOG_PATTERNS_MAX];
	unsigned int nb_log_patterns;
	uint32_t slab_debug; /* --slab-debug: HM_SLAB_* debug flags for every cache */
	bool service_idle;   /* --service-mode=idle: the loop sleeps when there is no work */
};

/* eal_lcore.c: fill libnuma's lazy caches before there are threads. */
void hm_numa_warm(void);

/* eal_options.c */
void hm_eal_config_defaults(struct hm_eal_config *cfg);
int hm_eal_parse_args(int argc, char **argv, struct hm_eal_config *cfg);
int hm_eal_check_options(const struct hm_eal_config *cfg);
void hm_eal_usage(const char *prog);
int hm_eal_parse_corelist(const char *arg, struct hm_eal_config *cfg);
int hm_eal_parse_coremask(const char *arg, struct hm_eal_config *cfg);
int hm_eal_parse_lcores(const char *arg, struct hm_eal_config *cfg);

/* eal_log.c */
int hm_log_parse_level_name(const char *s);
int hm_log_apply(const struct hm_eal_config *cfg);
/*
 * Between hm_log_hold() and hm_log_release(), this thread's messages of
 * level ERR and below (ERR, WARNING, NOTICE...) are kept back in buf (what
 * does not fit is dropped); release writes them out, or drops them when
 * `emit` is false. The service
 * holds what the allocators say about a request, and drops it only when the
 * request was refused and the refusal is one it will not log.
 */
void hm_log_hold(char *buf, size_t len);
void hm_log_release(bool emit);

/* eal_lcore.c */
int hm_lcore_threads_start(const struct hm_eal_config *cfg);
void hm_lcore_threads_stop(void);

/* eal_runtime.c: runtime directory, the primary lock, process type */
int hm_runtime_open(const struct hm_eal_config *cfg, enum hm_proc_type *type);
void hm_runtime_close(bool primary_exit);

/* eal.c: what subsystems above read */
const struct hm_eal_config *hm_eal_get_config(void);
void hm_eal_set_iova_mode(enum hm_iova_mode mode);
/* fd of <runtime>/config, locked by the primary; -1 with --in-memory */
int hm_eal_config_fd(void);
/* true if the config file held a dead primary's data when this primary locked it */
bool hm_eal_found_stale(void);

/*
 * Subsystems after eal, initialised in order by hm_eal_init() and cleaned up
 * in reverse. The table is in src/subsystems.c, the one file that knows them
 * all, so eal includes none of their headers.
 */
struct hm_subsystem {
	const char *name;
	int (*init)(const struct hm_eal_config *cfg, enum hm_proc_type type);
	void (*cleanup)(enum hm_proc_type type);
	/* Register the subsystem's telemetry commands (NULL: none). Called
	 * by the telemetry subsystem's init, in every process. */
	void (*telemetry)(void);
};
extern const struct hm_subsystem hm_subsystems[];

/* The arguments hm_eal_init() consumed, argv[0] first. @return their count. */
int hm_eal_args(const char *const **argv);
extern const unsigned int hm_nb_subsystems;

#endif /* HM_EAL_PVT_H */

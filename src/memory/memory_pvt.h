/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_MEMORY_PVT_H
#define HM_MEMORY_PVT_H

/*
 * The shared configuration and the memory subsystem's internals. Not installed.
 *
 * Virtual layout, identical in every process of a prefix:
 *
 *   base                      base + 8 GiB                     + mem_va_len
 *   | shared config | (reserved) | 1 GiB pages | 2 MiB pages | ... |
 *
 * The whole range is reserved PROT_NONE first (MAP_FIXED_NOREPLACE, so a
 * taken address is an error, never a silent overlap), then the config file
 * and the hugepages are mapped over it with MAP_FIXED. Because the config
 * sits at the same address everywhere, pointers stored inside it (like the
 * VA->IOVA table pointer) are valid in every process.
 *
 * The primary writes the config; `magic` is stored last, with release
 * order, and a secondary maps nothing until it reads it. After that the
 * memseg table, runs and IOVA tables are read-only. Only the lcore owner
 * table and the process table are written by secondaries, with atomics.
 */

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hugemem/memory.h>

#include "eal_pvt.h"

#define HM_CONFIG_MAGIC 0x464e4f434d454748ULL /* "HGEMCONF" */
/* Bumped when a layout in shared memory changes (7: the producers' copy of the
 * consumer tail in a ring; 8: a mempool's lcore cache offsets; 9: its waiters
 * by process, and a reclaim record's count of them). */
#define HM_CONFIG_VERSION 9
#define HM_CONFIG_VA_SIZE                                                                          \
	(8 * HM_GB) /* VA kept for the config and its arena; memory starts above it */
#define HM_CONFIG_ARENA	  (16 * HM_MB) /* room for the allocators' shared metadata, */
#define HM_ARENA_PER_PAGE 64	       /* plus this many bytes per 4 KiB page of memory */

#define HM_MAX_HUGEFILES   32
#define HM_MAX_PROCS	   64
#define HM_MAX_MEM_VA	   (512 * HM_GB)
#define HM_VA_MAX_GRANULES (HM_MAX_MEM_VA >> HM_IOVA_GRANULE_SHIFT)
#define HM_IOVA_L1_SHIFT   30
#define HM_IOVA_L1_ENTRIES (1u << (46 - HM_IOVA_L1_SHIFT)) /* 64 TiB of IOVA */
#define HM_IOVA_L2_ENTRIES (1u << (HM_IOVA_L1_SHIFT - HM_IOVA_GRANULE_SHIFT))
#define HM_IOVA_L2_BLOCKS  1024
#define HM_NO_HUGE_DEFAULT (64 * HM_MB)
#define HM_MAX_PAGE_SIZES  4

/* Slots of subsys_state[]: one per subsystem that shares state. */
enum hm_subsys_slot {
	HM_SUBSYS_BUDDY = 0,
	HM_SUBSYS_SLAB = 1,
	HM_SUBSYS_RING = 2,
	HM_SUBSYS_MEMPOOL = 3,
	HM_SUBSYS_SERVICE = 4,
	HM_SUBSYS_MAX = 8,
};

/* A hugetlbfs file (or memfd) backing the memsegs of one page size and socket. */
struct hm_hugefile {
	char path[PATH_MAX]; /* empty for memfd / unlinked files */
	uint64_t page_sz;
	int32_t socket_id;
	uint32_t nb_pages;
};

/* Where a memseg comes from, for a secondary to map it. */
struct hm_memseg_backing {
	uint32_t file;
	uint32_t pad;
	uint64_t offset;
};

/*
 * A process table slot. A process claims a free slot (pid 0) for itself
 * with a CAS on pid. A primary frees its own at cleanup; a secondary's is
 * freed by the primary's service once it has reclaimed what the process
 * left behind: at a clean detach the secondary sets state DETACHED, at a
 * death the service notices it. Owner tags (buddy blocks, memzones,
 * mempool objects) name the slot, so a slot is reused only after that.
 */
enum hm_proc_state {
	HM_PROC_LIVE = 1,
	HM_PROC_DETACHED = 2,	/* cleaned up; the service frees the slot */
	HM_PROC_RECLAIMING = 3, /* dead; the service is taking back what it held */
};

struct hm_proc_slot {
	_Atomic int32_t pid;		  /* 0: free */
	int32_t type;			  /* enum hm_proc_type */
	uint64_t start_time;		  /* /proc/<pid>/stat field 22: tells a reused pid apart */
	uint64_t attach_ns;		  /* CLOCK_REALTIME at registration */
	_Atomic uint32_t state;		  /* enum hm_proc_state, 0 while being set up */
	_Atomic uint32_t gen;		  /* bumped at each registration: part of owner tags */
	uint8_t lcores[HM_MAX_LCORE / 8]; /* lcore ids it claimed, a bitmap */
};

/* The first bytes of the config: a secondary reads them with pread before it maps anything. */
struct hm_config_header {
	_Atomic uint64_t magic;
	uint32_t version;
	uint32_t header_size; /* sizeof(struct hm_shared_config): layout check */
	uint64_t base_va;
	uint64_t map_len;    /* bytes of the config file mapped */
	uint64_t mem_va;     /* first byte of memory */
	uint64_t mem_va_len; /* bytes of VA reserved for memory */
	char prefix[HM_FILE_PREFIX_MAX];
	int32_t primary_pid;
	uint32_t iova_mode;
	uint8_t no_huge;
	uint8_t attachable; /* 0 with --huge-unlink=always: files are gone */
	uint8_t pad[6];
	uint64_t nonce;		/* random per primary start */
	uint64_t memseg_digest; /* FNV-1a of the memseg table, for secondaries to check */
	char hello[64];		/* a line the primary writes for its secondaries */
	uint64_t pin_ns;
	uint64_t resolve_ns;
};

struct hm_shared_config {
	struct hm_config_header h;

	uint32_t nb_files;
	uint32_t nb_memsegs;
	uint32_t nb_runs;
	uint32_t nb_l2;
	struct hm_hugefile files[HM_MAX_HUGEFILES];
	struct hm_memseg memsegs[HM_MAX_MEMSEGS];
	struct hm_memseg_backing backing[HM_MAX_MEMSEGS];
	struct hm_memseg_run runs[HM_MAX_MEMSEGS];

	_Atomic int32_t lcore_owner[HM_MAX_LCORE]; /* pid owning each lcore id */
	struct hm_proc_slot procs[HM_MAX_PROCS];

	struct hm_iova_map iova_map;
	int64_t va2iova[HM_VA_MAX_GRANULES];
	uint32_t iova_l1[HM_IOVA_L1_ENTRIES]; /* 0: none, else L2 block index + 1 */
	int64_t iova_l2[HM_IOVA_L2_BLOCKS][HM_IOVA_L2_ENTRIES]; /* va - iova, or HOLE */

	/* Where each subsystem above keeps its shared state (offsets into the arena). */
	uint64_t subsys_state[HM_SUBSYS_MAX];

	/* Bump arena for the shared metadata of later subsystems. */
	_Atomic uint64_t arena_used;
	uint64_t arena_size;
	uint8_t arena[] __attribute__((aligned(64)));
};

/* Available hugepages of one size. */
struct hm_hugepage_size {
	uint64_t page_sz;
	char mount[PATH_MAX]; /* empty: none mounted (usable only with --in-memory) */
	uint32_t free_per_node[HM_MAX_NUMA_NODES];
	uint32_t nr_per_node[HM_MAX_NUMA_NODES];
};

struct hm_hugepage_info {
	unsigned int nb_sizes; /* largest first */
	unsigned int nb_nodes;
	struct hm_hugepage_size sizes[HM_MAX_PAGE_SIZES];
};

/* memory_hugeinfo.c */
int hm_hugepage_info_get(const struct hm_eal_config *cfg, struct hm_hugepage_info *info);
unsigned int hm_numa_node_count(void);

/* Pages of one size on one socket, mapped from one file. */
struct hm_mem_group {
	uint64_t page_sz;
	int32_t socket_id;
	uint32_t nb_pages;
	char mount[PATH_MAX]; /* empty: memfd (--in-memory) */
};

struct hm_mem_plan {
	unsigned int nb_groups; /* largest page size first */
	struct hm_mem_group groups[HM_MAX_PAGE_SIZES * HM_MAX_NUMA_NODES];
	uint64_t total;
};

/* memory_pin.c: the primary's hugepages */
int hm_memory_plan(const struct hm_eal_config *cfg, const struct hm_hugepage_info *hi,
		   struct hm_mem_plan *plan);
int hm_memory_pin(const struct hm_eal_config *cfg, struct hm_shared_config *mc,
		  const struct hm_mem_plan *plan, int *fds, unsigned int *nb_fds);
int hm_memory_no_huge_map(const struct hm_eal_config *cfg, struct hm_shared_config *mc);
int hm_pagemap_read_pfns(const void *va, uint64_t len, uint64_t page_sz, uint64_t *pfns,
			 uint32_t nb_pages);
void hm_hugefiles_remove_stale(const struct hm_eal_config *cfg, const struct hm_hugepage_info *hi);

/* memseg.c: tables */
void hm_memseg_tables_build(struct hm_shared_config *mc);
uint64_t hm_memseg_digest(const struct hm_shared_config *mc);
void hm_memory_set_config(struct hm_shared_config *mc);
struct hm_shared_config *hm_memory_get_config(void);

/* shared_config.c */
int hm_shared_config_lcores_claim(struct hm_shared_config *mc, const struct hm_eal_config *cfg);
void hm_shared_config_lcores_release(struct hm_shared_config *mc);
int hm_shared_config_proc_register(struct hm_shared_config *mc, enum hm_proc_type type);
void hm_shared_config_proc_unregister(struct hm_shared_config *mc, enum hm_proc_type type);
bool hm_pid_alive(int32_t pid);
uint64_t hm_proc_start_time(int32_t pid);
/* Free a slot whose process is gone and whose leftovers were reclaimed. */
void hm_shared_config_proc_free(struct hm_shared_config *mc, unsigned int slot);

/* The memory subsystem, in the eal's table. */
int hm_memory_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_memory_cleanup(enum hm_proc_type type);

/*
 * Room in the shared config for other subsystems' metadata (primary, at
 * init). @return zeroed memory aligned to align, or NULL (errno = ENOMEM).
 */
void *hm_shared_zalloc(uint64_t size, uint64_t align);

/* Publish (primary) and find (any process) a subsystem's shared state. */
void hm_shared_state_set(enum hm_subsys_slot slot, void *state);
void *hm_shared_state_get(enum hm_subsys_slot slot);

/* This process's slot in the process table, or -1. */
int hm_shared_config_proc_slot(void);

/*
 * This process's owner tag for objects that remember who took them:
 * (slot + 1) | generation << 16, never 0 once registered; 0 before.
 */
uint64_t hm_shared_config_proc_tag(void);

/* The tag of a slot's current registration. */
static inline uint64_t
hm_proc_tag_of(unsigned int slot, uint32_t gen)
{
	return (uint64_t)(slot + 1) | (uint64_t)gen << 16;
}

#endif /* HM_MEMORY_PVT_H */

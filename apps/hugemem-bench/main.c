/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugemem-bench: hugemem against DPDK 22.11 on the same hugepage memory, in
 * the same run.
 *
 * What is measured
 *   init     wall time of the whole hm_eal_init() call and of the whole
 *            rte_eal_init() call, each bringing up 1 GiB (--mem) of 2 MiB
 *            pages with their IOVAs resolved, and of the matching cleanup
 *            call. hugemem's own split of that time (pin_ns: map, fault,
 *            lock; resolve_ns: read PFNs, sort, remap) comes from
 *            hm_memory_info_get().
 *   lookups  VA -> IOVA translations per second of 1M random addresses
 *            spread over all of the EAL's memory: hm_virt2iova() against
 *            DPDK's rte_mem_virt2iova(), rte_mem_virt2phy() and
 *            rte_mem_virt2memseg() + offset. In PA mode DPDK 22.11's
 *            rte_mem_virt2iova() is rte_mem_virt2phy(), one open/pread/close
 *            of /proc/self/pagemap per call; rte_mem_virt2memseg() is DPDK's
 *            table walk and so the fair match for hm_virt2iova().
 *   checks   before timing anything, a sample of addresses (every 256th of
 *            the random set, plus the first and last byte of every memseg)
 *            must translate to memseg IOVA + offset, and that must be the
 *            physical address /proc/self/pagemap gives. A mismatch fails the
 *            run (exit 1): a fast wrong answer is not a result.
 *   alloc    alloc + free pairs per second of DMA memory, in children of
 *            their own: hm_dma_alloc() against rte_malloc_socket(), and
 *            hm_memzone_reserve() against rte_memzone_reserve_aligned(), for
 *            4 KiB, 64 KiB and 2 MiB blocks and for a random mix (64 B to
 *            2 MiB, log-uniform, a window of live blocks with random
 *            lifetimes). Both sides draw the same seeded sequence.
 *   frag     the random mix run for a long trace, then stopped with its
 *            live blocks held: hugemem's largest free block and unusable
 *            index at order 9 (hm_buddy_zone_stats()) against DPDK's
 *            rte_malloc_get_socket_stats(); then everything is freed and
 *            each side is checked for getting its largest free block back.
 *            Every block of the trace is checked against /proc/self/pagemap
 *            (first byte at the IOVA returned, last byte at IOVA + size - 1)
 *            and tagged at both ends, so that two live blocks that overlap
 *            show; hm_buddy_audit() must pass with the blocks held, after
 *            the frees and after the timed rows, or the run fails.
 *   slab     alloc + free pairs per second of small objects (64 B, 256 B,
 *            2 KiB) on one lcore and on two at once: hm_kmalloc() and
 *            hm_slab_alloc() (a cache per size) against glibc's malloc(),
 *            jemalloc, mimalloc and DPDK's rte_malloc(), in two patterns:
 *            pairs (allocate, touch, free at once) and batches (allocate
 *            SLAB_BATCH objects, touching each, then free them in the same
 *            order). jemalloc and mimalloc are Debian's shared libraries
 *            (libjemalloc2, libmimalloc2.0), dlopen()ed with RTLD_LOCAL and
 *            called through dlsym() on their handle, so neither replaces
 *            glibc's malloc in the process; one that does not load is
 *            shown as skipped, with dlerror()'s reason.
 *   service  round trip (median and p99 of each call) and requests per
 *            second of a SECONDARY process's request to its primary, from
 *            1 and from 3 secondaries at once: hm_dma_alloc(4096) and
 *            hm_dma_free() against DPDK's own secondary-to-primary channel,
 *            rte_mp_request_sync(), twice an iteration, to an action the
 *            DPDK primary registered that answers at once. The child is
 *            the primary; its clients are this executable run again (a
 *            hidden first argument), secondaries on lcores 1..3 of CPU 0,
 *            which warm up, start their timed loops together and report
 *            every latency over a socketpair. A reference row runs the
 *            same loop in the hugemem primary itself: the call with no
 *            other process. See the top comment of bench_service.c.
 *
 * Why the comparison is fair
 *   - Same memory: both EALs get "-l 0 --socket-mem <mem> --huge-dir <dir>
 *     --iova-mode=pa --no-telemetry" and a file prefix of their own; each
 *     child reports how much memory its memsegs cover and the table shows it.
 *     DPDK also gets --no-pci, since hugemem has no bus to scan, and
 *     hugemem --service-mode idle outside the service section: its service
 *     loop would otherwise poll for secondaries that never come, on a CPU
 *     of the lcores when -l 0-1 leaves it no other (DPDK's own threads
 *     sleep on file descriptors).
 *   - Same page size: the hugetlbfs at --huge-dir must have 2 MiB pages.
 *   - Same process setup: an EAL can be initialised once per process, so
 *     every measurement is a fresh child forked from this process, pinned to
 *     CPU 0 by "-l 0", reporting over a pipe. Children run one at a time, and
 *     the order of the kinds rotates every round so that none always runs
 *     first, or always right after the same other kind. Every child pays
 *     the kernel's zeroing of each hugepage it faults in. One kind of child
 *     holds both EALs, hugemem's and DPDK's, one of each, with half of
 *     --mem each and -l 0-1: the paired rows of the ring and mempool
 *     sections, whose two sides run in pairs, back to back, on the same
 *     lcores (bench.h, BENCH_PAIRS).
 *   - Both in PA mode: IOVAs come from /proc/self/pagemap in both, which is
 *     what costs time; VA mode would make both lookups trivial.
 * What is not the same, and shown rather than hidden
 *   - rte_eal_init() does more than memory (timers, bus scans, interrupt
 *     and multi-process threads). The last init row runs rte_eal_init()
 *     without --socket-mem, so no page is preallocated, to show how much of
 *     the DPDK time is not memory at all.
 *   - --legacy-mem is DPDK's closest equivalent of pin + sort by PA, but it
 *     maps every free hugepage of the mount, sorts them and then unmaps what
 *     it does not need. To hold it to the same memory (and not take every
 *     hugepage from whoever else runs on this machine), the legacy child
 *     runs in a mount namespace of its own with a hugetlbfs limited to
 *     --mem mounted over --huge-dir. That is DPDK's best case. Without
 *     CAP_SYS_ADMIN the row is skipped.
 *   - The allocator children are an EAL each of their own, hugemem and
 *     DPDK, on the same memory; the DPDK one also gets --socket-limit <mem>
 *     so that its heap cannot grow past what hugemem has. The two
 *     allocators do not promise the same thing: an hm_dma_alloc() block is
 *     one buddy block (2^n pages of 4 KiB) contiguous in IOVA, while an
 *     rte_malloc() element is contiguous in IOVA only inside one memseg
 *     (one 2 MiB page here). rte_memzone_reserve_aligned() gets
 *     RTE_MEMZONE_IOVA_CONTIG, the promise hugemem's memzones make.
 *   - The slab section: every allocator is called the same way, through a
 *     pointer to a function of malloc()'s and free()'s types (hugemem's and
 *     DPDK's through a one-line wrapper that compiles to a tail call), from
 *     threads pinned to CPU 0, and CPU 1 in the two-lcore rows: EAL lcores
 *     ("-l 0-1") for hugemem and DPDK, so that their per-lcore paths are the
 *     ones timed, and two pinned pthreads for the malloc()-like peers, which
 *     run in a child with no EAL. Two lcores start their window together
 *     (a barrier), run it for the same time, and their rates are summed.
 *     Each allocator first runs an untimed check (a batch filled whole and
 *     read back: overlapping objects fail the run) and a warm-up.
 *     DPDK 22.11's rte_free() clears the element it frees; the others do
 *     not clear anything. And when a free leaves a free element of a page
 *     or more (in the pairs rows every free does, as nothing else is live),
 *     malloc_heap_free() looks up every page of that element to see whether
 *     it may go back to the system, which --socket-mem pages may not: that
 *     costs time in proportion to --mem (about 4 us a pair with 1 GiB, ten
 *     times less with --mem 64). It is what rte_malloc() does on a quiet
 *     heap; the batches rows pay it once a batch.
 *   - The service section compares a real allocation with an empty
 *     message: DPDK's secondaries get their DMA memory from rte_malloc()
 *     on their own (under the heap's lock in shared memory), and the
 *     channel to the primary they have is rte_mp, a Unix datagram socket
 *     served by a control thread, which is what is timed. hm_dma_alloc()
 *     is timed as it is in a secondary, whatever path it takes in the
 *     build (the ratio to the primary's own call shows whether it waited
 *     on another process). The clients share CPU 0 with the primary's
 *     lcore, so with 3 of them each one's figures include waiting for the
 *     CPU, on both sides; both services run off that CPU (hugemem's
 *     service thread off the lcores' CPUs, DPDK's multi-process threads
 *     as control threads on the CPUs no lcore uses). A DPDK client that
 *     cannot run makes DPDK's rows skipped, with the reason, not a failure.
 *   - jemalloc's library keeps 2.6 KiB of thread-local storage of the
 *     initial-exec model, which dlopen() can place only in glibc's static
 *     TLS surplus, 512 bytes by default. When the slab section runs, the
 *     bench therefore executes itself again, once, at start-up, with
 *     GLIBC_TUNABLES=glibc.rtld.optional_static_tls=SLAB_STATIC_TLS; that
 *     reserves a few KiB of TLS per thread and changes nothing else.
 *   - Statistics: median and best of the rounds (best = lowest time, highest
 *     rate). Ratios are shown side by side; nothing here is a pass/fail
 *     timing assertion. The slab table shows medians only (it has one
 *     column per allocator), and its ratios are of medians.
 *
 * Cleanup: each child calls hm_eal_cleanup()/rte_eal_cleanup() and then looks
 * for hugepage files of its prefix and for its runtime directory. hugemem
 * must leave nothing: anything found is removed and reported as a warning.
 * DPDK 22.11 leaves its runtime directory (config, fbarray files) behind by
 * design, so the child removes it without a warning; --legacy-mem also keeps
 * its hugepage files (for secondaries), which is shown as a note, and they
 * were in the child's private mount anyway. At the end the parent sweeps
 * everything named bench_<its pid>_ (a child that crashed or was killed
 * could not clean up) and warns if it found any.
 *
 *   ring     hm_ring against rte_ring, and
 *   mempool  hm_mempool against rte_mempool on its "ring_mp_mc" ops, on 1
 *            and 2 lcores ("-l 0-1"), in one child per EAL that serves
 *            both sections: see the top comments of bench_ring.c and
 *            bench_mempool.c for what is timed and checked.
 *
 * Sections: --sections picks the tables (init, lookups, alloc, slab, ring,
 * mempool, service; all by default) and so the children that run. The
 * order of the children rotates over the kinds those sections need, so
 * that with one section's two children hugemem and DPDK swap places every
 * round.
 *
 * Exit: 0 on success or SKIPPED (no usable hugepages), 1 on a failure, 2 on a
 * bad option, 130 when interrupted.
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/slab.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_version.h>

/* Private: where hugemem puts a prefix's runtime directory (for the sweep). */
#include "eal_pvt.h"

#include "bench.h"

#define BENCH "hugemem-bench"

#define DEFAULT_ROUNDS	 5
#define MAX_ROUNDS	 1000
#define DEFAULT_MEM_MB	 1024
#define MAX_MEM_MB	 (1u << 20)
#define DEFAULT_HUGE_DIR "/dev/hugepages"
#define PAGE_2M		 (2ULL << 20)
#define SYSFS_2M	 "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define SYSFS_NODE0_2M	 "/sys/devices/system/node/node0/hugepages/hugepages-2048kB"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* Both EALs log at this level: errors and warnings, no banner. */
#define EAL_LOG_LEVEL "--log-level=warning"

#define NB_LOOKUP_ADDRS	 (1u << 20)   /* 8 MiB of addresses: out of L2, like real traffic */
#define LOOKUP_CHUNK	 4096u	      /* lookups between two clock reads */
#define LOOKUP_PASSES	 8	      /* passes over the addresses for the fast paths */
#define LOOKUP_BUDGET_NS 500000000ULL /* the pagemap readers stop after 0.5 s */
#define VERIFY_STRIDE	 256	      /* every 256th random address is checked */
#define RNG_SEED	 0x9e3779b97f4a7c15ULL

/*
 * The allocator sections. Fixed sizes run in batches (allocate a batch,
 * then free it in the same order) so that both the lcore caches and the
 * zone locks of hugemem are exercised; memzones in smaller batches, under
 * hugemem's HM_MAX_MEMZONES (256) and well under DPDK's RTE_MAX_MEMZONE.
 */
#define DMA_BATCH	256
#define MZ_BATCH	128
#define MIX_WINDOW	1024	     /* live blocks of the random mix */
#define MIX_MIN_SHIFT	6	     /* 64 B */
#define MIX_MAX_SHIFT	21	     /* 2 MiB */
#define MIX_STEPS	131072	     /* timed steps of the mix */
#define ALLOC_BUDGET_NS 500000000ULL /* no new batch of a fixed-size row after 0.5 s */
#define TRACE_STEPS	200000	     /* steps of the fragmentation trace */
#define DMA_ALIGN	4096u	     /* a DMA buffer of a page or more is page aligned */
#define ORDER_2M	9	     /* buddy order of a 2 MiB block */
#define ALLOC_SEED	0xd1b54a32d192ed03ULL

/*
 * The slab section. A thread reads the clock once every SLAB_CHUNK pairs
 * (a multiple of SLAB_BATCH), so that the clock costs well under 1% of
 * even the fastest allocator's time.
 */
#define SLAB_BATCH	   64		/* objects of the batches pattern */
#define SLAB_CHUNK	   1024		/* alloc + free pairs between two clock reads */
#define SLAB_MAX_LCORES	   2		/* the rows run on 1 and on 2 lcores: "-l 0-1" */
#define SLAB_WARMUP_NS	   20000000ULL	/* untimed, before each row's window */
#define SLAB_WINDOW_NS	   100000000ULL /* the timed window of each row */
#define SLAB_STATIC_TLS	   16384	/* bytes of glibc.rtld.optional_static_tls */
#define STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls"

/* A child that has not reported after this long is stuck: SIGALRM ends it. */
#define CHILD_TIMEOUT_S 300

#define NO_IOVA UINT64_MAX

/*
 * Set by the SIGINT/SIGTERM handler of the parent: stop after the running
 * child, sweep, exit 130. A signal flag is the one thing that has to be global.
 */
static volatile sig_atomic_t interrupted;

/* ------------------------------------------------------------- the kinds */

enum bench_kind {
	KIND_HM,	   /* hm_eal_init() */
	KIND_DPDK,	   /* rte_eal_init() --socket-mem, dynamic memory */
	KIND_DPDK_LEGACY,  /* rte_eal_init() --socket-mem --legacy-mem */
	KIND_DPDK_BASE,	   /* rte_eal_init() without --socket-mem: the non-memory cost */
	KIND_HM_ALLOC,	   /* hm_eal_init(), then the allocator sections */
	KIND_DPDK_ALLOC,   /* rte_eal_init() --socket-limit, then the allocator sections */
	KIND_HM_SLAB,	   /* hm_eal_init() -l 0-1, then hm_kmalloc() and hm_slab_alloc() */
	KIND_DPDK_SLAB,	   /* rte_eal_init() -l 0-1, then rte_malloc() */
	KIND_MALLOC_SLAB,  /* no EAL: glibc, jemalloc and mimalloc on pinned pthreads */
	KIND_HM_QUEUES,	   /* hm_eal_init() -l 0-1, then hm_ring and hm_mempool */
	KIND_DPDK_QUEUES,  /* rte_eal_init() -l 0-1, then rte_ring and rte_mempool */
	KIND_PAIRED,	   /* hm_eal_init() and rte_eal_init() -l 0-1 in one process: paired rows */
	KIND_HM_SERVICE,   /* hm_eal_init() primary, then secondaries' hm_dma_alloc() */
	KIND_DPDK_SERVICE, /* rte_eal_init() primary, then secondaries' rte_mp_request_sync() */
	NB_KINDS,
};

/* The tables --sections picks from; each kind of child serves one or more. */
enum section {
	SECTION_INIT,
	SECTION_LOOKUPS,
	SECTION_ALLOC, /* the DMA alloc/free and fragmentation tables */
	SECTION_SLAB,
	SECTION_RING,
	SECTION_MEMPOOL,
	SECTION_SERVICE,
	NB_SECTIONS,
};

#define ALL_SECTIONS ((1u << NB_SECTIONS) - 1)

static const char *const section_names[NB_SECTIONS] = {
    [SECTION_INIT] = "init",	   /* hm_eal_init() against rte_eal_init() */
    [SECTION_LOOKUPS] = "lookups", /* VA -> IOVA translations */
    [SECTION_ALLOC] = "alloc",	   /* DMA blocks, memzones, fragmentation */
    [SECTION_SLAB] = "slab",	   /* kmalloc and slab caches against malloc()s */
    [SECTION_RING] = "ring",	   /* bench_ring.c */
    [SECTION_MEMPOOL] = "mempool", /* bench_mempool.c */
    [SECTION_SERVICE] = "service", /* bench_service.c */
};

enum lookup_method {
	LOOKUP_HM,	      /* hm_virt2iova(), inline */
	LOOKUP_RTE_MEMSEG,    /* rte_mem_virt2memseg() + offset */
	LOOKUP_RTE_VIRT2IOVA, /* rte_mem_virt2iova() */
	LOOKUP_RTE_VIRT2PHY,  /* rte_mem_virt2phy() */
	NB_LOOKUPS,
};

struct kind_desc {
	const char *label; /* row of the init table */
	const char *tag;   /* part of the file prefix */
	bool is_hm;
	bool socket_mem;   /* pass --socket-mem <mem> */
	bool legacy;	   /* pass --legacy-mem, in a size-limited private hugetlbfs */
	bool socket_limit; /* pass --socket-limit <mem>: the heap cannot grow */
	bool alloc;	   /* run the allocator sections instead of the lookups */
	bool verify;	   /* check translations against memsegs and pagemap */
	uint32_t lookups;  /* bit mask of enum lookup_method timed in this child */

	bool slab;	    /* run the slab section instead of the lookups */
	bool queues;	    /* run the ring and mempool sections asked for */
	bool service;	    /* be the primary of the service section's clients */
	bool no_eal;	    /* initialise no EAL at all (the malloc()-like peers) */
	const char *lcores; /* the EALs' -l; NULL: "0" */
	uint32_t sections;  /* bit mask of the enum section that need this child */
	bool paired;	    /* also bring up DPDK's EAL, and time the paired rows */
	bool half_mem;	    /* each EAL gets half of --mem (two EALs in one child) */
};

static const struct kind_desc kinds[NB_KINDS] = {
    [KIND_HM] = {.label = "hm_eal_init()",
		 .tag = "hm",
		 .is_hm = true,
		 .socket_mem = true,
		 .verify = true,
		 .lookups = 1u << LOOKUP_HM,
		 .sections = 1u << SECTION_INIT | 1u << SECTION_LOOKUPS},
    [KIND_DPDK] = {.label = "rte_eal_init()",
		   .tag = "dpdk",
		   .socket_mem = true,
		   .verify = true,
		   .lookups = 1u << LOOKUP_RTE_MEMSEG | 1u << LOOKUP_RTE_VIRT2IOVA |
			      1u << LOOKUP_RTE_VIRT2PHY,
		   .sections = 1u << SECTION_INIT | 1u << SECTION_LOOKUPS},
    [KIND_DPDK_LEGACY] = {.label = "rte_eal_init() --legacy-mem",
			  .tag = "legacy",
			  .socket_mem = true,
			  .legacy = true,
			  .verify = true,
			  .sections = 1u << SECTION_INIT},
    [KIND_DPDK_BASE] = {.label = "rte_eal_init() no --socket-mem",
			.tag = "base",
			.sections = 1u << SECTION_INIT},
    [KIND_HM_ALLOC] = {.label = "hugemem allocators",
		       .tag = "hmalloc",
		       .is_hm = true,
		       .socket_mem = true,
		       .alloc = true,
		       .sections = 1u << SECTION_ALLOC},
    [KIND_DPDK_ALLOC] = {.label = "DPDK allocators",
			 .tag = "dpdkalloc",
			 .socket_mem = true,
			 .socket_limit = true,
			 .alloc = true,
			 .sections = 1u << SECTION_ALLOC},
    [KIND_HM_SLAB] = {.label = "hugemem slab and kmalloc",
		      .tag = "hmslab",
		      .is_hm = true,
		      .socket_mem = true,
		      .slab = true,
		      .lcores = "0-1",
		      .sections = 1u << SECTION_SLAB},
    [KIND_DPDK_SLAB] = {.label = "DPDK rte_malloc",
			.tag = "dpdkslab",
			.socket_mem = true,
			.slab = true,
			.lcores = "0-1",
			.sections = 1u << SECTION_SLAB},
    [KIND_MALLOC_SLAB] = {.label = "glibc, jemalloc, mimalloc",
			  .tag = "malloc",
			  .slab = true,
			  .no_eal = true,
			  .sections = 1u << SECTION_SLAB},
    [KIND_HM_QUEUES] = {.label = "hugemem rings and mempools",
			.tag = "hmq",
			.is_hm = true,
			.socket_mem = true,
			.queues = true,
			.lcores = "0-1",
			.sections = 1u << SECTION_RING | 1u << SECTION_MEMPOOL},
    [KIND_DPDK_QUEUES] = {.label = "DPDK rings and mempools",
			  .tag = "dpdkq",
			  .socket_mem = true,
			  .queues = true,
			  .lcores = "0-1",
			  .sections = 1u << SECTION_RING | 1u << SECTION_MEMPOOL},
    [KIND_PAIRED] = {.label = "hugemem and DPDK in one process",
		     .tag = "pair",
		     .is_hm = true,
		     .socket_mem = true,
		     .lcores = "0-1",
		     .paired = true,
		     .half_mem = true,
		     .sections = 1u << SECTION_RING | 1u << SECTION_MEMPOOL},
    [KIND_HM_SERVICE] = {.label = "hugemem service",
			 .tag = "hmsvc",
			 .is_hm = true,
			 .socket_mem = true,
			 .service = true,
			 .sections = 1u << SECTION_SERVICE},
    [KIND_DPDK_SERVICE] = {.label = "DPDK multi-process channel",
			   .tag = "dpdksvc",
			   .socket_mem = true,
			   .service = true,
			   .sections = 1u << SECTION_SERVICE},
};

static const char *const lookup_labels[NB_LOOKUPS] = {
    [LOOKUP_HM] = "hm_virt2iova()",
    [LOOKUP_RTE_MEMSEG] = "rte_mem_virt2memseg() + offset",
    [LOOKUP_RTE_VIRT2IOVA] = "rte_mem_virt2iova()",
    [LOOKUP_RTE_VIRT2PHY] = "rte_mem_virt2phy()",
};

/* ----------------------------------------------------- child -> parent */

enum child_status {
	CHILD_OK = 0,
	CHILD_SKIPPED,	     /* this kind cannot run here (legacy without CAP_SYS_ADMIN) */
	CHILD_INIT_FAILED,   /* the EAL init call failed */
	CHILD_VERIFY_FAILED, /* a translation was wrong */
	CHILD_ERROR,	     /* anything else: no memory, cleanup failed, ... */
};

struct lookup_result {
	uint64_t lookups;
	uint64_t ns;
};

/*
 * The timed allocator rows. A _ZERO row is hugemem's only: the same as the
 * row before it with HM_BUDDY_ZERO, because DPDK's rte_free() clears what it
 * frees (so that rte_zmalloc() need not): DPDK's blocks come zeroed, and
 * the _ZERO row is hugemem doing the same work.
 */
enum alloc_row {
	ROW_DMA_4K,
	ROW_DMA_4K_ZERO,
	ROW_MZ_4K,
	ROW_MZ_4K_ZERO,
	ROW_DMA_64K,
	ROW_DMA_64K_ZERO,
	ROW_MZ_64K,
	ROW_MZ_64K_ZERO,
	ROW_DMA_2M,
	ROW_DMA_2M_ZERO,
	ROW_MZ_2M,
	ROW_MZ_2M_ZERO,
	ROW_DMA_MIX,
	ROW_DMA_MIX_ZERO,
	NB_ALLOC_ROWS,
};

struct alloc_row_desc {
	const char *group; /* size column of the table */
	size_t size;	   /* 0: the random mix */
	bool memzone;
	bool zero;    /* hugemem only, with HM_BUDDY_ZERO */
	uint32_t ops; /* alloc + free pairs timed a round, at most */
};

#define FIXED_ROWS(row, group, size, dma_ops, mz_ops)                                              \
	[ROW_DMA_##row] = {group, size, false, false, dma_ops},                                    \
	[ROW_DMA_##row##_ZERO] = {group, size, false, true, dma_ops},                              \
	[ROW_MZ_##row] = {group, size, true, false, mz_ops},                                       \
	[ROW_MZ_##row##_ZERO] = {group, size, true, true, mz_ops}

static const struct alloc_row_desc alloc_rows[NB_ALLOC_ROWS] = {
    FIXED_ROWS(4K, "4 KiB", 4096, 1024 * DMA_BATCH, 128 * MZ_BATCH),
    FIXED_ROWS(64K, "64 KiB", 64 << 10, 1024 * DMA_BATCH, 128 * MZ_BATCH),
    FIXED_ROWS(2M, "2 MiB", 2 << 20, 256 * DMA_BATCH, 128 * MZ_BATCH),
    [ROW_DMA_MIX] = {"mix", 0, false, false, MIX_STEPS},
    [ROW_DMA_MIX_ZERO] = {"mix", 0, false, true, MIX_STEPS},
};

struct alloc_result {
	uint64_t ops; /* alloc + free pairs attempted */
	uint64_t ns;
	uint64_t failures; /* allocations that returned NULL */
};

/*
 * The slab section: its allocators (the table's columns) and its rows, each
 * a pattern, an object size and a number of lcores (see slab_row()).
 */
enum slab_alloc {
	SA_KMALLOC, /* hm_kmalloc() + hm_kfree() */
	SA_SLAB,    /* hm_slab_alloc() + hm_slab_free(), on a cache per size */
	SA_MIMALLOC,
	SA_JEMALLOC,
	SA_GLIBC,
	SA_RTE_MALLOC,
	NB_SLAB_ALLOCS,
};

enum slab_pattern {
	SLAB_PAIRS,   /* allocate, touch, free; and again */
	SLAB_BATCHES, /* SLAB_BATCH allocations, each touched, then their frees in order */
	NB_SLAB_PATTERNS,
};

#define NB_SLAB_SIZES 3
#define NB_SLAB_ROWS  (NB_SLAB_PATTERNS * NB_SLAB_SIZES * SLAB_MAX_LCORES)

static const size_t slab_sizes[NB_SLAB_SIZES] = {64, 256, 2048};

struct slab_result {
	double ops_per_s;  /* alloc + free pairs per second, summed over the lcores; 0: not run */
	uint64_t failures; /* allocations that returned NULL */
};

/* One zone of hugemem's, from hm_buddy_zone_stats(). */
struct zone_snap {
	uint8_t present;
	int8_t largest_order; /* of the free lists; -1 if they are empty */
	int32_t unusable_2m;  /* unusable free space index at order 9, x1000 */
	uint64_t managed_pages;
	uint64_t free_pages; /* in the free lists */
	uint64_t pcp_pages;  /* in the lcore caches */
};

/* The state of an allocator's memory at one point of the trace. */
struct heap_snap {
	uint64_t total_bytes;	  /* hugemem: managed pages; DPDK: heap_totalsz_bytes */
	uint64_t free_bytes;	  /* hugemem: in the free lists; DPDK: heap_freesz_bytes */
	uint64_t cached_bytes;	  /* hugemem: in the lcore caches; DPDK: 0 */
	uint64_t largest_free;	  /* hugemem: largest free block; DPDK: greatest_free_size */
	uint64_t largest_contig;  /* largest free area contiguous in IOVA */
	uint64_t allocated_bytes; /* hugemem: the rest of managed; DPDK: heap_allocsz_bytes */
	struct zone_snap zone[HM_NR_ZONES]; /* hugemem only */
};

enum snap_point {
	SNAP_FRESH,   /* right after init */
	SNAP_HELD,    /* end of the trace, its live blocks held */
	SNAP_FREED,   /* every block freed */
	SNAP_DRAINED, /* hugemem: and the lcore caches drained; DPDK: as FREED */
	NB_SNAPS,
};

struct trace_result {
	uint64_t steps;
	uint64_t failures;	 /* allocations that returned NULL */
	uint64_t checked;	 /* blocks checked against pagemap */
	uint64_t not_contig;	 /* DPDK: blocks whose last byte is not at IOVA + size - 1 */
	uint64_t live_requested; /* bytes the live blocks asked for at the end */
	uint32_t live_blocks;
	uint32_t audits; /* hm_buddy_audit() calls, all of which returned 0 */
	struct heap_snap snap[NB_SNAPS];
};

/* What a child writes to its pipe: plain data, well below PIPE_BUF. */
struct child_result {
	int32_t status;	 /* enum child_status */
	char error[256]; /* the first failure, for the parent to print */
	uint64_t init_ns;
	uint64_t cleanup_ns;
	uint64_t pin_ns;     /* hugemem only, from hm_memory_info_get() */
	uint64_t resolve_ns; /* hugemem only */
	uint64_t mem_bytes;  /* bytes covered by the EAL's memsegs */
	uint32_t nb_segs;
	uint32_t nb_runs;	  /* runs contiguous in VA and IOVA, counted here */
	uint32_t lib_nb_runs;	  /* hugemem's own count, to cross-check */
	uint32_t verified;	  /* addresses checked */
	uint64_t largest_run;	  /* bytes */
	uint32_t leftover_files;  /* hugepage files of the prefix found after cleanup */
	uint32_t leftover_rundir; /* hugemem's runtime directory still there after cleanup */
	struct lookup_result lookup[NB_LOOKUPS];
	struct alloc_result alloc[NB_ALLOC_ROWS]; /* allocator children only */
	struct trace_result trace;		  /* allocator children only */

	/* Slab children only: per allocator, its rows or why it did not run. */
	struct slab_result slab[NB_SLAB_ALLOCS][NB_SLAB_ROWS];
	char slab_skipped[NB_SLAB_ALLOCS][192];

	/* Ring and mempool children only. */
	struct bench_ring_result ring;
	struct bench_mempool_result mempool;
	struct bench_paired_result paired; /* the paired child only */

	/* Service children only. */
	struct bench_service_result service;
};

struct bench_opts {
	unsigned int rounds;
	unsigned int mem_mb;
	uint32_t sections; /* bit mask of enum section */
	int busy_cpus;	   /* keep idle CPUs busy: 1 yes, 0 no, -1 with ring or mempool */
	char huge_dir[PATH_MAX];
};

/* ------------------------------------------------------------- helpers */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void result_fail(struct child_result *r, enum child_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure only: later ones are usually its consequences. */
static void
result_fail(struct child_result *r, enum child_status status, const char *fmt, ...)
{
	va_list ap;

	if (r->status != CHILD_OK)
		return;
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/* xorshift64*: fast, and the same seed gives both EALs the same spread. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static long
read_sysfs_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v;
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%ld", &v);
	fclose(f);
	return n == 1 ? v : -1;
}

/* Remove every entry of dir whose name starts with prefix; @return how many. */
static unsigned int
remove_entries(const char *dir, const char *prefix, bool dirs)
{
	size_t plen = strlen(prefix);
	unsigned int n = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strncmp(e->d_name, prefix, plen) != 0)
			continue;
		if (dirs && e->d_type == DT_DIR) {
			char sub[PATH_MAX];

			if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
				continue;
			remove_entries(sub, "", false);
			if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0)
				n++;
			else
				fprintf(stderr, BENCH ": cannot remove %s: %s\n", sub,
					strerror(errno));
		} else if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			n++;
		} else {
			fprintf(stderr, BENCH ": cannot remove %s/%s: %s\n", dir, e->d_name,
				strerror(errno));
		}
	}
	closedir(d);
	return n;
}

/* Remove a runtime directory and the files in it; @return true if it existed. */
static bool
remove_runtime_dir(const char *path)
{
	struct stat st;

	if (path[0] == '\0' || stat(path, &st) < 0)
		return false;
	remove_entries(path, "", false);
	if (rmdir(path) < 0)
		fprintf(stderr, BENCH ": cannot remove %s: %s\n", path, strerror(errno));
	return true;
}

/*
 * Where DPDK 22.11 puts runtime directories (eal_create_runtime_dir()):
 * /var/run/dpdk for root, else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk. Only the
 * final sweep needs this; a child asks rte_eal_get_runtime_dir().
 */
static void
dpdk_runtime_base(char *buf, size_t len)
{
	const char *base = "/var/run";

	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	snprintf(buf, len, "%s/dpdk", base);
}

/* ------------------------------------------------------------- pagemap */

/*
 * Physical address of addr from /proc/self/pagemap, the ground truth both
 * EALs are checked against. @return the address, or NO_IOVA.
 */
static uint64_t
pagemap_pa(int fd, uintptr_t addr)
{
	const uint64_t pfn_mask = (1ULL << 55) - 1, present = 1ULL << 63;
	uint64_t entry;
	off_t off = (off_t)(addr / 4096 * sizeof(entry));

	if (pread(fd, &entry, sizeof(entry), off) != (ssize_t)sizeof(entry))
		return NO_IOVA;
	if (!(entry & present) || (entry & pfn_mask) == 0)
		return NO_IOVA;
	return (entry & pfn_mask) * 4096 + (addr & 4095);
}

/* ------------------------------------------------------------ memsegs */

struct seg {
	uintptr_t addr;
	uint64_t iova;
	uint64_t len;
	uint64_t page_sz;
	uint64_t start; /* bytes in the segments before this one, after sorting */
	int32_t socket_id;
};

struct seg_list {
	struct seg *v;
	size_t n, cap;
};

static int
seg_list_add(struct seg_list *l, uintptr_t addr, uint64_t iova, uint64_t len, uint64_t page_sz,
	     int32_t socket_id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct seg *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct seg){
	    .addr = addr,
	    .iova = iova,
	    .len = len,
	    .page_sz = page_sz,
	    .socket_id = socket_id,
	};
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sort by VA, fill start[], count runs; the same definition for both EALs. */
static void
seg_list_summarise(struct seg_list *l, struct child_result *r)
{
	uint64_t run = 0;

	qsort(l->v, l->n, sizeof(l->v[0]), seg_cmp);
	r->mem_bytes = 0;
	r->nb_runs = 0;
	r->largest_run = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct seg *s = &l->v[i], *p = i > 0 ? &l->v[i - 1] : NULL;

		l->v[i].start = r->mem_bytes;
		r->mem_bytes += s->len;
		if (p == NULL || p->addr + p->len != s->addr || p->iova + p->len != s->iova ||
		    p->page_sz != s->page_sz || p->socket_id != s->socket_id) {
			r->nb_runs++;
			run = 0;
		}
		run += s->len;
		if (run > r->largest_run)
			r->largest_run = run;
	}
	r->nb_segs = (uint32_t)l->n;
}

/* The segment holding addr, or NULL. */
static const struct seg *
seg_find(const struct seg_list *l, uintptr_t addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seg *s = &l->v[mid];

		if (addr < s->addr)
			hi = mid;
		else if (addr >= s->addr + s->len)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* The segment holding byte pos of the memory counted from the first segment. */
static const struct seg *
seg_at_offset(const struct seg_list *l, uint64_t pos)
{
	size_t lo = 0, hi = l->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].start <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return &l->v[lo];
}

static int
hm_collect_seg(const struct hm_memseg *ms, void *arg)
{
	return seg_list_add(arg, (uintptr_t)ms->addr, ms->iova, ms->len, ms->hugepage_sz,
			    ms->socket_id);
}

static int
rte_collect_seg(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	if (msl->external)
		return 0;
	return seg_list_add(arg, (uintptr_t)ms->addr, ms->iova, ms->len, ms->hugepage_sz,
			    ms->socket_id);
}

/* ------------------------------------------------------ the two EALs */

/*
 * What differs between hugemem and DPDK in a child. init returns the number
 * of arguments consumed or a negative errno, like hm_eal_init().
 */
struct eal_ops {
	int (*init)(int argc, char **argv);
	int (*cleanup)(void);
	int (*collect_segs)(struct seg_list *l);
	bool (*iova_is_pa)(void);
	const char *(*runtime_dir)(void);
	/* Check the EAL's answer for addr against want; false + message on mismatch. */
	bool (*check_addr)(uintptr_t addr, uint64_t want, char *msg, size_t len);

	/* The allocator sections: row labels, then the calls they time. */
	const char *dma_label;
	const char *mz_label;
	/*
	 * A DMA block of size bytes on socket 0, or NULL; *iova is the
	 * allocator's answer. hm_flags: HM_BUDDY_* for hugemem, 0 for DPDK.
	 */
	void *(*dma_alloc)(size_t size, size_t align, unsigned int hm_flags, uint64_t *iova);
	int (*dma_free)(void *addr);
	/* The memseg table's IOVA of addr, to check the allocator's answer against. */
	uint64_t (*virt2iova)(const void *addr);
	void *(*mz_reserve)(const char *name, size_t len, size_t align, unsigned int hm_flags,
			    const void **mz, uint64_t *iova);
	int (*mz_free)(const void *mz);
	int (*heap_snapshot)(struct heap_snap *s);
	void (*drain_caches)(void); /* NULL if the allocator has none */
	int (*audit)(void);	    /* NULL if the allocator has none */

	/*
	 * The slab section: fn(arg) on n lcores at once, n being 1 (the main
	 * lcore, the caller) or every lcore of the EAL. @return 0, or a
	 * negative errno and nothing ran.
	 */
	int (*run_on_lcores)(int (*fn)(void *arg), void *arg, unsigned int n);
};

/* hm_eal_init() of hugemem.h, which checks this program's inline layout. */
static int
hm_checked_init(int argc, char **argv)
{
	return hm_eal_init(argc, argv);
}

static int
hm_collect_segs(struct seg_list *l)
{
	return hm_memseg_walk(hm_collect_seg, l);
}

static bool
hm_iova_is_pa(void)
{
	return hm_eal_iova_mode() == HM_IOVA_PA;
}

static bool
hm_check_addr(uintptr_t addr, uint64_t want, char *msg, size_t len)
{
	hm_iova_t got = hm_virt2iova((const void *)addr);

	if (got == want)
		return true;
	snprintf(msg, len, "hm_virt2iova(0x%" PRIxPTR ") = 0x%" PRIx64 ", memseg says 0x%" PRIx64,
		 addr, got, want);
	return false;
}

static void *
hm_bench_dma_alloc(size_t size, size_t align, unsigned int hm_flags, uint64_t *iova)
{
	hm_iova_t got = HM_BAD_IOVA;
	void *addr = hm_dma_alloc(size, align, 0, hm_flags, &got);

	*iova = got;
	return addr;
}

static uint64_t
hm_bench_virt2iova(const void *addr)
{
	return hm_virt2iova(addr);
}

static void *
hm_bench_mz_reserve(const char *name, size_t len, size_t align, unsigned int hm_flags,
		    const void **handle, uint64_t *iova)
{
	const struct hm_memzone *mz = hm_memzone_reserve(name, len, 0, hm_flags, align);

	*handle = mz;
	if (mz == NULL)
		return NULL;
	*iova = mz->iova;
	return mz->addr;
}

static int
hm_bench_mz_free(const void *handle)
{
	return hm_memzone_free(handle);
}

/* The zones of socket 0 that exist (DMA32, Normal), summed. */
static int
hm_heap_snapshot(struct heap_snap *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int t = 0; t < HM_NR_ZONES; t++) {
		struct zone_snap *z = &s->zone[t];
		struct hm_zone_stats st;
		int ret = hm_buddy_zone_stats(0, (enum hm_zone_type)t, &st);

		z->largest_order = -1;
		z->unusable_2m = -1;
		if (ret == -ENOENT)
			continue; /* no memory in that zone */
		if (ret < 0)
			return ret;
		z->present = 1;
		z->managed_pages = st.managed_pages;
		z->free_pages = st.free_pages;
		z->pcp_pages = st.pcp_pages;
		z->unusable_2m = st.unusable[ORDER_2M];
		for (int o = HM_BUDDY_MAX_ORDER; o >= 0 && z->largest_order < 0; o--)
			if (st.nr_free[o] != 0)
				z->largest_order = (int8_t)o;
		s->total_bytes += st.managed_pages * HM_BUDDY_PAGE_SIZE;
		s->free_bytes += st.free_pages * HM_BUDDY_PAGE_SIZE;
		s->cached_bytes += st.pcp_pages * HM_BUDDY_PAGE_SIZE;
		if (z->largest_order >= 0 &&
		    ((uint64_t)HM_BUDDY_PAGE_SIZE << z->largest_order) > s->largest_free)
			s->largest_free = (uint64_t)HM_BUDDY_PAGE_SIZE << z->largest_order;
	}
	s->allocated_bytes = s->total_bytes - s->free_bytes - s->cached_bytes;
	s->largest_contig = s->largest_free; /* every buddy block is */
	return 0;
}

static void
hm_drain_caches(void)
{
	hm_buddy_drain_lcore(hm_lcore_id());
}

static int
hm_run_on_lcores(int (*fn)(void *arg), void *arg, unsigned int n)
{
	int ret;

	if (n == 1) {
		fn(arg);
		return 0;
	}
	if (n != hm_lcore_count())
		return -EINVAL;
	ret = hm_eal_mp_remote_launch(fn, arg, true);
	if (ret < 0)
		return ret;
	hm_eal_mp_wait_lcore();
	return 0;
}

static const struct eal_ops hm_ops = {
    .init = hm_checked_init,
    .cleanup = hm_eal_cleanup,
    .collect_segs = hm_collect_segs,
    .iova_is_pa = hm_iova_is_pa,
    .runtime_dir = hm_eal_runtime_dir,
    .check_addr = hm_check_addr,
    .dma_label = "hm_dma_alloc()",
    .mz_label = "hm_memzone_reserve()",
    .dma_alloc = hm_bench_dma_alloc,
    .dma_free = hm_dma_free,
    .virt2iova = hm_bench_virt2iova,
    .mz_reserve = hm_bench_mz_reserve,
    .mz_free = hm_bench_mz_free,
    .heap_snapshot = hm_heap_snapshot,
    .drain_caches = hm_drain_caches,
    .audit = hm_buddy_audit,
    .run_on_lcores = hm_run_on_lcores,
};

static int
dpdk_init(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);

	return ret < 0 ? -(rte_errno != 0 ? rte_errno : EINVAL) : ret;
}

static int
dpdk_cleanup(void)
{
	return rte_eal_cleanup() < 0 ? -(rte_errno != 0 ? rte_errno : EIO) : 0;
}

static int
dpdk_collect_segs(struct seg_list *l)
{
	return rte_memseg_walk(rte_collect_seg, l);
}

static bool
dpdk_iova_is_pa(void)
{
	return rte_eal_iova_mode() == RTE_IOVA_PA;
}

static bool
dpdk_check_addr(uintptr_t addr, uint64_t want, char *msg, size_t len)
{
	const void *p = (const void *)addr;
	rte_iova_t got = rte_mem_virt2iova(p);
	const struct rte_memseg *ms;

	if (got == RTE_BAD_IOVA) {
		snprintf(msg, len, "rte_mem_virt2iova(%p) = RTE_BAD_IOVA, memseg says 0x%" PRIx64,
			 p, want);
		return false;
	}
	if (got != want) {
		snprintf(msg, len, "rte_mem_virt2iova(%p) = 0x%" PRIx64 ", memseg says 0x%" PRIx64,
			 p, got, want);
		return false;
	}
	ms = rte_mem_virt2memseg(p, NULL);
	if (ms == NULL || ms->iova + (addr - (uintptr_t)ms->addr) != want) {
		snprintf(msg, len, "rte_mem_virt2memseg(%p) does not give IOVA 0x%" PRIx64, p,
			 want);
		return false;
	}
	return true;
}

/* rte_malloc() gives no IOVA: a driver asks rte_malloc_virt2iova(), so the timed call does too. */
static void *
dpdk_dma_alloc(size_t size, size_t align, unsigned int hm_flags, uint64_t *iova)
{
	void *addr = rte_malloc_socket(NULL, size, (unsigned int)align, 0);

	(void)hm_flags;
	*iova = addr != NULL ? rte_malloc_virt2iova(addr) : RTE_BAD_IOVA;
	return addr;
}

static int
dpdk_dma_free(void *addr)
{
	rte_free(addr);
	return 0;
}

static uint64_t
dpdk_virt2iova(const void *addr)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg(addr, NULL);

	return ms != NULL ? ms->iova + ((uintptr_t)addr - (uintptr_t)ms->addr) : RTE_BAD_IOVA;
}

/* IOVA_CONTIG: what a memzone for a device needs, and what hugemem's always are. */
static void *
dpdk_mz_reserve(const char *name, size_t len, size_t align, unsigned int hm_flags,
		const void **handle, uint64_t *iova)
{
	const struct rte_memzone *mz =
	    rte_memzone_reserve_aligned(name, len, 0, RTE_MEMZONE_IOVA_CONTIG, (unsigned int)align);

	(void)hm_flags;
	*handle = mz;
	if (mz == NULL)
		return NULL;
	*iova = mz->iova;
	return mz->addr;
}

static int
dpdk_mz_free(const void *handle)
{
	return rte_memzone_free(handle);
}

static int
dpdk_heap_snapshot(struct heap_snap *s)
{
	struct rte_malloc_socket_stats st;
	const struct rte_memzone *mz;

	memset(s, 0, sizeof(*s));
	if (rte_malloc_get_socket_stats(0, &st) < 0)
		return -EINVAL;
	s->total_bytes = st.heap_totalsz_bytes;
	s->free_bytes = st.heap_freesz_bytes;
	s->largest_free = st.greatest_free_size;
	s->allocated_bytes = st.heap_allocsz_bytes;
	/*
	 * greatest_free_size is contiguous in VA only. A memzone of length 0
	 * is the largest one DPDK can reserve: with IOVA_CONTIG, the largest
	 * free area contiguous in IOVA. Reserved and freed at once, so the
	 * heap is as it was (rte_free() merges it back).
	 */
	mz = rte_memzone_reserve_aligned("bench_largest", 0, 0, RTE_MEMZONE_IOVA_CONTIG,
					 RTE_CACHE_LINE_SIZE);
	if (mz != NULL) {
		s->largest_contig = mz->len;
		rte_memzone_free(mz);
	}
	return 0;
}

static int
dpdk_run_on_lcores(int (*fn)(void *arg), void *arg, unsigned int n)
{
	int ret;

	if (n == 1) {
		fn(arg);
		return 0;
	}
	if (n != rte_lcore_count())
		return -EINVAL;
	ret = rte_eal_mp_remote_launch(fn, arg, CALL_MAIN);
	if (ret < 0)
		return ret;
	rte_eal_mp_wait_lcore();
	return 0;
}

static const struct eal_ops dpdk_ops = {
    .init = dpdk_init,
    .cleanup = dpdk_cleanup,
    .collect_segs = dpdk_collect_segs,
    .iova_is_pa = dpdk_iova_is_pa,
    .runtime_dir = rte_eal_get_runtime_dir,
    .check_addr = dpdk_check_addr,
    .dma_label = "rte_malloc_socket()",
    .mz_label = "rte_memzone_reserve_aligned()",
    .dma_alloc = dpdk_dma_alloc,
    .dma_free = dpdk_dma_free,
    .virt2iova = dpdk_virt2iova,
    .mz_reserve = dpdk_mz_reserve,
    .mz_free = dpdk_mz_free,
    .heap_snapshot = dpdk_heap_snapshot,
    .run_on_lcores = dpdk_run_on_lcores,
};

/* ------------------------------------------------------------ lookups */

/*
 * One function per method, each with the translation inlined where the API
 * allows it (hm_virt2iova() is static inline; the DPDK ones are calls into
 * librte_eal either way). The timing loop calls them through a pointer once
 * per LOOKUP_CHUNK addresses, which costs nothing measurable.
 */
typedef uint64_t(lookup_chunk_t)(const uintptr_t *addrs, size_t n);

static uint64_t
lookup_chunk_hm(const uintptr_t *addrs, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += hm_virt2iova((const void *)addrs[i]);
	return sum;
}

static uint64_t
lookup_chunk_rte_memseg(const uintptr_t *addrs, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rte_memseg *ms = rte_mem_virt2memseg((const void *)addrs[i], NULL);

		sum += ms != NULL ? ms->iova + (addrs[i] - (uintptr_t)ms->addr) : RTE_BAD_IOVA;
	}
	return sum;
}

static uint64_t
lookup_chunk_rte_virt2iova(const uintptr_t *addrs, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += rte_mem_virt2iova((const void *)addrs[i]);
	return sum;
}

static uint64_t
lookup_chunk_rte_virt2phy(const uintptr_t *addrs, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += rte_mem_virt2phy((const void *)addrs[i]);
	return sum;
}

static lookup_chunk_t *const lookup_fns[NB_LOOKUPS] = {
    [LOOKUP_HM] = lookup_chunk_hm,
    [LOOKUP_RTE_MEMSEG] = lookup_chunk_rte_memseg,
    [LOOKUP_RTE_VIRT2IOVA] = lookup_chunk_rte_virt2iova,
    [LOOKUP_RTE_VIRT2PHY] = lookup_chunk_rte_virt2phy,
};

/*
 * Run fn over the addresses, LOOKUP_PASSES times or until LOOKUP_BUDGET_NS
 * have passed, whichever comes first: the table lookups finish their passes,
 * the pagemap readers (microseconds a call) stop on the budget. The sum goes
 * to a volatile so that no lookup can be optimised away.
 */
static void
time_lookups(lookup_chunk_t *fn, const uintptr_t *addrs, size_t n, struct lookup_result *out)
{
	const uint64_t target = (uint64_t)n * LOOKUP_PASSES;
	volatile uint64_t sink;
	uint64_t sum = 0, done = 0, t0, t;
	size_t i = 0;

	sum += fn(addrs, LOOKUP_CHUNK); /* warm up: code, the EAL's tables */
	t0 = now_ns();
	do {
		sum += fn(addrs + i, LOOKUP_CHUNK);
		done += LOOKUP_CHUNK;
		i += LOOKUP_CHUNK;
		if (i >= n)
			i = 0;
		t = now_ns();
	} while (done < target && t - t0 < LOOKUP_BUDGET_NS);
	sink = sum;
	(void)sink;
	out->lookups = done;
	out->ns = t - t0;
}

/* n random addresses, uniform over every byte of the EAL's memory. */
static uintptr_t *
random_addresses(const struct seg_list *l, uint64_t total, size_t n)
{
	uintptr_t *addrs = malloc(n * sizeof(*addrs));
	uint64_t rng = RNG_SEED;

	if (addrs == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint64_t pos = rng_next(&rng) % total;
		const struct seg *s = seg_at_offset(l, pos);

		addrs[i] = s->addr + (uintptr_t)(pos - s->start);
	}
	return addrs;
}

/* ---------------------------------------------------------- verification */

static bool
verify_one(const struct eal_ops *ops, const struct seg_list *l, int pagemap_fd, uintptr_t addr,
	   struct child_result *r)
{
	const struct seg *s = seg_find(l, addr);
	char msg[200];
	uint64_t want, pa;

	if (s == NULL) {
		result_fail(r, CHILD_VERIFY_FAILED, "address 0x%" PRIxPTR " is in no memseg", addr);
		return false;
	}
	want = s->iova + (addr - s->addr);
	if (!ops->check_addr(addr, want, msg, sizeof(msg))) {
		result_fail(r, CHILD_VERIFY_FAILED, "%s", msg);
		return false;
	}
	pa = pagemap_pa(pagemap_fd, addr);
	if (pa != want) {
		result_fail(r, CHILD_VERIFY_FAILED,
			    "0x%" PRIxPTR ": memseg IOVA 0x%" PRIx64
			    " but /proc/self/pagemap gives PA 0x%" PRIx64,
			    addr, want, pa);
		return false;
	}
	r->verified++;
	return true;
}

/*
 * Every VERIFY_STRIDE-th random address, and the first and last byte of
 * every memseg (where an off-by-one in a table would show).
 */
static void
verify_translations(const struct eal_ops *ops, const struct seg_list *l, const uintptr_t *addrs,
		    size_t n, struct child_result *r)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int local = 0;

	if (fd < 0) {
		result_fail(r, CHILD_ERROR, "cannot open /proc/self/pagemap: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i += VERIFY_STRIDE)
		if (!verify_one(ops, l, fd, addrs[i], r))
			goto out;
	for (size_t i = 0; i < l->n; i++) {
		if (!verify_one(ops, l, fd, l->v[i].addr, r) ||
		    !verify_one(ops, l, fd, l->v[i].addr + l->v[i].len - 1, r))
			goto out;
	}
	/* Not hugemem memory: the stack. */
	if (ops == &hm_ops && hm_virt2iova(&local) != HM_BAD_IOVA)
		result_fail(r, CHILD_VERIFY_FAILED,
			    "hm_virt2iova(%p), a stack address, is 0x%" PRIx64 ", not HM_BAD_IOVA",
			    (void *)&local, hm_virt2iova(&local));
out:
	close(fd);
}

/* ------------------------------------------------------------ allocators */

/*
 * One allocated block. Its first and last 8 bytes hold a tag written when it
 * is allocated and checked when it is freed: if an allocator gave the same
 * memory to two live blocks, one of them finds the other's tag.
 */
struct block {
	void *addr;	/* NULL: the slot is empty */
	const void *mz; /* the memzone, in the memzone rows */
	uint64_t iova;	/* as the allocator gave it */
	size_t size;
	uint64_t tag;
};

struct alloc_ctx {
	const struct eal_ops *ops;
	struct child_result *r;
	int pagemap_fd;	       /* >= 0: check every block against pagemap (the trace) */
	unsigned int hm_flags; /* HM_BUDDY_ZERO in the _ZERO rows */
	uint64_t serial;       /* allocations so far, for the tags */
	uint64_t failures;     /* allocations that returned NULL */
	uint64_t checked;      /* blocks checked against pagemap */
	uint64_t not_contig;   /* of those, not contiguous in IOVA (DPDK only) */
	char mz_names[MZ_BATCH][32];
};

/* 2^f for f in [0, 1), as the series of e^(f ln 2): the bench links no libm. */
static double
exp2_frac(double f)
{
	double y = f * 0.6931471805599453, term = 1, sum = 1;

	for (int i = 1; i < 16; i++) {
		term *= y / i;
		sum += term;
	}
	return sum;
}

/*
 * The next request of the random mix: a size log-uniform in [64 B, 2 MiB),
 * aligned as a DMA user would ask: each allocator's default (hugemem 4 KiB,
 * DPDK a cache line) below a page, page aligned from a page up.
 */
static void
mix_draw(uint64_t *rng, size_t *size, size_t *align)
{
	double x = (double)(rng_next(rng) >> 11) * 0x1.0p-53 * (MIX_MAX_SHIFT - MIX_MIN_SHIFT);
	unsigned int e = (unsigned int)x;
	size_t s = (size_t)((double)(1ULL << (MIX_MIN_SHIFT + e)) * exp2_frac(x - e));

	if (s < (1u << MIX_MIN_SHIFT))
		s = 1u << MIX_MIN_SHIFT;
	*size = s;
	*align = s < DMA_ALIGN ? 0 : DMA_ALIGN;
}

static bool
is_hm(const struct alloc_ctx *c)
{
	return c->ops == &hm_ops;
}

/*
 * A block just allocated: its IOVA is the memseg table's and aligned; in the
 * trace also the first byte is at that IOVA in pagemap and the last at
 * IOVA + size - 1 (hugemem's promise; DPDK's only within a memseg, so for
 * DPDK that is counted, not failed).
 */
static bool
check_block(struct alloc_ctx *c, const struct block *b, size_t align, const char *what)
{
	const uint64_t mask = align > 0 ? align - 1 : 0;
	uint64_t want = c->ops->virt2iova(b->addr), first, last;
	int order;

	if (b->iova == NO_IOVA || b->iova != want) {
		result_fail(c->r, CHILD_VERIFY_FAILED,
			    "%s(%zu) = %p with IOVA 0x%" PRIx64
			    ", but the memseg table says 0x%" PRIx64,
			    what, b->size, b->addr, b->iova, want);
		return false;
	}
	if (((uintptr_t)b->addr & mask) != 0 || (b->iova & mask) != 0) {
		result_fail(c->r, CHILD_ERROR,
			    "%s(%zu, align %zu) = %p, IOVA 0x%" PRIx64 ": unaligned", what, b->size,
			    align, b->addr, b->iova);
		return false;
	}
	if (c->pagemap_fd < 0)
		return true;
	first = pagemap_pa(c->pagemap_fd, (uintptr_t)b->addr);
	last = pagemap_pa(c->pagemap_fd, (uintptr_t)b->addr + b->size - 1);
	if (first != b->iova) {
		result_fail(c->r, CHILD_VERIFY_FAILED,
			    "%s(%zu) = %p with IOVA 0x%" PRIx64 ", but pagemap says PA 0x%" PRIx64,
			    what, b->size, b->addr, b->iova, first);
		return false;
	}
	c->checked++;
	if (last != b->iova + b->size - 1) {
		if (!is_hm(c)) {
			c->not_contig++;
			return true;
		}
		result_fail(c->r, CHILD_ERROR,
			    "%s(%zu) = %p, IOVA 0x%" PRIx64 ": its last byte is at PA 0x%" PRIx64
			    ", not at IOVA + size - 1: the block is not contiguous",
			    what, b->size, b->addr, b->iova, last);
		return false;
	}
	if (is_hm(c)) {
		order = hm_buddy_block_order(b->addr);
		if (order < 0 || ((uint64_t)HM_BUDDY_PAGE_SIZE << order) < b->size) {
			result_fail(c->r, CHILD_ERROR,
				    "%s(%zu) = %p, but hm_buddy_block_order() says %d", what,
				    b->size, b->addr, order);
			return false;
		}
	}
	return true;
}

/* Allocate into b (a memzone if mz_slot >= 0). @return false after a failed check. */
static bool
block_alloc(struct alloc_ctx *c, struct block *b, size_t size, size_t align, int mz_slot)
{
	const char *what = mz_slot >= 0 ? c->ops->mz_label : c->ops->dma_label;
	uint64_t tag;

	b->mz = NULL;
	b->iova = NO_IOVA;
	b->size = size;
	if (mz_slot >= 0)
		b->addr = c->ops->mz_reserve(c->mz_names[mz_slot], size, align, c->hm_flags, &b->mz,
					     &b->iova);
	else
		b->addr = c->ops->dma_alloc(size, align, c->hm_flags, &b->iova);
	if (b->addr == NULL) {
		c->failures++;
		return true;
	}
	if (!check_block(c, b, align, what))
		return false;
	tag = ++c->serial * RNG_SEED; /* odd multiplier: distinct for 2^64 blocks */
	b->tag = tag;
	memcpy(b->addr, &tag, sizeof(tag));
	memcpy((char *)b->addr + size - sizeof(tag), &tag, sizeof(tag));
	return true;
}

/* Check b's tags and free it; an empty slot is fine. @return false on a failure. */
static bool
block_free(struct alloc_ctx *c, struct block *b)
{
	uint64_t head, tail;
	int ret;

	if (b->addr == NULL)
		return true;
	memcpy(&head, b->addr, sizeof(head));
	memcpy(&tail, (char *)b->addr + b->size - sizeof(tail), sizeof(tail));
	if (head != b->tag || tail != b->tag) {
		result_fail(c->r, CHILD_ERROR,
			    "the %zu-byte block at %p (IOVA 0x%" PRIx64
			    ") was overwritten while live: %s gave its memory out twice",
			    b->size, b->addr, b->iova,
			    b->mz ? c->ops->mz_label : c->ops->dma_label);
		return false;
	}
	ret = b->mz != NULL ? c->ops->mz_free(b->mz) : c->ops->dma_free(b->addr);
	if (ret != 0) {
		result_fail(c->r, CHILD_ERROR, "freeing the %zu-byte block at %p: %s", b->size,
			    b->addr, strerror(-ret));
		return false;
	}
	b->addr = NULL;
	return true;
}

static bool
free_all(struct alloc_ctx *c, struct block *blocks, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!block_free(c, &blocks[i]))
			return false;
	return true;
}

/* One batch of a fixed-size row: n allocations, then their frees in the same order. */
static bool
fixed_batch(struct alloc_ctx *c, const struct alloc_row_desc *d, struct block *blocks,
	    unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!block_alloc(c, &blocks[i], d->size, DMA_ALIGN, d->memzone ? (int)i : -1))
			return false;
	return free_all(c, blocks, n);
}

static void
time_fixed_row(struct alloc_ctx *c, const struct alloc_row_desc *d, struct block *blocks,
	       struct alloc_result *out)
{
	const unsigned int n = d->memzone ? MZ_BATCH : DMA_BATCH;
	uint64_t t0, done;

	if (!fixed_batch(c, d, blocks, n)) /* warm up */
		return;
	c->failures = 0;
	t0 = now_ns();
	for (done = 0; done < d->ops && now_ns() - t0 < ALLOC_BUDGET_NS; done += n)
		if (!fixed_batch(c, d, blocks, n))
			return;
	out->ns = now_ns() - t0;
	out->ops = done;
	out->failures = c->failures;
}

/* The first MIX_WINDOW requests of the mix, one in each slot. */
static bool
mix_fill(struct alloc_ctx *c, struct block *slots, uint64_t *rng)
{
	for (unsigned int j = 0; j < MIX_WINDOW; j++) {
		size_t size, align;

		mix_draw(rng, &size, &align);
		if (!block_alloc(c, &slots[j], size, align, -1))
			return false;
	}
	return true;
}

/*
 * One step of the mix: free the block of a random slot (empty if its last
 * allocation failed) and allocate the next request there. The draws do not
 * depend on what the allocator did, so both sides see the same sequence.
 */
static bool
mix_step(struct alloc_ctx *c, struct block *slots, uint64_t *rng)
{
	unsigned int j = (unsigned int)(rng_next(rng) % MIX_WINDOW);
	size_t size, align;

	mix_draw(rng, &size, &align);
	return block_free(c, &slots[j]) && block_alloc(c, &slots[j], size, align, -1);
}

/* The timed mix: fill the window, time MIX_STEPS steps, free the window. */
static void
time_mix_row(struct alloc_ctx *c, struct block *slots, struct alloc_result *out)
{
	uint64_t rng = ALLOC_SEED, t0, done;

	if (!mix_fill(c, slots, &rng))
		return;
	c->failures = 0;
	t0 = now_ns();
	for (done = 0; done < MIX_STEPS; done++)
		if (!mix_step(c, slots, &rng))
			return;
	out->ns = now_ns() - t0;
	out->ops = done;
	out->failures = c->failures;
	free_all(c, slots, MIX_WINDOW);
}

static bool
take_snapshot(struct alloc_ctx *c, enum snap_point p)
{
	int ret = c->ops->heap_snapshot(&c->r->trace.snap[p]);

	if (ret < 0)
		result_fail(c->r, CHILD_ERROR, "heap statistics: %s", strerror(-ret));
	return ret == 0;
}

/* hm_buddy_audit() must return 0; for DPDK there is nothing to call. */
static bool
run_audit(struct alloc_ctx *c, const char *when)
{
	int ret;

	if (c->ops->audit == NULL)
		return true;
	ret = c->ops->audit();
	if (ret != 0) {
		result_fail(c->r, CHILD_ERROR,
			    "hm_buddy_audit() returned %d (%s) %s; the buddy log line above names "
			    "the violation",
			    ret, strerror(ret < 0 ? -ret : ret), when);
		return false;
	}
	c->r->trace.audits++;
	return true;
}

/*
 * The fragmentation trace: the mix for TRACE_STEPS steps with every block
 * checked against pagemap, a snapshot with the live blocks held, then the
 * frees and the snapshots after them.
 */
static void
run_trace(struct alloc_ctx *c, struct block *slots, int pagemap_fd)
{
	struct trace_result *t = &c->r->trace;
	uint64_t rng = ALLOC_SEED;

	if (!take_snapshot(c, SNAP_FRESH))
		return;
	c->pagemap_fd = pagemap_fd;
	c->failures = 0;
	if (!mix_fill(c, slots, &rng))
		goto out;
	for (t->steps = 0; t->steps < TRACE_STEPS; t->steps++)
		if (!mix_step(c, slots, &rng))
			goto out;
	t->failures = c->failures;
	t->checked = c->checked;
	t->not_contig = c->not_contig;
	for (unsigned int j = 0; j < MIX_WINDOW; j++) {
		if (slots[j].addr != NULL) {
			t->live_blocks++;
			t->live_requested += slots[j].size;
		}
	}
	if (!take_snapshot(c, SNAP_HELD) || !run_audit(c, "with the trace's blocks held"))
		goto out;
	if (!free_all(c, slots, MIX_WINDOW) || !take_snapshot(c, SNAP_FREED) ||
	    !run_audit(c, "after freeing the trace's blocks"))
		goto out;
	if (c->ops->drain_caches != NULL)
		c->ops->drain_caches();
	if (!take_snapshot(c, SNAP_DRAINED) || !run_audit(c, "after draining the lcore cache"))
		goto out;
	/* hugemem must have every page back; DPDK's figures are shown, not judged. */
	if (is_hm(c) &&
	    t->snap[SNAP_DRAINED].allocated_bytes != t->snap[SNAP_FRESH].allocated_bytes)
		result_fail(c->r, CHILD_ERROR,
			    "after freeing every block of the trace and draining the lcore cache, "
			    "%" PRIu64 " bytes are still allocated (%" PRIu64 " before the trace)",
			    t->snap[SNAP_DRAINED].allocated_bytes,
			    t->snap[SNAP_FRESH].allocated_bytes);
out:
	c->pagemap_fd = -1;
}

/*
 * The allocator child: the trace first, from the fresh EAL, then the timed
 * rows, each starting from what the one before left, with an audit after each.
 */
static void
measure_allocators(const struct eal_ops *ops, struct child_result *r)
{
	struct alloc_ctx c = {.ops = ops, .r = r, .pagemap_fd = -1};
	struct block *blocks = calloc(MIX_WINDOW, sizeof(*blocks));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	char when[96];

	if (blocks == NULL) {
		result_fail(r, CHILD_ERROR, "no memory for %u blocks", MIX_WINDOW);
		goto out;
	}
	if (fd < 0) {
		result_fail(r, CHILD_ERROR, "cannot open /proc/self/pagemap: %s", strerror(errno));
		goto out;
	}
	for (unsigned int i = 0; i < MZ_BATCH; i++)
		snprintf(c.mz_names[i], sizeof(c.mz_names[i]), "bench_mz_%u", i);
	run_trace(&c, blocks, fd);
	for (unsigned int row = 0; row < NB_ALLOC_ROWS && r->status == CHILD_OK; row++) {
		const struct alloc_row_desc *d = &alloc_rows[row];

		if (d->zero && !is_hm(&c))
			continue;
		c.hm_flags = d->zero ? HM_BUDDY_ZERO : 0;
		if (d->size == 0)
			time_mix_row(&c, blocks, &r->alloc[row]);
		else
			time_fixed_row(&c, d, blocks, &r->alloc[row]);
		snprintf(when, sizeof(when), "after the %s %s%s row", d->group,
			 d->memzone ? ops->mz_label : ops->dma_label,
			 d->zero ? " HM_BUDDY_ZERO" : "");
		if (r->status == CHILD_OK)
			run_audit(&c, when);
	}
out:
	if (fd >= 0)
		close(fd);
	free(blocks);
}

/* ------------------------------------------------------------------ slab */

/*
 * The slab section's allocators, each reduced to a malloc() and a free().
 * hugemem's and DPDK's calls take more arguments, so they go through a
 * wrapper that compiles to a tail call: every allocator is timed through
 * one indirect call per allocation and one per free, as glibc's malloc()
 * (through the table) and the dlsym()ed ones are.
 */

static void *
bench_kmalloc(size_t size)
{
	return hm_kmalloc(size, 0);
}

static void
bench_kfree(void *obj)
{
	hm_kfree(obj);
}

/*
 * The cache of the row a thread is timing, set by the thread before it
 * starts: hm_slab_alloc() takes a cache, and malloc()'s type has no room
 * for one.
 */
static __thread struct hm_slab_cache *bench_slab_cache;

static void *
bench_slab_alloc(size_t size)
{
	(void)size;
	return hm_slab_alloc(bench_slab_cache, 0);
}

static void
bench_slab_free(void *obj)
{
	hm_slab_free(obj);
}

static void *
bench_rte_malloc(size_t size)
{
	return rte_malloc(NULL, size, 0);
}

struct slab_alloc_desc {
	const char *label;	     /* column of the table */
	enum bench_kind kind;	     /* the child that times it */
	void *(*alloc)(size_t size); /* NULL: alloc_sym from soname */
	void (*free)(void *obj);
	const char *soname; /* a library to dlopen() and look the two symbols up in */
	const char *alloc_sym;
	const char *free_sym;
	bool cache_per_size; /* hm_slab_alloc(): the child makes a cache per size */
};

static const struct slab_alloc_desc slab_allocs[NB_SLAB_ALLOCS] = {
    [SA_KMALLOC] = {"hm_kmalloc", KIND_HM_SLAB, bench_kmalloc, bench_kfree},
    [SA_SLAB] = {"hm_slab_alloc", KIND_HM_SLAB, bench_slab_alloc, bench_slab_free,
		 .cache_per_size = true},
    [SA_MIMALLOC] = {"mimalloc", KIND_MALLOC_SLAB, .soname = "libmimalloc.so.2",
		     .alloc_sym = "mi_malloc", .free_sym = "mi_free"},
    [SA_JEMALLOC] = {"jemalloc", KIND_MALLOC_SLAB, .soname = "libjemalloc.so.2",
		     .alloc_sym = "malloc", .free_sym = "free"},
    [SA_GLIBC] = {"glibc malloc", KIND_MALLOC_SLAB, malloc, free},
    [SA_RTE_MALLOC] = {"rte_malloc", KIND_DPDK_SLAB, bench_rte_malloc, rte_free},
};

/* One thread of a row, aligned so that two threads share no cache line. */
struct slab_worker {
	uint64_t ops;	   /* alloc + free pairs in the timed window */
	uint64_t ns;	   /* the window, as this thread measured it */
	uint64_t failures; /* allocations that returned NULL in the window */
	char error[192];   /* a failed check, or "" */
} __attribute__((aligned(64)));

/* One row of one allocator: what its threads run, and their results. */
struct slab_run {
	void *(*alloc)(size_t size);
	void (*free)(void *obj);
	const char *label;
	struct hm_slab_cache *cache; /* hm_slab_alloc()'s, else NULL */
	size_t size;
	enum slab_pattern pattern;
	unsigned int nb_workers;
	atomic_uint next_worker; /* each thread takes the next worker slot */
	atomic_uint ready;	 /* threads at the start barrier */
	struct slab_worker worker[SLAB_MAX_LCORES];
};

typedef int(slab_launch_fn)(int (*fn)(void *arg), void *arg, unsigned int n);

/* Rows go by pattern, then size, then lcores; print_slab_row_label() undoes this. */
static unsigned int
slab_row(enum slab_pattern pattern, unsigned int size_index, unsigned int nb_lcores)
{
	unsigned int pattern_size = (unsigned int)pattern * NB_SLAB_SIZES + size_index;

	return pattern_size * SLAB_MAX_LCORES + nb_lcores - 1;
}

/*
 * The function pointers are copied to locals so that they stay in
 * registers across the calls, as a direct call's address would be.
 */
static void
slab_pairs(const struct slab_run *run, struct slab_worker *w)
{
	void *(*alloc)(size_t size) = run->alloc;
	void (*release)(void *obj) = run->free;
	const size_t size = run->size;

	for (unsigned int i = 0; i < SLAB_CHUNK; i++) {
		char *obj = alloc(size);

		if (obj == NULL) {
			w->failures++;
			continue;
		}
		*(volatile char *)obj = (char)i;
		release(obj);
	}
}

static void
slab_batches(const struct slab_run *run, struct slab_worker *w)
{
	void *(*alloc)(size_t size) = run->alloc;
	void (*release)(void *obj) = run->free;
	const size_t size = run->size;
	char *objs[SLAB_BATCH];

	for (unsigned int b = 0; b < SLAB_CHUNK / SLAB_BATCH; b++) {
		for (unsigned int i = 0; i < SLAB_BATCH; i++) {
			objs[i] = alloc(size);
			if (objs[i] == NULL)
				w->failures++;
			else
				*(volatile char *)objs[i] = (char)i;
		}
		for (unsigned int i = 0; i < SLAB_BATCH; i++)
			if (objs[i] != NULL)
				release(objs[i]);
	}
}

/* Chunks of SLAB_CHUNK pairs until the deadline. @return the pairs done. */
static uint64_t
slab_loop(const struct slab_run *run, struct slab_worker *w, uint64_t deadline)
{
	uint64_t done = 0;

	do {
		if (run->pattern == SLAB_PAIRS)
			slab_pairs(run, w);
		else
			slab_batches(run, w);
		done += SLAB_CHUNK;
	} while (now_ns() < deadline);
	return done;
}

/*
 * Untimed, before the warm-up: a batch whose objects are each filled whole
 * with a byte of their own, read back once all are allocated. An allocator
 * that gives out overlapping or short objects fails the run rather than
 * looking fast.
 */
static void
slab_check(const struct slab_run *run, struct slab_worker *w)
{
	unsigned char *objs[SLAB_BATCH];
	unsigned int n, i;

	for (n = 0; n < SLAB_BATCH; n++) {
		objs[n] = run->alloc(run->size);
		if (objs[n] == NULL) {
			snprintf(w->error, sizeof(w->error),
				 "%s(%zu) returned NULL (%s) with %u objects of the check live",
				 run->label, run->size, strerror(errno), n);
			break;
		}
		memset(objs[n], (int)n + 1, run->size);
	}
	for (i = 0; i < n && w->error[0] == '\0'; i++) {
		for (size_t b = 0; b < run->size; b++) {
			if (objs[i][b] == i + 1)
				continue;
			snprintf(w->error, sizeof(w->error),
				 "%s(%zu) = %p: byte %zu was overwritten while the object was "
				 "live: two live objects overlap",
				 run->label, run->size, (void *)objs[i], b);
			break;
		}
	}
	for (i = 0; i < n; i++)
		run->free(objs[i]);
}

/*
 * What each thread of a row runs: the check, the warm-up, then the timed
 * window, which the threads start together so that their rates overlap and
 * add up.
 */
static int
slab_worker_main(void *arg)
{
	struct slab_run *run = arg;
	unsigned int slot = atomic_fetch_add(&run->next_worker, 1);
	struct slab_worker *w;
	uint64_t t0;

	if (slot >= run->nb_workers)
		return -EINVAL; /* cannot happen: the launchers start nb_workers threads */
	w = &run->worker[slot];
	bench_slab_cache = run->cache;
	slab_check(run, w);
	slab_loop(run, w, now_ns() + SLAB_WARMUP_NS);
	w->failures = 0;
	atomic_fetch_add(&run->ready, 1);
	while (atomic_load(&run->ready) < run->nb_workers)
		sched_yield();
	t0 = now_ns();
	w->ops = slab_loop(run, w, t0 + SLAB_WINDOW_NS);
	w->ns = now_ns() - t0;
	return 0;
}

/* A pthread of the malloc()-like peers; it waits at the gate until all are created. */
struct cpu_thread {
	int (*fn)(void *arg);
	void *arg;
	atomic_int gate; /* 0: wait, 1: run, -1: give up */
};

static void *
cpu_thread_main(void *p)
{
	struct cpu_thread *t = p;
	int gate;

	while ((gate = atomic_load(&t->gate)) == 0)
		sched_yield();
	if (gate > 0)
		t->fn(t->arg);
	return NULL;
}

/*
 * The launcher of the child without an EAL: fn(arg) on n pthreads, thread i
 * pinned to CPU i as lcore i of "-l 0-1" is. None runs before all exist, so
 * a failed pthread_create() leaves no thread waiting for the others.
 */
static int
pthread_run_on_cpus(int (*fn)(void *arg), void *arg, unsigned int n)
{
	struct cpu_thread t = {.fn = fn, .arg = arg};
	pthread_t tid[SLAB_MAX_LCORES];
	unsigned int i;
	int ret = 0;

	if (n > SLAB_MAX_LCORES)
		return -EINVAL;
	atomic_init(&t.gate, 0);
	for (i = 0; i < n; i++) {
		pthread_attr_t attr;
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		CPU_SET(i, &cpus);
		ret = pthread_attr_init(&attr);
		if (ret != 0)
			break;
		ret = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		if (ret == 0)
			ret = pthread_create(&tid[i], &attr, cpu_thread_main, &t);
		pthread_attr_destroy(&attr);
		if (ret != 0)
			break;
	}
	atomic_store(&t.gate, ret == 0 ? 1 : -1);
	while (i-- > 0)
		pthread_join(tid[i], NULL);
	return -ret;
}

/* Run one row on its threads and add their results up. @return false after a failure. */
static bool
slab_time_row(struct slab_run *run, slab_launch_fn *launch, struct slab_result *out,
	      struct child_result *r)
{
	int ret;

	atomic_store(&run->next_worker, 0);
	atomic_store(&run->ready, 0);
	memset(run->worker, 0, sizeof(run->worker));
	ret = launch(slab_worker_main, run, run->nb_workers);
	if (ret < 0) {
		result_fail(r, CHILD_ERROR, "%s: cannot run on %u lcores: %s", run->label,
			    run->nb_workers, strerror(-ret));
		return false;
	}
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < run->nb_workers; i++) {
		const struct slab_worker *w = &run->worker[i];

		if (w->error[0] != '\0') {
			result_fail(r, CHILD_ERROR, "%s", w->error);
			return false;
		}
		if (w->ns == 0) {
			result_fail(r, CHILD_ERROR, "%s: thread %u of %u did not run", run->label,
				    i, run->nb_workers);
			return false;
		}
		out->ops_per_s += (double)w->ops * 1e9 / (double)w->ns;
		out->failures += w->failures;
	}
	return true;
}

/*
 * The allocator's functions into run: linked in, or looked up on the handle
 * of its library. RTLD_LOCAL keeps the library's malloc() and free() from
 * replacing glibc's for the rest of the process. The handle stays open
 * until the child exits, as a malloc library that has served threads is
 * not safe to unload. @return false with the reason in why.
 */
static bool
slab_resolve(const struct slab_alloc_desc *d, struct slab_run *run, char *why, size_t len)
{
	void *handle;

	run->alloc = d->alloc;
	run->free = d->free;
	if (d->soname == NULL)
		return true;
	handle = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		const char *err = dlerror();
		int n = snprintf(why, len, "dlopen(%s): %s", d->soname, err);

		if (strstr(err, "static TLS") != NULL && n >= 0 && (size_t)n < len)
			snprintf(why + n, len - (size_t)n,
				 " (GLIBC_TUNABLES=" STATIC_TLS_TUNABLE "=%u makes room)",
				 SLAB_STATIC_TLS);
		return false;
	}
	run->alloc = (void *(*)(size_t))dlsym(handle, d->alloc_sym);
	run->free = (void (*)(void *))dlsym(handle, d->free_sym);
	if (run->alloc == NULL || run->free == NULL) {
		snprintf(why, len, "%s has no %s or %s: %s", d->soname, d->alloc_sym, d->free_sym,
			 dlerror());
		return false;
	}
	return true;
}

/* Every row of one allocator. @return false after a failure. */
static bool
slab_time_allocator(const struct slab_alloc_desc *d, struct slab_run *run,
		    struct hm_slab_cache *const *caches, slab_launch_fn *launch,
		    struct slab_result *rows, struct child_result *r)
{
	run->label = d->label;
	for (unsigned int p = 0; p < NB_SLAB_PATTERNS; p++) {
		for (unsigned int s = 0; s < NB_SLAB_SIZES; s++) {
			for (unsigned int n = 1; n <= SLAB_MAX_LCORES; n++) {
				run->pattern = (enum slab_pattern)p;
				run->size = slab_sizes[s];
				run->nb_workers = n;
				run->cache = d->cache_per_size ? caches[s] : NULL;
				if (!slab_time_row(run, launch, &rows[slab_row(p, s, n)], r))
					return false;
			}
		}
	}
	return true;
}

/* Objects allocated and not freed in all the kmalloc caches. */
static long
kmalloc_live_objects(void)
{
	long sum = 0;

	for (unsigned int i = 0; i < HM_KMALLOC_NR_CACHES; i++) {
		const struct hm_slab_cache *cache = hm_kmalloc_cache(i);
		long n = cache != NULL ? hm_slab_cache_live_objects(cache) : 0;

		if (n > 0)
			sum += n;
	}
	return sum;
}

static bool
hm_bench_caches_create(struct hm_slab_cache **caches, struct child_result *r)
{
	char name[HM_SLAB_NAMESIZE];

	for (unsigned int s = 0; s < NB_SLAB_SIZES; s++) {
		snprintf(name, sizeof(name), "bench_%zu", slab_sizes[s]);
		caches[s] = hm_slab_cache_create(name, slab_sizes[s], 0, 0, NULL, NULL);
		if (caches[s] == NULL) {
			result_fail(r, CHILD_ERROR, "hm_slab_cache_create(%s, %zu): %s", name,
				    slab_sizes[s], strerror(errno));
			return false;
		}
	}
	return true;
}

/*
 * After hugemem's rows: no kmalloc object more live than before, every
 * bench cache destroyed (which fails if an object is still live), and
 * hm_slab_audit() clean.
 */
static void
hm_bench_caches_check(struct hm_slab_cache **caches, long kmalloc_live, struct child_result *r)
{
	long live = kmalloc_live_objects();
	int ret;

	if (live != kmalloc_live)
		result_fail(r, CHILD_ERROR,
			    "%ld kmalloc objects live after the rows, which freed every one of "
			    "theirs (%ld before)",
			    live, kmalloc_live);
	for (unsigned int s = 0; s < NB_SLAB_SIZES; s++) {
		if (caches[s] == NULL)
			continue;
		ret = hm_slab_cache_destroy(caches[s]);
		if (ret < 0)
			result_fail(r, CHILD_ERROR,
				    "hm_slab_cache_destroy(bench_%zu) after its rows: %s (%ld "
				    "objects live)",
				    slab_sizes[s], strerror(-ret),
				    hm_slab_cache_live_objects(caches[s]));
	}
	ret = hm_slab_audit();
	if (ret != 0)
		result_fail(r, CHILD_ERROR,
			    "hm_slab_audit() returned %d (%s) after the slab rows; the slab log "
			    "line above names the violation",
			    ret, strerror(ret < 0 ? -ret : ret));
}

/*
 * A slab child: every allocator of its kind, in an order rotated by the
 * round, each through all its rows. ops is NULL in the child without an EAL.
 */
static void
measure_slab(enum bench_kind kind, unsigned int round, const struct eal_ops *ops,
	     struct child_result *r)
{
	slab_launch_fn *launch = ops != NULL ? ops->run_on_lcores : pthread_run_on_cpus;
	struct hm_slab_cache *caches[NB_SLAB_SIZES] = {NULL};
	long kmalloc_live = 0;
	struct slab_run run;

	if (kind == KIND_HM_SLAB) {
		if (!hm_bench_caches_create(caches, r))
			goto out;
		kmalloc_live = kmalloc_live_objects();
	}
	for (unsigned int i = 0; i < NB_SLAB_ALLOCS && r->status == CHILD_OK; i++) {
		unsigned int a = (i + round) % NB_SLAB_ALLOCS;
		const struct slab_alloc_desc *d = &slab_allocs[a];

		if (d->kind != kind)
			continue;
		memset(&run, 0, sizeof(run));
		if (!slab_resolve(d, &run, r->slab_skipped[a], sizeof(r->slab_skipped[a])))
			continue;
		slab_time_allocator(d, &run, caches, launch, r->slab[a], r);
	}
out:
	if (kind == KIND_HM_SLAB)
		hm_bench_caches_check(caches, kmalloc_live, r);
}

/* ------------------------------------------------------- ring and mempool */

/* A ring and mempool child: the sections asked for, in bench_ring.c and bench_mempool.c. */
static void
measure_queues(const struct kind_desc *k, uint32_t sections, const struct eal_ops *ops,
	       struct child_result *r)
{
	enum bench_lib lib = k->is_hm ? BENCH_LIB_HM : BENCH_LIB_DPDK;
	char err[sizeof(r->error)] = "";

	if ((sections & 1u << SECTION_RING) &&
	    bench_ring_measure(lib, ops->run_on_lcores, &r->ring, err, sizeof(err)) < 0) {
		result_fail(r, CHILD_ERROR, "%s", err);
		return;
	}
	if ((sections & 1u << SECTION_MEMPOOL) &&
	    bench_mempool_measure(lib, ops->run_on_lcores, &r->mempool, err, sizeof(err)) < 0)
		result_fail(r, CHILD_ERROR, "%s", err);
}

/* ------------------------------------------------------------- service */

/*
 * A service child, the primary of prefix: its clients and their rows, in
 * bench_service.c. DPDK's side that cannot run is skipped, not a failure.
 */
static void
measure_service(const struct kind_desc *k, const char *prefix, struct child_result *r)
{
	enum bench_lib lib = k->is_hm ? BENCH_LIB_HM : BENCH_LIB_DPDK;
	char err[sizeof(r->error)] = "";
	int ret = bench_service_measure(lib, prefix, &r->service, err, sizeof(err));

	if (ret != 0)
		result_fail(r, ret > 0 ? CHILD_SKIPPED : CHILD_ERROR, "%s", err);
}

/* ------------------------------------------------------------- a child */

/* argv for an EAL, built in storage the EAL may rearrange. */
struct eal_args {
	char store[16][PATH_MAX + 16];
	char *argv[17];
	int argc;
};

static void eal_args_add(struct eal_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
eal_args_add(struct eal_args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->argc >= (int)(sizeof(a->store) / sizeof(a->store[0])))
		return; /* cannot happen: build_eal_args adds at most 15 */
	va_start(ap, fmt);
	vsnprintf(a->store[a->argc], sizeof(a->store[0]), fmt, ap);
	va_end(ap);
	a->argv[a->argc] = a->store[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
}

static void
build_eal_args(struct eal_args *a, const struct kind_desc *k, const struct bench_opts *o,
	       const char *prefix)
{
	a->argc = 0;
	eal_args_add(a, BENCH);
	eal_args_add(a, "-l");
	eal_args_add(a, "%s", k->lcores != NULL ? k->lcores : "0");
	if (k->socket_mem) {
		eal_args_add(a, "--socket-mem");
		/* Two EALs share --mem; half each, in whole 2 MiB pages. A
		 * pool's memory comes in one block more often with more. */
		eal_args_add(a, "%u",
			     k->half_mem && o->mem_mb >= 4 ? o->mem_mb / 4 * 2 : o->mem_mb);
	}
	if (k->socket_limit)
		eal_args_add(a, "--socket-limit=%u", o->mem_mb);
	eal_args_add(a, "--huge-dir");
	eal_args_add(a, "%s", o->huge_dir);
	eal_args_add(a, "--file-prefix");
	eal_args_add(a, "%s", prefix);
	eal_args_add(a, "--iova-mode=pa");
	eal_args_add(a, "--no-telemetry");
	eal_args_add(a, EAL_LOG_LEVEL);
	if (!k->is_hm)
		eal_args_add(a, "--no-pci");
	/* No secondary attaches to these children: hugemem's service loop
	 * sleeps instead of polling, on CPUs that -l 0-1 leaves it none of. */
	if (k->is_hm && !k->service) {
		eal_args_add(a, "--service-mode");
		eal_args_add(a, "idle");
	}
	if (k->legacy)
		eal_args_add(a, "--legacy-mem");
}

/*
 * Give this child a hugetlbfs of its own, limited to mem_mb, mounted over
 * dir: --legacy-mem then maps (and sorts) as many pages as the other EALs
 * get instead of every free page of the machine. The mount lives in a
 * private mount namespace, so nobody else sees it, and it goes away with
 * this process (and with it any file left in it).
 */
static int
private_hugetlbfs(const char *dir, unsigned int mem_mb, struct child_result *r)
{
	char opts[64];

	if (unshare(CLONE_NEWNS) < 0) {
		result_fail(r, CHILD_SKIPPED, "unshare(CLONE_NEWNS): %s", strerror(errno));
		return -1;
	}
	/* Else a shared / would propagate the new mount back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		result_fail(r, CHILD_SKIPPED, "cannot make / private: %s", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "pagesize=2M,size=%uM", mem_mb);
	if (mount("nodev", dir, "hugetlbfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		result_fail(r, CHILD_SKIPPED, "cannot mount hugetlbfs (%s) on %s: %s", opts, dir,
			    strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything a child does once its EAL is up; the caller cleans up the EAL. */
static void
measure_eal(const struct kind_desc *k, const struct eal_ops *ops, struct child_result *r)
{
	struct seg_list segs = {0};
	uintptr_t *addrs = NULL;
	int ret;

	if (!ops->iova_is_pa()) {
		result_fail(r, CHILD_ERROR, "IOVA mode is not PA despite --iova-mode=pa");
		return;
	}
	if (k->is_hm) {
		struct hm_memory_info info;

		ret = hm_memory_info_get(&info);
		if (ret < 0) {
			result_fail(r, CHILD_ERROR, "hm_memory_info_get: %s", strerror(-ret));
			return;
		}
		r->pin_ns = info.pin_ns;
		r->resolve_ns = info.resolve_ns;
		r->lib_nb_runs = info.nb_runs;
	}
	ret = ops->collect_segs(&segs);
	if (ret != 0) {
		/* The only way the copying callback fails. */
		result_fail(r, CHILD_ERROR,
			    "memseg walk stopped (%d): no memory to copy the memsegs", ret);
		goto out;
	}
	seg_list_summarise(&segs, r);
	if (k->alloc) {
		measure_allocators(ops, r);
		goto out;
	}
	if (!k->verify && k->lookups == 0)
		goto out;
	if (r->mem_bytes == 0) {
		result_fail(r, CHILD_ERROR, "the EAL has no memory");
		goto out;
	}
	addrs = random_addresses(&segs, r->mem_bytes, NB_LOOKUP_ADDRS);
	if (addrs == NULL) {
		result_fail(r, CHILD_ERROR, "no memory for %u addresses", NB_LOOKUP_ADDRS);
		goto out;
	}
	if (k->verify) {
		verify_translations(ops, &segs, addrs, NB_LOOKUP_ADDRS, r);
		if (r->status != CHILD_OK)
			goto out;
	}
	for (unsigned int m = 0; m < NB_LOOKUPS; m++)
		if (k->lookups & (1u << m))
			time_lookups(lookup_fns[m], addrs, NB_LOOKUP_ADDRS, &r->lookup[m]);
out:
	free(addrs);
	free(segs.v);
}

/*
 * The paired child, both EALs up: the rows of the sections asked for,
 * hugemem's and DPDK's runs alternating on the same lcores.
 */
static void
measure_paired(uint32_t sections, struct child_result *r)
{
	bench_launch_fn *const launch[2] = {
	    [BENCH_LIB_HM] = hm_ops.run_on_lcores,
	    [BENCH_LIB_DPDK] = dpdk_ops.run_on_lcores,
	};
	char err[sizeof(r->error)] = "";

	if ((sections & 1u << SECTION_RING) &&
	    bench_ring_paired(launch, r->paired.ring, r->paired.ring_fill, err, sizeof(err)) < 0) {
		result_fail(r, CHILD_ERROR, "%s", err);
		return;
	}
	if ((sections & 1u << SECTION_MEMPOOL) &&
	    bench_mempool_paired(launch, r->paired.mempool, r->paired.mp_blocks, err, sizeof(err)) <
		0) {
		result_fail(r, CHILD_ERROR, "%s", err);
		return;
	}
	r->paired.ran = 1;
}

/*
 * DPDK's EAL beside hugemem's in the paired child, then the paired rows,
 * then DPDK's cleanup (hugemem's is the caller's). Its files have a prefix
 * of their own.
 */
static void
run_paired(const struct kind_desc *k, const struct bench_opts *o, const char *prefix,
	   struct child_result *r)
{
	struct kind_desc dk = *k;
	char dprefix[80], file_prefix[96], rundir[PATH_MAX];
	struct eal_args args;
	int ret;

	dk.is_hm = false;
	snprintf(dprefix, sizeof(dprefix), "%sd", prefix);
	build_eal_args(&args, &dk, o, dprefix);
	ret = dpdk_ops.init(args.argc, args.argv);
	if (ret < 0) {
		result_fail(r, CHILD_INIT_FAILED,
			    "rte_eal_init with prefix %s beside hugemem's EAL failed: %s", dprefix,
			    strerror(-ret));
	} else {
		measure_paired(o->sections, r);
		snprintf(rundir, sizeof(rundir), "%s", dpdk_ops.runtime_dir());
		ret = dpdk_ops.cleanup();
		if (ret < 0)
			result_fail(r, CHILD_ERROR, "rte_eal_cleanup: %s", strerror(-ret));
		remove_runtime_dir(rundir);
	}
	snprintf(file_prefix, sizeof(file_prefix), "%smap", dprefix);
	r->leftover_files += remove_entries(o->huge_dir, file_prefix, false);
}

static void
run_child(enum bench_kind kind, unsigned int round, const struct bench_opts *o, pid_t parent,
	  struct child_result *r)
{
	const struct kind_desc *k = &kinds[kind];
	const struct eal_ops *ops = k->is_hm ? &hm_ops : &dpdk_ops;
	char prefix[64], file_prefix[80], rundir[PATH_MAX];
	struct eal_args args;
	uint64_t t0;
	int ret;

	if (k->no_eal) {
		measure_slab(kind, round, NULL, r);
		return;
	}
	snprintf(prefix, sizeof(prefix), "bench_%d_%s_%u", (int)parent, k->tag, round);
	if (k->legacy && private_hugetlbfs(o->huge_dir, o->mem_mb, r) < 0)
		return;
	build_eal_args(&args, k, o, prefix);

	t0 = now_ns();
	ret = ops->init(args.argc, args.argv);
	r->init_ns = now_ns() - t0;
	if (ret < 0) {
		/* The service section's DPDK side is skipped when it cannot run. */
		result_fail(r, k->service && !k->is_hm ? CHILD_SKIPPED : CHILD_INIT_FAILED,
			    "%s with prefix %s failed: %s (see its log above)",
			    k->is_hm ? "hm_eal_init" : "rte_eal_init", prefix, strerror(-ret));
		/* A failed init must leave nothing; count what it left anyway. */
		goto leftovers;
	}

	if (k->slab)
		measure_slab(kind, round, ops, r);
	else if (k->paired)
		run_paired(k, o, prefix, r);
	else if (k->queues)
		measure_queues(k, o->sections, ops, r);
	else if (k->service)
		measure_service(k, prefix, r);
	else
		measure_eal(k, ops, r);

	snprintf(rundir, sizeof(rundir), "%s", ops->runtime_dir());
	t0 = now_ns();
	ret = ops->cleanup();
	r->cleanup_ns = now_ns() - t0;
	if (ret < 0)
		result_fail(r, CHILD_ERROR, "%s failed: %s",
			    k->is_hm ? "hm_eal_cleanup" : "rte_eal_cleanup", strerror(-ret));
	if (remove_runtime_dir(rundir) && k->is_hm)
		r->leftover_rundir = 1;
leftovers:
	/* Both EALs name their hugepage files <prefix>map...; the "map" keeps _1 from _10. */
	snprintf(file_prefix, sizeof(file_prefix), "%smap", prefix);
	r->leftover_files = remove_entries(o->huge_dir, file_prefix, false);
}

static void child_main(enum bench_kind kind, unsigned int round, const struct bench_opts *o,
		       pid_t parent, int fd) __attribute__((noreturn));

/*
 * The child process: keep the parent's stdout for the table (DPDK logs to
 * stdout), measure, report, exit. _exit() because the EAL was cleaned up
 * already and the parent's stdio buffers are not ours to flush.
 */
static void
child_main(enum bench_kind kind, unsigned int round, const struct bench_opts *o, pid_t parent,
	   int fd)
{
	struct child_result r;
	const char *p = (const char *)&r;
	size_t left = sizeof(r);

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	alarm(CHILD_TIMEOUT_S);
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(3);
	memset(&r, 0, sizeof(r));
	run_child(kind, round, o, parent, &r);
	while (left > 0) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		p += w;
		left -= (size_t)w;
	}
	_exit(r.status == CHILD_OK || r.status == CHILD_SKIPPED ? 0 : 1);
}

/* ------------------------------------------------------------ the parent */

/* Fork a child for kind and collect its result; a child that died unreported is a failure. */
static void
spawn_child(enum bench_kind kind, unsigned int round, const struct bench_opts *o,
	    struct child_result *r)
{
	pid_t parent = getpid(), pid, w;
	size_t got = 0;
	int fds[2], st = 0;

	memset(r, 0, sizeof(*r));
	if (pipe2(fds, O_CLOEXEC) < 0) {
		result_fail(r, CHILD_ERROR, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		result_fail(r, CHILD_ERROR, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(kind, round, o, parent, fds[1]);
	}
	close(fds[1]);
	while (got < sizeof(*r)) {
		ssize_t n = read(fds[0], (char *)r + got, sizeof(*r) - got);

		if (n < 0 && errno == EINTR)
			continue; /* interrupted: let the child finish or die first */
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	if (got == sizeof(*r))
		return;

	memset(r, 0, sizeof(*r));
	if (w < 0)
		result_fail(r, CHILD_ERROR, "waitpid: %s", strerror(errno));
	else if (WIFSIGNALED(st))
		result_fail(r, CHILD_ERROR, "the %s child (pid %d) was killed by signal %d (%s)%s",
			    kinds[kind].tag, (int)pid, WTERMSIG(st), strsignal(WTERMSIG(st)),
			    WTERMSIG(st) == SIGALRM ? ": it ran out of time (CHILD_TIMEOUT_S)"
						    : "");
	else
		result_fail(r, CHILD_ERROR,
			    "the %s child (pid %d) exited with status %d without "
			    "reporting",
			    kinds[kind].tag, (int)pid, WEXITSTATUS(st));
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* -------------------------------------------------------------- statistics */

static int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double median;
	double best;
	unsigned int n;
};

/* Median and best of v[0..n); sorts v. best is the lowest, or the highest if high_is_best. */
static struct summary
stats_of(double *v, unsigned int n, bool high_is_best)
{
	struct summary s = {0, 0, n};

	if (n == 0)
		return s;
	qsort(v, n, sizeof(v[0]), double_cmp);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.best = high_is_best ? v[n - 1] : v[0];
	return s;
}

enum field {
	FIELD_INIT_MS,
	FIELD_CLEANUP_MS,
	FIELD_PIN_MS,
	FIELD_RESOLVE_MS,
	FIELD_MEM_MB,
	FIELD_SEGS,
	FIELD_RUNS,
	FIELD_LARGEST_RUN_MB,
};

static double
field_of(const struct child_result *r, enum field f)
{
	switch (f) {
	case FIELD_INIT_MS:
		return r->init_ns / 1e6;
	case FIELD_CLEANUP_MS:
		return r->cleanup_ns / 1e6;
	case FIELD_PIN_MS:
		return r->pin_ns / 1e6;
	case FIELD_RESOLVE_MS:
		return r->resolve_ns / 1e6;
	case FIELD_MEM_MB:
		return (double)(r->mem_bytes >> 20);
	case FIELD_SEGS:
		return r->nb_segs;
	case FIELD_RUNS:
		return r->nb_runs;
	case FIELD_LARGEST_RUN_MB:
		return (double)(r->largest_run >> 20);
	}
	return 0;
}

struct bench_results {
	unsigned int rounds;
	struct child_result *r;	     /* [round * NB_KINDS + kind] */
	bool *have;		     /* same index: a result with CHILD_OK */
	double *scratch;	     /* rounds doubles */
	char skipped[NB_KINDS][320]; /* why a kind was skipped, or "" */
	/* Why a slab allocator was skipped (the first reason a child gave), or "". */
	char slab_skipped[NB_SLAB_ALLOCS][192];
	bool failed;
	unsigned int verified; /* addresses, over all children */
	unsigned int leftover_warnings;
	unsigned int legacy_kept_files;
	double *line_rtt_ns; /* [(round * NB_KINDS + kind) * 2 + 0/1]: the parent's probe
			      * before/after the child, 0 if none */
};

static const struct child_result *
result_at(const struct bench_results *br, unsigned int round, enum bench_kind k)
{
	return br->have[round * NB_KINDS + k] ? &br->r[round * NB_KINDS + k] : NULL;
}

static struct summary
kind_stat(const struct bench_results *br, enum bench_kind k, enum field f)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);

		if (r != NULL)
			br->scratch[n++] = field_of(r, f);
	}
	return stats_of(br->scratch, n, false);
}

/* Lookups per second of method m in the children of kind k. */
static struct summary
lookup_stat(const struct bench_results *br, enum bench_kind k, enum lookup_method m,
	    double *median_lookups)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);

		if (r != NULL && r->lookup[m].ns > 0)
			br->scratch[n++] = (double)r->lookup[m].lookups;
	}
	*median_lookups = stats_of(br->scratch, n, true).median;
	n = 0;
	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);

		if (r != NULL && r->lookup[m].ns > 0)
			br->scratch[n++] = r->lookup[m].lookups * 1e9 / r->lookup[m].ns;
	}
	return stats_of(br->scratch, n, true);
}

/* A figure of one child's result, or a negative value when it has none. */
typedef double(result_field_fn)(const struct child_result *r, unsigned int arg);

static struct summary
result_stat(const struct bench_results *br, enum bench_kind k, result_field_fn *fn,
	    unsigned int arg, bool high_is_best)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);
		double v;

		if (r == NULL)
			continue;
		v = fn(r, arg);
		if (v >= 0)
			br->scratch[n++] = v;
	}
	return stats_of(br->scratch, n, high_is_best);
}

static double
alloc_rate(const struct child_result *r, unsigned int row)
{
	const struct alloc_result *a = &r->alloc[row];

	return a->ns > 0 ? a->ops * 1e9 / a->ns : -1;
}

static double
alloc_ops(const struct child_result *r, unsigned int row)
{
	return r->alloc[row].ns > 0 ? (double)r->alloc[row].ops : -1;
}

static double
alloc_failures(const struct child_result *r, unsigned int row)
{
	return (double)r->alloc[row].failures;
}

/* The snap_field_* getters take an enum snap_point. */
static double
snap_largest(const struct child_result *r, unsigned int p)
{
	return (double)r->trace.snap[p].largest_free;
}

static double
snap_free(const struct child_result *r, unsigned int p)
{
	return (double)r->trace.snap[p].free_bytes;
}

static double
snap_cached(const struct child_result *r, unsigned int p)
{
	return (double)r->trace.snap[p].cached_bytes;
}

static double
snap_contig(const struct child_result *r, unsigned int p)
{
	return (double)r->trace.snap[p].largest_contig;
}

static double
snap_contig_share(const struct child_result *r, unsigned int p)
{
	const struct heap_snap *s = &r->trace.snap[p];

	return s->free_bytes > 0 ? 1.0 - (double)s->largest_contig / (double)s->free_bytes : -1;
}

static double
snap_allocated(const struct child_result *r, unsigned int p)
{
	return (double)r->trace.snap[p].allocated_bytes;
}

/* 1 - largest free / free: the one fragmentation figure both allocators can give. */
static double
snap_largest_share(const struct child_result *r, unsigned int p)
{
	const struct heap_snap *s = &r->trace.snap[p];

	return s->free_bytes > 0 ? 1.0 - (double)s->largest_free / (double)s->free_bytes : -1;
}

/* arg = point * HM_NR_ZONES + zone */
static double
snap_zone_unusable(const struct child_result *r, unsigned int arg)
{
	const struct zone_snap *z = &r->trace.snap[arg / HM_NR_ZONES].zone[arg % HM_NR_ZONES];

	return z->present ? z->unusable_2m / 1000.0 : -1;
}

enum trace_field {
	TRACE_FAILURES,
	TRACE_CHECKED,
	TRACE_NOT_CONTIG,
	TRACE_LIVE_BLOCKS,
	TRACE_LIVE_REQUESTED,
	TRACE_AUDITS,
};

static double
trace_field(const struct child_result *r, unsigned int f)
{
	switch ((enum trace_field)f) {
	case TRACE_FAILURES:
		return (double)r->trace.failures;
	case TRACE_CHECKED:
		return (double)r->trace.checked;
	case TRACE_NOT_CONTIG:
		return (double)r->trace.not_contig;
	case TRACE_LIVE_BLOCKS:
		return r->trace.live_blocks;
	case TRACE_LIVE_REQUESTED:
		return (double)r->trace.live_requested;
	case TRACE_AUDITS:
		return r->trace.audits;
	}
	return -1;
}

/* Sum of a figure over the rounds of kind k. */
static double
result_sum(const struct bench_results *br, enum bench_kind k, result_field_fn *fn, unsigned int arg)
{
	double sum = 0;

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);

		if (r != NULL && fn(r, arg) > 0)
			sum += fn(r, arg);
	}
	return sum;
}

/* Rounds of kind k in which fn at point p is back to its fresh value. */
static unsigned int
rounds_recovered(const struct bench_results *br, enum bench_kind k, result_field_fn *fn,
		 enum snap_point p, unsigned int *n)
{
	unsigned int ok = 0;

	*n = 0;
	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, k);

		if (r == NULL)
			continue;
		(*n)++;
		if (fn(r, p) >= fn(r, SNAP_FRESH))
			ok++;
	}
	return ok;
}

/* -------------------------------------------------------------- output */

static const char *
rate_str(double per_s, char *buf, size_t len)
{
	if (per_s >= 1e9)
		snprintf(buf, len, "%.2f G/s", per_s / 1e9);
	else if (per_s >= 1e6)
		snprintf(buf, len, "%.1f M/s", per_s / 1e6);
	else
		snprintf(buf, len, "%.1f k/s", per_s / 1e3);
	return buf;
}

/* One row of the init table; ref is hugemem's init stat for the ratio, or NULL. */
static void
print_init_row(const struct bench_results *br, enum bench_kind k, const struct summary *ref)
{
	struct summary s = kind_stat(br, k, FIELD_INIT_MS);

	if (s.n == 0) {
		printf("  %-32s %s\n", kinds[k].label,
		       br->skipped[k][0] != '\0' ? br->skipped[k] : "no result");
		return;
	}
	printf("  %-32s %9.1f %9.1f %9.1f %6.0f %5.0f %5.0f %7.0f", kinds[k].label, s.median,
	       s.best, kind_stat(br, k, FIELD_CLEANUP_MS).median,
	       kind_stat(br, k, FIELD_MEM_MB).median, kind_stat(br, k, FIELD_SEGS).median,
	       kind_stat(br, k, FIELD_RUNS).median, kind_stat(br, k, FIELD_LARGEST_RUN_MB).median);
	if (ref != NULL && ref->n > 0 && s.n > 0)
		printf("   %6.2fx %6.2fx", s.median / ref->median, s.best / ref->best);
	printf("\n");
}

static void
print_init_table(const struct bench_results *br, const struct bench_opts *o)
{
	struct summary hm = kind_stat(br, KIND_HM, FIELD_INIT_MS);
	struct summary pin = kind_stat(br, KIND_HM, FIELD_PIN_MS);
	struct summary res = kind_stat(br, KIND_HM, FIELD_RESOLVE_MS);

	printf("\nInit: wall time of the whole call, %u MiB of 2 MiB pages (ms; best = lowest;\n"
	       "  cleanup, MiB, segs, runs contiguous in VA and IOVA, longest run: medians)\n",
	       o->mem_mb);
	printf("  %-32s %9s %9s %9s %6s %5s %5s %7s   %s\n", "", "median", "best", "cleanup", "MiB",
	       "segs", "runs", "max run", "DPDK / hugemem");
	printf("  %-32s %9s %9s %9s %6s %5s %5s %7s   %7s %7s\n", "", "", "", "", "", "", "", "MiB",
	       "median", "best");
	print_init_row(br, KIND_HM, NULL);
	if (hm.n > 0) {
		printf("    %-30s %9.1f %9.1f\n", "pin: map, fault, mlock", pin.median, pin.best);
		printf("    %-30s %9.1f %9.1f\n", "resolve: pagemap, sort, remap", res.median,
		       res.best);
		printf("    %-30s %9.1f\n", "rest of hm_eal_init()",
		       hm.median - pin.median - res.median);
	}
	print_init_row(br, KIND_DPDK, &hm);
	print_init_row(br, KIND_DPDK_LEGACY, &hm);
	print_init_row(br, KIND_DPDK_BASE, NULL);
	printf("  (the last row allocates no pages up front: what rte_eal_init() costs besides "
	       "memory)\n");
}

static void
print_lookup_row(const struct bench_results *br, enum bench_kind k, enum lookup_method m,
		 const struct summary *ref)
{
	char a[32], b[32];
	double lookups;
	struct summary s = lookup_stat(br, k, m, &lookups);

	if (s.n == 0) {
		printf("  %-32s no result\n", lookup_labels[m]);
		return;
	}
	printf("  %-32s %11s %11s %8.1f %10.0f", lookup_labels[m], rate_str(s.median, a, sizeof(a)),
	       rate_str(s.best, b, sizeof(b)), 1e9 / s.median, lookups);
	if (ref != NULL && ref->n > 0)
		printf("   %8.1fx %8.1fx", ref->median / s.median, ref->best / s.best);
	printf("\n");
}

static void
print_lookup_table(const struct bench_results *br)
{
	double lookups;
	struct summary hm = lookup_stat(br, KIND_HM, LOOKUP_HM, &lookups);

	printf("\nLookups: VA -> IOVA of %u random addresses over all memory (best = highest)\n",
	       NB_LOOKUP_ADDRS);
	printf("  %-32s %11s %11s %8s %10s   %s\n", "", "median", "best", "ns/call", "lookups",
	       "hugemem / DPDK");
	printf("  %-32s %11s %11s %8s %10s   %9s %9s\n", "", "", "", "median", "per round",
	       "median", "best");
	print_lookup_row(br, KIND_HM, LOOKUP_HM, NULL);
	print_lookup_row(br, KIND_DPDK, LOOKUP_RTE_MEMSEG, &hm);
	print_lookup_row(br, KIND_DPDK, LOOKUP_RTE_VIRT2IOVA, &hm);
	print_lookup_row(br, KIND_DPDK, LOOKUP_RTE_VIRT2PHY, &hm);
	printf("  (in PA mode DPDK 22.11's rte_mem_virt2iova() is rte_mem_virt2phy(): one "
	       "pagemap read a call;\n   rte_mem_virt2memseg() is its table lookup; the pagemap "
	       "rows stop after %.1f s a round)\n",
	       LOOKUP_BUDGET_NS / 1e9);
}

/* Bytes, in the largest unit that keeps them at 1 or more. */
static const char *
size_str(double bytes, char *buf, size_t len)
{
	if (bytes >= (double)(1ULL << 30))
		snprintf(buf, len, "%.2f GiB", bytes / (double)(1ULL << 30));
	else if (bytes >= (double)(1u << 20))
		snprintf(buf, len, "%.1f MiB", bytes / (double)(1u << 20));
	else if (bytes >= 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, len, "%.0f B", bytes);
	return buf;
}

/* One row of the alloc table; dpdk is the group's DPDK row for the ratio, or NULL. */
static void
print_alloc_row(const struct bench_results *br, enum bench_kind k, enum alloc_row row,
		const char *group, const char *label, const struct summary *dpdk)
{
	char a[32], b[32];
	struct summary s = result_stat(br, k, alloc_rate, row, true);

	if (s.n == 0) {
		printf("  %-7s %-30s no result\n", group, label);
		return;
	}
	printf("  %-7s %-30s %11s %11s %8.0f %9.0f %6.0f", group, label,
	       rate_str(s.median, a, sizeof(a)), rate_str(s.best, b, sizeof(b)), 1e9 / s.median,
	       result_stat(br, k, alloc_ops, row, true).median,
	       result_sum(br, k, alloc_failures, row));
	if (dpdk != NULL && dpdk->n > 0)
		printf("   %8.2fx %8.2fx", s.median / dpdk->median, s.best / dpdk->best);
	printf("\n");
}

static void
print_alloc_table(const struct bench_results *br)
{
	printf("\nDMA alloc/free: alloc + free pairs per second on socket 0 (best = highest;\n"
	       "  fails: allocations that returned NULL, all rounds)\n");
	printf("  %-7s %-30s %11s %11s %8s %9s %6s   %s\n", "", "", "median", "best", "ns/op",
	       "ops", "fails", "row / DPDK's row");
	printf("  %-7s %-30s %11s %11s %8s %9s %6s   %9s %9s\n", "", "", "", "", "median",
	       "per round", "", "median", "best");
	for (unsigned int row = 0; row < NB_ALLOC_ROWS; row++) {
		const struct alloc_row_desc *d = &alloc_rows[row];
		struct summary dpdk;

		if (d->zero)
			continue; /* printed with the row before it */
		dpdk = result_stat(br, KIND_DPDK_ALLOC, alloc_rate, row, true);
		print_alloc_row(br, KIND_HM_ALLOC, row, d->group,
				d->memzone ? hm_ops.mz_label : hm_ops.dma_label, &dpdk);
		print_alloc_row(br, KIND_HM_ALLOC, row + 1, "", "  with HM_BUDDY_ZERO", &dpdk);
		print_alloc_row(br, KIND_DPDK_ALLOC, row, "",
				d->memzone ? dpdk_ops.mz_label : dpdk_ops.dma_label, NULL);
	}
	printf("  (fixed sizes: batches of %u allocations, then their frees in the same order, "
	       "align %u;\n"
	       "   at most the ops shown, and no more batches after %.1f s a round;\n"
	       "   memzones: batches of %u, as hugemem holds %d memzones at most and DPDK %d "
	       "(RTE_MAX_MEMZONE);\n"
	       "   DPDK's with RTE_MEMZONE_IOVA_CONTIG, which hugemem's always are;\n"
	       "   mix: %u steps, sizes 64 B..2 MiB log-uniform, align 0 below 4 KiB and %u from "
	       "4 KiB, a window\n"
	       "   of %u live blocks; each step frees a random one and allocates the next "
	       "request; the same\n"
	       "   seeded sequence for both; the %u blocks that fill the window are not timed)\n",
	       DMA_BATCH, DMA_ALIGN, ALLOC_BUDGET_NS / 1e9, MZ_BATCH, HM_MAX_MEMZONES,
	       RTE_MAX_MEMZONE, MIX_STEPS, DMA_ALIGN, MIX_WINDOW, MIX_WINDOW);
	printf("  (every op includes the IOVA: hm_dma_alloc() returns it, and rte_malloc() users "
	       "ask\n"
	       "   rte_malloc_virt2iova(); it is checked against the memseg table's "
	       "(hm_virt2iova(),\n"
	       "   rte_mem_virt2memseg()) and the block's first and last 8 bytes are written and "
	       "read back)\n"
	       "  (DPDK 22.11's rte_free() clears the freed element, so DPDK's blocks come "
	       "zeroed: the\n"
	       "   HM_BUDDY_ZERO rows, which clear the bytes asked for on allocation, are the "
	       "same work)\n"
	       "  (hm_dma_alloc(): one buddy block of 2^n pages of 4 KiB, contiguous in IOVA;\n"
	       "   rte_malloc_socket(): an element contiguous in IOVA only within one memseg, one "
	       "2 MiB page here)\n");
}

/* One row of the fragmentation table: the medians at the snapshot points in points[]. */
static void
print_frag_row(const struct bench_results *br, enum bench_kind k, const char *label,
	       result_field_fn *fn, unsigned int zone_or_none, bool bytes, unsigned int nb_points)
{
	printf("    %-44s", label);
	for (unsigned int p = 0; p < nb_points; p++) {
		unsigned int arg = zone_or_none == UINT32_MAX ? p : p * HM_NR_ZONES + zone_or_none;
		struct summary s = result_stat(br, k, fn, arg, false);
		char buf[32];

		if (s.n == 0)
			printf(" %12s", zone_or_none != UINT32_MAX ? "no zone" : "-");
		else if (bytes)
			printf(" %12s", size_str(s.median, buf, sizeof(buf)));
		else
			printf(" %12.3f", s.median);
	}
	printf("\n");
}

static void
print_frag_table(const struct bench_results *br)
{
	unsigned int n_hm, n_dpdk, n_drained;
	unsigned int hm_freed =
	    rounds_recovered(br, KIND_HM_ALLOC, snap_largest, SNAP_FREED, &n_hm);
	unsigned int hm_drained =
	    rounds_recovered(br, KIND_HM_ALLOC, snap_largest, SNAP_DRAINED, &n_drained);
	unsigned int dpdk_freed =
	    rounds_recovered(br, KIND_DPDK_ALLOC, snap_largest, SNAP_FREED, &n_dpdk);
	unsigned int dpdk_contig =
	    rounds_recovered(br, KIND_DPDK_ALLOC, snap_contig, SNAP_FREED, &n_dpdk);
	struct summary live =
	    result_stat(br, KIND_HM_ALLOC, trace_field, TRACE_LIVE_REQUESTED, false);
	char a[32];

	printf("\nFragmentation after a long random trace: the mix above for %u steps (window of "
	       "%u,\n"
	       "  same sequence both sides), stopped with its live blocks held; medians of the "
	       "rounds\n",
	       TRACE_STEPS, MIX_WINDOW);
	printf("    %-44s %12s %12s %12s %12s\n", "", "fresh", "blocks held", "all freed",
	       "+ drained");
	printf("  hugemem: the zones of socket 0 (hm_buddy_zone_stats())\n");
	print_frag_row(br, KIND_HM_ALLOC, "largest free block (nr_free per order)", snap_largest,
		       UINT32_MAX, true, NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "free, in the free lists", snap_free, UINT32_MAX, true,
		       NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "free, in the lcore caches", snap_cached, UINT32_MAX,
		       true, NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "allocated (blocks of 2^n pages)", snap_allocated,
		       UINT32_MAX, true, NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "unusable index at order 9, zone DMA32",
		       snap_zone_unusable, HM_ZONE_DMA32, false, NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "unusable index at order 9, zone Normal",
		       snap_zone_unusable, HM_ZONE_NORMAL, false, NB_SNAPS);
	print_frag_row(br, KIND_HM_ALLOC, "1 - largest free block / free in lists",
		       snap_largest_share, UINT32_MAX, false, NB_SNAPS);
	printf("  DPDK: rte_malloc_get_socket_stats(0)\n");
	print_frag_row(br, KIND_DPDK_ALLOC, "greatest_free_size", snap_largest, UINT32_MAX, true,
		       SNAP_DRAINED);
	print_frag_row(br, KIND_DPDK_ALLOC, "heap_freesz_bytes", snap_free, UINT32_MAX, true,
		       SNAP_DRAINED);
	print_frag_row(br, KIND_DPDK_ALLOC, "heap_allocsz_bytes", snap_allocated, UINT32_MAX, true,
		       SNAP_DRAINED);
	print_frag_row(br, KIND_DPDK_ALLOC, "1 - greatest_free_size / heap_freesz_bytes",
		       snap_largest_share, UINT32_MAX, false, SNAP_DRAINED);
	print_frag_row(br, KIND_DPDK_ALLOC, "largest free contiguous in IOVA (memzone)",
		       snap_contig, UINT32_MAX, true, SNAP_DRAINED);
	print_frag_row(br, KIND_DPDK_ALLOC, "1 - that / heap_freesz_bytes", snap_contig_share,
		       UINT32_MAX, false, SNAP_DRAINED);
	printf("  live blocks at the end: %.0f, asking for %s; failed allocations in the trace "
	       "(all rounds):\n"
	       "    hugemem %.0f, DPDK %.0f\n",
	       result_stat(br, KIND_HM_ALLOC, trace_field, TRACE_LIVE_BLOCKS, false).median,
	       size_str(live.median, a, sizeof(a)),
	       result_sum(br, KIND_HM_ALLOC, trace_field, TRACE_FAILURES),
	       result_sum(br, KIND_DPDK_ALLOC, trace_field, TRACE_FAILURES));
	printf("  back to the fresh largest free block once everything is freed: hugemem %u of %u "
	       "rounds\n"
	       "    (%u of %u after hm_buddy_drain_lcore()); DPDK %u of %u (greatest_free_size), "
	       "%u of %u\n"
	       "    (largest free contiguous in IOVA)\n",
	       hm_freed, n_hm, hm_drained, n_drained, dpdk_freed, n_dpdk, dpdk_contig, n_dpdk);
	printf("  pagemap, first and last byte of each block of the trace: hugemem %.0f blocks a "
	       "round, all\n"
	       "    contiguous in IOVA; DPDK %.0f blocks a round, %.0f of them not contiguous in "
	       "IOVA (median)\n",
	       result_stat(br, KIND_HM_ALLOC, trace_field, TRACE_CHECKED, false).median,
	       result_stat(br, KIND_DPDK_ALLOC, trace_field, TRACE_CHECKED, false).median,
	       result_stat(br, KIND_DPDK_ALLOC, trace_field, TRACE_NOT_CONTIG, false).median);
	printf("  hm_buddy_audit(): 0 at all %.0f calls (blocks held, freed, drained, after each "
	       "timed row)\n",
	       result_sum(br, KIND_HM_ALLOC, trace_field, TRACE_AUDITS));
	printf("  (unusable index: hm_buddy_zone_stats()'s unusable[9], the share of a zone's free "
	       "pages (free\n"
	       "   lists only, not the lcore caches) that are not in a free block of 2 MiB or "
	       "more, as the\n"
	       "   kernel's; DPDK's statistics do not give free memory by element size, so the "
	       "last row of\n"
	       "   each side is the figure both can give: 1 - largest free / free. DPDK's "
	       "greatest_free_size\n"
	       "   is contiguous in VA only; its largest free area contiguous in IOVA is the "
	       "memzone that\n"
	       "   rte_memzone_reserve(len 0, RTE_MEMZONE_IOVA_CONTIG) gets, freed at once; every "
	       "hugemem block\n"
	       "   is contiguous in IOVA. + drained: after hugemem's lcore cache is given back to "
	       "the zones;\n"
	       "   DPDK has none)\n");
}

static double
slab_rate(const struct child_result *r, unsigned int arg)
{
	const struct slab_result *s = &r->slab[arg / NB_SLAB_ROWS][arg % NB_SLAB_ROWS];

	return s->ops_per_s > 0 ? s->ops_per_s : -1;
}

static double
slab_failures(const struct child_result *r, unsigned int arg)
{
	return (double)r->slab[arg / NB_SLAB_ROWS][arg % NB_SLAB_ROWS].failures;
}

/* Median rate of allocator a in a row, or 0 if it has none. */
static double
slab_median(const struct bench_results *br, unsigned int a, unsigned int row)
{
	struct summary s =
	    result_stat(br, slab_allocs[a].kind, slab_rate, a * NB_SLAB_ROWS + row, true);

	return s.n > 0 ? s.median : 0;
}

/* The first three columns of a row of the slab tables: the inverse of slab_row(). */
static void
print_slab_row_label(unsigned int row)
{
	static const char *const pattern_labels[NB_SLAB_PATTERNS] = {"pairs", "batches"};
	unsigned int nb_lcores = row % SLAB_MAX_LCORES + 1;
	unsigned int size_index = row / SLAB_MAX_LCORES % NB_SLAB_SIZES;
	unsigned int pattern = row / SLAB_MAX_LCORES / NB_SLAB_SIZES;
	bool first_of_size = nb_lcores == 1;
	char buf[32];

	printf("  %-8s %6s %6u", first_of_size && size_index == 0 ? pattern_labels[pattern] : "",
	       first_of_size ? size_str((double)slab_sizes[size_index], buf, sizeof(buf)) : "",
	       nb_lcores);
}

static void
print_slab_ratio(double hm, double peer)
{
	if (hm > 0 && peer > 0)
		printf(" %7.2fx", hm / peer);
	else
		printf(" %8s", "-");
}

static void
print_slab_table(const struct bench_results *br)
{
	static const unsigned int peers[] = {SA_MIMALLOC, SA_JEMALLOC, SA_GLIBC, SA_RTE_MALLOC};
	const unsigned int nb_peers = sizeof(peers) / sizeof(peers[0]);
	char a[32], b[32];

	printf("\nSlab and kmalloc: alloc + free pairs per second, summed over the lcores (medians "
	       "of the rounds)\n");
	printf("  %-8s %6s %6s", "pattern", "size", "lcores");
	for (unsigned int i = 0; i < NB_SLAB_ALLOCS; i++)
		printf(" %13s", slab_allocs[i].label);
	printf("\n");
	for (unsigned int row = 0; row < NB_SLAB_ROWS; row++) {
		print_slab_row_label(row);
		for (unsigned int i = 0; i < NB_SLAB_ALLOCS; i++) {
			double m = slab_median(br, i, row);

			if (br->slab_skipped[i][0] != '\0')
				printf(" %13s", "skipped");
			else if (m <= 0)
				printf(" %13s", "no result");
			else
				printf(" %13s", rate_str(m, b, sizeof(b)));
		}
		printf("\n");
	}

	printf("\n  hugemem / peer, ratios of the medians: hm_kmalloc, hm_slab_alloc (the aim: at "
	       "least\n  1x mimalloc, 10x rte_malloc)\n");
	printf("  %-8s %6s %6s", "pattern", "size", "lcores");
	for (unsigned int i = 0; i < nb_peers; i++) {
		snprintf(a, sizeof(a), "/ %s", slab_allocs[peers[i]].label);
		printf(" %18s", a);
	}
	printf("\n");
	for (unsigned int row = 0; row < NB_SLAB_ROWS; row++) {
		double kmalloc = slab_median(br, SA_KMALLOC, row);
		double slab = slab_median(br, SA_SLAB, row);

		print_slab_row_label(row);
		for (unsigned int i = 0; i < nb_peers; i++) {
			double peer = slab_median(br, peers[i], row);

			printf(" ");
			print_slab_ratio(kmalloc, peer);
			print_slab_ratio(slab, peer);
		}
		printf("\n");
	}

	for (unsigned int i = 0; i < NB_SLAB_ALLOCS; i++) {
		if (br->slab_skipped[i][0] != '\0')
			printf("  SKIPPED %s: %s\n", slab_allocs[i].label, br->slab_skipped[i]);
		for (unsigned int row = 0; row < NB_SLAB_ROWS; row++) {
			double fails = result_sum(br, slab_allocs[i].kind, slab_failures,
						  i * NB_SLAB_ROWS + row);

			if (fails > 0)
				printf("  WARNING: %s, row %u: %.0f allocations returned NULL (all "
				       "rounds); its rate counts them as pairs\n",
				       slab_allocs[i].label, row + 1, fails);
		}
	}
	printf("  (an op is one allocation and one free. pairs: allocate, write a byte, free;\n"
	       "   batches: %u allocations, a byte written in each, then their frees in the same "
	       "order.\n"
	       "   Each row: an untimed check (a batch filled whole and read back), a %.0f ms "
	       "warm-up, then\n"
	       "   a %.0f ms window; on 2 lcores both start their window together and their rates "
	       "are summed)\n",
	       SLAB_BATCH, SLAB_WARMUP_NS / 1e6, SLAB_WINDOW_NS / 1e6);
	printf("  (hm_kmalloc(size, 0), and hm_slab_alloc() on a cache per size made with\n"
	       "   hm_slab_cache_create(name, size, 0, 0, NULL, NULL), and rte_malloc(NULL, size, "
	       "0) run on\n"
	       "   EAL lcores 0 and 1 (-l 0-1); glibc's malloc(), jemalloc's malloc() and "
	       "mimalloc's mi_malloc()\n"
	       "   on pthreads pinned to CPUs 0 and 1 in a child with no EAL, jemalloc and "
	       "mimalloc dlopen()ed\n"
	       "   with RTLD_LOCAL; every call through a function pointer)\n"
	       "  (DPDK 22.11's rte_free() clears the element it frees, and a free that leaves a "
	       "free element\n"
	       "   of a page or more looks up each of its pages to see whether it can go back to "
	       "the system:\n"
	       "   in the pairs rows every free does, at a cost that grows with --mem; the batches "
	       "rows pay it\n"
	       "   once a batch)\n");
}

/* --------------------------------------------------------------- setup */

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " BENCH " [--rounds N] [--huge-dir DIR] [--mem MB] [--sections LIST]\n"
		"Times hm_eal_init() against DPDK's rte_eal_init() on the same amount of 2 MiB\n"
		"hugepages in PA mode, hm_virt2iova() against DPDK's translations,\n"
		"hm_dma_alloc()/hm_memzone_reserve() against rte_malloc()/rte_memzone_reserve(),\n"
		"with the fragmentation each leaves after a long random trace, and\n"
		"hm_kmalloc()/hm_slab_alloc() against glibc malloc, jemalloc, mimalloc and\n"
		"rte_malloc() on 1 and 2 lcores, and hm_ring/hm_mempool against rte_ring and\n"
		"rte_mempool (ring_mp_mc), and a secondary's hm_dma_alloc() round trip against\n"
		"DPDK's rte_mp_request_sync() from 1 and 3 secondaries; each EAL in a child\n"
		"process of its own (and the ring and mempool rows again in one child with\n"
		"both EALs, the two sides' runs in pairs); prints medians, bests and ratios.\n"
		"  --rounds N       rounds; each runs every kind of child once (default %d)\n"
		"  --huge-dir DIR   hugetlbfs mount with 2 MiB pages (default %s)\n"
		"  --mem MB         memory per EAL in MiB, a multiple of 2 (default %d)\n"
		"  --sections LIST  tables to measure, comma-separated: init, lookups, alloc,\n"
		"                   slab, ring, mempool, service, or all (default all)\n"
		"  --icount         count instructions of the 1-lcore ring and mempool rows\n"
		"                   under callgrind instead of timing (scripts/bench-icount.sh)\n"
		"  --busy-cpus, --no-busy-cpus\n"
		"                   keep idle CPUs busy with SCHED_IDLE threads for the whole\n"
		"                   run, so that a virtual machine's CPUs stay where they are\n"
		"                   (default: when the ring or mempool section runs)\n"
		"  -h, --help       this help\n",
		DEFAULT_ROUNDS, DEFAULT_HUGE_DIR, DEFAULT_MEM_MB);
}

static int
parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* A comma-separated list of section names, or "all". @return 0 or -EINVAL. */
static int
parse_sections(const char *list, uint32_t *out)
{
	const char *p = list;

	*out = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		unsigned int i;

		if (len == 3 && strncmp(p, "all", 3) == 0) {
			*out |= ALL_SECTIONS;
		} else {
			for (i = 0; i < NB_SECTIONS; i++)
				if (strlen(section_names[i]) == len &&
				    strncmp(p, section_names[i], len) == 0)
					break;
			if (i == NB_SECTIONS)
				return -EINVAL;
			*out |= 1u << i;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return *out != 0 ? 0 : -EINVAL;
}

/* @return 0, 1 for -h (usage printed), or -EINVAL (one line printed). */
static int
parse_options(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	    {"rounds", required_argument, NULL, 'r'},
	    {"huge-dir", required_argument, NULL, 'd'},
	    {"mem", required_argument, NULL, 'm'},
	    {"sections", required_argument, NULL, 's'}, /* a list of enum section names */
	    {"icount", no_argument, NULL, 'i'},
	    {"busy-cpus", no_argument, NULL, 'b'},
	    {"no-busy-cpus", no_argument, NULL, 'B'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->rounds = DEFAULT_ROUNDS;
	o->mem_mb = DEFAULT_MEM_MB;
	o->sections = ALL_SECTIONS;
	o->busy_cpus = -1;
	snprintf(o->huge_dir, sizeof(o->huge_dir), "%s", DEFAULT_HUGE_DIR);
	opterr = 0;
	/* The leading ':' makes a missing value ':' and an unknown option '?'. */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_uint(optarg, 1, MAX_ROUNDS, &o->rounds) < 0) {
				fprintf(stderr, BENCH ": --rounds %s: expected 1 to %d\n", optarg,
					MAX_ROUNDS);
				return -EINVAL;
			}
			break;
		case 'm':
			if (parse_uint(optarg, 2, MAX_MEM_MB, &o->mem_mb) < 0 || o->mem_mb % 2) {
				fprintf(stderr,
					BENCH ": --mem %s: expected an even number of MiB from 2 "
					      "to %u\n",
					optarg, MAX_MEM_MB);
				return -EINVAL;
			}
			break;
		case 'd':
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(o->huge_dir)) {
				fprintf(stderr,
					BENCH ": --huge-dir %s: expected an absolute path\n",
					optarg);
				return -EINVAL;
			}
			snprintf(o->huge_dir, sizeof(o->huge_dir), "%s", optarg);
			break;
		case 's':
			if (parse_sections(optarg, &o->sections) < 0) {
				fprintf(stderr,
					BENCH ": --sections %s: expected a comma-separated list "
					      "of init, lookups, alloc, slab, ring, mempool, "
					      "service or all\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			bench_icount = true;
			break;
		case 'b':
			o->busy_cpus = 1;
			break;
		case 'B':
			o->busy_cpus = 0;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, BENCH ": option %s: needs a value (try -h)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, BENCH ": option %s: unknown (try -h)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, BENCH ": unexpected argument '%s' (try -h)\n", argv[optind]);
		return -EINVAL;
	}
	if (bench_icount) {
		const char *why = bench_icount_unavailable();
		const uint32_t queues = 1u << SECTION_RING | 1u << SECTION_MEMPOOL;

		if (why != NULL) {
			fprintf(stderr, BENCH ": --icount: %s\n", why);
			return -EINVAL;
		}
		if (o->sections & ~queues) {
			if (o->sections != ALL_SECTIONS) {
				fprintf(stderr,
					BENCH ": --icount: counts only the ring and mempool "
					      "sections\n");
				return -EINVAL;
			}
			o->sections = queues;
		}
		o->rounds = 1; /* the counts do not change from round to round */
		/* Callgrind runs one thread at a time: a spinner would take turns. */
		o->busy_cpus = 0;
	}
	if (o->busy_cpus < 0)
		o->busy_cpus = (o->sections & (1u << SECTION_RING | 1u << SECTION_MEMPOOL)) != 0;
	return 0;
}

/*
 * Can the bench run at all? If not, print the loud SKIPPED line that says
 * what is missing and what to do about it, and @return true.
 */
static bool
skip_without_hugepages(const struct bench_opts *o)
{
	const long need = o->mem_mb / 2;
	volatile uint64_t probe = 1; /* written: its page is present */
	struct statfs sfs;
	long free_pages, resv, nr, node0;
	uint64_t pa = NO_IOVA;
	int fd;

	if (access(SYSFS_2M, F_OK) != 0) {
		printf("SKIPPED: " BENCH ": the kernel offers no 2 MiB hugepages (" SYSFS_2M
		       " is missing)\n");
		return true;
	}
	if (statfs(o->huge_dir, &sfs) < 0 || (unsigned long)sfs.f_type != HUGETLBFS_MAGIC) {
		printf("SKIPPED: " BENCH ": no hugetlbfs is mounted at %s; mount one with: "
		       "mkdir -p %s && mount -t hugetlbfs -o pagesize=2M nodev %s\n",
		       o->huge_dir, o->huge_dir, o->huge_dir);
		return true;
	}
	if ((uint64_t)sfs.f_bsize != PAGE_2M) {
		printf("SKIPPED: " BENCH ": the hugetlbfs at %s has %ld kB pages; the bench "
		       "measures 2 MiB pages: give --huge-dir a mount with -o pagesize=2M\n",
		       o->huge_dir, (long)sfs.f_bsize >> 10);
		return true;
	}
	free_pages = read_sysfs_long(SYSFS_2M "/free_hugepages");
	resv = read_sysfs_long(SYSFS_2M "/resv_hugepages");
	nr = read_sysfs_long(SYSFS_2M "/nr_hugepages");
	if (resv > 0)
		free_pages -= resv; /* reserved by a mapping, not yet faulted: not ours */
	/* --socket-mem puts all of it on node 0. */
	node0 = read_sysfs_long(SYSFS_NODE0_2M "/free_hugepages");
	if (node0 >= 0 && node0 < free_pages)
		free_pages = node0;
	if (free_pages < need) {
		long want = (nr > 0 ? nr : 0) + need - (free_pages > 0 ? free_pages : 0);

		printf("SKIPPED: " BENCH ": %ld free 2 MiB hugepages, %ld needed for --mem %u; "
		       "reserve them with: echo %ld > " SYSFS_2M "/nr_hugepages\n",
		       free_pages < 0 ? 0 : free_pages, need, o->mem_mb, want > 1024 ? want : 1024);
		return true;
	}
	/* Both EALs run with --iova-mode=pa: the PFNs must be readable. */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		pa = pagemap_pa(fd, (uintptr_t)&probe);
		close(fd);
	}
	if (pa == NO_IOVA) {
		printf("SKIPPED: " BENCH ": physical addresses are not readable from "
		       "/proc/self/pagemap (needs CAP_SYS_ADMIN), and both EALs run with "
		       "--iova-mode=pa; run as root\n");
		return true;
	}
	return false;
}

/*
 * Anything named bench_<pid>_ that a child could not clean up (it crashed or
 * was killed): hugepage files in the huge dir, hugemem and DPDK runtime
 * directories. @return how many were removed.
 */
static unsigned int
sweep_leftovers(const struct bench_opts *o)
{
	char prefix[32], path[PATH_MAX], *slash;
	unsigned int n;

	snprintf(prefix, sizeof(prefix), "bench_%d_", (int)getpid());
	n = remove_entries(o->huge_dir, prefix, false);
	dpdk_runtime_base(path, sizeof(path));
	n += remove_entries(path, prefix, true);
	if (hm_runtime_dir_path(prefix, path, sizeof(path)) == 0) {
		slash = strrchr(path, '/');
		if (slash != NULL) {
			*slash = '\0';
			n += remove_entries(path, prefix, true);
		}
	}
	return n;
}

/*
 * The slab, ring and mempool sections run on CPUs 0 and 1 ("-l 0-1"). If
 * this process may not use both, say so loudly and drop those sections.
 */
static void
skip_slab_without_two_cpus(struct bench_opts *o)
{
	const uint32_t two_cpus = 1u << SECTION_SLAB | 1u << SECTION_RING | 1u << SECTION_MEMPOOL;
	cpu_set_t cpus;

	if (!(o->sections & two_cpus))
		return;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_ISSET(0, &cpus) &&
	    CPU_ISSET(1, &cpus))
		return;
	printf("SKIPPED: " BENCH ": the slab, ring and mempool sections run on CPUs 0 and 1 (-l "
	       "0-1), and this process may not use both\n");
	o->sections &= ~two_cpus;
}

/*
 * jemalloc cannot be dlopen()ed into glibc's default static TLS surplus
 * (see the top comment), and the surplus is fixed when a process starts:
 * execute the bench again, once, with GLIBC_TUNABLES asking for more. On a
 * failure go on; jemalloc's column then says why it was skipped.
 */
static void
reexec_with_static_tls(const struct bench_opts *o, char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char buf[1024], self[PATH_MAX];
	ssize_t len;

	if (!(o->sections & 1u << SECTION_SLAB) ||
	    (old != NULL && strstr(old, STATIC_TLS_TUNABLE "=") != NULL))
		return;
	/* The real path, not /proc/self/exe, so that ps and top show the bench's name. */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		fprintf(stderr, BENCH ": cannot find its own executable: %s\n", strerror(errno));
		return;
	}
	self[len] = '\0';
	if (snprintf(buf, sizeof(buf), "%s%s" STATIC_TLS_TUNABLE "=%u", old != NULL ? old : "",
		     old != NULL && old[0] != '\0' ? ":" : "",
		     SLAB_STATIC_TLS) >= (int)sizeof(buf) ||
	    setenv("GLIBC_TUNABLES", buf, 1) < 0)
		return;
	execv(self, argv);
	fprintf(stderr, BENCH ": cannot execute %s again with GLIBC_TUNABLES=%s: %s\n", self, buf,
		strerror(errno));
}

/* ------------------------------------------------------------ the rounds */

/* Read what one child reported: warnings, skips, failures. */
static void
account_child(struct bench_results *br, const struct bench_opts *o, unsigned int round,
	      enum bench_kind k)
{
	const struct child_result *r = &br->r[round * NB_KINDS + k];

	if (k == KIND_DPDK_LEGACY) {
		/*
		 * Legacy mode keeps its hugepage files after rte_eal_cleanup(),
		 * for secondaries: by design, and they lived in the child's
		 * private mount. A note under the table, not a warning.
		 */
		br->legacy_kept_files = r->leftover_files;
	} else if (r->leftover_files || r->leftover_rundir) {
		fprintf(stderr,
			BENCH ": WARNING: after %s cleanup, round %u: %u hugepage file(s) of its "
			      "prefix in %s%s; removed\n",
			kinds[k].is_hm ? "hugemem" : "DPDK", round + 1, r->leftover_files,
			o->huge_dir, r->leftover_rundir ? ", and its runtime directory" : "");
		br->leftover_warnings++;
	}
	for (unsigned int a = 0; a < NB_SLAB_ALLOCS; a++) {
		if (r->slab_skipped[a][0] == '\0' || br->slab_skipped[a][0] != '\0')
			continue;
		snprintf(br->slab_skipped[a], sizeof(br->slab_skipped[a]), "%s",
			 r->slab_skipped[a]);
		fprintf(stderr, BENCH ": SKIPPED: %s: %s\n", slab_allocs[a].label,
			br->slab_skipped[a]);
	}
	switch ((enum child_status)r->status) {
	case CHILD_OK:
		br->have[round * NB_KINDS + k] = true;
		br->verified += r->verified;
		break;
	case CHILD_SKIPPED:
		snprintf(br->skipped[k], sizeof(br->skipped[k]), "skipped: %s", r->error);
		fprintf(stderr, BENCH ": %s: %s\n", kinds[k].label, br->skipped[k]);
		break;
	case CHILD_VERIFY_FAILED:
		fprintf(stderr, "FAIL: " BENCH ": %s: wrong translation: %s\n", kinds[k].label,
			r->error);
		br->failed = true;
		break;
	default:
		fprintf(stderr, "FAIL: " BENCH ": %s: %s\n", kinds[k].label, r->error);
		br->failed = true;
		break;
	}
}

/*
 * Idle CPUs kept busy. An idle vCPU halts, and when it wakes the host may
 * run it on another physical core: the two CPUs of a run can share a core's
 * caches one time and be far apart the next. On the machine README.md's
 * tables come from, a cache line goes between the two CPUs and back in 70
 * to 90 ns in some processes and 400 to 800 ns in others (the probe below
 * prints it). The 2-lcore ring and mempool rows pass lines between their
 * CPUs on every call, so each child times its placement as much as its
 * library.
 *
 * So the parent runs a SCHED_IDLE thread on each of its CPUs for the whole
 * run: it runs only when nothing else on the CPU wants to, and keeps the
 * vCPU from halting between and inside the children, as the polling lcores
 * of a DPDK application keep theirs. That takes away the re-placement on
 * wake-up, not the host's own moves of busy vCPUs, which the probes before
 * and after each child show. They take no locks, so a fork() while they
 * spin leaves the child nothing to trip on.
 */
struct busy_cpus {
	pthread_t threads[CPU_SETSIZE];
	unsigned int nb;
	atomic_bool stop;
};

static void *
busy_cpu_main(void *arg)
{
	struct busy_cpus *b = arg;
	struct sched_param sp = {.sched_priority = 0};
	int ret;

	/* In the thread: pthread_attr_setschedpolicy() takes no SCHED_IDLE. A
	 * spinner that could not drop its priority must not spin at all. */
	ret = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	if (ret != 0) {
		fprintf(stderr, BENCH ": note: a CPU not kept busy: SCHED_IDLE: %s\n",
			strerror(ret));
		return NULL;
	}
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed))
		bench_pause();
	return NULL;
}

/* Start a SCHED_IDLE spinner on each CPU of the process; a failure is a note, not an error. */
static void
busy_cpus_start(struct busy_cpus *b)
{
	pthread_attr_t attr;
	cpu_set_t cpus, one;
	int ret;

	b->nb = 0;
	atomic_init(&b->stop, false);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0 || pthread_attr_init(&attr) != 0) {
		fprintf(stderr, BENCH ": note: CPUs not kept busy: %s\n", strerror(errno));
		return;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &cpus))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		ret = pthread_create(&b->threads[b->nb], &attr, busy_cpu_main, b);
		if (ret != 0) {
			fprintf(stderr, BENCH ": note: CPU %d not kept busy: %s\n", cpu,
				strerror(ret));
			continue;
		}
		b->nb++;
	}
	pthread_attr_destroy(&attr);
}

static void
busy_cpus_stop(struct busy_cpus *b)
{
	atomic_store(&b->stop, true);
	for (unsigned int i = 0; i < b->nb; i++)
		pthread_join(b->threads[i], NULL);
	b->nb = 0;
}

/*
 * The probe the parent makes before each ring and mempool child: a cache
 * line passed between CPUs 0 and 1 (the children's "-l 0-1") and back
 * LINE_PROBE_TRIPS times, by two threads of the parent's pinned there.
 * Printed with the tables, so a reader sees whether both sides' children
 * ran on CPUs as far apart.
 */
#define LINE_PROBE_TRIPS	20000
#define LINE_PROBE_WARMUP_TRIPS 1000

struct line_probe {
	_Atomic uint64_t line __attribute__((aligned(128)));
	char pad[128 - sizeof(uint64_t)];
	atomic_bool stop; /* the probe is over, or one side could not pin itself */
	uint64_t ns;	  /* per round trip; 0 if the probe did not run */
};

static bool
line_probe_pin(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
}

/* CPU 1's side: turn every odd value of the line into the next even one. */
static void *
line_probe_echo(void *arg)
{
	struct line_probe *p = arg;

	if (!line_probe_pin(1)) {
		atomic_store(&p->stop, true);
		return NULL;
	}
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		uint64_t v = atomic_load_explicit(&p->line, memory_order_acquire);

		if (v % 2 == 1)
			atomic_store_explicit(&p->line, v + 1, memory_order_release);
		else
			bench_pause();
	}
	return NULL;
}

/* CPU 0's side: an odd value out, wait for the even one back. */
static void *
line_probe_send(void *arg)
{
	struct line_probe *p = arg;
	uint64_t t0 = 0;

	if (!line_probe_pin(0)) {
		atomic_store(&p->stop, true);
		return NULL;
	}
	for (uint64_t i = 0; i < LINE_PROBE_WARMUP_TRIPS + LINE_PROBE_TRIPS; i++) {
		if (i == LINE_PROBE_WARMUP_TRIPS)
			t0 = now_ns();
		atomic_store_explicit(&p->line, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&p->line, memory_order_acquire) != 2 * i + 2)
			if (atomic_load_explicit(&p->stop, memory_order_relaxed))
				return NULL;
	}
	p->ns = (now_ns() - t0) / LINE_PROBE_TRIPS;
	atomic_store(&p->stop, true);
	return NULL;
}

/* @return ns per round trip of a line between CPUs 0 and 1, or 0 if it could not be measured. */
static double
line_probe_run(void)
{
	static struct line_probe p;
	pthread_t echo, send;
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0 || !CPU_ISSET(0, &cpus) ||
	    !CPU_ISSET(1, &cpus))
		return 0;
	atomic_store(&p.line, 0);
	atomic_store(&p.stop, false);
	p.ns = 0;
	if (pthread_create(&echo, NULL, line_probe_echo, &p) != 0)
		return 0;
	if (pthread_create(&send, NULL, line_probe_send, &p) != 0)
		atomic_store(&p.stop, true);
	else
		pthread_join(send, NULL);
	pthread_join(echo, NULL);
	return (double)p.ns;
}

/*
 * Every round runs one child of each kind the sections need, one at a time,
 * starting one kind later than the round before. The rotation is over those
 * kinds only, so that a section's hugemem and DPDK children swap places
 * every round. Stops at the first failure or signal.
 */
static void
run_rounds(struct bench_results *br, const struct bench_opts *o)
{
	enum bench_kind order[NB_KINDS];
	unsigned int nb = 0;

	/* Not the paired child under callgrind: its loops would count in the rows' dumps. */
	for (unsigned int k = 0; k < NB_KINDS; k++)
		if ((kinds[k].sections & o->sections) && !(kinds[k].paired && bench_icount))
			order[nb++] = (enum bench_kind)k;
	for (unsigned int round = 0; round < o->rounds; round++) {
		fprintf(stderr, BENCH ": round %u/%u\n", round + 1, o->rounds);
		for (unsigned int i = 0; i < nb; i++) {
			enum bench_kind k = order[(round + i) % nb];
			bool probe;

			if (br->skipped[k][0] != '\0')
				continue;
			/* Not under callgrind, which runs one thread at a time. */
			probe = !bench_icount &&
				(kinds[k].sections & (1u << SECTION_RING | 1u << SECTION_MEMPOOL));
			if (probe)
				br->line_rtt_ns[(round * NB_KINDS + k) * 2] = line_probe_run();
			spawn_child(k, round, o, &br->r[round * NB_KINDS + k]);
			if (interrupted)
				return;
			if (probe)
				br->line_rtt_ns[(round * NB_KINDS + k) * 2 + 1] = line_probe_run();
			account_child(br, o, round, k);
			if (br->failed)
				return;
		}
	}
}

/* The probes of one kind's children, before (0) or after (1): "median ns (min-max)". */
static void
line_probe_summary(const struct bench_results *br, enum bench_kind k, unsigned int when, char *buf,
		   size_t len)
{
	double v[MAX_ROUNDS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < br->rounds; i++)
		if (br->line_rtt_ns[(i * NB_KINDS + k) * 2 + when] > 0)
			v[n++] = br->line_rtt_ns[(i * NB_KINDS + k) * 2 + when];
	if (n == 0) {
		snprintf(buf, len, "not measured");
		return;
	}
	bench_sort(v, n);
	snprintf(buf, len, "%.0f ns (%.0f-%.0f)", bench_median(v, n), v[0], v[n - 1]);
}

static void
print_line_probes(const struct bench_results *br)
{
	static const enum bench_kind ks[] = {KIND_HM_QUEUES, KIND_DPDK_QUEUES};
	static const char *const names[] = {"hugemem's", "DPDK's"};
	char before[64], after[64];

	printf("  A cache line's round trip between CPUs 0 and 1, timed over %u trips by two "
	       "threads\n  of the parent just before and just after each child, median (min-max) "
	       "of the rounds:\n",
	       LINE_PROBE_TRIPS);
	for (unsigned int i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		line_probe_summary(br, ks[i], 0, before, sizeof(before));
		line_probe_summary(br, ks[i], 1, after, sizeof(after));
		printf("  %-9s children: before %s, after %s; by round:", names[i], before, after);
		for (unsigned int r = 0; r < br->rounds; r++)
			printf(" %.0f/%.0f", br->line_rtt_ns[(r * NB_KINDS + ks[i]) * 2],
			       br->line_rtt_ns[(r * NB_KINDS + ks[i]) * 2 + 1]);
		printf("\n");
	}
}

/* The ring and mempool tables, from bench_ring.c and bench_mempool.c. */
static void
print_queue_tables(const struct bench_results *br, uint32_t sections)
{
	const struct bench_ring_result *hm_ring[MAX_ROUNDS], *dpdk_ring[MAX_ROUNDS];
	const struct bench_mempool_result *hm_mp[MAX_ROUNDS], *dpdk_mp[MAX_ROUNDS];

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *hm = result_at(br, i, KIND_HM_QUEUES);
		const struct child_result *dpdk = result_at(br, i, KIND_DPDK_QUEUES);

		hm_ring[i] = hm != NULL ? &hm->ring : NULL;
		dpdk_ring[i] = dpdk != NULL ? &dpdk->ring : NULL;
		hm_mp[i] = hm != NULL ? &hm->mempool : NULL;
		dpdk_mp[i] = dpdk != NULL ? &dpdk->mempool : NULL;
	}
	if (sections & 1u << SECTION_RING)
		bench_ring_print(hm_ring, dpdk_ring, br->rounds);
	if (sections & 1u << SECTION_MEMPOOL)
		bench_mempool_print(hm_mp, dpdk_mp, br->rounds);
	if (!bench_icount) {
		const struct bench_paired_result *paired[MAX_ROUNDS];

		for (unsigned int i = 0; i < br->rounds; i++) {
			const struct child_result *p = result_at(br, i, KIND_PAIRED);

			paired[i] = p != NULL ? &p->paired : NULL;
		}
		if (sections & 1u << SECTION_RING)
			bench_ring_paired_print(paired, br->rounds);
		if (sections & 1u << SECTION_MEMPOOL)
			bench_mempool_paired_print(paired, br->rounds);
	}
	print_line_probes(br);
}

/* The service table, from bench_service.c. */
static void
print_service_table(const struct bench_results *br)
{
	const struct bench_service_result *hm[MAX_ROUNDS], *dpdk[MAX_ROUNDS];

	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *h = result_at(br, i, KIND_HM_SERVICE);
		const struct child_result *d = result_at(br, i, KIND_DPDK_SERVICE);

		hm[i] = h != NULL ? &h->service : NULL;
		dpdk[i] = d != NULL ? &d->service : NULL;
	}
	bench_service_print(hm, dpdk, br->rounds, br->skipped[KIND_DPDK_SERVICE]);
}

static void
print_summary(const struct bench_results *br, const struct bench_opts *o)
{
	if (o->sections & 1u << SECTION_INIT) {
		print_init_table(br, o);
		if (br->legacy_kept_files > 0)
			printf(
			    "  (--legacy-mem keeps its %u hugepage files after rte_eal_cleanup(), "
			    "for secondaries;\n   they were in the child's private mount and "
			    "went with it)\n",
			    br->legacy_kept_files);
	}
	if (o->sections & 1u << SECTION_LOOKUPS)
		print_lookup_table(br);
	if (o->sections & 1u << SECTION_ALLOC) {
		print_alloc_table(br);
		print_frag_table(br);
	}
	if (o->sections & 1u << SECTION_SLAB)
		print_slab_table(br);
	if (o->sections & (1u << SECTION_RING | 1u << SECTION_MEMPOOL))
		print_queue_tables(br, o->sections);
	if (o->sections & 1u << SECTION_SERVICE)
		print_service_table(br);
	for (unsigned int i = 0; i < br->rounds; i++) {
		const struct child_result *r = result_at(br, i, KIND_HM);

		if (r != NULL && r->lib_nb_runs != r->nb_runs)
			printf("note: round %u: hm_memory_info_get() says %u contiguous runs, the "
			       "memsegs show %u\n",
			       i + 1, r->lib_nb_runs, r->nb_runs);
	}
	if (o->sections & (1u << SECTION_INIT | 1u << SECTION_LOOKUPS))
		printf("\nVerified: %u addresses in all (IOVA == memseg IOVA + offset == pagemap "
		       "PA): all match\n",
		       br->verified);
	printf("Leftovers: %s\n", br->leftover_warnings ? "found and removed (see warnings above)"
							: "none; no bench_ hugepage files remain");
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	struct busy_cpus busy;
	struct bench_results br;
	struct bench_opts o;
	struct sigaction sa;
	unsigned int swept;
	int ret;

	/* A client of the service section, started by its child: nothing else of main(). */
	if (argc > 1 && strcmp(argv[1], BENCH_SERVICE_CLIENT_OPT) == 0)
		return bench_service_client_main(argc, argv);

	ret = parse_options(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	reexec_with_static_tls(&o, argv);
	if (skip_without_hugepages(&o))
		return 0;
	skip_slab_without_two_cpus(&o);

	memset(&br, 0, sizeof(br));
	br.rounds = o.rounds;
	br.r = calloc((size_t)o.rounds * NB_KINDS, sizeof(*br.r));
	br.have = calloc((size_t)o.rounds * NB_KINDS, sizeof(*br.have));
	br.scratch = calloc(o.rounds, sizeof(*br.scratch));
	br.line_rtt_ns = calloc((size_t)o.rounds * NB_KINDS * 2, sizeof(*br.line_rtt_ns));
	if (br.r == NULL || br.have == NULL || br.scratch == NULL || br.line_rtt_ns == NULL) {
		fprintf(stderr, BENCH ": no memory for %u rounds of results\n", o.rounds);
		ret = 1;
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read/waitpid return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf(BENCH ": hugemem %s vs %s, %u MiB of 2 MiB pages from %s per EAL, IOVA as PA,\n"
		     "  lcore 0 (slab, ring, mempool: 0-1; service clients: 1-3 on CPU 0), %u "
		     "rounds of one\n  child per kind, order rotated each round; sections:",
	       hm_version(), rte_version(), o.mem_mb, o.huge_dir, o.rounds);
	for (unsigned int i = 0; i < NB_SECTIONS; i++)
		if (o.sections & 1u << i)
			printf(" %s", section_names[i]);
	printf("\n");
	if (o.busy_cpus) {
		busy_cpus_start(&busy);
		printf("  idle CPUs kept busy by %u SCHED_IDLE threads (--no-busy-cpus: not)\n",
		       busy.nb);
	}
	run_rounds(&br, &o);
	if (o.busy_cpus)
		busy_cpus_stop(&busy);

	swept = sweep_leftovers(&o);
	if (swept > 0) {
		fprintf(stderr,
			BENCH ": WARNING: %u leftover bench_%d_* file(s) or directories found at "
			      "the end (a child that died?); removed\n",
			swept, (int)getpid());
		br.leftover_warnings++;
	}
	if (interrupted) {
		fprintf(stderr, BENCH ": interrupted\n");
		ret = 130;
	} else if (br.failed) {
		ret = 1;
	} else if (bench_icount) {
		printf(BENCH ": --icount: the counts are in callgrind's dumps, one per row and "
			     "side\n");
		ret = 0;
	} else {
		print_summary(&br, &o);
		ret = 0;
	}
out:
	free(br.r);
	free(br.have);
	free(br.scratch);
	free(br.line_rtt_ns);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_EAL_H
#define HUGEMEM_EAL_H

/**
 * @file
 * hugemem environment abstraction layer (EAL).
 *
 * hm_eal_init() is the entry point of every process that uses hugemem. It
 * takes DPDK's EAL command line (the same option names and value syntax),
 * decides whether this process is the primary or a secondary of a file
 * prefix, creates or attaches the shared memory, and starts one pinned thread
 * per worker lcore. The thread that called hm_eal_init() becomes the main
 * lcore.
 *
 * Process model: exactly one primary per file prefix owns the hugepages and
 * the shared configuration; any number of secondaries attach to the same
 * memory at the same virtual addresses. An lcore id is owned by one attached
 * process at a time: a secondary that asks for an lcore that a live process
 * holds is refused, because two threads with one lcore id would corrupt the
 * per-lcore caches of the allocators.
 *
 * Every function that can fail returns a negative errno value (or NULL with
 * errno set) and logs one line naming the subsystem, the object and the cause.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of lcores a process can have; lcore ids are below this. */
#define HM_MAX_LCORE 128

/** Largest NUMA node id + 1 that hugemem handles. */
#define HM_MAX_NUMA_NODES 8

/** lcore id of a thread that is not an EAL lcore thread. */
#define HM_LCORE_ID_ANY UINT32_MAX

/** Role of this process for its file prefix. */
enum hm_proc_type {
	HM_PROC_AUTO = -1,     /**< decide at init: primary if no primary holds the prefix */
	HM_PROC_PRIMARY = 0,   /**< owns the hugepages and the shared configuration */
	HM_PROC_SECONDARY = 1, /**< attaches to a running primary's memory */
};

/** How device addresses (IOVA) relate to virtual addresses. */
enum hm_iova_mode {
	HM_IOVA_DC = 0, /**< not chosen: PA where physical addresses can be read, else VA */
	HM_IOVA_PA = 1, /**< IOVA is the physical address from /proc/self/pagemap */
	HM_IOVA_VA = 2, /**< IOVA is the virtual address */
};

/** State of a worker lcore. */
enum hm_lcore_state {
	HM_LCORE_WAIT = 0, /**< idle, waiting for a function */
	HM_LCORE_RUNNING,  /**< running a launched function */
	HM_LCORE_FINISHED, /**< the function returned; hm_eal_wait_lcore() collects it */
};

/** @return the library version, "MAJOR.MINOR.PATCH". */
const char *hm_version(void);

/**
 * Initialise the environment.
 *
 * Parses the EAL options at the start of argv (up to the first non-option
 * argument or "--"), maps the hugepage memory (primary) or attaches to it
 * (secondary), and launches one thread per worker lcore.
 *
 * Like rte_eal_init(), on success argv[ret] is set to argv[0], so the caller
 * continues with `argc -= ret; argv += ret;` and parses its own options.
 *
 * @param argc
 *   Number of arguments in argv.
 * @param argv
 *   The command line; argv[0] is the program name.
 * @return
 *   - >= 0: the number of arguments consumed.
 *   - -ECANCELED: -h/--help or -v/--version was given and printed; the caller
 *     should exit with status 0. Nothing was set up.
 *   - -EINVAL: a bad option or an incompatible combination (one line logged).
 *   - -EALREADY: the EAL is already initialised in this process.
 *   - -EEXIST: a primary is already running with this file prefix, or the
 *     fixed address of the shared memory is taken in this process.
 *   - -ENOENT: secondary asked for, but no primary runs with this prefix.
 *   - -ENOMEM: not enough hugepages (the log line gives the numbers and the
 *     command that reserves them).
 *   - -EBUSY: a requested lcore is owned by another attached process.
 *   - -EPROTO: called through <hugemem/hugemem.h>, which checks it: the
 *     program was built against headers that lay out or size the structures
 *     its inline code reads otherwise than this library
 *     (hm_eal_init_layout_()). The line is logged before any option is
 *     parsed, so at the default level and to stderr.
 *   - other negative errno values from the system calls involved.
 *   On any failure nothing is left behind: no files, mappings or threads.
 */
int hm_eal_init(int argc, char **argv);

/**
 * Release everything hm_eal_init() set up: worker threads, mappings, and (in
 * the primary) the hugepage files and the runtime directory.
 *
 * A child of fork() is not attached on its own: it shares its parent's
 * process slot and lcores, so it must neither clean up nor call anything
 * that goes through the service (those calls fail with ENOTSUP). It may
 * use what it inherited that needs no service (mempool gets and puts on a
 * non-lcore thread, rings, VA to IOVA), at its own risk, and exit.
 *
 * @return 0, or -EALREADY if the EAL is not initialised, -ECHILD in a child
 *   of fork() of the process that initialised it (nothing is done).
 */
int hm_eal_cleanup(void);

/** @return true between a successful hm_eal_init() and hm_eal_cleanup(). */
bool hm_eal_initialized(void);

/** @return the process type resolved at init (never HM_PROC_AUTO). */
enum hm_proc_type hm_eal_process_type(void);

/** @return the IOVA mode in force. */
enum hm_iova_mode hm_eal_iova_mode(void);

/** @return true unless --no-huge was given. */
bool hm_eal_has_hugepages(void);

/** @return true if telemetry is enabled (--telemetry, the default). */
bool hm_eal_telemetry_enabled(void);

/** @return the file prefix ("hugemem" by default). */
const char *hm_eal_file_prefix(void);

/**
 * @return the memory channels given with -n, or 0 if none was: mempools
 *   then spread their objects as for 4 channels.
 */
unsigned int hm_eal_memory_channels(void);

/** @return the runtime directory of this prefix, or "" with --in-memory. */
const char *hm_eal_runtime_dir(void);

/* ------------------------------------------------------------------ lcores */

/**
 * Function run on an lcore by hm_eal_remote_launch().
 * @return a value collected by hm_eal_wait_lcore().
 */
typedef int(hm_lcore_function_t)(void *arg);

/**
 * @internal The calling thread's lcore id. Initial-exec TLS, so the inline
 * fast paths of the ring and mempool headers read it with one load.
 */
extern __thread unsigned int hm_this_lcore_ __attribute__((tls_model("initial-exec")));

/** @return the lcore id of the calling thread, or HM_LCORE_ID_ANY. */
static inline unsigned int
hm_lcore_id(void)
{
	return hm_this_lcore_;
}

/**
 * @return the NUMA socket of the CPU the calling thread runs on, read once
 *   per thread (lcore threads are pinned), 0 without NUMA support.
 */
unsigned int hm_socket_id(void);

/** @return the main lcore's id. */
unsigned int hm_get_main_lcore(void);

/** @return the number of enabled lcores, main included. */
unsigned int hm_lcore_count(void);

/** @return true if lcore_id is enabled in this process. */
bool hm_lcore_is_enabled(unsigned int lcore_id);

/**
 * @return the CPU the lcore is pinned to (the lowest one of its CPU set), or
 *   -EINVAL for an lcore that is not enabled.
 */
int hm_lcore_to_cpu(unsigned int lcore_id);

/**
 * Next enabled lcore after i.
 *
 * @param i          start after this id; UINT32_MAX (-1) starts from the first.
 * @param skip_main  skip the main lcore.
 * @param wrap       wrap around past HM_MAX_LCORE.
 * @return the next lcore id, or HM_MAX_LCORE when there is none.
 */
unsigned int hm_get_next_lcore(unsigned int i, bool skip_main, bool wrap);

/** Iterate over the enabled worker lcores (main excluded). */
#define HM_LCORE_FOREACH_WORKER(i)                                                                 \
	for ((i) = hm_get_next_lcore(UINT32_MAX, true, false); (i) < HM_MAX_LCORE;                 \
	     (i) = hm_get_next_lcore((i), true, false))

/**
 * Run f(arg) on a worker lcore.
 *
 * @return 0; -EINVAL if worker_id is not an enabled worker lcore; -EBUSY if it
 *   is running or holds a result that hm_eal_wait_lcore() has not collected.
 */
int hm_eal_remote_launch(hm_lcore_function_t *f, void *arg, unsigned int worker_id);

/**
 * Run f(arg) on every worker lcore, and on the main lcore too when call_main
 * is set (in the calling thread, after the workers were started).
 *
 * @return 0, or -EBUSY if some worker is not idle (then nothing is launched).
 */
int hm_eal_mp_remote_launch(hm_lcore_function_t *f, void *arg, bool call_main);

/**
 * Wait for a worker lcore to finish and collect its result.
 *
 * @return the launched function's return value, or 0 if the lcore was idle;
 *   -EINVAL for an lcore that is not an enabled worker.
 */
int hm_eal_wait_lcore(unsigned int worker_id);

/** Wait for every worker lcore. */
void hm_eal_mp_wait_lcore(void);

/** @return the state of a worker lcore (HM_LCORE_WAIT for an unknown one). */
enum hm_lcore_state hm_eal_get_lcore_state(unsigned int worker_id);

/* ----------------------------------------------------------------- logging */

/** Log levels, numbered as DPDK's (and syslog's + 1). */
enum hm_log_level {
	HM_LOG_EMERG = 1,
	HM_LOG_ALERT = 2,
	HM_LOG_CRIT = 3,
	HM_LOG_ERR = 4,
	HM_LOG_WARNING = 5,
	HM_LOG_NOTICE = 6,
	HM_LOG_INFO = 7,
	HM_LOG_DEBUG = 8,
};

/**
 * Log one line to stderr as "hugemem: <subsys>: <message>" if level passes the
 * global level and the subsystem's own level (see --log-level).
 */
void hm_log(enum hm_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list form of hm_log(). */
void hm_vlog(enum hm_log_level level, const char *subsys, const char *fmt, va_list ap);

/** @return true if a message of this level for this subsystem would be printed. */
bool hm_log_enabled(enum hm_log_level level, const char *subsys);

/** Set the global log level. @return 0 or -EINVAL for a level out of 1..8. */
int hm_log_set_level(int level);

/** @return the global log level. */
int hm_log_get_level(void);

/** HM_LOG(ERR, "memory", "...") */
#define HM_LOG(level, subsys, ...) hm_log(HM_LOG_##level, subsys, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_EAL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK mempool ops "hugemem": an unmodified DPDK 22.11 application run with
 *
 *   -d librte_mempool_hugemem.so --mbuf-pool-ops-name hugemem
 *
 * keeps its packet buffers in hugemem: the objects, their memory and their
 * IOVAs come from a pool of a running hugememd, which this process attaches
 * to as a secondary.
 *
 * Attaching. DPDK's EAL dlopen()s the plugin in eal_plugins_init(), after
 * its option parsing and before its memory init. The constructor below runs
 * then and calls hm_eal_init() with --proc-type secondary --file-prefix
 * $HUGEMEM_PREFIX (default "hugemem"), so hugemem maps its fixed shared
 * range before DPDK reserves any virtual space. The process takes one
 * hugemem lcore id, on the CPUs it may run on (no pinning changes): the id
 * in $HUGEMEM_LCORE, else the highest free one from 127 down. DPDK's own
 * threads are no hugemem lcores, and the pools below have no hugemem
 * per-lcore cache: DPDK's per-lcore cache sits in front of the ops, and the
 * ops talk to the hugemem pool's shared ring. If the constructor cannot
 * attach (no hugememd yet), the first pool alloc tries again and fails with
 * the reason. $HUGEMEM_LOG_LEVEL is hugemem's --log-level (default notice).
 *
 * Memory. The first pool alloc registers hugemem's whole virtual range with
 * rte_extmem_register(): one DPDK page per 2 MiB granule, each with its IOVA
 * from hm_virt2iova(), so rte_mem_virt2memseg() and rte_malloc_virt2iova()
 * inside DPDK give the IOVAs hugemem gives. (DPDK does not DMA-map external
 * memory; an application with a VFIO device calls rte_dev_dma_map() for it.)
 *
 * One DPDK pool = one hugemem pool. alloc creates an hm_mempool of mp->size
 * objects, each the size of one whole DPDK element (header_size + elt_size
 * + trailer_size), flagged HM_MEMPOOL_OWNED: hugemem records this process as
 * the taker of every object it dequeues, so when the process dies (SIGKILL)
 * hugememd puts them all back. A DPDK object is the hugemem object plus
 * mp->header_size: DPDK's objhdr sits at the start of the hugemem object,
 * hugemem's own header before it. Its IOVA is the hugemem object's IOVA plus
 * header_size; that is what populate hands to DPDK's obj_cb, so every mbuf's
 * buf_iova is a hugemem IOVA.
 *
 *   calc_mem_size asks DPDK for a token chunk (one cache line): DPDK's
 *     rte_mempool_populate_default() reserves a memzone of that size and
 *     calls populate once with it;
 *   populate ignores DPDK's chunk and calls obj_cb for the hugemem objects
 *     not yet given to DPDK (the first mp->populated_size ones were);
 *   enqueue checks every pointer (an object of this pool, on a boundary, not
 *     free already), refuses the whole call with -EINVAL if one is not, and
 *     puts them back;
 *   dequeue gets n objects, all or none (-ENOENT);
 *   get_count is the hugemem pool's free count;
 *   free: DPDK frees a pool whose objects are all back from its point of
 *     view, but its per-lcore caches are never flushed and it has dequeued
 *     the objects it could before calling free. So free takes every free
 *     object, gives every object of the pool back (all are this process's
 *     now), and frees the hugemem pool.
 *
 * Names. The hugemem pool is "dpdk.<pid>.<DPDK name>" (a long name is cut
 * and ends in a hash of the whole). A pool whose process is gone (killed
 * before it freed it) and whose objects hugememd has taken back is freed
 * by the next alloc of any process that loads the plugin.
 *
 * Detaching. At exit, when no hugemem pool of this process is alive, the
 * destructor detaches (hm_eal_cleanup()); with pools alive it leaves the
 * mapping to the DPDK threads that may still touch it, and hugememd
 * reclaims from the dead process.
 *
 * Locking: ctx.lock serialises attach, the extmem registration and the
 * pool count; the ops themselves take no lock of their own (the hugemem
 * pool's ring is MP/MC).
 */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include <hugemem/hugemem.h>

#define DRV	      "dpdk"
#define OPS_NAME      "hugemem"
#define NAME_PREFIX   "dpdk."
#define GRANULE	      (UINT64_C(1) << HM_IOVA_GRANULE_SHIFT)
#define BATCH	      256 /* pointers converted on the stack at a time */
#define LCORE_TRIES   32  /* lcore ids tried from 127 down without $HUGEMEM_LCORE */
#define CPU_LIST_SIZE 1024

static struct {
	pthread_mutex_t lock;
	int attach_err;	    /* 0 once attached, else the -errno of the last try */
	bool attached_here; /* hm_eal_init() was ours, so is hm_eal_cleanup() */
	bool extmem_done;
	unsigned int live_pools;
} ctx = {.lock = PTHREAD_MUTEX_INITIALIZER, .attach_err = -ENODEV};

/* ------------------------------------------------------------- attach */

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

/* The CPUs this thread may run on as a list for --lcores: "0,1,5". */
static int
cpu_list(char *buf, size_t len)
{
	cpu_set_t set;
	size_t off = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	buf[0] = '\0';
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		int n;

		if (!CPU_ISSET(cpu, &set))
			continue;
		n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", cpu);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return off > 0 ? 0 : -ENODEV;
}

/* One hm_eal_init() as a secondary on lcore id `lcore`; getopt's state is DPDK's again after. */
static int
attach_as(const char *prefix, unsigned int lcore, const char *cpus, const char *level)
{
	char lcores[CPU_LIST_SIZE + 16];
	char *argv[] = {"librte_mempool_hugemem",
			"--proc-type",
			"secondary",
			"--file-prefix",
			(char *)prefix,
			"--lcores",
			lcores,
			"--log-level",
			(char *)level,
			NULL};
	int saved_optind = optind, saved_opterr = opterr, saved_optopt = optopt, ret;
	char *saved_optarg = optarg;

	snprintf(lcores, sizeof(lcores), "%u@(%s)", lcore, cpus);
	ret = hm_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	optind = saved_optind;
	opterr = saved_opterr;
	optopt = saved_optopt;
	optarg = saved_optarg;
	return ret < 0 ? ret : 0;
}

/* Attach to hugememd unless this process is attached already. Under ctx.lock. */
static int
attach_locked(void)
{
	const char *prefix = env_or("HUGEMEM_PREFIX", "hugemem");
	const char *level = env_or("HUGEMEM_LOG_LEVEL", "notice");
	const char *want = getenv("HUGEMEM_LCORE");
	char cpus[CPU_LIST_SIZE];
	unsigned int lcore = HM_MAX_LCORE - 1, tries = LCORE_TRIES;
	int ret;

	if (hm_eal_initialized())
		return ctx.attach_err = 0;
	if (want != NULL && want[0] != '\0') {
		char *end;
		unsigned long v = strtoul(want, &end, 10);

		if (*end != '\0' || v >= HM_MAX_LCORE) {
			hm_log(HM_LOG_ERR, DRV, "HUGEMEM_LCORE=%s: not an lcore id (0-%d)", want,
			       HM_MAX_LCORE - 1);
			return ctx.attach_err = -EINVAL;
		}
		lcore = (unsigned int)v;
		tries = 1;
	}
	ret = cpu_list(cpus, sizeof(cpus));
	if (ret < 0) {
		hm_log(HM_LOG_ERR, DRV, "prefix %s: cannot read this thread's CPUs: %s", prefix,
		       strerror(-ret));
		return ctx.attach_err = ret;
	}
	do {
		ret = attach_as(prefix, lcore, cpus, level);
	} while (ret == -EBUSY && --tries > 0 && lcore-- > 0);
	if (ret < 0) {
		hm_log(HM_LOG_ERR, DRV,
		       "cannot attach to hugememd of prefix %s: %s (is it running? "
		       "HUGEMEM_PREFIX names it)",
		       prefix, strerror(-ret));
		return ctx.attach_err = ret;
	}
	ctx.attached_here = true;
	hm_log(HM_LOG_INFO, DRV, "attached to hugememd of prefix %s as lcore %u", prefix, lcore);
	return ctx.attach_err = 0;
}

/* Before DPDK's memory init: hugemem's fixed range goes in first. */
__attribute__((constructor)) static void
hugemem_ops_attach_early(void)
{
	pthread_mutex_lock(&ctx.lock);
	attach_locked();
	pthread_mutex_unlock(&ctx.lock);
}

__attribute__((destructor)) static void
hugemem_ops_detach(void)
{
	pthread_mutex_lock(&ctx.lock);
	if (ctx.attached_here && ctx.live_pools == 0 && hm_eal_initialized()) {
		hm_eal_cleanup();
		ctx.attached_here = false;
		ctx.attach_err = -ENODEV;
	}
	pthread_mutex_unlock(&ctx.lock);
}

/* ------------------------------------------------------------ memory */

/* Tell DPDK about every 2 MiB granule of hugemem and its IOVA. Under ctx.lock. */
static int
extmem_register_locked(void)
{
	struct hm_memory_info info;
	uint64_t base, end, n;
	rte_iova_t *iovas;
	int ret;

	if (ctx.extmem_done)
		return 0;
	ret = hm_memory_info_get(&info);
	if (ret < 0)
		return ret;
	base = info.va_base & ~(GRANULE - 1);
	end = (info.va_base + info.va_len + GRANULE - 1) & ~(GRANULE - 1);
	n = (end - base) / GRANULE;
	if (n == 0 || n > UINT32_MAX)
		return -EINVAL;
	iovas = calloc(n, sizeof(*iovas));
	if (iovas == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		hm_iova_t iova = hm_virt2iova((void *)(uintptr_t)(base + i * GRANULE));

		iovas[i] = iova == HM_BAD_IOVA ? RTE_BAD_IOVA : iova;
	}
	ret = rte_extmem_register((void *)(uintptr_t)base, end - base, iovas, (unsigned int)n,
				  GRANULE);
	free(iovas);
	if (ret < 0 && rte_errno != EEXIST) {
		hm_log(HM_LOG_ERR, DRV,
		       "cannot register hugemem's %" PRIu64 " MiB at 0x%" PRIx64
		       " with DPDK as external memory: %s",
		       (end - base) >> 20, base, rte_strerror(rte_errno));
		return -rte_errno;
	}
	ctx.extmem_done = true;
	if ((rte_eal_iova_mode() == RTE_IOVA_PA) != (hm_eal_iova_mode() == HM_IOVA_PA))
		hm_log(HM_LOG_WARNING, DRV,
		       "DPDK runs with IOVA as %s, hugemem as %s: mbufs carry hugemem's IOVAs, "
		       "which rte_mem_virt2iova() does not give (start hugememd with "
		       "--iova-mode %s to make them agree)",
		       rte_eal_iova_mode() == RTE_IOVA_PA ? "PA" : "VA",
		       hm_eal_iova_mode() == HM_IOVA_PA ? "PA" : "VA",
		       rte_eal_iova_mode() == RTE_IOVA_PA ? "pa" : "va");
	return 0;
}

/* ------------------------------------------------- pools of dead processes */

struct pids {
	unsigned int n;
	int32_t pid[256];
};

static int
collect_pid(const struct hm_proc_info *p, void *arg)
{
	struct pids *ps = arg;

	if (ps->n < sizeof(ps->pid) / sizeof(ps->pid[0]))
		ps->pid[ps->n++] = p->pid;
	return 0;
}

struct orphans {
	const struct pids *attached;
	unsigned int n;
	char name[HM_MEMPOOL_MAX_POOLS][HM_MEMPOOL_NAMESIZE];
};

/* The pid in a name this plugin gave, or -1. */
static int
name_pid(const char *name)
{
	int pid = -1, end = 0;

	if (sscanf(name, NAME_PREFIX "%d.%n", &pid, &end) != 1 || end == 0 || pid <= 0)
		return -1;
	return pid;
}

static int
collect_orphan(struct hm_mempool *hmp, void *arg)
{
	struct orphans *o = arg;
	int pid = name_pid(hmp->name);

	if (pid < 0 || pid == getpid() || hm_mempool_in_use_count(hmp) != 0)
		return 0;
	for (unsigned int i = 0; i < o->attached->n; i++)
		if (o->attached->pid[i] == pid)
			return 0;
	if (o->n < HM_MEMPOOL_MAX_POOLS)
		snprintf(o->name[o->n++], HM_MEMPOOL_NAMESIZE, "%s", hmp->name);
	return 0;
}

/*
 * Free the pools of processes that are gone and whose objects are all back.
 * A process still in the table (live, or being reclaimed) keeps its pools.
 */
static void
free_orphans(void)
{
	struct pids *attached = calloc(1, sizeof(*attached));
	struct orphans *o = calloc(1, sizeof(*o));

	if (attached == NULL || o == NULL)
		goto out;
	o->attached = attached;
	if (hm_proc_walk(collect_pid, attached) < 0 || hm_mempool_walk(collect_orphan, o) < 0)
		goto out;
	for (unsigned int i = 0; i < o->n; i++) {
		struct hm_mempool *hmp = hm_mempool_lookup(o->name[i]);

		if (hmp != NULL && hm_mempool_free(hmp) == 0)
			hm_log(HM_LOG_NOTICE, DRV,
			       "freed pool %s: its process is gone and every object is back",
			       o->name[i]);
	}
out:
	free(attached);
	free(o);
}

/* ------------------------------------------------------------------ ops */

/* "dpdk.<pid>.<name>", printable, cut with a hash of the whole when long. */
static void
pool_name(const char *dpdk_name, char *out, size_t len)
{
	char clean[RTE_MEMPOOL_NAMESIZE];
	size_t n = strnlen(dpdk_name, sizeof(clean) - 1), head;
	uint32_t h = 2166136261u;
	int off;

	for (size_t i = 0; i < n; i++) {
		clean[i] = isgraph((unsigned char)dpdk_name[i]) ? dpdk_name[i] : '_';
		h = (h ^ (unsigned char)dpdk_name[i]) * 16777619u;
	}
	clean[n] = '\0';
	off = snprintf(out, len, NAME_PREFIX "%d.", (int)getpid());
	if ((size_t)off + n < len) {
		memcpy(out + off, clean, n + 1);
		return;
	}
	head = len - (size_t)off - 8; /* room for "~" + 6 hex digits + NUL */
	snprintf(out + off, len - (size_t)off, "%.*s~%06x", (int)head, clean, h & 0xffffff);
}

static inline struct hm_mempool *
hm_pool_of(const struct rte_mempool *mp)
{
	return mp->pool_data;
}

static int
hugemem_ops_alloc(struct rte_mempool *mp)
{
	uint64_t total = (uint64_t)mp->header_size + mp->elt_size + mp->trailer_size;
	unsigned int flags = HM_MEMPOOL_OWNED;
	char name[HM_MEMPOOL_NAMESIZE];
	struct hm_mempool *hmp;
	int ret;

	pthread_mutex_lock(&ctx.lock);
	ret = ctx.attach_err == 0 && hm_eal_initialized() ? 0 : attach_locked();
	if (ret == 0)
		ret = extmem_register_locked();
	pthread_mutex_unlock(&ctx.lock);
	if (ret < 0) {
		hm_log(HM_LOG_ERR, DRV, "pool %s: no hugemem memory: %s", mp->name, strerror(-ret));
		return ret;
	}
	if (mp->size == 0 || mp->size > HM_MEMPOOL_MAX_OBJS || total > HM_MEMPOOL_MAX_ELT_SIZE) {
		hm_log(HM_LOG_ERR, DRV,
		       "pool %s: %u objects of %" PRIu64 " B: hugemem pools hold 1 to %u "
		       "objects of at most %u B",
		       mp->name, mp->size, total, HM_MEMPOOL_MAX_OBJS, HM_MEMPOOL_MAX_ELT_SIZE);
		return -EINVAL;
	}
	free_orphans();
	pool_name(mp->name, name, sizeof(name));
	if (mp->flags & RTE_MEMPOOL_F_NO_CACHE_ALIGN)
		flags |= HM_MEMPOOL_NO_CACHE_ALIGN;
	hmp = hm_mempool_create(name, mp->size, (unsigned int)total, 0, 0, NULL, NULL,
				mp->socket_id < 0 ? HM_SOCKET_ID_ANY : mp->socket_id, flags);
	if (hmp == NULL) {
		ret = -errno;
		hm_log(HM_LOG_ERR, DRV, "pool %s: cannot create hugemem pool %s: %s", mp->name,
		       name, strerror(errno));
		return ret;
	}
	mp->pool_data = hmp;
	pthread_mutex_lock(&ctx.lock);
	ctx.live_pools++;
	pthread_mutex_unlock(&ctx.lock);
	hm_log(HM_LOG_INFO, DRV, "pool %s: %u objects of %" PRIu64 " B in hugemem pool %s",
	       mp->name, mp->size, total, name);
	return 0;
}

/* Every object of a pool, in address order. */
struct obj_list {
	void **objs;
	unsigned int n;
};

static void
list_obj(struct hm_mempool *hmp, void *arg, void *obj, unsigned int idx)
{
	struct obj_list *l = arg;

	(void)hmp;
	(void)idx;
	l->objs[l->n++] = obj;
}

/* Take every free object, then give every object back: then none is out. */
static int
return_all(struct hm_mempool *hmp)
{
	struct obj_list l = {.objs = malloc(sizeof(void *) * hmp->size), .n = 0};
	void *batch[BATCH];
	int ret = 0;

	if (l.objs == NULL)
		return -ENOMEM;
	for (;;) {
		unsigned int avail = hm_mempool_avail_count(hmp);

		if (avail == 0)
			break;
		if (avail > BATCH)
			avail = BATCH;
		if (hm_mempool_get_bulk(hmp, batch, avail) < 0)
			break;
	}
	hm_mempool_obj_iter(hmp, list_obj, &l);
	for (unsigned int i = 0; i < l.n && ret == 0; i += BATCH)
		ret = hm_mempool_put_bulk(hmp, l.objs + i, l.n - i < BATCH ? l.n - i : BATCH);
	free(l.objs);
	return ret;
}

static void
hugemem_ops_free(struct rte_mempool *mp)
{
	struct hm_mempool *hmp = hm_pool_of(mp);
	char name[HM_MEMPOOL_NAMESIZE];
	int ret;

	if (hmp == NULL)
		return;
	snprintf(name, sizeof(name), "%s", hmp->name);
	ret = return_all(hmp);
	if (ret == 0)
		ret = hm_mempool_free(hmp);
	if (ret < 0) {
		/* Left to hugememd's reclaim and the next process's free_orphans(). */
		hm_log(HM_LOG_ERR, DRV, "pool %s: cannot free hugemem pool %s: %s", mp->name, name,
		       strerror(-ret));
		return;
	}
	mp->pool_data = NULL;
	pthread_mutex_lock(&ctx.lock);
	ctx.live_pools--;
	pthread_mutex_unlock(&ctx.lock);
}

static int
hugemem_ops_enqueue(struct rte_mempool *mp, void *const *obj_table, unsigned int n)
{
	struct hm_mempool *hmp = hm_pool_of(mp);
	const uintptr_t hdr = mp->header_size;
	void *batch[BATCH], **objs = batch;
	int ret;

	if (hmp == NULL || obj_table == NULL) {
		hm_log(HM_LOG_ERR, DRV, "pool %s: enqueue: %s", mp->name,
		       hmp == NULL ? "no hugemem pool" : "object table is NULL");
		return -EINVAL;
	}
	/*
	 * All or none: one hm_mempool_put_bulk() checks every pointer (an object
	 * of the pool, and taken: not a double put) before it puts any, so the
	 * whole call goes in one, on the heap when it is longer than a batch.
	 */
	if (n > BATCH && (objs = malloc((size_t)n * sizeof(*objs))) == NULL) {
		hm_log(HM_LOG_ERR, DRV, "pool %s: enqueue of %u: no memory for the table", mp->name,
		       n);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		objs[i] = (void *)((uintptr_t)obj_table[i] - hdr);
	ret = hm_mempool_put_bulk(hmp, objs, n);
	if (objs != batch)
		free(objs);
	return ret < 0 ? ret : 0;
}

static int
hugemem_ops_dequeue(struct rte_mempool *mp, void **obj_table, unsigned int n)
{
	struct hm_mempool *hmp = hm_pool_of(mp);
	const uintptr_t hdr = mp->header_size;
	int ret;

	if (hmp == NULL)
		return -EINVAL;
	ret = hm_mempool_get_bulk(hmp, obj_table, n);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		obj_table[i] = (void *)((uintptr_t)obj_table[i] + hdr);
	return 0;
}

static unsigned int
hugemem_ops_get_count(const struct rte_mempool *mp)
{
	const struct hm_mempool *hmp = hm_pool_of(mp);

	return hmp != NULL ? hm_mempool_avail_count(hmp) : 0;
}

/* A token: DPDK's chunk is not where the objects go. */
static ssize_t
hugemem_ops_calc_mem_size(const struct rte_mempool *mp, uint32_t obj_num, uint32_t pg_shift,
			  size_t *min_chunk_size, size_t *align)
{
	(void)mp;
	(void)obj_num;
	(void)pg_shift;
	*min_chunk_size = RTE_CACHE_LINE_SIZE;
	*align = RTE_CACHE_LINE_SIZE;
	return RTE_CACHE_LINE_SIZE;
}

struct populate_arg {
	struct rte_mempool *mp;
	rte_mempool_populate_obj_cb_t *obj_cb;
	void *obj_cb_arg;
	unsigned int first; /* objects DPDK has already */
	unsigned int max;
	unsigned int done;
};

static void
populate_one(struct hm_mempool *hmp, void *arg, void *hobj, unsigned int idx)
{
	struct populate_arg *a = arg;
	const uint32_t hdr = a->mp->header_size;

	(void)hmp;
	if (idx < a->first || a->done == a->max)
		return;
	a->obj_cb(a->mp, a->obj_cb_arg, (char *)hobj + hdr, hm_mempool_obj_iova(hobj) + hdr);
	a->done++;
}

static int
hugemem_ops_populate(struct rte_mempool *mp, unsigned int max_objs, void *vaddr, rte_iova_t iova,
		     size_t len, rte_mempool_populate_obj_cb_t *obj_cb, void *obj_cb_arg)
{
	struct hm_mempool *hmp = hm_pool_of(mp);
	struct populate_arg a = {.mp = mp, .obj_cb = obj_cb, .obj_cb_arg = obj_cb_arg};

	(void)vaddr;
	(void)iova;
	(void)len;
	if (hmp == NULL || obj_cb == NULL || max_objs == 0) {
		hm_log(HM_LOG_ERR, DRV, "pool %s: populate: %s", mp->name,
		       hmp == NULL	? "no hugemem pool"
		       : obj_cb == NULL ? "no object callback"
					: "asked for 0 objects");
		return -EINVAL;
	}
	if (mp->populated_size >= hmp->size) {
		hm_log(HM_LOG_ERR, DRV, "pool %s: populate of %u: all %u objects are there",
		       mp->name, max_objs, hmp->size);
		return -ENOSPC;
	}
	a.first = mp->populated_size;
	a.max = max_objs < hmp->size - a.first ? max_objs : hmp->size - a.first;
	hm_mempool_obj_iter(hmp, populate_one, &a);
	return (int)a.done;
}

static struct rte_mempool_ops hugemem_ops = {
    .name = OPS_NAME,
    .alloc = hugemem_ops_alloc,
    .free = hugemem_ops_free,
    .enqueue = hugemem_ops_enqueue,
    .dequeue = hugemem_ops_dequeue,
    .get_count = hugemem_ops_get_count,
    .calc_mem_size = hugemem_ops_calc_mem_size,
    .populate = hugemem_ops_populate,
};

RTE_MEMPOOL_REGISTER_OPS(hugemem_ops);

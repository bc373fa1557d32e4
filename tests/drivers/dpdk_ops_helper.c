/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DPDK application that loads the hugemem mempool ops plugin (with -d in
 * its EAL arguments) and drives DPDK's rte_mempool API against it, for the
 * dpdk_ops suite. It links DPDK and the shared libhugemem, the one the
 * plugin links, so hugemem's state is the plugin's.
 *
 *   dpdk_ops_helper api  EAL-ARGS...   the checks of DPDK's mempool_autotest
 *                                      on a pool with the hugemem ops, and
 *                                      that DPDK's IOVAs are hugemem's
 *   dpdk_ops_helper bad  EAL-ARGS...   bad input through the ops is refused
 *   dpdk_ops_helper hold EAL-ARGS...   take mbufs, say so, and wait to be killed
 *
 * Each check that fails prints "FAIL <line>: <what>" and the helper exits 1;
 * "OK <scenario>" and exit 0 when all passed. Lines starting "NOTE" say what
 * was not checked and why.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include <hugemem/hugemem.h>

#define POOL_SIZE 1023
#define ELT_SIZE  2048
#define CACHE	  32

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %d: ", __LINE__);                                             \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			fflush(stdout);                                                            \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* A pool with the hugemem ops, populated the way rte_pktmbuf_pool_create() does it. */
static struct rte_mempool *
hugemem_pool(const char *name, unsigned int n, unsigned int elt, unsigned int cache,
	     unsigned int flags)
{
	struct rte_mempool *mp =
	    rte_mempool_create_empty(name, n, elt, cache, 0, SOCKET_ID_ANY, flags);
	int ret;

	if (mp == NULL) {
		printf("create_empty %s: %s\n", name, rte_strerror(rte_errno));
		return NULL;
	}
	ret = rte_mempool_set_ops_byname(mp, "hugemem", NULL);
	if (ret == 0)
		ret = rte_mempool_populate_default(mp);
	if (ret < 0) {
		printf("populate %s: %s\n", name, rte_strerror(-ret));
		rte_mempool_free(mp);
		return NULL;
	}
	return mp;
}

/* ------------------------------------------------------------------- api */

struct iova_check {
	struct hm_mempool *hmp;
	bool mem_virt2iova_comparable;
	unsigned int objs, bad;
};

/* Every object: a hugemem object's, and every IOVA of it the same in DPDK and hugemem. */
static void
check_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct iova_check *c = arg;
	void *hobj = (char *)obj - mp->header_size;
	hm_iova_t hm = hm_virt2iova(obj);
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(obj);
	const struct rte_memseg *ms = rte_mem_virt2memseg(obj, msl);
	bool ok = hm != HM_BAD_IOVA && hm_mempool_obj_valid(c->hmp, hobj) &&
		  hm_mempool_obj_iova(hobj) + mp->header_size == hm &&
		  rte_mempool_virt2iova(obj) == hm && msl != NULL && msl->external && ms != NULL &&
		  ms->iova + RTE_PTR_DIFF(obj, ms->addr) == hm &&
		  (!c->mem_virt2iova_comparable || rte_mem_virt2iova(obj) == hm);

	if (!ok && c->bad++ < 3)
		printf("FAIL %d: object %u at %p: hugemem IOVA 0x%" PRIx64
		       ", DPDK header 0x%" PRIx64 ", memseg %s, rte_mem_virt2iova 0x%" PRIx64 "\n",
		       __LINE__, idx, obj, hm, rte_mempool_virt2iova(obj),
		       ms == NULL ? "none" : "found", rte_mem_virt2iova(obj));
	c->objs++;
}

static void
fill(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	(void)arg;
	memset(obj, 0, mp->elt_size);
	*(uint32_t *)obj = idx;
}

/* DPDK's test_mempool_basic(): one, two, then all objects, their contents unchanged. */
static void
basic(struct rte_mempool *mp, struct rte_mempool_cache *cache, bool user_cache)
{
	void *one, *two, **all = calloc(mp->size, sizeof(void *));
	unsigned int n = 0, extra;

	CHECK(all != NULL, "calloc");
	CHECK(rte_mempool_generic_get(mp, &one, 1, cache) == 0, "get one");
	/* avail_count counts the lcore caches, not a user-owned one. */
	extra = user_cache ? cache->len : 0;
	CHECK(rte_mempool_avail_count(mp) + extra == mp->size - 1, "avail %u + %u after one get",
	      rte_mempool_avail_count(mp), extra);
	CHECK(rte_mempool_from_obj(one) == mp, "object's pool");
	rte_mempool_generic_put(mp, &one, 1, cache);
	CHECK(rte_mempool_generic_get(mp, &one, 1, cache) == 0, "get 1 of 2");
	CHECK(rte_mempool_generic_get(mp, &two, 1, cache) == 0, "get 2 of 2");
	CHECK(one != two, "two gets, one object");
	rte_mempool_generic_put(mp, &one, 1, cache);
	rte_mempool_generic_put(mp, &two, 1, cache);
	while (n < mp->size && rte_mempool_generic_get(mp, &all[n], 1, cache) == 0)
		n++;
	CHECK(n == mp->size, "got %u of %u objects one by one", n, mp->size);
	CHECK(rte_mempool_generic_get(mp, &one, 1, cache) < 0, "a get from an empty pool worked");
	CHECK(rte_mempool_empty(mp), "pool not empty with every object out");
	CHECK(rte_mempool_in_use_count(mp) == mp->size, "in use %u of %u",
	      rte_mempool_in_use_count(mp), mp->size);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *b = all[i];
		bool zero = true;

		for (unsigned int j = sizeof(uint32_t); j < mp->elt_size; j++)
			zero &= b[j] == 0;
		CHECK(*(const uint32_t *)b < mp->size && zero, "object %p modified", all[i]);
	}
	for (unsigned int i = 0; i < n; i += 64)
		rte_mempool_generic_put(mp, &all[i], n - i < 64 ? n - i : 64, cache);
	if (cache != NULL)
		rte_mempool_cache_flush(cache, mp);
	CHECK(rte_mempool_full(mp), "pool not full with every object back (avail %u)",
	      rte_mempool_avail_count(mp));
	free(all);
}

static void
scenario_api(void)
{
	struct rte_mempool *mp = hugemem_pool("hm_api", POOL_SIZE, ELT_SIZE, CACHE, 0);
	struct rte_mempool_cache *cache;
	struct rte_mempool *pkt;
	struct hm_mempool *hmp;
	struct iova_check c = {0};
	struct rte_mbuf *m[64];
	char name[HM_MEMPOOL_NAMESIZE];
	void *objs[CACHE * 2];

	CHECK(mp != NULL, "a pool with the hugemem ops");
	if (mp == NULL)
		return;
	CHECK(strcmp(rte_mempool_get_ops(mp->ops_index)->name, "hugemem") == 0, "ops %s",
	      rte_mempool_get_ops(mp->ops_index)->name);
	snprintf(name, sizeof(name), "dpdk.%d.hm_api", (int)getpid());
	hmp = hm_mempool_lookup(name);
	CHECK(hmp != NULL && hmp == mp->pool_data, "hugemem pool %s behind the DPDK pool", name);
	if (hmp == NULL)
		return;
	CHECK(hmp->size == mp->size && hmp->elt_size >= mp->header_size + mp->elt_size,
	      "hugemem pool of %u x %u B for %u x %u B", hmp->size, hmp->elt_size, mp->size,
	      mp->header_size + mp->elt_size);
	CHECK(mp->populated_size == mp->size, "populated %u of %u", mp->populated_size, mp->size);
	CHECK(rte_mempool_avail_count(mp) == mp->size, "avail %u", rte_mempool_avail_count(mp));
	printf("pool %s: %u objects in hugemem pool %s, DPDK IOVA mode %s, hugemem %s\n", mp->name,
	       mp->size, name, rte_eal_iova_mode() == RTE_IOVA_PA ? "PA" : "VA",
	       hm_eal_iova_mode() == HM_IOVA_PA ? "PA" : "VA");

	/* IOVAs: rte_mempool_obj_iter() over the objects DPDK knows. */
	c.hmp = hmp;
	c.mem_virt2iova_comparable =
	    (rte_eal_iova_mode() == RTE_IOVA_PA) == (hm_eal_iova_mode() == HM_IOVA_PA);
	if (!c.mem_virt2iova_comparable)
		printf("NOTE rte_mem_virt2iova() not compared: DPDK and hugemem IOVA modes "
		       "differ\n");
	CHECK(rte_mempool_obj_iter(mp, check_obj, &c) == mp->size && c.objs == mp->size,
	      "obj_iter visited %u of %u", c.objs, mp->size);
	CHECK(c.bad == 0, "%u of %u objects with IOVAs that disagree", c.bad, c.objs);
	rte_mempool_obj_iter(mp, fill, NULL);

	/* DPDK's basic tests: the lcore cache, no cache, a user-owned cache. */
	basic(mp, rte_mempool_default_cache(mp, rte_lcore_id()), false);
	basic(mp, NULL, false);
	cache = rte_mempool_cache_create(CACHE, SOCKET_ID_ANY);
	CHECK(cache != NULL, "user cache");
	if (cache != NULL) {
		basic(mp, cache, true);
		rte_mempool_cache_free(cache);
	}

	/* Bulk through the cache, then the counts as hugemem sees them. */
	CHECK(rte_mempool_get_bulk(mp, objs, CACHE * 2) == 0, "get bulk %d", CACHE * 2);
	CHECK(rte_mempool_in_use_count(mp) == CACHE * 2, "DPDK in use %u",
	      rte_mempool_in_use_count(mp));
	CHECK(hm_mempool_in_use_count(hmp) >= CACHE * 2, "hugemem in use %u",
	      hm_mempool_in_use_count(hmp));
	rte_mempool_put_bulk(mp, objs, CACHE * 2);
	CHECK(hm_mempool_in_use_count(hmp) == rte_mempool_default_cache(mp, rte_lcore_id())->len,
	      "hugemem in use %u, DPDK cache %u", hm_mempool_in_use_count(hmp),
	      rte_mempool_default_cache(mp, rte_lcore_id())->len);
	rte_mempool_audit(mp); /* panics on a bad cookie or count */
	CHECK(hm_mempool_audit(hmp, NULL) == 0, "hugemem audit");
	rte_mempool_dump(stdout, mp);

	/* Packet buffers: rte_pktmbuf_pool_create() takes the best ops, hugemem. */
	pkt = rte_pktmbuf_pool_create("hm_api_pkt", 511, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				      SOCKET_ID_ANY);
	CHECK(pkt != NULL, "pktmbuf pool: %s", rte_strerror(rte_errno));
	if (pkt != NULL) {
		CHECK(strcmp(rte_mempool_get_ops(pkt->ops_index)->name, "hugemem") == 0,
		      "pktmbuf pool ops %s", rte_mempool_get_ops(pkt->ops_index)->name);
		CHECK(rte_pktmbuf_alloc_bulk(pkt, m, 64) == 0, "64 mbufs");
		for (unsigned int i = 0; i < 64; i++)
			CHECK(m[i]->buf_iova == hm_virt2iova(m[i]->buf_addr) &&
				  rte_pktmbuf_iova(m[i]) ==
				      hm_virt2iova(rte_pktmbuf_mtod(m[i], void *)),
			      "mbuf %u: buf_iova 0x%" PRIx64 ", hugemem 0x%" PRIx64, i,
			      m[i]->buf_iova, hm_virt2iova(m[i]->buf_addr));
		rte_pktmbuf_free_bulk(m, 64);
		rte_mempool_free(pkt);
	}

	rte_mempool_free(mp);
	errno = 0;
	CHECK(hm_mempool_lookup(name) == NULL && errno == ENOENT,
	      "hugemem pool %s still there after rte_mempool_free", name);
}

/* ------------------------------------------------------------------- bad */

static void
fill_cb(struct rte_mempool *mp, void *arg, void *obj, rte_iova_t iova)
{
	(void)mp;
	(void)arg;
	(void)obj;
	(void)iova;
}

static void
scenario_bad(void)
{
	struct rte_mempool *mp = hugemem_pool("hm_bad", POOL_SIZE, ELT_SIZE, 0, 0);
	struct rte_mempool *other = hugemem_pool("hm_bad2", 63, ELT_SIZE, 0, 0);
	struct rte_mempool *big;
	void *obj = NULL, *foreign = NULL, *bad[2];
	char stack[64];
	int ret;

	CHECK(mp != NULL && other != NULL, "two hugemem pools");
	if (mp == NULL || other == NULL)
		return;
	CHECK(rte_mempool_get(mp, &obj) == 0 && rte_mempool_get(other, &foreign) == 0, "gets");

	/* Not objects of mp: refused, nothing put. */
	bad[0] = stack;
	CHECK(rte_mempool_ops_enqueue_bulk(mp, bad, 1) == -EINVAL, "a stack pointer went in");
	bad[0] = (char *)obj + 8;
	CHECK(rte_mempool_ops_enqueue_bulk(mp, bad, 1) == -EINVAL, "a misaligned pointer went in");
	bad[0] = foreign;
	CHECK(rte_mempool_ops_enqueue_bulk(mp, bad, 1) == -EINVAL, "another pool's object went in");
	bad[0] = (void *)(uintptr_t)8;
	CHECK(rte_mempool_ops_enqueue_bulk(mp, bad, 1) == -EINVAL, "address 8 went in");
	bad[0] = obj;
	bad[1] = stack;
	CHECK(rte_mempool_ops_enqueue_bulk(mp, bad, 2) == -EINVAL, "a bad second entry went in");
	CHECK(rte_mempool_avail_count(mp) == mp->size - 1, "avail %u after refused puts",
	      rte_mempool_avail_count(mp));
	CHECK(rte_mempool_ops_enqueue_bulk(mp, &obj, 1) == 0, "the real object back");
	CHECK(rte_mempool_ops_enqueue_bulk(mp, &obj, 1) < 0, "a double put went in");
	CHECK(rte_mempool_avail_count(mp) == mp->size, "avail %u after a refused double put",
	      rte_mempool_avail_count(mp));
	rte_mempool_put(other, foreign);

	/* A put longer than the ops' stack batch with one double put in its end: none goes in. */
	{
		enum { LONG = 300 };
		void *got[LONG + 1];

		CHECK(mp->size >= LONG, "the pool holds %u objects, fewer than %u", mp->size, LONG);
		if (mp->size >= LONG && rte_mempool_ops_dequeue_bulk(mp, got, LONG) == 0) {
			got[LONG] = got[0];
			CHECK(rte_mempool_ops_enqueue_bulk(mp, got, LONG + 1) == -EINVAL,
			      "a long put with a double put went in");
			CHECK(rte_mempool_avail_count(mp) == mp->size - LONG,
			      "avail %u after a refused long put, not %u", rte_mempool_avail_count(mp),
			      mp->size - LONG);
			CHECK(rte_mempool_ops_enqueue_bulk(mp, got, LONG) == 0, "the long put");
		} else {
			CHECK(false, "a get of %u", LONG);
		}
		CHECK(rte_mempool_avail_count(mp) == mp->size, "avail %u after the long put",
		      rte_mempool_avail_count(mp));
	}

	/* Gets and populates out of range. */
	{
		void **many = calloc(mp->size + 1, sizeof(void *));

		CHECK(many != NULL, "calloc");
		if (many != NULL)
			CHECK(rte_mempool_ops_dequeue_bulk(mp, many, mp->size + 1) < 0,
			      "a get of more than the pool worked");
		free(many);
	}
	/* The ops' own populate, as DPDK calls it (rte_mempool_ops_populate() is internal). */
	ret = rte_mempool_get_ops(mp->ops_index)
		  ->populate(mp, 0, stack, RTE_BAD_IOVA, sizeof(stack), fill_cb, NULL);
	CHECK(ret == -EINVAL, "populate of 0 objects: %d", ret);
	ret = rte_mempool_populate_iova(mp, stack, RTE_BAD_IOVA, sizeof(stack), NULL, NULL);
	CHECK(ret == -ENOSPC, "populate of a full pool: %d", ret);

	/* Pools hugemem cannot hold: refused, and the service still answers. */
	big = rte_mempool_create_empty("hm_huge_n", 1u << 27, 64, 0, 0, SOCKET_ID_ANY, 0);
	if (big != NULL) {
		CHECK(rte_mempool_set_ops_byname(big, "hugemem", NULL) == 0, "set ops");
		ret = rte_mempool_populate_default(big);
		CHECK(ret < 0, "a pool of 2^27 objects populated: %d", ret);
		rte_mempool_free(big);
	}
	big = hugemem_pool("hm_no_memory", 1u << 20, 4096, 0, 0);
	CHECK(big == NULL, "a pool of 4 GiB populated");
	rte_mempool_free(big);
	CHECK(hm_service_ping() == 0, "the service does not answer after refused pools");
	CHECK(hm_mempool_audit(mp->pool_data, NULL) == 0, "hugemem audit");
	rte_mempool_free(other);
	rte_mempool_free(mp);
}

/* ------------------------------------------------------------------ hold */

static void
scenario_hold(void)
{
	struct rte_mempool *pkt = rte_pktmbuf_pool_create("hm_hold", 1023, 32, 0,
							  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_mbuf *m[100];

	CHECK(pkt != NULL, "pktmbuf pool: %s", rte_strerror(rte_errno));
	if (pkt == NULL)
		return;
	CHECK(rte_pktmbuf_alloc_bulk(pkt, m, 100) == 0, "100 mbufs");
	printf("HOLDING dpdk.%d.hm_hold %u\n", (int)getpid(),
	       hm_mempool_in_use_count(pkt->pool_data));
	fflush(stdout);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	const char *scenario = argc > 1 ? argv[1] : "";
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s api|bad|hold EAL-ARGS...\n", argv[0]);
		return 2;
	}
	argv[1] = argv[0];
	ret = rte_eal_init(argc - 1, argv + 1);
	if (ret < 0) {
		printf("FAIL %d: rte_eal_init: %s\n", __LINE__, rte_strerror(rte_errno));
		return 1;
	}
	CHECK(hm_eal_initialized() && hm_eal_process_type() == HM_PROC_SECONDARY,
	      "the plugin did not attach to hugememd");
	if (failures == 0) {
		if (strcmp(scenario, "api") == 0)
			scenario_api();
		else if (strcmp(scenario, "bad") == 0)
			scenario_bad();
		else if (strcmp(scenario, "hold") == 0)
			scenario_hold();
		else
			CHECK(false, "unknown scenario %s", scenario);
	}
	rte_eal_cleanup();
	if (failures != 0)
		return 1;
	printf("OK %s\n", scenario);
	return 0;
}

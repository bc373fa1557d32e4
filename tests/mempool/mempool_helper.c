/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary process of the mempool suite's cross-process test, started
 * by the primary with fork+exec:
 *
 *   hm_test_mempool_helper [EAL args of a secondary] -- POOL ADDR TO_SEC TO_PRIM K G P NEW
 *
 * POOL is the primary's pool, at ADDR (%p) in the primary. TO_SEC is a ring
 * on which the primary left K objects it got and wrote (byte off of object
 * i: xproc_byte(1, i, off)); the helper checks them and puts them back. Then
 * it gets G objects on its own lcore, checks their headers, writes them
 * (xproc_byte(2, j, off)), puts the first P back and leaves the other G - P,
 * in order, on the ring TO_PRIM for the primary to check and put. Before it
 * exits it checks what it can see of the pool: the counts, the audit and its
 * lcore's statistics. Last it creates a pool of its own, NEW, of XPROC_NEW_N
 * objects of XPROC_NEW_SIZE bytes, each initialised by init_new(), and
 * leaves it to the primary. Exit status: 0 when all is well, else
 * the step that failed (see the returns), with a line on stderr.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/hugemem.h>
#include <hugemem/mempool.h>
#include <hugemem/ring.h>

/* As in test_mempool.c. */
#define XPROC_SIZE     200u /* the primary's pool's object size */
#define XPROC_NEW_N    32u  /* the pool made here: objects ... */
#define XPROC_NEW_SIZE 64u  /* ... of this size */
#define XPROC_MAX      256u /* most objects moved one way */

/* Byte `off` of object i of process `who`, as test_mempool.c writes and checks. */
static uint8_t
xproc_byte(unsigned int who, unsigned int i, unsigned int off)
{
	return (uint8_t)(who * 77u + i * 13u + off);
}

static int
fail(int code, const char *what)
{
	fprintf(stderr, "mempool_helper: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return code;
}

struct params {
	const char *pool, *to_sec, *to_prim, *new_pool;
	void *addr;
	unsigned int k, g, p;
};

static int
parse(int argc, char **argv, struct params *a)
{
	int i = 1;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (argc - i != 8)
		return -1;
	a->pool = argv[i];
	if (sscanf(argv[i + 1], "%p", &a->addr) != 1)
		return -1;
	a->to_sec = argv[i + 2];
	a->to_prim = argv[i + 3];
	a->k = (unsigned int)strtoul(argv[i + 4], NULL, 10);
	a->g = (unsigned int)strtoul(argv[i + 5], NULL, 10);
	a->p = (unsigned int)strtoul(argv[i + 6], NULL, 10);
	a->new_pool = argv[i + 7];
	if (a->k > XPROC_MAX || a->g > XPROC_MAX || a->p > a->g)
		return -1;
	return 0;
}

/* The primary's objects: as it wrote them, and they go back from here. */
static int
put_theirs(struct hm_mempool *mp, const struct params *a)
{
	static void *objs[XPROC_MAX];
	struct hm_ring *r = hm_ring_lookup(a->to_sec);

	if (r == NULL)
		return fail(10, "lookup of the ring to the secondary");
	if (hm_ring_dequeue_bulk(r, objs, a->k, NULL) != a->k)
		return fail(11, "fewer objects on the ring than the primary said");
	for (unsigned int i = 0; i < a->k; i++) {
		const uint8_t *o = objs[i];

		if (!hm_mempool_obj_valid(mp, o) || hm_mempool_obj_pool(o) != mp)
			return fail(12, "a primary's object is no object of the pool");
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			if (o[off] != xproc_byte(1, i, off))
				return fail(13, "a primary's object is not as it wrote it");
		if (hm_mempool_put(mp, objs[i]) != 0)
			return fail(14, "put of a primary's object refused");
	}
	return 0;
}

/* Ours: got here, written, some put back, the rest handed to the primary. */
static int
take_ours(struct hm_mempool *mp, const struct params *a)
{
	static void *objs[XPROC_MAX];
	struct hm_ring *r = hm_ring_lookup(a->to_prim);

	if (r == NULL)
		return fail(20, "lookup of the ring to the primary");
	for (unsigned int j = 0; j < a->g; j++) {
		uint8_t *o;

		if (hm_mempool_get(mp, &objs[j]) != 0)
			return fail(21, "get in the secondary");
		o = objs[j];
		if (hm_mempool_obj_pool(o) != mp)
			return fail(22, "the header does not name the pool");
		if (hm_mempool_obj_iova(o) != hm_virt2iova(o) || hm_virt2iova(o) == HM_BAD_IOVA)
			return fail(23, "the header's IOVA is not the object's IOVA here");
		if (hm_virt2iova(o + XPROC_SIZE - 1) - hm_virt2iova(o) != XPROC_SIZE - 1)
			return fail(24, "an object is not contiguous in IOVA");
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			o[off] = xproc_byte(2, j, off);
	}
	for (unsigned int j = 0; j < a->p; j++)
		if (hm_mempool_put(mp, objs[j]) != 0)
			return fail(25, "put of our own object refused");
	if (a->g > a->p && hm_ring_enqueue_bulk(r, objs + a->p, a->g - a->p, NULL) != a->g - a->p)
		return fail(26, "no room on the ring to the primary");
	return 0;
}

/* The pool as this process sees it: the primary waits, so the audit is exact. */
static int
check_books(struct hm_mempool *mp, const struct params *a)
{
	struct hm_mempool_stats st;
	unsigned int in_use = UINT32_MAX;

	if (hm_mempool_in_use_count(mp) != a->g - a->p)
		return fail(30, "objects in use");
	if (hm_mempool_avail_count(mp) != mp->size - (a->g - a->p))
		return fail(31, "objects free");
	if (hm_mempool_audit(mp, &in_use) != 0 || in_use != a->g - a->p)
		return fail(32, "audit");
	if (hm_mempool_stats_get(mp, hm_lcore_id(), &st) != 0)
		return fail(33, "statistics of our lcore");
	if (st.gets != a->g || st.puts != a->k + a->p || st.get_fails != 0 || st.put_refused != 0)
		return fail(34, "statistics of our lcore do not count our gets and puts");
	return 0;
}

/* Its index in the first 4 bytes, then xproc_byte(3, idx, off). */
static void
init_new(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	uint8_t *o = obj;

	(void)mp;
	(void)arg;
	memcpy(o, &idx, sizeof(idx));
	for (unsigned int off = sizeof(idx); off < XPROC_NEW_SIZE; off++)
		o[off] = xproc_byte(3, idx, off);
}

/* A pool made here, for the primary to find, use and free. */
static int
create_one(const struct params *a)
{
	struct hm_mempool *mp = hm_mempool_create(a->new_pool, XPROC_NEW_N, XPROC_NEW_SIZE, 4, 0,
						  init_new, NULL, HM_SOCKET_ID_ANY, 0);

	if (mp == NULL)
		return fail(40, "create of a pool in the secondary");
	if (hm_mempool_lookup(a->new_pool) != mp)
		return fail(41, "lookup of the pool made here");
	if (hm_mempool_audit(mp, NULL) != 0 || hm_mempool_avail_count(mp) != XPROC_NEW_N)
		return fail(42, "audit of the pool made here");
	return 0;
}

int
main(int argc, char **argv)
{
	struct hm_mempool *mp;
	struct params a;
	int ret;

	ret = hm_eal_init(argc, argv);
	if (ret < 0) {
		errno = -ret;
		return fail(2, "hm_eal_init");
	}
	argc -= ret;
	argv += ret;
	if (hm_eal_process_type() != HM_PROC_SECONDARY) {
		hm_eal_cleanup();
		return fail(3, "not a secondary");
	}
	if (parse(argc, argv, &a) != 0) {
		hm_eal_cleanup();
		errno = EINVAL;
		return fail(4, "usage: [EAL args] -- POOL ADDR TO_SEC TO_PRIM K G P NEW");
	}
	mp = hm_mempool_lookup(a.pool);
	if (mp == NULL || (void *)mp != a.addr || mp->elt_size != XPROC_SIZE) {
		hm_eal_cleanup();
		return fail(5, "lookup does not give the primary's pool");
	}
	ret = put_theirs(mp, &a);
	if (ret == 0)
		ret = take_ours(mp, &a);
	if (ret == 0)
		ret = check_books(mp, &a);
	if (ret == 0)
		ret = create_one(&a);
	hm_eal_cleanup();
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary process of the slab suite's cross-process test, started by
 * the primary with fork+exec:
 *
 *   hm_test_slab_helper [EAL args of a secondary]
 *
 * It finds the primary's board (xproc.h), looks up XPROC_CACHE, checks and
 * frees the primary's objects, allocates XPROC_M objects of its own, fills
 * them and puts them on the board. Then XPROC_CTOR_CACHE: without a
 * constructor registered it takes the constructed objects there are and
 * must then fail with ENOTSUP (it may not make a slab); once it has
 * registered its own constructor it can. Exit status: 0 when all is well,
 * else the step that failed (see the returns), with a line on stderr.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/hugemem.h>
#include <hugemem/slab.h>

#include "xproc.h"

static unsigned int ctor_calls;

static void
xctor(void *obj)
{
	ctor_calls++;
	memset(obj, XPROC_CTOR_BYTE, XPROC_SIZE);
}

static void
xdtor(void *obj)
{
	(void)obj;
}

static int
fail(int code, const char *what)
{
	fprintf(stderr, "slab_helper: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return code;
}

static int
constructed(const void *obj)
{
	const uint8_t *p = obj;

	for (unsigned int i = 0; i < XPROC_SIZE; i++)
		if (p[i] != XPROC_CTOR_BYTE)
			return 0;
	return 1;
}

/* The primary's objects go back, ours come out. */
static int
free_theirs_take_ours(struct xproc_board *b)
{
	struct hm_slab_cache *c = hm_slab_cache_lookup(XPROC_CACHE);

	if (c == NULL || (void *)c != b->cache)
		return fail(10, "lookup of " XPROC_CACHE " does not give the primary's cache");
	if (hm_slab_cache_object_size(c) != XPROC_SIZE)
		return fail(11, "object size differs");
	for (unsigned int i = 0; i < b->n; i++) {
		const uint8_t *p = b->prim[i];

		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			if (p[off] != xproc_byte(1, i, off))
				return fail(12, "a primary's object is not as it wrote it");
		if (hm_slab_free(b->prim[i]) != 0)
			return fail(13, "free of a primary's object refused");
	}
	if (hm_slab_cache_live_objects(c) != 0)
		return fail(14, "objects live after freeing the primary's");
	for (unsigned int j = 0; j < XPROC_M; j++) {
		uint8_t *p = hm_slab_alloc(c, 0);

		if (p == NULL)
			return fail(15, "alloc in the secondary");
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			p[off] = xproc_byte(2, j, off);
		b->sec[j] = p;
	}
	b->m = XPROC_M;
	if (hm_slab_cache_live_objects(c) != XPROC_M)
		return fail(16, "live objects after the secondary's allocations");
	return 0;
}

static int
take_constructed_objects(struct xproc_board *b)
{
	static void *held[XPROC_CTOR_MAX + 1];
	struct hm_slab_cache *c = hm_slab_cache_lookup(XPROC_CTOR_CACHE);
	unsigned int n = 0;

	if (c == NULL || (void *)c != b->ctor_cache)
		return fail(20, "lookup of " XPROC_CTOR_CACHE);
	errno = 0;
	while (n < XPROC_CTOR_MAX && (held[n] = hm_slab_alloc(c, 0)) != NULL) {
		if (!constructed(held[n]))
			return fail(21, "an object of the constructor cache is not constructed");
		n++;
	}
	b->ctor_taken = n;
	b->ctor_errno = errno;
	if (hm_slab_cache_set_ctor(c, xctor, xdtor) != 0)
		return fail(22, "hm_slab_cache_set_ctor");
	held[n] = hm_slab_alloc(c, 0);
	if (held[n] == NULL)
		return fail(23, "alloc with our constructor registered");
	if (!constructed(held[n]))
		return fail(24, "an object made by our constructor is not constructed");
	b->secondary_ctor_calls = ctor_calls;
	for (unsigned int i = 0; i <= n; i++)
		if (hm_slab_free(held[i]) != 0)
			return fail(25, "free of a constructed object");
	return 0;
}

int
main(int argc, char **argv)
{
	const struct hm_memzone *mz;
	int ret;

	ret = hm_eal_init(argc, argv);
	if (ret < 0) {
		errno = -ret;
		return fail(2, "hm_eal_init");
	}
	if (hm_eal_process_type() != HM_PROC_SECONDARY) {
		hm_eal_cleanup();
		return fail(3, "not a secondary");
	}
	mz = hm_memzone_lookup(XPROC_MEMZONE);
	if (mz == NULL || mz->len < sizeof(struct xproc_board)) {
		hm_eal_cleanup();
		return fail(4, "no board");
	}
	ret = free_theirs_take_ours(mz->addr);
	if (ret == 0)
		ret = take_constructed_objects(mz->addr);
	hm_eal_cleanup();
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_TEST_SLAB_XPROC_H
#define HM_TEST_SLAB_XPROC_H

/*
 * The board of the cross-process slab test: a memzone the primary reserves
 * and the secondary (slab_helper.c) finds by name. The primary puts the
 * addresses of the objects it allocated on it; the secondary frees them,
 * allocates its own and puts their addresses back.
 */

#include <stdint.h>

#define XPROC_MEMZONE	 "hm_test_slab_board"
#define XPROC_CACHE	 "xproc"
#define XPROC_CTOR_CACHE "xproc-ctor"
#define XPROC_SIZE	 200u
#define XPROC_N		 300u /* objects of the primary, freed by the secondary */
#define XPROC_M		 200u /* objects of the secondary, freed by the primary */
#define XPROC_CTOR_BYTE	 0x5a /* every byte of a constructed object */
#define XPROC_CTOR_MAX	 4096u

struct xproc_board {
	void *cache;	  /* the primary's pointer to XPROC_CACHE */
	void *ctor_cache; /* and to XPROC_CTOR_CACHE */
	uint32_t n;	  /* objects in prim[] */
	uint32_t m;	  /* objects in sec[], set by the secondary */
	/* XPROC_CTOR_CACHE: free constructed objects the primary left behind ... */
	uint64_t ctor_free_objs;
	/* ... how many the secondary got before it could not make a slab, and why */
	uint32_t ctor_taken;
	int32_t ctor_errno;
	uint32_t secondary_ctor_calls; /* its own constructor, once registered */
	uint32_t pad;
	void *prim[XPROC_N];
	void *sec[XPROC_M];
};

/* Byte `off` of object i of process `who` (1 primary, 2 secondary). */
static inline uint8_t
xproc_byte(unsigned int who, unsigned int i, unsigned int off)
{
	return (uint8_t)(who * 77u + i * 13u + off);
}

#endif /* HM_TEST_SLAB_XPROC_H */

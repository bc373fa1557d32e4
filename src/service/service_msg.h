/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_SERVICE_MSG_H
#define HM_SERVICE_MSG_H

/*
 * The messages between a secondary and the primary's service loop. Not
 * installed.
 *
 * Each process slot has a request ring (client -> service) and a response
 * ring (service -> client) in the shared config's arena, single producer
 * and single consumer each, of HM_SVC_RING_SIZE elements of one struct
 * hm_svc_msg. A client sends one request at a time (a mutex per process)
 * and waits for the response carrying its seq; a response with another
 * seq is a late answer to a request it gave up on, whose allocation the
 * client gives back (see service_client.c).
 *
 * The service copies a request out of the ring before it looks at it, so
 * the sender cannot change it while it is checked: hm_svc_decode() reads
 * only that copy and judges it on its own (no shared state), and the
 * service then checks what needs the allocator's state (that an address
 * is an allocated block, that the sender owns it).
 */

#include <stddef.h>
#include <stdint.h>

#include <hugemem/buddy.h>

#include "buddy_pvt.h"

#define HM_SVC_MAGIC	 0x684d5356u /* "hMSV" */
#define HM_SVC_RING_SIZE 16	     /* requests in flight per slot, at most */
#define HM_SVC_NAMESIZE	 HM_MEMZONE_NAMESIZE

enum hm_svc_op {
	HM_SVC_NOP = 1,	    /* nothing: a round trip, for liveness and timing */
	HM_SVC_ALLOC,	    /* a block of 2^order pages -> addr */
	HM_SVC_ALLOC_EXACT, /* the pages that hold size bytes -> addr */
	HM_SVC_FREE,	    /* the block at addr; size != 0: the exact pages of size */
	HM_SVC_MZ_RESERVE,  /* memzone `name` of size bytes, align -> addr (the memzone) */
	HM_SVC_MZ_FREE,	    /* the memzone at addr */
	HM_SVC_OP_MAX,
};

/* hm_svc_msg.tag */
#define HM_SVC_TAG_SELF	 0x1u /* the block is the sender's, reclaimed with it; else nobody's */
#define HM_SVC_TAG_PLAIN 0x2u /* FREE: refuse blocks of slab, ring, mempool, kmalloc, memzone */
#define HM_SVC_TAG_ALL	 (HM_SVC_TAG_SELF | HM_SVC_TAG_PLAIN)

/* The PGF_* kinds a client may tag a block with (never PGF_MEMZONE). */
#define HM_SVC_PGF_ALLOWED (PGF_OWNED & ~PGF_MEMZONE)

struct hm_svc_msg {
	uint32_t magic;
	uint32_t seq;	  /* the client's, echoed */
	uint16_t op;	  /* enum hm_svc_op */
	int16_t status;	  /* response: 0 or -errno */
	uint32_t flags;	  /* HM_BUDDY_* (and HM_MEMZONE_PERSIST) */
	uint32_t pgflags; /* PGF_* of the block */
	uint32_t tag;	  /* HM_SVC_TAG_* */
	int32_t socket;
	uint32_t order;
	uint64_t size;
	uint64_t align;
	uint64_t addr;	  /* request: what to free; response: what was allocated */
	uint64_t sent_ns; /* hm_time_ns() of the client when sent */
	char name[HM_SVC_NAMESIZE];
};

/*
 * Check a request on its own: magic, op, and each field the op uses within
 * bounds (order, size, alignment a power of two, flags known, socket a
 * node or HM_SOCKET_ID_ANY, name 1 to 31 printable characters and NUL
 * terminated inside the field). @return 0, or -EPROTO (not a request) or
 * -EINVAL (a bad field), with *why naming what is wrong.
 */
int hm_svc_decode(const struct hm_svc_msg *m, const char **why);

const char *hm_svc_op_name(unsigned int op);

#endif /* HM_SERVICE_MSG_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request decoder: a pure function of one message, so that it can be
 * fuzzed alone (tests/fuzz/fuzz_service_msg.c).
 */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <hugemem/eal.h>

#include "buddy_pvt.h"
#include "hm_common.h"
#include "service_msg.h"

static const char *const op_names[HM_SVC_OP_MAX] = {
    [HM_SVC_NOP] = "nop",
    [HM_SVC_ALLOC] = "alloc",
    [HM_SVC_ALLOC_EXACT] = "alloc_exact",
    [HM_SVC_FREE] = "free",
    [HM_SVC_MZ_RESERVE] = "memzone_reserve",
    [HM_SVC_MZ_FREE] = "memzone_free",
};

const char *
hm_svc_op_name(unsigned int op)
{
	return op > 0 && op < HM_SVC_OP_MAX ? op_names[op] : "unknown";
}

const char *
hm_service_op_name(unsigned int op)
{
	return hm_svc_op_name(op);
}

#define MAX_BYTES ((uint64_t)HM_BUDDY_PAGE_SIZE << HM_BUDDY_MAX_ORDER)

static int
bad(const char **why, const char *what)
{
	*why = what;
	return -EINVAL;
}

static bool
socket_ok(int32_t socket)
{
	return socket == HM_SOCKET_ID_ANY || (socket >= 0 && socket < HM_MAX_NUMA_NODES);
}

static int
check_alloc(const struct hm_svc_msg *m, const char **why, uint32_t flags_allowed)
{
	if (m->flags & ~flags_allowed)
		return bad(why, "unknown flags");
	if (!socket_ok(m->socket))
		return bad(why, "socket out of range");
	if (m->pgflags & ~(uint32_t)HM_SVC_PGF_ALLOWED)
		return bad(why, "page flags a client may not set");
	if (m->tag & ~(uint32_t)HM_SVC_TAG_SELF)
		return bad(why, "unknown tag bits");
	/*
	 * A block is the sender's (plain DMA memory or a large kmalloc), or a
	 * shared structure's that nobody owns: exactly one kind of those. A block
	 * of nobody's without a kind could never be freed nor reclaimed.
	 */
	if (m->tag & HM_SVC_TAG_SELF) {
		if (m->pgflags != 0 && m->pgflags != PGF_KMALLOC)
			return bad(why, "a block of the sender's with a shared structure's kind");
	} else if (m->op != HM_SVC_MZ_RESERVE && m->pgflags != PGF_SLAB && m->pgflags != PGF_RING &&
		   m->pgflags != PGF_MEMPOOL) {
		return bad(why, "a block of nobody's that is no slab, ring or mempool");
	}
	return 0;
}

int
hm_svc_decode(const struct hm_svc_msg *m, const char **why)
{
	static const char *unused;

	if (why == NULL)
		why = &unused;
	*why = "";
	if (m == NULL) {
		*why = "no message";
		return -EPROTO;
	}
	if (m->magic != HM_SVC_MAGIC) {
		*why = "bad magic";
		return -EPROTO;
	}
	if (m->op == 0 || m->op >= HM_SVC_OP_MAX) {
		*why = "unknown operation";
		return -EPROTO;
	}
	switch ((enum hm_svc_op)m->op) {
	case HM_SVC_NOP:
		return 0;
	case HM_SVC_ALLOC:
		if (m->order > HM_BUDDY_MAX_ORDER)
			return bad(why, "order above the largest block");
		return check_alloc(m, why, HM_BUDDY_ALL_FLAGS);
	case HM_SVC_ALLOC_EXACT:
		if (m->size == 0 || m->size > MAX_BYTES)
			return bad(why, "size zero or above the largest block");
		return check_alloc(m, why, HM_BUDDY_ALL_FLAGS);
	case HM_SVC_FREE:
		if (m->addr == 0 || m->addr % HM_BUDDY_PAGE_SIZE != 0)
			return bad(why, "address not a page");
		if (m->size > MAX_BYTES)
			return bad(why, "size above the largest block");
		if (m->tag & ~(uint32_t)HM_SVC_TAG_PLAIN)
			return bad(why, "unknown tag bits");
		return 0;
	case HM_SVC_MZ_RESERVE:
		if (!hm_name_ok(m->name, sizeof(m->name), isprint))
			return bad(why, "name not 1 to 31 printable characters");
		if (m->size == 0 || m->size > MAX_BYTES)
			return bad(why, "size zero or above the largest block");
		if (m->align > MAX_BYTES || (m->align != 0 && !HM_IS_POW2(m->align)))
			return bad(why, "alignment not a power of two up to the largest block");
		if (m->pgflags != 0)
			return bad(why, "page flags on a memzone");
		return check_alloc(m, why, HM_MEMZONE_ALL_FLAGS);
	case HM_SVC_MZ_FREE:
		if (m->addr == 0 || m->addr % 8 != 0)
			return bad(why, "not a memzone address");
		return 0;
	default:
		break;
	}
	*why = "unknown operation";
	return -EPROTO;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the service's request decoder, hm_svc_decode(): every
 * input is the bytes of one struct hm_svc_msg as a client could write it
 * into its request ring (shorter inputs are padded with zeros, longer ones
 * cut). When the first byte is odd the magic is set right, so that the
 * fuzzer spends its time past that first check.
 *
 * The message is copied into a heap block of exactly its size, so that a
 * read past its end is an AddressSanitizer error. A request the decoder
 * accepts must hold what the service then relies on: a known operation,
 * and for that operation an order, size, alignment, socket, flags, page
 * flags, tag bits and name within bounds. Anything else aborts, and
 * libFuzzer keeps the input.
 */

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/hugemem.h>

#include "buddy_pvt.h"
#include "service_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BYTES ((uint64_t)HM_BUDDY_PAGE_SIZE << HM_BUDDY_MAX_ORDER)

static void
broken(const struct hm_svc_msg *m, const char *what)
{
	fprintf(stderr, "fuzz_service_msg: accepted op %u with %s\n", m->op, what);
	abort();
}

static void
check_common(const struct hm_svc_msg *m, uint32_t flags_allowed)
{
	if (m->flags & ~flags_allowed)
		broken(m, "unknown flags");
	if (m->socket != HM_SOCKET_ID_ANY && (m->socket < 0 || m->socket >= HM_MAX_NUMA_NODES))
		broken(m, "a bad socket");
	if ((m->pgflags & PGF_MEMZONE) || (m->pgflags & ~(uint32_t)PGF_OWNED))
		broken(m, "page flags a client may not set");
	if (m->tag & ~(uint32_t)HM_SVC_TAG_SELF)
		broken(m, "unknown tag bits");
	/* Every block can go back: the sender's is reclaimed with it, nobody's is a kind's. */
	if (m->op != HM_SVC_MZ_RESERVE && (m->tag & HM_SVC_TAG_SELF) && m->pgflags != 0 &&
	    m->pgflags != PGF_KMALLOC)
		broken(m, "a block of the sender's with a shared kind");
	if (m->op != HM_SVC_MZ_RESERVE && !(m->tag & HM_SVC_TAG_SELF) &&
	    __builtin_popcount(m->pgflags & (PGF_SLAB | PGF_RING | PGF_MEMPOOL)) != 1)
		broken(m, "a block of nobody's that no free could take");
}

static void
check_accepted(const struct hm_svc_msg *m)
{
	size_t n;

	if (m->magic != HM_SVC_MAGIC)
		broken(m, "a bad magic");
	switch (m->op) {
	case HM_SVC_NOP:
		break;
	case HM_SVC_ALLOC:
		if (m->order > HM_BUDDY_MAX_ORDER)
			broken(m, "an order above the largest");
		check_common(m, HM_BUDDY_ALL_FLAGS);
		break;
	case HM_SVC_ALLOC_EXACT:
		if (m->size == 0 || m->size > MAX_BYTES)
			broken(m, "a bad size");
		check_common(m, HM_BUDDY_ALL_FLAGS);
		break;
	case HM_SVC_FREE:
		if (m->addr == 0 || m->addr % HM_BUDDY_PAGE_SIZE != 0 || m->size > MAX_BYTES)
			broken(m, "a bad address or size");
		if (m->tag & ~(uint32_t)HM_SVC_TAG_PLAIN)
			broken(m, "unknown tag bits");
		break;
	case HM_SVC_MZ_RESERVE:
		n = strnlen(m->name, sizeof(m->name));
		if (n == 0 || n == sizeof(m->name))
			broken(m, "a name of no length or without its NUL");
		for (size_t i = 0; i < n; i++)
			if (!isprint((unsigned char)m->name[i]))
				broken(m, "an unprintable name");
		if (m->size == 0 || m->size > MAX_BYTES)
			broken(m, "a bad size");
		if (m->align > MAX_BYTES || (m->align & (m->align - 1)) != 0)
			broken(m, "a bad alignment");
		if (m->pgflags != 0)
			broken(m, "page flags");
		check_common(m, HM_MEMZONE_ALL_FLAGS);
		break;
	case HM_SVC_MZ_FREE:
		if (m->addr == 0)
			broken(m, "no address");
		break;
	default:
		broken(m, "an unknown operation");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hm_svc_msg *m = calloc(1, sizeof(*m));
	const char *why = NULL;
	int ret;

	if (m == NULL)
		return 0;
	memcpy(m, data, size < sizeof(*m) ? size : sizeof(*m));
	if (size > 0 && (data[0] & 1))
		m->magic = HM_SVC_MAGIC;
	ret = hm_svc_decode(m, &why);
	if (why == NULL || (ret != 0 && why[0] == '\0'))
		broken(m, "no reason given for its answer");
	if (ret == 0)
		check_accepted(m);
	else if (ret != -EINVAL && ret != -EPROTO)
		broken(m, "an answer neither 0, EINVAL nor EPROTO");
	free(m);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_TEST_PATTERN_H
#define HM_TEST_PATTERN_H

/* What the primary test writes into each memseg and the secondary checks. */

#include <hugemem/memory.h>

#define HM_TEST_ACK 0x61636b2d73656373ULL

static inline uint64_t
hm_test_pattern(const struct hm_memseg *ms, int which)
{
	return (ms->iova * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)(uintptr_t)ms->addr ^
	       (which ? 0xffff0000ffff0000ULL : 0x1234567812345678ULL);
}

#endif

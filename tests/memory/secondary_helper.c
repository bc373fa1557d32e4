/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A real secondary process for the memory tests, started with fork+exec.
 *
 *   HM_TEST_MODE=check hm_test_secondary [EAL args]  attach, verify, ack
 *   HM_TEST_MODE=memzone hm_test_secondary [EAL args] look up the primary's memzone
 *   hm_test_secondary [EAL args]                     attach and detach only
 *
 * The check verifies for every memseg: the primary's pattern at its first and
 * last 8 bytes, hm_virt2iova() against the table, and (PA mode) this
 * process's own pagemap against the IOVA the primary resolved. It then
 * writes an acknowledgement word into the first memseg for the primary to
 * read. Exit status: 0 ok, 2 attach failed with -EBUSY, 3 -ENOENT, 4 other
 * attach failure, 10 + n for check failures.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/hugemem.h>

#include "../common/hm_test.h"
#include "pattern.h"

struct result {
	unsigned int segs;
	unsigned int bad;
};

static int
check_seg(const struct hm_memseg *ms, void *arg)
{
	struct result *r = arg;
	const volatile uint64_t *first = ms->addr;
	const volatile uint64_t *last =
	    (const volatile uint64_t *)((uint8_t *)ms->addr + ms->len) - 1;

	if (*first != hm_test_pattern(ms, 0) || *last != hm_test_pattern(ms, 1)) {
		fprintf(stderr, "secondary: memseg %p: pattern %lx/%lx, expected %lx/%lx\n",
			ms->addr, (unsigned long)*first, (unsigned long)*last,
			(unsigned long)hm_test_pattern(ms, 0),
			(unsigned long)hm_test_pattern(ms, 1));
		r->bad++;
	}
	if (hm_virt2iova(ms->addr) != ms->iova)
		r->bad++;
	if (hm_eal_iova_mode() == HM_IOVA_PA && hm_test_pfn(ms->addr) * 4096 != ms->iova) {
		fprintf(stderr, "secondary: memseg %p: own PFN 0x%lx, primary's IOVA 0x%lx\n",
			ms->addr, (unsigned long)hm_test_pfn(ms->addr), (unsigned long)ms->iova);
		r->bad++;
	}
	r->segs++;
	return 0;
}

static int
ack(const struct hm_memseg *ms, void *arg)
{
	(void)arg;
	((volatile uint64_t *)ms->addr)[1] = HM_TEST_ACK;
	return 1; /* the first memseg only */
}

/* The primary's "hm_test_mz": its text, its IOVA; answer in it, and reserve one back. */
static unsigned int
check_memzone(void)
{
	const struct hm_memzone *mz = hm_memzone_lookup("hm_test_mz");

	if (mz == NULL || strcmp(mz->addr, "written by the primary") != 0 ||
	    hm_virt2iova(mz->addr) != mz->iova)
		return 1;
	strcpy((char *)mz->addr + 64, "written by the secondary");
	/* Persistent: the primary looks it up after this process has detached, whose
	 * own memzones the service takes back. */
	return hm_memzone_reserve("hm_test_mz_2", 4096, 0, HM_MEMZONE_PERSIST, 0) == NULL;
}

int
main(int argc, char **argv)
{
	const char *mode = getenv("HM_TEST_MODE");
	struct result r = {0};
	int ret;

	ret = hm_eal_init(argc, argv);
	if (ret == -EBUSY)
		return 2;
	if (ret == -ENOENT)
		return 3;
	if (ret < 0)
		return 4;
	if (hm_eal_process_type() != HM_PROC_SECONDARY) {
		hm_eal_cleanup();
		return 5;
	}
	if (mode != NULL && strcmp(mode, "check") == 0) {
		hm_memseg_walk(check_seg, &r);
		if (r.segs == 0)
			r.bad++;
		if (r.bad == 0)
			hm_memseg_walk(ack, NULL);
	}
	if (mode != NULL && strcmp(mode, "memzone") == 0)
		r.bad += check_memzone();
	hm_eal_cleanup();
	return r.bad == 0 ? 0 : 10 + (r.bad > 100 ? 100 : (int)r.bad);
}

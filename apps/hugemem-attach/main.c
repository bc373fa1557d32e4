/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugemem-attach: an example secondary. Attaches to a running hugememd (same
 * --file-prefix), prints the memsegs and runs it sees, and checks that it
 * sees the primary's memory: every memseg is at the address the primary
 * recorded, hm_virt2iova() agrees with the table, and, in PA mode, this
 * process's own /proc/self/pagemap shows the very physical pages the primary
 * resolved. Then it asks the primary's service for a DMA block and gives it
 * back, and prints the round trips. Exits 0 if every check passed, 1
 * otherwise.
 *
 *   hugemem-attach --file-prefix hugemem -l 1
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

struct check {
	int pagemap_fd;
	unsigned int segs;
	unsigned int bad;
};

static uint64_t
own_pfn(int fd, const void *va)
{
	uint64_t e = 0;

	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / 4096 * 8)) != 8)
		return 0;
	return (e & (1ULL << 63)) ? (e & ((1ULL << 55) - 1)) : 0;
}

static int
check_seg(const struct hm_memseg *ms, void *arg)
{
	struct check *c = arg;
	volatile const uint8_t *p = ms->addr;

	(void)p[0]; /* readable at the same address */
	if (hm_virt2iova(ms->addr) != ms->iova) {
		printf("  memseg %p: hm_virt2iova gives 0x%" PRIx64 ", table says 0x%" PRIx64 "\n",
		       ms->addr, hm_virt2iova(ms->addr), ms->iova);
		c->bad++;
	}
	if (hm_eal_iova_mode() == HM_IOVA_PA && c->pagemap_fd >= 0) {
		uint64_t pfn = own_pfn(c->pagemap_fd, ms->addr);

		if (pfn * 4096 != ms->iova) {
			printf("  memseg %p: this process maps PFN 0x%" PRIx64
			       ", primary saw 0x%" PRIx64 "\n",
			       ms->addr, pfn, ms->iova / 4096);
			c->bad++;
		}
	}
	c->segs++;
	return 0;
}

static int
print_run(const struct hm_memseg_run *r, void *arg)
{
	(void)arg;
	printf("  %p  iova 0x%012" PRIx64 "  %8" PRIu64 " kB  %7" PRIu64 " kB pages  socket %d  "
	       "memsegs %u-%u\n",
	       r->addr, r->iova, r->len >> 10, r->hugepage_sz >> 10, r->socket_id, r->first_seg,
	       r->first_seg + r->nb_segs - 1);
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A ping and a 64 KiB DMA block through the primary's service. @return 0 or 1. */
static unsigned int
service_round_trip(void)
{
	uint64_t t0 = now_ns(), t1, t2, t3;
	hm_iova_t iova = 0;
	int ret = hm_service_ping();
	void *va;

	if (ret == -ENOTSUP) {
		printf("hugemem-attach: the primary runs no service loop\n");
		return 0;
	}
	t1 = now_ns();
	va = ret == 0 ? hm_dma_alloc(65536, 0, HM_SOCKET_ID_ANY, 0, &iova) : NULL;
	t2 = now_ns();
	if (va == NULL || hm_dma_free(va) != 0) {
		printf("hugemem-attach: the service did not answer: %s: FAILED\n",
		       strerror(ret != 0 ? -ret : errno));
		return 1;
	}
	t3 = now_ns();
	printf("hugemem-attach: service: ping %" PRIu64
	       " ns, 64 KiB DMA block at %p (IOVA 0x%" PRIx64 ") in %" PRIu64
	       " ns, given back in %" PRIu64 " ns\n",
	       t1 - t0, va, (uint64_t)iova, t2 - t1, t3 - t2);
	return 0;
}

int
main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	struct check c = {.pagemap_fd = -1};
	struct hm_memory_info info;
	bool has_type = false;
	int n = 0, ret;

	if (args == NULL)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--proc-type", 11) == 0)
			has_type = true;
		args[n++] = argv[i];
		if (i == 0 && !has_type)
			args[n++] = "--proc-type=secondary";
	}
	ret = hm_eal_init(n, args);
	if (ret == -ECANCELED)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "hugemem-attach: cannot attach: %s\n", strerror(-ret));
		return 1;
	}
	hm_memory_info_get(&info);
	printf("hugemem-attach: pid %d attached to prefix %s as %s, IOVA mode %s\n", (int)getpid(),
	       hm_eal_file_prefix(),
	       hm_eal_process_type() == HM_PROC_SECONDARY ? "secondary" : "primary",
	       hm_eal_iova_mode() == HM_IOVA_PA ? "PA" : "VA");
	printf("hugemem-attach: %u memsegs, %" PRIu64 " MiB, %u contiguous runs:\n",
	       info.nb_memsegs, info.total_bytes >> 20, info.nb_runs);
	hm_memseg_run_walk(print_run, NULL);

	c.pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	hm_memseg_walk(check_seg, &c);
	if (c.pagemap_fd >= 0)
		close(c.pagemap_fd);
	printf("hugemem-attach: %u memsegs checked, %u mismatches: %s\n", c.segs, c.bad,
	       c.bad == 0 ? "this process sees the primary's memory" : "FAILED");
	c.bad += service_round_trip();
	hm_eal_cleanup();
	free(args);
	return c.bad == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's hugepages: plan, pin, resolve, place.
 *
 * plan:    decide how many pages of each size each socket gets, largest
 *          pages first, within what sysfs says is free; refuse with the
 *          numbers and the command that would reserve the missing pages.
 * pin:     per (size, socket) group, one hugetlbfs file (a memfd with
 *          --in-memory) mapped at a temporary address, bound to its node
 *          with mbind, faulted in page by page under a SIGBUS guard (a node
 *          out of pages raises SIGBUS, not an error code), locked, and its
 *          placement verified with one move_pages() call.
 * resolve: one pread of /proc/self/pagemap per group (in chunks of 8 MiB of
 *          entries, so up to 4 GiB of memory per read) gives every page's
 *          PFN; pages are sorted by PFN.
 * place:   each page is mapped again from its file at its final address, in
 *          PFN order, so that physically adjacent pages become virtually
 *          adjacent and form long contiguous runs; then the temporary
 *          mapping goes away.
 *
 * Invariant after placement: memsegs are in VA order, and within a group
 * their IOVAs increase.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HM_HAVE_NUMA
#include <numa.h>
#include <numaif.h>
#endif

#include "memory_pvt.h"

#define MEM "memory"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)
#define PAGEMAP_PRESENT	 (1ULL << 63)
#define PAGEMAP_CHUNK	 (1u << 20) /* entries per read: 8 MiB buffer */

/* ------------------------------------------------------------------ plan */

static uint64_t
avail_bytes(const struct hm_hugepage_info *hi, unsigned int s, bool in_memory)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < hi->nb_sizes; i++)
		if (hi->sizes[i].mount[0] != '\0' || in_memory)
			sum += (uint64_t)hi->sizes[i].free_per_node[s] * hi->sizes[i].page_sz;
	return sum;
}

static void
report_shortage(const struct hm_hugepage_info *hi, unsigned int s, uint64_t want, uint64_t have,
		bool in_memory)
{
	const struct hm_hugepage_size *small = NULL;
	char line[512];
	int n = 0;

	for (unsigned int i = 0; i < hi->nb_sizes; i++) {
		const struct hm_hugepage_size *hs = &hi->sizes[i];
		char sz[32];

		if (hs->mount[0] == '\0' && !in_memory)
			continue;
		small = hs;
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s: %u free", n ? ", " : "",
			      hm_size_str(hs->page_sz, sz, sizeof(sz)), hs->free_per_node[s]);
		if ((size_t)n >= sizeof(line))
			break;
	}
	if (small == NULL) {
		HM_LOG(ERR, MEM,
		       "no hugetlbfs is mounted; mount one with 'mkdir -p /dev/hugepages && mount "
		       "-t hugetlbfs -o pagesize=2M nodev /dev/hugepages', or run with --in-memory "
		       "or --no-huge");
		return;
	}
	uint64_t missing = (want - have + small->page_sz - 1) / small->page_sz;
	HM_LOG(ERR, MEM,
	       "socket %u: asked for %" PRIu64 " MiB of hugepages, %" PRIu64
	       " MiB can be had (%s); reserve more with: echo %" PRIu64
	       " > /sys/devices/system/node/node%u/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
	       s, want >> 20, have >> 20, line, small->nr_per_node[s] + missing, s,
	       small->page_sz >> 10);
}

/* Take up to want bytes on socket s, large pages first. @return bytes taken. */
static uint64_t
fill_socket(const struct hm_hugepage_info *hi, unsigned int s, uint64_t want, bool in_memory,
	    bool round_up, struct hm_mem_plan *plan)
{
	uint32_t take[HM_MAX_PAGE_SIZES] = {0};
	uint64_t left = want, got = 0;
	unsigned int i;

	for (i = 0; i < hi->nb_sizes; i++) {
		const struct hm_hugepage_size *hs = &hi->sizes[i];
		uint64_t n;

		if (hs->mount[0] == '\0' && !in_memory)
			continue;
		n = left / hs->page_sz;
		if (n > hs->free_per_node[s])
			n = hs->free_per_node[s];
		take[i] = (uint32_t)n;
		left -= n * hs->page_sz;
	}
	/* A remainder smaller than the pages left: round up with the smallest page that fits. */
	for (i = hi->nb_sizes; round_up && left > 0 && i-- > 0;) {
		const struct hm_hugepage_size *hs = &hi->sizes[i];
		uint64_t n = (left + hs->page_sz - 1) / hs->page_sz;

		if (hs->mount[0] == '\0' && !in_memory)
			continue;
		if (take[i] + n <= hs->free_per_node[s]) {
			take[i] += (uint32_t)n;
			left = 0;
		}
	}
	for (i = 0; i < hi->nb_sizes; i++) {
		struct hm_mem_group *g;

		if (take[i] == 0)
			continue;
		g = &plan->groups[plan->nb_groups++];
		g->page_sz = hi->sizes[i].page_sz;
		g->socket_id = (int32_t)s;
		g->nb_pages = take[i];
		snprintf(g->mount, sizeof(g->mount), "%s", in_memory ? "" : hi->sizes[i].mount);
		got += (uint64_t)take[i] * g->page_sz;
	}
	return got;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct hm_mem_group *x = a, *y = b;

	if (x->page_sz != y->page_sz)
		return x->page_sz > y->page_sz ? -1 : 1;
	return x->socket_id - y->socket_id;
}

int
hm_memory_plan(const struct hm_eal_config *cfg, const struct hm_hugepage_info *hi,
	       struct hm_mem_plan *plan)
{
	uint64_t left_total = cfg->memory;
	unsigned int s;

	memset(plan, 0, sizeof(*plan));
	for (s = 0; s < hi->nb_nodes; s++) {
		uint64_t limit = cfg->socket_limit[s];
		uint64_t avail = avail_bytes(hi, s, cfg->in_memory);
		uint64_t want, got;

		if (limit != 0 && avail > limit)
			avail = limit;
		if (cfg->force_sockets)
			want = cfg->socket_mem[s];
		else if (cfg->mem_parsed)
			want = left_total < avail ? left_total : avail;
		else
			want = avail; /* no amount given: every free page, as DPDK does */
		if (want == 0)
			continue;
		/* Round a remainder up to a whole page only for an amount that was asked for. */
		got = fill_socket(hi, s, want, cfg->in_memory,
				  cfg->force_sockets || cfg->mem_parsed, plan);
		if (got < want && (cfg->force_sockets || !cfg->mem_parsed)) {
			if (cfg->force_sockets) {
				report_shortage(hi, s, want, got, cfg->in_memory);
				return -ENOMEM;
			}
		}
		if (limit != 0 && got > limit) {
			HM_LOG(ERR, MEM,
			       "socket %u: %" PRIu64 " MiB in whole pages is above --socket-limit "
			       "%" PRIu64 " MiB",
			       s, got >> 20, limit >> 20);
			return -ENOMEM;
		}
		plan->total += got;
		left_total = left_total > got ? left_total - got : 0;
	}
	for (s = 0; s < HM_MAX_NUMA_NODES; s++) {
		if (cfg->force_sockets && cfg->socket_mem[s] != 0 && s >= hi->nb_nodes) {
			HM_LOG(ERR, MEM, "--socket-mem: socket %u does not exist (%u NUMA nodes)",
			       s, hi->nb_nodes);
			return -EINVAL;
		}
	}
	if (cfg->mem_parsed && plan->total < cfg->memory) {
		report_shortage(hi, 0, cfg->memory, plan->total, cfg->in_memory);
		return -ENOMEM;
	}
	if (plan->total == 0) {
		report_shortage(hi, 0, hi->sizes[hi->nb_sizes - 1].page_sz, 0, cfg->in_memory);
		return -ENOMEM;
	}
	qsort(plan->groups, plan->nb_groups, sizeof(plan->groups[0]), group_cmp);
	return 0;
}

/* ------------------------------------------------------------ SIGBUS guard */

static __thread sigjmp_buf *sigbus_jmp;

static void
sigbus_handler(int sig)
{
	if (sigbus_jmp != NULL)
		siglongjmp(*sigbus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Touch one byte of every page (a read-write of the same value, so reused
 * contents survive). @return 0, or -ENOMEM with *failed set to the page that
 * raised SIGBUS.
 */
static int
fault_in_guarded(volatile uint8_t *addr, uint32_t nb_pages, uint64_t page_sz, uint32_t *failed)
{
	struct sigaction sa, old;
	sigjmp_buf jb;
	volatile uint32_t i = 0;
	int ret = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigbus_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(jb, 1) != 0) {
		*failed = i;
		ret = -ENOMEM;
		goto out;
	}
	sigbus_jmp = &jb;
	for (; i < nb_pages; i++) {
		volatile uint8_t *p = addr + (uint64_t)i * page_sz;
		*p = *p;
	}
out:
	sigbus_jmp = NULL;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

/* --------------------------------------------------------------- pagemap */

int
hm_pagemap_read_pfns(const void *va, uint64_t len, uint64_t page_sz, uint64_t *pfns,
		     uint32_t nb_pages)
{
	const uint64_t sub = page_sz / 4096; /* pagemap entries per page */
	uint64_t first = (uint64_t)(uintptr_t)va / 4096, nb = len / 4096, done = 0;
	uint64_t *buf;
	int fd, ret = 0;

	if (nb_pages * sub != nb)
		return -EINVAL;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(sizeof(uint64_t) * (nb < PAGEMAP_CHUNK ? nb : PAGEMAP_CHUNK));
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (done < nb) {
		uint64_t want = nb - done < PAGEMAP_CHUNK ? nb - done : PAGEMAP_CHUNK;
		ssize_t r = pread(fd, buf, want * 8, (off_t)((first + done) * 8));

		if (r != (ssize_t)(want * 8)) {
			ret = r < 0 ? -errno : -EIO;
			break;
		}
		for (uint64_t e = 0; e < want; e++) {
			uint64_t idx = done + e, pfn = buf[e] & PAGEMAP_PFN_MASK;

			if (!(buf[e] & PAGEMAP_PRESENT)) {
				ret = -EFAULT;
				break;
			}
			if (pfn == 0) {
				ret = -EPERM; /* PFNs hidden: no CAP_SYS_ADMIN */
				break;
			}
			if (idx % sub == 0)
				pfns[idx / sub] = pfn;
			else if (pfn != pfns[idx / sub] + idx % sub) {
				ret = -EIO; /* a hugepage that is not physically contiguous */
				break;
			}
		}
		if (ret < 0)
			break;
		done += want;
	}
	free(buf);
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------- pin */

struct pinned_group {
	int fd;
	uint8_t *tmp;
	uint64_t len;
	uint32_t file;
	uint64_t *pfns;
	uint32_t *order; /* VA slot -> page index in the file */
};

static int
group_open(const struct hm_eal_config *cfg, const struct hm_mem_group *g, struct hm_hugefile *hf)
{
	int fd;

	if (g->mount[0] == '\0') {
		char name[64];
		unsigned int shift = (unsigned int)__builtin_ctzll(g->page_sz);

		snprintf(name, sizeof(name), "%smap_%d", cfg->file_prefix, g->socket_id);
		fd = memfd_create(name, MFD_CLOEXEC | MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));
		hf->path[0] = '\0';
	} else {
		snprintf(hf->path, sizeof(hf->path), "%s/%smap_%d_%" PRIu64 "k", g->mount,
			 cfg->file_prefix, g->socket_id, g->page_sz >> 10);
		fd = open(hf->path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	}
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0) {
		HM_LOG(ERR, MEM, "%s: in use by another process", hf->path);
		close(fd);
		return -EBUSY;
	}
	if (fd < 0) {
		int err = errno;

		HM_LOG(ERR, MEM,
		       "socket %d: cannot create the file for %" PRIu64 " kB pages %s: %s",
		       g->socket_id, g->page_sz >> 10, hf->path, strerror(err));
		return -err;
	}
	if (ftruncate(fd, (off_t)((uint64_t)g->nb_pages * g->page_sz)) < 0) {
		int err = errno;

		HM_LOG(ERR, MEM, "%s: cannot size it to %u pages: %s",
		       hf->path[0] ? hf->path : "memfd", g->nb_pages, strerror(err));
		close(fd);
		if (hf->path[0])
			unlink(hf->path);
		return -err;
	}
	hf->page_sz = g->page_sz;
	hf->socket_id = g->socket_id;
	hf->nb_pages = g->nb_pages;
	return fd;
}

static int
group_bind_and_verify(const struct hm_mem_group *g, struct pinned_group *pg, bool bind)
{
#ifdef HM_HAVE_NUMA
	if (bind && numa_available() >= 0) {
		unsigned long mask = 1UL << g->socket_id;

		if (mbind(pg->tmp, pg->len, MPOL_BIND, &mask, sizeof(mask) * 8, 0) < 0) {
			HM_LOG(ERR, MEM, "socket %d: mbind of %" PRIu64 " kB pages failed: %s",
			       g->socket_id, g->page_sz >> 10, strerror(errno));
			return -errno;
		}
		return 0;
	}
	if (!bind && numa_available() >= 0) {
		void **pages = malloc(sizeof(void *) * g->nb_pages);
		int *status = malloc(sizeof(int) * g->nb_pages);
		int ret = 0;

		if (pages == NULL || status == NULL) {
			free(pages);
			free(status);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < g->nb_pages; i++)
			pages[i] = pg->tmp + (uint64_t)i * g->page_sz;
		if (move_pages(0, g->nb_pages, pages, NULL, status, 0) < 0) {
			ret = -errno;
			HM_LOG(ERR, MEM, "socket %d: cannot query page placement: %s", g->socket_id,
			       strerror(errno));
		}
		for (uint32_t i = 0; ret == 0 && i < g->nb_pages; i++) {
			if (status[i] != g->socket_id) {
				HM_LOG(ERR, MEM,
				       "socket %d: %" PRIu64 " kB page %u landed on node %d",
				       g->socket_id, g->page_sz >> 10, i, status[i]);
				ret = -EFAULT;
			}
		}
		free(pages);
		free(status);
		return ret;
	}
#else
	(void)g;
	(void)pg;
	(void)bind;
#endif
	return 0;
}

static int
group_pin(const struct hm_eal_config *cfg, const struct hm_mem_group *g, struct pinned_group *pg,
	  struct hm_hugefile *hf)
{
	uint32_t failed = 0;
	int ret;

	pg->fd = group_open(cfg, g, hf);
	if (pg->fd < 0)
		return pg->fd;
	pg->len = (uint64_t)g->nb_pages * g->page_sz;
	pg->tmp = mmap(NULL, pg->len, PROT_READ | PROT_WRITE, MAP_SHARED, pg->fd, 0);
	if (pg->tmp == MAP_FAILED) {
		ret = -errno;
		pg->tmp = NULL;
		HM_LOG(ERR, MEM,
		       "socket %d: cannot map %u pages of %" PRIu64 " kB: %s (are they still "
		       "free? see /sys/kernel/mm/hugepages)",
		       g->socket_id, g->nb_pages, g->page_sz >> 10, strerror(-ret));
		return ret;
	}
	ret = group_bind_and_verify(g, pg, true);
	if (ret < 0)
		return ret;
	ret = fault_in_guarded(pg->tmp, g->nb_pages, g->page_sz, &failed);
	if (ret < 0) {
		HM_LOG(ERR, MEM,
		       "socket %d: SIGBUS faulting in %" PRIu64 " kB page %u of %u: the node ran "
		       "out of hugepages (another process took them, or a cgroup limit)",
		       g->socket_id, g->page_sz >> 10, failed, g->nb_pages);
		return ret;
	}
	if (mlock(pg->tmp, pg->len) < 0) {
		ret = -errno;
		HM_LOG(ERR, MEM, "socket %d: mlock of %" PRIu64 " MiB failed: %s", g->socket_id,
		       pg->len >> 20, strerror(-ret));
		return ret;
	}
	return group_bind_and_verify(g, pg, false);
}

struct pfn_slot {
	uint64_t pfn;
	uint32_t page;
};

static int
pfn_cmp(const void *a, const void *b)
{
	const struct pfn_slot *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static int
group_resolve(const struct hm_mem_group *g, struct pinned_group *pg, bool by_pfn)
{
	struct pfn_slot *slots;
	uint32_t i;
	int ret;

	pg->pfns = calloc(g->nb_pages, sizeof(uint64_t));
	pg->order = calloc(g->nb_pages, sizeof(uint32_t));
	if (pg->pfns == NULL || pg->order == NULL)
		return -ENOMEM;
	for (i = 0; i < g->nb_pages; i++)
		pg->order[i] = i;
	if (!by_pfn)
		return 0;
	ret = hm_pagemap_read_pfns(pg->tmp, pg->len, g->page_sz, pg->pfns, g->nb_pages);
	if (ret < 0)
		return ret;
	slots = malloc(sizeof(*slots) * g->nb_pages);
	if (slots == NULL)
		return -ENOMEM;
	for (i = 0; i < g->nb_pages; i++) {
		slots[i].pfn = pg->pfns[i];
		slots[i].page = i;
	}
	qsort(slots, g->nb_pages, sizeof(*slots), pfn_cmp);
	for (i = 0; i < g->nb_pages; i++)
		pg->order[i] = slots[i].page;
	free(slots);
	return 0;
}

/*
 * With no --iova-mode, PA if this process can read PFNs (CAP_SYS_ADMIN), else
 * VA with a warning: one page of the first group tells, for every group.
 */
static bool
pfns_readable(const struct hm_mem_group *g, const struct pinned_group *pg)
{
	uint64_t pfn;

	if (hm_pagemap_read_pfns(pg->tmp, g->page_sz, g->page_sz, &pfn, 1) != -EPERM)
		return true;
	HM_LOG(WARNING, MEM,
	       "physical addresses are not readable from /proc/self/pagemap (needs "
	       "CAP_SYS_ADMIN); using IOVA as VA");
	return false;
}

/* Map the group's pages at their final addresses, in order[], and record memsegs. */
static int
group_place(struct hm_shared_config *mc, const struct hm_mem_group *g, struct pinned_group *pg,
	    uint64_t va, bool pa)
{
	uint32_t i = 0, j;

	while (i < g->nb_pages) {
		/* Coalesce pages that are consecutive in the file into one mmap. */
		for (j = i + 1; j < g->nb_pages && pg->order[j] == pg->order[j - 1] + 1; j++)
			;
		void *want = (void *)(uintptr_t)(va + (uint64_t)i * g->page_sz);
		void *got = mmap(want, (uint64_t)(j - i) * g->page_sz, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_POPULATE, pg->fd,
				 (off_t)((uint64_t)pg->order[i] * g->page_sz));
		if (got == MAP_FAILED) {
			int err = errno;

			HM_LOG(ERR, MEM, "cannot map %u pages at %p: %s", j - i, want,
			       strerror(err));
			return -err;
		}
		i = j;
	}
	if (mlock((void *)(uintptr_t)va, pg->len) < 0) {
		int err = errno;

		HM_LOG(ERR, MEM, "mlock of %" PRIu64 " MiB at 0x%" PRIx64 " failed: %s",
		       pg->len >> 20, va, strerror(err));
		return -err;
	}
	for (i = 0; i < g->nb_pages; i++) {
		uint32_t k = mc->nb_memsegs++;
		struct hm_memseg *ms = &mc->memsegs[k];
		uint32_t page = pg->order[i];

		ms->addr = (void *)(uintptr_t)(va + (uint64_t)i * g->page_sz);
		ms->iova = pa ? pg->pfns[page] * 4096 : (hm_iova_t)(uintptr_t)ms->addr;
		ms->len = g->page_sz;
		ms->hugepage_sz = g->page_sz;
		ms->socket_id = g->socket_id;
		mc->backing[k].file = pg->file;
		mc->backing[k].offset = (uint64_t)page * g->page_sz;
	}
	return 0;
}

static void
group_release(struct pinned_group *pg)
{
	if (pg->tmp != NULL)
		munmap(pg->tmp, pg->len);
	if (pg->fd >= 0)
		close(pg->fd);
	free(pg->pfns);
	free(pg->order);
	memset(pg, 0, sizeof(*pg));
	pg->fd = -1;
}

/*
 * On success the hugepage files stay open in fds[] (one per file, index as
 * mc->files[]) with a shared flock: that is how another primary's stale-file
 * sweep knows they are in use.
 */
int
hm_memory_pin(const struct hm_eal_config *cfg, struct hm_shared_config *mc,
	      const struct hm_mem_plan *plan, int *fds, unsigned int *nb_fds)
{
	struct pinned_group pgs[HM_DIM(plan->groups)];
	enum hm_iova_mode mode = cfg->iova_mode;
	uint64_t t0 = hm_time_ns(), t1, va = mc->h.mem_va;
	unsigned int gi;
	int ret = 0;

	for (gi = 0; gi < HM_DIM(pgs); gi++) {
		memset(&pgs[gi], 0, sizeof(pgs[gi]));
		pgs[gi].fd = -1;
	}
	mc->nb_memsegs = 0;
	for (gi = 0; gi < plan->nb_groups && ret == 0; gi++) {
		if (mc->nb_files >= HM_MAX_HUGEFILES ||
		    mc->nb_memsegs + plan->groups[gi].nb_pages > HM_MAX_MEMSEGS) {
			HM_LOG(ERR, MEM, "more than %d hugepages; ask for less memory",
			       HM_MAX_MEMSEGS);
			ret = -E2BIG;
			break;
		}
		pgs[gi].file = mc->nb_files++;
		ret = group_pin(cfg, &plan->groups[gi], &pgs[gi], &mc->files[pgs[gi].file]);
	}
	t1 = hm_time_ns();
	mc->h.pin_ns = t1 - t0;

	if (ret == 0 && mode == HM_IOVA_DC)
		mode = pfns_readable(&plan->groups[0], &pgs[0]) ? HM_IOVA_PA : HM_IOVA_VA;
	for (gi = 0; gi < plan->nb_groups && ret == 0; gi++) {
		ret = group_resolve(&plan->groups[gi], &pgs[gi], mode == HM_IOVA_PA);
		if (ret == -EPERM)
			HM_LOG(ERR, MEM,
			       "--iova-mode=pa: physical addresses are not readable from "
			       "/proc/self/pagemap (needs CAP_SYS_ADMIN)");
		else if (ret < 0)
			HM_LOG(ERR, MEM, "cannot resolve the IOVAs of %" PRIu64 " kB pages: %s",
			       plan->groups[gi].page_sz >> 10, strerror(-ret));
	}

	for (gi = 0; gi < plan->nb_groups && ret == 0; gi++) {
		const struct hm_mem_group *g = &plan->groups[gi];

		va = HM_ALIGN_CEIL(va, g->page_sz);
		ret = group_place(mc, g, &pgs[gi], va, mode == HM_IOVA_PA);
		va += pgs[gi].len;
	}
	mc->h.resolve_ns = hm_time_ns() - t1;
	mc->h.iova_mode = (uint32_t)mode;
	hm_eal_set_iova_mode(mode);

	for (gi = 0; gi < plan->nb_groups; gi++) {
		if (ret == 0) {
			fds[pgs[gi].file] = pgs[gi].fd;
			pgs[gi].fd = -1; /* kept: the caller closes it at cleanup */
		}
		group_release(&pgs[gi]);
	}
	*nb_fds = ret == 0 ? mc->nb_files : 0;
	if (ret < 0) {
		for (unsigned int f = 0; f < mc->nb_files; f++)
			if (mc->files[f].path[0] != '\0')
				unlink(mc->files[f].path);
		mc->nb_files = 0;
		mc->nb_memsegs = 0;
	}
	return ret;
}

/* -------------------------------------------------------------- no-huge */

int
hm_memory_no_huge_map(const struct hm_eal_config *cfg, struct hm_shared_config *mc)
{
	uint64_t len = cfg->mem_parsed ? HM_ALIGN_CEIL(cfg->memory, 1ULL << HM_IOVA_GRANULE_SHIFT)
				       : HM_NO_HUGE_DEFAULT;
	uint64_t t0 = hm_time_ns(), off;
	void *p;

	if (len / (1ULL << HM_IOVA_GRANULE_SHIFT) > HM_MAX_MEMSEGS) {
		HM_LOG(ERR, MEM, "--no-huge -m %" PRIu64 ": more than %d segments of 2 MiB",
		       cfg->memory >> 20, HM_MAX_MEMSEGS);
		return -E2BIG;
	}
	p = mmap((void *)(uintptr_t)mc->h.mem_va, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		HM_LOG(ERR, MEM, "--no-huge: cannot map %" PRIu64 " MiB: %s", len >> 20,
		       strerror(err));
		return -err;
	}
	if (mlock(p, len) < 0)
		HM_LOG(WARNING, MEM,
		       "--no-huge: cannot lock %" PRIu64 " MiB (%s); it may be swapped", len >> 20,
		       strerror(errno));
	mc->nb_memsegs = 0;
	for (off = 0; off < len; off += 1ULL << HM_IOVA_GRANULE_SHIFT) {
		struct hm_memseg *ms = &mc->memsegs[mc->nb_memsegs++];

		ms->addr = (uint8_t *)p + off;
		ms->iova = (hm_iova_t)(uintptr_t)ms->addr;
		ms->len = 1ULL << HM_IOVA_GRANULE_SHIFT;
		ms->hugepage_sz = 4096;
		ms->socket_id = 0;
	}
	mc->h.pin_ns = hm_time_ns() - t0;
	mc->h.iova_mode = HM_IOVA_VA;
	hm_eal_set_iova_mode(HM_IOVA_VA);
	return 0;
}

/* ----------------------------------------------------------- stale files */

void
hm_hugefiles_remove_stale(const struct hm_eal_config *cfg, const struct hm_hugepage_info *hi)
{
	char prefix[HM_FILE_PREFIX_MAX + 8];
	size_t plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%smap_", cfg->file_prefix);
	for (unsigned int i = 0; i < hi->nb_sizes; i++) {
		DIR *d;
		struct dirent *e;

		if (hi->sizes[i].mount[0] == '\0')
			continue;
		d = opendir(hi->sizes[i].mount);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			int socket, used = 0, fd;
			unsigned long kb;

			/* Exactly <prefix>map_<socket>_<kB>k: prefix "a" must not match "amap_b"'s
			 * files. */
			if (strncmp(e->d_name, prefix, plen) != 0 ||
			    sscanf(e->d_name + plen, "%d_%luk%n", &socket, &kb, &used) != 2 ||
			    e->d_name[plen + (size_t)used] != '\0')
				continue;
			/* A live process holds LOCK_SH on its files: leave those alone. */
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
				HM_LOG(WARNING, MEM,
				       "%s/%s is in use by a live process; not removed",
				       hi->sizes[i].mount, e->d_name);
			} else if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
				HM_LOG(INFO, MEM, "removed stale hugepage file %s/%s",
				       hi->sizes[i].mount, e->d_name);
			}
			close(fd);
		}
		closedir(d);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory subsystem's init and cleanup: the primary creates the shared
 * config and pins its hugepages; a secondary maps both at the same addresses.
 *
 * Order in the primary (each step undone if a later one fails):
 *   discover hugepages -> plan -> remove stale files of this prefix ->
 *   reserve [base, base + 8 GiB + memory) -> map the config file at base ->
 *   pin and place pages -> build tables -> claim lcores -> publish magic.
 * Order in a secondary:
 *   wait for magic -> check version, layout and prefix -> reserve the same
 *   range (a taken address fails here, naming it) -> map the config -> map
 *   every memseg from its file -> claim lcores.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory_pvt.h"

#define MEM "memory"

#define SECONDARY_WAIT_MS 10000

static struct {
	void *va; /* the whole reserved range */
	uint64_t va_len;
	bool unlink_files;
	int fds[HM_MAX_HUGEFILES]; /* primary: hugepage files, held open with LOCK_SH */
	unsigned int nb_fds;
} mem;

static void
close_hugefile_fds(void)
{
	for (unsigned int i = 0; i < mem.nb_fds; i++)
		if (mem.fds[i] >= 0)
			close(mem.fds[i]);
	mem.nb_fds = 0;
}

static uint64_t
config_map_len(uint64_t mem_len)
{
	return HM_ALIGN_CEIL((uint64_t)sizeof(struct hm_shared_config) + HM_CONFIG_ARENA +
				 (mem_len / 4096) * HM_ARENA_PER_PAGE,
			     (uint64_t)HM_MB);
}

static int
reserve_range(const struct hm_eal_config *cfg, uint64_t base, uint64_t len)
{
	void *p = mmap((void *)(uintptr_t)base, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED || p != (void *)(uintptr_t)base) {
		int err = p == MAP_FAILED ? errno : EEXIST;

		if (p != MAP_FAILED)
			munmap(p, len);
		if (err == EEXIST)
			HM_LOG(ERR, MEM,
			       "cannot reserve 0x%" PRIx64 "-0x%" PRIx64 " for prefix %s: the "
			       "address is taken in this process; start the primary with another "
			       "--base-virtaddr",
			       base, base + len, cfg->file_prefix);
		else
			HM_LOG(ERR, MEM,
			       "cannot reserve 0x%" PRIx64 "-0x%" PRIx64 " for prefix %s: %s", base,
			       base + len, cfg->file_prefix, strerror(err));
		return -err;
	}
	mem.va = p;
	mem.va_len = len;
	return 0;
}

static void
release_range(void)
{
	if (mem.va != NULL)
		munmap(mem.va, mem.va_len);
	mem.va = NULL;
	mem.va_len = 0;
}

static uint64_t
plan_va_len(const struct hm_mem_plan *plan)
{
	uint64_t va = 0;

	for (unsigned int i = 0; i < plan->nb_groups; i++)
		va = HM_ALIGN_CEIL(va, plan->groups[i].page_sz) +
		     (uint64_t)plan->groups[i].nb_pages * plan->groups[i].page_sz;
	return HM_ALIGN_CEIL(va, 1ULL << HM_IOVA_GRANULE_SHIFT);
}

static void
unlink_hugefiles(struct hm_shared_config *mc)
{
	for (uint32_t f = 0; f < mc->nb_files; f++) {
		if (mc->files[f].path[0] != '\0' && unlink(mc->files[f].path) < 0 &&
		    errno != ENOENT)
			HM_LOG(WARNING, MEM, "cannot remove %s: %s", mc->files[f].path,
			       strerror(errno));
	}
}

static int
primary_init(const struct hm_eal_config *cfg)
{
	struct hm_hugepage_info hi;
	struct hm_mem_plan plan;
	struct hm_shared_config *mc;
	uint64_t mem_len, map_len;
	int fd = hm_eal_config_fd(), ret;

	if (!cfg->no_huge) {
		ret = hm_hugepage_info_get(cfg, &hi);
		if (ret < 0)
			return ret;
		ret = hm_memory_plan(cfg, &hi, &plan);
		if (ret < 0)
			return ret;
		mem_len = plan_va_len(&plan);
		/* An --in-memory primary holds no lock on the prefix: it must not touch files. */
		if (cfg->huge_unlink != HM_HUGE_UNLINK_NEVER && !cfg->in_memory)
			hm_hugefiles_remove_stale(cfg, &hi);
	} else {
		mem_len = cfg->mem_parsed
			      ? HM_ALIGN_CEIL(cfg->memory, 1ULL << HM_IOVA_GRANULE_SHIFT)
			      : HM_NO_HUGE_DEFAULT;
	}
	map_len = config_map_len(mem_len);
	if (mem_len > HM_MAX_MEM_VA || map_len > HM_CONFIG_VA_SIZE) {
		HM_LOG(ERR, MEM, "%" PRIu64 " GiB of memory is above the limit of %llu GiB",
		       mem_len >> 30, HM_MAX_MEM_VA >> 30);
		return -E2BIG;
	}
	ret = reserve_range(cfg, cfg->base_virtaddr, HM_CONFIG_VA_SIZE + mem_len);
	if (ret < 0)
		return ret;

	if (fd < 0) {
		mc = mmap(mem.va, map_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	} else if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)map_len) < 0) {
		mc = MAP_FAILED;
	} else {
		mc = mmap(mem.va, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	}
	if (mc == MAP_FAILED) {
		ret = -errno;
		HM_LOG(ERR, MEM, "cannot map the shared config (%" PRIu64 " MiB): %s",
		       map_len >> 20, strerror(-ret));
		goto fail;
	}
	mc->h.version = HM_CONFIG_VERSION;
	mc->h.header_size = sizeof(*mc);
	mc->h.base_va = cfg->base_virtaddr;
	mc->h.map_len = map_len;
	mc->h.mem_va = cfg->base_virtaddr + HM_CONFIG_VA_SIZE;
	mc->h.mem_va_len = mem_len;
	snprintf(mc->h.prefix, sizeof(mc->h.prefix), "%s", cfg->file_prefix);
	mc->h.primary_pid = (int32_t)getpid();
	mc->h.no_huge = cfg->no_huge;
	mc->arena_size = map_len - sizeof(*mc);
	if (getrandom(&mc->h.nonce, sizeof(mc->h.nonce), 0) != sizeof(mc->h.nonce))
		mc->h.nonce = hm_time_ns() ^ ((uint64_t)getpid() << 32);

	ret = cfg->no_huge ? hm_memory_no_huge_map(cfg, mc)
			   : hm_memory_pin(cfg, mc, &plan, mem.fds, &mem.nb_fds);
	if (ret < 0)
		goto fail;
	mem.unlink_files = (cfg->huge_unlink != HM_HUGE_UNLINK_NEVER);
	hm_memseg_tables_build(mc);
	snprintf(mc->h.hello, sizeof(mc->h.hello), "hugemem primary pid %d, %u memsegs",
		 mc->h.primary_pid, mc->nb_memsegs);

	hm_memory_set_config(mc);
	ret = hm_shared_config_lcores_claim(mc, cfg);
	if (ret == 0)
		ret = hm_shared_config_proc_register(mc, HM_PROC_PRIMARY);
	if (ret < 0)
		goto fail_files;

	mc->h.attachable = !cfg->in_memory && !cfg->no_huge;
	if (cfg->huge_unlink == HM_HUGE_UNLINK_ALWAYS && !cfg->no_huge) {
		unlink_hugefiles(mc);
		mc->h.attachable = 0;
	}
	atomic_store_explicit(&mc->h.magic, HM_CONFIG_MAGIC, memory_order_release);
	return 0;

fail_files:
	hm_shared_config_lcores_release(mc);
	hm_memory_set_config(NULL);
	unlink_hugefiles(mc);
fail:
	close_hugefile_fds();
	release_range();
	return ret;
}

static bool
primary_holds_lock(int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static int
wait_for_primary(int fd, struct hm_config_header *hdr)
{
	for (int waited = 0; waited < SECONDARY_WAIT_MS; waited += 10) {
		ssize_t r = pread(fd, hdr, sizeof(*hdr), 0);

		if (r == (ssize_t)sizeof(*hdr) && hdr->magic == HM_CONFIG_MAGIC)
			return 0;
		if (!primary_holds_lock(fd))
			return -ENOENT; /* it died before it finished */
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* What a secondary reads from the config before trusting it with MAP_FIXED. */
static bool
header_sane(int fd, const struct hm_config_header *h)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_size >= h->map_len &&
	       h->map_len >= sizeof(struct hm_shared_config) && h->map_len <= HM_CONFIG_VA_SIZE &&
	       (h->base_va & (HM_GB - 1)) == 0 && h->base_va != 0 && h->base_va < (1ULL << 46) &&
	       h->mem_va == h->base_va + HM_CONFIG_VA_SIZE && h->mem_va_len <= HM_MAX_MEM_VA &&
	       (h->mem_va_len & ((1ULL << HM_IOVA_GRANULE_SHIFT) - 1)) == 0;
}

static bool
tables_sane(const struct hm_shared_config *mc)
{
	uint64_t end = mc->h.mem_va + mc->h.mem_va_len;

	if (mc->nb_files > HM_MAX_HUGEFILES || mc->nb_memsegs > HM_MAX_MEMSEGS ||
	    mc->nb_runs > mc->nb_memsegs)
		return false;
	for (uint32_t i = 0; i < mc->nb_memsegs; i++) {
		const struct hm_memseg *ms = &mc->memsegs[i];
		uint64_t va = (uint64_t)(uintptr_t)ms->addr;

		if (mc->backing[i].file >= mc->nb_files || ms->len == 0 ||
		    (ms->len & ((1ULL << HM_IOVA_GRANULE_SHIFT) - 1)) != 0 || va < mc->h.mem_va ||
		    va > end || ms->len > end - va)
			return false;
	}
	return true;
}

static int
map_memsegs(struct hm_shared_config *mc)
{
	int fds[HM_MAX_HUGEFILES];
	uint32_t i = 0, j, f;
	int ret = 0;

	for (f = 0; f < mc->nb_files; f++)
		fds[f] = -1;
	for (f = 0; f < mc->nb_files && ret == 0; f++) {
		fds[f] = open(mc->files[f].path, O_RDWR | O_CLOEXEC);
		if (fds[f] < 0) {
			ret = -errno;
			HM_LOG(ERR, MEM, "cannot open hugepage file %s of the primary: %s",
			       mc->files[f].path, strerror(-ret));
		}
	}
	while (ret == 0 && i < mc->nb_memsegs) {
		const struct hm_memseg_backing *b = &mc->backing[i];
		uint64_t len = mc->memsegs[i].len;

		/* One mmap for memsegs adjacent in VA and in their file. */
		for (j = i + 1;
		     j < mc->nb_memsegs && mc->backing[j].file == b->file &&
		     mc->backing[j].offset == b->offset + len &&
		     (uint8_t *)mc->memsegs[j].addr == (uint8_t *)mc->memsegs[i].addr + len;
		     j++)
			len += mc->memsegs[j].len;
		void *got =
		    mmap(mc->memsegs[i].addr, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fds[b->file], (off_t)b->offset);
		if (got == MAP_FAILED) {
			ret = -errno;
			HM_LOG(ERR, MEM, "cannot map %s at %p: %s", mc->files[b->file].path,
			       mc->memsegs[i].addr, strerror(-ret));
			break;
		}
		if (mlock(got, len) < 0) {
			ret = -errno;
			HM_LOG(ERR, MEM, "cannot lock %" PRIu64 " MiB at %p: %s", len >> 20, got,
			       strerror(-ret));
			break;
		}
		i = j;
	}
	for (f = 0; f < mc->nb_files; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	return ret;
}

static int
secondary_init(const struct hm_eal_config *cfg)
{
	struct hm_config_header h, *hdr = &h;
	struct hm_shared_config *mc;
	int fd = hm_eal_config_fd(), ret;

	ret = wait_for_primary(fd, hdr);
	if (ret == -ENOENT) {
		HM_LOG(ERR, MEM, "prefix %s: the primary died during its init", cfg->file_prefix);
		goto out;
	}
	if (ret < 0) {
		HM_LOG(ERR, MEM, "prefix %s: the primary did not finish its init within %d s",
		       cfg->file_prefix, SECONDARY_WAIT_MS / 1000);
		goto out;
	}
	ret = -EPROTO;
	if (hdr->version != HM_CONFIG_VERSION || hdr->header_size != sizeof(*mc)) {
		HM_LOG(ERR, MEM,
		       "prefix %s: the primary's shared config is version %u (%u bytes), this "
		       "library's is version %u (%zu bytes): rebuild one of them",
		       cfg->file_prefix, hdr->version, hdr->header_size, HM_CONFIG_VERSION,
		       sizeof(*mc));
		goto out;
	}
	if (strncmp(hdr->prefix, cfg->file_prefix, sizeof(hdr->prefix)) != 0) {
		HM_LOG(ERR, MEM, "prefix %s: the config file belongs to prefix %.*s",
		       cfg->file_prefix, (int)sizeof(hdr->prefix), hdr->prefix);
		goto out;
	}
	if (!hdr->attachable) {
		HM_LOG(ERR, MEM,
		       "prefix %s: the primary runs with --huge-unlink=always; its hugepage "
		       "files are gone and no secondary can attach",
		       cfg->file_prefix);
		ret = -EPERM;
		goto out;
	}
	if (!header_sane(fd, hdr)) {
		HM_LOG(ERR, MEM,
		       "prefix %s: the shared config header is inconsistent; not attaching",
		       cfg->file_prefix);
		ret = -EPROTO;
		goto out;
	}
	ret = reserve_range(cfg, hdr->base_va, HM_CONFIG_VA_SIZE + hdr->mem_va_len);
	if (ret < 0)
		goto out;
	mc = mmap(mem.va, hdr->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (mc == MAP_FAILED) {
		ret = -errno;
		HM_LOG(ERR, MEM, "cannot map the shared config: %s", strerror(-ret));
		goto fail;
	}
	if (atomic_load(&mc->h.magic) != HM_CONFIG_MAGIC || mc->h.nonce != hdr->nonce) {
		HM_LOG(ERR, MEM, "prefix %s: the primary restarted while this process attached",
		       cfg->file_prefix);
		ret = -EAGAIN;
		goto fail;
	}
	if (!tables_sane(mc) || hm_memseg_digest(mc) != mc->h.memseg_digest) {
		HM_LOG(ERR, MEM, "prefix %s: the memseg table does not match its digest",
		       cfg->file_prefix);
		ret = -EPROTO;
		goto fail;
	}
	ret = map_memsegs(mc);
	if (ret < 0)
		goto fail;
	hm_eal_set_iova_mode((enum hm_iova_mode)mc->h.iova_mode);
	if (cfg->iova_mode != HM_IOVA_DC && cfg->iova_mode != (enum hm_iova_mode)mc->h.iova_mode)
		HM_LOG(WARNING, MEM, "--iova-mode is the primary's (%s) in a secondary",
		       mc->h.iova_mode == HM_IOVA_PA ? "pa" : "va");
	hm_memory_set_config(mc);
	ret = hm_shared_config_lcores_claim(mc, cfg);
	if (ret == 0)
		ret = hm_shared_config_proc_register(mc, HM_PROC_SECONDARY);
	if (ret < 0) {
		hm_shared_config_lcores_release(mc);
		hm_memory_set_config(NULL);
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	release_range();
out:
	return ret;
}

int
hm_memory_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	mem.unlink_files = false;
	return type == HM_PROC_PRIMARY ? primary_init(cfg) : secondary_init(cfg);
}

void
hm_memory_cleanup(enum hm_proc_type type)
{
	struct hm_shared_config *mc = hm_memory_get_config();

	if (mc != NULL) {
		hm_shared_config_lcores_release(mc);
		hm_shared_config_proc_unregister(mc, type);
		if (type == HM_PROC_PRIMARY) {
			atomic_store(&mc->h.magic, 0);
			if (mem.unlink_files)
				unlink_hugefiles(mc);
		}
	}
	close_hugefile_fds();
	hm_memory_set_config(NULL);
	release_range();
}

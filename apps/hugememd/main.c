/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugememd: the primary process. Brings up the EAL with the given options,
 * prints what it pinned, and serves until SIGINT or SIGTERM, then releases
 * everything (hugepage files, runtime directory) and exits 0.
 *
 * SIGINT/SIGTERM/SIGHUP are blocked before hm_eal_init() so that every
 * lcore thread inherits the mask and only the main thread, in sigwaitinfo(),
 * ever sees them: cleanup runs in ordinary thread context, not in a handler.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

static const char *
iova_mode_name(enum hm_iova_mode m)
{
	return m == HM_IOVA_PA ? "PA" : m == HM_IOVA_VA ? "VA" : "DC";
}

static void
print_summary(void)
{
	struct hm_memory_info info;

	if (hm_memory_info_get(&info) < 0)
		return;
	printf("hugememd: prefix %s, pid %d, %u lcores (main %u), IOVA mode %s\n",
	       hm_eal_file_prefix(), (int)getpid(), hm_lcore_count(), hm_get_main_lcore(),
	       iova_mode_name(hm_eal_iova_mode()));
	printf("hugememd: %-10s %-6s %8s\n", "page size", "socket", "pages");
	for (uint32_t k = 0; k < info.nb_page_sizes; k++)
		for (int s = 0; s < HM_MAX_NUMA_NODES; s++)
			if (info.pages[k][s] != 0)
				printf("hugememd: %7" PRIu64 " kB %-6d %8u\n",
				       info.page_sz[k] >> 10, s, info.pages[k][s]);
	printf("hugememd: total %" PRIu64 " MiB at 0x%" PRIx64 ", %u memsegs in %u contiguous "
	       "runs (largest %" PRIu64 " MiB)\n",
	       info.total_bytes >> 20, info.va_base, info.nb_memsegs, info.nb_runs,
	       info.largest_run_bytes >> 20);
	printf("hugememd: pinned in %.1f ms, IOVAs resolved and placed in %.1f ms\n",
	       info.pin_ns / 1e6, info.resolve_ns / 1e6);
	{
		char info_buf[4096];

		if (hm_buddy_info(info_buf, sizeof(info_buf)) > 0)
			printf(
			    "hugememd: buddyinfo (free blocks of order 0..%d, 4 KiB << order):\n%s",
			    HM_BUDDY_MAX_ORDER, info_buf);
	}
	{
		static char slab_buf[HM_SLAB_MAX_CACHES * 160];

		if (hm_slab_info(slab_buf, sizeof(slab_buf)) > 0)
			printf("hugememd: %s", slab_buf);
	}
	if (hm_eal_runtime_dir()[0] != '\0')
		printf("hugememd: runtime directory %s\n", hm_eal_runtime_dir());
	printf("hugememd: serving; stop with SIGTERM or Ctrl-C\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	sigset_t set;
	siginfo_t si;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ret = hm_eal_init(argc, argv);
	if (ret == -ECANCELED)
		return 0;
	if (ret < 0)
		return 1; /* hm_eal_init() logged the one line that says why */
	argc -= ret;
	argv += ret;
	if (argc > 1) {
		fprintf(stderr, "hugememd: unexpected argument '%s'\n", argv[1]);
		hm_eal_cleanup();
		return 1;
	}
	if (hm_eal_process_type() != HM_PROC_PRIMARY) {
		fprintf(stderr,
			"hugememd: a primary already runs for prefix %s; hugememd is "
			"the primary, not a secondary\n",
			hm_eal_file_prefix());
		hm_eal_cleanup();
		return 1;
	}
	print_summary();

	for (;;) {
		if (sigwaitinfo(&set, &si) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (si.si_signo == SIGINT || si.si_signo == SIGTERM)
			break;
	}
	printf("hugememd: signal received, releasing memory\n");
	hm_eal_cleanup();
	return 0;
}

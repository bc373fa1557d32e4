/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hm_eal_init() and hm_eal_cleanup(): the order in which a process comes up
 * and goes down.
 *
 *   parse options -> check combinations -> log levels -> runtime dir + lock
 *   (decides primary/secondary) -> subsystems in order (memory, ...) ->
 *   worker lcore threads
 *
 * Each step undoes itself on failure and the steps before it are undone in
 * reverse, so a failed init leaves no file, mapping or thread behind.
 * Cleanup runs the same list backwards.
 *
 * The per-process context is the one struct below; everything shared with
 * other processes lives in the shared configuration of the memory subsystem.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eal_pvt.h"

#define EAL "eal"

static struct {
	bool initialized;
	pid_t pid; /* the process that ran hm_eal_init() */
	struct hm_eal_config cfg;
	enum hm_proc_type proc_type;
	enum hm_iova_mode iova_mode;
	unsigned int nb_subsys_up;
	char **argv; /* the arguments hm_eal_init() took, for /eal/params */
	int argc;
} eal;

static void
args_free(void)
{
	for (int i = 0; i < eal.argc; i++)
		free(eal.argv[i]);
	free(eal.argv);
	eal.argv = NULL;
	eal.argc = 0;
}

/* Keep the first `n` arguments. Without memory they are simply not kept. */
static void
args_keep(int n, char **argv)
{
	args_free();
	if (argv == NULL || n <= 0)
		return;
	eal.argv = calloc((size_t)n + 1, sizeof(char *));
	if (eal.argv == NULL)
		return;
	for (; eal.argc < n; eal.argc++) {
		eal.argv[eal.argc] = strdup(argv[eal.argc] != NULL ? argv[eal.argc] : "");
		if (eal.argv[eal.argc] == NULL)
			break;
	}
}

/* Keep the first n arguments only, without a final "--". */
static void
args_trim(int n)
{
	while (eal.argc > n || (eal.argc > 1 && strcmp(eal.argv[eal.argc - 1], "--") == 0))
		free(eal.argv[--eal.argc]);
	if (eal.argv != NULL)
		eal.argv[eal.argc] = NULL;
}

int
hm_eal_args(const char *const **argv)
{
	*argv = (const char *const *)eal.argv;
	return eal.argc;
}

const char *
hm_version(void)
{
	return HM_VERSION_STRING;
}

uint64_t
hm_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *
hm_size_str(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= HM_GB && bytes % HM_GB == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes / HM_GB));
	else if (bytes >= HM_MB && bytes % HM_MB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes / HM_MB));
	else if (bytes >= HM_KB && bytes % HM_KB == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes / HM_KB));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	return buf;
}

const struct hm_eal_config *
hm_eal_get_config(void)
{
	return &eal.cfg;
}

void
hm_eal_set_iova_mode(enum hm_iova_mode mode)
{
	eal.iova_mode = mode;
}

static void
subsystems_down(unsigned int n)
{
	while (n-- > 0)
		hm_subsystems[n].cleanup(eal.proc_type);
}

int
hm_eal_init(int argc, char **argv)
{
	unsigned int i;
	int consumed, ret;

	if (eal.initialized) {
		HM_LOG(ERR, EAL, "already initialised in this process");
		return -EALREADY;
	}
	hm_numa_warm();
	args_keep(argc, argv); /* before the parser moves argv[0] */
	consumed = hm_eal_parse_args(argc, argv, &eal.cfg);
	if (consumed < 0) {
		args_free();
		return consumed;
	}
	/* Before any thread (the telemetry server) can read them. */
	args_trim(consumed + 1);
	ret = hm_eal_check_options(&eal.cfg);
	if (ret == 0)
		ret = hm_log_apply(&eal.cfg);
	if (ret == 0)
		ret = hm_runtime_open(&eal.cfg, &eal.proc_type);
	if (ret < 0) {
		args_free();
		return ret;
	}
	if (eal.proc_type == HM_PROC_SECONDARY && eal.cfg.huge_unlink_given) {
		HM_LOG(WARNING, EAL, "--huge-unlink is ignored in a secondary process");
	}
	eal.iova_mode = eal.cfg.iova_mode;

	for (i = 0; i < hm_nb_subsystems; i++) {
		ret = hm_subsystems[i].init(&eal.cfg, eal.proc_type);
		if (ret < 0) {
			subsystems_down(i);
			hm_runtime_close(eal.proc_type == HM_PROC_PRIMARY);
			args_free();
			return ret;
		}
	}
	eal.nb_subsys_up = i;

	ret = hm_lcore_threads_start(&eal.cfg);
	if (ret < 0) {
		subsystems_down(eal.nb_subsys_up);
		hm_runtime_close(eal.proc_type == HM_PROC_PRIMARY);
		args_free();
		return ret;
	}
	eal.initialized = true;
	eal.pid = getpid();
	HM_LOG(INFO, EAL, "%s process of prefix %s is up: %u lcores, main lcore %u",
	       eal.proc_type == HM_PROC_PRIMARY ? "primary" : "secondary", eal.cfg.file_prefix,
	       eal.cfg.lcore_count, eal.cfg.main_lcore);
	return consumed;
}

int
hm_eal_cleanup(void)
{
	if (!eal.initialized)
		return -EALREADY;
	if (getpid() != eal.pid) {
		/* A fork()'s child would detach its parent, or tear down its primary's files. */
		HM_LOG(ERR, EAL,
		       "pid %d is a fork() of process %d, which attached: only that process may "
		       "clean up",
		       (int)getpid(), (int)eal.pid);
		return -ECHILD;
	}
	hm_lcore_threads_stop();
	subsystems_down(eal.nb_subsys_up);
	eal.nb_subsys_up = 0;
	hm_runtime_close(eal.proc_type == HM_PROC_PRIMARY);
	args_free();
	eal.initialized = false;
	return 0;
}

bool
hm_eal_initialized(void)
{
	return eal.initialized;
}

enum hm_proc_type
hm_eal_process_type(void)
{
	return eal.proc_type;
}

enum hm_iova_mode
hm_eal_iova_mode(void)
{
	return eal.iova_mode;
}

bool
hm_eal_has_hugepages(void)
{
	return !eal.cfg.no_huge;
}

bool
hm_eal_telemetry_enabled(void)
{
	return eal.cfg.telemetry;
}

unsigned int
hm_eal_memory_channels(void)
{
	return eal.cfg.nchannel;
}

const char *
hm_eal_file_prefix(void)
{
	return eal.cfg.file_prefix;
}

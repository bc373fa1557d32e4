/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_TEST_H
#define HM_TEST_H

/*
 * Test support: hugepages that a test reserves and releases itself, a
 * private hugetlbfs mount per page size, EAL argument vectors, child
 * processes, and stderr captured to a file.
 *
 * hm_test_hugepages_get() raises nr_hugepages when fewer pages are free
 * than the test needs and mounts a private hugetlbfs in a temporary
 * directory; hm_test_hugepages_put() unmounts it and puts nr_hugepages back.
 * When the pages cannot be had it returns NULL and prints a loud SKIPPED
 * line: the test then returns without asserting anything else.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hm_test_huge {
	uint64_t page_kb;
	unsigned int pages;
	long nr_before; /* nr_hugepages before the test raised it, -1 if untouched */
	char mount[64];
};

struct hm_test_huge *hm_test_hugepages_get(uint64_t page_kb, unsigned int pages, const char *test);
void hm_test_hugepages_put(struct hm_test_huge *h);

/* A unique --file-prefix for this test process. */
const char *hm_test_prefix(const char *tag);

/* An EAL argument vector by value, so a test can build it before it knows it has pages. */
struct hm_test_args {
	const char *v[16];
};

/* A primary on `lcore` with `mb` MiB from h's mount (h may be NULL); `extra` (or NULL) last. */
struct hm_test_args hm_test_huge_primary(const struct hm_test_huge *h, const char *lcore,
					 const char *mb, const char *prefix, const char *log_level,
					 const char *extra);

/* A process of proc_type (secondary, auto) attaching to prefix on `lcore`. */
struct hm_test_args hm_test_secondary_args(const char *lcore, const char *proc_type,
					   const char *prefix, const char *log_level);

/* Run argv (NULL-terminated) through hm_eal_init; argv[0] is added. */
int hm_test_eal_init(const char *const *args);

/* Count entries of dir whose name starts with prefix (-1 if dir is missing). */
int hm_test_count_files(const char *dir, const char *prefix);

/*
 * The CPUs the test process may run on, as they were when it started (an
 * EAL up in the process pins its main thread to one): a runner confined to
 * fewer CPUs than the machine has (a cgroup cpuset) refuses lcores on the
 * others. hm_test_nb_cpus() counts them, hm_test_cpu(i) is the i-th (-1
 * past the last).
 */
unsigned int hm_test_nb_cpus(void);
int hm_test_cpu(unsigned int i);
/* The set itself, a cpu_set_t (void, so that this header needs no _GNU_SOURCE). */
const void *hm_test_cpu_set(void);

/*
 * For an "-l" list of lcores (EAL or DPDK): returns "-l" when those CPUs
 * are all usable, else "--lcores" and points *value at "(<list>)@(<usable
 * CPUs>)". hm_test_eal_init() applies it to every "-l" it is given, and
 * hm_test_huge_primary() and hm_test_secondary_args() to theirs (for
 * processes of their own).
 */
const char *hm_test_lcore_option(const char **value);

/* "<lcores>@(<ranges of those CPUs>)" in buf, e.g. "(0-3)@(0-1)"; returns buf. */
const char *hm_test_lcores_on_cpus(char *buf, size_t len, const char *lcores);

/* fork+exec path with args; returns the pid. */
pid_t hm_test_spawn(const char *path, const char *const *args);

/* hm_test_spawn() with stdin from /dev/null and stdout, stderr to the files out, err. */
pid_t hm_test_spawn_io(const char *path, const char *const *args, const char *out, const char *err);

/* A file's first len - 1 bytes into buf, NUL-terminated ("" if unreadable). */
void hm_test_read_file(const char *path, char *buf, size_t len);

/* Wait for pid up to timeout_ms; returns the exit status (or 128+signal), -1 on timeout. */
int hm_test_wait(pid_t pid, int timeout_ms);

/*
 * fd 2 redirected to a temporary file, for tests that read log lines (the
 * log writes with write(2) on STDERR_FILENO) or a child's stderr.
 */
struct hm_test_capture {
	char path[64];
	int fd;		  /* the temporary file */
	int saved_stderr; /* fd 2 as it was before the capture, -1 once given back */
};

/* From here on, what this process (and a child it spawns) writes to fd 2 goes to the file. */
void hm_test_capture_start(struct hm_test_capture *c);

/* Give fd 2 back; the file stays open for hm_test_capture_read(). */
void hm_test_capture_stop(struct hm_test_capture *c);

/* What was written to the file (by us or by a child), NUL-terminated in buf; then remove it. */
void hm_test_capture_read(struct hm_test_capture *c, char *buf, size_t len);

/* hm_test_capture_start(), with every log line written from here on. */
void hm_test_log_capture_start(struct hm_test_capture *c);

/* Quieten the log, give fd 2 back, and read what was written into buf. */
void hm_test_log_capture_stop(struct hm_test_capture *c, char *buf, size_t len);

/* Whether some line of text holds both a and b (b may be NULL). */
bool hm_test_has_line(const char *text, const char *a, const char *b);

/* The value of environment variable name, which meson test sets; fails the test without it. */
const char *hm_test_env_path(const char *name);

struct Suite;

/*
 * Run a Check suite, each test in a process of its own (hm_eal_init is once
 * per process), print the summary line, and return the exit status.
 */
int hm_test_run_suite(struct Suite *suite);

/* PFN of va from an independent 8-byte read of /proc/self/pagemap (0 if unknown). */
uint64_t hm_test_pfn(const void *va);

#endif /* HM_TEST_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include "hm_test.h"

static long
read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int
write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -errno;
	ok = fprintf(f, "%ld\n", v) > 0;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

struct hm_test_huge *
hm_test_hugepages_get(uint64_t page_kb, unsigned int pages, const char *test)
{
	char base[128], path[192];
	struct hm_test_huge *h = calloc(1, sizeof(*h));
	long free_pages, resv, nr;

	if (h == NULL)
		return NULL;
	h->page_kb = page_kb;
	h->pages = pages;
	h->nr_before = -1;
	snprintf(base, sizeof(base), "/sys/kernel/mm/hugepages/hugepages-%lukB",
		 (unsigned long)page_kb);
	snprintf(path, sizeof(path), "%s/free_hugepages", base);
	free_pages = read_long(path);
	snprintf(path, sizeof(path), "%s/resv_hugepages", base);
	resv = read_long(path);
	snprintf(path, sizeof(path), "%s/nr_hugepages", base);
	nr = read_long(path);
	if (free_pages < 0 || nr < 0) {
		printf("SKIPPED %s: the kernel has no %lu kB hugepages\n", test,
		       (unsigned long)page_kb);
		free(h);
		return NULL;
	}
	if (resv > 0)
		free_pages -= resv;
	if (free_pages < (long)pages) {
		long want = nr + (long)pages - free_pages;

		if (write_long(path, want) == 0)
			h->nr_before = nr;
		free_pages = read_long(path) - nr + free_pages;
		if (free_pages < (long)pages) {
			printf("SKIPPED %s: needs %u free %lu kB hugepages, only %ld could be "
			       "reserved (echo %ld > %s)\n",
			       test, pages, (unsigned long)page_kb, free_pages < 0 ? 0 : free_pages,
			       want, path);
			hm_test_hugepages_put(h);
			return NULL;
		}
	}
	/*
	 * A mount namespace of this test's own: the mount is private to the test
	 * process and the children it spawns, and disappears with them even when
	 * an assertion ends the test before hm_test_hugepages_put().
	 */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(h->mount, sizeof(h->mount), "/tmp/hm-test-huge-XXXXXX");
	if (mkdtemp(h->mount) == NULL) {
		printf("SKIPPED %s: mkdtemp: %s\n", test, strerror(errno));
		h->mount[0] = '\0';
		hm_test_hugepages_put(h);
		return NULL;
	}
	snprintf(path, sizeof(path), "pagesize=%luK", (unsigned long)page_kb);
	if (mount("nodev", h->mount, "hugetlbfs", 0, path) < 0) {
		printf("SKIPPED %s: cannot mount hugetlbfs (%s) at %s: %s\n", test, path, h->mount,
		       strerror(errno));
		rmdir(h->mount);
		h->mount[0] = '\0';
		hm_test_hugepages_put(h);
		return NULL;
	}
	return h;
}

void
hm_test_hugepages_put(struct hm_test_huge *h)
{
	char path[192];

	if (h == NULL)
		return;
	if (h->mount[0] != '\0') {
		umount2(h->mount, MNT_DETACH);
		rmdir(h->mount);
	}
	if (h->nr_before >= 0) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages",
			 (unsigned long)h->page_kb);
		write_long(path, h->nr_before);
	}
	free(h);
}

const char *
hm_test_prefix(const char *tag)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "t%s%d", tag, (int)getpid());
	return buf;
}

int
hm_test_eal_init(const char *const *args)
{
	char *argv[64];
	bool mode = false;
	int n = 0, ret;

	for (unsigned int i = 0; args[i] != NULL; i++)
		mode |= strncmp(args[i], "--service-mode", 14) == 0;
	argv[n++] = "hm_test";
	/* Tests share two CPUs: a primary's service loop sleeps when idle unless a
	 * test asks for busy polling. */
	if (!mode)
		argv[n++] = "--service-mode=idle";
	for (unsigned int i = 0; args[i] != NULL && n < 63; i++) {
		/* An "-l" list moves onto the CPUs this process may use if it may
		 * not use those it names (hm_test_lcore_option()). */
		if (strcmp(args[i], "-l") == 0 && args[i + 1] != NULL && n < 62) {
			const char *list = args[i + 1];

			argv[n++] = (char *)hm_test_lcore_option(&list);
			argv[n++] = (char *)list;
			i++;
			continue;
		}
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	ret = hm_eal_init(n, argv);
	/* The count of arguments parsed is of the caller's. */
	return ret > 0 && !mode ? ret - 1 : ret;
}

int
hm_test_count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, ".") &&
		    strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

pid_t
hm_test_spawn(const char *path, const char *const *args)
{
	return hm_test_spawn_io(path, args, NULL, NULL);
}

void
hm_test_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

pid_t
hm_test_spawn_io(const char *path, const char *const *args, const char *out, const char *err)
{
	char *argv[64];
	pid_t pid;
	int n = 0;

	argv[n++] = (char *)path;
	while (args[n - 1] != NULL && n < 63) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (out != NULL) {
			int i = open("/dev/null", O_RDONLY);
			int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			/* One file for both: one open file description, one offset. */
			int e = strcmp(out, err) == 0
				    ? dup(o)
				    : open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (i < 0 || o < 0 || e < 0)
				_exit(126);
			dup2(i, STDIN_FILENO);
			dup2(o, STDOUT_FILENO);
			dup2(e, STDERR_FILENO);
		}
		/* Undo the main-lcore pinning of an EAL up in this process: the child picks its
		 * own. */
		cpu_set_t all;
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		CPU_ZERO(&all);
		for (long c = 0; c < n && c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		sched_setaffinity(0, sizeof(all), &all);
		/* A test that fails ends its process: take the children down cleanly with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

/* The CPUs of the process before anything in it pinned a thread. */
static cpu_set_t start_cpus;
static unsigned int start_nb_cpus;

static void __attribute__((constructor)) record_start_cpus(void)
{
	if (sched_getaffinity(0, sizeof(start_cpus), &start_cpus) < 0) {
		CPU_ZERO(&start_cpus);
		CPU_SET(0, &start_cpus);
	}
	start_nb_cpus = (unsigned int)CPU_COUNT(&start_cpus);
}

unsigned int
hm_test_nb_cpus(void)
{
	return start_nb_cpus;
}

const void *
hm_test_cpu_set(void)
{
	return &start_cpus;
}

int
hm_test_cpu(unsigned int i)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &start_cpus) && i-- == 0)
			return c;
	return -1;
}

const char *
hm_test_lcores_on_cpus(char *buf, size_t len, const char *lcores)
{
	int off = snprintf(buf, len, "%s@(", lcores);
	const char *sep = "";

	/* Ranges, "0-63,96-127", so that a host of many CPUs fits. */
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int last = c;

		if (!CPU_ISSET(c, &start_cpus))
			continue;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &start_cpus))
			last++;
		off += last > c ? snprintf(buf + off, len - (size_t)off, "%s%d-%d", sep, c, last)
				: snprintf(buf + off, len - (size_t)off, "%s%d", sep, c);
		ck_assert_msg((size_t)off < len, "lcores %s: too many CPU ranges", lcores);
		sep = ",";
		c = last;
	}
	off += snprintf(buf + off, len - (size_t)off, ")");
	ck_assert_msg((size_t)off < len, "lcores %s: too many CPU ranges", lcores);
	return buf;
}

int
hm_test_wait(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

void
hm_test_capture_start(struct hm_test_capture *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/hm-test-capture-XXXXXX");
	c->fd = mkstemp(c->path);
	ck_assert_msg(c->fd >= 0, "mkstemp: %s", strerror(errno));
	c->saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved_stderr, 0);
	ck_assert_int_ge(dup2(c->fd, STDERR_FILENO), 0);
}

void
hm_test_capture_stop(struct hm_test_capture *c)
{
	dup2(c->saved_stderr, STDERR_FILENO);
	close(c->saved_stderr);
	c->saved_stderr = -1;
}

void
hm_test_capture_read(struct hm_test_capture *c, char *buf, size_t len)
{
	ssize_t n = pread(c->fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(c->fd);
	unlink(c->path);
}

uint64_t
hm_test_pfn(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / 4096 * 8)) != 8)
		e = 0;
	close(fd);
	return (e & (1ULL << 63)) ? (e & ((1ULL << 55) - 1)) : 0;
}

int
hm_test_run_suite(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * The lcore option for an "-l" list: "-l" itself when this process may use
 * every CPU it names, else "--lcores" with the same lcores floating over the
 * CPUs it may use (a runner confined to fewer CPUs refuses the others).
 * *value is the list, or a rewritten one in a buffer of a small static ring.
 */
const char *
hm_test_lcore_option(const char **value)
{
	static char bufs[8][256];
	static unsigned int next;
	const char *p = *value;
	bool all_allowed = true;
	char lcores[64], *buf;

	while (*p != '\0') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return "-l"; /* not a plain list: leave it to the EAL to judge */
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b; c++)
			if (c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, &start_cpus))
				all_allowed = false;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return "-l";
	}
	if (all_allowed)
		return "-l";
	snprintf(lcores, sizeof(lcores), "(%s)", *value);
	buf = bufs[next++ % 8];
	hm_test_lcores_on_cpus(buf, sizeof(bufs[0]), lcores);
	*value = buf;
	return "--lcores";
}

struct hm_test_args
hm_test_huge_primary(const struct hm_test_huge *h, const char *lcore, const char *mb,
		     const char *prefix, const char *log_level, const char *extra)
{
	const char *opt = hm_test_lcore_option(&lcore);
	struct hm_test_args a = {{opt, lcore, "--huge-dir", h != NULL ? h->mount : "", "-m", mb,
				  "--file-prefix", prefix, "--log-level", log_level, extra, NULL}};
	return a;
}

struct hm_test_args
hm_test_secondary_args(const char *lcore, const char *proc_type, const char *prefix,
		       const char *log_level)
{
	const char *opt = hm_test_lcore_option(&lcore);
	struct hm_test_args a = {{opt, lcore, "--proc-type", proc_type, "--file-prefix", prefix,
				  "--log-level", log_level, NULL}};
	return a;
}

void
hm_test_log_capture_start(struct hm_test_capture *c)
{
	hm_test_capture_start(c);
	ck_assert_int_eq(hm_log_set_level(HM_LOG_DEBUG), 0);
}

void
hm_test_log_capture_stop(struct hm_test_capture *c, char *buf, size_t len)
{
	hm_log_set_level(HM_LOG_EMERG);
	hm_test_capture_stop(c);
	hm_test_capture_read(c, buf, len);
}

bool
hm_test_has_line(const char *text, const char *a, const char *b)
{
	while (*text != '\0') {
		const char *end = strchr(text, '\n');
		size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, text);
		if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL))
			return true;
		text += len + (end != NULL);
	}
	return false;
}

const char *
hm_test_env_path(const char *name)
{
	const char *p = getenv(name);

	ck_assert_msg(p != NULL, "%s is not set: run through meson test", name);
	return p;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK mempool ops plugin (src/drivers/dpdk) under DPDK's own programs:
 * a hugememd on hugepages per test, and against it Debian's dpdk-testpmd
 * forwarding between two net_ring ports with --mbuf-pool-ops-name hugemem,
 * DPDK's mempool_autotest and mbuf_autotest from dpdk-test, and
 * dpdk_ops_helper (this folder), which drives the rte_mempool API and bad
 * input through the ops. What the primary holds is read back with
 * `hugememctl --json`, as a user would.
 *
 * DPDK itself runs with --no-huge (or on its own hugepages for the PA-mode
 * test), --no-pci and a file prefix of its own: no NIC is touched.
 *
 * In sanitizer builds the plugin is instrumented while Debian's testpmd and
 * dpdk-test are not: the sanitizer's runtime is preloaded into them
 * (HM_TEST_SANITIZER_PRELOAD), and LeakSanitizer is off in DPDK's processes,
 * whose EAL does not free everything at exit; under ThreadSanitizer the DPDK
 * processes suppress reports with a DPDK frame (tsan_dpdk.supp says why).
 * Where the runtime cannot be preloaded the test says SKIPPED and why.
 */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/hm_test.h"
#include "hm_runtime_path.h"

#define HUGEMEMD_PAGES 64 /* 2 MiB pages: 128 MiB for hugememd */
#define DPDK_PAGES     32 /* and 64 MiB for DPDK in the PA-mode test */
#define RUN_MS	       120000

struct daemon {
	struct hm_test_huge *huge;
	char prefix[48];
	char log[64];
	pid_t pid;
};

/* ----------------------------------------------------------- processes */

/* The last part of a program's output, short enough for a Check message. */
static const char *
tail(const char *out)
{
	size_t n = strlen(out);

	return n > 3000 ? out + n - 3000 : out;
}

static void
tmpfile_name(char *buf, size_t len, const char *tag)
{
	int fd;

	snprintf(buf, len, "/tmp/hm-dpdk-%s-XXXXXX", tag);
	fd = mkstemp(buf);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The environment of a DPDK process: the prefix of our hugememd, and a sanitizer runtime. */
static void
dpdk_env(const struct daemon *d, bool preload)
{
	const char *rt = getenv("HM_TEST_SANITIZER_PRELOAD");

	const char *san = getenv("HM_TEST_SANITIZE");

	setenv("HUGEMEM_PREFIX", d->prefix, 1);
	setenv("HUGEMEM_LOG_LEVEL", "notice", 1);
	if (san != NULL && strstr(san, "thread") != NULL) {
		static char opts[1024];
		const char *prev = getenv("TSAN_OPTIONS");

		snprintf(opts, sizeof(opts), "%s%ssuppressions=%s", prev != NULL ? prev : "",
			 prev != NULL ? ":" : "", hm_test_env_path("HM_TEST_TSAN_DPDK_SUPP"));
		setenv("TSAN_OPTIONS", opts, 1);
		printf("NOTE: ThreadSanitizer in DPDK's processes suppresses the reports with a "
		       "DPDK frame (%s): uninstrumented DPDK orders its threads where TSan cannot "
		       "see it\n",
		       hm_test_env_path("HM_TEST_TSAN_DPDK_SUPP"));
	}
	if (rt != NULL && rt[0] != '\0') {
		setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", 1);
		if (preload)
			setenv("LD_PRELOAD", rt, 1);
	}
}

static void
dpdk_env_done(void)
{
	unsetenv("LD_PRELOAD");
}

/* Remove what DPDK leaves in its runtime directory (/var/run/dpdk/<prefix> as root). */
static void
dpdk_runtime_cleanup(const char *dpdk_prefix)
{
	char dir[256], path[512];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct dirent *e;
	DIR *dp;

	if (geteuid() == 0)
		snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", dpdk_prefix);
	else
		snprintf(dir, sizeof(dir), "%s/dpdk/%s", xdg != NULL ? xdg : "/tmp", dpdk_prefix);
	dp = opendir(dir);
	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

/*
 * The EAL arguments every DPDK process of the suite starts with: the plugin, hugemem as
 * the best ops, no PCI device, a file prefix of its own. @return how many were written.
 */
static int
dpdk_eal_args(const char **args, const char *dpdk_prefix, const char *lcores)
{
	int n = 0;

	args[n++] = "-d";
	args[n++] = hm_test_env_path("HM_TEST_DPDK_PLUGIN");
	args[n++] = "--mbuf-pool-ops-name";
	args[n++] = "hugemem";
	args[n++] = "--no-pci";
	args[n++] = "--file-prefix";
	args[n++] = dpdk_prefix;
	args[n++] = hm_test_lcore_option(&lcores);
	args[n++] = lcores;
	args[n++] = "--log-level";
	args[n++] = "lib.eal:error";
	return n;
}

/*
 * Whether Debian's DPDK programs can load the plugin in this build: they can
 * unless it is instrumented and the sanitizer's runtime cannot be preloaded.
 */
static bool
dpdk_programs_usable(const char *test)
{
	const char *san = getenv("HM_TEST_SANITIZE");
	const char *rt = getenv("HM_TEST_SANITIZER_PRELOAD");

	if (san != NULL && san[0] != '\0' && strcmp(san, "none") != 0 &&
	    (rt == NULL || rt[0] == '\0')) {
		printf("SKIPPED %s: this is a -Db_sanitize=%s build, and the sanitizer runtime "
		       "cannot be preloaded into Debian's uninstrumented dpdk-testpmd/dpdk-test, "
		       "which would refuse the instrumented plugin\n",
		       test, san);
		return false;
	}
	return true;
}

/* Run a program to its end; its exit status, its output (stdout and stderr) in out. */
static int
run(const char *path, const char *const *args, char *out, size_t len, int timeout_ms)
{
	char file[64];
	pid_t pid;
	int st;

	tmpfile_name(file, sizeof(file), "out");
	pid = hm_test_spawn_io(path, args, file, file);
	st = hm_test_wait(pid, timeout_ms);
	if (st < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	hm_test_read_file(file, out, len);
	unlink(file);
	ck_assert_msg(st >= 0, "%s did not end within %d ms; its output ends:\n%s", path,
		      timeout_ms, tail(out));
	return st;
}

/* `hugememctl --json -f PREFIX cmd`, parsed. */
static json_t *
ctl_json(const struct daemon *d, const char *cmd)
{
	static char out[1 << 18];
	const char *args[] = {"--json", "-f", d->prefix, cmd, NULL};
	json_error_t err;
	json_t *j;
	int st = run(hm_test_env_path("HM_TEST_HUGEMEMCTL"), args, out, sizeof(out), 30000);

	ck_assert_msg(st == 0, "hugememctl %s: exit %d: %s", cmd, st, tail(out));
	j = json_loads(out, 0, &err);
	ck_assert_msg(j != NULL, "hugememctl %s: not JSON (%s): %s", cmd, err.text, tail(out));
	return j;
}

/* The pool of that name in `hugememctl --json mempools`, or NULL (a new reference). */
static json_t *
ctl_pool(const struct daemon *d, const char *name)
{
	json_t *pools = ctl_json(d, "mempools"), *p, *found = NULL;
	size_t i;

	ck_assert_msg(json_is_array(pools), "mempools is no list");
	json_array_foreach(pools, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0) {
			found = json_incref(p);
			break;
		}
	}
	json_decref(pools);
	return found;
}

static long
json_long(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer %s", key);
	return (long)json_integer_value(v);
}

/* One telemetry command to hugememd, for what hugememctl has no command for: its data. */
static json_t *
telemetry(const struct daemon *d, const char *cmd)
{
	static char buf[65536];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[64];
	json_t *reply, *data;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hm_runtime_dir_path(d->prefix, dir, sizeof(dir)), 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.64s/dpdk_telemetry.v2", dir);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "connect %s: %s",
		      sun.sun_path, strerror(errno));
	for (int i = 0; i < 2; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (i == 1)
			ck_assert_int_eq(send(fd, cmd, strlen(cmd), 0), (ssize_t)strlen(cmd));
		ck_assert_msg(poll(&p, 1, 30000) == 1, "%s: no reply", cmd);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
	}
	close(fd);
	reply = json_loads(buf, 0, NULL);
	ck_assert_msg(reply != NULL, "%s: not JSON: %s", cmd, buf);
	data = json_incref(json_object_get(reply, cmd));
	json_decref(reply);
	ck_assert_msg(data != NULL, "%s: no data: %s", cmd, buf);
	return data;
}

/* Whether pid has a slot in the primary's process table. */
static bool
ctl_proc_listed(const struct daemon *d, pid_t pid)
{
	json_t *procs = ctl_json(d, "procs"), *p;
	bool found = false;
	size_t i;

	ck_assert_msg(json_is_array(procs), "procs is no list");
	json_array_foreach(procs, i, p) found |= json_long(p, "pid") == (long)pid;
	json_decref(procs);
	return found;
}

/* A hugememd on its own 2 MiB pages; false (SKIPPED printed) when the pages cannot be had. */
static bool
daemon_start(struct daemon *d, const char *test, const char *tag, const char *iova_mode)
{
	char out[4096];
	const char *ctl_args[4];

	memset(d, 0, sizeof(*d));
	d->huge = hm_test_hugepages_get(2048, HUGEMEMD_PAGES + DPDK_PAGES, test);
	if (d->huge == NULL)
		return false;
	snprintf(d->prefix, sizeof(d->prefix), "%s", hm_test_prefix(tag));
	tmpfile_name(d->log, sizeof(d->log), "hugememd");
	{
		const char *lcores = "0";
		const char *lcore_opt = hm_test_lcore_option(&lcores);
		const char *args[] = {lcore_opt,
				      lcores,
				      "--huge-dir",
				      d->huge->mount,
				      "-m",
				      "128",
				      "--file-prefix",
				      d->prefix,
				      "--log-level",
				      "error",
				      "--service-mode",
				      "idle",
				      iova_mode != NULL ? "--iova-mode" : NULL,
				      iova_mode,
				      NULL};

		d->pid =
		    hm_test_spawn_io(hm_test_env_path("HM_TEST_HUGEMEMD"), args, d->log, d->log);
	}
	ctl_args[0] = "-f";
	ctl_args[1] = d->prefix;
	ctl_args[2] = "status";
	ctl_args[3] = NULL;
	for (int i = 0; i < 200; i++) {
		if (run(hm_test_env_path("HM_TEST_HUGEMEMCTL"), ctl_args, out, sizeof(out),
			30000) == 0)
			return true;
		ck_assert_msg(waitpid(d->pid, NULL, WNOHANG) == 0, "hugememd exited");
		usleep(50000);
	}
	ck_abort_msg("hugememd of prefix %s never answered", d->prefix);
	return false;
}

/* Stop hugememd with SIGTERM: it must exit 0, having freed everything. */
static void
daemon_stop(struct daemon *d)
{
	char log[16384];
	int st;

	kill(d->pid, SIGTERM);
	st = hm_test_wait(d->pid, 30000);
	hm_test_read_file(d->log, log, sizeof(log));
	unlink(d->log);
	hm_test_hugepages_put(d->huge);
	ck_assert_msg(st == 0, "hugememd exited %d after SIGTERM; its log:\n%s", st, log);
}

/* ---------------------------------------------------------------- testpmd */

struct testpmd {
	pid_t pid;
	char dpdk_prefix[64];
	char out[64];
	char pool[48]; /* its hugemem pool */
};

static void
testpmd_start(struct testpmd *t, const struct daemon *d)
{
	static const char *const rest[] = {"--no-huge",
					   "-m",
					   "256",
					   "--vdev",
					   "net_ring0",
					   "--vdev",
					   "net_ring1",
					   "--",
					   "--forward-mode=io",
					   "--tx-first",
					   "--stats-period",
					   "1",
					   "--total-num-mbufs",
					   "4096",
					   NULL};
	const char *args[40];
	int n;

	snprintf(t->dpdk_prefix, sizeof(t->dpdk_prefix), "%s-dpdk", d->prefix);
	n = dpdk_eal_args(args, t->dpdk_prefix, "0-1");
	for (int i = 0; rest[i] != NULL; i++)
		args[n++] = rest[i];
	args[n] = NULL;
	tmpfile_name(t->out, sizeof(t->out), "testpmd");
	dpdk_env(d, true);
	t->pid = hm_test_spawn_io(hm_test_env_path("HM_TEST_TESTPMD"), args, t->out, t->out);
	dpdk_env_done();
	snprintf(t->pool, sizeof(t->pool), "dpdk.%d.mb_pool_0", (int)t->pid);
}

/* Wait until testpmd's hugemem pool has objects out; @return the pool's JSON. */
static json_t *
testpmd_pool_busy(const struct testpmd *t, const struct daemon *d)
{
	char out[1 << 16];

	for (int i = 0; i < 300; i++) {
		json_t *p = ctl_pool(d, t->pool);

		if (p != NULL && json_long(p, "in_use_count") > 0)
			return p;
		json_decref(p);
		if (waitpid(t->pid, NULL, WNOHANG) != 0)
			break;
		usleep(100000);
	}
	hm_test_read_file(t->out, out, sizeof(out));
	ck_abort_msg("hugemem pool %s never had objects out; testpmd's output ends:\n%s", t->pool,
		     tail(out));
	return NULL;
}

/* The number after the last `key` in text, -1 if none. */
static long long
last_number_after(const char *text, const char *key)
{
	long long v = -1;

	for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key))
		v = strtoll(p + strlen(key), NULL, 10);
	return v;
}

/* Wait until testpmd's stats show packets forwarded. */
static void
testpmd_wait_forwarding(const struct testpmd *t)
{
	static char out[1 << 20];

	for (int i = 0; i < 200; i++) {
		hm_test_read_file(t->out, out, sizeof(out));
		if (last_number_after(out, "Rx-pps:") > 0)
			return;
		usleep(100000);
	}
	ck_abort_msg("testpmd never forwarded a packet; its output ends:\n%s", tail(out));
}

/* SIGINT, as a user stops it: testpmd stops its ports and frees its pools. @return its output. */
static const char *
testpmd_stop(struct testpmd *t)
{
	static char out[1 << 20];
	int st;

	kill(t->pid, SIGINT);
	st = hm_test_wait(t->pid, 60000);
	if (st < 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	hm_test_read_file(t->out, out, sizeof(out));
	unlink(t->out);
	dpdk_runtime_cleanup(t->dpdk_prefix);
	/* testpmd re-raises the SIGINT after its cleanup: 128 + 2. */
	ck_assert_msg(st == 0 || st == 128 + SIGINT, "testpmd ended with %d after SIGINT:\n%s", st,
		      tail(out));
	ck_assert_msg(strstr(out, "Bye...") != NULL, "testpmd did not clean up:\n%s", tail(out));
	return out;
}

/* Wait until pid has left the process table (detached or reclaimed). */
static void
wait_proc_gone(const struct daemon *d, pid_t pid)
{
	for (int i = 0; i < 300 && ctl_proc_listed(d, pid); i++)
		usleep(100000);
	ck_assert_msg(!ctl_proc_listed(d, pid), "process %d is still in hugememd's table",
		      (int)pid);
}

/* ----------------------------------------------------------- the helper */

/* Run dpdk_ops_helper SCENARIO against d with DPDK on --no-huge, or on hugepages (PA). */
static void
helper_run(const struct daemon *d, const char *scenario, bool dpdk_on_hugepages)
{
	static char out[1 << 20];
	char dpdk_prefix[64];
	const char *args[32];
	int n = 0, st;

	snprintf(dpdk_prefix, sizeof(dpdk_prefix), "%s-dpdk", d->prefix);
	args[n++] = scenario;
	n += dpdk_eal_args(args + n, dpdk_prefix, "0");
	if (dpdk_on_hugepages) {
		args[n++] = "--huge-dir";
		args[n++] = d->huge->mount;
		args[n++] = "-m";
		args[n++] = "64";
		args[n++] = "--iova-mode";
		args[n++] = "pa";
	} else {
		args[n++] = "--no-huge";
		args[n++] = "-m";
		args[n++] = "128";
	}
	args[n] = NULL;
	dpdk_env(d, false);
	st = run(hm_test_env_path("HM_TEST_DPDK_HELPER"), args, out, sizeof(out), RUN_MS);
	dpdk_env_done();
	dpdk_runtime_cleanup(dpdk_prefix);
	ck_assert_msg(st == 0 && strstr(out, "OK ") != NULL, "dpdk_ops_helper %s: exit %d:\n%s",
		      scenario, st, tail(out));
	ck_assert_msg(strstr(out, "FAIL") == NULL, "dpdk_ops_helper %s:\n%s", scenario,
		      strstr(out, "FAIL"));
	/* What it checked on which pool, and what it could not. */
	for (const char *p = out; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n')
		if (strncmp(p, "NOTE", 4) == 0 || strncmp(p, "pool ", 5) == 0)
			printf("dpdk_ops_helper %s: %.*s\n", scenario, (int)strcspn(p, "\n"), p);
}

/* -------------------------------------------------------------- the tests */

START_TEST(testpmd_forwards_between_net_ring_ports_with_its_mbufs_in_a_hugemem_pool)
{
	const char *test =
	    "testpmd_forwards_between_net_ring_ports_with_its_mbufs_in_a_hugemem_pool";
	struct daemon d;
	struct testpmd t;
	const char *out, *acc;
	json_t *pool;

	if (!dpdk_programs_usable(test) || !daemon_start(&d, test, "dtp", NULL))
		return;
	testpmd_start(&t, &d);
	pool = testpmd_pool_busy(&t, &d);
	ck_assert_int_eq(json_long(pool, "size"), 4096);
	ck_assert_str_eq(json_string_value(json_object_get(pool, "ops_name")), "hugemem");
	printf("%s: pool %s: %ld of %ld in use while testpmd runs\n", test, t.pool,
	       json_long(pool, "in_use_count"), json_long(pool, "size"));
	json_decref(pool);
	testpmd_wait_forwarding(&t);
	ck_assert(ctl_proc_listed(&d, t.pid));

	out = testpmd_stop(&t);
	acc = strstr(out, "Accumulated forward statistics for all ports");
	ck_assert_msg(acc != NULL, "no forward statistics:\n%s", tail(out));
	ck_assert_msg(last_number_after(acc, "RX-packets:") > 0 &&
			  last_number_after(acc, "TX-packets:") > 0,
		      "nothing forwarded:\n%s", tail(acc));
	printf("%s: forwarded %lld packets\n", test, last_number_after(acc, "RX-packets:"));

	/* Everything back: the pool is gone, and so is the process. */
	wait_proc_gone(&d, t.pid);
	pool = ctl_pool(&d, t.pool);
	ck_assert_msg(pool == NULL, "pool %s outlived testpmd with %ld in use", t.pool,
		      pool != NULL ? json_long(pool, "in_use_count") : 0);
	daemon_stop(&d);
}
END_TEST

START_TEST(a_testpmd_killed_with_sigkill_gets_its_mbufs_reclaimed_and_its_pool_freed_later)
{
	const char *test =
	    "a_testpmd_killed_with_sigkill_gets_its_mbufs_reclaimed_and_its_pool_freed_later";
	struct daemon d;
	struct testpmd t;
	json_t *pool, *reclaims;
	long held;

	if (!dpdk_programs_usable(test) || !daemon_start(&d, test, "dkl", NULL))
		return;
	testpmd_start(&t, &d);
	json_decref(testpmd_pool_busy(&t, &d));
	testpmd_wait_forwarding(&t);
	pool = testpmd_pool_busy(&t, &d);
	held = json_long(pool, "in_use_count");
	json_decref(pool);
	kill(t.pid, SIGKILL);
	ck_assert_int_eq(hm_test_wait(t.pid, 30000), 128 + SIGKILL);
	unlink(t.out);
	dpdk_runtime_cleanup(t.dpdk_prefix);

	/* hugememd noticed, put every mbuf back, and keeps serving. */
	wait_proc_gone(&d, t.pid);
	pool = ctl_pool(&d, t.pool);
	ck_assert_msg(pool != NULL, "pool %s vanished with its process", t.pool);
	ck_assert_int_eq(json_long(pool, "in_use_count"), 0);
	ck_assert_int_eq(json_long(pool, "avail_count"), json_long(pool, "size"));
	json_decref(pool);
	reclaims = telemetry(&d, "/hugemem/reclaims");
	ck_assert_msg(json_is_array(reclaims) && json_array_size(reclaims) >= 1,
		      "no reclaim recorded");
	ck_assert_int_eq(json_long(json_array_get(reclaims, 0), "pid"), t.pid);
	ck_assert_int_gt(json_long(json_array_get(reclaims, 0), "mempool_objs"), 0);
	printf("%s: %ld mbufs out when killed, %ld put back by hugememd\n", test, held,
	       json_long(json_array_get(reclaims, 0), "mempool_objs"));
	json_decref(reclaims);

	/* The next DPDK process that loads the plugin frees the dead one's pool. */
	helper_run(&d, "api", false);
	pool = ctl_pool(&d, t.pool);
	ck_assert_msg(pool == NULL, "pool %s of the killed testpmd is still there", t.pool);
	daemon_stop(&d);
}
END_TEST

/* dpdk-test's autotest `name`; hugememd in VA mode, so DPDK's --no-huge VA mode agrees. */
static void
dpdk_autotest(const char *test, const char *name, const char *handler_line)
{
	static char out[1 << 22];
	struct daemon d;
	char dpdk_prefix[64];
	const char *args[24];
	int n;
	json_t *pools;
	int st;

	if (!dpdk_programs_usable(test) || !daemon_start(&d, test, "dat", "va"))
		return;
	snprintf(dpdk_prefix, sizeof(dpdk_prefix), "%s-dpdk", d.prefix);
	n = dpdk_eal_args(args, dpdk_prefix, "0-1");
	args[n++] = "--no-huge";
	args[n++] = "-m";
	args[n++] = "256";
	args[n] = NULL;
	dpdk_env(&d, true);
	setenv("DPDK_TEST", name, 1);
	st = run(hm_test_env_path("HM_TEST_DPDK_TEST"), args, out, sizeof(out), 300000);
	unsetenv("DPDK_TEST");
	dpdk_env_done();
	dpdk_runtime_cleanup(dpdk_prefix);
	ck_assert_msg(st == 0 && strstr(out, "Test OK") != NULL, "%s: exit %d, output ends:\n%s",
		      name, st, tail(out));
	ck_assert_msg(strstr(out, "ops_name: <hugemem>") != NULL, "%s never used hugemem:\n%s",
		      name, tail(out));
	if (handler_line != NULL)
		ck_assert_msg(strstr(out, handler_line) != NULL, "%s: no '%s'", name, handler_line);
	printf("%s: dpdk-test %s: Test OK with the hugemem ops\n", test, name);
	pools = ctl_json(&d, "mempools");
	ck_assert_msg(json_array_size(pools) == 0, "%s left %zu hugemem pools", name,
		      json_array_size(pools));
	json_decref(pools);
	daemon_stop(&d);
}

START_TEST(dpdk_mempool_autotest_passes_with_the_hugemem_ops_as_best_ops)
{
	dpdk_autotest("dpdk_mempool_autotest_passes_with_the_hugemem_ops_as_best_ops",
		      "mempool_autotest", "Testing hugemem mempool handler");
}
END_TEST

START_TEST(dpdk_mbuf_autotest_passes_with_its_pools_in_hugemem)
{
	dpdk_autotest("dpdk_mbuf_autotest_passes_with_its_pools_in_hugemem", "mbuf_autotest", NULL);
}
END_TEST

START_TEST(rte_mempool_api_on_hugemem_ops_gives_hugemem_objects_and_iovas)
{
	struct daemon d;

	if (!daemon_start(&d, "rte_mempool_api_on_hugemem_ops_gives_hugemem_objects_and_iovas",
			  "dapi", NULL))
		return;
	json_t *pools;

	helper_run(&d, "api", false);
	pools = ctl_json(&d, "mempools");
	ck_assert_msg(json_array_size(pools) == 0, "%zu pools left", json_array_size(pools));
	json_decref(pools);
	daemon_stop(&d);
}
END_TEST

START_TEST(rte_mem_virt2iova_agrees_with_hugemem_when_both_run_in_pa_mode)
{
	const char *test = "rte_mem_virt2iova_agrees_with_hugemem_when_both_run_in_pa_mode";
	struct daemon d;
	json_t *memsegs, *run0;
	bool pa;

	if (!daemon_start(&d, test, "dpa", NULL))
		return;
	/* PA mode: the first run's IOVA is not its address. */
	memsegs = telemetry(&d, "/hugemem/memsegs");
	run0 = json_array_get(json_object_get(memsegs, "runs"), 0);
	ck_assert_msg(run0 != NULL, "no memseg runs");
	pa = strtoull(json_string_value(json_object_get(run0, "addr")), NULL, 16) !=
	     (unsigned long long)json_integer_value(json_object_get(run0, "iova"));
	json_decref(memsegs);
	if (!pa)
		printf("SKIPPED %s: hugememd runs in IOVA-as-VA mode (no physical addresses "
		       "here)\n",
		       test);
	else
		helper_run(&d, "api", true);
	daemon_stop(&d);
}
END_TEST

START_TEST(bad_input_through_the_ops_is_refused_and_hugememd_keeps_serving)
{
	struct daemon d;
	json_t *pools;

	if (!daemon_start(&d, "bad_input_through_the_ops_is_refused_and_hugememd_keeps_serving",
			  "dbad", NULL))
		return;
	helper_run(&d, "bad", false);
	pools = ctl_json(&d, "mempools");
	ck_assert_msg(json_array_size(pools) == 0, "%zu pools left", json_array_size(pools));
	json_decref(pools);
	daemon_stop(&d);
}
END_TEST

static Suite *
dpdk_ops_suite(void)
{
	Suite *s = suite_create("dpdk_ops");
	TCase *tc = tcase_create("dpdk_ops");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, rte_mempool_api_on_hugemem_ops_gives_hugemem_objects_and_iovas);
	tcase_add_test(tc, rte_mem_virt2iova_agrees_with_hugemem_when_both_run_in_pa_mode);
	tcase_add_test(tc, bad_input_through_the_ops_is_refused_and_hugememd_keeps_serving);
	tcase_add_test(tc,
		       testpmd_forwards_between_net_ring_ports_with_its_mbufs_in_a_hugemem_pool);
	tcase_add_test(
	    tc, a_testpmd_killed_with_sigkill_gets_its_mbufs_reclaimed_and_its_pool_freed_later);
	tcase_add_test(tc, dpdk_mempool_autotest_passes_with_the_hugemem_ops_as_best_ops);
	tcase_add_test(tc, dpdk_mbuf_autotest_passes_with_its_pools_in_hugemem);
	suite_add_tcase(s, tc);
	return s;
}

/* Whether dir or one of the directories above it is writable by others. */
static bool
world_writable_path(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (;;) {
		struct stat st;
		char *slash;

		if (stat(p[0] != '\0' ? p : "/", &st) != 0 || (st.st_mode & S_IWOTH))
			return true;
		slash = strrchr(p, '/');
		if (slash == NULL || p[0] == '\0')
			return false;
		*slash = '\0';
	}
}

/*
 * DPDK's EAL refuses a plugin below a world-writable directory (a clone in
 * /tmp, say). Then the suite runs on a copy in a directory of its own under
 * /run, made here and removed at the end. @return the directory, or NULL.
 */
static const char *
plugin_in_a_safe_place(char *dir, size_t len)
{
	const char *src = getenv("HM_TEST_DPDK_PLUGIN");
	char from[PATH_MAX], to[PATH_MAX + 64];
	FILE *in, *out;
	char buf[65536];
	bool copied;
	size_t n;

	if (src == NULL)
		return NULL;
	snprintf(from, sizeof(from), "%s", src);
	*strrchr(from, '/') = '\0';
	if (!world_writable_path(from))
		return NULL;
	snprintf(dir, len, "/run/hm-test-dpdk-XXXXXX");
	if (mkdtemp(dir) == NULL || world_writable_path(dir)) {
		printf("dpdk_ops: the plugin lies below a world-writable directory, which DPDK "
		       "refuses, and no private copy could be made under /run\n");
		if (dir[strlen(dir) - 1] != 'X')
			rmdir(dir);
		return NULL;
	}
	snprintf(to, sizeof(to), "%s/librte_mempool_hugemem.so", dir);
	in = fopen(src, "rb");
	out = in != NULL ? fopen(to, "wb") : NULL;
	while (out != NULL && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			break;
	copied = in != NULL && out != NULL && !ferror(in) && !ferror(out);
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		copied = false;
	if (!copied) {
		printf("dpdk_ops: cannot copy %s to %s: %s\n", src, to, strerror(errno));
		unlink(to);
		rmdir(dir);
		return NULL;
	}
	printf("dpdk_ops: DPDK refuses a plugin below a world-writable directory (%s); using a "
	       "copy in %s\n",
	       from, dir);
	setenv("HM_TEST_DPDK_PLUGIN", to, 1);
	return dir;
}

int
main(void)
{
	char dir[64], path[128];
	const char *copy = plugin_in_a_safe_place(dir, sizeof(dir));
	int ret = hm_test_run_suite(dpdk_ops_suite());

	if (copy != NULL) {
		snprintf(path, sizeof(path), "%s/librte_mempool_hugemem.so", copy);
		unlink(path);
		rmdir(copy);
	}
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugememctl run as a user runs it, its output read back: against a
 * --no-huge hugememd, against a primary in this test process (so the test
 * can create pools, rings and caches and make them busy), and against a
 * fake telemetry server that pages its memsegs and answers the commands
 * that a real primary may not have yet.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include "../common/hm_test.h"
#include "eal_pvt.h"

#define SOCKET_NAME "dpdk_telemetry.v2"
#define REPLY_MAX   16384
#define TIMEOUT_MS  30000

/* ------------------------------------------------------------ running it */

struct ctl_run {
	int status;
	char out[1 << 20];
	char err[16384];
};

static struct ctl_run run;

struct ctl_job {
	pid_t pid;
	char out[64], err[64];
};

static void
ctl_start(struct ctl_job *j, const char *const *args)
{
	int fd;

	snprintf(j->out, sizeof(j->out), "/tmp/hm-ctl-out-XXXXXX");
	snprintf(j->err, sizeof(j->err), "/tmp/hm-ctl-err-XXXXXX");
	fd = mkstemp(j->out);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = mkstemp(j->err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	j->pid = hm_test_spawn_io(hm_test_env_path("HM_TEST_HUGEMEMCTL"), args, j->out, j->err);
}

/* Wait for the job; its exit status, stdout and stderr into run. */
static int
ctl_finish(struct ctl_job *j)
{
	run.status = hm_test_wait(j->pid, TIMEOUT_MS);
	if (run.status < 0) {
		kill(j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0);
	}
	hm_test_read_file(j->out, run.out, sizeof(run.out));
	hm_test_read_file(j->err, run.err, sizeof(run.err));
	unlink(j->out);
	unlink(j->err);
	ck_assert_msg(run.status >= 0, "hugememctl did not end within %d ms", TIMEOUT_MS);
	return run.status;
}

/* Run hugememctl with args; its exit status (stdout, stderr in run). */
static int
ctl(const char *const *args)
{
	struct ctl_job j;

	ctl_start(&j, args);
	return ctl_finish(&j);
}

#define CTL(...) ctl((const char *const[]){__VA_ARGS__, NULL})

/* Exit 0, nothing on stderr, and every header a..b on one line of the output. */
static void
assert_ok_with(const char *what, const char *a, const char *b)
{
	ck_assert_msg(run.status == 0, "%s: exit %d, stderr: %s", what, run.status, run.err);
	ck_assert_msg(run.err[0] == '\0', "%s: stderr: %s", what, run.err);
	ck_assert_msg(hm_test_has_line(run.out, a, b), "%s: no line with '%s' and '%s' in:\n%s",
		      what, a, b ? b : "", run.out);
}

/* ------------------------------------------------- the primary, directly */

static char sock_path[512];

/* An AF_UNIX address of path. */
static void
sun_of(struct sockaddr_un *sun, const char *path)
{
	size_t len = strlen(path);

	ck_assert_uint_lt(len, sizeof(sun->sun_path));
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
}

static void
set_sock_path(const char *dir)
{
	snprintf(sock_path, sizeof(sock_path), "%s/%s", dir, SOCKET_NAME);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	ck_assert_int_ge(fd, 0);
	sun_of(&sun, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static json_t *
recv_json(int fd)
{
	static char buf[REPLY_MAX + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	json_error_t err;
	json_t *j;
	ssize_t n;

	ck_assert_msg(poll(&p, 1, TIMEOUT_MS) == 1, "no reply");
	n = recv(fd, buf, REPLY_MAX, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	j = json_loads(buf, 0, &err);
	ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, buf);
	return j;
}

/* The primary's own data for cmd (json null for an unknown command). */
static json_t *
direct(const char *cmd)
{
	int fd = connect_to(sock_path);
	json_t *hello, *reply, *data;

	ck_assert_msg(fd >= 0, "connect %s: %s", sock_path, strerror(errno));
	hello = recv_json(fd);
	json_decref(hello);
	ck_assert_int_eq(send(fd, cmd, strlen(cmd), 0), (ssize_t)strlen(cmd));
	reply = recv_json(fd);
	close(fd);
	data = json_object_get(reply, cmd);
	ck_assert_msg(data != NULL, "%s: no member %s", cmd, cmd);
	json_incref(data);
	json_decref(reply);
	return data;
}

/* The one JSON document hugememctl printed (nothing before or after it). */
static json_t *
output_json(const char *what)
{
	json_error_t err;
	json_t *j = json_loads(run.out, 0, &err);

	ck_assert_msg(j != NULL, "%s: output is not one JSON document (%s at line %d): %s", what,
		      err.text, err.line, run.out);
	return j;
}

static void
init_primary(const char *extra)
{
	const char *args[] = {
	    "-l",	   "0",	    "--no-huge", "-m", "64", "--file-prefix", hm_test_prefix("ctl"),
	    "--log-level", "emerg", extra,	 NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
	set_sock_path(hm_eal_runtime_dir());
}

/* A line of out that starts (after blanks) with word and a blank. */
static bool
has_row(const char *out, const char *word, const char *also)
{
	char start[128];

	snprintf(start, sizeof(start), "%s ", word);
	while (*out != '\0') {
		const char *end = strchr(out, '\n');
		size_t len = end != NULL ? (size_t)(end - out) : strlen(out);
		char line[2048];
		const char *p = line;

		snprintf(line, sizeof(line), "%.*s", (int)len, out);
		while (*p == ' ')
			p++;
		if (strncmp(p, start, strlen(start)) == 0 && (also == NULL || strstr(p, also)))
			return true;
		out += len + (end != NULL);
	}
	return false;
}

static unsigned int
count_lines(const char *text)
{
	unsigned int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* -------------------------------------------------------------- the tests */

START_TEST(every_command_against_a_no_huge_hugememd_exits_0_with_its_headers)
{
	const char *prefix = hm_test_prefix("ctld");
	const char *lcores = "0";
	const char *lcore_opt = hm_test_lcore_option(&lcores);
	const char *args[] = {"--no-huge",     lcore_opt, lcores,	 "-m",	  "64",
			      "--file-prefix", prefix,	  "--log-level", "error", NULL};
	char dir[256], out[64] = "/tmp/hm-ctl-daemon-XXXXXX", pid_text[32], pid_cell[32];
	json_t *procs;
	pid_t daemon;
	int fd = -1;

	close(mkstemp(out));
	ck_assert_int_eq(hm_runtime_dir_path(prefix, dir, sizeof(dir)), 0);
	set_sock_path(dir);
	daemon = hm_test_spawn_io(hm_test_env_path("HM_TEST_HUGEMEMD"), args, out, out);
	for (int i = 0; i < 400 && fd < 0; i++) {
		fd = connect_to(sock_path);
		if (fd < 0)
			usleep(50000);
	}
	unlink(out);
	ck_assert_msg(fd >= 0, "hugememd never opened %s", sock_path);
	close(fd);
	snprintf(pid_text, sizeof(pid_text), "pid %d,", (int)daemon);
	snprintf(pid_cell, sizeof(pid_cell), " %d ", (int)daemon);

	CTL("-f", prefix, "status");
	assert_ok_with("status", "primary", pid_text);
	assert_ok_with("status", "memory", "64 MiB in");
	assert_ok_with("status", "memory", "memsegs of 4 KiB");
	assert_ok_with("status", "command", "--file-prefix");
	assert_ok_with("status", "zone", "largest free block");
	CTL("-f", prefix, "memsegs");
	assert_ok_with("memsegs", "addr", "page size");
	assert_ok_with("memsegs", "0x", "64 MiB");
	CTL("--file-prefix", prefix, "buddyinfo");
	assert_ok_with("buddyinfo", "socket", "free");
	assert_ok_with("buddyinfo", "Normal", "64 MiB");
	CTL("-f", prefix, "frag");
	assert_ok_with("frag", "order", "block");
	assert_ok_with("frag", "0/Normal extfrag", "0/Normal unusable");
	CTL("-f", prefix, "zones");
	assert_ok_with("zones", "managed", "low_crossings");
	assert_ok_with("zones", "Normal", "64 MiB");
	CTL("-f", prefix, "slabinfo");
	assert_ok_with("slabinfo", "active_objs", "objsize");
	assert_ok_with("slabinfo", "kmalloc-32 ", "32 B");
	CTL("-f", prefix, "mempools");
	assert_ok_with("mempools", "name", "in_use");
	CTL("-f", prefix, "rings");
	assert_ok_with("rings", "producer", "consumer");
	CTL("-f", prefix, "top", "-n", "1");
	assert_ok_with("top", "hugememctl top", "prefix");
	assert_ok_with("top", "Caches:", "busiest first");

	/* The procs command is there or it is not; either way hugememctl says so. */
	procs = direct("/hugemem/procs");
	CTL("-f", prefix, "procs");
	if (json_is_null(procs)) {
		ck_assert_int_eq(run.status, 1);
		ck_assert_msg(
		    hm_test_has_line(run.err, "/hugemem/procs", "is not supported by this primary"),
		    "%s", run.err);
	} else {
		assert_ok_with("procs", "pid", "lcores");
		ck_assert_msg(has_row(run.out, "0", pid_cell), "no row of the primary: %s",
			      run.out);
		CTL("-f", prefix, "status");
		assert_ok_with("status", "processes", "attached");
	}
	json_decref(procs);

	kill(daemon, SIGTERM);
	ck_assert_int_eq(hm_test_wait(daemon, TIMEOUT_MS), 0);
	ck_assert_int_eq(CTL("-f", prefix, "status"), 1);
	ck_assert_msg(hm_test_has_line(run.err, "no primary runs with prefix", prefix), "%s",
		      run.err);
}
END_TEST

static void
make_busy_things(struct hm_slab_cache **sc, void **obj, struct hm_mempool **mp, struct hm_ring **r)
{
	*mp = hm_mempool_create("ctl_pool", 100, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(*mp);
	*r = hm_ring_create("ctl_ring", 1024, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(*r);
	*sc = hm_slab_cache_create("ctl_slab", 200, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(*sc);
	*obj = hm_slab_alloc(*sc, 0);
	ck_assert_ptr_nonnull(*obj);
	ck_assert_int_eq(hm_ring_enqueue(*r, *obj), 0);
}

static void
free_busy_things(struct hm_slab_cache *sc, void *obj, struct hm_mempool *mp, struct hm_ring *r)
{
	void *back;

	ck_assert_int_eq(hm_ring_dequeue(r, &back), 0);
	ck_assert_ptr_eq(back, obj);
	ck_assert_int_eq(hm_slab_free(obj), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(sc), 0);
	ck_assert_int_eq(hm_ring_free(r), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
}

START_TEST(tables_show_the_primary_s_pools_rings_and_caches_in_their_units)
{
	struct hm_slab_cache *sc;
	struct hm_mempool *mp;
	struct hm_ring *r;
	char capacity[32];
	void *obj;

	init_primary(NULL);
	make_busy_things(&sc, &obj, &mp, &r);

	CTL("-f", hm_eal_file_prefix(), "mempools");
	assert_ok_with("mempools", "name", "cache_hits");
	ck_assert_msg(has_row(run.out, "ctl_pool", "100"), "%s", run.out);
	ck_assert_msg(has_row(run.out, "ctl_pool", "64 B"), "%s", run.out);
	CTL("-f", hm_eal_file_prefix(), "rings");
	assert_ok_with("rings", "name", "capacity");
	ck_assert_msg(has_row(run.out, "ctl_ring", "multi"), "%s", run.out);
	snprintf(capacity, sizeof(capacity), " %u ", r->capacity);
	ck_assert_msg(has_row(run.out, "ctl_ring", capacity), "%s", run.out);
	CTL("-f", hm_eal_file_prefix(), "slabinfo");
	ck_assert_msg(has_row(run.out, "ctl_slab", NULL), "%s", run.out);
	ck_assert_msg(!has_row(run.out, "ctl_slab", " 0 B"), "a live cache of no size: %s",
		      run.out);
	CTL("-f", hm_eal_file_prefix(), "zones");
	ck_assert_msg(has_row(run.out, "0", "64 MiB"), "%s", run.out);
	/* An absolute prefix is the runtime directory itself, as for dpdk-telemetry.py. */
	CTL("-f", hm_eal_runtime_dir(), "rings");
	ck_assert_msg(has_row(run.out, "ctl_ring", NULL), "%s", run.out);

	free_busy_things(sc, obj, mp, r);
	hm_eal_cleanup();
}
END_TEST

START_TEST(json_output_parses_and_equals_the_primary_s_own_reply)
{
	static const char *const cmds[][2] = {
	    {"memsegs", "/hugemem/memsegs"},   {"buddyinfo", "/hugemem/buddyinfo"},
	    {"frag", "/hugemem/frag"},	       {"zones", "/hugemem/zones"},
	    {"slabinfo", "/hugemem/slabinfo"}, {"mempools", "/hugemem/mempools"},
	    {"rings", "/hugemem/rings"},       {"procs", "/hugemem/procs"},
	};
	static const char *const status_keys[] = {"/info", "/eal/params", "/hugemem/memsegs",
						  "/hugemem/zones", "/hugemem/buddyinfo"};
	struct hm_slab_cache *sc;
	struct hm_mempool *mp;
	struct hm_ring *r;
	json_t *got, *want;
	void *obj;

	init_primary(NULL);
	make_busy_things(&sc, &obj, &mp, &r);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		want = direct(cmds[i][1]);
		CTL("-f", hm_eal_file_prefix(), "--json", cmds[i][0]);
		if (json_is_null(want)) {
			ck_assert_msg(run.status == 1 && strstr(run.err, "not supported"), "%s: %s",
				      cmds[i][0], run.err);
			json_decref(want);
			continue;
		}
		ck_assert_msg(run.status == 0, "%s: exit %d: %s", cmds[i][0], run.status, run.err);
		got = output_json(cmds[i][0]);
		ck_assert_msg(json_equal(got, want), "%s: --json differs from the primary's reply",
			      cmds[i][0]);
		ck_assert_msg(count_lines(run.out) > 1, "%s: not pretty: %s", cmds[i][0], run.out);
		json_decref(got);
		json_decref(want);
	}

	/* status: the replies it is made of, under their commands' names. */
	ck_assert_int_eq(CTL("-f", hm_eal_file_prefix(), "status", "--json"), 0);
	got = output_json("status");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(got, "/info"), "pid")),
			 getpid());
	for (size_t i = 0; i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
		want = direct(status_keys[i]);
		ck_assert_msg(json_equal(json_object_get(got, status_keys[i]), want),
			      "status: %s differs", status_keys[i]);
		json_decref(want);
	}
	json_decref(got);

	free_busy_things(sc, obj, mp, r);
	hm_eal_cleanup();
}
END_TEST

START_TEST(no_primary_exits_1_with_a_clear_message)
{
	const char *prefix = hm_test_prefix("none");
	char dir[] = "/tmp/hm-ctl-rt-XXXXXX", path[128], sock[160], expect[256];
	struct sockaddr_un sun;
	int fd;

	ck_assert_int_eq(CTL("-f", prefix, "status"), 1);
	ck_assert_str_eq(run.out, "");
	snprintf(expect, sizeof(expect), "no primary runs with prefix '%s' (no socket at", prefix);
	ck_assert_msg(hm_test_has_line(run.err, "hugememctl: ", expect), "%s", run.err);
	ck_assert_int_eq(CTL("-f", prefix, "--json", "top", "-n", "1"), 1);
	ck_assert_str_eq(run.out, "");

	/* A socket left by a primary that died: nobody listens. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(setenv("RUNTIME_DIRECTORY", dir, 1), 0);
	snprintf(path, sizeof(path), "%s/hugemem", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/hugemem/dead", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/%s", path, SOCKET_NAME);
	sun_of(&sun, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(CTL("-f", "dead", "slabinfo"), 1);
	ck_assert_msg(
	    hm_test_has_line(run.err, "no primary runs with prefix 'dead'", "nothing listens on"),
	    "%s", run.err);
	unlink(sock);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/hugemem", dir);
	rmdir(path);
	rmdir(dir);
	unsetenv("RUNTIME_DIRECTORY");

	/* A live primary without its socket. */
	init_primary("--no-telemetry");
	ck_assert_int_eq(CTL("-f", hm_eal_file_prefix(), "zones"), 1);
	ck_assert_msg(hm_test_has_line(run.err, "has no telemetry socket", "--no-telemetry"), "%s",
		      run.err);
	hm_eal_cleanup();
}
END_TEST

START_TEST(bad_command_and_bad_option_exit_2)
{
	static const char *const bad[][4] = {
	    {NULL},
	    {"bogus", NULL},
	    {"-x", "status", NULL},
	    {"--bogus", "status", NULL},
	    {"status", "extra", NULL},
	    {"-d", "1", "status", NULL},
	    {"zones", "-n", "3", NULL},
	    {"top", "-n", "0", NULL},
	    {"top", "-d", "soon", NULL},
	    {"top", "-n", NULL},
	    {"-f", "", "status", NULL},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ctl(bad[i]) == 2, "case %zu: exit %d", i, run.status);
		ck_assert_msg(hm_test_has_line(run.err, "hugememctl: ", NULL) &&
				  strstr(run.err, "Try 'hugememctl --help'") != NULL,
			      "case %zu: %s", i, run.err);
		ck_assert_str_eq(run.out, "");
	}
	ck_assert_int_eq(CTL("--help"), 0);
	ck_assert(hm_test_has_line(run.out, "Usage: hugememctl", "COMMAND"));
	for (const char *const *c =
		 (const char *const[]){"status", "memsegs", "buddyinfo", "frag", "zones",
				       "slabinfo", "mempools", "rings", "procs", "top", NULL};
	     *c != NULL; c++) {
		char word[32];

		snprintf(word, sizeof(word), "  %s ", *c);
		ck_assert_msg(hm_test_has_line(run.out, word, NULL), "no %s in the help", *c);
	}
	ck_assert_int_eq(CTL("-h"), 0);
	ck_assert(hm_test_has_line(run.out, "Usage: hugememctl", NULL));
}
END_TEST

/* The first row under the line that starts with title in the frame at text. */
static void
first_row(const char *text, const char *title, char *name, size_t len)
{
	const char *p = strstr(text, title);

	name[0] = '\0';
	if (p == NULL || (p = strchr(p, '\n')) == NULL || (p = strchr(p + 1, '\n')) == NULL)
		return;
	p++;
	while (*p == ' ')
		p++;
	snprintf(name, len, "%.*s", (int)strcspn(p, " \n"), p);
}

START_TEST(top_n_2_on_a_pipe_prints_two_plain_frames_busiest_first)
{
	enum { IDLE = 2000, BUSY = 500, POOL_TAKEN = 100, POOL_CHURN = 50 };
	static void *idle_objs[IDLE], *busy_objs[BUSY], *taken[POOL_TAKEN], *churn[POOL_CHURN];
	struct hm_slab_cache *idle, *busy;
	struct hm_mempool *idle_pool, *busy_pool;
	const char *second;
	char name[64];
	struct ctl_job j;

	init_primary(NULL);
	idle = hm_slab_cache_create("ctl_idle", 64, 0, 0, NULL, NULL);
	busy = hm_slab_cache_create("ctl_busy", 64, 0, 0, NULL, NULL);
	idle_pool =
	    hm_mempool_create("ctl_idle_pool", 200, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	busy_pool =
	    hm_mempool_create("ctl_busy_pool", 200, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert(idle && busy && idle_pool && busy_pool);
	for (int i = 0; i < IDLE; i++)
		ck_assert_ptr_nonnull(idle_objs[i] = hm_slab_alloc(idle, 0));
	ck_assert_int_eq(hm_mempool_get_bulk(idle_pool, taken, POOL_TAKEN), 0);

	ctl_start(&j, (const char *const[]){"-f", hm_eal_file_prefix(), "top", "-n", "2", "-d", "1",
					    NULL});
	/* Once the first frame is out, make the busy ones busy before the second. */
	for (int i = 0; i < 2000 && !strstr(run.out, "Mempools:"); i++) {
		usleep(5000);
		hm_test_read_file(j.out, run.out, sizeof(run.out));
	}
	ck_assert_msg(strstr(run.out, "Mempools:") != NULL, "no first frame: %s", run.out);
	for (int i = 0; i < BUSY; i++)
		ck_assert_ptr_nonnull(busy_objs[i] = hm_slab_alloc(busy, 0));
	ck_assert_int_eq(hm_mempool_get_bulk(busy_pool, churn, POOL_CHURN), 0);
	ck_assert_int_eq(hm_mempool_put_bulk(busy_pool, churn, POOL_CHURN), 0);
	ck_assert_int_eq(ctl_finish(&j), 0);

	ck_assert_msg(strchr(run.out, '\033') == NULL, "terminal escapes on a pipe");
	second = strstr(run.out, "hugememctl top");
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_eq(second, run.out);
	second = strstr(second + 1, "hugememctl top");
	ck_assert_msg(second != NULL, "one frame only: %s", run.out);
	ck_assert_ptr_null(strstr(second + 1, "hugememctl top"));
	ck_assert(hm_test_has_line(run.out, "Zones", NULL));
	ck_assert(hm_test_has_line(run.out, "allocs/s", "free%"));

	/* Frame 1 has no rates yet: the biggest first. Frame 2: the busiest. */
	first_row(run.out, "Caches:", name, sizeof(name));
	ck_assert_str_eq(name, "ctl_idle");
	first_row(run.out, "Mempools:", name, sizeof(name));
	ck_assert_str_eq(name, "ctl_idle_pool");
	first_row(second, "Caches:", name, sizeof(name));
	ck_assert_msg(strcmp(name, "ctl_busy") == 0, "busiest cache is %s:\n%s", name, second);
	first_row(second, "Mempools:", name, sizeof(name));
	ck_assert_msg(strcmp(name, "ctl_busy_pool") == 0, "busiest pool is %s:\n%s", name, second);

	for (int i = 0; i < BUSY; i++)
		ck_assert_int_eq(hm_slab_free(busy_objs[i]), 0);
	for (int i = 0; i < IDLE; i++)
		ck_assert_int_eq(hm_slab_free(idle_objs[i]), 0);
	ck_assert_int_eq(hm_mempool_put_bulk(idle_pool, taken, POOL_TAKEN), 0);
	hm_eal_cleanup();
}
END_TEST

/* ------------------------------------------------------ a fake primary */

#define FAKE_RUNS    150
#define FAKE_TIME_NS ((json_int_t)1714557600 * 1000000000) /* 2024-05-01 */

static struct {
	int listen_fd;
	pthread_t thread;
	bool has_procs; /* answer /hugemem/procs and /hugemem/service, else null */
	int service_calls;
	char root[64], dir[192], path[256];
} fake;

static json_t *
fake_memsegs(const char *param)
{
	long first = param != NULL ? atol(param) : 0;
	json_t *runs = json_array();

	if (first >= FAKE_RUNS)
		return json_null();
	for (long i = first; i < first + 64 && i < FAKE_RUNS; i++)
		json_array_append_new(
		    runs, json_pack("{s:s, s:I, s:I, s:I, s:i, s:i}", "addr", "0x200000000000",
				    "iova", (json_int_t)(i << 21), "len", (json_int_t)2 << 20,
				    "hugepage_sz", (json_int_t)2 << 20, "socket", 0, "nb_segs", 1));
	return json_pack("{s:I, s:i, s:i, s:I, s:[I], s:o, s:o}", "total_bytes",
			 (json_int_t)FAKE_RUNS << 21, "nb_memsegs", FAKE_RUNS, "nb_runs", FAKE_RUNS,
			 "largest_run_bytes", (json_int_t)2 << 20, "page_sizes",
			 (json_int_t)2 << 20, "runs", runs, "next_run",
			 first + 64 < FAKE_RUNS ? json_integer(first + 64) : json_null());
}

static json_t *
fake_data(const char *cmd, const char *param)
{
	if (strcmp(cmd, "/info") == 0)
		return json_pack("{s:s, s:i, s:i}", "version", "fake 1", "pid", 4242,
				 "max_output_len", REPLY_MAX);
	if (strcmp(cmd, "/hugemem/memsegs") == 0)
		return fake_memsegs(param);
	/* A paged list of one entry: "/hugemem/procs,1" is its empty end. */
	if (strcmp(cmd, "/hugemem/procs") == 0 && fake.has_procs && param != NULL)
		return strcmp(param, "1") == 0 ? json_array() : json_null();
	if (strcmp(cmd, "/hugemem/procs") == 0 && fake.has_procs)
		return json_pack("[{s:i, s:i, s:s, s:s, s:[i,i,i,i], s:I, s:i, s:{s:i, s:i}, s:s}]",
				 "slot", 0, "pid", 4242, "type", "primary", "state", "live",
				 "lcores", 0, 1, 2, 5, "attach_time_ns", FAKE_TIME_NS, "dma_pages",
				 256, "holds", "buddy_blocks", 3, "memzones", 1, "future_key",
				 "zzz");
	if (strcmp(cmd, "/hugemem/service") == 0 && fake.has_procs)
		return json_pack("{s:b, s:i, s:I, s:i, s:i, s:{s:i}}", "running", 1, "pid", 4242,
				 "start_time_ns", FAKE_TIME_NS, "requests",
				 1000 * ++fake.service_calls, "errors", 0, "loop", "polls", 77);
	if (strcmp(cmd, "/hugemem/slabinfo") == 0 || strcmp(cmd, "/hugemem/mempools") == 0 ||
	    strcmp(cmd, "/hugemem/zones") == 0 || strcmp(cmd, "/hugemem/buddyinfo") == 0 ||
	    strcmp(cmd, "/eal/params") == 0)
		return json_array();
	return json_null();
}

static void *
fake_serve(void *arg)
{
	static char req[2048];

	(void)arg;
	for (;;) {
		int fd = accept(fake.listen_fd, NULL, NULL);
		json_t *hello;
		char *text;
		ssize_t n;

		if (fd < 0)
			return NULL;
		hello = fake_data("/info", NULL);
		text = json_dumps(hello, JSON_COMPACT);
		send(fd, text, strlen(text), MSG_NOSIGNAL);
		free(text);
		json_decref(hello);
		while ((n = recv(fd, req, sizeof(req) - 1, 0)) > 0) {
			char *param;
			json_t *reply;

			req[n] = '\0';
			param = strchr(req, ',');
			if (param != NULL)
				*param++ = '\0';
			reply = json_object();
			json_object_set_new(reply, req, fake_data(req, param));
			text = json_dumps(reply, JSON_COMPACT);
			send(fd, text, strlen(text), MSG_NOSIGNAL);
			free(text);
			json_decref(reply);
		}
		close(fd);
	}
}

/* A fake primary of prefix "fake" under a runtime directory of our own. */
static void
fake_start(bool has_procs)
{
	struct sockaddr_un sun;

	fake.has_procs = has_procs;
	snprintf(fake.root, sizeof(fake.root), "/tmp/hm-ctl-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake.root));
	ck_assert_int_eq(setenv("RUNTIME_DIRECTORY", fake.root, 1), 0);
	snprintf(fake.dir, sizeof(fake.dir), "%s/hugemem", fake.root);
	ck_assert_int_eq(mkdir(fake.dir, 0700), 0);
	snprintf(fake.dir, sizeof(fake.dir), "%s/hugemem/fake", fake.root);
	ck_assert_int_eq(mkdir(fake.dir, 0700), 0);
	snprintf(fake.path, sizeof(fake.path), "%s/%s", fake.dir, SOCKET_NAME);
	sun_of(&sun, fake.path);
	fake.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_eq(bind(fake.listen_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fake.listen_fd, 8), 0);
	ck_assert_int_eq(pthread_create(&fake.thread, NULL, fake_serve, NULL), 0);
	set_sock_path(fake.dir);
}

static void
fake_stop(void)
{
	char path[256];

	shutdown(fake.listen_fd, SHUT_RDWR);
	pthread_join(fake.thread, NULL);
	close(fake.listen_fd);
	unlink(fake.path);
	rmdir(fake.dir);
	snprintf(path, sizeof(path), "%s/hugemem", fake.root);
	rmdir(path);
	rmdir(fake.root);
	unsetenv("RUNTIME_DIRECTORY");
}

static unsigned int
count_rows(const char *text, const char *start)
{
	unsigned int n = 0;

	for (const char *p = text; (p = strstr(p, start)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			n++;
	return n;
}

START_TEST(memsegs_follows_the_pages_and_new_keys_show_up_without_new_code)
{
	json_t *got, *runs;

	fake_start(true);
	ck_assert_int_eq(CTL("-f", "fake", "--json", "memsegs"), 0);
	got = output_json("memsegs");
	runs = json_object_get(got, "runs");
	ck_assert_uint_eq(json_array_size(runs), FAKE_RUNS);
	for (size_t i = 0; i < FAKE_RUNS; i++)
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_array_get(runs, i), "iova")),
		    (json_int_t)(i << 21));
	ck_assert(json_is_null(json_object_get(got, "next_run")));
	json_decref(got);
	CTL("-f", "fake", "memsegs");
	assert_ok_with("memsegs", "300 MiB in 150 memsegs of 2 MiB", "150 contiguous runs");
	ck_assert_uint_eq(count_rows(run.out, "0x200000000000"), FAKE_RUNS);

	/* procs: the known columns first, then whatever else the primary sends. */
	CTL("-f", "fake", "procs");
	assert_ok_with("procs", "slot", "lcores");
	assert_ok_with("procs", "attached", "dma");
	assert_ok_with("procs", "holds.buddy_blocks", "future_key");
	ck_assert_msg(has_row(run.out, "0", "0-2,5"), "%s", run.out);
	ck_assert_msg(has_row(run.out, "0", "zzz"), "%s", run.out);
	ck_assert_msg(has_row(run.out, "0", " 2024-"), "%s", run.out);
	ck_assert_msg(has_row(run.out, "0", " 1 MiB "), "%s", run.out);
	CTL("-f", "fake", "status");
	assert_ok_with("status", "processes", "1 attached");
	assert_ok_with("status", "service", "running since 2024-");

	/* top: the service panel with its counters' rates. */
	CTL("-f", "fake", "top", "-n", "2", "-d", "0.2");
	assert_ok_with("top", "Service", NULL);
	assert_ok_with("top", "requests", NULL);
	assert_ok_with("top", "loop.polls", "77");
	assert_ok_with("top", "start_time_ns", "2024-");
	fake_stop();
}
END_TEST

START_TEST(a_command_the_primary_does_not_have_is_said_so_and_exits_1)
{
	fake_start(false);
	ck_assert_int_eq(CTL("-f", "fake", "procs"), 1);
	ck_assert_msg(
	    hm_test_has_line(run.err, "hugememctl: /hugemem/procs is not supported by this primary",
			     "fake 1"),
	    "%s", run.err);
	ck_assert_str_eq(run.out, "");
	ck_assert_int_eq(CTL("-f", "fake", "--json", "procs"), 1);
	ck_assert_str_eq(run.out, "");
	/* top leaves the panel out and goes on. */
	CTL("-f", "fake", "top", "-n", "1");
	assert_ok_with("top", "hugememctl top", NULL);
	ck_assert_msg(!hm_test_has_line(run.out, "Service", NULL), "%s", run.out);
	fake_stop();
}
END_TEST

static Suite *
hugememctl_suite(void)
{
	Suite *s = suite_create("hugememctl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_command_against_a_no_huge_hugememd_exits_0_with_its_headers);
	tcase_add_test(tc, tables_show_the_primary_s_pools_rings_and_caches_in_their_units);
	tcase_add_test(tc, json_output_parses_and_equals_the_primary_s_own_reply);
	tcase_add_test(tc, no_primary_exits_1_with_a_clear_message);
	tcase_add_test(tc, bad_command_and_bad_option_exit_2);
	tcase_add_test(tc, top_n_2_on_a_pipe_prints_two_plain_frames_busiest_first);
	tcase_add_test(tc, memsegs_follows_the_pages_and_new_keys_show_up_without_new_code);
	tcase_add_test(tc, a_command_the_primary_does_not_have_is_said_so_and_exits_1);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(hugememctl_suite());
}

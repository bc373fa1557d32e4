/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugememd --config FILE: the file's EAL options, pools and caches, the
 * command line winning over the file, and one error line with FILE:LINE for
 * every kind of bad file.
 *
 * Each test runs hugememd ($HM_TEST_HUGEMEMD) as a child with stdout and
 * stderr in files of its own, and a --file-prefix of its own. A daemon that
 * starts is judged by its summary on stdout (every pool and cache it made
 * has a line there) and by its telemetry socket, then stopped with SIGTERM.
 * Everything runs with --no-huge, except the check that the default
 * configuration fits in the hugepages it asks for (SKIPPED without them).
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/hm_test.h"
#include "eal_pvt.h"
#include "telemetry_pvt.h"

/* A NULL-terminated argument list (without argv[0]). */
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#define START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define EXIT_TIMEOUT_MS	 30000
#define OUTPUT_MAX	 65536

/* ============================================================== helpers */

/*
 * The value of an "lcores" key for lcore 0 on a CPU this process may use:
 * "0", or "(0)@(<CPUs>)" when CPU 0 is not one of them. --lcores and -l
 * read a plain list alike.
 */
static const char *
lcore0(void)
{
	const char *value = "0";

	(void)hm_test_lcore_option(&value);
	return value;
}

/* A configuration file with text in it, removed by conf_remove(). */
static const char *
conf_write(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/hm-test-conf-XXXXXX.conf");
	fd = mkstemps(path, 5);
	ck_assert_msg(fd >= 0, "mkstemps: %s", strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
conf_remove(const char *path)
{
	unlink(path);
}

/* A hugememd child, its stdout and its stderr in temporary files. */
struct daemon {
	pid_t pid;
	int status; /* exit status, 128 + signal, or -1 while it runs */
	char out_path[64];
	char err_path[64];
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static int
temp_file(char *path, size_t len, const char *tag)
{
	int fd;

	snprintf(path, len, "/tmp/hm-test-%s-XXXXXX", tag);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	return fd;
}

static void
daemon_spawn(struct daemon *d, const char *const *args)
{
	memset(d, 0, sizeof(*d));
	d->status = -1;
	close(temp_file(d->out_path, sizeof(d->out_path), "out"));
	close(temp_file(d->err_path, sizeof(d->err_path), "err"));
	d->pid =
	    hm_test_spawn_io(hm_test_env_path("HM_TEST_HUGEMEMD"), args, d->out_path, d->err_path);
	ck_assert_int_ge(d->pid, 0);
}

static void
daemon_read(struct daemon *d)
{
	hm_test_read_file(d->out_path, d->out, sizeof(d->out));
	hm_test_read_file(d->err_path, d->err, sizeof(d->err));
}

static void
daemon_forget(struct daemon *d)
{
	unlink(d->out_path);
	unlink(d->err_path);
}

/* Run hugememd to its end; kill it if it is still up after EXIT_TIMEOUT_MS. */
static int
daemon_run(struct daemon *d, const char *const *args)
{
	daemon_spawn(d, args);
	d->status = hm_test_wait(d->pid, EXIT_TIMEOUT_MS);
	if (d->status == -1) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	daemon_read(d);
	daemon_forget(d);
	ck_assert_msg(d->status != -1, "hugememd still runs after %d ms; stdout:\n%s\nstderr:\n%s",
		      EXIT_TIMEOUT_MS, d->out, d->err);
	ck_assert_msg(d->status != 127, "cannot execute hugememd");
	return d->status;
}

/* Start hugememd and wait for its "serving" line; fails the test if it exits first. */
static void
daemon_start(struct daemon *d, const char *const *args)
{
	daemon_spawn(d, args);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		daemon_read(d);
		if (hm_test_has_line(d->out, "hugememd: serving", NULL))
			return;
		d->status = hm_test_wait(d->pid, 0);
		if (d->status != -1) {
			daemon_read(d);
			daemon_forget(d);
			ck_abort_msg(
			    "hugememd exited with %d before serving; stdout:\n%s\nstderr:\n%s",
			    d->status, d->out, d->err);
		}
		usleep(20000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	daemon_forget(d);
	ck_abort_msg("hugememd not serving after %d ms; stdout:\n%s\nstderr:\n%s", START_TIMEOUT_MS,
		     d->out, d->err);
}

/* SIGTERM, and it must exit 0. */
static void
daemon_stop(struct daemon *d)
{
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	d->status = hm_test_wait(d->pid, EXIT_TIMEOUT_MS);
	if (d->status == -1) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	daemon_read(d);
	daemon_forget(d);
	ck_assert_msg(d->status == 0, "hugememd exited with %d after SIGTERM; stderr:\n%s",
		      d->status, d->err);
}

/* The text after "hugememd: <what> " on the summary line that starts so. */
static const char *
summary_value(const struct daemon *d, const char *what, char *buf, size_t len)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "hugememd: %s ", what);
	p = strstr(d->out, key);
	ck_assert_msg(p != NULL, "no '%s' line in the summary:\n%s", key, d->out);
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

static bool
runtime_dir_exists(const char *prefix)
{
	char dir[256];
	struct stat st;

	ck_assert_int_eq(hm_runtime_dir_path(prefix, dir, sizeof(dir)), 0);
	return stat(dir, &st) == 0;
}

/* --------------------------------------------------------- telemetry */

static json_t *
telemetry_recv(int fd)
{
	static char buf[HM_TELEMETRY_MAX_OUTPUT + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	json_error_t err;
	json_t *j;
	ssize_t n;

	ck_assert_msg(poll(&p, 1, 5000) == 1, "no telemetry reply within 5 s");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	j = json_loads(buf, 0, &err);
	ck_assert_msg(j != NULL, "reply is no JSON (%s): %s", err.text, buf);
	return j;
}

static int
telemetry_connect(const char *runtime_dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", runtime_dir, HM_TELEMETRY_SOCKET);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "connect %s: %s",
		      sun.sun_path, strerror(errno));
	json_decref(telemetry_recv(fd)); /* the greeting */
	return fd;
}

/* The data of the reply to cmd (a new reference). */
static json_t *
telemetry_query(int fd, const char *request)
{
	char cmd[128];
	json_t *reply, *data;

	ck_assert_int_eq(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	reply = telemetry_recv(fd);
	snprintf(cmd, sizeof(cmd), "%.*s", (int)strcspn(request, ","), request);
	data = json_object_get(reply, cmd);
	ck_assert_msg(data != NULL, "%s: no key %s in the reply", request, cmd);
	json_incref(data);
	json_decref(reply);
	return data;
}

static bool
json_array_has_string(const json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* ================================================= files that work */

START_TEST(a_no_huge_config_starts_and_creates_its_pools_and_caches)
{
	const char *prefix = hm_test_prefix("cfg");
	char text[1024], runtime_dir[256], line[256];
	struct daemon d;
	const char *path;
	json_t *data;
	int fd;

	snprintf(text, sizeof(text),
		 "# a daemon without hugepages\n"
		 "[eal]\n"
		 "no-huge = true\n"
		 "m = 64\n"
		 "lcores = %s\n"
		 "file-prefix = %s\n"
		 "in-memory = false\n"
		 "\n"
		 "[pktpool cfg_rx]\n"
		 "n = 511\n"
		 "cache_size = 32 ; per lcore\n"
		 "data_room = 2048\n"
		 "\n"
		 "[mempool cfg_obj]\n"
		 "n = 0x3ff\n"
		 "elt_size = 64\n"
		 "min_nr = 16\n"
		 "socket = any\n"
		 "flags = debug, sc_get\n"
		 "\n"
		 "[slab cfg_flow]\n"
		 "size = 200\n"
		 "align = 64\n"
		 "flags = hwcache_align,poison\n",
		 lcore0(), prefix);
	ck_assert_msg(strlen(text) < sizeof(text) - 1, "the configuration does not fit");
	path = conf_write(text);
	daemon_start(&d, ARGS("--config", path));

	summary_value(&d, "prefix", line, sizeof(line));
	ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0 && line[strlen(prefix)] == ',',
		      "prefix: %s", line);
	ck_assert(hm_test_has_line(d.out, "hugememd: total 64 MiB", NULL));
	ck_assert(hm_test_has_line(d.out, "hugememd: configuration", path));
	ck_assert_str_eq(summary_value(&d, "pktpool", line, sizeof(line)),
			 "cfg_rx: 511 buffers of 2048 B data room (0 B private), cache 32");
	ck_assert_str_eq(summary_value(&d, "mempool", line, sizeof(line)),
			 "cfg_obj: 1023 objects of 64 B, cache 0, reserve 16, flags sc_get,debug");
	ck_assert_str_eq(summary_value(&d, "slab cache", line, sizeof(line)),
			 "cfg_flow: objects of 200 B, align 64, flags hwcache_align,poison");
	ck_assert(hm_test_has_line(d.out, "cfg_flow ", "tunables")); /* in slabinfo too */

	/* The pools and the cache are there for every client of the service. */
	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
		 summary_value(&d, "runtime directory", line, sizeof(line)));
	fd = telemetry_connect(runtime_dir);
	data = telemetry_query(fd, "/mempool/list");
	ck_assert(json_array_has_string(data, "cfg_rx"));
	ck_assert(json_array_has_string(data, "cfg_obj"));
	json_decref(data);
	data = telemetry_query(fd, "/mempool/info,cfg_obj");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "size")), 1023);
	json_decref(data);
	data = telemetry_query(fd, "/hugemem/slab,cfg_flow");
	ck_assert_msg(json_is_object(data), "no slab cache cfg_flow");
	json_decref(data);
	data = telemetry_query(fd, "/eal/params");
	ck_assert(json_array_has_string(data, "--no-huge"));
	ck_assert(!json_array_has_string(data, "--in-memory")); /* "false" leaves it out */
	json_decref(data);
	close(fd);

	daemon_stop(&d);
	ck_assert(!runtime_dir_exists(prefix));
	conf_remove(path);
}
END_TEST

START_TEST(the_command_line_wins_over_the_file)
{
	char file_prefix[64], cmd_prefix[64], text[512], line[256];
	char cpu[16];
	const char *path;
	struct daemon d;

	snprintf(file_prefix, sizeof(file_prefix), "%s", hm_test_prefix("cfgfile"));
	snprintf(cmd_prefix, sizeof(cmd_prefix), "%s", hm_test_prefix("cfgcmd"));
	/*
	 * Two lcore options or two --log-level patterns add up or clash in the
	 * EAL: the command line's must replace the file's, not follow them. The
	 * file's lcores are more CPUs than this machine has: a replaced option
	 * need not suit the machine.
	 */
	snprintf(text, sizeof(text),
		 "[eal]\n"
		 "no-huge = true\n"
		 "lcores = 0-127\n"
		 "file-prefix = %s\n"
		 "log-level = *:emerg\n"
		 "no-telemetry = true\n",
		 file_prefix);
	path = conf_write(text);
	/* lcore 1 alone, on a CPU this process may use. */
	snprintf(cpu, sizeof(cpu), "1@%d", hm_test_cpu(hm_test_nb_cpus() - 1));
	daemon_start(&d, ARGS("--file-prefix", cmd_prefix, "--config", path, "--lcores", cpu,
			      "--log-level=info", "--telemetry"));
	summary_value(&d, "prefix", line, sizeof(line));
	ck_assert_msg(strncmp(line, cmd_prefix, strlen(cmd_prefix)) == 0 &&
			  line[strlen(cmd_prefix)] == ',',
		      "prefix: %s", line);
	ck_assert_msg(strstr(line, "1 lcores (main 1)") != NULL, "lcores: %s", line);
	ck_assert(hm_test_has_line(d.out, "hugememd: runtime directory", cmd_prefix));
	ck_assert(runtime_dir_exists(cmd_prefix));
	ck_assert(!runtime_dir_exists(file_prefix));
	/* --telemetry replaced the file's no-telemetry. */
	{
		char runtime_dir[256];
		int fd;

		snprintf(runtime_dir, sizeof(runtime_dir), "%s",
			 summary_value(&d, "runtime directory", line, sizeof(line)));
		fd = telemetry_connect(runtime_dir);
		close(fd);
	}
	daemon_stop(&d);
	/* --log-level=info replaced the file's pattern, which would have silenced it. */
	ck_assert_msg(hm_test_has_line(d.err, "hugemem: eal: primary process", "is up"),
		      "no info log line:\n%s", d.err);
	conf_remove(path);
}
END_TEST

START_TEST(no_huge_on_the_command_line_drops_the_files_hugepage_options)
{
	const char *prefix = hm_test_prefix("cfgnohuge");
	struct daemon d;
	const char *path;
	char text[512];
	int len = snprintf(text, sizeof(text),
			   "[eal]\n"
			   "lcores = %s\n"
			   "socket-mem = 512\n"
			   "socket-limit = 1024\n"
			   "\n"
			   "[slab cfg_small]\n"
			   "size = 32\n",
			   lcore0());

	ck_assert_int_lt(len, (int)sizeof(text));
	path = conf_write(text);
	daemon_start(&d, ARGS("--config", path, "--no-huge", "--file-prefix", prefix));
	ck_assert(hm_test_has_line(d.out, "hugememd: total 64 MiB", NULL));
	ck_assert(hm_test_has_line(d.out, "hugememd: slab cache cfg_small:", NULL));
	daemon_stop(&d);
	conf_remove(path);
}
END_TEST

START_TEST(the_default_configuration_starts_without_hugepages)
{
	const char *prefix = hm_test_prefix("cfgdflt");
	struct daemon d;

	/* Its lcore 0 moved onto a usable CPU: the command line's replaces the file's. */
	daemon_start(&d, ARGS("--config", hm_test_env_path("HM_TEST_CONFIG"), "--no-huge",
			      "--lcores", lcore0(), "--file-prefix", prefix));
	ck_assert(hm_test_has_line(d.out, "hugememd: pktpool rx0:", NULL));
	ck_assert(hm_test_has_line(d.out, "hugememd: slab cache flow:", NULL));
	daemon_stop(&d);
}
END_TEST

START_TEST(the_default_configuration_fits_in_the_hugepages_it_asks_for)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 256, "default_config_hugepages");
	const char *prefix = hm_test_prefix("cfghuge");
	struct daemon d;

	if (h == NULL)
		return;
	daemon_start(&d, ARGS("--config", hm_test_env_path("HM_TEST_CONFIG"), "--huge-dir",
			      h->mount, "--lcores", lcore0(), "--file-prefix", prefix));
	ck_assert(hm_test_has_line(d.out, "hugememd: total 512 MiB", NULL));
	ck_assert(hm_test_has_line(d.out, "hugememd: pktpool rx0:", NULL));
	ck_assert(hm_test_has_line(d.out, "hugememd: slab cache flow:", NULL));
	daemon_stop(&d);
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================== files that do not */

struct bad_file {
	const char *text;
	unsigned int line; /* the line the error names */
	const char *says;  /* and a part of what it says */
	bool after_init;   /* found when creating: the EAL was up and must be down again */
};

static const struct bad_file bad_files[] = {
    /* sections */
    {"[eal]\nno-huge = true\n\n[bogus]\n", 4, "unknown section [bogus]", false},
    {"[slab s\nsize = 8\n", 1, "without ']'", false},
    {"[slab s] size = 8\n", 1, "text after the section header", false},
    {"[mempool]\nn = 8\n", 1, "expected one name", false},
    {"[slab two names]\nsize = 8\n", 1, "expected one name", false},
    {"[eal]\nno-huge = true\n[eal]\n", 3, "[eal] given twice", false},
    {"n = 1\n[slab s]\nsize = 8\n", 1, "outside any section", false},
    /* lines */
    {"[eal]\nno-huge = true\nno equals sign\n", 3, "expected '[section]', 'key = value'", false},
    {"[slab s]\n  size = 8\n", 2, "indented line", false},
    /* keys and values of pools and caches */
    {"[mempool m]\nn = 8\nelt_size = 64\ncolour = red\n", 4, "unknown key 'colour'", false},
    {"[pktpool p]\nn = many\n", 2, "n = many: expected 1 to", false},
    {"[mempool m]\nn = 8\nelt_size = 64\ncache_size = 513\n", 4, "cache_size = 513", false},
    {"[pktpool p]\nn = 8\nsocket = -1\n", 3, "socket = -1: expected any or 0 to", false},
    {"[slab s]\nsize = 64\nalign = 24\n", 3, "align = 24", false},
    {"[slab s]\nsize = 64\nflags = hwcache_align,sparkly\n", 3, "unknown flag 'sparkly'", false},
    {"[mempool m]\nn = 8\nelt_size = 64\nflags = owned,\n", 4, "empty flag", false},
    {"[slab s]\nsize = 8\nsize = 16\n", 3, "'size' given twice (first on line 2)", false},
    {"[eal]\nno-huge = true\n[mempool m]\nn = 8\n", 3, "missing key 'elt_size'", false},
    {"[pktpool p]\n[slab s]\nsize = 8\n", 1, "missing key 'n'", false},
    /* names */
    {"[mempool a]\nn = 8\nelt_size = 8\n[pktpool a]\nn = 8\n", 4, "taken by [mempool a] on line 1",
     false},
    {"[slab s]\nsize = 8\n[slab s]\nsize = 16\n", 3, "taken by [slab s] on line 1", false},
    /* [eal] */
    {"[eal]\nno-huge = yes\n", 2, "no-huge = yes: expected true or false", false},
    {"[eal]\n# megabytes\nsocket-mem = lots\n", 3, "--socket-mem lots", false},
    {"[eal]\nfrobnicate = 1\n", 2, "--frobnicate", false},
    {"[eal]\nfile-prefix =\n", 2, "file-prefix: needs a value", false},
    {"[eal]\nl = 0\nlcores = 0\n", 3, "sets what 'l' on line 2 sets", false},
    {"[eal]\nhelp = true\n", 2, "not an option for a configuration file", false},
    {"[eal]\nno-huge = true\nlcores = 0-127\n", 3, "is not available to this process", false},
    {"[eal]\nno-huge = true\nsocket-mem = 64\n", 1, "--socket-mem cannot be used with --no-huge",
     false},
    /* creation, after hm_eal_init() */
    {"[eal]\nno-huge = true\nlcores = 0\n\n[slab kmalloc-64]\nsize = 64\n", 5,
     "[slab kmalloc-64]: cannot create it: create kmalloc-64: a cache of that name exists", true},
    {"[eal]\nno-huge = true\nlcores = 0\n[mempool huge]\nn = 1000000\nelt_size = 65536\n", 4,
     "[mempool huge]: cannot create it: create huge: no memory", true},
    {"[eal]\nno-huge = true\nlcores = 0\n[slab ok]\nsize = 8\n[mempool m]\nn = 10\nelt_size = "
     "64\ncache_size = 100\n",
     6, "[mempool m]: cannot create it: create m: bad cache size", true},
};

static unsigned int
count_lines(const char *text)
{
	unsigned int n = 0;

	for (; *text != '\0'; text++)
		n += (*text == '\n');
	return n;
}

static const char *
last_line(const char *text, char *buf, size_t len)
{
	size_t n = strlen(text);
	const char *start;

	while (n > 0 && text[n - 1] == '\n')
		n--;
	start = text + n;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(text + n - start), start);
	return buf;
}

START_TEST(each_kind_of_bad_file_gives_exit_1_and_one_line_with_file_and_line)
{
	const struct bad_file *b = &bad_files[_i];
	const char *prefix = hm_test_prefix("cfgbad");
	const char *lcores = strstr(b->text, "lcores = 0\n");
	char where[128], line[1024], text[1024];
	struct daemon d;
	const char *path;

	/* A file that brings the EAL up has its lcore 0 on a usable CPU, on the same line. */
	if (lcores != NULL && b->after_init) {
		int len =
		    snprintf(text, sizeof(text), "%.*slcores = %s\n%s", (int)(lcores - b->text),
			     b->text, lcore0(), lcores + strlen("lcores = 0\n"));

		ck_assert_int_lt(len, (int)sizeof(text));
	} else {
		snprintf(text, sizeof(text), "%s", b->text);
	}
	path = conf_write(text);
	ck_assert_int_eq(daemon_run(&d, ARGS("--config", path, "--file-prefix", prefix)), 1);
	snprintf(where, sizeof(where), "hugememd: %s:%u: ", path, b->line);
	last_line(d.err, line, sizeof(line));
	ck_assert_msg(strncmp(line, where, strlen(where)) == 0 && strstr(line, b->says) != NULL,
		      "file:\n%s\nwanted a line starting '%s' and saying '%s'; stderr:\n%s", text,
		      where, b->says, d.err);
	/* Before the EAL is up the error is all there is; after, the EAL may have talked. */
	if (!b->after_init)
		ck_assert_msg(count_lines(d.err) == 1, "more than one line:\n%s", d.err);
	ck_assert_msg(d.out[0] == '\0' || b->after_init, "stdout:\n%s", d.out);
	ck_assert(!runtime_dir_exists(prefix));
	conf_remove(path);
}
END_TEST

START_TEST(a_missing_file_gives_exit_1_and_names_it)
{
	struct daemon d;

	ck_assert_int_eq(daemon_run(&d, ARGS("--config", "/nonexistent/hugemem.conf",
					     "--file-prefix", hm_test_prefix("cfgmiss"))),
			 1);
	ck_assert_msg(hm_test_has_line(d.err, "hugememd: /nonexistent/hugemem.conf:",
				       "No such file or directory"),
		      "stderr:\n%s", d.err);
	ck_assert_uint_eq(count_lines(d.err), 1);
}
END_TEST

START_TEST(config_without_a_file_gives_exit_1)
{
	struct daemon d;

	ck_assert_int_eq(daemon_run(&d, ARGS("--no-huge", "--config")), 1);
	ck_assert_msg(hm_test_has_line(d.err, "option --config: needs a FILE", NULL), "stderr:\n%s",
		      d.err);
	ck_assert_int_eq(daemon_run(&d, ARGS("--config=", "--no-huge")), 1);
	ck_assert_msg(hm_test_has_line(d.err, "option --config: needs a FILE", NULL), "stderr:\n%s",
		      d.err);
	ck_assert_int_eq(daemon_run(&d, ARGS("--config", "a.conf", "--config=b.conf")), 1);
	ck_assert_msg(hm_test_has_line(d.err, "option --config: given twice", NULL), "stderr:\n%s",
		      d.err);
}
END_TEST

START_TEST(help_tells_of_config)
{
	struct daemon d;

	ck_assert_int_eq(daemon_run(&d, ARGS("--help")), 0);
	ck_assert_msg(hm_test_has_line(d.out, "--config FILE", NULL), "stdout:\n%s", d.out);
	ck_assert(hm_test_has_line(d.out, "--file-prefix", NULL)); /* and of the EAL options */
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_no_huge_config_starts_and_creates_its_pools_and_caches);
	tcase_add_test(tc, the_command_line_wins_over_the_file);
	tcase_add_test(tc, no_huge_on_the_command_line_drops_the_files_hugepage_options);
	tcase_add_test(tc, the_default_configuration_starts_without_hugepages);
	tcase_add_test(tc, the_default_configuration_fits_in_the_hugepages_it_asks_for);
	tcase_add_loop_test(tc, each_kind_of_bad_file_gives_exit_1_and_one_line_with_file_and_line,
			    0, (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, a_missing_file_gives_exit_1_and_names_it);
	tcase_add_test(tc, config_without_a_file_gives_exit_1);
	tcase_add_test(tc, help_tells_of_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(config_suite());
}

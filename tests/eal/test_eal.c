/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the EAL: the command line, hm_eal_init()/hm_eal_cleanup(), the
 * runtime directory and the primary lock, lcore threads, and logging.
 *
 * Everything here runs without hugepages: every hm_eal_init() that is meant
 * to succeed passes --no-huge and a --file-prefix of its own
 * (hm_test_prefix() appends the pid, and Check forks each test), so tests
 * never meet each other's runtime directory.
 *
 * The option tests call hm_eal_parse_args() and hm_eal_check_options()
 * directly: they have no side effects, so a test can parse as many command
 * lines as it likes. hm_eal_init() can be up once per process, which is why
 * the suite must run with CK_FORK: each test gets a fresh process.
 *
 * Tests that look at log lines redirect fd 2 to a temporary file (the log
 * writes with write(2) on STDERR_FILENO), and the tests that run hugememd
 * give the child that file as its stderr.
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include <hugemem/eal.h>
#include <hugemem/hugemem.h>

#include "../common/hm_test.h"
#include "eal_pvt.h"

/* A NULL-terminated argument list (without argv[0]). */
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#define HUGEMEMD_TIMEOUT_MS 5000

/* ============================================================== helpers */

/* argv as hm_eal_parse_args() sees it: "hm_test" followed by args. */
struct cmdline {
	int argc;
	char *argv[48];
};

static void
cmdline_init(struct cmdline *cl, const char *const *args)
{
	cl->argc = 0;
	cl->argv[cl->argc++] = (char *)"hm_test";
	while (*args != NULL && cl->argc < (int)HM_DIM(cl->argv) - 1)
		cl->argv[cl->argc++] = (char *)*args++;
	cl->argv[cl->argc] = NULL;
}

static int
parse(const char *const *args, struct hm_eal_config *cfg)
{
	struct cmdline cl;

	cmdline_init(&cl, args);
	return hm_eal_parse_args(cl.argc, cl.argv, cfg);
}

/* What hm_eal_init() decides before it touches anything: parse, then check. */
static int
parse_and_check(const char *const *args, struct hm_eal_config *cfg)
{
	int ret = parse(args, cfg);

	return ret < 0 ? ret : hm_eal_check_options(cfg);
}

static void
prefix_init(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s", hm_test_prefix(tag));
}

static bool
runtime_dir_exists(const char *prefix)
{
	char path[PATH_MAX];
	struct stat st;

	ck_assert_int_eq(hm_runtime_dir_path(prefix, path, sizeof(path)), 0);
	return stat(path, &st) == 0;
}

static cpu_set_t
allowed_cpus(void)
{
	cpu_set_t set;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return set;
}

static int
first_allowed_cpu(void)
{
	cpu_set_t set = allowed_cpus();

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	ck_abort_msg("this process may run on no cpu");
	return -1;
}

/* A cpu id this process may not run on (the machine may not even have it). */
static int
first_unavailable_cpu(void)
{
	cpu_set_t set = allowed_cpus();

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (!CPU_ISSET(cpu, &set))
			return cpu;
	ck_abort_msg("every cpu id is allowed");
	return -1;
}

static unsigned int
count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* ------------------------------------------------------------ hugememd */

/*
 * Run hugememd with args, its stderr in err. Returns its exit status; a
 * hugememd still running after the timeout is killed and fails the test.
 */
static int
run_hugememd(const char *const *args, char *err, size_t errlen)
{
	const char *path = getenv("HM_TEST_HUGEMEMD");
	struct hm_test_capture c;
	pid_t pid;
	int status;

	ck_assert_msg(path != NULL, "HM_TEST_HUGEMEMD is not set (run through meson test)");
	hm_test_capture_start(&c);
	pid = hm_test_spawn(path, args);
	hm_test_capture_stop(&c);
	ck_assert_int_gt(pid, 0);
	status = hm_test_wait(pid, HUGEMEMD_TIMEOUT_MS);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	hm_test_capture_read(&c, err, errlen);
	ck_assert_msg(status != -1, "hugememd still running after %d ms; stderr: %s",
		      HUGEMEMD_TIMEOUT_MS, err);
	ck_assert_msg(status != 127, "cannot execute %s", path);
	return status;
}

/* ================================================= options that parse */

struct lcore_case {
	const char *opt; /* "-l", "-c" or "--lcores" */
	const char *arg;
	char lcore_opt;		 /* what cfg->lcore_opt must say */
	uint32_t lcores;	 /* bit i: lcore i enabled (lcore ids < 32 here) */
	unsigned int main_lcore; /* the lowest enabled lcore */
	uint32_t cpus[8];	 /* bit c of cpus[i]: lcore i may run on cpu c */
};

static const struct lcore_case lcore_cases[] = {
    {"-l", "0", 'l', 0x1, 0, {0x1}},
    {"-l", "0-1", 'l', 0x3, 0, {0x1, 0x2}},
    {"-l", "0,1", 'l', 0x3, 0, {0x1, 0x2}},
    {"-l", "1-1", 'l', 0x2, 1, {0, 0x2}},
    {"-l", "1,3-4", 'l', 0x1a, 1, {0, 0x2, 0, 0x8, 0x10}},
    {"-c", "0x3", 'c', 0x3, 0, {0x1, 0x2}},
    {"-c", "3", 'c', 0x3, 0, {0x1, 0x2}},
    {"-c", "0x1", 'c', 0x1, 0, {0x1}},
    {"-c", "0x12", 'c', 0x12, 1, {0, 0x2, 0, 0, 0x10}},
    {"-c", "0XA", 'c', 0xa, 1, {0, 0x2, 0, 0x8}},
    /* DPDK: a bare range is one lcore per cpu of the same id... */
    {"--lcores", "0-1", 'L', 0x3, 0, {0x1, 0x2}},
    /* ...a group shares its cpus between its lcores. */
    {"--lcores", "(0,1)", 'L', 0x3, 0, {0x3, 0x3}},
    {"--lcores", "(0,1)@0", 'L', 0x3, 0, {0x1, 0x1}},
    {"--lcores", "0@0,1@1", 'L', 0x3, 0, {0x1, 0x2}},
    {"--lcores", "0@1,1@0", 'L', 0x3, 0, {0x2, 0x1}},
    {"--lcores", "(0-1)@(0-1)", 'L', 0x3, 0, {0x3, 0x3}},
    {"--lcores", "2@(0,1),3", 'L', 0xc, 2, {0, 0, 0x3, 0x8}},
};

/* cfg must hold exactly the lcores of c, each with exactly its cpus. */
static void
check_lcores(const struct lcore_case *c, const struct hm_eal_config *cfg)
{
	unsigned int count = (unsigned int)__builtin_popcount(c->lcores);

	ck_assert_msg(cfg->lcore_opt == c->lcore_opt, "%s %s: lcore_opt '%c'", c->opt, c->arg,
		      cfg->lcore_opt);
	ck_assert_msg(cfg->lcore_count == count, "%s %s: lcore_count %u, expected %u", c->opt,
		      c->arg, cfg->lcore_count, count);
	ck_assert_msg(cfg->main_lcore == c->main_lcore, "%s %s: main lcore %u, expected %u", c->opt,
		      c->arg, cfg->main_lcore, c->main_lcore);
	for (unsigned int i = 0; i < HM_MAX_LCORE; i++) {
		bool want = i < 32 && ((c->lcores >> i) & 1);
		const cpu_set_t *set = &cfg->lcores[i].cpuset;

		ck_assert_msg(cfg->lcores[i].enabled == want, "%s %s: lcore %u is %s", c->opt,
			      c->arg, i, want ? "disabled" : "enabled");
		if (!want)
			continue;
		ck_assert_msg(CPU_COUNT(set) == __builtin_popcount(c->cpus[i]),
			      "%s %s: lcore %u has %d cpus, expected %d", c->opt, c->arg, i,
			      CPU_COUNT(set), __builtin_popcount(c->cpus[i]));
		for (unsigned int cpu = 0; cpu < 32; cpu++) {
			bool in = CPU_ISSET(cpu, set) != 0;

			ck_assert_msg(in == ((c->cpus[i] >> cpu) & 1),
				      "%s %s: lcore %u: cpu %u is wrongly %s its set", c->opt,
				      c->arg, i, cpu, in ? "in" : "not in");
		}
	}
}

START_TEST(lcore_options_enable_the_listed_lcores_on_their_cpus)
{
	for (unsigned int k = 0; k < HM_DIM(lcore_cases); k++) {
		const struct lcore_case *c = &lcore_cases[k];
		struct hm_eal_config cfg;
		int ret = parse(ARGS(c->opt, c->arg), &cfg);

		ck_assert_msg(ret == 2, "%s %s: parse returned %d, expected 2", c->opt, c->arg,
			      ret);
		check_lcores(c, &cfg);
	}
}
END_TEST

START_TEST(no_lcore_option_gives_one_lcore_per_allowed_cpu)
{
	cpu_set_t allowed = allowed_cpus();
	struct hm_eal_config cfg;
	unsigned int expected = 0;

	ck_assert_int_eq(parse(ARGS("--no-huge"), &cfg), 1);
	ck_assert_int_eq(cfg.lcore_opt, 0);
	for (unsigned int i = 0; i < HM_MAX_LCORE; i++) {
		ck_assert_int_eq(cfg.lcores[i].enabled, CPU_ISSET(i, &allowed) != 0);
		if (!cfg.lcores[i].enabled)
			continue;
		expected++;
		ck_assert_int_eq(CPU_COUNT(&cfg.lcores[i].cpuset), 1);
		ck_assert(CPU_ISSET(i, &cfg.lcores[i].cpuset));
	}
	ck_assert_uint_eq(cfg.lcore_count, expected);
	ck_assert_uint_eq(cfg.main_lcore, (unsigned int)first_allowed_cpu());
}
END_TEST

START_TEST(defaults_are_those_documented)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("-l", "0"), &cfg), 2);
	ck_assert_str_eq(cfg.file_prefix, HM_DEFAULT_PREFIX);
	ck_assert_int_eq(cfg.proc_type, HM_PROC_PRIMARY);
	ck_assert_int_eq(cfg.iova_mode, HM_IOVA_DC);
	ck_assert(cfg.telemetry);
	ck_assert(!cfg.no_huge);
	ck_assert(!cfg.in_memory);
	ck_assert_uint_eq(cfg.base_virtaddr, HM_DEFAULT_BASE_VIRTADDR);
	ck_assert(!cfg.base_virtaddr_given);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_EXISTING);
	ck_assert(!cfg.huge_unlink_given);
	ck_assert(!cfg.mem_parsed);
	ck_assert(!cfg.force_sockets);
	ck_assert(!cfg.force_socket_limits);
	ck_assert_str_eq(cfg.huge_dir, "");
	ck_assert_int_eq(cfg.log_level, 0);
	ck_assert_uint_eq(cfg.nb_log_patterns, 0);
	ck_assert_uint_eq(cfg.nchannel, 0);
}
END_TEST

START_TEST(memory_sizes_are_megabytes_stored_as_bytes)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("-n", "4", "-m", "128"), &cfg), 4);
	ck_assert_uint_eq(cfg.nchannel, 4);
	ck_assert(cfg.mem_parsed);
	ck_assert_uint_eq(cfg.memory, 128ULL << 20);

	ck_assert_int_eq(parse(ARGS("--socket-mem", "512,0", "--socket-limit", "1024,0"), &cfg), 4);
	ck_assert(cfg.force_sockets);
	ck_assert(cfg.force_socket_limits);
	ck_assert(!cfg.mem_parsed);
	ck_assert_uint_eq(cfg.socket_mem[0], 512ULL << 20);
	ck_assert_uint_eq(cfg.socket_mem[1], 0);
	ck_assert_uint_eq(cfg.socket_limit[0], 1024ULL << 20);
	ck_assert_uint_eq(cfg.socket_limit[1], 0);

	/* All HM_MAX_NUMA_NODES sockets may be given. */
	ck_assert_int_eq(parse(ARGS("--socket-mem", "1,2,3,4,5,6,7,8"), &cfg), 2);
	for (unsigned int s = 0; s < HM_MAX_NUMA_NODES; s++)
		ck_assert_uint_eq(cfg.socket_mem[s], (uint64_t)(s + 1) << 20);
}
END_TEST

START_TEST(paths_prefix_and_flags_are_stored)
{
	char prefix47[48];
	struct hm_eal_config cfg;

	ck_assert_int_eq(
	    parse(ARGS("--huge-dir", "/x", "--file-prefix", "foo", "--no-huge", "--in-memory"),
		  &cfg),
	    6);
	ck_assert_str_eq(cfg.huge_dir, "/x");
	ck_assert_str_eq(cfg.file_prefix, "foo");
	ck_assert(cfg.no_huge);
	ck_assert(cfg.in_memory);

	/* The longest prefix that fits HM_FILE_PREFIX_MAX with its NUL. */
	memset(prefix47, 'p', 47);
	prefix47[47] = '\0';
	ck_assert_int_eq(parse(ARGS("--file-prefix", prefix47), &cfg), 2);
	ck_assert_str_eq(cfg.file_prefix, prefix47);
}
END_TEST

START_TEST(proc_type_and_iova_mode_values_are_recognised)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--proc-type", "primary"), &cfg), 2);
	ck_assert_int_eq(cfg.proc_type, HM_PROC_PRIMARY);
	ck_assert_int_eq(parse(ARGS("--proc-type", "secondary"), &cfg), 2);
	ck_assert_int_eq(cfg.proc_type, HM_PROC_SECONDARY);
	ck_assert_int_eq(parse(ARGS("--proc-type=auto"), &cfg), 1);
	ck_assert_int_eq(cfg.proc_type, HM_PROC_AUTO);

	ck_assert_int_eq(parse(ARGS("--iova-mode", "pa"), &cfg), 2);
	ck_assert_int_eq(cfg.iova_mode, HM_IOVA_PA);
	ck_assert_int_eq(parse(ARGS("--iova-mode=va"), &cfg), 1);
	ck_assert_int_eq(cfg.iova_mode, HM_IOVA_VA);
}
END_TEST

START_TEST(base_virtaddr_accepts_hex_and_decimal)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--base-virtaddr", "0x200000000000"), &cfg), 2);
	ck_assert(cfg.base_virtaddr_given);
	ck_assert_uint_eq(cfg.base_virtaddr, 0x200000000000ULL);

	ck_assert_int_eq(parse(ARGS("--base-virtaddr", "35184372088832"), &cfg), 2);
	ck_assert_uint_eq(cfg.base_virtaddr, 0x200000000000ULL);
}
END_TEST

START_TEST(huge_unlink_alone_means_always_and_values_are_recognised)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--huge-unlink"), &cfg), 1);
	ck_assert(cfg.huge_unlink_given);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_ALWAYS);

	ck_assert_int_eq(parse(ARGS("--huge-unlink=always"), &cfg), 1);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_ALWAYS);

	ck_assert_int_eq(parse(ARGS("--huge-unlink=existing"), &cfg), 1);
	ck_assert(cfg.huge_unlink_given);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_EXISTING);

	ck_assert_int_eq(parse(ARGS("--huge-unlink=never"), &cfg), 1);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_NEVER);
}
END_TEST

START_TEST(log_level_takes_a_level_a_glob_or_a_regex)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--log-level", "8"), &cfg), 2);
	ck_assert_int_eq(cfg.log_level, HM_LOG_DEBUG);
	ck_assert_uint_eq(cfg.nb_log_patterns, 0);

	ck_assert_int_eq(parse(ARGS("--log-level", "debug"), &cfg), 2);
	ck_assert_int_eq(cfg.log_level, HM_LOG_DEBUG);

	ck_assert_int_eq(parse(ARGS("--log-level", "eal:debug"), &cfg), 2);
	ck_assert_int_eq(cfg.log_level, 0);
	ck_assert_uint_eq(cfg.nb_log_patterns, 1);
	ck_assert_str_eq(cfg.log_patterns[0].pattern, "eal");
	ck_assert_int_eq(cfg.log_patterns[0].level, HM_LOG_DEBUG);
	ck_assert(!cfg.log_patterns[0].regex);

	ck_assert_int_eq(parse(ARGS("--log-level", "^mem,7"), &cfg), 2);
	ck_assert_uint_eq(cfg.nb_log_patterns, 1);
	ck_assert_str_eq(cfg.log_patterns[0].pattern, "^mem");
	ck_assert_int_eq(cfg.log_patterns[0].level, HM_LOG_INFO);
	ck_assert(cfg.log_patterns[0].regex);

	/* Patterns accumulate in command line order, next to a global level. */
	ck_assert_int_eq(
	    parse(ARGS("--log-level", "3", "--log-level", "eal:err", "--log-level", "mem*:info"),
		  &cfg),
	    6);
	ck_assert_int_eq(cfg.log_level, HM_LOG_CRIT);
	ck_assert_uint_eq(cfg.nb_log_patterns, 2);
	ck_assert_str_eq(cfg.log_patterns[0].pattern, "eal");
	ck_assert_str_eq(cfg.log_patterns[1].pattern, "mem*");
	ck_assert_int_eq(cfg.log_patterns[1].level, HM_LOG_INFO);
}
END_TEST

START_TEST(telemetry_last_option_wins)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--no-telemetry"), &cfg), 1);
	ck_assert(!cfg.telemetry);
	ck_assert_int_eq(parse(ARGS("--no-telemetry", "--telemetry"), &cfg), 2);
	ck_assert(cfg.telemetry);
	ck_assert_int_eq(parse(ARGS("--telemetry", "--no-telemetry"), &cfg), 2);
	ck_assert(!cfg.telemetry);
}
END_TEST

START_TEST(parse_returns_consumed_count_and_puts_program_name_before_app_args)
{
	struct hm_eal_config cfg;
	struct cmdline cl;
	int ret;

	/* Nothing to parse. */
	cmdline_init(&cl, ARGS(NULL));
	ck_assert_int_eq(hm_eal_parse_args(cl.argc, cl.argv, &cfg), 0);
	ck_assert_str_eq(cl.argv[0], "hm_test");

	/* Options only. */
	cmdline_init(&cl, ARGS("-l", "0", "-n", "4"));
	ret = hm_eal_parse_args(cl.argc, cl.argv, &cfg);
	ck_assert_int_eq(ret, 4);
	ck_assert_str_eq(cl.argv[ret], "hm_test");

	/* "--" ends the EAL options; what follows is the application's. */
	cmdline_init(&cl, ARGS("-l", "0", "--", "-n", "4"));
	ret = hm_eal_parse_args(cl.argc, cl.argv, &cfg);
	ck_assert_int_eq(ret, 3);
	ck_assert_str_eq(cl.argv[ret], "hm_test");
	ck_assert_str_eq(cl.argv[ret + 1], "-n");
	ck_assert_uint_eq(cfg.nchannel, 0);

	/* So does the first non-option, even with options after it. */
	cmdline_init(&cl, ARGS("-l", "0", "app", "-n", "4"));
	ret = hm_eal_parse_args(cl.argc, cl.argv, &cfg);
	ck_assert_int_eq(ret, 2);
	ck_assert_str_eq(cl.argv[ret], "hm_test");
	ck_assert_str_eq(cl.argv[ret + 1], "app");
	ck_assert_str_eq(cl.argv[ret + 2], "-n");
	ck_assert_uint_eq(cfg.nchannel, 0);

	/* An optional value must be attached: "never" is an application argument. */
	cmdline_init(&cl, ARGS("--huge-unlink", "never"));
	ret = hm_eal_parse_args(cl.argc, cl.argv, &cfg);
	ck_assert_int_eq(ret, 1);
	ck_assert_int_eq(cfg.huge_unlink, HM_HUGE_UNLINK_ALWAYS);
	ck_assert_str_eq(cl.argv[ret + 1], "never");
}
END_TEST

/* =========================================== options that are refused */

struct bad_case {
	const char *what;
	const char *const *args;
};

static const struct bad_case bad_values[] = {
    {"unknown long option", ARGS("--bogus")},
    {"unknown short option", ARGS("-x")},
    {"-l without value", ARGS("-l")},
    {"--file-prefix without value", ARGS("--file-prefix")},
    {"flag given a value", ARGS("--no-huge=yes")},
    {"-l empty", ARGS("-l", "")},
    {"-l not a number", ARGS("-l", "a")},
    {"-l open range", ARGS("-l", "1-")},
    {"-l reversed range", ARGS("-l", "3-1")},
    {"-l empty element", ARGS("-l", "0,,1")},
    {"-l trailing comma", ARGS("-l", "0,")},
    {"-l lcore above HM_MAX_LCORE", ARGS("-l", "200")},
    {"-l lcore HM_MAX_LCORE", ARGS("-l", "128")},
    {"-l duplicate lcore", ARGS("-l", "0,0")},
    {"-l duplicate in range", ARGS("-l", "0-1,1")},
    {"-l twice", ARGS("-l", "0", "-l", "1")},
    {"-c empty", ARGS("-c", "")},
    {"-c bare 0x", ARGS("-c", "0x")},
    {"-c zero", ARGS("-c", "0x0")},
    {"-c not hex", ARGS("-c", "xyz")},
    {"-c lcore above HM_MAX_LCORE", ARGS("-c", "0x100000000000000000000000000000000")},
    {"--lcores unclosed group", ARGS("--lcores", "(0-1")},
    {"--lcores empty cpu set", ARGS("--lcores", "0@")},
    {"--lcores unclosed cpu group", ARGS("--lcores", "0@(1")},
    {"--lcores stray ')'", ARGS("--lcores", "0@1)")},
    {"--lcores empty", ARGS("--lcores", "")},
    {"--lcores duplicate lcore", ARGS("--lcores", "0,0")},
    {"--lcores lcore HM_MAX_LCORE", ARGS("--lcores", "128@0")},
    {"-n zero", ARGS("-n", "0")},
    {"-n not a number", ARGS("-n", "abc")},
    {"-n above 64", ARGS("-n", "65")},
    {"-m zero", ARGS("-m", "0")},
    {"-m negative", ARGS("-m", "-5")},
    {"-m trailing junk", ARGS("-m", "12abc")},
    {"-m empty", ARGS("-m", "")},
    {"--socket-mem not a number", ARGS("--socket-mem", "a")},
    {"--socket-mem empty element", ARGS("--socket-mem", "1,,2")},
    {"--socket-mem trailing comma", ARGS("--socket-mem", "512,")},
    {"--socket-mem 9 sockets", ARGS("--socket-mem", "1,1,1,1,1,1,1,1,1")},
    {"--socket-limit not a number", ARGS("--socket-limit", "x")},
    {"--proc-type unknown", ARGS("--proc-type", "foo")},
    {"--iova-mode unknown", ARGS("--iova-mode", "xx")},
    {"--file-prefix empty", ARGS("--file-prefix", "")},
    {"--file-prefix with '/'", ARGS("--file-prefix", "a/b")},
    {"--file-prefix with '%'", ARGS("--file-prefix", "a%b")},
    {"--file-prefix '..'", ARGS("--file-prefix", "..")},
    {"--file-prefix 48 chars",
     ARGS("--file-prefix", "pppppppppppppppppppppppppppppppppppppppppppppppp")},
    {"--file-prefix 60 chars",
     ARGS("--file-prefix", "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp")},
    {"--base-virtaddr zero", ARGS("--base-virtaddr", "0")},
    {"--base-virtaddr unaligned", ARGS("--base-virtaddr", "0x1234")},
    {"--base-virtaddr 1 GiB + 4 KiB", ARGS("--base-virtaddr", "0x40001000")},
    {"--base-virtaddr not a number", ARGS("--base-virtaddr", "zz")},
    {"--base-virtaddr above 64 TiB", ARGS("--base-virtaddr", "0x400000000000")},
    {"--huge-unlink unknown", ARGS("--huge-unlink=sometimes")},
    {"--huge-unlink empty", ARGS("--huge-unlink=")},
    {"--log-level unknown name", ARGS("--log-level", "foo")},
    {"--log-level 9", ARGS("--log-level", "9")},
    {"--log-level 0", ARGS("--log-level", "0")},
    {"--log-level pattern with unknown level", ARGS("--log-level", "eal:nope")},
    {"--log-level empty pattern", ARGS("--log-level", ":debug")},
    {"--huge-dir relative", ARGS("--huge-dir", "x")},
    {"--huge-dir dot relative", ARGS("--huge-dir", "./x")},
};

START_TEST(bad_values_are_refused_by_the_parser)
{
	for (unsigned int k = 0; k < HM_DIM(bad_values); k++) {
		struct hm_eal_config cfg;
		int ret = parse(bad_values[k].args, &cfg);

		ck_assert_msg(ret == -EINVAL, "%s: hm_eal_parse_args returned %d, expected -EINVAL",
			      bad_values[k].what, ret);
	}
}
END_TEST

/* A refusal is one log line that names the option and, when there is one, the value. */
struct refusal_line {
	const char *const *args;
	const char *option;
	const char *value;
};

static const struct refusal_line refusal_lines[] = {
    {ARGS("-l", "zz"), "-l", "zz"},
    {ARGS("-c", "xyz"), "-c", "xyz"},
    {ARGS("--lcores", "0@"), "--lcores", "0@"},
    {ARGS("-n", "abc"), "-n", "abc"},
    {ARGS("-m", "12abc"), "-m", "12abc"},
    {ARGS("--socket-mem", "1,,2"), "--socket-mem", "1,,2"},
    {ARGS("--file-prefix", "a/b"), "--file-prefix", "a/b"},
    {ARGS("--base-virtaddr", "0x1234"), "--base-virtaddr", "0x1234"},
    {ARGS("--huge-unlink=sometimes"), "--huge-unlink", "sometimes"},
    {ARGS("--log-level", "eal:nope"), "--log-level", "eal:nope"},
    {ARGS("--bogus"), "--bogus", NULL},
    {ARGS("-x"), "-x", NULL},
    {ARGS("-n"), "-n", NULL},
    {ARGS("--file-prefix"), "--file-prefix", NULL},
    {ARGS("--no-huge=yes"), "--no-huge", NULL},
};

START_TEST(each_refused_option_logs_one_line_naming_it)
{
	for (unsigned int k = 0; k < HM_DIM(refusal_lines); k++) {
		const struct refusal_line *r = &refusal_lines[k];
		struct hm_eal_config cfg;
		struct hm_test_capture c;
		char out[4096];
		int ret;

		hm_test_capture_start(&c);
		ret = parse(r->args, &cfg);
		hm_test_capture_stop(&c);
		hm_test_capture_read(&c, out, sizeof(out));
		ck_assert_msg(ret == -EINVAL, "%s: parse returned %d", r->option, ret);
		ck_assert_msg(count_lines(out) == 1, "%s: expected one log line, got: \"%s\"",
			      r->option, out);
		ck_assert_msg(strstr(out, r->option) != NULL, "%s: the line does not name it: %s",
			      r->option, out);
		ck_assert_msg(r->value == NULL || strstr(out, r->value) != NULL,
			      "%s %s: the line does not name the value: %s", r->option, r->value,
			      out);
	}
}
END_TEST

/* Each pair parses, and is refused as a combination. */
static const struct bad_case bad_pairs[] = {
    {"-m with --socket-mem", ARGS("-m", "64", "--socket-mem", "64")},
    {"--socket-mem with --no-huge", ARGS("--socket-mem", "64", "--no-huge")},
    {"--socket-limit with --no-huge", ARGS("--socket-limit", "64", "--no-huge")},
    {"--huge-unlink with --no-huge", ARGS("--huge-unlink", "--no-huge")},
    {"--huge-unlink=always with --no-huge", ARGS("--no-huge", "--huge-unlink=always")},
    {"--in-memory with --huge-unlink=never", ARGS("--in-memory", "--huge-unlink=never")},
    {"--in-memory with --no-huge", ARGS("--in-memory", "--no-huge")},
    {"--proc-type=secondary with --in-memory", ARGS("--proc-type=secondary", "--in-memory")},
    {"--proc-type=secondary with --no-huge", ARGS("--proc-type=secondary", "--no-huge")},
    {"--iova-mode=pa with --no-huge", ARGS("--iova-mode=pa", "--no-huge")},
    {"--socket-limit below --socket-mem",
     ARGS("--socket-mem", "512,256", "--socket-limit", "1024,128")},
    {"--socket-mem of zero everywhere", ARGS("--socket-mem", "0,0")},
};

START_TEST(incompatible_options_are_refused_by_the_check)
{
	for (unsigned int k = 0; k < HM_DIM(bad_pairs); k++) {
		struct hm_eal_config cfg;
		int ret = parse(bad_pairs[k].args, &cfg);

		ck_assert_msg(ret >= 0, "%s: refused by the parser (%d), not by the check",
			      bad_pairs[k].what, ret);
		ret = hm_eal_check_options(&cfg);
		ck_assert_msg(ret == -EINVAL,
			      "%s: hm_eal_check_options returned %d, expected -EINVAL",
			      bad_pairs[k].what, ret);
	}
}
END_TEST

START_TEST(only_one_lcore_option_is_accepted)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse_and_check(ARGS("-c", "0x1", "-l", "0"), &cfg), -EINVAL);
	ck_assert_int_eq(parse_and_check(ARGS("-l", "0", "-c", "0x1"), &cfg), -EINVAL);
	ck_assert_int_eq(parse_and_check(ARGS("-l", "0", "--lcores", "0"), &cfg), -EINVAL);
	ck_assert_int_eq(parse_and_check(ARGS("--lcores", "0", "-l", "0"), &cfg), -EINVAL);
	ck_assert_int_eq(parse_and_check(ARGS("-c", "1", "--lcores", "0"), &cfg), -EINVAL);
}
END_TEST

START_TEST(lcore_on_a_cpu_outside_the_affinity_mask_is_refused)
{
	int bad = first_unavailable_cpu(), good = first_allowed_cpu();
	struct hm_eal_config cfg;
	char arg[32];

	snprintf(arg, sizeof(arg), "0@%d", bad);
	ck_assert_int_ge(parse(ARGS("--lcores", arg), &cfg), 0);
	ck_assert_int_eq(hm_eal_check_options(&cfg), -EINVAL);

	/* A cpu in a group: the whole set must be allowed. */
	snprintf(arg, sizeof(arg), "0@(%d,%d)", good, bad);
	ck_assert_int_ge(parse(ARGS("--lcores", arg), &cfg), 0);
	ck_assert_int_eq(hm_eal_check_options(&cfg), -EINVAL);

	if (bad < HM_MAX_LCORE) {
		snprintf(arg, sizeof(arg), "%d", bad);
		ck_assert_int_ge(parse(ARGS("-l", arg), &cfg), 0);
		ck_assert_int_eq(hm_eal_check_options(&cfg), -EINVAL);
	}

	/* The same lcore on an allowed cpu passes. */
	snprintf(arg, sizeof(arg), "0@%d", good);
	ck_assert_int_eq(parse_and_check(ARGS("--lcores", arg), &cfg), 0);
}
END_TEST

/* Neighbours of the refused pairs that DPDK accepts, and so must we. */
static const struct bad_case good_combinations[] = {
    {"-m with --no-huge", ARGS("-m", "64", "--no-huge")},
    {"--socket-limit above --socket-mem",
     ARGS("--socket-mem", "512,0", "--socket-limit", "1024,0")},
    {"--socket-limit equal to --socket-mem", ARGS("--socket-mem", "512", "--socket-limit", "512")},
    {"--socket-limit 0 (no limit) on a socket",
     ARGS("--socket-mem", "0,512", "--socket-limit", "1024,0")},
    {"--huge-unlink=existing with --no-huge", ARGS("--huge-unlink=existing", "--no-huge")},
    {"--huge-unlink=never with --no-huge", ARGS("--huge-unlink=never", "--no-huge")},
    {"--in-memory with --huge-unlink", ARGS("--in-memory", "--huge-unlink")},
    {"--proc-type=auto with --no-huge", ARGS("--proc-type=auto", "--no-huge")},
    {"--proc-type=primary with --no-huge", ARGS("--proc-type=primary", "--no-huge")},
    {"--iova-mode=va with --no-huge", ARGS("--iova-mode=va", "--no-huge")},
    {"--iova-mode=pa with hugepages", ARGS("--iova-mode=pa")},
    {"--proc-type=secondary with hugepages", ARGS("--proc-type=secondary")},
};

START_TEST(compatible_combinations_pass_the_check)
{
	for (unsigned int k = 0; k < HM_DIM(good_combinations); k++) {
		struct hm_eal_config cfg;
		int ret = parse_and_check(good_combinations[k].args, &cfg);

		ck_assert_msg(ret == 0, "%s: refused with %d", good_combinations[k].what, ret);
	}
}
END_TEST

/* ============================================= hm_eal_init and cleanup */

START_TEST(init_no_huge_brings_up_a_primary_and_cleanup_removes_everything)
{
	cpu_set_t allowed = allowed_cpus();
	char prefix[48], dir[PATH_MAX];
	struct cmdline cl;
	struct stat st;
	int ret;

	prefix_init(prefix, sizeof(prefix), "init");
	ck_assert_int_eq(hm_runtime_dir_path(prefix, dir, sizeof(dir)), 0);
	ck_assert(!hm_eal_initialized());
	ck_assert_uint_eq(hm_lcore_id(), HM_LCORE_ID_ANY);

	cmdline_init(&cl, ARGS("--no-huge", "--file-prefix", prefix, "--", "app-arg"));
	ret = hm_eal_init(cl.argc, cl.argv);
	ck_assert_int_eq(ret, 4);
	ck_assert_str_eq(cl.argv[ret], "hm_test");
	ck_assert_str_eq(cl.argv[ret + 1], "app-arg");

	ck_assert(hm_eal_initialized());
	ck_assert_int_eq(hm_eal_process_type(), HM_PROC_PRIMARY);
	ck_assert_int_eq(hm_eal_iova_mode(), HM_IOVA_VA);
	ck_assert(!hm_eal_has_hugepages());
	ck_assert(hm_eal_telemetry_enabled());
	ck_assert_str_eq(hm_eal_file_prefix(), prefix);
	ck_assert_str_eq(hm_eal_runtime_dir(), dir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	/* Default lcores: one per allowed cpu; this thread is the main one. */
	ck_assert_uint_eq(hm_lcore_count(), (unsigned int)CPU_COUNT(&allowed));
	ck_assert_uint_eq(hm_get_main_lcore(), (unsigned int)first_allowed_cpu());
	ck_assert_uint_eq(hm_lcore_id(), hm_get_main_lcore());
	ck_assert(hm_lcore_is_enabled(hm_get_main_lcore()));

	cmdline_init(&cl, ARGS("--no-huge", "--file-prefix", prefix));
	ck_assert_int_eq(hm_eal_init(cl.argc, cl.argv), -EALREADY);
	ck_assert(hm_eal_initialized());
	ck_assert_int_eq(stat(dir, &st), 0);

	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert(!hm_eal_initialized());
	ck_assert_int_eq(stat(dir, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(hm_lcore_id(), HM_LCORE_ID_ANY);
	ck_assert(!hm_lcore_is_enabled(hm_get_main_lcore()));
	ck_assert_int_eq(hm_eal_cleanup(), -EALREADY);
}
END_TEST

START_TEST(init_stops_at_the_first_application_argument)
{
	char prefix[48];

	prefix_init(prefix, sizeof(prefix), "noopt");
	ck_assert_int_eq(hm_test_eal_init(ARGS("--file-prefix", prefix, "--no-huge", "app")), 3);
	ck_assert(hm_eal_initialized());
	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

START_TEST(help_and_version_return_ecanceled_and_set_up_nothing)
{
	const char *const flags[] = {"-h", "--help", "-v", "--version"};
	char prefix[48];

	prefix_init(prefix, sizeof(prefix), "help");
	for (unsigned int k = 0; k < HM_DIM(flags); k++) {
		int ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, flags[k]));

		ck_assert_msg(ret == -ECANCELED, "%s: returned %d", flags[k], ret);
		ck_assert(!hm_eal_initialized());
		ck_assert_msg(!runtime_dir_exists(prefix), "%s left a runtime directory", flags[k]);
	}
}
END_TEST

START_TEST(failed_init_leaves_no_runtime_dir)
{
	char prefix[48], base[32];
	void *taken;
	int ret;

	prefix_init(prefix, sizeof(prefix), "fail");

	/* A bad value: refused before anything is made. */
	ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "-l", "zz"));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert(!hm_eal_initialized());
	ck_assert(!runtime_dir_exists(prefix));

	/* An incompatible pair. */
	ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "--socket-mem", "64"));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert(!runtime_dir_exists(prefix));

	/* The memory subsystem refuses after the runtime directory was made. */
	ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "-m", "600000"));
	ck_assert_int_eq(ret, -E2BIG);
	ck_assert(!hm_eal_initialized());
	ck_assert(!runtime_dir_exists(prefix));

	/* The shared VA range is taken in this process. */
	snprintf(base, sizeof(base), "0x%llx", (unsigned long long)HM_DEFAULT_BASE_VIRTADDR);
	taken = mmap((void *)(uintptr_t)HM_DEFAULT_BASE_VIRTADDR, 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert(taken == (void *)(uintptr_t)HM_DEFAULT_BASE_VIRTADDR);
	ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "--base-virtaddr", base));
	ck_assert_int_eq(ret, -EEXIST);
	ck_assert(!runtime_dir_exists(prefix));
	munmap(taken, 4096);

	/* None of that stops a good init in the same process. */
	ret = hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "--base-virtaddr", base));
	ck_assert_int_eq(ret, 5);
	ck_assert(runtime_dir_exists(prefix));
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert(!runtime_dir_exists(prefix));
}
END_TEST

START_TEST(a_program_built_against_another_layout_is_refused_and_nothing_is_set_up)
{
	char prefix[48], out[4096];
	struct hm_test_capture c;
	struct cmdline cl;
	int ret;

	prefix_init(prefix, sizeof(prefix), "layout");
	/* This test is built with the library's own headers. */
	ck_assert(hm_layout_id() == hm_layout_id_());
	/* As a program whose inline code reads the structures elsewhere. */
	cmdline_init(&cl, ARGS("--no-huge", "--file-prefix", prefix));
	hm_test_capture_start(&c);
	ret = hm_eal_init_layout_(cl.argc, cl.argv, hm_layout_id_() ^ 1);
	hm_test_capture_stop(&c);
	hm_test_capture_read(&c, out, sizeof(out));
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert(!hm_eal_initialized());
	ck_assert(!runtime_dir_exists(prefix));
	ck_assert_msg(count_lines(out) == 1 && strstr(out, "rebuild it") != NULL, "log: %s", out);
	/* hm_eal_init() of hugemem.h passes this program's own: it comes up. */
	cmdline_init(&cl, ARGS("--no-huge", "--file-prefix", prefix));
	ck_assert_int_eq(hm_eal_init(cl.argc, cl.argv), 3);
	ck_assert(hm_eal_initialized());
	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

/* ============================================================ hugememd */

START_TEST(hugememd_bad_value_exits_nonzero_with_one_line_naming_it)
{
	char prefix[48], err[4096];
	int status;

	prefix_init(prefix, sizeof(prefix), "dbad");
	status =
	    run_hugememd(ARGS("-l", "zz", "--file-prefix", prefix, "--no-huge"), err, sizeof(err));
	ck_assert_int_ne(status, 0);
	ck_assert(!runtime_dir_exists(prefix));
	ck_assert_msg(count_lines(err) == 1, "expected one line on stderr, got: \"%s\"", err);
	ck_assert_msg(strstr(err, "-l") != NULL && strstr(err, "zz") != NULL,
		      "stderr does not name -l zz: %s", err);
}
END_TEST

START_TEST(hugememd_incompatible_pair_exits_nonzero_with_one_line_naming_both)
{
	char prefix[48], err[4096];
	int status;

	prefix_init(prefix, sizeof(prefix), "dpair");
	status = run_hugememd(ARGS("--no-huge", "--socket-mem", "512", "--file-prefix", prefix),
			      err, sizeof(err));
	ck_assert_int_ne(status, 0);
	ck_assert(!runtime_dir_exists(prefix));
	ck_assert_msg(count_lines(err) == 1, "expected one line on stderr, got: \"%s\"", err);
	ck_assert_msg(strstr(err, "--socket-mem") != NULL && strstr(err, "--no-huge") != NULL,
		      "stderr does not name --socket-mem and --no-huge: %s", err);
}
END_TEST

START_TEST(hugememd_help_exits_zero)
{
	char prefix[48], err[4096];

	prefix_init(prefix, sizeof(prefix), "dhelp");
	ck_assert_int_eq(run_hugememd(ARGS("--file-prefix", prefix, "-h"), err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert(!runtime_dir_exists(prefix));
}
END_TEST

START_TEST(second_primary_with_the_same_prefix_is_refused)
{
	char prefix[48], lcore[16], err[4096];
	int status;

	prefix_init(prefix, sizeof(prefix), "dup");
	snprintf(lcore, sizeof(lcore), "%d", first_allowed_cpu());
	ck_assert_int_eq(hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "-l", lcore)),
			 5);
	ck_assert_int_eq(hm_eal_process_type(), HM_PROC_PRIMARY);

	status = run_hugememd(ARGS("--no-huge", "--file-prefix", prefix), err, sizeof(err));
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(err, "another primary") != NULL,
		      "stderr does not say another primary is running: %s", err);

	/* The refused process must not have touched the running primary's files. */
	ck_assert(runtime_dir_exists(prefix));
	ck_assert_int_eq(hm_test_count_files(hm_eal_runtime_dir(), "config"), 1);

	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert(!runtime_dir_exists(prefix));
}
END_TEST

/* ============================================================== lcores */

struct where {
	atomic_uint lcore;
	atomic_int cpu;
};

static int
record_where(void *arg)
{
	struct where *w = arg;

	atomic_store(&w->lcore, hm_lcore_id());
	atomic_store(&w->cpu, sched_getcpu());
	return 42;
}

struct gate {
	atomic_bool entered;
	atomic_bool open;
};

static int
wait_at_gate(void *arg)
{
	struct gate *g = arg;

	atomic_store(&g->entered, true);
	while (!atomic_load(&g->open))
		usleep(100);
	return 7;
}

static int
return_minus_three(void *arg)
{
	(void)arg;
	return -3;
}

struct tally {
	atomic_uint calls;
	_Atomic uint64_t lcores; /* bit i: ran on lcore i (ids < 64 here) */
};

static int
tally_call(void *arg)
{
	struct tally *t = arg;
	unsigned int id = hm_lcore_id();

	atomic_fetch_add(&t->calls, 1);
	if (id < 64)
		atomic_fetch_or(&t->lcores, 1ULL << id);
	return 0;
}

/*
 * Two lcores, 0 and 1: "-l 0-1" when this process may run on cpus 0 and 1,
 * else both on the one cpu it has.
 */
static void
init_two_lcores(const char *tag)
{
	cpu_set_t allowed = allowed_cpus();
	char prefix[48], arg[32];
	int ret;

	prefix_init(prefix, sizeof(prefix), tag);
	if (CPU_ISSET(0, &allowed) && CPU_ISSET(1, &allowed)) {
		ret = hm_test_eal_init(ARGS("-l", "0-1", "--no-huge", "--file-prefix", prefix));
	} else {
		printf("NOTE %s: cpus 0 and 1 are not both available; lcores 0 and 1 share cpu "
		       "%d\n",
		       tag, first_allowed_cpu());
		snprintf(arg, sizeof(arg), "(0,1)@%d", first_allowed_cpu());
		ret = hm_test_eal_init(ARGS("--lcores", arg, "--no-huge", "--file-prefix", prefix));
	}
	ck_assert_int_eq(ret, 5);
	ck_assert_uint_eq(hm_lcore_count(), 2);
	ck_assert_uint_eq(hm_get_main_lcore(), 0);
}

START_TEST(remote_launch_runs_on_the_worker_lcore_and_its_cpu)
{
	struct where w = {HM_LCORE_ID_ANY, -1};

	init_two_lcores("rl");
	ck_assert_int_eq(hm_eal_get_lcore_state(1), HM_LCORE_WAIT);
	ck_assert_int_eq(hm_eal_wait_lcore(1), 0); /* idle: nothing to collect */

	ck_assert_int_eq(hm_eal_remote_launch(record_where, &w, 1), 0);
	ck_assert_int_eq(hm_eal_wait_lcore(1), 42);
	ck_assert_uint_eq(atomic_load(&w.lcore), 1);
	ck_assert_int_ge(hm_lcore_to_cpu(1), 0);
	ck_assert_int_eq(atomic_load(&w.cpu), hm_lcore_to_cpu(1));
	ck_assert_int_eq(hm_eal_get_lcore_state(1), HM_LCORE_WAIT);

	/* The lcore is reusable, and a negative result comes back as it is. */
	ck_assert_int_eq(hm_eal_remote_launch(return_minus_three, NULL, 1), 0);
	ck_assert_int_eq(hm_eal_wait_lcore(1), -3);

	/* The main thread keeps its own lcore id. */
	ck_assert_uint_eq(hm_lcore_id(), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

START_TEST(remote_launch_refuses_the_main_and_disabled_lcores)
{
	struct where w = {HM_LCORE_ID_ANY, -1};

	init_two_lcores("rlbad");
	ck_assert_int_eq(hm_eal_remote_launch(record_where, &w, hm_get_main_lcore()), -EINVAL);
	ck_assert_int_eq(hm_eal_remote_launch(record_where, &w, 2), -EINVAL);
	ck_assert_int_eq(hm_eal_remote_launch(record_where, &w, HM_MAX_LCORE), -EINVAL);
	ck_assert_int_eq(hm_eal_remote_launch(record_where, &w, HM_LCORE_ID_ANY), -EINVAL);
	ck_assert_int_eq(hm_eal_remote_launch(NULL, &w, 1), -EINVAL);
	ck_assert_int_eq(hm_eal_wait_lcore(hm_get_main_lcore()), -EINVAL);
	ck_assert_int_eq(hm_eal_wait_lcore(2), -EINVAL);
	ck_assert_int_eq(hm_lcore_to_cpu(2), -EINVAL);
	ck_assert(!hm_lcore_is_enabled(2));
	ck_assert(!hm_lcore_is_enabled(HM_MAX_LCORE));
	/* Nothing ran. */
	ck_assert_uint_eq(atomic_load(&w.lcore), HM_LCORE_ID_ANY);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

START_TEST(remote_launch_refuses_a_busy_lcore)
{
	struct gate g = {false, false};
	struct tally t = {0, 0};

	init_two_lcores("busy");
	ck_assert_int_eq(hm_eal_remote_launch(wait_at_gate, &g, 1), 0);
	while (!atomic_load(&g.entered))
		usleep(100);
	ck_assert_int_eq(hm_eal_get_lcore_state(1), HM_LCORE_RUNNING);

	/* Running: a second launch, alone or for all, is refused and runs nothing. */
	ck_assert_int_eq(hm_eal_remote_launch(tally_call, &t, 1), -EBUSY);
	ck_assert_int_eq(hm_eal_mp_remote_launch(tally_call, &t, true), -EBUSY);
	ck_assert_uint_eq(atomic_load(&t.calls), 0);

	atomic_store(&g.open, true);
	ck_assert_int_eq(hm_eal_wait_lcore(1), 7);

	/* Finished but not collected: still refused, the result is not overwritten. */
	ck_assert_int_eq(hm_eal_remote_launch(return_minus_three, NULL, 1), 0);
	while (hm_eal_get_lcore_state(1) != HM_LCORE_FINISHED)
		usleep(100);
	ck_assert_int_eq(hm_eal_remote_launch(tally_call, &t, 1), -EBUSY);
	ck_assert_int_eq(hm_eal_wait_lcore(1), -3);
	ck_assert_int_eq(hm_eal_get_lcore_state(1), HM_LCORE_WAIT);
	ck_assert_uint_eq(atomic_load(&t.calls), 0);

	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

/* lcores 0 (main), 2 and 5, all on the first allowed cpu: ids need not be cpus. */
static void
init_sparse_lcores(const char *tag)
{
	char prefix[48], arg[32];

	prefix_init(prefix, sizeof(prefix), tag);
	snprintf(arg, sizeof(arg), "(0,2,5)@%d", first_allowed_cpu());
	ck_assert_int_eq(
	    hm_test_eal_init(ARGS("--lcores", arg, "--no-huge", "--file-prefix", prefix)), 5);
	ck_assert_uint_eq(hm_lcore_count(), 3);
	ck_assert_uint_eq(hm_get_main_lcore(), 0);
}

START_TEST(mp_remote_launch_runs_the_function_on_every_lcore)
{
	struct tally t = {0, 0};

	init_sparse_lcores("mp");
	ck_assert_int_eq(hm_eal_mp_remote_launch(tally_call, &t, true), 0);
	hm_eal_mp_wait_lcore();
	ck_assert_uint_eq(atomic_load(&t.calls), 3);
	ck_assert_uint_eq(atomic_load(&t.lcores), (1ULL << 0) | (1ULL << 2) | (1ULL << 5));
	ck_assert_int_eq(hm_eal_get_lcore_state(2), HM_LCORE_WAIT);
	ck_assert_int_eq(hm_eal_get_lcore_state(5), HM_LCORE_WAIT);

	/* Without call_main the main lcore does not run it. */
	atomic_store(&t.calls, 0);
	atomic_store(&t.lcores, 0);
	ck_assert_int_eq(hm_eal_mp_remote_launch(tally_call, &t, false), 0);
	hm_eal_mp_wait_lcore();
	ck_assert_uint_eq(atomic_load(&t.calls), 2);
	ck_assert_uint_eq(atomic_load(&t.lcores), (1ULL << 2) | (1ULL << 5));

	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

START_TEST(foreach_worker_visits_exactly_the_workers_in_order)
{
	unsigned int visited[HM_MAX_LCORE], n = 0, i;

	init_sparse_lcores("each");
	HM_LCORE_FOREACH_WORKER(i)
	{
		ck_assert_uint_lt(n, HM_MAX_LCORE);
		visited[n++] = i;
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(visited[0], 2);
	ck_assert_uint_eq(visited[1], 5);

	ck_assert_uint_eq(hm_get_next_lcore(UINT32_MAX, false, false), 0);
	ck_assert_uint_eq(hm_get_next_lcore(0, false, false), 2);
	ck_assert_uint_eq(hm_get_next_lcore(5, false, false), HM_MAX_LCORE);
	ck_assert_uint_eq(hm_get_next_lcore(5, false, true), 0);
	ck_assert_uint_eq(hm_get_next_lcore(5, true, true), 2);
	ck_assert(hm_lcore_is_enabled(5));
	ck_assert(!hm_lcore_is_enabled(1));
	ck_assert_int_eq(hm_lcore_to_cpu(5), first_allowed_cpu());

	ck_assert_int_eq(hm_eal_cleanup(), 0);
	/* Once cleaned up there are no lcores to visit. */
	ck_assert_uint_eq(hm_get_next_lcore(UINT32_MAX, false, true), HM_MAX_LCORE);
}
END_TEST

/* ============================================================= logging */

/* --telemetry-group: the socket 0660 and the runtime dir 0710, both of that group. */
START_TEST(telemetry_group_opens_the_socket_and_dir_to_that_group_only)
{
	const char *args[] = {"--no-huge",
			      "-l",
			      "0",
			      "-m",
			      "8",
			      "--file-prefix",
			      hm_test_prefix("tgrp"),
			      "--telemetry-group",
			      "1",
			      "--log-level",
			      "emerg",
			      NULL};
	const char *bad[] = {"--no-huge",	 "-l",		"0",	 "--telemetry-group",
			     "no-such-group-hm", "--log-level", "emerg", NULL};
	char path[PATH_MAX];
	struct stat st;

	ck_assert_int_lt(hm_test_eal_init(bad), 0);
	ck_assert_int_ge(hm_test_eal_init(args), 0);
	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", hm_eal_runtime_dir());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_gid, 1);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_int_eq(stat(hm_eal_runtime_dir(), &st), 0);
	ck_assert_uint_eq(st.st_gid, 1);
	ck_assert_uint_eq(st.st_mode & 07777, 0710);
	snprintf(path, sizeof(path), "%s/..", hm_eal_runtime_dir());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0711, 0711);
	hm_eal_cleanup();
}
END_TEST

START_TEST(log_set_level_accepts_only_1_to_8)
{
	ck_assert_int_eq(hm_log_set_level(4), 0);
	ck_assert_int_eq(hm_log_set_level(0), -EINVAL);
	ck_assert_int_eq(hm_log_set_level(9), -EINVAL);
	ck_assert_int_eq(hm_log_set_level(-1), -EINVAL);
	ck_assert_int_eq(hm_log_get_level(), 4);

	ck_assert(hm_log_enabled(HM_LOG_ERR, "any"));
	ck_assert(!hm_log_enabled(HM_LOG_WARNING, "any"));

	ck_assert_int_eq(hm_log_set_level(HM_LOG_DEBUG), 0);
	ck_assert(hm_log_enabled(HM_LOG_DEBUG, "any"));
	ck_assert_int_eq(hm_log_set_level(HM_LOG_EMERG), 0);
	ck_assert(!hm_log_enabled(HM_LOG_ALERT, "any"));
}
END_TEST

START_TEST(log_level_pattern_from_init_overrides_the_global_level)
{
	char prefix[48], lcore[16];

	prefix_init(prefix, sizeof(prefix), "log");
	snprintf(lcore, sizeof(lcore), "%d", first_allowed_cpu());
	ck_assert_int_eq(hm_test_eal_init(ARGS("--no-huge", "--file-prefix", prefix, "-l", lcore,
					       "--log-level", "4", "--log-level", "mem*:debug")),
			 9);
	ck_assert_int_eq(hm_log_get_level(), HM_LOG_ERR);
	ck_assert(hm_log_enabled(HM_LOG_DEBUG, "memory"));
	ck_assert(!hm_log_enabled(HM_LOG_DEBUG, "eal"));
	ck_assert(!hm_log_enabled(HM_LOG_WARNING, "eal"));
	ck_assert(hm_log_enabled(HM_LOG_ERR, "eal"));
	/* A glob matches the whole name. */
	ck_assert(!hm_log_enabled(HM_LOG_DEBUG, "xmemory"));
	ck_assert_int_eq(hm_eal_cleanup(), 0);
}
END_TEST

START_TEST(log_regex_pattern_and_last_match_wins)
{
	struct hm_eal_config cfg;

	ck_assert_int_eq(parse(ARGS("--log-level", "2", "--log-level", "^e.l$,7"), &cfg), 4);
	ck_assert_int_eq(hm_log_apply(&cfg), 0);
	ck_assert(hm_log_enabled(HM_LOG_INFO, "eal"));
	ck_assert(!hm_log_enabled(HM_LOG_DEBUG, "eal"));
	ck_assert(!hm_log_enabled(HM_LOG_CRIT, "ealx"));
	ck_assert(hm_log_enabled(HM_LOG_ALERT, "ealx"));

	/* Of two patterns matching one name, the later one decides. */
	ck_assert_int_eq(parse(ARGS("--log-level", "*:err", "--log-level", "mem*:debug"), &cfg), 4);
	ck_assert_int_eq(hm_log_apply(&cfg), 0);
	ck_assert(hm_log_enabled(HM_LOG_DEBUG, "memory"));
	ck_assert(!hm_log_enabled(HM_LOG_WARNING, "eal"));
	ck_assert_int_eq(parse(ARGS("--log-level", "mem*:debug", "--log-level", "*:err"), &cfg), 4);
	ck_assert_int_eq(hm_log_apply(&cfg), 0);
	ck_assert(!hm_log_enabled(HM_LOG_WARNING, "memory"));
	ck_assert(hm_log_enabled(HM_LOG_ERR, "memory"));

	/* A regex that does not compile is refused when applied. */
	ck_assert_int_eq(parse(ARGS("--log-level", "([,8"), &cfg), 2);
	ck_assert_int_eq(hm_log_apply(&cfg), -EINVAL);
}
END_TEST

/* ================================================================ suite */

static Suite *
eal_suite(void)
{
	Suite *s = suite_create("eal");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_test(tc, lcore_options_enable_the_listed_lcores_on_their_cpus);
	tcase_add_test(tc, no_lcore_option_gives_one_lcore_per_allowed_cpu);
	tcase_add_test(tc, defaults_are_those_documented);
	tcase_add_test(tc, memory_sizes_are_megabytes_stored_as_bytes);
	tcase_add_test(tc, paths_prefix_and_flags_are_stored);
	tcase_add_test(tc, proc_type_and_iova_mode_values_are_recognised);
	tcase_add_test(tc, base_virtaddr_accepts_hex_and_decimal);
	tcase_add_test(tc, huge_unlink_alone_means_always_and_values_are_recognised);
	tcase_add_test(tc, log_level_takes_a_level_a_glob_or_a_regex);
	tcase_add_test(tc, telemetry_last_option_wins);
	tcase_add_test(tc, parse_returns_consumed_count_and_puts_program_name_before_app_args);
	tcase_add_test(tc, bad_values_are_refused_by_the_parser);
	tcase_add_test(tc, each_refused_option_logs_one_line_naming_it);
	tcase_add_test(tc, incompatible_options_are_refused_by_the_check);
	tcase_add_test(tc, only_one_lcore_option_is_accepted);
	tcase_add_test(tc, lcore_on_a_cpu_outside_the_affinity_mask_is_refused);
	tcase_add_test(tc, compatible_combinations_pass_the_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("init");
	tcase_add_test(tc, init_no_huge_brings_up_a_primary_and_cleanup_removes_everything);
	tcase_add_test(tc, init_stops_at_the_first_application_argument);
	tcase_add_test(tc, help_and_version_return_ecanceled_and_set_up_nothing);
	tcase_add_test(tc, failed_init_leaves_no_runtime_dir);
	tcase_add_test(tc, a_program_built_against_another_layout_is_refused_and_nothing_is_set_up);
	suite_add_tcase(s, tc);

	tc = tcase_create("hugememd");
	tcase_add_test(tc, hugememd_bad_value_exits_nonzero_with_one_line_naming_it);
	tcase_add_test(tc, hugememd_incompatible_pair_exits_nonzero_with_one_line_naming_both);
	tcase_add_test(tc, hugememd_help_exits_zero);
	tcase_add_test(tc, second_primary_with_the_same_prefix_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("lcores");
	tcase_add_test(tc, remote_launch_runs_on_the_worker_lcore_and_its_cpu);
	tcase_add_test(tc, remote_launch_refuses_the_main_and_disabled_lcores);
	tcase_add_test(tc, remote_launch_refuses_a_busy_lcore);
	tcase_add_test(tc, mp_remote_launch_runs_the_function_on_every_lcore);
	tcase_add_test(tc, foreach_worker_visits_exactly_the_workers_in_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("logging");
	tcase_add_test(tc, log_set_level_accepts_only_1_to_8);
	tcase_add_test(tc, log_level_pattern_from_init_overrides_the_global_level);
	tcase_add_test(tc, log_regex_pattern_and_last_match_wins);
	tcase_add_test(tc, telemetry_group_opens_the_socket_and_dir_to_that_group_only);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return hm_test_run_suite(eal_suite());
}

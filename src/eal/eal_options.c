/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL command line: DPDK's option names and value syntax, parsed into a
 * struct hm_eal_config with no side effects.
 *
 * Parsing stops at the first argument that is not an option, or after "--";
 * what follows belongs to the application. Every refusal is one log line that
 * names the option, the value and the reason. Combinations are checked after
 * all options are read (hm_eal_check_options), with DPDK's rules:
 *
 *   -c, -l, --lcores       one of them at most
 *   -m, --socket-mem       not both
 *   --socket-mem           not with --no-huge
 *   --socket-limit         not with --no-huge (static memory layout)
 *   --huge-unlink[=always] not with --no-huge
 *   --in-memory            not with --huge-unlink=never, not with --no-huge
 *   --proc-type=secondary  not with --in-memory or --no-huge (single process)
 *   --iova-mode=pa         not with --no-huge (no physical addresses)
 */

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eal_pvt.h"

#define EAL "eal"

enum {
	OPT_LCORES = 256,
	OPT_SOCKET_MEM,
	OPT_SOCKET_LIMIT,
	OPT_HUGE_DIR,
	OPT_FILE_PREFIX,
	OPT_PROC_TYPE,
	OPT_IOVA_MODE,
	OPT_NO_HUGE,
	OPT_IN_MEMORY,
	OPT_BASE_VIRTADDR,
	OPT_HUGE_UNLINK,
	OPT_LOG_LEVEL,
	OPT_TELEMETRY,
	OPT_NO_TELEMETRY,
	OPT_TELEMETRY_GROUP,
	OPT_SLAB_DEBUG,
	OPT_SERVICE_MODE,
};

static const char short_options[] = "+c:l:n:m:hv";

static const struct option long_options[] = {
    {"lcores", required_argument, NULL, OPT_LCORES},
    {"socket-mem", required_argument, NULL, OPT_SOCKET_MEM},
    {"socket-limit", required_argument, NULL, OPT_SOCKET_LIMIT},
    {"huge-dir", required_argument, NULL, OPT_HUGE_DIR},
    {"file-prefix", required_argument, NULL, OPT_FILE_PREFIX},
    {"proc-type", required_argument, NULL, OPT_PROC_TYPE},
    {"iova-mode", required_argument, NULL, OPT_IOVA_MODE},
    {"no-huge", no_argument, NULL, OPT_NO_HUGE},
    {"in-memory", no_argument, NULL, OPT_IN_MEMORY},
    {"base-virtaddr", required_argument, NULL, OPT_BASE_VIRTADDR},
    {"huge-unlink", optional_argument, NULL, OPT_HUGE_UNLINK},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"telemetry", no_argument, NULL, OPT_TELEMETRY},
    {"no-telemetry", no_argument, NULL, OPT_NO_TELEMETRY},
    {"telemetry-group", required_argument, NULL, OPT_TELEMETRY_GROUP},
    {"slab-debug", optional_argument, NULL, OPT_SLAB_DEBUG},
    {"service-mode", required_argument, NULL, OPT_SERVICE_MODE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

void
hm_eal_config_defaults(struct hm_eal_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "%s", HM_DEFAULT_PREFIX);
	cfg->proc_type = HM_PROC_PRIMARY;
	cfg->iova_mode = HM_IOVA_DC;
	cfg->telemetry = true;
	cfg->telemetry_gid = -1;
	cfg->base_virtaddr = HM_DEFAULT_BASE_VIRTADDR;
	cfg->huge_unlink = HM_HUGE_UNLINK_EXISTING;
}

void
hm_eal_usage(const char *prog)
{
	printf(
	    "Usage: %s [EAL options] [-- application options]\n\n"
	    "EAL options (DPDK syntax):\n"
	    "  -l CORELIST            lcores to run on: <c1>[-c2][,c3[-c4],...]\n"
	    "  -c COREMASK            hexadecimal bitmask of lcores\n"
	    "  --lcores COREMAP       lcore sets mapped to CPU sets: '<lcores[@cpus]>[,...]',\n"
	    "                         groups in '(' ')', e.g. '(0-1)@(0,1),2@1'\n"
	    "  -n CHANNELS            number of memory channels\n"
	    "  -m MB                  memory to pin, spread over sockets\n"
	    "  --socket-mem MB,MB,..  memory to pin per NUMA socket\n"
	    "  --socket-limit MB,..   upper limit of memory per socket\n"
	    "  --huge-dir DIR         use only the hugetlbfs mounted at DIR\n"
	    "  --file-prefix NAME     name of this primary and its secondaries (default %s)\n"
	    "  --proc-type TYPE       primary | secondary | auto\n"
	    "  --iova-mode MODE       pa | va (default: pa where physical addresses are readable)\n"
	    "  --no-huge              anonymous 4 KiB memory, IOVA = VA, single process\n"
	    "  --in-memory            no files anywhere; no secondaries\n"
	    "  --base-virtaddr ADDR   start of the shared VA range (1 GiB aligned)\n"
	    "  --huge-unlink[=WHEN]   existing (default) | always (no value) | never\n"
	    "  --log-level LEVEL      global level (1-8 or emerg..debug), or\n"
	    "                         <subsystem-glob>:<level>, <subsystem-regex>,<level>\n"
	    "  --telemetry            enable the telemetry socket (default)\n"
	    "  --no-telemetry         disable it\n"
	    "  --telemetry-group GRP  let group GRP (name or gid) use the socket too\n"
	    "  --slab-debug[=PZF]     debug every slab cache: P poison, Z red zones,\n"
	    "                         F free checks (no value: all)\n"
	    "  --service-mode MODE    busy (default): the primary's service loop polls\n"
	    "                         without pause; idle: it sleeps when there is no work\n"
	    "  -h, --help             this help\n"
	    "  -v, --version          print the version\n",
	    prog, HM_DEFAULT_PREFIX);
}

static int parse_u64(const char *s, int base, uint64_t *out);

/* --telemetry-group: a group name, or a gid that need not have a name. */
static int
parse_telemetry_group(const char *arg, struct hm_eal_config *cfg)
{
	struct group gr, *res = NULL;
	char buf[4096];
	uint64_t gid;

	if (parse_u64(arg, 10, &gid) == 0 && gid < UINT32_MAX) {
		cfg->telemetry_gid = (int64_t)gid;
		return 0;
	}
	if (getgrnam_r(arg, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
		HM_LOG(ERR, EAL, "--telemetry-group %s: no such group", arg);
		return -EINVAL;
	}
	cfg->telemetry_gid = (int64_t)res->gr_gid;
	return 0;
}

/* A strict unsigned decimal (or hex with base 0); the whole string must be used. */
static int
parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static int
check_cpu(const char *opt, const char *arg, unsigned int cpu)
{
	if (cpu >= CPU_SETSIZE) {
		HM_LOG(ERR, EAL, "%s %s: cpu %u is out of range (max %d)", opt, arg, cpu,
		       CPU_SETSIZE - 1);
		return -EINVAL;
	}
	return 0;
}

static int
enable_lcore(struct hm_eal_config *cfg, const char *opt, const char *arg, unsigned int lcore,
	     const cpu_set_t *cpus)
{
	if (lcore >= HM_MAX_LCORE) {
		HM_LOG(ERR, EAL, "%s %s: lcore %u is out of range (max %d)", opt, arg, lcore,
		       HM_MAX_LCORE - 1);
		return -EINVAL;
	}
	if (cfg->lcores[lcore].enabled) {
		HM_LOG(ERR, EAL, "%s %s: lcore %u is given twice", opt, arg, lcore);
		return -EINVAL;
	}
	cfg->lcores[lcore].enabled = true;
	if (cpus != NULL) {
		cfg->lcores[lcore].cpuset = *cpus;
	} else {
		CPU_ZERO(&cfg->lcores[lcore].cpuset);
		CPU_SET(lcore, &cfg->lcores[lcore].cpuset);
	}
	cfg->lcore_count++;
	return 0;
}

static void
lcores_reset(struct hm_eal_config *cfg)
{
	memset(cfg->lcores, 0, sizeof(cfg->lcores));
	cfg->lcore_count = 0;
}

/* "<n>" or "<a>-<b>" at *p, advancing *p past it. */
static int
parse_range(const char **p, unsigned int *lo, unsigned int *hi)
{
	char *end;
	unsigned long a, b;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	a = strtoul(*p, &end, 10);
	if (errno != 0 || a > UINT32_MAX)
		return -EINVAL;
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
		if (errno != 0 || b > UINT32_MAX || b < a)
			return -EINVAL;
	}
	*lo = (unsigned int)a;
	*hi = (unsigned int)b;
	*p = end;
	return 0;
}

int
hm_eal_parse_corelist(const char *arg, struct hm_eal_config *cfg)
{
	const char *p = arg;
	unsigned int lo, hi, i;
	int ret;

	lcores_reset(cfg);
	for (;;) {
		if (parse_range(&p, &lo, &hi) < 0) {
			HM_LOG(ERR, EAL, "-l %s: expected <c1>[-c2][,c3[-c4],...]", arg);
			return -EINVAL;
		}
		for (i = lo; i <= hi; i++) {
			ret = enable_lcore(cfg, "-l", arg, i, NULL);
			if (ret < 0)
				return ret;
		}
		if (*p == '\0')
			break;
		if (*p != ',') {
			HM_LOG(ERR, EAL, "-l %s: unexpected '%c'", arg, *p);
			return -EINVAL;
		}
		p++;
	}
	return 0;
}

int
hm_eal_parse_coremask(const char *arg, struct hm_eal_config *cfg)
{
	const char *p = arg;
	size_t n;
	unsigned int bit = 0;
	int ret;

	lcores_reset(cfg);
	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	n = strlen(p);
	if (n == 0) {
		HM_LOG(ERR, EAL, "-c %s: empty coremask", arg);
		return -EINVAL;
	}
	/* Walk the hex digits from the least significant one. */
	while (n-- > 0) {
		char c = p[n];
		int v, b;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else {
			HM_LOG(ERR, EAL, "-c %s: '%c' is not a hexadecimal digit", arg, c);
			return -EINVAL;
		}
		for (b = 0; b < 4; b++, bit++) {
			if (!(v & (1 << b)))
				continue;
			ret = enable_lcore(cfg, "-c", arg, bit, NULL);
			if (ret < 0)
				return ret;
		}
	}
	if (cfg->lcore_count == 0) {
		HM_LOG(ERR, EAL, "-c %s: coremask selects no lcore", arg);
		return -EINVAL;
	}
	return 0;
}

/* "(a-b,c)" or "a" or "a-b" at *p into set; ids are checked against max. */
static int
parse_group(const char **p, cpu_set_t *set, unsigned int max)
{
	unsigned int lo, hi, i;
	bool group = (**p == '(');

	CPU_ZERO(set);
	if (group)
		(*p)++;
	for (;;) {
		if (parse_range(p, &lo, &hi) < 0 || hi >= max)
			return -EINVAL;
		for (i = lo; i <= hi; i++)
			CPU_SET(i, set);
		if (!group || **p != ',')
			break;
		(*p)++;
	}
	if (group) {
		if (**p != ')')
			return -EINVAL;
		(*p)++;
	}
	return 0;
}

int
hm_eal_parse_lcores(const char *arg, struct hm_eal_config *cfg)
{
	const char *p = arg;
	cpu_set_t lset, cset;
	unsigned int i;
	int ret;

	lcores_reset(cfg);
	while (*p != '\0') {
		/* DPDK: "(0,1)" and "0-1@..." share a cpu set; a bare "0-1" is one cpu each. */
		bool shared = (*p == '(');

		if (parse_group(&p, &lset, HM_MAX_LCORE) < 0) {
			HM_LOG(ERR, EAL,
			       "--lcores %s: bad lcore set near '%s' (lcore ids 0-%d, "
			       "'<lcores[@cpus]>[,...]')",
			       arg, p, HM_MAX_LCORE - 1);
			return -EINVAL;
		}
		if (*p == '@') {
			shared = true;
			p++;
			if (parse_group(&p, &cset, CPU_SETSIZE) < 0) {
				HM_LOG(ERR, EAL, "--lcores %s: bad cpu set near '%s'", arg, p);
				return -EINVAL;
			}
		} else {
			cset = lset;
		}
		for (i = 0; i < HM_MAX_LCORE; i++) {
			if (!CPU_ISSET(i, &lset))
				continue;
			ret = enable_lcore(cfg, "--lcores", arg, i, shared ? &cset : NULL);
			if (ret < 0)
				return ret;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			HM_LOG(ERR, EAL, "--lcores %s: unexpected '%c'", arg, *p);
			return -EINVAL;
		}
	}
	if (cfg->lcore_count == 0) {
		HM_LOG(ERR, EAL, "--lcores %s: no lcore given", arg);
		return -EINVAL;
	}
	return 0;
}

/* "1024,0,512": megabytes per socket, into bytes. */
static int
parse_socket_list(const char *opt, const char *arg, uint64_t out[HM_MAX_NUMA_NODES])
{
	const char *p = arg;
	unsigned int socket = 0;

	memset(out, 0, sizeof(uint64_t) * HM_MAX_NUMA_NODES);
	for (;;) {
		char *end;
		unsigned long long mb;

		if (*p < '0' || *p > '9') {
			HM_LOG(ERR, EAL, "%s %s: expected megabytes per socket, e.g. 1024,0", opt,
			       arg);
			return -EINVAL;
		}
		errno = 0;
		mb = strtoull(p, &end, 10);
		if (errno != 0 || mb > (UINT64_MAX >> 20)) {
			HM_LOG(ERR, EAL, "%s %s: value out of range", opt, arg);
			return -EINVAL;
		}
		if (socket >= HM_MAX_NUMA_NODES) {
			HM_LOG(ERR, EAL, "%s %s: more than %d sockets", opt, arg,
			       HM_MAX_NUMA_NODES);
			return -EINVAL;
		}
		out[socket++] = mb << 20;
		if (*end == '\0')
			break;
		if (*end != ',') {
			HM_LOG(ERR, EAL, "%s %s: unexpected '%c'", opt, arg, *end);
			return -EINVAL;
		}
		p = end + 1;
	}
	return 0;
}

static int
parse_log_level(const char *arg, struct hm_eal_config *cfg)
{
	const char *sep = strrchr(arg, ':');
	bool regex = false;
	struct hm_log_pattern *lp;
	int level;

	if (sep == NULL) {
		sep = strrchr(arg, ',');
		regex = (sep != NULL);
	}
	level = hm_log_parse_level_name(sep != NULL ? sep + 1 : arg);
	if (level < 0) {
		HM_LOG(ERR, EAL,
		       "--log-level %s: unknown level (1-8 or emerg, alert, crit, err, warning, "
		       "notice, info, debug)",
		       arg);
		return -EINVAL;
	}
	if (sep == NULL) {
		cfg->log_level = level;
		return 0;
	}
	if (sep == arg || (size_t)(sep - arg) >= sizeof(lp->pattern)) {
		HM_LOG(ERR, EAL, "--log-level %s: subsystem pattern empty or too long", arg);
		return -EINVAL;
	}
	if (cfg->nb_log_patterns >= HM_LOG_PATTERNS_MAX) {
		HM_LOG(ERR, EAL, "--log-level %s: more than %d patterns", arg, HM_LOG_PATTERNS_MAX);
		return -EINVAL;
	}
	lp = &cfg->log_patterns[cfg->nb_log_patterns++];
	memcpy(lp->pattern, arg, (size_t)(sep - arg));
	lp->pattern[sep - arg] = '\0';
	lp->level = level;
	lp->regex = regex;
	return 0;
}

static int
lcore_option_once(struct hm_eal_config *cfg, char opt)
{
	static const char *const names[] = {['c'] = "-c", ['l'] = "-l", ['L'] = "--lcores"};

	if (cfg->lcore_opt != 0) {
		HM_LOG(ERR, EAL, "option %s cannot be used with %s: they all select lcores",
		       names[(int)opt], names[(int)cfg->lcore_opt]);
		return -EINVAL;
	}
	cfg->lcore_opt = opt;
	return 0;
}

static int parse_slab_debug(const char *arg, struct hm_eal_config *cfg);

static int
parse_one(int opt, const char *arg, struct hm_eal_config *cfg)
{
	uint64_t v;

	switch (opt) {
	case 'l':
	case 'c':
	case OPT_LCORES: {
		char which = opt == OPT_LCORES ? 'L' : (char)opt;

		if (lcore_option_once(cfg, which) < 0)
			return -EINVAL;
		if (opt == 'l')
			return hm_eal_parse_corelist(arg, cfg);
		if (opt == 'c')
			return hm_eal_parse_coremask(arg, cfg);
		return hm_eal_parse_lcores(arg, cfg);
	}
	case 'n':
		if (parse_u64(arg, 10, &v) < 0 || v == 0 || v > 64) {
			HM_LOG(ERR, EAL, "-n %s: expected a number of channels from 1 to 64", arg);
			return -EINVAL;
		}
		cfg->nchannel = (unsigned int)v;
		return 0;
	case 'm':
		if (parse_u64(arg, 10, &v) < 0 || v == 0 || v > (1ULL << 24)) {
			HM_LOG(ERR, EAL, "-m %s: expected megabytes from 1 to %llu", arg,
			       1ULL << 24);
			return -EINVAL;
		}
		cfg->memory = v << 20;
		cfg->mem_parsed = true;
		return 0;
	case OPT_SOCKET_MEM:
		if (parse_socket_list("--socket-mem", arg, cfg->socket_mem) < 0)
			return -EINVAL;
		cfg->force_sockets = true;
		return 0;
	case OPT_SOCKET_LIMIT:
		if (parse_socket_list("--socket-limit", arg, cfg->socket_limit) < 0)
			return -EINVAL;
		cfg->force_socket_limits = true;
		return 0;
	case OPT_HUGE_DIR:
		if (arg[0] != '/' || strlen(arg) >= sizeof(cfg->huge_dir)) {
			HM_LOG(ERR, EAL, "--huge-dir %s: expected an absolute path", arg);
			return -EINVAL;
		}
		snprintf(cfg->huge_dir, sizeof(cfg->huge_dir), "%s", arg);
		return 0;
	case OPT_FILE_PREFIX: {
		size_t n = strlen(arg);

		if (n == 0 || n >= HM_FILE_PREFIX_MAX) {
			HM_LOG(ERR, EAL, "--file-prefix '%s': length must be 1 to %d", arg,
			       HM_FILE_PREFIX_MAX - 1);
			return -EINVAL;
		}
		if (strpbrk(arg, "%/") != NULL || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0) {
			HM_LOG(ERR, EAL,
			       "--file-prefix %s: '%%', '/', '.' and '..' are not allowed", arg);
			return -EINVAL;
		}
		memcpy(cfg->file_prefix, arg, n + 1);
		return 0;
	}
	case OPT_PROC_TYPE:
		if (strcmp(arg, "primary") == 0)
			cfg->proc_type = HM_PROC_PRIMARY;
		else if (strcmp(arg, "secondary") == 0)
			cfg->proc_type = HM_PROC_SECONDARY;
		else if (strcmp(arg, "auto") == 0)
			cfg->proc_type = HM_PROC_AUTO;
		else {
			HM_LOG(ERR, EAL, "--proc-type %s: expected primary, secondary or auto",
			       arg);
			return -EINVAL;
		}
		return 0;
	case OPT_IOVA_MODE:
		if (strcmp(arg, "pa") == 0)
			cfg->iova_mode = HM_IOVA_PA;
		else if (strcmp(arg, "va") == 0)
			cfg->iova_mode = HM_IOVA_VA;
		else {
			HM_LOG(ERR, EAL, "--iova-mode %s: expected pa or va", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_NO_HUGE:
		cfg->no_huge = true;
		return 0;
	case OPT_IN_MEMORY:
		cfg->in_memory = true;
		return 0;
	case OPT_BASE_VIRTADDR:
		if (parse_u64(arg, 0, &v) < 0) {
			HM_LOG(ERR, EAL, "--base-virtaddr %s: expected an address", arg);
			return -EINVAL;
		}
		if (v == 0 || (v & (HM_GB - 1)) != 0) {
			HM_LOG(ERR, EAL, "--base-virtaddr %s: must be non-zero and 1 GiB aligned",
			       arg);
			return -EINVAL;
		}
		if (v >= (1ULL << 46)) {
			HM_LOG(ERR, EAL,
			       "--base-virtaddr %s: must be below 0x%llx to leave room in the "
			       "user address space",
			       arg, 1ULL << 46);
			return -EINVAL;
		}
		cfg->base_virtaddr = v;
		cfg->base_virtaddr_given = true;
		return 0;
	case OPT_HUGE_UNLINK:
		if (arg == NULL || strcmp(arg, "always") == 0)
			cfg->huge_unlink = HM_HUGE_UNLINK_ALWAYS;
		else if (strcmp(arg, "existing") == 0)
			cfg->huge_unlink = HM_HUGE_UNLINK_EXISTING;
		else if (strcmp(arg, "never") == 0)
			cfg->huge_unlink = HM_HUGE_UNLINK_NEVER;
		else {
			HM_LOG(ERR, EAL, "--huge-unlink=%s: expected existing, always or never",
			       arg);
			return -EINVAL;
		}
		cfg->huge_unlink_given = true;
		return 0;
	case OPT_LOG_LEVEL:
		return parse_log_level(arg, cfg);
	case OPT_TELEMETRY:
		cfg->telemetry = true;
		return 0;
	case OPT_NO_TELEMETRY:
		cfg->telemetry = false;
		return 0;
	case OPT_TELEMETRY_GROUP:
		return parse_telemetry_group(arg, cfg);
	case OPT_SLAB_DEBUG:
		return parse_slab_debug(arg, cfg);
	case OPT_SERVICE_MODE:
		if (strcmp(arg, "busy") == 0 || strcmp(arg, "idle") == 0) {
			cfg->service_idle = arg[0] == 'i';
			return 0;
		}
		HM_LOG(ERR, EAL, "--service-mode %s: must be busy or idle", arg);
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

/*
 * --slab-debug[=letters], as the kernel's slub_debug=: P poison, Z red zones,
 * F free checks. The bits are HM_SLAB_POISON, HM_SLAB_RED_ZONE and
 * HM_SLAB_CONSISTENCY of slab.h, which eal does not include.
 */
static int
parse_slab_debug(const char *arg, struct hm_eal_config *cfg)
{
	if (arg == NULL) {
		cfg->slab_debug = 0x2 | 0x4 | 0x8;
		return 0;
	}
	cfg->slab_debug = 0;
	for (const char *c = arg; *c != '\0'; c++) {
		switch (*c) {
		case 'P':
		case 'p':
			cfg->slab_debug |= 0x2;
			break;
		case 'Z':
		case 'z':
			cfg->slab_debug |= 0x4;
			break;
		case 'F':
		case 'f':
			cfg->slab_debug |= 0x8;
			break;
		default:
			HM_LOG(ERR, EAL, "--slab-debug=%s: '%c' is not one of P, Z, F", arg, *c);
			return -EINVAL;
		}
	}
	if (cfg->slab_debug == 0) {
		HM_LOG(ERR, EAL, "--slab-debug=: give P, Z or F, or no value for all");
		return -EINVAL;
	}
	return 0;
}

/* Default lcores: one per CPU this process may run on, lcore id = CPU id. */
static int
default_lcores(struct hm_eal_config *cfg)
{
	cpu_set_t allowed;
	unsigned int cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -errno;
	lcores_reset(cfg);
	for (cpu = 0; cpu < HM_MAX_LCORE; cpu++) {
		if (CPU_ISSET(cpu, &allowed))
			enable_lcore(cfg, "default", "", cpu, NULL);
	}
	return cfg->lcore_count > 0 ? 0 : -ENODEV;
}

int
hm_eal_parse_args(int argc, char **argv, struct hm_eal_config *cfg)
{
	const char *prog = argc > 0 && argv[0] != NULL ? argv[0] : "hugemem";
	int opt, idx, ret;
	unsigned int i;

	hm_eal_config_defaults(cfg);
	if (argc < 1 || argv == NULL) {
		HM_LOG(ERR, EAL, "argv: expected at least the program name");
		return -EINVAL;
	}
	opterr = 0;
	optind = 0; /* full re-initialisation of getopt: init may be called again */
	while ((opt = getopt_long(argc, argv, short_options, long_options, &idx)) != -1) {
		switch (opt) {
		case 'h':
			hm_eal_usage(prog);
			return -ECANCELED;
		case 'v':
			printf("hugemem %s\n", hm_version());
			return -ECANCELED;
		case '?':
			if (optopt > 0 && optopt < OPT_LCORES)
				HM_LOG(ERR, EAL, "option -%c: %s", optopt,
				       strchr(short_options, optopt) ? "needs a value"
								     : "unknown option");
			else if (optopt >= OPT_LCORES)
				HM_LOG(ERR, EAL, "option %s: %s", argv[optind - 1],
				       strchr(argv[optind - 1], '=') ? "takes no value"
								     : "needs a value");
			else
				HM_LOG(ERR, EAL, "option %s: unknown, or missing its value",
				       argv[optind - 1]);
			return -EINVAL;
		case ':':
			HM_LOG(ERR, EAL, "option %s: needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			ret = parse_one(opt, optarg, cfg);
			if (ret < 0)
				return ret;
		}
	}
	if (cfg->lcore_opt == 0) {
		ret = default_lcores(cfg);
		if (ret < 0) {
			HM_LOG(ERR, EAL, "lcores: cannot read this process's CPU affinity");
			return ret;
		}
	}
	for (i = 0; i < HM_MAX_LCORE; i++) {
		if (cfg->lcores[i].enabled) {
			cfg->main_lcore = i;
			break;
		}
	}
	for (i = 0; i < HM_MAX_LCORE; i++) {
		unsigned int cpu;

		if (!cfg->lcores[i].enabled)
			continue;
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &cfg->lcores[i].cpuset) &&
			    check_cpu("lcores", "", cpu) < 0)
				return -EINVAL;
	}
	/* Like rte_eal_init: the application sees its own arguments after ours. */
	if (optind > 0)
		argv[optind - 1] = argv[0];
	return optind - 1;
}

static bool
any_nonzero(const uint64_t *v)
{
	for (unsigned int i = 0; i < HM_MAX_NUMA_NODES; i++)
		if (v[i] != 0)
			return true;
	return false;
}

int
hm_eal_check_options(const struct hm_eal_config *cfg)
{
	cpu_set_t allowed;
	unsigned int i, cpu;

	if (cfg->mem_parsed && cfg->force_sockets) {
		HM_LOG(ERR, EAL, "options -m and --socket-mem cannot be used together");
		return -EINVAL;
	}
	if (cfg->no_huge && cfg->force_sockets) {
		HM_LOG(ERR, EAL, "option --socket-mem cannot be used with --no-huge");
		return -EINVAL;
	}
	if (cfg->no_huge && cfg->force_socket_limits) {
		HM_LOG(
		    ERR, EAL,
		    "option --socket-limit cannot be used with --no-huge (static memory layout)");
		return -EINVAL;
	}
	if (cfg->no_huge && cfg->huge_unlink == HM_HUGE_UNLINK_ALWAYS) {
		HM_LOG(ERR, EAL, "option --huge-unlink cannot be used with --no-huge");
		return -EINVAL;
	}
	if (cfg->in_memory && cfg->huge_unlink == HM_HUGE_UNLINK_NEVER) {
		HM_LOG(ERR, EAL, "option --in-memory is not compatible with --huge-unlink=never");
		return -EINVAL;
	}
	if (cfg->in_memory && cfg->no_huge) {
		HM_LOG(
		    ERR, EAL,
		    "option --in-memory is not compatible with --no-huge (static memory layout)");
		return -EINVAL;
	}
	if (cfg->proc_type == HM_PROC_SECONDARY && cfg->in_memory) {
		HM_LOG(ERR, EAL,
		       "option --proc-type=secondary is not compatible with --in-memory: "
		       "an in-memory primary shares nothing");
		return -EINVAL;
	}
	if (cfg->proc_type == HM_PROC_SECONDARY && cfg->no_huge) {
		HM_LOG(ERR, EAL,
		       "option --proc-type=secondary is not compatible with --no-huge: "
		       "--no-huge memory is private to one process");
		return -EINVAL;
	}
	if (cfg->iova_mode == HM_IOVA_PA && cfg->no_huge) {
		HM_LOG(ERR, EAL,
		       "option --iova-mode=pa cannot be used with --no-huge: "
		       "anonymous memory has no stable physical addresses");
		return -EINVAL;
	}
	if (cfg->force_sockets && cfg->force_socket_limits) {
		for (i = 0; i < HM_MAX_NUMA_NODES; i++) {
			if (cfg->socket_limit[i] != 0 &&
			    cfg->socket_mem[i] > cfg->socket_limit[i]) {
				HM_LOG(ERR, EAL,
				       "option --socket-limit: socket %u limit %" PRIu64
				       " MB is below its --socket-mem %" PRIu64 " MB",
				       i, cfg->socket_limit[i] >> 20, cfg->socket_mem[i] >> 20);
				return -EINVAL;
			}
		}
	}
	if (cfg->force_sockets && !any_nonzero(cfg->socket_mem)) {
		HM_LOG(ERR, EAL, "option --socket-mem: asks for no memory on any socket");
		return -EINVAL;
	}
	if (!cfg->lcores[cfg->main_lcore].enabled) {
		HM_LOG(ERR, EAL, "main lcore %u is not enabled", cfg->main_lcore);
		return -EINVAL;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -errno;
	for (i = 0; i < HM_MAX_LCORE; i++) {
		if (!cfg->lcores[i].enabled)
			continue;
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (CPU_ISSET(cpu, &cfg->lcores[i].cpuset) && !CPU_ISSET(cpu, &allowed)) {
				HM_LOG(ERR, EAL,
				       "lcore %u: cpu %u is not available to this process "
				       "(%d cpus allowed)",
				       i, cpu, CPU_COUNT(&allowed));
				return -EINVAL;
			}
		}
	}
	return 0;
}

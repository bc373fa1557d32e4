/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugememd: the primary process. Brings up the EAL with the given options,
 * creates the pools and caches of its configuration file, prints what it
 * pinned and made, and serves until SIGINT or SIGTERM, then releases
 * everything (hugepage files, runtime directory) and exits 0.
 *
 * SIGINT/SIGTERM/SIGHUP are blocked before hm_eal_init() so that every
 * lcore thread inherits the mask and only the main thread, in sigwaitinfo(),
 * ever sees them: cleanup runs in ordinary thread context, not in a handler.
 *
 * The configuration file (--config FILE) is INI, read with libinih:
 *
 *   [eal]           EAL options as keys: "socket-mem = 512" is --socket-mem 512,
 *                   "no-huge = true" is --no-huge ("false" leaves it out),
 *                   one-letter keys are the short options ("l = 0" is -l 0)
 *   [mempool NAME]  n, elt_size, cache_size, min_nr, socket, flags
 *   [pktpool NAME]  n, cache_size, priv_size, data_room, socket
 *   [slab NAME]     size, align, flags
 *
 * The whole file is read and checked before hm_eal_init(), so a bad file
 * pins nothing. Each [eal] line is run alone through the EAL's own parser
 * and checks (which have no side effects; an option the command line
 * replaces only has to parse), so a bad key or value is reported with its
 * line in the EAL's words. Pools and caches are created after hm_eal_init(),
 * in file order; the first one that fails stops hugememd.
 *
 * Precedence: the EAL gets the file's options first and the command line's
 * after them, less every file option that the command line replaces: one of
 * the same group (-l, -c and --lcores; -m and --socket-mem; --telemetry and
 * --no-telemetry) or one the EAL refuses beside it whatever the values
 * (--no-huge against --socket-mem, --socket-limit and --in-memory). The EAL
 * refuses a second lcore option and adds up --log-level patterns, so
 * dropping the file's option, not appending after it, is what lets the
 * command line win.
 *
 * Every error is one line on stderr, "hugememd: FILE:LINE: what", and exit
 * status 1 (after hm_eal_cleanup() if the EAL was up).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include <hugemem/hugemem.h>

#include "eal_pvt.h"

#define PROG "hugememd"

/* ============================================================ EAL options */

enum eal_arg {
	EAL_ARG_NONE,
	EAL_ARG_REQUIRED,
	EAL_ARG_OPTIONAL, /* only as --name=value */
};

/*
 * The EAL's options, as src/eal/eal_options.c takes them (keep the two in
 * step: an option missing here still works in the file, where the EAL judges
 * it, but on the command line it replaces nothing and ends the walk over the
 * EAL's options). A one-letter name is a short option. Options of one group
 * set one thing: the command line's replaces the file's.
 */
struct eal_option {
	const char *name;
	enum eal_arg arg;
	const char *group;
	bool repeatable; /* the EAL adds up repeats (--log-level) */
	bool file_ok;	 /* may be a key of [eal] */
};

static const struct eal_option eal_options[] = {
    {"l", EAL_ARG_REQUIRED, "lcores", false, true},
    {"c", EAL_ARG_REQUIRED, "lcores", false, true},
    {"lcores", EAL_ARG_REQUIRED, "lcores", false, true},
    {"n", EAL_ARG_REQUIRED, "channels", false, true},
    {"m", EAL_ARG_REQUIRED, "memory", false, true},
    {"socket-mem", EAL_ARG_REQUIRED, "memory", false, true},
    {"socket-limit", EAL_ARG_REQUIRED, "socket-limit", false, true},
    {"huge-dir", EAL_ARG_REQUIRED, "huge-dir", false, true},
    {"file-prefix", EAL_ARG_REQUIRED, "file-prefix", false, true},
    {"proc-type", EAL_ARG_REQUIRED, "proc-type", false, true},
    {"iova-mode", EAL_ARG_REQUIRED, "iova-mode", false, true},
    {"no-huge", EAL_ARG_NONE, "no-huge", false, true},
    {"in-memory", EAL_ARG_NONE, "in-memory", false, true},
    {"base-virtaddr", EAL_ARG_REQUIRED, "base-virtaddr", false, true},
    {"huge-unlink", EAL_ARG_OPTIONAL, "huge-unlink", false, true},
    {"log-level", EAL_ARG_REQUIRED, "log-level", true, true},
    {"telemetry", EAL_ARG_NONE, "telemetry", false, true},
    {"no-telemetry", EAL_ARG_NONE, "telemetry", false, true},
    {"telemetry-group", EAL_ARG_REQUIRED, "telemetry-group", false, true},
    {"slab-debug", EAL_ARG_OPTIONAL, "slab-debug", false, true},
    {"service-mode", EAL_ARG_REQUIRED, "service-mode", false, true},
    {"h", EAL_ARG_NONE, "help", false, false},
    {"help", EAL_ARG_NONE, "help", false, false},
    {"v", EAL_ARG_NONE, "version", false, false},
    {"version", EAL_ARG_NONE, "version", false, false},
};

/* Pairs the EAL refuses together whatever their values. */
static const char *const eal_conflicts[][2] = {
    {"no-huge", "socket-mem"},
    {"no-huge", "socket-limit"},
    {"no-huge", "in-memory"},
};

static bool
is_short(const struct eal_option *o)
{
	return o->name[1] == '\0';
}

static const struct eal_option *
eal_option_short(char c)
{
	for (size_t i = 0; i < HM_DIM(eal_options); i++)
		if (is_short(&eal_options[i]) && eal_options[i].name[0] == c)
			return &eal_options[i];
	return NULL;
}

/* A long option as getopt_long() finds it: the exact name, else a unique abbreviation. */
static const struct eal_option *
eal_option_long(const char *name, size_t len, bool exact_only)
{
	const struct eal_option *found = NULL;
	size_t i;

	for (i = 0; i < HM_DIM(eal_options); i++)
		if (!is_short(&eal_options[i]) && strlen(eal_options[i].name) == len &&
		    strncmp(eal_options[i].name, name, len) == 0)
			return &eal_options[i];
	for (i = 0; i < HM_DIM(eal_options) && !exact_only; i++) {
		if (is_short(&eal_options[i]) || strncmp(eal_options[i].name, name, len) != 0)
			continue;
		if (found != NULL)
			return NULL; /* ambiguous: the EAL will say so */
		found = &eal_options[i];
	}
	return found;
}

/* Whether an option on the command line makes the file's option o go. */
static bool
eal_replaces(const struct eal_option *cmd, const struct eal_option *o)
{
	if (strcmp(cmd->group, o->group) == 0)
		return true;
	for (size_t i = 0; i < HM_DIM(eal_conflicts); i++) {
		const char *a = eal_conflicts[i][0], *b = eal_conflicts[i][1];

		if ((strcmp(cmd->name, a) == 0 && strcmp(o->name, b) == 0) ||
		    (strcmp(cmd->name, b) == 0 && strcmp(o->name, a) == 0))
			return true;
	}
	return false;
}

/* ================================================== what a call logs */

/*
 * The library logs the reason of a failure as one line on stderr. To end our
 * own "FILE:LINE:" line with that reason, stderr goes to a pipe for the
 * length of the call.
 */
struct log_catch {
	int pipe[2];
	int saved_stderr;
};

static int
log_catch_begin(struct log_catch *lc)
{
	fflush(stderr);
	if (pipe2(lc->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	lc->saved_stderr = dup(STDERR_FILENO);
	if (lc->saved_stderr < 0 || dup2(lc->pipe[1], STDERR_FILENO) < 0) {
		int err = errno;

		if (lc->saved_stderr >= 0)
			close(lc->saved_stderr);
		close(lc->pipe[0]);
		close(lc->pipe[1]);
		return -err;
	}
	return 0;
}

/*
 * Give stderr back. After a failure (failed), why gets the last line that
 * was logged, the reason the failing call gave, with its "hugemem:
 * <subsystem>: " cut; every other line goes to stderr as it came.
 */
static void
log_catch_end(struct log_catch *lc, bool failed, char *why, size_t len)
{
	char buf[4096], *last;
	ssize_t n;
	size_t end;

	dup2(lc->saved_stderr, STDERR_FILENO);
	close(lc->saved_stderr);
	close(lc->pipe[1]);
	n = read(lc->pipe[0], buf, sizeof(buf) - 1);
	close(lc->pipe[0]);
	end = n > 0 ? (size_t)n : 0;
	while (end > 0 && buf[end - 1] == '\n')
		end--;
	buf[end] = '\0';
	why[0] = '\0';
	if (!failed || end == 0) {
		if (end > 0)
			fprintf(stderr, "%s\n", buf);
		return;
	}
	last = strrchr(buf, '\n');
	if (last != NULL) {
		*last++ = '\0';
		fprintf(stderr, "%s\n", buf);
	} else {
		last = buf;
	}
	if (strncmp(last, "hugemem: ", 9) == 0 && strstr(last + 9, ": ") != NULL)
		last = strstr(last + 9, ": ") + 2;
	end = strnlen(last, len - 1);
	memcpy(why, last, end);
	why[end] = '\0';
}

/* ================================================== the configuration file */

enum section_kind {
	SECTION_NONE,
	SECTION_EAL,
	SECTION_MEMPOOL,
	SECTION_PKTPOOL,
	SECTION_SLAB,
};

static const char *const section_names[] = {
    [SECTION_EAL] = "eal",
    [SECTION_MEMPOOL] = "mempool",
    [SECTION_PKTPOOL] = "pktpool",
    [SECTION_SLAB] = "slab",
};

#define KIND(k) (1u << (k))

enum object_key {
	KEY_N,
	KEY_ELT_SIZE,
	KEY_CACHE_SIZE,
	KEY_MIN_NR,
	KEY_PRIV_SIZE,
	KEY_DATA_ROOM,
	KEY_SOCKET,
	KEY_SIZE,
	KEY_ALIGN,
	KEY_FLAGS,
	KEY_COUNT,
};

/* The keys of [mempool], [pktpool] and [slab], with the ranges the APIs take. */
static const struct {
	const char *name;
	uint32_t kinds;	   /* sections that have it */
	uint32_t required; /* sections that need it */
	int64_t min, max;
	int64_t dflt;
} object_keys[KEY_COUNT] = {
    [KEY_N] = {"n", KIND(SECTION_MEMPOOL) | KIND(SECTION_PKTPOOL),
	       KIND(SECTION_MEMPOOL) | KIND(SECTION_PKTPOOL), 1, HM_MEMPOOL_MAX_OBJS, 0},
    [KEY_ELT_SIZE] = {"elt_size", KIND(SECTION_MEMPOOL), KIND(SECTION_MEMPOOL), 1,
		      HM_MEMPOOL_MAX_ELT_SIZE, 0},
    [KEY_CACHE_SIZE] = {"cache_size", KIND(SECTION_MEMPOOL) | KIND(SECTION_PKTPOOL), 0, 0,
			HM_MEMPOOL_CACHE_MAX_SIZE, 0},
    [KEY_MIN_NR] = {"min_nr", KIND(SECTION_MEMPOOL), 0, 0, HM_MEMPOOL_MAX_OBJS, 0},
    [KEY_PRIV_SIZE] = {"priv_size", KIND(SECTION_PKTPOOL), 0, 0, 1024, 0},
    [KEY_DATA_ROOM] = {"data_room", KIND(SECTION_PKTPOOL), 0, 1, UINT16_MAX,
		       2048 + HM_PKTBUF_HEADROOM},
    [KEY_SOCKET] = {"socket", KIND(SECTION_MEMPOOL) | KIND(SECTION_PKTPOOL), 0, 0,
		    HM_MAX_NUMA_NODES - 1, HM_SOCKET_ID_ANY},
    [KEY_SIZE] = {"size", KIND(SECTION_SLAB), KIND(SECTION_SLAB), 1, HM_SLAB_MAX_SIZE, 0},
    [KEY_ALIGN] = {"align", KIND(SECTION_SLAB), 0, 0, 4096, 0},
    [KEY_FLAGS] = {"flags", KIND(SECTION_MEMPOOL) | KIND(SECTION_SLAB), 0, 0, 0, 0},
};

struct flag_name {
	const char *name;
	unsigned int bits;
};

static const struct flag_name mempool_flags[] = {
    {"sp_put", HM_MEMPOOL_SP_PUT},
    {"sc_get", HM_MEMPOOL_SC_GET},
    {"no_cache_align", HM_MEMPOOL_NO_CACHE_ALIGN},
    {"debug", HM_MEMPOOL_DEBUG},
    {"owned", HM_MEMPOOL_OWNED},
    {NULL, 0},
};

static const struct flag_name slab_flags[] = {
    {"hwcache_align", HM_SLAB_HWCACHE_ALIGN},
    {"poison", HM_SLAB_POISON},
    {"red_zone", HM_SLAB_RED_ZONE},
    {"consistency", HM_SLAB_CONSISTENCY},
    {"debug", HM_SLAB_DEBUG},
    {"owned", HM_SLAB_OWNED},
    {NULL, 0},
};

/* Pool and cache names: the shorter of the two limits. */
#define OBJECT_NAMESIZE                                                                            \
	(HM_MEMPOOL_NAMESIZE < HM_SLAB_NAMESIZE ? HM_MEMPOOL_NAMESIZE : HM_SLAB_NAMESIZE)

/* A [mempool], [pktpool] or [slab] section, and what was made of it. */
struct conf_object {
	enum section_kind kind;
	char name[OBJECT_NAMESIZE];
	unsigned int line;
	int64_t val[KEY_COUNT];
	unsigned int key_line[KEY_COUNT]; /* 0: not given */
	struct hm_mempool *pool;
	struct hm_slab_cache *cache;
};

/* An [eal] key: the arguments it stands for (none for "false"). */
struct conf_eal {
	const struct eal_option *opt; /* NULL: no option hugememd knows; the EAL judges it */
	char key[64];
	char *args[2];
	int nb_args;
	unsigned int line;
	bool replaced; /* by the command line */
};

struct config {
	const char *path;
	FILE *file;
	unsigned int line; /* of the last line handed to inih */
	char error[512];   /* the first error, without "FILE:LINE: " */
	unsigned int error_line;

	enum section_kind kind; /* of the section being read */
	unsigned int eal_line;	/* of [eal], 0 if none */

	struct conf_eal *eal;
	unsigned int nb_eal;
	struct conf_object *objects;
	unsigned int nb_objects;
};

static int __attribute__((format(printf, 3, 4)))
conf_error(struct config *c, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (c->error_line != 0)
		return 0; /* the first error is the one reported */
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->error_line = line;
	return 0; /* what an inih handler returns on error */
}

static struct conf_object *
conf_current_object(struct config *c)
{
	return &c->objects[c->nb_objects - 1];
}

/* Decimal, or hexadecimal after 0x; no sign, nothing after the digits. */
static int
parse_int(const char *s, int64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s < '0' || (base == 10 && *s > '9') ||
	    (base == 16 && strchr("0123456789abcdefABCDEF", *s) == NULL))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

/* A comma-separated list of names from table into *bits. */
static int
parse_flags(struct config *c, const char *section, const char *value, const struct flag_name *table,
	    int64_t *bits)
{
	const char *p = value;

	*bits = 0;
	while (*p != '\0') {
		size_t len, i;

		p += strspn(p, " \t");
		len = strcspn(p, ", \t");
		for (i = 0; table[i].name != NULL; i++)
			if (strlen(table[i].name) == len && strncmp(table[i].name, p, len) == 0)
				break;
		if (table[i].name == NULL) {
			char known[256] = "";

			for (size_t k = 0; table[k].name != NULL; k++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", k > 0 ? ", " : "", table[k].name);
			return conf_error(c, c->line,
					  "[%s]: flags = %s: unknown flag '%.*s' (known: %s)",
					  section, value, (int)len, p, known);
		}
		*bits |= table[i].bits;
		p += len;
		p += strspn(p, " \t");
		if (*p == ',') {
			p++;
			if (p[strspn(p, " \t")] == '\0')
				return conf_error(c, c->line,
						  "[%s]: flags = %s: empty flag after ','", section,
						  value);
		} else if (*p != '\0') {
			return conf_error(c, c->line, "[%s]: flags = %s: expected ',' before '%s'",
					  section, value, p);
		}
	}
	return 1;
}

static void
object_begin(struct config *c, enum section_kind kind, const char *name)
{
	struct conf_object *o = conf_current_object(c);

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->line = c->line;
	for (unsigned int k = 0; k < KEY_COUNT; k++)
		o->val[k] = object_keys[k].dflt;
}

/* The section that ends: its required keys must be there. */
static void
section_end(struct config *c)
{
	struct conf_object *o;

	if (c->kind == SECTION_NONE || c->kind == SECTION_EAL)
		return;
	o = conf_current_object(c);
	for (unsigned int k = 0; k < KEY_COUNT; k++)
		if ((object_keys[k].required & KIND(o->kind)) && o->key_line[k] == 0) {
			conf_error(c, o->line, "[%s %s]: missing key '%s'", section_names[o->kind],
				   o->name, object_keys[k].name);
			return;
		}
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= OBJECT_NAMESIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

/*
 * A "[...]" line, seen by the reader before inih parses it (inih tells its
 * handler nothing about a section header, so an empty section would go
 * unnoticed): "[eal]" or "[KIND NAME]", a comment after it at most.
 */
static void
section_begin(struct config *c, char *text)
{
	char header[256], *kind, *name, *rest, *end = strchr(text, ']');
	size_t len;

	section_end(c);
	c->kind = SECTION_NONE;
	if (c->error_line != 0)
		return;
	if (end == NULL) {
		conf_error(c, c->line, "section header without ']'");
		return;
	}
	rest = end + 1 + strspn(end + 1, " \t\r\n");
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		conf_error(c, c->line, "text after the section header: '%.*s'",
			   (int)strcspn(rest, "\r\n"), rest);
		return;
	}
	len = (size_t)(end - text - 1);
	if (len >= sizeof(header))
		len = sizeof(header) - 1;
	memcpy(header, text + 1, len);
	header[len] = '\0';
	kind = header + strspn(header, " \t");
	name = kind + strcspn(kind, " \t");
	if (*name != '\0')
		*name++ = '\0';
	name += strspn(name, " \t");
	rest = name + strcspn(name, " \t");
	if (*rest != '\0')
		*rest++ = '\0';
	rest += strspn(rest, " \t");

	if (strcmp(kind, "eal") == 0 && *name == '\0') {
		if (c->eal_line != 0) {
			conf_error(c, c->line, "[eal] given twice (first on line %u)", c->eal_line);
			return;
		}
		c->kind = SECTION_EAL;
		c->eal_line = c->line;
		return;
	}
	for (enum section_kind k = SECTION_MEMPOOL; k <= SECTION_SLAB; k++) {
		struct conf_object *objects;

		if (strcmp(kind, section_names[k]) != 0)
			continue;
		if (*name == '\0' || *rest != '\0' || !name_ok(name)) {
			conf_error(
			    c, c->line,
			    "[%s%s%s%s%s]: expected one name of 1 to %d printable characters "
			    "without spaces",
			    kind, *name ? " " : "", name, *rest ? " " : "", rest,
			    OBJECT_NAMESIZE - 1);
			return;
		}
		for (unsigned int i = 0; i < c->nb_objects; i++) {
			const struct conf_object *o = &c->objects[i];
			/* Packet pools are mempools: one namespace. */
			bool pools = (k != SECTION_SLAB && o->kind != SECTION_SLAB);

			if ((o->kind == k || pools) && strcmp(o->name, name) == 0) {
				conf_error(c, c->line,
					   "[%s %s]: the name %s is taken by [%s %s] on line %u",
					   kind, name, name, section_names[o->kind], o->name,
					   o->line);
				return;
			}
		}
		objects = realloc(c->objects, (c->nb_objects + 1) * sizeof(*objects));
		if (objects == NULL) {
			conf_error(c, c->line, "out of memory");
			return;
		}
		c->objects = objects;
		c->nb_objects++;
		object_begin(c, k, name);
		c->kind = k;
		return;
	}
	conf_error(c, c->line,
		   "unknown section [%s%s%s]: expected [eal], [mempool NAME], [pktpool NAME] or "
		   "[slab NAME]",
		   kind, *name ? " " : "", name);
}

/*
 * inih's line reader: counts lines (inih keeps the number to itself), sees
 * section headers, and refuses what inih would take silently: an indented
 * line (inih continues the previous value with it) and a line too long for
 * its buffer (inih would read the rest as a line of its own).
 */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct config *c = stream;
	char *p;
	size_t len;

	if (c->error_line != 0)
		return NULL;
	if (fgets(str, num, c->file) == NULL) {
		if (ferror(c->file))
			conf_error(c, c->line + 1, "read error");
		else
			section_end(c);
		return NULL;
	}
	c->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(c->file)) {
		conf_error(c, c->line, "line longer than %d characters", num - 2);
		return NULL;
	}
	p = str;
	if (c->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* UTF-8 byte order mark, which inih skips too */
	if (*p == ' ' || *p == '\t') {
		const char *q = p + strspn(p, " \t\r\n");

		if (*q != '\0' && *q != ';' && *q != '#') {
			conf_error(c, c->line,
				   "indented line: keys and sections start at the beginning of a "
				   "line, and a value does not go on over lines");
			return NULL;
		}
	} else if (*p == '[') {
		section_begin(c, p);
	}
	return c->error_line != 0 ? NULL : str;
}

static int
conf_eal_key(struct config *c, const char *key, const char *value)
{
	const struct eal_option *o;
	struct conf_eal *e, *eal;
	char buf[512];

	o = key[0] != '\0' && key[1] == '\0' ? eal_option_short(key[0])
					     : eal_option_long(key, strlen(key), true);
	if (o != NULL && !o->file_ok)
		return conf_error(c, c->line, "[eal] %s: not an option for a configuration file",
				  key);
	if (strlen(key) >= sizeof(e->key))
		return conf_error(c, c->line, "[eal] %.40s...: unknown EAL option", key);
	for (unsigned int i = 0; i < c->nb_eal; i++) {
		const struct conf_eal *prev = &c->eal[i];

		if (o != NULL && prev->opt != NULL
			? (strcmp(o->group, prev->opt->group) == 0 && !o->repeatable)
			: strcmp(key, prev->key) == 0)
			return conf_error(c, c->line,
					  "[eal] %s: sets what '%s' on line %u sets already", key,
					  prev->key, prev->line);
	}
	eal = realloc(c->eal, (c->nb_eal + 1) * sizeof(*eal));
	if (eal == NULL)
		return conf_error(c, c->line, "out of memory");
	c->eal = eal;
	e = &c->eal[c->nb_eal++];
	memset(e, 0, sizeof(*e));
	e->opt = o;
	e->line = c->line;
	snprintf(e->key, sizeof(e->key), "%s", key);

	if (o != NULL && o->arg == EAL_ARG_REQUIRED) {
		if (value[0] == '\0')
			return conf_error(c, c->line, "[eal] %s: needs a value", key);
		snprintf(buf, sizeof(buf), "%s%s", is_short(o) ? "-" : "--", key);
		e->args[e->nb_args++] = strdup(buf);
		e->args[e->nb_args++] = strdup(value);
	} else if (strcmp(value, "true") == 0) {
		snprintf(buf, sizeof(buf), "%s%s", o != NULL && is_short(o) ? "-" : "--", key);
		e->args[e->nb_args++] = strdup(buf);
	} else if (strcmp(value, "false") == 0) {
		/* Left out. */
	} else if (o != NULL && o->arg == EAL_ARG_NONE) {
		return conf_error(c, c->line, "[eal] %s = %s: expected true or false", key, value);
	} else {
		snprintf(buf, sizeof(buf), "--%s=%s", key, value);
		e->args[e->nb_args++] = strdup(buf);
	}
	for (int i = 0; i < e->nb_args; i++)
		if (e->args[i] == NULL)
			return conf_error(c, c->line, "out of memory");
	return 1;
}

static int
conf_object_key(struct config *c, const char *key, const char *value)
{
	struct conf_object *o = conf_current_object(c);
	const char *section = section_names[o->kind];
	unsigned int k;
	int64_t v;

	for (k = 0; k < KEY_COUNT; k++)
		if ((object_keys[k].kinds & KIND(o->kind)) && strcmp(object_keys[k].name, key) == 0)
			break;
	if (k == KEY_COUNT) {
		char known[256] = "";

		for (unsigned int i = 0; i < KEY_COUNT; i++)
			if (object_keys[i].kinds & KIND(o->kind))
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? ", " : "", object_keys[i].name);
		return conf_error(c, c->line, "[%s %s]: unknown key '%s' (known: %s)", section,
				  o->name, key, known);
	}
	if (o->key_line[k] != 0)
		return conf_error(c, c->line, "[%s %s]: '%s' given twice (first on line %u)",
				  section, o->name, key, o->key_line[k]);
	o->key_line[k] = c->line;

	if (k == KEY_FLAGS) {
		char where[64];

		snprintf(where, sizeof(where), "%s %s", section, o->name);
		if (parse_flags(c, where, value,
				o->kind == SECTION_SLAB ? slab_flags : mempool_flags, &v) == 0)
			return 0;
	} else if (k == KEY_SOCKET && strcmp(value, "any") == 0) {
		v = HM_SOCKET_ID_ANY;
	} else if (parse_int(value, &v) < 0 || v < object_keys[k].min || v > object_keys[k].max) {
		return conf_error(c, c->line,
				  "[%s %s]: %s = %s: expected %s%" PRId64 " to %" PRId64, section,
				  o->name, key, value, k == KEY_SOCKET ? "any or " : "",
				  object_keys[k].min, object_keys[k].max);
	} else if (k == KEY_ALIGN && (v & (v - 1)) != 0) {
		return conf_error(c, c->line,
				  "[%s %s]: align = %s: expected 0 or a power of two up to 4096",
				  section, o->name, value);
	}
	o->val[k] = v;
	return 1;
}

static int
conf_handler(void *user, const char *section, const char *key, const char *value)
{
	struct config *c = user;

	(void)section; /* the reader saw the header and knows the section better */
	if (c->error_line != 0)
		return 0;
	switch (c->kind) {
	case SECTION_NONE:
		return conf_error(c, c->line, "'%s' is outside any section", key);
	case SECTION_EAL:
		return conf_eal_key(c, key, value);
	default:
		return conf_object_key(c, key, value);
	}
}

static void
conf_free(struct config *c)
{
	for (unsigned int i = 0; i < c->nb_eal; i++)
		for (int a = 0; a < c->eal[i].nb_args; a++)
			free(c->eal[i].args[a]);
	free(c->eal);
	free(c->objects);
	c->eal = NULL;
	c->objects = NULL;
	c->nb_eal = 0;
	c->nb_objects = 0;
}

/* Read and check the file. @return 0, or -1 after printing the one error line. */
static int
conf_read(struct config *c, const char *path)
{
	int ret;

	c->path = path;
	c->file = fopen(path, "r");
	if (c->file == NULL) {
		fprintf(stderr, PROG ": %s: cannot open the configuration file: %s\n", path,
			strerror(errno));
		return -1;
	}
	ret = ini_parse_stream(conf_reader, c, conf_handler, c);
	fclose(c->file);
	c->file = NULL;
	if (ret > 0 && (c->error_line == 0 || (unsigned int)ret < c->error_line)) {
		c->error_line = 0;
		conf_error(c, (unsigned int)ret,
			   "expected '[section]', 'key = value' or a comment (# or ;)");
	} else if (ret < 0 && c->error_line == 0) {
		conf_error(c, c->line, "cannot parse (inih error %d)", ret);
	}
	if (c->error_line != 0) {
		fprintf(stderr, PROG ": %s:%u: %s\n", path, c->error_line, c->error);
		return -1;
	}
	return 0;
}

/* ============================================ the EAL's command line */

struct hugememd {
	const char *config_path;
	bool help;
	/* The command line less --config, and the EAL options found in it. */
	char **cmd_args;
	int nb_cmd_args;
	const struct eal_option **cmd_opts;
	int nb_cmd_opts;
	/* What hm_eal_init() gets. */
	char **eal_argv;
	int eal_argc;
	struct config conf;
};

/*
 * Run the EAL's parser on argv[0..argc), and its checks of combinations and
 * of this machine's CPUs if `check`: no side effects. On a refusal, why
 * holds the reason the EAL gave.
 */
static int
eal_dry_run(int argc, char *const *argv, bool check, char *why, size_t len)
{
	struct hm_eal_config *cfg = malloc(sizeof(*cfg));
	char **copy = calloc((size_t)argc + 1, sizeof(char *));
	struct log_catch lc;
	int ret, caught;

	why[0] = '\0';
	if (cfg == NULL || copy == NULL) {
		free(cfg);
		free(copy);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	memcpy(copy, argv, (size_t)argc * sizeof(char *)); /* the parser moves argv[0] */
	caught = log_catch_begin(&lc);
	ret = hm_eal_parse_args(argc, copy, cfg);
	if (ret >= 0 && ret != argc - 1)
		ret = -E2BIG;
	else if (ret >= 0 && check)
		ret = hm_eal_check_options(cfg);
	if (caught == 0)
		log_catch_end(&lc, ret < 0, why, len);
	if (ret == -E2BIG)
		snprintf(why, len, "'%s' is not an option", argv[argc - 1]);
	else if (ret < 0 && why[0] == '\0')
		snprintf(why, len, "refused by the EAL: %s", strerror(-ret));
	free(copy);
	free(cfg);
	return ret < 0 ? ret : 0;
}

static int
push_arg(char ***args, int *n, char *arg)
{
	char **grown = realloc(*args, (size_t)(*n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -ENOMEM;
	grown[(*n)++] = arg;
	*args = grown;
	return 0;
}

static int
note_cmd_option(struct hugememd *d, const struct eal_option *o)
{
	const struct eal_option **grown;

	grown = realloc(d->cmd_opts, (size_t)(d->nb_cmd_opts + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	if (strcmp(o->group, "help") == 0)
		d->help = true;
	grown[d->nb_cmd_opts++] = o;
	d->cmd_opts = grown;
	return 0;
}

/*
 * Take --config FILE out of the command line and note the EAL options in it,
 * walking it as the EAL's getopt_long("+c:l:n:m:hv") will: up to "--" or the
 * first argument that is not an option.
 */
static int
split_command_line(struct hugememd *d, int argc, char **argv)
{
	bool options = true;
	int ret = 0;

	for (int i = 1; i < argc && ret == 0; i++) {
		const char *a = argv[i];
		const struct eal_option *o;

		if (options && (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0)) {
			const char *path = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);

			if (d->config_path != NULL) {
				fprintf(stderr, PROG ": option --config: given twice\n");
				return -1;
			}
			if (path == NULL || path[0] == '\0') {
				fprintf(stderr, PROG ": option --config: needs a FILE\n");
				return -1;
			}
			d->config_path = path;
			continue;
		}
		ret = push_arg(&d->cmd_args, &d->nb_cmd_args, argv[i]);
		if (!options || a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			o = eal_option_long(
			    a + 2, eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2), false);
			if (o == NULL)
				continue;
			ret = note_cmd_option(d, o);
			if (ret == 0 && o->arg == EAL_ARG_REQUIRED && eq == NULL && i + 1 < argc)
				ret = push_arg(&d->cmd_args, &d->nb_cmd_args, argv[++i]);
			continue;
		}
		/* Short options, clustered as getopt allows: "-l0", "-l 0", "-hv". */
		for (const char *s = a + 1; *s != '\0' && ret == 0; s++) {
			o = eal_option_short(*s);
			if (o == NULL)
				break;
			ret = note_cmd_option(d, o);
			if (o->arg == EAL_ARG_REQUIRED) {
				if (ret == 0 && s[1] == '\0' && i + 1 < argc)
					ret = push_arg(&d->cmd_args, &d->nb_cmd_args, argv[++i]);
				break;
			}
		}
	}
	if (ret < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	return 0;
}

/*
 * Check the file's [eal] options, line by line and then together (less those
 * the command line replaces), and build the EAL's argv: argv[0], the file's
 * options, the command line's.
 */
static int
build_eal_argv(struct hugememd *d, char *argv0)
{
	struct config *c = &d->conf;
	char why[512];
	int ret;

	ret = push_arg(&d->eal_argv, &d->eal_argc, argv0);
	for (unsigned int i = 0; i < c->nb_eal && ret == 0; i++) {
		struct conf_eal *e = &c->eal[i];
		char *one[3] = {argv0, e->args[0], e->args[1]};

		if (e->nb_args == 0)
			continue;
		for (int k = 0; k < d->nb_cmd_opts && e->opt != NULL; k++)
			if (eal_replaces(d->cmd_opts[k], e->opt))
				e->replaced = true;
		/* A replaced option must still parse; whether it suits this machine is moot. */
		if (eal_dry_run(1 + e->nb_args, one, !e->replaced, why, sizeof(why)) < 0) {
			fprintf(stderr, PROG ": %s:%u: [eal] %s: %s\n", c->path, e->line, e->key,
				why);
			return -1;
		}
		for (int a = 0; a < e->nb_args && !e->replaced && ret == 0; a++)
			ret = push_arg(&d->eal_argv, &d->eal_argc, e->args[a]);
	}
	if (ret == 0 && d->eal_argc > 1 &&
	    eal_dry_run(d->eal_argc, d->eal_argv, true, why, sizeof(why)) < 0) {
		fprintf(stderr, PROG ": %s:%u: [eal]: %s\n", c->path, c->eal_line, why);
		return -1;
	}
	for (int i = 0; i < d->nb_cmd_args && ret == 0; i++)
		ret = push_arg(&d->eal_argv, &d->eal_argc, d->cmd_args[i]);
	if (ret == 0)
		ret = push_arg(&d->eal_argv, &d->eal_argc, NULL);
	if (ret < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	d->eal_argc--; /* the NULL that ends argv */
	return 0;
}

/* ================================================== pools and caches */

static const char *
flag_names(const struct flag_name *table, unsigned int bits, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; table[i].name != NULL; i++)
		if ((bits & table[i].bits) == table[i].bits &&
		    (table[i].bits & (table[i].bits - 1)) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
				 table[i].name);
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
	return buf;
}

static int
create_object(struct conf_object *o)
{
	const int64_t *v = o->val;

	switch (o->kind) {
	case SECTION_MEMPOOL:
		o->pool = hm_mempool_create(
		    o->name, (unsigned int)v[KEY_N], (unsigned int)v[KEY_ELT_SIZE],
		    (unsigned int)v[KEY_CACHE_SIZE], (unsigned int)v[KEY_MIN_NR], NULL, NULL,
		    (int)v[KEY_SOCKET], (unsigned int)v[KEY_FLAGS]);
		return o->pool != NULL ? 0 : -errno;
	case SECTION_PKTPOOL:
		o->pool = hm_pktpool_create(
		    o->name, (unsigned int)v[KEY_N], (unsigned int)v[KEY_CACHE_SIZE],
		    (uint16_t)v[KEY_PRIV_SIZE], (uint16_t)v[KEY_DATA_ROOM], (int)v[KEY_SOCKET]);
		return o->pool != NULL ? 0 : -errno;
	case SECTION_SLAB:
		o->cache = hm_slab_cache_create(o->name, (size_t)v[KEY_SIZE], (size_t)v[KEY_ALIGN],
						(unsigned int)v[KEY_FLAGS], NULL, NULL);
		return o->cache != NULL ? 0 : -errno;
	default:
		return -EINVAL;
	}
}

/* Create the file's pools and caches, in file order. */
static int
create_objects(struct config *c)
{
	for (unsigned int i = 0; i < c->nb_objects; i++) {
		struct conf_object *o = &c->objects[i];
		struct log_catch lc;
		char why[512] = "";
		int ret, caught;

		caught = log_catch_begin(&lc);
		ret = create_object(o);
		if (caught == 0)
			log_catch_end(&lc, ret < 0, why, sizeof(why));
		if (ret < 0) {
			fprintf(stderr, PROG ": %s:%u: [%s %s]: cannot create it: %s\n", c->path,
				o->line, section_names[o->kind], o->name,
				why[0] != '\0' ? why : strerror(-ret));
			return -1;
		}
	}
	return 0;
}

static void
print_objects(const struct config *c)
{
	char flags[128];

	for (unsigned int i = 0; i < c->nb_objects; i++) {
		const struct conf_object *o = &c->objects[i];
		const struct hm_mempool *mp = o->pool;

		switch (o->kind) {
		case SECTION_MEMPOOL:
			printf(PROG ": mempool %s: %u objects of %u B, cache %u, reserve %u, flags "
				    "%s\n",
			       mp->name, mp->size, mp->elt_size, mp->cache_size, mp->min_nr,
			       flag_names(mempool_flags, mp->flags, flags, sizeof(flags)));
			break;
		case SECTION_PKTPOOL:
			printf(PROG ": pktpool %s: %u buffers of %u B data room (%u B private), "
				    "cache %u\n",
			       mp->name, mp->size, mp->pktbuf_data_room, mp->pktbuf_priv_size,
			       mp->cache_size);
			break;
		case SECTION_SLAB:
			printf(PROG ": slab cache %s: objects of %zu B, align %" PRId64
				    ", flags %s\n",
			       hm_slab_cache_name(o->cache), hm_slab_cache_object_size(o->cache),
			       o->val[KEY_ALIGN],
			       flag_names(slab_flags, (unsigned int)o->val[KEY_FLAGS], flags,
					  sizeof(flags)));
			break;
		default:
			break;
		}
	}
}

/* ================================================================ main */

static const char *
iova_mode_name(enum hm_iova_mode m)
{
	return m == HM_IOVA_PA ? "PA" : m == HM_IOVA_VA ? "VA" : "DC";
}

static void
print_summary(const struct config *c)
{
	struct hm_memory_info info;

	if (hm_memory_info_get(&info) < 0)
		return;
	printf("hugememd: prefix %s, pid %d, %u lcores (main %u), IOVA mode %s\n",
	       hm_eal_file_prefix(), (int)getpid(), hm_lcore_count(), hm_get_main_lcore(),
	       iova_mode_name(hm_eal_iova_mode()));
	if (c->path != NULL)
		printf("hugememd: configuration %s\n", c->path);
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
	print_objects(c);
	if (hm_eal_runtime_dir()[0] != '\0')
		printf("hugememd: runtime directory %s\n", hm_eal_runtime_dir());
	printf("hugememd: serving; stop with SIGTERM or Ctrl-C\n");
	fflush(stdout);
}

static void
print_config_usage(void)
{
	printf("\nhugememd options:\n"
	       "  --config FILE          EAL options, pools and caches from an INI file\n"
	       "                         ([eal], [mempool NAME], [pktpool NAME], [slab NAME]);\n"
	       "                         options on the command line win\n");
}

static void
hugememd_free(struct hugememd *d)
{
	conf_free(&d->conf);
	free(d->cmd_args);
	free(d->cmd_opts);
	free(d->eal_argv);
}

int
main(int argc, char **argv)
{
	struct hugememd d = {0};
	sigset_t set;
	siginfo_t si;
	char **eal_argv;
	int ret, eal_argc;

	if (split_command_line(&d, argc, argv) < 0 ||
	    (d.config_path != NULL && !d.help && conf_read(&d.conf, d.config_path) < 0) ||
	    build_eal_argv(&d, argv[0]) < 0) {
		hugememd_free(&d);
		return 1;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	eal_argc = d.eal_argc;
	eal_argv = d.eal_argv;
	ret = hm_eal_init(eal_argc, eal_argv);
	if (ret == -ECANCELED) {
		if (d.help)
			print_config_usage();
		hugememd_free(&d);
		return 0;
	}
	if (ret < 0) {
		hugememd_free(&d);
		return 1; /* hm_eal_init() logged the one line that says why */
	}
	eal_argc -= ret;
	eal_argv += ret;
	if (eal_argc > 1) {
		fprintf(stderr, "hugememd: unexpected argument '%s'\n", eal_argv[1]);
		hm_eal_cleanup();
		hugememd_free(&d);
		return 1;
	}
	if (hm_eal_process_type() != HM_PROC_PRIMARY) {
		fprintf(stderr,
			"hugememd: a primary already runs for prefix %s; hugememd is "
			"the primary, not a secondary\n",
			hm_eal_file_prefix());
		hm_eal_cleanup();
		hugememd_free(&d);
		return 1;
	}
	if (create_objects(&d.conf) < 0) {
		hm_eal_cleanup();
		hugememd_free(&d);
		return 1;
	}
	print_summary(&d.conf);

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
	hugememd_free(&d);
	return 0;
}

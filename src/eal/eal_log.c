/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging: one line per message on stderr, "hugemem: <subsys>: <text>".
 *
 * A message passes if its level is at or below the level of its subsystem:
 * the last --log-level pattern that matches the subsystem's name, else the
 * global level. Patterns are globs ("mem*:debug") or, DPDK's other form,
 * regular expressions ("^eal$,8"). Each line is formatted into a buffer and
 * written with one write(2), so lines of concurrent threads and processes
 * sharing a terminal never interleave.
 *
 * The pattern table is process-wide and written only by hm_eal_init()
 * (before any lcore thread exists); the global level is atomic, as
 * hm_log_set_level() may change it while other threads log. A thread can hold back its
 * own messages of level ERR and below and then write or drop them (hm_log_hold()).
 */

#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "eal_pvt.h"

static struct {
	_Atomic int level; /* hm_log_set_level() may run while other threads log */
	unsigned int nb_patterns;
	struct hm_log_pattern patterns[HM_LOG_PATTERNS_MAX];
	regex_t regex[HM_LOG_PATTERNS_MAX];
} log_state = {.level = HM_LOG_NOTICE};

/*
 * The buffer is the caller's: libhugemem's thread-local storage is of the
 * initial-exec model, whose room is small in a library that is dlopen()ed
 * (DPDK loads the mempool ops plugin, which links libhugemem, that way).
 */
static __thread struct {
	char *buf; /* non-NULL while held */
	size_t cap;
	size_t len;
} log_held;

static const char *const level_names[] = {
    [HM_LOG_EMERG] = "emerg", [HM_LOG_ALERT] = "alert",	    [HM_LOG_CRIT] = "crit",
    [HM_LOG_ERR] = "err",     [HM_LOG_WARNING] = "warning", [HM_LOG_NOTICE] = "notice",
    [HM_LOG_INFO] = "info",   [HM_LOG_DEBUG] = "debug",
};

int
hm_log_parse_level_name(const char *s)
{
	char *end;
	long v;
	int i;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (i = HM_LOG_EMERG; i <= HM_LOG_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return HM_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return HM_LOG_WARNING;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < HM_LOG_EMERG || v > HM_LOG_DEBUG)
		return -EINVAL;
	return (int)v;
}

static void
patterns_free(void)
{
	for (unsigned int i = 0; i < log_state.nb_patterns; i++)
		if (log_state.patterns[i].regex)
			regfree(&log_state.regex[i]);
	log_state.nb_patterns = 0;
}

int
hm_log_apply(const struct hm_eal_config *cfg)
{
	unsigned int i;

	patterns_free();
	for (i = 0; i < cfg->nb_log_patterns; i++) {
		const struct hm_log_pattern *lp = &cfg->log_patterns[i];

		if (lp->regex &&
		    regcomp(&log_state.regex[i], lp->pattern, REG_EXTENDED | REG_NOSUB) != 0) {
			HM_LOG(ERR, "eal", "--log-level %s,%d: not a regular expression",
			       lp->pattern, lp->level);
			log_state.nb_patterns = i;
			patterns_free();
			return -EINVAL;
		}
		log_state.patterns[i] = *lp;
		log_state.nb_patterns = i + 1;
	}
	if (cfg->log_level != 0)
		atomic_store_explicit(&log_state.level, cfg->log_level, memory_order_relaxed);
	return 0;
}

bool
hm_log_enabled(enum hm_log_level level, const char *subsys)
{
	int limit = atomic_load_explicit(&log_state.level, memory_order_relaxed);
	unsigned int i;

	for (i = log_state.nb_patterns; i-- > 0;) {
		const struct hm_log_pattern *lp = &log_state.patterns[i];
		bool match = lp->regex ? regexec(&log_state.regex[i], subsys, 0, NULL, 0) == 0
				       : fnmatch(lp->pattern, subsys, 0) == 0;
		if (match) {
			limit = lp->level;
			break;
		}
	}
	return (int)level <= limit;
}

void
hm_vlog(enum hm_log_level level, const char *subsys, const char *fmt, va_list ap)
{
	char line[1024];
	int n, m;

	if (subsys == NULL)
		subsys = "app";
	if (!hm_log_enabled(level, subsys))
		return;
	n = snprintf(line, sizeof(line), "hugemem: %s: ", subsys);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* an absurd subsystem name: cut, never overrun */
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (log_held.buf != NULL && level >= HM_LOG_ERR) {
		if (log_held.len + (size_t)n <= log_held.cap) {
			memcpy(log_held.buf + log_held.len, line, (size_t)n);
			log_held.len += (size_t)n;
		}
		return;
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report a failed log write. */
	}
}

void
hm_log(enum hm_log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hm_vlog(level, subsys, fmt, ap);
	va_end(ap);
}

void
hm_log_hold(char *buf, size_t len)
{
	log_held.buf = buf;
	log_held.cap = len;
	log_held.len = 0;
}

void
hm_log_release(bool emit)
{
	if (emit && log_held.len != 0 && write(STDERR_FILENO, log_held.buf, log_held.len) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	log_held.buf = NULL;
	log_held.len = 0;
}

int
hm_log_set_level(int level)
{
	if (level < HM_LOG_EMERG || level > HM_LOG_DEBUG)
		return -EINVAL;
	atomic_store_explicit(&log_state.level, level, memory_order_relaxed);
	return 0;
}

int
hm_log_get_level(void)
{
	return atomic_load_explicit(&log_state.level, memory_order_relaxed);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * top: a refreshing view like slabtop. Every -d seconds it samples
 * /hugemem/slabinfo, /hugemem/mempools, /hugemem/zones and
 * /hugemem/service, and prints the zones' free memory and traffic, the
 * caches and pools sorted by what they did since the last sample (busiest
 * first), and the service's counters with their rates.
 *
 * On a terminal each frame replaces the last and 'q' quits; otherwise the
 * frames follow one another, plain text, and with --json each frame is one
 * line of JSON with the four replies. A panel whose command the primary
 * does not have (null) is left out.
 */

#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/buddy.h>

#include "ctl.h"

#define PANEL_ROWS_PLAIN 10 /* caches and pools shown when not on a terminal */

enum { S_SLAB, S_POOLS, S_ZONES, S_SERVICE, S_NB };

static const char *const sample_cmds[S_NB] = {
    "/hugemem/slabinfo",
    "/hugemem/mempools",
    "/hugemem/zones",
    "/hugemem/service",
};

struct sample {
	json_t *d[S_NB]; /* NULL where the primary answered null */
	double at;	 /* CLOCK_MONOTONIC seconds */
	time_t wall;
};

static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig)
{
	quit_signal = sig;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sample_free(struct sample *s)
{
	for (int i = 0; i < S_NB; i++) {
		json_decref(s->d[i]);
		s->d[i] = NULL;
	}
}

static int
sample_take(struct ctl_conn *c, struct sample *s)
{
	for (int i = 0; i < S_NB; i++) {
		json_t *d = ctl_query(c, sample_cmds[i], NULL);

		if (d == NULL) {
			sample_free(s);
			return -1;
		}
		if (json_is_null(d)) {
			json_decref(d);
			d = NULL;
		}
		s->d[i] = d;
	}
	s->at = now();
	s->wall = time(NULL);
	return 0;
}

/* ------------------------------------------------------------ rows by name */

static const json_t *
find_row(const json_t *rows, const char *key, const json_t *like)
{
	const json_t *want = json_object_get(like, key), *row;
	size_t i;

	if (want == NULL)
		return NULL;
	json_array_foreach(rows, i, row)
	{
		if (json_equal(json_object_get(row, key), want))
			return row;
	}
	return NULL;
}

/* The change of an integer at path since prev (0 without a previous sample). */
static int64_t
delta(const json_t *row, const json_t *prev, const char *path)
{
	if (prev == NULL)
		return 0;
	return ctl_int(row, path, 0) - ctl_int(prev, path, 0);
}

/* A rate cell: "-" on the first frame, else per second. */
static void
add_rate(struct table *t, bool have_prev, double v, double dt)
{
	if (!have_prev || dt <= 0)
		table_add(t, "-");
	else
		table_addf(t, "%.0f", v / dt);
}

static void
add_bytes(struct table *t, uint64_t v)
{
	char buf[32];

	ctl_fmt_bytes(v, buf, sizeof(buf));
	table_add(t, buf);
}

static void
add_percent(struct table *t, double part, double whole)
{
	if (whole > 0)
		table_addf(t, "%.0f%%", 100.0 * part / whole);
	else
		table_add(t, "-");
}

/* Rows of a list in order of activity, busiest first, then by size, then as the primary sent them.
 */
struct ranked {
	const json_t *row, *prev;
	double activity;
	int64_t weight;
	size_t index;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->activity != y->activity)
		return x->activity > y->activity ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

typedef void(rank_fn)(struct ranked *r);

static struct ranked *
rank(const json_t *rows, const json_t *prev_rows, rank_fn *fn, size_t *nb)
{
	struct ranked *r;
	const json_t *row;
	size_t i;

	*nb = json_array_size(rows);
	r = calloc(*nb + 1, sizeof(*r));
	if (r == NULL) {
		*nb = 0;
		return NULL;
	}
	json_array_foreach(rows, i, row)
	{
		r[i].row = row;
		r[i].index = i;
		r[i].prev = prev_rows != NULL ? find_row(prev_rows, "name", row) : NULL;
		fn(&r[i]);
	}
	qsort(r, *nb, sizeof(*r), ranked_cmp);
	return r;
}

/* --------------------------------------------------------------- panels */

static void
panel_zones(FILE *f, const json_t *zones, const json_t *prev_zones, double dt)
{
	struct table *t = table_new();
	const json_t *z;
	size_t i;

	table_column(t, "zone", false);
	table_column(t, "managed", true);
	table_column(t, "free", true);
	table_column(t, "free%", true);
	table_column(t, "pcp", true);
	table_column(t, "low wm", true);
	table_column(t, "allocs/s", true);
	table_column(t, "frees/s", true);
	table_column(t, "failures/s", true);
	json_array_foreach(zones, i, z)
	{
		const json_t *p = NULL, *row;
		uint64_t managed = (uint64_t)ctl_int(z, "managed_pages", 0) * HM_BUDDY_PAGE_SIZE;
		uint64_t free_b =
		    (uint64_t)(ctl_int(z, "free_pages", 0) + ctl_int(z, "pcp_pages", 0)) *
		    HM_BUDDY_PAGE_SIZE;
		size_t k;

		json_array_foreach(prev_zones, k, row)
		{
			if (ctl_int(row, "socket", -1) == ctl_int(z, "socket", -2) &&
			    json_equal(json_object_get(row, "zone"), json_object_get(z, "zone")))
				p = row;
		}
		table_addf(t, "%" PRId64 "/%s", ctl_int(z, "socket", -1),
			   json_string_value(json_object_get(z, "zone"))
			       ? json_string_value(json_object_get(z, "zone"))
			       : "?");
		add_bytes(t, managed);
		add_bytes(t, free_b);
		add_percent(t, (double)free_b, (double)managed);
		add_bytes(t, (uint64_t)ctl_int(z, "pcp_pages", 0) * HM_BUDDY_PAGE_SIZE);
		add_bytes(t, (uint64_t)ctl_int(z, "watermarks.low", 0) * HM_BUDDY_PAGE_SIZE);
		add_rate(t, p != NULL,
			 (double)(ctl_sum(json_object_get(z, "allocs")) -
				  ctl_sum(json_object_get(p, "allocs"))),
			 dt);
		add_rate(t, p != NULL,
			 (double)(ctl_sum(json_object_get(z, "frees")) -
				  ctl_sum(json_object_get(p, "frees"))),
			 dt);
		add_rate(t, p != NULL,
			 (double)(ctl_sum(json_object_get(z, "failures")) -
				  ctl_sum(json_object_get(p, "failures"))),
			 dt);
	}
	fprintf(f, "Zones\n");
	table_print(t, f, 2, 0);
	table_free(t);
}

/*
 * A cache's activity: its allocations and frees where the primary counts
 * them, else how far its active objects moved.
 */
static void
rank_cache(struct ranked *r)
{
	if (r->prev != NULL && ctl_get(r->row, "allocs") != NULL)
		r->activity =
		    (double)(delta(r->row, r->prev, "allocs") + delta(r->row, r->prev, "frees"));
	else
		r->activity = fabs((double)delta(r->row, r->prev, "active_objs"));
	r->weight = ctl_int(r->row, "active_objs", 0);
}

static void
panel_caches(FILE *f, const json_t *slab, const json_t *prev_slab, double dt, size_t max_rows)
{
	struct table *t = table_new();
	uint64_t active = 0, total = 0, bytes = 0;
	bool counted = false;
	struct ranked *r;
	size_t nb;

	r = rank(slab, prev_slab, rank_cache, &nb);
	for (size_t i = 0; i < nb; i++)
		counted = counted || ctl_get(r[i].row, "allocs") != NULL;
	table_column(t, "name", false);
	table_column(t, "active_objs", true);
	table_column(t, "num_objs", true);
	table_column(t, "use", true);
	table_column(t, "objsize", true);
	table_column(t, "size", true);
	table_column(t, "active/s", true);
	if (counted) {
		table_column(t, "allocs/s", true);
		table_column(t, "frees/s", true);
	}
	for (size_t i = 0; i < nb; i++) {
		const json_t *row = r[i].row;
		uint64_t size = (uint64_t)ctl_int(row, "num_slabs", 0) *
				(uint64_t)ctl_int(row, "pagesperslab", 0) * HM_BUDDY_PAGE_SIZE;

		active += (uint64_t)ctl_int(row, "active_objs", 0);
		total += (uint64_t)ctl_int(row, "num_objs", 0);
		bytes += size;
		table_add(t, json_string_value(json_object_get(row, "name"))
				 ? json_string_value(json_object_get(row, "name"))
				 : "?");
		table_addf(t, "%" PRId64, ctl_int(row, "active_objs", 0));
		table_addf(t, "%" PRId64, ctl_int(row, "num_objs", 0));
		add_percent(t, (double)ctl_int(row, "active_objs", 0),
			    (double)ctl_int(row, "num_objs", 0));
		add_bytes(t, (uint64_t)ctl_int(row, "objsize", 0));
		add_bytes(t, size);
		add_rate(t, r[i].prev != NULL, (double)delta(row, r[i].prev, "active_objs"), dt);
		if (counted) {
			add_rate(t, r[i].prev != NULL, (double)delta(row, r[i].prev, "allocs"), dt);
			add_rate(t, r[i].prev != NULL, (double)delta(row, r[i].prev, "frees"), dt);
		}
	}
	{
		char b[32];

		ctl_fmt_bytes(bytes, b, sizeof(b));
		fprintf(f,
			"Caches: %zu, objects active / total %" PRIu64 " / %" PRIu64
			", size %s (busiest first)\n",
			nb, active, total, b);
	}
	table_print(t, f, 2, max_rows);
	table_free(t);
	free(r);
}

static void
rank_pool(struct ranked *r)
{
	r->activity =
	    (double)(delta(r->row, r->prev, "stats.gets") + delta(r->row, r->prev, "stats.puts"));
	r->weight = ctl_int(r->row, "in_use_count", 0);
}

static void
panel_pools(FILE *f, const json_t *pools, const json_t *prev_pools, double dt, size_t max_rows)
{
	struct table *t = table_new();
	struct ranked *r;
	size_t nb;

	r = rank(pools, prev_pools, rank_pool, &nb);
	table_column(t, "name", false);
	table_column(t, "size", true);
	table_column(t, "avail", true);
	table_column(t, "in_use", true);
	table_column(t, "use", true);
	table_column(t, "memory", true);
	table_column(t, "gets/s", true);
	table_column(t, "puts/s", true);
	table_column(t, "fails/s", true);
	table_column(t, "hits", true);
	for (size_t i = 0; i < nb; i++) {
		const json_t *row = r[i].row, *p = r[i].prev;
		int64_t gets = delta(row, p, "stats.gets");

		table_add(t, json_string_value(json_object_get(row, "name"))
				 ? json_string_value(json_object_get(row, "name"))
				 : "?");
		table_addf(t, "%" PRId64, ctl_int(row, "size", 0));
		table_addf(t, "%" PRId64, ctl_int(row, "avail_count", 0));
		table_addf(t, "%" PRId64, ctl_int(row, "in_use_count", 0));
		add_percent(t, (double)ctl_int(row, "in_use_count", 0),
			    (double)ctl_int(row, "size", 0));
		add_bytes(t, (uint64_t)ctl_int(row, "size", 0) *
				 (uint64_t)ctl_int(row, "total_obj_size", 0));
		add_rate(t, p != NULL, (double)gets, dt);
		add_rate(t, p != NULL, (double)delta(row, p, "stats.puts"), dt);
		add_rate(t, p != NULL, (double)delta(row, p, "stats.get_fails"), dt);
		if (p != NULL && gets > 0)
			add_percent(t, (double)delta(row, p, "stats.cache_hits"), (double)gets);
		else
			table_add(t, "-");
	}
	fprintf(f, "Mempools: %zu (busiest first)\n", nb);
	table_print(t, f, 2, max_rows);
	table_free(t);
	free(r);
}

/*
 * Leaves of an object of counters, with their paths, into the table; with
 * their rates, but for times and the like that are no counters.
 */
static void
service_rows(struct table *t, const json_t *obj, const json_t *prev, const char *base, double dt)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		const json_t *pv = json_object_get(prev, key);
		enum ctl_fmt fmt;
		char path[256], buf[128];

		snprintf(path, sizeof(path), "%s%s%s", base, base[0] ? "." : "", key);
		if (json_is_object(v)) {
			service_rows(t, v, pv, path, dt);
			continue;
		}
		fmt = ctl_fmt_of_key(path);
		table_add(t, path);
		ctl_fmt_value(v, fmt, buf, sizeof(buf));
		table_add(t, buf);
		if (!json_is_integer(v) || fmt == CTL_TIME || strcmp(key, "pid") == 0) {
			table_add(t, "");
		} else if (!json_is_integer(pv) || dt <= 0) {
			table_add(t, "-");
		} else {
			json_t *rate = json_integer(
			    (json_int_t)((double)(json_integer_value(v) - json_integer_value(pv)) /
					 dt));

			ctl_fmt_value(rate, fmt, buf, sizeof(buf));
			table_add(t, buf);
			json_decref(rate);
		}
	}
}

static void
panel_service(FILE *f, const json_t *svc, const json_t *prev, double dt)
{
	struct table *t;

	fprintf(f, "Service\n");
	if (!json_is_object(svc)) {
		ctl_render_generic(f, svc, 2);
		return;
	}
	t = table_new();
	table_column(t, "counter", false);
	table_column(t, "value", true);
	table_column(t, "per second", true);
	service_rows(t, svc, prev, "", dt);
	table_print(t, f, 2, 0);
	table_free(t);
}

/* ---------------------------------------------------------------- frames */

static unsigned int
terminal_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

static size_t
count_leaves(const json_t *obj)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)obj, key, v)
	{
		n += json_is_object(v) ? count_leaves(v) : 1;
	}
	return n;
}

/*
 * Rows the terminal has for the caches and the pools: what the fixed lines
 * leave, split between the two lists, the shorter one's spare to the other.
 */
static void
share_rows(const struct sample *s, size_t *caches, size_t *pools)
{
	long left = (long)terminal_rows() - 13 - (long)json_array_size(s->d[S_ZONES]) -
		    (s->d[S_SERVICE] != NULL ? 3 + (long)count_leaves(s->d[S_SERVICE]) : 0);
	size_t nb_caches = json_array_size(s->d[S_SLAB]), nb_pools = json_array_size(s->d[S_POOLS]);
	size_t room = left > 6 ? (size_t)left : 6;

	*pools = nb_pools < room / 2 ? nb_pools : room / 2;
	*caches = room - *pools;
	if (nb_caches < *caches)
		*pools = room - nb_caches;
	*caches = *caches > 3 ? *caches : 3;
	*pools = *pools > 3 ? *pools : 3;
}

static void
frame_print(FILE *f, const struct ctl_conn *c, const struct ctl_opts *o, const struct sample *s,
	    const struct sample *prev, bool tty)
{
	double dt = prev != NULL ? s->at - prev->at : 0;
	size_t cache_rows = PANEL_ROWS_PLAIN, pool_rows = PANEL_ROWS_PLAIN;
	char clock[32];

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&s->wall));
	fprintf(f, "hugememctl top - prefix %s, primary pid %ld, %s - every %g s - %s%s\n",
		c->prefix, ctl_primary_pid(c), ctl_primary_version(c), o->delay, clock,
		tty ? " (q quits)" : "");
	if (tty)
		share_rows(s, &cache_rows, &pool_rows);
	if (s->d[S_ZONES] != NULL) {
		fputc('\n', f);
		panel_zones(f, s->d[S_ZONES], prev != NULL ? prev->d[S_ZONES] : NULL, dt);
	}
	if (s->d[S_SLAB] != NULL) {
		fputc('\n', f);
		panel_caches(f, s->d[S_SLAB], prev != NULL ? prev->d[S_SLAB] : NULL, dt,
			     cache_rows);
	}
	if (s->d[S_POOLS] != NULL) {
		fputc('\n', f);
		panel_pools(f, s->d[S_POOLS], prev != NULL ? prev->d[S_POOLS] : NULL, dt,
			    pool_rows);
	}
	if (s->d[S_SERVICE] != NULL) {
		fputc('\n', f);
		panel_service(f, s->d[S_SERVICE], prev != NULL ? prev->d[S_SERVICE] : NULL, dt);
	}
}

static void
frame_json(const struct sample *s)
{
	json_t *doc = json_object();
	char *line;

	json_object_set_new(doc, "time", json_integer((json_int_t)s->wall));
	for (int i = 0; i < S_NB; i++)
		if (s->d[i] != NULL)
			json_object_set(doc, sample_cmds[i], s->d[i]);
	line = json_dumps(doc, JSON_COMPACT);
	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(doc);
}

/* ------------------------------------------------------------------ loop */

/* Sleep until seconds have passed; true if the user asked to quit meanwhile. */
static bool
wait_or_quit(double seconds, bool *keys)
{
	double deadline = now() + seconds;

	for (;;) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		double left = deadline - now();
		char ch;
		int n;

		if (quit_signal)
			return true;
		if (left <= 0)
			return false;
		n = poll(&p, *keys ? 1 : 0, (int)ceil(left * 1000));
		if (n > 0) {
			ssize_t got = read(STDIN_FILENO, &ch, 1);

			if (got == 1 && (ch == 'q' || ch == 'Q'))
				return true;
			if (got <= 0)
				*keys = false; /* end of input: only the clock from here on */
		}
	}
}

int
ctl_top(struct ctl_conn *c, const struct ctl_opts *o)
{
	struct sample cur, prev;
	bool tty = !o->json && isatty(STDOUT_FILENO);
	bool keys = tty && isatty(STDIN_FILENO);
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	struct termios saved, raw;
	int ret = CTL_EXIT_OK;

	memset(&cur, 0, sizeof(cur));
	memset(&prev, 0, sizeof(prev));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (keys && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		keys = false;
	}
	for (long i = 0; o->iterations == 0 || i < o->iterations; i++) {
		if (i > 0 && wait_or_quit(o->delay, &keys))
			break;
		if (sample_take(c, &cur) < 0) {
			ret = CTL_EXIT_ERROR;
			break;
		}
		if (o->json) {
			frame_json(&cur);
		} else {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);

			if (f == NULL) {
				fprintf(stderr, "hugememctl: out of memory\n");
				ret = CTL_EXIT_ERROR;
				sample_free(&cur);
				break;
			}
			frame_print(f, c, o, &cur, i > 0 ? &prev : NULL, tty);
			fclose(f);
			/* One write per frame, so a terminal never shows half of one. */
			if (tty)
				fputs("\033[H\033[2J", stdout);
			else if (i > 0)
				fputc('\n', stdout);
			fwrite(text, 1, len, stdout);
			free(text);
		}
		fflush(stdout);
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	sample_free(&prev);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text tables, and JSON rows rendered through them.
 *
 * A table is a header per column and its cells row by row; it prints each
 * column as wide as its widest cell. ctl_render_rows() turns a list of
 * objects into a table: the columns its caller names first, in its order
 * and units, then every leaf of the rows that no column names, headed by
 * its path ("stats.gets"), so a key the primary adds shows up without a
 * change here.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hugemem/buddy.h>

#include "ctl.h"

/* ---------------------------------------------------------------- tables */

struct table {
	size_t nb_cols;
	char **headers;
	bool *right;
	char **cells;
	size_t nb_cells, cap;
};

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "hugememctl: out of memory\n");
		exit(CTL_EXIT_ERROR);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xrealloc(NULL, len), s, len);
}

struct table *
table_new(void)
{
	struct table *t = xrealloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	return t;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nb_cols; i++)
		free(t->headers[i]);
	for (size_t i = 0; i < t->nb_cells; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->right);
	free(t->cells);
	free(t);
}

size_t
table_column(struct table *t, const char *header, bool right)
{
	t->headers = xrealloc(t->headers, (t->nb_cols + 1) * sizeof(*t->headers));
	t->right = xrealloc(t->right, (t->nb_cols + 1) * sizeof(*t->right));
	t->headers[t->nb_cols] = xstrdup(header);
	t->right[t->nb_cols] = right;
	return t->nb_cols++;
}

void
table_add(struct table *t, const char *text)
{
	if (t->nb_cells == t->cap) {
		t->cap = t->cap != 0 ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->nb_cells++] = xstrdup(text);
}

void
table_addf(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t, buf);
}

size_t
table_rows(const struct table *t)
{
	return t->nb_cols != 0 ? (t->nb_cells + t->nb_cols - 1) / t->nb_cols : 0;
}

static void
print_line(const struct table *t, FILE *f, unsigned int indent, const size_t *width,
	   char *const *cells, size_t nb)
{
	fprintf(f, "%*s", (int)indent, "");
	for (size_t c = 0; c < nb; c++) {
		const char *sep = c + 1 < nb ? "  " : "";

		if (t->right[c])
			fprintf(f, "%*s%s", (int)width[c], cells[c], sep);
		else if (c + 1 < nb)
			fprintf(f, "%-*s%s", (int)width[c], cells[c], sep);
		else
			fputs(cells[c], f); /* no trailing blanks */
	}
	fputc('\n', f);
}

void
table_print(const struct table *t, FILE *f, unsigned int indent, size_t max_rows)
{
	size_t rows = table_rows(t), shown = rows;
	size_t *width;

	if (t->nb_cols == 0)
		return;
	if (max_rows != 0 && rows > max_rows)
		shown = max_rows;
	width = xrealloc(NULL, t->nb_cols * sizeof(*width));
	for (size_t c = 0; c < t->nb_cols; c++)
		width[c] = strlen(t->headers[c]);
	for (size_t i = 0; i < shown * t->nb_cols && i < t->nb_cells; i++)
		if (strlen(t->cells[i]) > width[i % t->nb_cols])
			width[i % t->nb_cols] = strlen(t->cells[i]);
	print_line(t, f, indent, width, t->headers, t->nb_cols);
	for (size_t r = 0; r < shown; r++) {
		size_t first = r * t->nb_cols;
		size_t nb = t->nb_cells - first < t->nb_cols ? t->nb_cells - first : t->nb_cols;

		print_line(t, f, indent, width, t->cells + first, nb);
	}
	if (shown < rows)
		fprintf(f, "%*s... %zu more\n", (int)indent, "", rows - shown);
	free(width);
}

/* ------------------------------------------------------------ JSON values */

void
ctl_fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	unsigned int u = 0;
	uint64_t div = 1;

	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && v / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (v % div == 0)
		snprintf(buf, len, "%" PRIu64 " %s", v / div, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)v / (double)div, unit[u]);
}

const json_t *
ctl_get(const json_t *obj, const char *path)
{
	char key[256];
	const char *dot;

	while (obj != NULL && (dot = strchr(path, '.')) != NULL) {
		if ((size_t)(dot - path) >= sizeof(key))
			return NULL;
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return obj != NULL ? json_object_get(obj, path) : NULL;
}

int64_t
ctl_int(const json_t *obj, const char *path, int64_t def)
{
	const json_t *v = ctl_get(obj, path);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return def;
}

int64_t
ctl_sum(const json_t *v)
{
	const json_t *e;
	int64_t sum = 0;
	size_t i;

	if (!json_is_array(v))
		return json_is_integer(v) ? json_integer_value(v) : 0;
	json_array_foreach(v, i, e)
	{
		sum += json_is_integer(e) ? json_integer_value(e) : 0;
	}
	return sum;
}

/* A strictly increasing list of integers as a DPDK core list: "0-3,5". */
static bool
fmt_ranges(const json_t *a, char *buf, size_t len)
{
	size_t i, n = json_array_size(a), used = 0;

	for (i = 0; i < n; i++)
		if (!json_is_integer(json_array_get(a, i)) ||
		    (i > 0 && json_integer_value(json_array_get(a, i)) <=
				  json_integer_value(json_array_get(a, i - 1))))
			return false;
	buf[0] = '\0';
	for (i = 0; i < n;) {
		json_int_t first = json_integer_value(json_array_get(a, i)), last = first;
		size_t j = i + 1;

		while (j < n && json_integer_value(json_array_get(a, j)) == last + 1)
			last = json_integer_value(json_array_get(a, j++));
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used,
						 last == first ? "%s%" JSON_INTEGER_FORMAT
							       : "%s%" JSON_INTEGER_FORMAT
								 "-%" JSON_INTEGER_FORMAT,
						 i == 0 ? "" : ",", first, last);
		i = j;
	}
	return true;
}

static void fmt_auto(const json_t *v, char *buf, size_t len);

static void
fmt_list(const json_t *a, char *buf, size_t len)
{
	size_t i, used = 0;
	bool numbers = true;
	const json_t *e;

	if (json_array_size(a) == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (fmt_ranges(a, buf, len))
		return;
	json_array_foreach(a, i, e)
	{
		if (json_is_object(e) || json_is_array(e)) {
			snprintf(buf, len, "%zu items", json_array_size(a));
			return;
		}
		numbers = numbers && json_is_number(e);
	}
	if (numbers && json_array_size(a) > 8) {
		/* Per-order counters and the like: the total reads better than 21 numbers. */
		snprintf(buf, len, "%" PRId64, ctl_sum(a));
		return;
	}
	buf[0] = '\0';
	json_array_foreach(a, i, e)
	{
		char one[128];

		fmt_auto(e, one, sizeof(one));
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", one);
	}
}

static void
fmt_auto(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%.3f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "no");
		break;
	case JSON_ARRAY:
		fmt_list(v, buf, len);
		break;
	case JSON_OBJECT:
		snprintf(buf, len, "%zu keys", json_object_size(v));
		break;
	default:
		snprintf(buf, len, "-");
		break;
	}
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum ctl_fmt
ctl_fmt_of_key(const char *key)
{
	if (ends_with(key, "_bytes"))
		return CTL_BYTES;
	if (ends_with(key, "_pages"))
		return CTL_PAGES;
	if (ends_with(key, "time_ns"))
		return CTL_TIME;
	if (ends_with(key, "_ns"))
		return CTL_NS;
	return CTL_AUTO;
}

static void
fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns <= 0 || localtime_r(&t, &tm) == NULL || strftime(buf, len, "%F %T", &tm) == 0)
		snprintf(buf, len, "-");
}

static void
fmt_duration(int64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRId64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

void
ctl_fmt_value(const json_t *v, enum ctl_fmt fmt, char *buf, size_t len)
{
	if (v == NULL || json_is_null(v)) {
		snprintf(buf, len, "-");
		return;
	}
	switch (fmt) {
	case CTL_BYTES:
	case CTL_PAGES:
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			uint64_t n = (uint64_t)json_integer_value(v);

			ctl_fmt_bytes(fmt == CTL_PAGES ? n * HM_BUDDY_PAGE_SIZE : n, buf, len);
			return;
		}
		break;
	case CTL_HEX:
		if (json_is_integer(v)) {
			snprintf(buf, len, "0x%" PRIx64, (uint64_t)json_integer_value(v));
			return;
		}
		break;
	case CTL_TIME:
		if (json_is_integer(v)) {
			fmt_time(json_integer_value(v), buf, len);
			return;
		}
		break;
	case CTL_NS:
		if (json_is_integer(v)) {
			fmt_duration(json_integer_value(v), buf, len);
			return;
		}
		break;
	case CTL_SUM:
		if (json_is_array(v)) {
			snprintf(buf, len, "%" PRId64, ctl_sum(v));
			return;
		}
		break;
	default:
		break;
	}
	fmt_auto(v, buf, len);
}

/* ------------------------------------------------------------- JSON rows */

struct plan_col {
	const char *key; /* path into the row, NULL for a computed column */
	char header[128];
	enum ctl_fmt fmt;
	ctl_cell_fn *cell;
	long index; /* the element of a CTL_EXPAND list, else -1 */
	bool right;
};

struct plan {
	struct plan_col *cols;
	size_t nb;
	char **paths; /* leaf paths of unnamed keys, owned */
	size_t nb_paths;
};

static struct plan_col *
plan_add(struct plan *p, const char *key, const char *header, enum ctl_fmt fmt)
{
	struct plan_col *pc;

	p->cols = xrealloc(p->cols, (p->nb + 1) * sizeof(*p->cols));
	pc = &p->cols[p->nb++];
	memset(pc, 0, sizeof(*pc));
	pc->key = key;
	snprintf(pc->header, sizeof(pc->header), "%s", header);
	pc->fmt = fmt;
	pc->index = -1;
	pc->right = true;
	return pc;
}

static bool
covered(const struct ctl_col *cols, const char *path)
{
	for (const struct ctl_col *c = cols; c != NULL && c->header != NULL; c++) {
		size_t n = c->key != NULL ? strlen(c->key) : 0;

		if (n != 0 && strncmp(path, c->key, n) == 0 && (path[n] == '\0' || path[n] == '.'))
			return true;
	}
	return false;
}

static bool
path_known(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->nb_paths; i++)
		if (strcmp(p->paths[i], path) == 0)
			return true;
	return false;
}

/* Every leaf of obj (members of nested objects as "a.b"), in order, once. */
static void
collect_leaves(struct plan *p, const struct ctl_col *cols, const json_t *obj, const char *base)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char path[512];

		snprintf(path, sizeof(path), "%s%s%s", base, base[0] ? "." : "", key);
		if (json_is_object(v) && json_object_size(v) != 0) {
			collect_leaves(p, cols, v, path);
			continue;
		}
		if (covered(cols, path) || path_known(p, path))
			continue;
		p->paths = xrealloc(p->paths, (p->nb_paths + 1) * sizeof(*p->paths));
		p->paths[p->nb_paths++] = xstrdup(path);
	}
}

static bool
any_row_has(const json_t *rows, const char *key)
{
	const json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		if (ctl_get(row, key) != NULL)
			return true;
	}
	return false;
}

static void
plan_build(struct plan *p, const json_t *rows, const struct ctl_col *cols)
{
	const json_t *row;
	size_t i;

	for (const struct ctl_col *c = cols; c != NULL && c->header != NULL; c++) {
		if (c->key == NULL) {
			plan_add(p, NULL, c->header, c->fmt)->cell = c->cell;
			continue;
		}
		if (c->fmt == CTL_EXPAND) {
			size_t n = 0;

			json_array_foreach(rows, i, row)
			{
				if (json_array_size(ctl_get(row, c->key)) > n)
					n = json_array_size(ctl_get(row, c->key));
			}
			for (size_t e = 0; e < n; e++) {
				char h[160];

				snprintf(h, sizeof(h), "%s%zu", c->header, e);
				plan_add(p, c->key, h, CTL_AUTO)->index = (long)e;
			}
			continue;
		}
		if (c->optional && !any_row_has(rows, c->key))
			continue;
		plan_add(p, c->key, c->header, c->fmt);
	}
	json_array_foreach(rows, i, row)
	{
		collect_leaves(p, cols, row, "");
	}
	for (i = 0; i < p->nb_paths; i++)
		plan_add(p, p->paths[i], p->paths[i], ctl_fmt_of_key(p->paths[i]));
	/* Text columns are left-aligned, numbers right-aligned. */
	for (size_t c = 0; c < p->nb; c++) {
		if (p->cols[c].key == NULL)
			continue;
		json_array_foreach(rows, i, row)
		{
			const json_t *v = ctl_get(row, p->cols[c].key);

			if (p->cols[c].index >= 0)
				v = json_array_get(v, (size_t)p->cols[c].index);
			if (json_is_string(v) ||
			    (json_is_array(v) && json_is_string(json_array_get(v, 0))))
				p->cols[c].right = false;
		}
	}
}

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nb_paths; i++)
		free(p->paths[i]);
	free(p->paths);
	free(p->cols);
}

/* An object of objects as a list of objects, each key in a first member "name". */
static json_t *
rows_of(const json_t *data)
{
	const char *key;
	json_t *v, *rows;

	if (json_is_array(data)) {
		const json_t *e;
		size_t i;

		json_array_foreach(data, i, e)
		{
			if (!json_is_object(e))
				return NULL;
		}
		return json_incref((json_t *)data);
	}
	if (!json_is_object(data) || json_object_size(data) == 0)
		return NULL;
	json_object_foreach((json_t *)data, key, v)
	{
		if (!json_is_object(v))
			return NULL;
	}
	rows = json_array();
	json_object_foreach((json_t *)data, key, v)
	{
		json_t *row = json_pack("{s:s}", "name", key);

		json_object_update(row, v);
		json_array_append_new(rows, row);
	}
	return rows;
}

void
ctl_render_rows(FILE *f, const json_t *data, const struct ctl_col *cols, unsigned int indent,
		size_t max_rows)
{
	struct plan p = {0};
	json_t *rows = rows_of(data);
	struct table *t;
	const json_t *row;
	size_t i;

	if (rows == NULL) {
		ctl_render_generic(f, data, indent);
		return;
	}
	plan_build(&p, rows, cols);
	t = table_new();
	for (size_t c = 0; c < p.nb; c++)
		table_column(t, p.cols[c].header, p.cols[c].right);
	json_array_foreach(rows, i, row)
	{
		for (size_t c = 0; c < p.nb; c++) {
			const struct plan_col *pc = &p.cols[c];
			char buf[512];

			if (pc->key == NULL) {
				snprintf(buf, sizeof(buf), "-");
				pc->cell(row, buf, sizeof(buf));
			} else if (pc->index >= 0) {
				ctl_fmt_value(
				    json_array_get(ctl_get(row, pc->key), (size_t)pc->index),
				    pc->fmt, buf, sizeof(buf));
			} else {
				ctl_fmt_value(ctl_get(row, pc->key), pc->fmt, buf, sizeof(buf));
			}
			table_add(t, buf);
		}
	}
	table_print(t, f, indent, max_rows);
	table_free(t);
	plan_free(&p);
	json_decref(rows);
}

/* key: value lines of an object's leaves; lists of objects as tables below their key. */
static void
render_object(FILE *f, const json_t *obj, unsigned int indent, const char *base, int width)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char path[512], buf[1024];

		snprintf(path, sizeof(path), "%s%s%s", base, base[0] ? "." : "", key);
		if (json_is_object(v) && json_object_size(v) != 0) {
			render_object(f, v, indent, path, width);
		} else if (json_is_array(v) && json_array_size(v) != 0 &&
			   json_is_object(json_array_get(v, 0))) {
			fprintf(f, "%*s%s:\n", (int)indent, "", path);
			ctl_render_rows(f, v, NULL, indent + 2, 0);
		} else {
			ctl_fmt_value(v, ctl_fmt_of_key(path), buf, sizeof(buf));
			fprintf(f, "%*s%-*s  %s\n", (int)indent, "", width, path, buf);
		}
	}
}

static int
leaf_width(const json_t *obj, int base_len)
{
	const char *key;
	json_t *v;
	int w = 0;

	json_object_foreach((json_t *)obj, key, v)
	{
		int len = base_len + (base_len != 0) + (int)strlen(key);

		if (json_is_object(v) && json_object_size(v) != 0)
			len = leaf_width(v, len);
		if (len > w)
			w = len;
	}
	return w;
}

void
ctl_render_generic(FILE *f, const json_t *data, unsigned int indent)
{
	json_t *rows = rows_of(data);
	char buf[1024];
	const json_t *e;
	size_t i;

	if (rows != NULL && json_array_size(rows) != 0) {
		json_decref(rows);
		ctl_render_rows(f, data, NULL, indent, 0);
		return;
	}
	json_decref(rows);
	if (json_is_object(data)) {
		render_object(f, data, indent, "", leaf_width(data, 0));
	} else if (json_is_array(data)) {
		json_array_foreach(data, i, e)
		{
			fmt_auto(e, buf, sizeof(buf));
			fprintf(f, "%*s%s\n", (int)indent, "", buf);
		}
	} else {
		fmt_auto(data, buf, sizeof(buf));
		fprintf(f, "%*s%s\n", (int)indent, "", buf);
	}
}

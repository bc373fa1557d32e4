/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_CTL_H
#define HM_CTL_H

/*
 * hugememctl: the command-line client of the primary's telemetry socket.
 *
 *   client.c    the runtime directory of a prefix, the connection and one
 *               request/reply exchange (DPDK's telemetry v2 protocol)
 *   table.c     text tables: columns sized to their cells, and lists of
 *               JSON objects rendered through column specs, with every key
 *               no spec names appended, so new keys show without new code
 *   commands.c  one function per command, each a query and a rendering
 *   top.c       the refreshing view of the busiest caches and pools
 *   main.c      options and dispatch
 *
 * Exit codes: CTL_EXIT_OK, CTL_EXIT_ERROR (no primary, a failed or refused
 * query), CTL_EXIT_USAGE (bad command line).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define CTL_EXIT_OK    0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_USAGE 2

#define CTL_DEFAULT_PREFIX "hugemem"
#define CTL_SOCKET_NAME	   "dpdk_telemetry.v2"
#define CTL_REPLY_TIMEOUT  5000 /* ms to wait for the greeting or a reply */

/* ------------------------------------------------------------- client.c */

struct ctl_conn {
	int fd;
	char prefix[256];
	char path[4096]; /* the socket */
	json_t *hello;	 /* {"version", "pid", "max_output_len"} */
	char *buf;	 /* a reply, max_output_len bytes and a NUL */
	size_t buf_len;
};

/**
 * The runtime directory of prefix, by the rules of the EAL: an absolute
 * prefix is the directory itself; else $RUNTIME_DIRECTORY/hugemem/<prefix>,
 * else /var/run/hugemem/<prefix> for root, else under $XDG_RUNTIME_DIR or
 * /tmp.
 *
 * @return 0, or -ENAMETOOLONG.
 */
int ctl_runtime_dir(const char *prefix, char *buf, size_t len);

/**
 * Connect to the primary of prefix and read its greeting. On failure,
 * prints one line that says why (no primary, no permission, ...).
 *
 * @return 0, or -1.
 */
int ctl_connect(struct ctl_conn *c, const char *prefix);

void ctl_close(struct ctl_conn *c);

/**
 * Send "/cmd" or "/cmd,param" and return the data of the reply
 * {"/cmd": data}: a new reference, json null when the primary does not
 * know the command or refused the parameter. On a transport failure, a
 * reply that is no JSON or an {"error": ...} reply, prints one line and
 * returns NULL.
 */
json_t *ctl_query(struct ctl_conn *c, const char *cmd, const char *param);

/** The primary's pid and version from its greeting. */
long ctl_primary_pid(const struct ctl_conn *c);
const char *ctl_primary_version(const struct ctl_conn *c);

/* -------------------------------------------------------------- table.c */

struct table;

struct table *table_new(void);
void table_free(struct table *t);

/** Add a column; right-aligned columns suit numbers. @return its index. */
size_t table_column(struct table *t, const char *header, bool right);

/** The next cell, row by row, left to right. */
void table_add(struct table *t, const char *text);
void table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t table_rows(const struct table *t);

/**
 * Print with a header line, each column as wide as its widest cell, two
 * spaces between columns, `indent` spaces before each line; at most
 * max_rows rows (0: all).
 */
void table_print(const struct table *t, FILE *f, unsigned int indent, size_t max_rows);

/** How a column shows its value. */
enum ctl_fmt {
	CTL_AUTO,   /* strings as they are, integers, reals with 3 decimals, lists */
	CTL_BYTES,  /* an integer of bytes: B, KiB, MiB, GiB, TiB */
	CTL_PAGES,  /* an integer of 4 KiB buddy pages, shown as bytes */
	CTL_HEX,    /* an integer in hexadecimal */
	CTL_SUM,    /* the sum of a list of integers */
	CTL_EXPAND, /* a list, one column per element, headed by its index */
	CTL_TIME,   /* CLOCK_REALTIME nanoseconds, as a local date and time */
	CTL_NS,	    /* a duration in nanoseconds: ns, us, ms, s */
};

typedef void(ctl_cell_fn)(const json_t *row, char *buf, size_t len);

/** A column of a list of objects. */
struct ctl_col {
	const char *key; /* "a.b" for member b of object member a; NULL if computed */
	const char *header;
	enum ctl_fmt fmt;
	bool optional;	   /* shown only when some row has the key */
	ctl_cell_fn *cell; /* for a computed column */
};

/**
 * Render rows (a list of objects, or an object of objects whose keys go in
 * a first column "name") through cols, terminated by a NULL header; every
 * leaf key of the rows that no column names follows, headed by its path.
 * Data of another shape goes to ctl_render_generic().
 */
void ctl_render_rows(FILE *f, const json_t *rows, const struct ctl_col *cols, unsigned int indent,
		     size_t max_rows);

/** Any JSON data as readably as its shape allows: a table, key: value lines, a value a line. */
void ctl_render_generic(FILE *f, const json_t *data, unsigned int indent);

/**
 * The format a key's name implies: *_bytes are bytes, *_pages 4 KiB pages,
 * *time_ns a CLOCK_REALTIME time, other *_ns durations.
 */
enum ctl_fmt ctl_fmt_of_key(const char *key);

/** A value in fmt, "-" for NULL or null. */
void ctl_fmt_value(const json_t *v, enum ctl_fmt fmt, char *buf, size_t len);

/** Bytes as "512 B", "64 KiB", "1.5 GiB". */
void ctl_fmt_bytes(uint64_t v, char *buf, size_t len);

/** An integer member of obj by path "a.b", or def when it is missing. */
int64_t ctl_int(const json_t *obj, const char *path, int64_t def);

/** A member of obj by path "a.b", or NULL. */
const json_t *ctl_get(const json_t *obj, const char *path);

/** The sum of a list of integers (or the integer itself). */
int64_t ctl_sum(const json_t *v);

/* ----------------------------------------------------------- commands.c */

struct ctl_opts {
	const char *prefix;
	bool json;
	double delay;	 /* top: seconds between frames */
	long iterations; /* top: frames, 0 for no end */
	bool delay_set, iterations_set;
};

struct ctl_command {
	const char *name;
	int (*run)(struct ctl_conn *c, const struct ctl_opts *o);
	const char *help;
};

extern const struct ctl_command ctl_commands[];

/** Print data as the one pretty JSON document of --json. */
void ctl_print_json(const json_t *data);

/** The line for a command the primary answers with null. @return CTL_EXIT_ERROR. */
int ctl_unsupported(const struct ctl_conn *c, const char *cmd);

/* ---------------------------------------------------------------- top.c */

int ctl_top(struct ctl_conn *c, const struct ctl_opts *o);

/* Column specs of the well-known commands, shared with top. */
extern const struct ctl_col ctl_slabinfo_cols[];
extern const struct ctl_col ctl_mempool_cols[];

#endif /* HM_CTL_H */

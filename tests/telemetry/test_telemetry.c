/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The telemetry socket of a --no-huge primary, spoken to as DPDK's clients
 * do: raw SOCK_SEQPACKET packets, and DPDK's own dpdk-telemetry.py run
 * with its standard input piped. Every documented command, with and without
 * a parameter; malformed requests on a connection that must go on working;
 * clients in parallel, and clients that never read.
 */

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
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
#include "hm_common.h"
#include "telemetry_pvt.h"

#define REPLY_MAX  HM_TELEMETRY_MAX_OUTPUT
#define DPDK_TOOL  "/usr/bin/dpdk-telemetry.py"
#define TIMEOUT_MS 5000

/*
 * The commands README.md documents. A command takes a parameter when source
 * or fixed says where one comes from: source is the command that lists the
 * values (field: the member of each listed object that is one), fixed a
 * value that always exists. optional: it answers without one as well.
 * example: the parameter the dpdk-telemetry.py test gives it.
 */
struct documented {
	const char *cmd;
	const char *source;
	const char *field;
	const char *fixed;
	bool optional;
	const char *example;
};

static const struct documented documented[] = {
    {.cmd = "/"},
    {.cmd = "/info"},
    {.cmd = "/help", .source = "/", .optional = true, .example = "/mempool/info"},
    {.cmd = "/eal/params"},
    {.cmd = "/eal/heap_list"},
    {.cmd = "/eal/heap_info", .source = "/eal/heap_list", .example = "0"},
    {.cmd = "/eal/memzone_list"},
    {.cmd = "/eal/memzone_info", .source = "/eal/memzone_list", .example = "py_zone"},
    {.cmd = "/mempool/list", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/mempool/info", .source = "/mempool/list", .example = "py_pool"},
    {.cmd = "/hugemem/mempools", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/hugemem/rings", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/hugemem/memsegs", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/hugemem/slabinfo", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/hugemem/slab", .source = "/hugemem/slabinfo", .field = "name", .example = "py_slab"},
    {.cmd = "/hugemem/kmalloc"},
    {.cmd = "/hugemem/buddyinfo"},
    {.cmd = "/hugemem/frag"},
    {.cmd = "/hugemem/zones"},
    {.cmd = "/hugemem/procs", .fixed = "0", .optional = true, .example = "0"},
    {.cmd = "/hugemem/reclaims"},
    {.cmd = "/hugemem/service"},
};

static const struct documented *
find_documented(const char *cmd)
{
	for (size_t i = 0; i < HM_DIM(documented); i++)
		if (strcmp(documented[i].cmd, cmd) == 0)
			return &documented[i];
	return NULL;
}

static bool
takes_parameter(const struct documented *d)
{
	return d->source != NULL || d->fixed != NULL;
}

/* ------------------------------------------------------------- helpers */

static void
init_primary(const char *extra)
{
	const char *args[] = {
	    "-l",	   "0",	    "--no-huge", "-m", "64", "--file-prefix", hm_test_prefix("tel"),
	    "--log-level", "emerg", extra,	 NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
}

static const char *
socket_path(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", hm_eal_runtime_dir(), HM_TELEMETRY_SOCKET);
	return path;
}

/* Connect to path without reading the greeting. @return the socket, or -1. */
static int
try_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_raw(void)
{
	int fd = try_connect(socket_path());

	ck_assert_msg(fd >= 0, "connect %s: %s", socket_path(), strerror(errno));
	return fd;
}

/*
 * One packet within TIMEOUT_MS, into buf (REPLY_MAX + 1 bytes), as a
 * string. @return NULL on success, else what went wrong.
 */
static const char *
recv_reply(int fd, char *buf)
{
	static __thread char why[64];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, TIMEOUT_MS) != 1)
		return "no reply in time";
	/* MSG_TRUNC: n is the packet's whole length, even past the buffer. */
	n = recv(fd, buf, REPLY_MAX, MSG_TRUNC);
	if (n <= 0) {
		snprintf(why, sizeof(why), "recv: %s",
			 n == 0 ? "connection closed" : strerror(errno));
		return why;
	}
	if (n > REPLY_MAX) {
		snprintf(why, sizeof(why), "reply of %zd bytes, over max_output_len", n);
		return why;
	}
	buf[n] = '\0';
	return NULL;
}

/* One packet as JSON; fails the test otherwise. */
static json_t *
recv_json(int fd)
{
	static char buf[REPLY_MAX + 1];
	const char *why = recv_reply(fd, buf);
	json_error_t err;
	json_t *j;

	ck_assert_msg(why == NULL, "%s", why);
	j = json_loads(buf, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(j != NULL, "reply is no JSON (%s): %s", err.text, buf);
	return j;
}

/* Connect and check the greeting. */
static int
connect_client(void)
{
	int fd = connect_raw();
	json_t *hello = recv_json(fd);

	ck_assert_int_eq(json_integer_value(json_object_get(hello, "pid")), getpid());
	ck_assert_int_eq(json_integer_value(json_object_get(hello, "max_output_len")), REPLY_MAX);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(hello, "version")), hm_version()));
	json_decref(hello);
	return fd;
}

static json_t *
request(int fd, const char *req, size_t len)
{
	ck_assert_int_eq(send(fd, req, len, 0), (ssize_t)len);
	return recv_json(fd);
}

/*
 * The data of a well-formed reply {"<cmd>": data}: the key is the command,
 * the request up to its first ',' without a trailing CR or LF.
 */
static json_t *
query(int fd, const char *req)
{
	json_t *reply = request(fd, req, strlen(req)), *data;
	char cmd[HM_TELEMETRY_MAX_INPUT + 1];

	snprintf(cmd, sizeof(cmd), "%s", req);
	cmd[strcspn(cmd, ",\r\n")] = '\0';
	ck_assert_msg(json_object_size(reply) == 1, "%s: not one key", req);
	data = json_object_get(reply, cmd);
	ck_assert_msg(data != NULL, "%s: no key %s", req, cmd);
	json_incref(data);
	json_decref(reply);
	return data;
}

/* A parameter for cmd from one entry of its source's list. */
static void
parameter_of(const struct documented *d, json_t *v, char *param, size_t len)
{
	if (d->field != NULL)
		v = json_object_get(v, d->field);
	if (json_is_integer(v))
		snprintf(param, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_string(v))
		snprintf(param, len, "%s", json_string_value(v));
	else
		ck_abort_msg("%s lists no usable parameter of %s", d->source, d->cmd);
}

/*
 * One documented command: its help says whether it takes a parameter;
 * without one it answers data (null if it needs one); with each value its
 * source lists, it answers data.
 */
static void
check_command(int fd, const struct documented *d)
{
	bool takes = takes_parameter(d);
	json_t *help, *data, *values, *v;
	char req[256], param[128];
	const char *text;
	size_t i;

	snprintf(req, sizeof(req), "/help,%s", d->cmd);
	help = query(fd, req);
	text = json_string_value(json_object_get(help, d->cmd));
	ck_assert_msg(text != NULL, "no help for %s", d->cmd);
	ck_assert_msg((strstr(text, "Parameter") != NULL) == takes, "help of %s: \"%s\"", d->cmd,
		      text);
	json_decref(help);

	data = query(fd, d->cmd);
	ck_assert_msg(json_is_null(data) == (takes && !d->optional), "%s without a parameter: %s",
		      d->cmd, json_is_null(data) ? "null" : "data");
	json_decref(data);
	if (!takes)
		return;

	values = d->fixed != NULL ? json_pack("[s]", d->fixed) : query(fd, d->source);
	ck_assert_msg(json_array_size(values) > 0, "nothing to give %s", d->cmd);
	json_array_foreach(values, i, v)
	{
		parameter_of(d, v, param, sizeof(param));
		snprintf(req, sizeof(req), "%s,%s", d->cmd, param);
		data = query(fd, req);
		ck_assert_msg(json_is_object(data) || json_is_array(data), "%s: %s", req,
			      json_is_null(data) ? "null" : "no object or array");
		json_decref(data);
	}
	json_decref(values);
}

/*
 * The list "/" gives: every documented command, once. Subsystems may list
 * more; check_undocumented() holds those to the protocol at least.
 */
static void
check_list(json_t *cmds)
{
	json_t *data, *other;
	size_t i, j;

	ck_assert(json_is_array(cmds));
	json_array_foreach(cmds, i, data)
	{
		ck_assert_ptr_nonnull(json_string_value(data));
		json_array_foreach(cmds, j, other)
		{
			ck_assert_msg(j == i || !json_equal(data, other), "%s is listed twice",
				      json_string_value(data));
		}
	}
	for (size_t k = 0; k < HM_DIM(documented); k++) {
		bool listed = false;

		json_array_foreach(cmds, i, data)
		{
			if (strcmp(json_string_value(data), documented[k].cmd) == 0)
				listed = true;
		}
		ck_assert_msg(listed, "%s is documented but not listed", documented[k].cmd);
	}
}

/* A listed command README.md does not know: help, and data unless it wants a parameter. */
static void
check_undocumented(int fd, const char *cmd)
{
	json_t *help, *data;
	const char *text;
	char req[256];

	snprintf(req, sizeof(req), "/help,%s", cmd);
	help = query(fd, req);
	text = json_string_value(json_object_get(help, cmd));
	ck_assert_msg(text != NULL, "no help for %s", cmd);
	data = query(fd, cmd);
	ck_assert_msg(strstr(text, "Parameter") != NULL || !json_is_null(data),
		      "%s takes no parameter but answers null", cmd);
	json_decref(data);
	json_decref(help);
}

/* ------------------------------------------------------------- tests */

START_TEST(the_greeting_and_every_documented_command_answer_valid_json_named_by_the_command)
{
	struct hm_mempool *mp;
	const struct hm_memzone *mz;
	struct hm_slab_cache *sc;
	struct hm_ring *r;
	json_t *cmds, *data;
	void *obj;
	size_t i;
	struct stat st;
	char path[256];
	int fd;

	init_primary(NULL);
	snprintf(path, sizeof(path), "%s", socket_path());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	mp = hm_mempool_create("tel_pool", 100, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	mz = hm_memzone_reserve("tel_zone", 10000, HM_SOCKET_ID_ANY, 0, 0);
	ck_assert_ptr_nonnull(mz);
	r = hm_ring_create("tel_ring", 100, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(r);
	sc = hm_slab_cache_create("tel_slab", 200, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(sc);
	obj = hm_slab_alloc(sc, 0);
	ck_assert_ptr_nonnull(obj);

	fd = connect_client();
	cmds = query(fd, "/");
	check_list(cmds);
	/* Each with every parameter its list command gives: every pool, zone, cache. */
	json_array_foreach(cmds, i, data)
	{
		const struct documented *d = find_documented(json_string_value(data));

		if (d != NULL)
			check_command(fd, d);
		else
			check_undocumented(fd, json_string_value(data));
	}
	json_decref(cmds);

	/* DPDK's names, with their parameters. */
	data = query(fd, "/mempool/list");
	ck_assert_str_eq(json_string_value(json_array_get(data, 0)), "tel_pool");
	json_decref(data);
	data = query(fd, "/mempool/info,tel_pool");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "size")), 100);
	ck_assert_int_eq(json_integer_value(json_object_get(data, "avail_count")), 100);
	ck_assert_int_eq(json_integer_value(json_object_get(data, "cache_size")), 8);
	json_decref(data);
	data = query(fd, "/eal/memzone_list");
	ck_assert_str_eq(json_string_value(json_array_get(data, 0)), "tel_zone");
	json_decref(data);
	data = query(fd, "/eal/memzone_info,tel_zone");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "Length")), 10000);
	ck_assert_int_eq(json_integer_value(json_object_get(data, "IOVA")), (json_int_t)mz->iova);
	json_decref(data);
	data = query(fd, "/eal/heap_info,0");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "Heap_size")), 64 << 20);
	ck_assert_int_lt(json_integer_value(json_object_get(data, "Free_size")), 64 << 20);
	json_decref(data);
	data = query(fd, "/eal/params");
	/* hm_test_eal_init() puts --service-mode=idle first, and moves -l 0
	 * onto the CPUs the test may use (hm_test_lcore_option()). */
	ck_assert_str_eq(json_string_value(json_array_get(data, 1)), "--service-mode=idle");
	{
		const char *list = "0";
		const char *opt = hm_test_lcore_option(&list);

		ck_assert_str_eq(json_string_value(json_array_get(data, 2)), opt);
		ck_assert_str_eq(json_string_value(json_array_get(data, 3)), list);
	}
	ck_assert_str_eq(json_string_value(json_array_get(data, json_array_size(data) - 1)),
			 "emerg");
	json_decref(data);
	data = query(fd, "/hugemem/rings");
	ck_assert_uint_ge(json_array_size(data), 1);
	json_array_foreach(data, i, cmds)
	{
		if (strcmp(json_string_value(json_object_get(cmds, "name")), "tel_ring") == 0)
			ck_assert_int_eq(json_integer_value(json_object_get(cmds, "capacity")),
					 (json_int_t)r->capacity);
	}
	json_decref(data);
	data = query(fd, "/hugemem/memsegs");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "total_bytes")), 64 << 20);
	json_decref(data);
	data = query(fd, "/hugemem/slab,tel_slab");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "objsize")), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(data, "live")), 1);
	json_decref(data);
	data = query(fd, "/hugemem/kmalloc");
	ck_assert_uint_eq(json_array_size(data), HM_KMALLOC_NR_CACHES);
	json_decref(data);
	data = query(fd, "/hugemem/slabinfo");
	ck_assert_uint_ge(json_array_size(data), HM_KMALLOC_NR_CACHES + 1);
	json_decref(data);
	data = query(fd, "/hugemem/buddyinfo");
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(data, 0), "free_blocks")),
			  HM_BUDDY_NR_ORDERS);
	json_decref(data);
	/* A shell client's trailing newline is no part of the request. */
	data = query(fd, "/info\r\n");
	ck_assert_int_eq(json_integer_value(json_object_get(data, "pid")), getpid());
	json_decref(data);

	close(fd);
	ck_assert_int_eq(hm_slab_free(obj), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(sc), 0);
	ck_assert_int_eq(hm_ring_free(r), 0);
	ck_assert_int_eq(hm_memzone_free(mz), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/*
 * A request that must be refused: {"<key>": null}, or {"error": "..."} when
 * key is NULL (no command at all). Then the same connection still answers.
 */
static void
check_refused(int fd, const char *req, size_t len, const char *key)
{
	json_t *reply = request(fd, req, len), *info;

	ck_assert_msg(json_object_size(reply) == 1, "request of %zu bytes: not one key", len);
	if (key == NULL)
		ck_assert_msg(json_is_string(json_object_get(reply, "error")),
			      "request of %zu bytes (%.*s): no error", len,
			      (int)(len < 40 ? len : 40), req);
	else
		ck_assert_msg(json_is_null(json_object_get(reply, key)),
			      "request of %zu bytes (%.*s): no null under %s", len,
			      (int)(len < 40 ? len : 40), req, key);
	json_decref(reply);
	info = query(fd, "/info");
	ck_assert_int_eq(json_integer_value(json_object_get(info, "pid")), getpid());
	json_decref(info);
}

/* A refused request that is a string. */
static void
check_refused_str(int fd, const char *req, const char *key)
{
	check_refused(fd, req, strlen(req), key);
}

START_TEST(malformed_requests_get_null_or_an_error_and_the_connection_keeps_working)
{
	static const char binary[] = {'/', 'i', 'n', 'f', 'o', 0, 0x01, (char)0xff, 'x'};
	static const char *const not_commands[] = {
	    "info",	     ",,,,",	",",	   ",/info",
	    " /info",	     "/info\t", "/in\nfo", "/info\x7f",
	    "/h\xc3\xa9llo", "\n",	"\r\n",	   "{\"/info\": null}",
	    "\\/info",
	};
	static const struct {
		const char *req, *key;
	} bad[] = {
	    {"/no/such/command", "/no/such/command"},
	    {"/no/such,command", "/no/such"},
	    {"/INFO", "/INFO"},
	    {"/info/", "/info/"},
	    {"//", "//"},
	    {"/../etc", "/../etc"},
	    {"/inf\"o", "/inf\"o"},
	    {"/in fo", "/in fo"},
	    {"/mempool/info", "/mempool/info"}, /* no parameter */
	    {"/mempool/info,", "/mempool/info"},
	    {"/mempool/info,none", "/mempool/info"}, /* no such pool */
	    {"/mempool/info,,,,", "/mempool/info"},  /* a parameter of commas */
	    {"/mempool/info,tel_pool ", "/mempool/info"},
	    {"/mempool/info,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/mempool/info"},
	    {"/eal/heap_info", "/eal/heap_info"},
	    {"/eal/heap_info,", "/eal/heap_info"},
	    {"/eal/heap_info,-1", "/eal/heap_info"}, /* bad numbers */
	    {"/eal/heap_info,+0", "/eal/heap_info"},
	    {"/eal/heap_info, 0", "/eal/heap_info"},
	    {"/eal/heap_info,0 ", "/eal/heap_info"},
	    {"/eal/heap_info,0x0", "/eal/heap_info"},
	    {"/eal/heap_info,1x", "/eal/heap_info"},
	    {"/eal/heap_info,99999999999", "/eal/heap_info"},
	    {"/eal/heap_info,99999999999999999999999", "/eal/heap_info"},
	    {"/eal/memzone_info", "/eal/memzone_info"},
	    {"/eal/memzone_info,nothing", "/eal/memzone_info"},
	    {"/hugemem/slab", "/hugemem/slab"},
	    {"/hugemem/slab,nothing", "/hugemem/slab"},
	    {"/hugemem/slab,kmalloc-64,kmalloc-64", "/hugemem/slab"},
	    {"/hugemem/memsegs,9999", "/hugemem/memsegs"},
	    {"/hugemem/memsegs,-1", "/hugemem/memsegs"},
	    {"/hugemem/memsegs,a", "/hugemem/memsegs"},
	    {"/hugemem/memsegs,", "/hugemem/memsegs"},
	    {"/hugemem/memsegs,18446744073709551616", "/hugemem/memsegs"},
	    {"/help,/nothing", "/help"},
	    {"/help,info", "/help"},
	    {"/help,", "/help"},
	};
	char big[2000], longname[100];
	int fd;

	init_primary(NULL);
	fd = connect_client();
	for (size_t i = 0; i < HM_DIM(bad); i++)
		check_refused_str(fd, bad[i].req, bad[i].key);
	for (size_t i = 0; i < HM_DIM(not_commands); i++)
		check_refused_str(fd, not_commands[i], NULL);
	check_refused(fd, binary, sizeof(binary), NULL); /* a NUL and bytes above 0x7f */
	check_refused(fd, "", 0, NULL);			 /* an empty packet */

	memset(longname, 'a', sizeof(longname));
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	check_refused_str(fd, longname, longname); /* a name over the limit */
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[HM_TELEMETRY_MAX_INPUT] = '\0';
	check_refused_str(fd, big, big); /* 1024 bytes: still a request */
	big[HM_TELEMETRY_MAX_INPUT] = 'a';
	check_refused(fd, big, HM_TELEMETRY_MAX_INPUT + 1, NULL); /* 1025 bytes */
	check_refused(fd, big, sizeof(big), NULL);		  /* 2000 bytes */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 131 + 7);
	check_refused(fd, big, sizeof(big), NULL); /* 2000 bytes of binary */
	memset(big, ',', sizeof(big));
	check_refused(fd, big, sizeof(big), NULL); /* 2000 commas */
	check_refused(fd, big, 1000, NULL);	   /* 1000 commas */

	/* The decoder itself, as the fuzz target calls it. */
	free(hm_telemetry_handle(NULL, 0));
	close(fd);
	hm_eal_cleanup();
}
END_TEST

START_TEST(many_clients_at_once_and_one_that_never_reads_does_not_stall_the_others)
{
	enum { NB = 8 };
	int fds[NB], hog, extra[HM_TELEMETRY_MAX_CLIENTS + 1], nb_extra = 0, flags;
	bool dropped = false;
	json_t *j;
	long sent = 0;

	init_primary(NULL);
	for (int i = 0; i < NB; i++)
		fds[i] = connect_client();
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < NB; i++) {
			j = query(fds[i], "/hugemem/zones");
			ck_assert(json_is_array(j));
			json_decref(j);
		}

	/* A client that asks and never reads: its socket fills, the server drops it. */
	hog = connect_raw();
	flags = fcntl(hog, F_GETFL);
	ck_assert_int_eq(fcntl(hog, F_SETFL, flags | O_NONBLOCK), 0);
	for (int k = 0; k < 100000 && !dropped; k++) {
		ssize_t n = send(hog, "/", 1, MSG_NOSIGNAL);

		if (n < 0) {
			ck_assert_msg(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET,
				      "send: %s", strerror(errno));
			dropped = errno != EAGAIN;
			if (dropped)
				break;
			/* The server has not read it yet: is it stuck on the hog? */
			j = query(fds[k % NB], "/info");
			json_decref(j);
			usleep(1000);
			continue;
		}
		sent++;
		/* The others are served all the while. */
		if (sent % 100 == 0) {
			j = query(fds[sent / 100 % NB], "/info");
			json_decref(j);
		}
	}
	ck_assert_int_gt(sent, 0);
	ck_assert_msg(dropped, "a client that never reads was not dropped after %ld requests",
		      sent);
	for (int i = 0; i < NB; i++) {
		j = query(fds[i], "/info");
		json_decref(j);
	}
	close(hog);

	/* Past HM_TELEMETRY_MAX_CLIENTS, a client is told so and closed. */
	for (int i = 0; i < HM_TELEMETRY_MAX_CLIENTS + 1 - NB; i++) {
		extra[nb_extra] = connect_raw();
		j = recv_json(extra[nb_extra++]);
		if (json_object_get(j, "error") != NULL) {
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	ck_assert_int_eq(nb_extra, HM_TELEMETRY_MAX_CLIENTS + 1 - NB);
	for (int i = 0; i < nb_extra; i++)
		close(extra[i]);
	for (int i = 0; i < NB; i++)
		close(fds[i]);
	hm_eal_cleanup();
}
END_TEST

/* ------------------------------------------------- clients in parallel */

#define PARALLEL_CLIENTS 8
#define PARALLEL_ROUNDS	 200

struct parallel_client {
	pthread_t thread;
	unsigned int id;
	const char *path;
	char error[256]; /* empty: every reply was its own and well-formed */
};

/* Send req and check the reply is {"<key>": {"<inner>": ...}} (inner may be NULL). */
static bool
parallel_ask(struct parallel_client *c, int fd, const char *req, const char *key, const char *inner,
	     char *buf)
{
	const char *why;
	json_t *reply, *data;
	bool ok;

	if (send(fd, req, strlen(req), 0) != (ssize_t)strlen(req)) {
		snprintf(c->error, sizeof(c->error), "client %u: send %s: %s", c->id, req,
			 strerror(errno));
		return false;
	}
	why = recv_reply(fd, buf);
	if (why != NULL) {
		snprintf(c->error, sizeof(c->error), "client %u: %s: %s", c->id, req, why);
		return false;
	}
	reply = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
	data = json_object_get(reply, key);
	ok = json_object_size(reply) == 1 && data != NULL && !json_is_null(data) &&
	     (inner == NULL || json_object_get(data, inner) != NULL);
	if (!ok)
		snprintf(c->error, sizeof(c->error), "client %u: %s answered %.160s", c->id, req,
			 buf);
	json_decref(reply);
	return ok;
}

/* Each client asks for the help of its own command: a reply crossed between clients shows. */
static void *
parallel_client_main(void *arg)
{
	struct parallel_client *c = arg;
	char *buf = malloc(REPLY_MAX + 1);
	int fd = try_connect(c->path);

	if (buf == NULL || fd < 0) {
		snprintf(c->error, sizeof(c->error), "client %u: cannot connect", c->id);
		goto out;
	}
	if (recv_reply(fd, buf) != NULL) {
		snprintf(c->error, sizeof(c->error), "client %u: no greeting", c->id);
		goto out;
	}
	for (unsigned int k = 0; k < PARALLEL_ROUNDS; k++) {
		const struct documented *d = &documented[(c->id * 7 + k) % HM_DIM(documented)];
		char req[128];

		snprintf(req, sizeof(req), "/help,%s", d->cmd);
		if (!parallel_ask(c, fd, req, "/help", d->cmd, buf))
			break;
		if (!takes_parameter(d) && !parallel_ask(c, fd, d->cmd, d->cmd, NULL, buf))
			break;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

START_TEST(clients_in_parallel_each_get_their_own_replies_beside_one_that_never_reads)
{
	struct parallel_client c[PARALLEL_CLIENTS];
	char path[256];
	int silent;
	json_t *hello;

	init_primary(NULL);
	snprintf(path, sizeof(path), "%s", socket_path());
	/* Connected through it all, and never reads its greeting nor asks. */
	silent = connect_raw();
	for (unsigned int i = 0; i < PARALLEL_CLIENTS; i++) {
		c[i] = (struct parallel_client){.id = i, .path = path};
		ck_assert_int_eq(pthread_create(&c[i].thread, NULL, parallel_client_main, &c[i]),
				 0);
	}
	for (unsigned int i = 0; i < PARALLEL_CLIENTS; i++)
		ck_assert_int_eq(pthread_join(c[i].thread, NULL), 0);
	for (unsigned int i = 0; i < PARALLEL_CLIENTS; i++)
		ck_assert_msg(c[i].error[0] == '\0', "%s", c[i].error);
	/* Its greeting waited for it. */
	hello = recv_json(silent);
	ck_assert_int_eq(json_integer_value(json_object_get(hello, "pid")), getpid());
	json_decref(hello);
	close(silent);
	hm_eal_cleanup();
}
END_TEST

START_TEST(no_socket_with_no_telemetry_but_every_command_is_registered)
{
	char *reply;
	json_t *root;

	init_primary("--no-telemetry");
	ck_assert_int_eq(access(socket_path(), F_OK), -1);
	/* The decoder still answers, with the commands of every subsystem. */
	reply = hm_telemetry_handle("/", 1);
	ck_assert_ptr_nonnull(reply);
	root = json_loads(reply, 0, NULL);
	ck_assert_msg(root != NULL, "no JSON: %s", reply);
	check_list(json_object_get(root, "/"));
	json_decref(root);
	free(reply);
	hm_eal_cleanup();
}
END_TEST

/* The data of one request through the decoder, parsed; NULL-safe to decref. */
static json_t *
handle(const char *req, json_t **root)
{
	char *reply = hm_telemetry_handle(req, strlen(req));
	char key[64];

	ck_assert_ptr_nonnull(reply);
	*root = json_loads(reply, 0, NULL);
	ck_assert_msg(*root != NULL, "no JSON: %s", reply);
	ck_assert_uint_lt(strlen(reply), HM_TELEMETRY_MAX_OUTPUT);
	free(reply);
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(req, ","), req);
	return json_object_get(*root, key);
}

START_TEST(long_lists_come_a_page_at_a_time)
{
	struct hm_ring *rings[150];
	json_t *root, *page;
	char req[64], name[HM_RING_NAMESIZE];
	size_t seen = 0, total = 0;

	init_primary("--no-telemetry");
	for (unsigned int i = 0; i < HM_DIM(rings); i++) {
		snprintf(name, sizeof(name), "page-%u", i);
		rings[i] = hm_ring_create(name, 64, HM_SOCKET_ID_ANY, 0);
		ck_assert_ptr_nonnull(rings[i]);
	}
	/* 150 rings with all their fields do not fit one reply: 64, 64, 22, then none. */
	for (unsigned int p = 0; p < 4; p++) {
		snprintf(req, sizeof(req), "/hugemem/rings,%zu", total);
		page = handle(p == 0 ? "/hugemem/rings" : req, &root);
		ck_assert(json_is_array(page));
		ck_assert_uint_eq(json_array_size(page), p < 2 ? 64 : p == 2 ? 22 : 0);
		for (size_t i = 0; i < json_array_size(page); i++)
			seen += strncmp(json_string_value(
					    json_object_get(json_array_get(page, i), "name")),
					"page-", 5) == 0;
		total += json_array_size(page);
		json_decref(root);
	}
	ck_assert_uint_eq(seen, HM_DIM(rings));
	/* Past the end, or not an index: null. (json_is_null() is a macro: no call inside.) */
	snprintf(req, sizeof(req), "/hugemem/rings,%zu", total + 1);
	{
		const char *bad[] = {req, "/hugemem/rings,-1", "/hugemem/rings,1x",
				     "/hugemem/rings,99999999999"};

		for (unsigned int i = 0; i < HM_DIM(bad); i++) {
			page = handle(bad[i], &root);
			ck_assert_msg(json_is_null(page), "%s is not null", bad[i]);
			json_decref(root);
		}
	}
	for (unsigned int i = 0; i < HM_DIM(rings); i++)
		ck_assert_int_eq(hm_ring_free(rings[i]), 0);
	hm_eal_cleanup();
}
END_TEST

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/*
 * Compile an 8-bit locale (Latin-1, where 0xe9 is a printable letter) into
 * dir and switch LC_CTYPE to it. @return false if this system cannot.
 */
static bool
latin1_locale(const char *dir)
{
	char path[256];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/en_US.ISO-8859-1", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("localedef", "localedef", "-i", "en_US", "-f", "ISO-8859-1", path,
		       (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* localedef may exit 1 on mere warnings: the locale loading is what counts. */
	setenv("LOCPATH", dir, 1);
	return setlocale(LC_CTYPE, "en_US.ISO-8859-1") != NULL && isprint(0xe9);
}

START_TEST(requests_are_ascii_whatever_the_locale)
{
	static const char *const latin1[] = {"/h\xe9llo", "/info,\xe9", "\xe9", "/help,/\xe9"};
	char dir[] = "/tmp/hm-tel-locale.XXXXXX";
	bool have_locale;

	init_primary("--no-telemetry");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	have_locale = latin1_locale(dir);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!have_locale) {
		fprintf(stderr,
			"\n*** SKIPPED: no Latin-1 locale (localedef, package locales) ***\n\n");
		hm_eal_cleanup();
		return;
	}
	for (size_t i = 0; i < HM_DIM(latin1); i++) {
		char *reply = hm_telemetry_handle(latin1[i], strlen(latin1[i]));
		json_t *root = reply != NULL ? json_loads(reply, 0, NULL) : NULL;

		ck_assert_msg(json_object_size(root) == 1 &&
				  json_is_string(json_object_get(root, "error")),
			      "request %zu answered %s", i, reply != NULL ? reply : "nothing");
		json_decref(root);
		free(reply);
	}
	setlocale(LC_CTYPE, "C");
	hm_eal_cleanup();
}
END_TEST

/* ------------------------------------------------------ dpdk-telemetry.py */

/* Run DPDK's client on `input` (its standard input); its output in out. */
static int
run_dpdk_tool(const char *input, char *out, size_t len)
{
	int in_pipe[2], out_pipe[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(in_pipe), 0);
	ck_assert_int_eq(pipe(out_pipe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(in_pipe[0], 0);
		dup2(out_pipe[1], 1);
		dup2(out_pipe[1], 2);
		close(in_pipe[1]);
		close(out_pipe[0]);
		/* An absolute file prefix is the runtime directory itself. */
		execl("/usr/bin/python3", "python3", DPDK_TOOL, "-f", hm_eal_runtime_dir(),
		      (char *)NULL);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	ck_assert_int_eq(write(in_pipe[1], input, strlen(input)), (ssize_t)strlen(input));
	close(in_pipe[1]);
	while (got + 1 < len && (n = read(out_pipe[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(out_pipe[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define PY_MAX_REQUESTS 64

/* What the tool is asked, line by line, and whether each reply's data is null. */
struct py_session {
	char input[8192];
	char cmd[PY_MAX_REQUESTS][128]; /* the key each reply must have */
	bool null[PY_MAX_REQUESTS];
	unsigned int nb;
};

static void
py_add(struct py_session *s, const char *req, bool null)
{
	size_t used = strlen(s->input);

	ck_assert_uint_lt(s->nb, PY_MAX_REQUESTS);
	snprintf(s->cmd[s->nb], sizeof(s->cmd[0]), "%s", req);
	if (strchr(s->cmd[s->nb], ',') != NULL)
		*strchr(s->cmd[s->nb], ',') = '\0';
	s->null[s->nb++] = null;
	ck_assert_uint_lt(used + strlen(req) + 1, sizeof(s->input));
	snprintf(s->input + used, sizeof(s->input) - used, "%s\n", req);
}

START_TEST(dpdk_telemetry_py_unmodified_answers_every_documented_command)
{
	static char out[1 << 20];
	static struct py_session s;
	const struct hm_memzone *mz;
	struct hm_slab_cache *sc;
	char *line, *save, req[128];
	unsigned int lines = 0;

	if (access(DPDK_TOOL, R_OK) != 0) {
		fprintf(stderr, "\n*** SKIPPED: %s is missing (Debian package dpdk-dev) ***\n\n",
			DPDK_TOOL);
		return;
	}
	init_primary(NULL);
	ck_assert_ptr_nonnull(
	    hm_mempool_create("py_pool", 64, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0));
	mz = hm_memzone_reserve("py_zone", 4096, HM_SOCKET_ID_ANY, 0, 0);
	ck_assert_ptr_nonnull(mz);
	sc = hm_slab_cache_create("py_slab", 64, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(sc);

	memset(&s, 0, sizeof(s));
	for (size_t k = 0; k < HM_DIM(documented); k++) {
		const struct documented *d = &documented[k];

		py_add(&s, d->cmd, takes_parameter(d) && !d->optional);
		if (d->example != NULL) {
			snprintf(req, sizeof(req), "%s,%s", d->cmd, d->example);
			py_add(&s, req, false);
		}
	}
	/* Lines that are no request are not sent: no reply, and no reply out of step. */
	strcat(s.input, "info\n\n");
	py_add(&s, "/nothing", true);
	py_add(&s, "/mempool/info,nosuch", true);
	py_add(&s, "/eal/heap_info,x", true);
	py_add(&s, "/eal/memzone_info,,,", true);
	py_add(&s, "/hugemem/slab,", true);
	py_add(&s, "/help,/nothing", true);
	py_add(&s, "/info", false);

	ck_assert_int_eq(run_dpdk_tool(s.input, out, sizeof(out)), 0);
	/* Non-interactive, it prints one JSON reply a line, in the order asked. */
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err), *data;

		ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, line);
		ck_assert_msg(lines < s.nb, "a reply too many: %s", line);
		data = json_object_get(j, s.cmd[lines]);
		ck_assert_msg(json_object_size(j) == 1 && data != NULL, "%s answered %.200s",
			      s.cmd[lines], line);
		ck_assert_msg(json_is_null(data) == s.null[lines], "%s answered %s", s.cmd[lines],
			      json_is_null(data) ? "null" : "data");
		if (strcmp(s.cmd[lines], "/info") == 0)
			ck_assert_int_eq(json_integer_value(json_object_get(data, "pid")),
					 getpid());
		if (strcmp(s.cmd[lines], "/mempool/list") == 0)
			ck_assert_str_eq(json_string_value(json_array_get(data, 0)), "py_pool");
		if (strcmp(s.cmd[lines], "/mempool/info") == 0 && !json_is_null(data))
			ck_assert_str_eq(json_string_value(json_object_get(data, "name")),
					 "py_pool");
		if (strcmp(s.cmd[lines], "/eal/memzone_info") == 0 && !json_is_null(data))
			ck_assert_int_eq(json_integer_value(json_object_get(data, "Length")), 4096);
		if (strcmp(s.cmd[lines], "/hugemem/slab") == 0 && !json_is_null(data))
			ck_assert_int_eq(json_integer_value(json_object_get(data, "objsize")), 64);
		json_decref(j);
		lines++;
	}
	ck_assert_uint_eq(lines, s.nb);
	ck_assert_int_eq(hm_slab_cache_destroy(sc), 0);
	ck_assert_int_eq(hm_memzone_free(mz), 0);
	ck_assert_int_eq(hm_mempool_free(hm_mempool_lookup("py_pool")), 0);
	hm_eal_cleanup();
}
END_TEST

static Suite *
telemetry_suite(void)
{
	Suite *s = suite_create("telemetry");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(
	    tc, the_greeting_and_every_documented_command_answer_valid_json_named_by_the_command);
	tcase_add_test(tc,
		       malformed_requests_get_null_or_an_error_and_the_connection_keeps_working);
	tcase_add_test(tc, many_clients_at_once_and_one_that_never_reads_does_not_stall_the_others);
	tcase_add_test(tc,
		       clients_in_parallel_each_get_their_own_replies_beside_one_that_never_reads);
	tcase_add_test(tc, no_socket_with_no_telemetry_but_every_command_is_registered);
	tcase_add_test(tc, long_lists_come_a_page_at_a_time);
	tcase_add_test(tc, requests_are_ascii_whatever_the_locale);
	tcase_add_test(tc, dpdk_telemetry_py_unmodified_answers_every_documented_command);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(telemetry_suite());
}

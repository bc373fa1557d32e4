/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The telemetry socket of a --no-huge primary, spoken to as DPDK's clients
 * do: raw SOCK_SEQPACKET packets, and DPDK's own dpdk-telemetry.py run
 * with its standard input piped.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
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

/* Connect without reading the greeting. */
static int
connect_raw(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(socket_path()), sizeof(sun.sun_path));
	memcpy(sun.sun_path, socket_path(), strlen(socket_path()) + 1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "connect %s: %s",
		      sun.sun_path, strerror(errno));
	return fd;
}

/* One packet as JSON, within TIMEOUT_MS; fails the test otherwise. */
static json_t *
recv_json(int fd)
{
	static char buf[REPLY_MAX + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	json_error_t err;
	json_t *j;
	ssize_t n;

	ck_assert_msg(poll(&p, 1, TIMEOUT_MS) == 1, "no reply within %d ms", TIMEOUT_MS);
	n = recv(fd, buf, REPLY_MAX, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
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

/* The data of a well-formed reply {"<cmd>": data}: the key is the command. */
static json_t *
query(int fd, const char *req)
{
	json_t *reply = request(fd, req, strlen(req)), *data;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "%s", req);
	if (strchr(cmd, ',') != NULL)
		*strchr(cmd, ',') = '\0';
	ck_assert_msg(json_object_size(reply) == 1, "%s: not one key", req);
	data = json_object_get(reply, cmd);
	ck_assert_msg(data != NULL, "%s: no key %s", req, cmd);
	json_incref(data);
	json_decref(reply);
	return data;
}

/* ------------------------------------------------------------- tests */

START_TEST(the_greeting_and_every_listed_command_answer_valid_json_named_by_the_command)
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
	ck_assert(json_is_array(cmds));
	ck_assert_uint_ge(json_array_size(cmds), 16);
	json_array_foreach(cmds, i, data)
	{
		const char *cmd = json_string_value(data);
		char help[128];
		json_t *d, *h;

		ck_assert_ptr_nonnull(cmd);
		/* Commands that take no parameters answer without one. */
		d = query(fd, cmd);
		json_decref(d);
		snprintf(help, sizeof(help), "/help,%s", cmd);
		h = query(fd, help);
		ck_assert_msg(json_is_string(json_object_get(h, cmd)), "no help for %s", cmd);
		json_decref(h);
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
	ck_assert_str_eq(json_string_value(json_array_get(data, 1)), "-l");
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

/* A reply that is null or an error object, never a crash or silence. */
static void
check_refused(int fd, const char *req, size_t len)
{
	json_t *reply = request(fd, req, len);
	json_t *v = json_object_iter_value(json_object_iter(reply));

	ck_assert_msg(json_object_size(reply) == 1 &&
			  (json_is_null(v) || json_object_get(reply, "error") != NULL ||
			   json_object_get(v, "error") != NULL),
		      "request of %zu bytes not refused", len);
	json_decref(reply);
}

START_TEST(malformed_requests_get_null_or_an_error_and_the_connection_keeps_working)
{
	static const char binary[] = {'/', 'i', 'n', 'f', 'o', 0, 0x01, (char)0xff, 'x'};
	char big[HM_TELEMETRY_MAX_INPUT + 500], longname[100];
	json_t *info;
	int fd;

	init_primary(NULL);
	fd = connect_client();
	check_refused(fd, "/no/such/command", 16);
	check_refused(fd, "/mempool/info", 13);	     /* no parameter */
	check_refused(fd, "/mempool/info,none", 18); /* no such pool */
	check_refused(fd, "/mempool/info,,,,", 17);  /* a parameter of commas */
	check_refused(fd, "/eal/heap_info,-1", 17);  /* bad numbers */
	check_refused(fd, "/eal/heap_info,99999999999", 27);
	check_refused(fd, "/eal/heap_info,0x0", 18);
	check_refused(fd, "/hugemem/memsegs,9999", 21);
	check_refused(fd, "/help,/nothing", 14);
	check_refused(fd, "info", 4);	 /* no slash */
	check_refused(fd, "/../etc", 7); /* not a command name */
	check_refused(fd, "/inf\"o", 6);
	check_refused(fd, binary, sizeof(binary)); /* a NUL and bytes above 0x7f */
	check_refused(fd, "\n", 1);
	memset(longname, 'a', sizeof(longname));
	longname[0] = '/';
	check_refused(fd, longname, sizeof(longname)); /* a name over the limit */
	memset(big, '/', sizeof(big));
	check_refused(fd, big, sizeof(big)); /* over 1024 bytes */
	info = query(fd, "/info");
	ck_assert_int_eq(json_integer_value(json_object_get(info, "pid")), getpid());
	json_decref(info);
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
	for (int k = 0; k < 100000; k++) {
		ssize_t n = send(hog, "/", 1, MSG_NOSIGNAL);

		if (n < 0) {
			ck_assert_msg(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET,
				      "send: %s", strerror(errno));
			if (errno != EAGAIN)
				break;
			usleep(1000);
			continue;
		}
		sent++;
		/* The others are served all the while. */
		if (k % 1000 == 0) {
			j = query(fds[k / 1000 % NB], "/info");
			json_decref(j);
		}
	}
	ck_assert_int_gt(sent, 0);
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

START_TEST(no_socket_with_no_telemetry)
{
	init_primary("--no-telemetry");
	ck_assert_int_eq(access(socket_path(), F_OK), -1);
	hm_eal_cleanup();
}
END_TEST

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

START_TEST(dpdk_telemetry_py_unmodified_queries_the_service)
{
	static char out[65536];
	char *line, *save;
	unsigned int lines = 0;

	if (access(DPDK_TOOL, R_OK) != 0) {
		fprintf(stderr, "\n*** SKIPPED: %s is missing (Debian package dpdk) ***\n\n",
			DPDK_TOOL);
		return;
	}
	init_primary(NULL);
	ck_assert_ptr_nonnull(
	    hm_mempool_create("py_pool", 64, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(run_dpdk_tool("/info\n/mempool/list\n/mempool/info,py_pool\n/nothing\n"
				       "/eal/heap_list\n/hugemem/frag\n",
				       out, sizeof(out)),
			 0);
	/* Non-interactive, it prints one JSON reply a line. */
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);

		ck_assert_msg(j != NULL, "not JSON: %s", line);
		if (lines == 0)
			ck_assert_int_eq(
			    json_integer_value(json_object_get(json_object_get(j, "/info"), "pid")),
			    getpid());
		if (lines == 1)
			ck_assert_str_eq(json_string_value(json_array_get(
					     json_object_get(j, "/mempool/list"), 0)),
					 "py_pool");
		if (lines == 3)
			ck_assert(json_is_null(json_object_get(j, "/nothing")));
		json_decref(j);
		lines++;
	}
	ck_assert_uint_eq(lines, 6);
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
	    tc, the_greeting_and_every_listed_command_answer_valid_json_named_by_the_command);
	tcase_add_test(tc,
		       malformed_requests_get_null_or_an_error_and_the_connection_keeps_working);
	tcase_add_test(tc, many_clients_at_once_and_one_that_never_reads_does_not_stall_the_others);
	tcase_add_test(tc, no_socket_with_no_telemetry);
	tcase_add_test(tc, dpdk_telemetry_py_unmodified_queries_the_service);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(telemetry_suite());
}

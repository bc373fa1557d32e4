/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of DPDK's telemetry v2 protocol, as the primary speaks
 * it: an AF_UNIX SOCK_SEQPACKET socket, <runtime dir>/dpdk_telemetry.v2.
 * The server greets with {"version", "pid", "max_output_len"}; then each
 * request is one packet "/cmd" or "/cmd,param" and each reply one packet
 * {"/cmd": data}. One connection serves every request of a run.
 *
 * A failure prints one line naming the prefix or the socket and the cause,
 * here where it arises; callers only turn it into an exit code.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "hm_runtime_path.h"

#define REQUEST_MAX 1024 /* bytes of a request the server takes */
#define OUTPUT_MIN  16384

int
ctl_runtime_dir(const char *prefix, char *buf, size_t len)
{
	int n;

	if (prefix[0] == '/') {
		/* As dpdk-telemetry.py -f: an absolute prefix is the directory. */
		n = snprintf(buf, len, "%s", prefix);
		return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
	}
	return hm_runtime_dir_path(prefix, buf, len);
}

/*
 * Whether a live primary holds <dir>/config: it keeps a write lock on it
 * for its whole life, so a lock there with no socket beside it is a
 * primary started with --no-telemetry.
 */
static bool
primary_holds_config(const char *dir)
{
	char path[4096 + 8];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	bool held;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/config", dir) >= sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

static void
connect_failed(const struct ctl_conn *c, const char *dir, int err)
{
	if (err == ENOENT && primary_holds_config(dir))
		fprintf(stderr,
			"hugememctl: the primary of prefix '%s' has no telemetry socket (no %s: "
			"started with --no-telemetry?)\n",
			c->prefix, c->path);
	else if (err == ENOENT || err == ENOTDIR)
		fprintf(stderr, "hugememctl: no primary runs with prefix '%s' (no socket at %s)\n",
			c->prefix, c->path);
	else if (err == ECONNREFUSED)
		fprintf(stderr,
			"hugememctl: no primary runs with prefix '%s' (nothing listens on %s)\n",
			c->prefix, c->path);
	else if (err == EACCES || err == EPERM)
		fprintf(stderr,
			"hugememctl: prefix '%s': cannot connect to %s: %s (the primary runs as "
			"another user?)\n",
			c->prefix, c->path, strerror(err));
	else
		fprintf(stderr, "hugememctl: prefix '%s': cannot connect to %s: %s\n", c->prefix,
			c->path, strerror(err));
}

/* One packet into c->buf, NUL-terminated. @return its length, or -1 (reported). */
static ssize_t
recv_packet(struct ctl_conn *c, const char *what)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	struct iovec iov = {.iov_base = c->buf, .iov_len = c->buf_len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int ret;

	do
		ret = poll(&p, 1, CTL_REPLY_TIMEOUT);
	while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		fprintf(stderr, "hugememctl: prefix '%s': no %s within %d ms\n", c->prefix, what,
			CTL_REPLY_TIMEOUT);
		return -1;
	}
	do
		n = recvmsg(c->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "hugememctl: prefix '%s': reading the %s: %s\n", c->prefix, what,
			strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr,
			"hugememctl: prefix '%s': the primary closed the connection (did it "
			"exit?)\n",
			c->prefix);
		return -1;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		fprintf(stderr, "hugememctl: prefix '%s': the %s is longer than %zu bytes\n",
			c->prefix, what, c->buf_len);
		return -1;
	}
	c->buf[n] = '\0';
	return n;
}

static json_t *
parse_packet(struct ctl_conn *c, const char *what)
{
	json_error_t err;
	json_t *j;

	if (recv_packet(c, what) < 0)
		return NULL;
	j = json_loads(c->buf, 0, &err);
	if (j == NULL)
		fprintf(stderr, "hugememctl: prefix '%s': the %s is no JSON (%s): %.80s\n",
			c->prefix, what, err.text, c->buf);
	return j;
}

/* An {"error": "..."} object: the server's word that it refused something. */
static const char *
error_of(const json_t *j)
{
	return json_is_object(j) && json_object_size(j) == 1
		   ? json_string_value(json_object_get(j, "error"))
		   : NULL;
}

int
ctl_connect(struct ctl_conn *c, const char *prefix)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[4096];
	json_int_t max;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix);
	if (ctl_runtime_dir(prefix, dir, sizeof(dir)) < 0 ||
	    (size_t)snprintf(c->path, sizeof(c->path), "%s/%s", dir, CTL_SOCKET_NAME) >=
		sizeof(c->path) ||
	    strlen(c->path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "hugememctl: prefix '%s': the socket path is too long\n", prefix);
		return -1;
	}
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "hugememctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		connect_failed(c, dir, errno);
		ctl_close(c);
		return -1;
	}
	c->buf_len = OUTPUT_MIN;
	c->buf = malloc(c->buf_len + 1);
	if (c->buf == NULL) {
		fprintf(stderr, "hugememctl: out of memory\n");
		ctl_close(c);
		return -1;
	}
	c->hello = parse_packet(c, "greeting");
	if (c->hello == NULL) {
		ctl_close(c);
		return -1;
	}
	if (error_of(c->hello) != NULL) {
		/* Sent instead of the greeting, e.g. when the server has too many clients. */
		fprintf(stderr, "hugememctl: prefix '%s': the primary refused the connection: %s\n",
			prefix, error_of(c->hello));
		ctl_close(c);
		return -1;
	}
	max = json_integer_value(json_object_get(c->hello, "max_output_len"));
	if (max > (json_int_t)c->buf_len && max <= 64 * 1024 * 1024) {
		char *bigger = realloc(c->buf, (size_t)max + 1);

		if (bigger == NULL) {
			fprintf(stderr, "hugememctl: out of memory\n");
			ctl_close(c);
			return -1;
		}
		c->buf = bigger;
		c->buf_len = (size_t)max;
	}
	return 0;
}

void
ctl_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	json_decref(c->hello);
	c->hello = NULL;
	free(c->buf);
	c->buf = NULL;
}

static json_t *query_one(struct ctl_conn *c, const char *cmd, const char *param);

/* The lists the primary answers a page at a time ("/cmd,FIRST"); memsegs pages its own way. */
static bool
paged(const char *cmd)
{
	static const char *const lists[] = {"/hugemem/rings", "/mempool/list", "/hugemem/mempools",
					    "/hugemem/slabinfo", "/hugemem/procs"};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(cmd, lists[i]) == 0)
			return true;
	return false;
}

json_t *
ctl_query(struct ctl_conn *c, const char *cmd, const char *param)
{
	json_t *all = query_one(c, cmd, param);

	if (param != NULL || all == NULL || !paged(cmd) || !json_is_array(all))
		return all;
	/* The next pages until an empty one; a bound in case a primary ignores FIRST. */
	for (unsigned int round = 0; round < 4096 && json_array_size(all) != 0; round++) {
		char first[24];
		json_t *page;

		snprintf(first, sizeof(first), "%zu", json_array_size(all));
		page = query_one(c, cmd, first);
		if (page == NULL) {
			json_decref(all);
			return NULL;
		}
		/* Empty: the end. The first entry again: a primary that does not page. */
		if (!json_is_array(page) || json_array_size(page) == 0 ||
		    json_equal(json_array_get(page, 0), json_array_get(all, 0))) {
			json_decref(page);
			break;
		}
		json_array_extend(all, page);
		json_decref(page);
	}
	return all;
}

static json_t *
query_one(struct ctl_conn *c, const char *cmd, const char *param)
{
	char req[REQUEST_MAX + 1];
	json_t *reply, *data;
	const char *why;
	int len;

	if (param != NULL)
		len = snprintf(req, sizeof(req), "%s,%s", cmd, param);
	else
		len = snprintf(req, sizeof(req), "%s", cmd);
	if (len < 0 || len > REQUEST_MAX) {
		fprintf(stderr, "hugememctl: request %s is longer than %d bytes\n", cmd,
			REQUEST_MAX);
		return NULL;
	}
	if (send(c->fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		fprintf(stderr, "hugememctl: prefix '%s': sending %s: %s\n", c->prefix, req,
			strerror(errno));
		return NULL;
	}
	reply = parse_packet(c, "reply");
	if (reply == NULL)
		return NULL;
	why = error_of(reply);
	if (why == NULL)
		why = error_of(json_object_get(reply, cmd));
	if (why != NULL) {
		fprintf(stderr, "hugememctl: %s: the primary answers: %s\n", req, why);
		json_decref(reply);
		return NULL;
	}
	data = json_object_get(reply, cmd);
	if (data == NULL) {
		fprintf(stderr, "hugememctl: %s: the reply has no member %s: %.80s\n", req, cmd,
			c->buf);
		json_decref(reply);
		return NULL;
	}
	json_incref(data);
	json_decref(reply);
	return data;
}

long
ctl_primary_pid(const struct ctl_conn *c)
{
	return (long)json_integer_value(json_object_get(c->hello, "pid"));
}

const char *
ctl_primary_version(const struct ctl_conn *c)
{
	const char *v = json_string_value(json_object_get(c->hello, "version"));

	return v != NULL ? v : "unknown version";
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket server: one thread polling the listening socket and up to
 * HM_TELEMETRY_MAX_CLIENTS connections. Replies are sent without blocking:
 * a client whose socket buffer is full (it connected and never reads) is
 * dropped instead of stalling the others. Nothing a client sends can stop
 * the thread; only hm_telemetry_server_stop() does, through an eventfd.
 */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "telemetry_pvt.h"

static struct {
	bool running;
	pthread_t thread;
	int listen_fd;
	int stop_fd; /* eventfd: written to stop the thread */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int clients[HM_TELEMETRY_MAX_CLIENTS]; /* -1: free */
} srv = {.listen_fd = -1, .stop_fd = -1};

/* Send one packet without blocking. @return false if the client must go. */
static bool
send_packet(int fd, const char *msg)
{
	ssize_t n;

	if (msg == NULL)
		return true; /* no memory for the reply: say nothing, keep the client */
	n = send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			HM_LOG(WARNING, TELEMETRY,
			       "client fd %d does not read its replies: dropped", fd);
		return false;
	}
	return true;
}

static void
client_accept(void)
{
	int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	json_t *hello;
	char *msg;
	unsigned int i;

	if (fd < 0) {
		/* Out of descriptors or memory: the listening socket stays readable,
		 * so wait instead of spinning on it. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			usleep(100000);
		return;
	}
	for (i = 0; i < HM_TELEMETRY_MAX_CLIENTS; i++)
		if (srv.clients[i] < 0)
			break;
	if (i == HM_TELEMETRY_MAX_CLIENTS) {
		(void)send_packet(fd, "{\"error\":\"too many telemetry clients\"}");
		close(fd);
		return;
	}
	hello = hm_telemetry_hello();
	msg = hello != NULL ? json_dumps(hello, JSON_COMPACT) : NULL;
	json_decref(hello);
	if (!send_packet(fd, msg)) {
		free(msg);
		close(fd);
		return;
	}
	free(msg);
	srv.clients[i] = fd;
}

/*
 * Serve one readable client. An empty packet also reads as 0 bytes: only
 * the hangup poll() reported tells it from a closed connection.
 * @return false if it must go.
 */
static bool
client_serve(int fd, short revents)
{
	char buf[HM_TELEMETRY_MAX_INPUT + 1];
	char *reply;
	ssize_t n;
	bool ok;

	/* MSG_TRUNC: n is the packet's whole length even when it did not fit. */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0 && (revents & (POLLHUP | POLLRDHUP)) != 0)
		return false; /* closed */
	reply = hm_telemetry_handle(buf, (size_t)n);
	ok = send_packet(fd, reply);
	free(reply);
	return ok;
}

static void *
server_main(void *arg)
{
	struct pollfd pfd[HM_TELEMETRY_MAX_CLIENTS + 2];
	int who[HM_TELEMETRY_MAX_CLIENTS + 2];

	(void)arg;
	for (;;) {
		nfds_t n = 0;

		pfd[n++] = (struct pollfd){.fd = srv.stop_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = srv.listen_fd, .events = POLLIN};
		for (int i = 0; i < HM_TELEMETRY_MAX_CLIENTS; i++)
			if (srv.clients[i] >= 0) {
				who[n] = i;
				pfd[n++] = (struct pollfd){.fd = srv.clients[i],
							   .events = POLLIN | POLLRDHUP};
			}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			HM_LOG(ERR, TELEMETRY, "poll: %s; the server stops", strerror(errno));
			return NULL;
		}
		if (pfd[0].revents != 0)
			return NULL;
		for (nfds_t k = 2; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if ((pfd[k].revents & POLLIN) == 0 ||
			    !client_serve(pfd[k].fd, pfd[k].revents)) {
				close(pfd[k].fd);
				srv.clients[who[k]] = -1;
			}
		}
		if (pfd[1].revents & POLLIN)
			client_accept();
	}
}

/*
 * Let group gid use the socket: the socket 0660 and the runtime directory
 * 0710 (enter, not list), both of that group, and the "hugemem" directory
 * above it, which holds every prefix, 0711 (enter only). Without it all
 * stay the owner's alone.
 */
static int
allow_group(const char *runtime_dir, int64_t gid)
{
	char parent[PATH_MAX];
	char *slash;

	if (gid < 0)
		return chmod(srv.path, 0600) < 0 ? -errno : 0;
	if (chown(srv.path, (uid_t)-1, (gid_t)gid) < 0 || chmod(srv.path, 0660) < 0 ||
	    chown(runtime_dir, (uid_t)-1, (gid_t)gid) < 0 || chmod(runtime_dir, 0710) < 0)
		return -errno;
	snprintf(parent, sizeof(parent), "%s", runtime_dir);
	slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent) {
		struct stat st;

		*slash = '\0';
		if (stat(parent, &st) == 0 && st.st_uid == geteuid() &&
		    (st.st_mode & 0711) != 0711 && chmod(parent, (st.st_mode & 07777) | 0711) < 0)
			return -errno;
	}
	return 0;
}

int
hm_telemetry_server_start(const char *runtime_dir, int64_t gid)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int ret;

	if (srv.running)
		return 0;
	if ((size_t)snprintf(srv.path, sizeof(srv.path), "%s/%s", runtime_dir,
			     HM_TELEMETRY_SOCKET) >= sizeof(srv.path)) {
		HM_LOG(ERR, TELEMETRY, "socket path %s/%s is too long", runtime_dir,
		       HM_TELEMETRY_SOCKET);
		return -ENAMETOOLONG;
	}
	for (int i = 0; i < HM_TELEMETRY_MAX_CLIENTS; i++)
		srv.clients[i] = -1;
	srv.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	srv.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (srv.listen_fd < 0 || srv.stop_fd < 0) {
		ret = -errno;
		goto fail;
	}
	strcpy(sun.sun_path, srv.path);
	/* The runtime dir is the primary's: a socket left there is a dead one's. */
	unlink(srv.path);
	if (bind(srv.listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = allow_group(runtime_dir, gid);
	if (ret == 0 && listen(srv.listen_fd, 16) < 0)
		ret = -errno;
	if (ret < 0)
		goto fail;
	ret = -pthread_create(&srv.thread, NULL, server_main, NULL);
	if (ret < 0)
		goto fail;
	pthread_setname_np(srv.thread, "hm-telemetry");
	srv.running = true;
	HM_LOG(INFO, TELEMETRY, "listening on %s", srv.path);
	return 0;
fail:
	HM_LOG(ERR, TELEMETRY, "socket %s: %s", srv.path, strerror(-ret));
	hm_telemetry_server_stop();
	return ret;
}

void
hm_telemetry_server_stop(void)
{
	if (srv.running) {
		uint64_t one = 1;

		if (write(srv.stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(srv.thread, NULL);
		srv.running = false;
		for (int i = 0; i < HM_TELEMETRY_MAX_CLIENTS; i++)
			if (srv.clients[i] >= 0) {
				close(srv.clients[i]);
				srv.clients[i] = -1;
			}
	}
	if (srv.listen_fd >= 0) {
		close(srv.listen_fd);
		unlink(srv.path);
	}
	if (srv.stop_fd >= 0)
		close(srv.stop_fd);
	srv.listen_fd = -1;
	srv.stop_fd = -1;
}

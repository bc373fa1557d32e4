/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The other side of the af_xdp suite's wires, started by test_af_xdp.c:
 *
 *   hm_test_xdp_helper send NS IF COUNT SEED
 *       enter network namespace NS, send test frames 0 .. COUNT-1 of run
 *       SEED (xdp_frames.h) on IF with an AF_PACKET socket
 *   hm_test_xdp_helper expect NS SENDIF RECVIF COUNT SEED SWAPPED TIMEOUT_MS
 *       enter NS, listen on RECVIF, print "ready", then (unless SENDIF is
 *       "-") send the COUNT frames on SENDIF, and wait up to TIMEOUT_MS for
 *       all of them to come back on RECVIF, intact (MACs exchanged if
 *       SWAPPED is 1), each once
 *   hm_test_xdp_helper secondary [EAL args of a secondary] -- POOL IF COUNT SEED TIMEOUT_MS
 *       a secondary process: drive a port on IF with the primary's pool POOL,
 *       print "ready", receive COUNT frames and check each one, send each
 *       back with its MACs exchanged, stop the port and check it gave every
 *       buffer back
 *
 * Exit status 0 when all is well, else the step that failed, with a line on
 * stderr. Counts go to stdout ("received N of M, bad B, repeated R").
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/eth.h>

#include "xdp_frames.h"

static int
fail(int code, const char *what)
{
	fprintf(stderr, "xdp_helper: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return code;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
enter_netns(const char *ns)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/* An AF_PACKET socket on ifname for the test ethertype (0: send only). */
static int
packet_socket(const char *ifname, int proto)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons((uint16_t)proto)};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons((uint16_t)proto));
	int buf = 16 << 20;

	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static int
send_frames(const char *ifname, unsigned int count, uint16_t seed)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	uint8_t frame[XF_MAX_LEN];
	int fd = packet_socket(ifname, 0);

	if (fd < 0)
		return -1;
	to.sll_ifindex = (int)if_nametoindex(ifname);
	memcpy(to.sll_addr, XF_DST, 6);
	for (uint32_t seq = 0; seq < count; seq++) {
		unsigned int len = xf_build(frame, seq, seed);

		if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
			close(fd);
			return -1;
		}
		/* A breath now and then, so the receiving backlog never overflows. */
		if (seq % 16 == 15)
			usleep(200);
	}
	close(fd);
	return 0;
}

/* Receive on fd until every frame of the run came once or the time is up. @return missing. */
static unsigned int
expect_frames(int fd, unsigned int count, uint16_t seed, bool swapped, unsigned int timeout_ms)
{
	uint8_t *seen = calloc(count, 1), frame[XF_MAX_LEN + 64];
	unsigned int got = 0, bad = 0, repeated = 0;
	uint64_t end = now_ms() + timeout_ms;

	while (seen != NULL && got < count && now_ms() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		uint32_t seq;
		ssize_t len;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		len =
		    recvfrom(fd, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (len <= 0 || from.sll_pkttype == PACKET_OUTGOING ||
		    !xf_is_test_frame(frame, (unsigned int)len))
			continue;
		if (!xf_check(frame, (unsigned int)len, seed, swapped, &seq) || seq >= count)
			bad++;
		else if (seen[seq]++)
			repeated++;
		else
			got++;
	}
	printf("received %u of %u, bad %u, repeated %u\n", got, count, bad, repeated);
	fflush(stdout);
	free(seen);
	return count - got + bad + repeated;
}

static int
run_expect(char **a)
{
	const char *ns = a[0], *sendif = a[1], *recvif = a[2];
	unsigned int count = (unsigned int)strtoul(a[3], NULL, 10);
	uint16_t seed = (uint16_t)strtoul(a[4], NULL, 10);
	bool swapped = strcmp(a[5], "1") == 0;
	unsigned int timeout = (unsigned int)strtoul(a[6], NULL, 10);
	int fd;

	if (enter_netns(ns) < 0)
		return fail(2, "enter the namespace");
	fd = packet_socket(recvif, XF_ETHERTYPE);
	if (fd < 0)
		return fail(3, "listen on the receiving interface");
	printf("ready\n");
	fflush(stdout);
	if (strcmp(sendif, "-") != 0 && send_frames(sendif, count, seed) < 0)
		return fail(4, "send the frames");
	if (expect_frames(fd, count, seed, swapped, timeout) != 0) {
		fprintf(stderr, "xdp_helper: frames missing, damaged or repeated on %s\n", recvif);
		return 5;
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ secondary */

static int
run_secondary(int argc, char **argv)
{
	int dd = 1;

	while (dd < argc && strcmp(argv[dd], "--") != 0)
		dd++;
	if (argc - dd != 6)
		return fail(1, "usage: secondary [EAL args] -- POOL IF COUNT SEED TIMEOUT_MS");
	const char *pool_name = argv[dd + 1], *ifname = argv[dd + 2];
	unsigned int count = (unsigned int)strtoul(argv[dd + 3], NULL, 10);
	uint16_t seed = (uint16_t)strtoul(argv[dd + 4], NULL, 10);
	uint64_t end;
	uint8_t *seen;
	unsigned int got = 0, bad = 0;
	struct hm_eth_port *port;
	struct hm_mempool *mp;
	int ret = 0;

	if (hm_eal_init(dd, argv) < 0)
		return fail(10, "hm_eal_init as a secondary");
	mp = hm_mempool_lookup(pool_name);
	if (mp == NULL)
		return fail(11, "look up the primary's pool");
	port = hm_eth_configure(&(struct hm_eth_conf){.ifname = ifname, .pool = mp});
	if (port == NULL)
		return fail(12, "configure the port");
	if (hm_eth_start(port) < 0)
		return fail(13, "start the port");
	printf("ready\n");
	fflush(stdout);
	seen = calloc(count, 1);
	end = now_ms() + strtoul(argv[dd + 5], NULL, 10);
	while (seen != NULL && got < count && now_ms() < end) {
		struct hm_pktbuf *pkts[32];
		uint16_t n = hm_eth_rx_burst(port, 0, pkts, 32), k = 0, sent = 0;

		for (uint16_t i = 0; i < n; i++) {
			uint8_t *d = hm_pktbuf_mtod(pkts[i], uint8_t *), tmp[6];
			uint32_t seq;

			if (!xf_is_test_frame(d, pkts[i]->data_len)) {
				hm_pktbuf_free(pkts[i]);
				continue;
			}
			if (!xf_check(d, pkts[i]->data_len, seed, false, &seq) || seq >= count ||
			    seen[seq]++ || hm_mem_virt2memseg(d) == NULL) {
				bad++;
				hm_pktbuf_free(pkts[i]);
				continue;
			}
			got++;
			memcpy(tmp, d, 6);
			memcpy(d, d + 6, 6);
			memcpy(d + 6, tmp, 6);
			pkts[k++] = pkts[i];
		}
		while (sent < k) {
			sent += hm_eth_tx_burst(port, 0, pkts + sent, (uint16_t)(k - sent));
			if (now_ms() > end)
				break;
		}
		for (; sent < k; sent++)
			hm_pktbuf_free(pkts[sent]);
	}
	/* Let the last frames go out before the port stops. */
	usleep(100 * 1000);
	printf("secondary received %u of %u, bad %u\n", got, count, bad);
	fflush(stdout);
	if (got != count || bad != 0)
		ret = 14;
	if (ret == 0 && hm_eth_stop(port) < 0)
		ret = 15;
	if (ret == 0 && hm_eth_buffers_held(port) != 0)
		ret = 16;
	if (ret == 0 && hm_mempool_audit(mp, NULL) < 0)
		ret = 17;
	hm_eth_close(port);
	free(seen);
	hm_eal_cleanup();
	if (ret != 0)
		fprintf(stderr, "xdp_helper: secondary failed at step %d\n", ret);
	return ret;
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "send") == 0) {
		if (enter_netns(argv[2]) < 0)
			return fail(2, "enter the namespace");
		if (send_frames(argv[3], (unsigned int)strtoul(argv[4], NULL, 10),
				(uint16_t)strtoul(argv[5], NULL, 10)) < 0)
			return fail(4, "send the frames");
		return 0;
	}
	if (argc >= 9 && strcmp(argv[1], "expect") == 0)
		return run_expect(argv + 2);
	if (argc >= 2 && strcmp(argv[1], "secondary") == 0)
		return run_secondary(argc - 1, argv + 1);
	fprintf(stderr, "usage: see the comment at the top of xdp_helper.c\n");
	return 1;
}

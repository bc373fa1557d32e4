/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugemem-l2fwd: an l2fwd-style forwarder on the AF_XDP driver (eth.h).
 *
 *   hugemem-l2fwd [EAL args] -- -i IF [-i IF2] [-q QUEUE] [-t SECONDS] [-r RING] [--native]
 *       receive on IF; exchange each frame's MAC addresses and send it back
 *       out of IF, or with a second -i out of IF2 (and IF2's frames out of
 *       IF). Prints rx/tx/drop per second per port, and totals at the end.
 *       Runs for SECONDS (0, the default: until SIGINT or SIGTERM).
 *
 *   hugemem-l2fwd [EAL args] -- --bench [-t SECONDS] [-s BYTES]
 *       the packets-per-second figure of the driver on a veth pair: makes a
 *       network namespace and a veth pair (one queue each way) of its own, a
 *       sender child in the namespace blasts BYTES-byte frames (default 64)
 *       with AF_PACKET (sendmmsg, qdisc bypass) into the peer end, and this
 *       process drives the host end for SECONDS (default 5) each in three
 *       modes: rx (receive and free), fwd (receive, swap, send back) and tx
 *       (send fresh frames as fast as the ring takes them, no sender), with
 *       rings of 8192 unless -r says otherwise. The namespace and the pair
 *       are deleted at the end, also on SIGINT.
 *
 * One thread polls every port; the pool holds enough buffers for every
 * ring of every port plus a burst in hand.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/eth.h>

#define BURST	   32
#define MAX_PORTS  2
#define BENCH_TYPE 0x88b5

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct options {
	const char *ifname[MAX_PORTS];
	unsigned int nb_ports;
	unsigned int queue;
	unsigned int seconds;
	unsigned int ring;
	unsigned int size;
	bool native;
	bool bench;
};

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- -i IF [-i IF2] [-q QUEUE] [-t SECONDS] [-r RING] "
		"[--native]\n"
		"       %s [EAL args] -- --bench [-t SECONDS] [-s BYTES]\n",
		prog, prog);
}

static int
parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {{"native", no_argument, NULL, 'N'},
					      {"bench", no_argument, NULL, 'B'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	int c;

	optind = 0; /* a full restart of getopt after the EAL's */
	while ((c = getopt_long(argc, argv, "i:q:t:r:s:h", longs, NULL)) != -1) {
		char *end = NULL;
		unsigned long v = 0;

		if (c != 'i' && optarg != NULL) {
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v > 1000000) {
				fprintf(stderr, "l2fwd: bad number '%s' for -%c\n", optarg, c);
				return -1;
			}
		}
		switch (c) {
		case 'i':
			if (o->nb_ports == MAX_PORTS) {
				fprintf(stderr, "l2fwd: at most %d interfaces\n", MAX_PORTS);
				return -1;
			}
			o->ifname[o->nb_ports++] = optarg;
			break;
		case 'q':
			o->queue = (unsigned int)v;
			break;
		case 't':
			o->seconds = (unsigned int)v;
			break;
		case 'r':
			o->ring = (unsigned int)v;
			break;
		case 's':
			if (v < 60 || v > 1514) {
				fprintf(stderr, "l2fwd: -s wants 60 .. 1514 bytes\n");
				return -1;
			}
			o->size = (unsigned int)v;
			break;
		case 'N':
			o->native = true;
			break;
		case 'B':
			o->bench = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || (!o->bench && o->nb_ports == 0) || (o->bench && o->nb_ports > 0)) {
		fprintf(stderr, "l2fwd: %s\n",
			o->bench ? "--bench makes its own interfaces (no -i)"
				 : "give an interface with -i");
		return -1;
	}
	return 0;
}

static void
swap_macs(struct hm_pktbuf *m)
{
	uint8_t *d = hm_pktbuf_mtod(m, uint8_t *), tmp[6];

	memcpy(tmp, d, 6);
	memcpy(d, d + 6, 6);
	memcpy(d + 6, tmp, 6);
}

/* Send n frames; what the ring does not take is freed and counted as dropped. */
static uint64_t
send_or_drop(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n)
{
	uint16_t sent = hm_eth_tx_burst(port, q, pkts, n);

	for (uint16_t i = sent; i < n; i++)
		hm_pktbuf_free(pkts[i]);
	return (uint64_t)(n - sent);
}

struct counts {
	uint64_t rx, tx, drop;
};

static struct hm_eth_port *
open_port(const char *ifname, struct hm_mempool *mp, const struct options *o)
{
	struct hm_eth_port *port =
	    hm_eth_configure(&(struct hm_eth_conf){.ifname = ifname,
						   .pool = mp,
						   .first_queue = (uint16_t)o->queue,
						   .ring_size = o->ring,
						   .flags = o->native ? HM_ETH_F_NATIVE_XDP : 0});
	int ret;

	if (port == NULL) {
		fprintf(stderr, "l2fwd: configure %s: %s\n", ifname, strerror(errno));
		return NULL;
	}
	ret = hm_eth_start(port);
	if (ret < 0) {
		fprintf(stderr, "l2fwd: start %s: %s\n", ifname, strerror(-ret));
		hm_eth_close(port);
		return NULL;
	}
	return port;
}

static struct hm_mempool *
make_pool(unsigned int nb_ports, unsigned int ring)
{
	/* Per port: a full fill ring, a full RX ring and a full TX ring; then bursts in hand. */
	unsigned int n = nb_ports * 3 * (ring ? ring : HM_ETH_RING_SIZE_DEFAULT) + 4 * 256;
	struct hm_mempool *mp = hm_pktpool_create("l2fwd-pool", n, 256, 0, 2048, HM_SOCKET_ID_ANY);

	if (mp == NULL)
		fprintf(stderr,
			"l2fwd: a pool of %u buffers: %s (more memory: -m or --socket-mem)\n", n,
			strerror(errno));
	return mp;
}

/* ------------------------------------------------------------ forward */

static int
run_forward(const struct options *o)
{
	struct hm_eth_port *ports[MAX_PORTS] = {NULL};
	struct counts now[MAX_PORTS] = {{0}}, last[MAX_PORTS] = {{0}};
	struct hm_mempool *mp = make_pool(o->nb_ports, o->ring);
	uint64_t start = now_ns(), tick = start + 1000000000ull;
	int ret = 0;

	if (mp == NULL)
		return 1;
	for (unsigned int i = 0; i < o->nb_ports; i++) {
		ports[i] = open_port(o->ifname[i], mp, o);
		if (ports[i] == NULL)
			ret = 1;
	}
	if (ret == 0)
		printf("l2fwd: %s%s%s, queue %u, %s mode; per second:\n", o->ifname[0],
		       o->nb_ports > 1 ? " <-> " : " -> itself",
		       o->nb_ports > 1 ? o->ifname[1] : "", o->queue,
		       o->native ? "native" : "generic");
	while (ret == 0 && !quit) {
		for (unsigned int i = 0; i < o->nb_ports; i++) {
			unsigned int out = o->nb_ports > 1 ? 1 - i : i;
			struct hm_pktbuf *pkts[BURST];
			uint16_t n = hm_eth_rx_burst(ports[i], 0, pkts, BURST);

			if (n == 0)
				continue;
			for (uint16_t k = 0; k < n; k++)
				swap_macs(pkts[k]);
			now[i].rx += n;
			uint64_t dropped = send_or_drop(ports[out], 0, pkts, n);
			now[out].tx += n - dropped;
			now[out].drop += dropped;
		}
		uint64_t t = now_ns();

		if (t < tick)
			continue;
		for (unsigned int i = 0; i < o->nb_ports; i++) {
			printf("  %-15s rx %10" PRIu64 "  tx %10" PRIu64 "  drop %8" PRIu64 "\n",
			       o->ifname[i], now[i].rx - last[i].rx, now[i].tx - last[i].tx,
			       now[i].drop - last[i].drop);
			last[i] = now[i];
		}
		fflush(stdout);
		tick += 1000000000ull;
		if (o->seconds > 0 && t - start >= (uint64_t)o->seconds * 1000000000ull)
			break;
	}
	for (unsigned int i = 0; i < o->nb_ports; i++) {
		struct hm_eth_stats st;

		if (ports[i] == NULL)
			continue;
		if (hm_eth_stats_get(ports[i], &st) == 0)
			printf("l2fwd: %s total rx %" PRIu64 " tx %" PRIu64 " drop %" PRIu64
			       " (kernel: rx dropped %" PRIu64 ", rx ring full %" PRIu64
			       ", fill ring empty %" PRIu64 ")\n",
			       o->ifname[i], st.ipackets, st.opackets, now[i].drop, st.rx_dropped,
			       st.rx_ring_full, st.rx_fill_empty);
		hm_eth_close(ports[i]);
	}
	if (hm_mempool_audit(mp, NULL) < 0 || hm_mempool_in_use_count(mp) != 0) {
		fprintf(stderr, "l2fwd: the pool is not whole after stop (%u in use)\n",
			hm_mempool_in_use_count(mp));
		ret = 1;
	}
	hm_mempool_free(mp);
	return ret;
}

/* ------------------------------------------------------------ bench */

static int
run_cmd(const char *const *argv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct bench_net {
	char ns[32], host[16], peer[16];
};

static void
bench_net_destroy(const struct bench_net *b)
{
	run_cmd((const char *[]){"ip", "link", "del", b->host, NULL});
	run_cmd((const char *[]){"ip", "netns", "del", b->ns, NULL});
}

static int
bench_net_create(struct bench_net *b)
{
	snprintf(b->ns, sizeof(b->ns), "hml2fwd-%d", (int)getpid());
	snprintf(b->host, sizeof(b->host), "hl2h%d", (int)getpid() % 10000000);
	snprintf(b->peer, sizeof(b->peer), "hl2p%d", (int)getpid() % 10000000);
	if (run_cmd((const char *[]){"ip", "netns", "add", b->ns, NULL}) != 0) {
		fprintf(stderr, "l2fwd: bench: cannot create network namespace %s\n", b->ns);
		return -1;
	}
	if (run_cmd((const char *[]){
		"ip",  "link",	      "add",  b->host,	     "numtxqueues", "1",     "numrxqueues",
		"1",   "type",	      "veth", "peer",	     "name",	    b->peer, "netns",
		b->ns, "numtxqueues", "1",    "numrxqueues", "1",	    NULL}) != 0 ||
	    run_cmd((const char *[]){"ip", "link", "set", b->host, "addrgenmode", "none", "up",
				     NULL}) != 0 ||
	    run_cmd((const char *[]){"ip", "-n", b->ns, "link", "set", b->peer, "addrgenmode",
				     "none", "up", NULL}) != 0) {
		fprintf(stderr, "l2fwd: bench: cannot create veth pair %s/%s\n", b->host, b->peer);
		bench_net_destroy(b);
		return -1;
	}
	return 0;
}

static void
bench_frame(uint8_t *f, unsigned int size)
{
	static const uint8_t dst[6] = {0x02, 0x48, 0x4d, 0, 0, 2},
			     src[6] = {0x02, 0x48, 0x4d, 0, 0, 1};

	memset(f, 0x5a, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = BENCH_TYPE >> 8;
	f[13] = BENCH_TYPE & 0xff;
}

/* The sender: in the namespace, frames into the peer as fast as AF_PACKET goes, until killed. */
static void
bench_sender(const struct bench_net *b, unsigned int size)
{
	enum { BATCH = 64 };
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	uint8_t frame[1514];
	char path[64];
	int fd, one = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(path, sizeof(path), "/var/run/netns/%s", b->ns);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		_exit(2);
	close(fd);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		_exit(3);
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	to.sll_ifindex = (int)if_nametoindex(b->peer);
	bench_frame(frame, size);
	iov.iov_base = frame;
	iov.iov_len = size;
	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
						       .msg_namelen = sizeof(to),
						       .msg_iov = &iov,
						       .msg_iovlen = 1}};
	for (;;)
		if (sendmmsg(fd, msgs, BATCH, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
			_exit(4);
}

enum bench_mode { BENCH_RX, BENCH_FWD, BENCH_TX };

static int
bench_one(const struct bench_net *b, struct hm_mempool *mp, const struct options *o,
	  enum bench_mode mode)
{
	static const char *names[] = {"rx", "fwd", "tx"};
	struct hm_eth_port *port = open_port(b->host, mp, o);
	uint64_t t0, t1, done = 0, dropped = 0;
	struct hm_eth_stats st;
	uint8_t frame[1514];
	pid_t sender = -1;

	if (port == NULL)
		return -1;
	bench_frame(frame, o->size);
	if (mode != BENCH_TX) {
		fflush(NULL);
		sender = fork();
		if (sender == 0)
			bench_sender(b, o->size);
		usleep(200 * 1000); /* the sender up to speed */
	}
	hm_eth_stats_reset(port);
	t0 = now_ns();
	t1 = t0 + (uint64_t)o->seconds * 1000000000ull;
	for (uint64_t iter = 0; !quit; iter++) {
		struct hm_pktbuf *pkts[BURST];
		uint16_t n;

		if ((iter & 255) == 0 && now_ns() >= t1)
			break;
		if (mode == BENCH_TX) {
			if (hm_pktbuf_alloc_bulk(mp, pkts, BURST) < 0)
				continue;
			for (int k = 0; k < BURST; k++)
				memcpy(hm_pktbuf_append(pkts[k], (uint16_t)o->size), frame,
				       o->size);
			n = BURST;
		} else {
			n = hm_eth_rx_burst(port, 0, pkts, BURST);
		}
		if (n == 0)
			continue;
		if (mode == BENCH_RX) {
			for (uint16_t k = 0; k < n; k++)
				hm_pktbuf_free(pkts[k]);
			done += n;
			continue;
		}
		if (mode == BENCH_FWD)
			for (uint16_t k = 0; k < n; k++)
				swap_macs(pkts[k]);
		uint64_t d = send_or_drop(port, 0, pkts, n);
		dropped += d;
		done += n - d;
	}
	t1 = now_ns();
	if (sender > 0) {
		kill(sender, SIGKILL);
		waitpid(sender, NULL, 0);
	}
	hm_eth_stats_get(port, &st);
	printf("  %-4s %5u B  %10.0f pps  (%" PRIu64 " frames in %.2f s; not taken by the TX "
	       "ring %" PRIu64 "; kernel: rx dropped %" PRIu64 ", rx ring full %" PRIu64
	       ", fill ring empty %" PRIu64 ")\n",
	       names[mode], o->size, (double)done * 1e9 / (double)(t1 - t0), done,
	       (double)(t1 - t0) / 1e9, dropped, st.rx_dropped, st.rx_ring_full, st.rx_fill_empty);
	fflush(stdout);
	hm_eth_close(port);
	return 0;
}

static int
run_bench(struct options *o)
{
	struct hm_mempool *mp;
	struct bench_net b;
	int ret = 0;

	if (o->seconds == 0)
		o->seconds = 5;
	if (o->size == 0)
		o->size = 64;
	/* Deep rings: a poller that loses its CPU for a few ms must not lose frames. */
	if (o->ring == 0)
		o->ring = 8192;
	mp = make_pool(1, o->ring);
	if (mp == NULL || bench_net_create(&b) < 0)
		return 1;
	printf("l2fwd bench: AF_XDP %s mode on veth %s (peer %s in netns %s), %u s per row, "
	       "%ld CPUs\n",
	       o->native ? "native" : "generic", b.host, b.peer, b.ns, o->seconds,
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (int mode = BENCH_RX; mode <= BENCH_TX && !quit && ret == 0; mode++)
		ret = bench_one(&b, mp, o, (enum bench_mode)mode);
	bench_net_destroy(&b);
	if (hm_mempool_in_use_count(mp) != 0) {
		fprintf(stderr, "l2fwd: bench: %u buffers not back in the pool\n",
			hm_mempool_in_use_count(mp));
		ret = -1;
	}
	hm_mempool_free(mp);
	return ret < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	int consumed, ret;

	consumed = hm_eal_init(argc, argv);
	if (consumed == -ECANCELED)
		return 0;
	if (consumed < 0) {
		fprintf(stderr, "l2fwd: hm_eal_init: %s\n", strerror(-consumed));
		return 1;
	}
	if (parse(argc - consumed, argv + consumed, &o) < 0) {
		usage(argv[0]);
		hm_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = o.bench ? run_bench(&o) : run_forward(&o);
	hm_eal_cleanup();
	return ret;
}
